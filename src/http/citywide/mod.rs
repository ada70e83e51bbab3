//! The city-wide round (全市评选, SPEC.md §3) as its two sides see it: the city's
//! supervision office opens and runs it ([`open`]); a county's supervision office (or
//! admin) nominates from its own center ([`nominate`]). Which side one is on follows from
//! one's center: a center with county centers under it is a city, one with a city above
//! it is a county; a county sees only its own nominations.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::CurrentUser;
use super::page::{self, Layout};
use super::routes::{Access, Routes, SUPERVISION};
use super::urls;
use crate::db;
use crate::domain::Role;
use crate::domain::ids::CenterId;

mod feedback;
mod files;
mod nominate;
mod notice;
mod open;
mod publish;
mod review;

/// The county side: its supervision office, and its admin.
const COUNTY_OFFICE: &[Role] = &[Role::Supervision, Role::Admin];

pub fn routes(r: Routes) -> Routes {
    let r = r
        .get(urls::CITYWIDE, Access::Roles(COUNTY_OFFICE), index)
        .get(urls::NEW_CITYWIDE, Access::Roles(SUPERVISION), open::form)
        .post(urls::CITYWIDE, Access::Roles(SUPERVISION), open::create)
        .get("/citywide/{year}", Access::Roles(COUNTY_OFFICE), round_page);
    let r = nominate::routes(r);
    let r = files::routes(r);
    let r = review::routes(r);
    let r = feedback::routes(r);
    let r = publish::routes(r);
    notice::routes(r)
}

/// Which side of the round a center is on.
pub(crate) enum Side {
    City,
    County { city: CenterId },
}

pub(crate) async fn side(state: &AppState, center: CenterId) -> AppResult<Side> {
    let mut conn = state.db.acquire().await?;
    if let Some(city) = db::citywide::city_of(&mut conn, center).await? {
        return Ok(Side::County { city });
    }
    Ok(Side::City)
}

/// The year in a path: a round's year, else not found.
pub(crate) fn year_of(raw: &str) -> AppResult<i32> {
    raw.parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or(AppError::NotFound)
}

/// A round as listed.
pub struct RoundItem {
    pub title: String,
    pub url: String,
    pub phase: &'static str,
    pub deadline: String,
}

#[derive(Template)]
#[template(path = "citywide/index.html")]
struct IndexPage {
    layout: Layout,
    city: bool,
    /// The city may open rounds (its supervision office, over county centers).
    can_open: bool,
    rounds: Vec<RoundItem>,
}

/// `/citywide`: the rounds of one's city, or of one's own center when it is the city.
async fn index(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    let side = side(&state, user.center_id).await?;
    let mut conn = state.db.acquire().await?;
    let (city, is_city) = match side {
        Side::City => (user.center_id, true),
        Side::County { city } => (city, false),
    };
    let counties = db::citywide::counties(&mut conn, city).await?;
    if is_city && counties.is_empty() {
        return Err(AppError::NotFound);
    }
    let rounds = db::citywide::rounds(&mut conn, city)
        .await?
        .into_iter()
        .map(|r| RoundItem {
            url: urls::citywide(r.year),
            phase: r.phase.label(),
            deadline: crate::domain::format_datetime(Some(r.deadline)),
            title: r.title,
        })
        .collect();
    Ok(page::ok(&IndexPage {
        layout: Layout::new("全市评选", Some(&user), urls::CITYWIDE),
        city: is_city,
        can_open: is_city && user.role == Role::Supervision,
        rounds,
    }))
}

/// `/citywide/{year}`: the city's overview, or the county's own nominations.
async fn round_page(
    state: State<AppState>,
    user: CurrentUser,
    path: axum::extract::Path<String>,
    query: axum::extract::RawQuery,
) -> AppResult<Response> {
    match side(&state, user.center_id).await? {
        Side::City => open::overview(state, user, path, query).await,
        Side::County { city } => nominate::county_round(state, user, city, path, query).await,
    }
}

/// A reason written in a box (up to 2,000 字), which may not be left empty: `empty` says
/// what to write.
pub(crate) fn written(
    empty: &'static str,
) -> impl FnOnce(&str) -> Result<String, super::form::FieldError> {
    move |raw| {
        let t = crate::domain::text::account(raw, 2000, 2000)?;
        if t.is_empty() {
            return Err(super::form::FieldError::Message(empty.to_string()));
        }
        Ok(t)
    }
}
