//! Every URL of the application, in one place; templates and redirects take them from here.

pub const HOME: &str = "/";
pub const HEALTHZ: &str = "/healthz";
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const CHANGE_PASSWORD: &str = "/account/password";
pub const STYLESHEET: &str = "/static/app.css";
pub const SCRIPT: &str = "/static/app.js";
pub const HALL_SCRIPT: &str = "/static/hall.js";
pub const HONOR_ROLL: &str = "/honor-roll";
pub const VERIFY: &str = "/verify";

pub const ADMIN_HOME: &str = "/admin";
pub const SUPERVISION_HOME: &str = "/supervision";
pub const WINDOW_HEAD_HOME: &str = "/head";
pub const LEADERSHIP_HOME: &str = "/leadership";
pub const STAFF_HOME: &str = "/me";

pub const AUDIT: &str = "/audit";
pub const AUDIT_EXPORT: &str = "/audit/export.xlsx";
/// The confirmation page of opening a period.
pub const NEW_PERIOD: &str = "/periods/new";
pub const SCORES: &str = "/scores";
pub const ASSESSMENT: &str = crate::http::assessment::ASSESSMENT;
pub const MY_ASSESSMENT: &str = crate::http::assessment::MINE;
pub const PERIODS: &str = "/periods";
pub const BALLOT: &str = "/ballot";
pub const RATINGS: &str = "/ratings";
pub const RESULTS: &str = "/results";
pub const CITYWIDE: &str = "/citywide";
pub const NEW_CITYWIDE: &str = "/citywide/new";
pub const BALLOT_REVIEW: &str = "/ballot/review";

/// The score grid of a month.
pub fn scores(month: &str) -> String {
    format!("{SCORES}/{month}")
}

/// A period's page.
pub fn period(code: &str) -> String {
    format!("{PERIODS}/{code}")
}

pub const DEPARTMENTS: &str = "/admin/departments";
pub const BUSINESS_AREAS: &str = "/admin/business-areas";
pub const WINDOWS: &str = "/admin/windows";
pub const STAFF: &str = "/admin/staff";
pub const ACCOUNTS: &str = "/admin/accounts";
pub const SIGN_IN_LOCKS: &str = "/admin/sign-in-locks";
/// The one page that shows a password an administrator just generated.
pub const PASSWORD_HANDOVER: &str = "/admin/accounts/handover";
pub const SCHEMES: &str = "/admin/schemes";

use crate::domain::Role;

/// The page a role lands on after signing in.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Admin => ADMIN_HOME,
        Role::Supervision => SUPERVISION_HOME,
        Role::WindowHead => WINDOW_HEAD_HOME,
        Role::Leadership => LEADERSHIP_HOME,
        Role::Staff => STAFF_HOME,
    }
}

/// `/admin/windows/12` and the like.
pub fn item(base: &str, id: impl Into<i64>) -> String {
    let id: i64 = id.into();
    format!("{base}/{id}")
}

/// `/admin/windows/new` and the like.
pub fn new_item(base: &str) -> String {
    format!("{base}/new")
}

/// `/admin/windows/12/active` and the like.
pub fn item_active(base: &str, id: impl Into<i64>) -> String {
    let id: i64 = id.into();
    format!("{base}/{id}/active")
}

/// The reset-password action of an account.
pub fn account_password_reset(id: crate::domain::ids::AccountId) -> String {
    format!("{ACCOUNTS}/{id}/password-reset")
}

/// A local path to return to after sign-in, or `None` when `next` points elsewhere.
/// Only a plain path and query of our own is accepted: browsers drop tabs and read `\` as
/// `/`, so anything but a small set of characters could turn into `//elsewhere`.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 500
        && next
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_-.?=&%~".contains(&b));
    ok.then_some(next)
}

/// A period's page on the public honor roll (its permanent address).
pub fn honor_roll(code: &str) -> String {
    format!("{HONOR_ROLL}/{code}")
}

/// A city-wide round's page.
pub fn citywide(year: i32) -> String {
    format!("{CITYWIDE}/{year}")
}

/// A county's nomination in a city-wide round.
pub fn nomination(year: i32, id: i64) -> String {
    format!("{CITYWIDE}/{year}/nominations/{id}")
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next("/admin/windows?page=2"),
            Some("/admin/windows?page=2")
        );
        assert_eq!(safe_next("//evil.example/"), None);
        assert_eq!(safe_next("https://evil.example/"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next("/\t/evil.example"), None);
        assert_eq!(safe_next("/\u{1}"), None);
        assert_eq!(safe_next("/ /evil.example"), None);
    }
}
