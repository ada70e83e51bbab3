//! The itemized monthly assessment (考核细则与考核记录): the office's rules per kind, the
//! records it makes as it finds things, each month's score computed from them, and the
//! pages where those concerned see their records.

use axum::response::Redirect;

use super::routes::{Access, Routes, SUPERVISION};
use crate::domain::Role;
use crate::domain::ids::Entrant;
use crate::scoring::Kind;

mod appeals;
mod breakdown;
mod mine;
pub mod ratings;
mod record_form;
mod records;
mod rules;
pub(crate) mod score;

pub const ASSESSMENT: &str = "/assessment";
pub const MINE: &str = "/assessment/mine";

/// Who may read a record or a month's breakdown: the office and the center-wide roles for
/// anyone, a head for the window and its staff, staff for themselves (checked per page).
const READERS: &[Role] = &[
    Role::Admin,
    Role::Supervision,
    Role::WindowHead,
    Role::Leadership,
    Role::Staff,
];
const CONCERNED: &[Role] = &[Role::WindowHead, Role::Staff];

pub fn routes(r: Routes) -> Routes {
    r.get(ASSESSMENT, Access::Roles(SUPERVISION), current_month)
        .get(
            "/assessment/rules/{kind}",
            Access::Roles(SUPERVISION),
            rules::page,
        )
        .post(
            "/assessment/rules/{kind}",
            Access::Roles(SUPERVISION),
            rules::save,
        )
        .get(MINE, Access::Roles(CONCERNED), mine::page)
        .get(
            "/assessment/records/new",
            Access::Roles(SUPERVISION),
            record_form::page,
        )
        .upload(
            "/assessment/records/new",
            Access::Roles(SUPERVISION),
            record_form::create,
        )
        .get(
            "/assessment/records/{id}",
            Access::Roles(READERS),
            records::detail,
        )
        .upload(
            "/assessment/records/{id}/appeal",
            Access::Roles(CONCERNED),
            appeals::file_appeal,
        )
        .get(
            "/assessment/appeals",
            Access::Roles(SUPERVISION),
            appeals::list,
        )
        .post(
            "/assessment/appeals/{id}/decide",
            Access::Roles(SUPERVISION),
            appeals::decide,
        )
        .get(
            "/assessment/appeals/{id}/file",
            Access::Roles(READERS),
            appeals::download,
        )
        .post(
            "/assessment/records/{id}/cancel",
            Access::Roles(SUPERVISION),
            records::cancel,
        )
        .get(
            "/assessment/records/{id}/photos/{n}",
            Access::Roles(READERS),
            records::photo,
        )
        .get(
            "/assessment/month/{month}",
            Access::Roles(SUPERVISION),
            records::month,
        )
        .get(
            "/assessment/ratings/{month}",
            Access::Roles(SUPERVISION),
            ratings::page,
        )
        .upload(
            "/assessment/ratings/{month}",
            Access::Roles(SUPERVISION),
            ratings::upload,
        )
        .post(
            "/assessment/ratings/batches/{id}",
            Access::Roles(SUPERVISION),
            ratings::confirm,
        )
        .post(
            "/assessment/month/{month}/fill",
            Access::Roles(SUPERVISION),
            records::fill,
        )
        .get(
            "/assessment/month/{month}/{entrant}",
            Access::Roles(READERS),
            breakdown::page,
        )
}

/// `/assessment` opens the current month's records.
async fn current_month(
    axum::extract::State(state): axum::extract::State<super::AppState>,
) -> Redirect {
    Redirect::to(&month_url(&month_of(state.clock.today())))
}

/// The month (`2026-03`) of a day.
pub fn month_of(day: time::Date) -> String {
    format!("{:04}-{:02}", day.year(), u8::from(day.month()))
}

/// A month's records.
pub fn month_url(month: &str) -> String {
    format!("{ASSESSMENT}/month/{month}")
}

/// An entrant's breakdown of a month.
pub fn breakdown_url(month: &str, entrant: Entrant) -> String {
    format!("{ASSESSMENT}/month/{month}/{}", entrant.recount_id())
}

/// A record's page.
pub fn record_url(id: impl Into<i64>) -> String {
    format!("{ASSESSMENT}/records/{}", id.into())
}

/// The rules page of a kind.
pub fn rules_url(kind: Kind) -> String {
    format!("{ASSESSMENT}/rules/{}", kind.as_str())
}

/// `窗口` or `工作人员`.
pub fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Window => "窗口",
        Kind::Staff => "工作人员",
    }
}
