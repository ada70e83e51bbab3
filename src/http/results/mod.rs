//! Results (评选结果): every candidate's A, D, C, total, final rank, flags and outcome, the
//! others with their reasons, the coverage of departments, business areas and positions,
//! the group leader's tie decisions, and the recount exports.

use super::AppState;
use super::error::{AppError, AppResult};
use super::routes::{Access, Routes};
use super::urls;
use crate::db;
use crate::domain::Role;
use crate::domain::ids::CenterId;
use crate::scoring::{PeriodInput, PeriodResult};

mod charts;
mod decide;
mod entrant;
mod exports;
mod page;
mod publish;

const READERS: &[Role] = &[Role::Admin, Role::Supervision, Role::Leadership];

pub fn routes(r: Routes) -> Routes {
    let read = Access::Roles(READERS);
    let leader = Access::GroupLeader;
    r.get(urls::RESULTS, read, page::results_list)
        .get("/results/{code}", read, page::results_page)
        .get("/results/{code}/recount.json", read, exports::recount_json)
        .get("/results/{code}/results.json", read, exports::results_json)
        .get("/results/{code}/entrants/{id}", read, entrant::entrant_page)
        .get("/results/{code}/scores.xlsx", read, exports::scores_xlsx)
        .get("/results/{code}/results.xlsx", read, exports::results_xlsx)
        .post("/results/{code}/decision", leader, decide::decide)
        .get("/results/{code}/publish", leader, publish::publish_page)
        .post("/results/{code}/publish", leader, publish::publish)
}

/// The period's recount input and results: as stored when published, computed from the
/// locked data in review. The 404 page before review.
pub async fn period_results(
    state: &AppState,
    center_id: CenterId,
    p: &db::period::PeriodRow,
) -> AppResult<(PeriodInput, PeriodResult, db::period::EntrantNames)> {
    let mut conn = state.db.acquire().await?;
    match db::results::results_of(&mut conn, center_id, p).await {
        Ok(found) => Ok(found),
        Err(db::results::ResultsError::NotReady) => Err(AppError::NotFound),
        Err(db::results::ResultsError::Db(e)) => Err(e.into()),
        Err(db::results::ResultsError::Invalid(msg)) => Err(AppError::Internal(anyhow::anyhow!(
            "period {}: {msg}",
            p.code
        ))),
    }
}

/// A scoring flag in words, or nothing when the period (whose `phases` these are) has no
/// such phase: a monthly period takes no ballots or ratings, so "no ballots" would say
/// nothing true there.
pub(super) fn flag_word(
    f: &crate::scoring::Flag,
    phases: &[crate::domain::period::Phase],
) -> Option<&'static str> {
    use crate::domain::period::Phase;
    match f {
        crate::scoring::Flag::NoEligibleBallots => {
            phases.contains(&Phase::Voting).then_some("无有效推荐票")
        }
        crate::scoring::Flag::NoRatings => phases.contains(&Phase::Rating).then_some("无评分"),
    }
}
