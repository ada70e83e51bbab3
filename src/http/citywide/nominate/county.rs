//! The county's page of a round: the notice with its deadline, the county's places and
//! conditions, and its own nominations.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use super::county_round_of;
use crate::db::citywide::nomination as nom;
use crate::db::citywide::{self, Condition, Round};
use crate::domain::ids::CenterId;
use crate::http::AppState;
use crate::http::error::AppResult;
use crate::http::extract::CurrentUser;
use crate::http::form::FormData;
use crate::http::page::{self, Layout};
use crate::http::urls;
use crate::scoring::Kind;

/// A nomination of the county's as listed.
pub struct NominationItem {
    pub entrant: String,
    pub detail: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub submitted: String,
    pub url: String,
}

/// A condition as the county reads it.
pub struct ConditionItem {
    pub text: String,
    pub how: String,
}

#[derive(Template)]
#[template(path = "citywide/county.html")]
struct CountyPage {
    layout: Layout,
    round: Round,
    deadline: String,
    closed: bool,
    windows_quota: i32,
    staff_quota: i32,
    windows_held: usize,
    staff_held: usize,
    window_conditions: Vec<ConditionItem>,
    staff_conditions: Vec<ConditionItem>,
    nominations: Vec<NominationItem>,
    new_window: String,
    new_staff: String,
}

fn condition_items(conditions: Vec<Condition>) -> Vec<ConditionItem> {
    conditions
        .into_iter()
        .map(|c| ConditionItem {
            how: c
                .rule
                .map_or("申报单位提供证明材料或说明".to_string(), |r| {
                    r.describe()
                }),
            text: c.text,
        })
        .collect()
}

/// `/citywide/{year}` for a county: the notice, its places and its nominations.
pub(crate) async fn county_round(
    State(state): State<AppState>,
    user: CurrentUser,
    _city: CenterId,
    Path(year): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let (county, round) = county_round_of(&state, &user, &year).await?;
    let mut conn = state.db.acquire().await?;
    let list = nom::list(&mut conn, round.id, county).await?;
    let held = |kind: Kind| {
        list.iter()
            .filter(|n| n.kind == kind && n.status.holds_place())
            .count()
    };
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    let page = CountyPage {
        layout: Layout::new(round.title.clone(), Some(&user), urls::CITYWIDE).with_notice(&q),
        deadline: crate::domain::format_datetime(Some(round.deadline)),
        closed: state.clock.now() >= round.deadline,
        windows_quota: citywide::quota(&mut conn, round.id, county, Kind::Window).await?,
        staff_quota: citywide::quota(&mut conn, round.id, county, Kind::Staff).await?,
        windows_held: held(Kind::Window),
        staff_held: held(Kind::Staff),
        window_conditions: condition_items(
            citywide::conditions(&mut conn, round.id, Kind::Window).await?,
        ),
        staff_conditions: condition_items(
            citywide::conditions(&mut conn, round.id, Kind::Staff).await?,
        ),
        nominations: list
            .iter()
            .map(|n| NominationItem {
                entrant: n.entrant.clone(),
                detail: n.detail.clone(),
                kind: n.kind.noun(),
                status: n.status.label(),
                submitted: crate::domain::format_datetime(n.submitted_at).replace("从未登录", ""),
                url: urls::nomination(round.year, n.id),
            })
            .collect(),
        new_window: format!("{}/nominations/new?kind=window", urls::citywide(round.year)),
        new_staff: format!("{}/nominations/new?kind=staff", urls::citywide(round.year)),
        round,
    };
    Ok(page::ok(&page))
}
