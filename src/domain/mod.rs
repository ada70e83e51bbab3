//! Domain types: roles and the parsing of what people type into values the database accepts.

pub mod period;
pub mod photo;
pub mod text;

use serde::Serialize;

/// What an account may do. Stored as its `as_str` in `account.role`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    Admin,
    Supervision,
    WindowHead,
    Leadership,
    Staff,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Supervision,
        Role::WindowHead,
        Role::Leadership,
        Role::Staff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervision => "supervision",
            Role::WindowHead => "window_head",
            Role::Leadership => "leadership",
            Role::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The role's name as the offices write it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Supervision => "督查科",
            Role::WindowHead => "窗口负责人",
            Role::Leadership => "领导小组成员",
            Role::Staff => "窗口工作人员",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A date as the offices write it, in China Standard Time: `2026年3月15日`.
pub fn format_date(t: Option<time::OffsetDateTime>) -> String {
    match t {
        Some(t) => {
            let t = t.to_offset(time::macros::offset!(+8));
            format!("{}年{}月{}日", t.year(), u8::from(t.month()), t.day())
        }
        None => String::new(),
    }
}

/// A time as the offices write it, in China Standard Time: `2026年3月15日 10:32`.
pub fn format_datetime(t: Option<time::OffsetDateTime>) -> String {
    match t {
        Some(t) => {
            let t = t.to_offset(time::macros::offset!(+8));
            format!(
                "{}年{}月{}日 {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        }
        None => "从未登录".to_string(),
    }
}
