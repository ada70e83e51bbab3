//! Domain types: roles and the parsing of what people type into values the database accepts.

pub mod assessment;
pub mod citywide;
pub mod ids;
pub mod period;
pub mod photo;
pub mod text;
pub mod veto;
pub mod zishu;

use serde::Serialize;

/// Stores an enum as its `as_str` in a `text` column and reads it back with its `parse`:
/// a value this version does not know is a decoding error, never a default.
macro_rules! text_column {
    ($($ty:ty: $what:literal),* $(,)?) => {$(
        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                <$ty>::parse(s).ok_or_else(|| format!("unknown {} {s:?}", $what).into())
            }
        }

        impl sqlx::Encode<'_, sqlx::Postgres> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode_by_ref(&self.as_str(), buf)
            }
        }
    )*};
}

text_column!(
    Role: "role",
    period::Phase: "phase",
    period::PeriodKind: "period kind",
    veto::VetoCode: "veto code",
);

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

/// A center code as the database allows it (`^[a-z0-9-]{1,32}$`): in URLs and settings.
pub fn is_center_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A date as the offices write it, in China Standard Time: `2026年3月15日`.
pub fn format_date(t: Option<time::OffsetDateTime>) -> String {
    t.map(|t| format_day(crate::clock::china_date(t)))
        .unwrap_or_default()
}

/// A day as the offices write it: `2026年3月15日`.
pub fn format_day(d: time::Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
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
