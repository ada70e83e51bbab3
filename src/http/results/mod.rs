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
mod notice;
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
        .get("/results/{code}/notice", read, notice::notice_page)
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

/// A period's recount input, results and entrant names, as [`shared_results`] keeps them.
pub struct Decoded {
    pub input: PeriodInput,
    pub result: PeriodResult,
    pub names: db::period::EntrantNames,
    /// The results page's charts, drawn by the first request that shows them (a published
    /// period's ballots and scores no longer change).
    pub charts: tokio::sync::OnceCell<charts::Charts>,
    /// The results page's candidates, coverage and order of the others of each kind, built
    /// by the first request that shows them.
    pub kinds: std::sync::OnceLock<[page::KindBase; 2]>,
}

/// The published periods whose results this process has decoded (the largest center of a
/// province has thousands of entrants: decoding its stored files takes longer than a page
/// may).
pub const PUBLISHED_KEPT: usize = 16;

/// [`period_results`] for the pages that only read them: a published period's from this
/// process's cache while its row is unchanged (a correction changes it), a period in
/// review's computed again (its decisions may have changed).
pub async fn shared_results(
    state: &AppState,
    center_id: CenterId,
    p: &db::period::PeriodRow,
) -> AppResult<std::sync::Arc<Decoded>> {
    let decode = async || -> AppResult<Decoded> {
        let (input, result, names) = period_results(state, center_id, p).await?;
        Ok(Decoded {
            input,
            result,
            names,
            charts: tokio::sync::OnceCell::new(),
            kinds: std::sync::OnceLock::new(),
        })
    };
    if p.phase != crate::domain::period::Phase::Published {
        return Ok(std::sync::Arc::new(decode().await?));
    }
    let version = {
        let mut conn = state.db.acquire().await?;
        db::snapshot::version(&mut conn, p.period_id).await?
    };
    state
        .published
        .get_or_load(p.period_id, version, decode)
        .await
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

/// A candidate's year as the rating page and the results show it beside the scores: the
/// honors of the year ("2026年3月文明服务标兵、…", or "—") and the monthly scores
/// ("1月 96.50　2月 95.00 …").
#[derive(Clone)]
pub struct RecordView {
    pub honors: String,
    pub scores: String,
}

impl RecordView {
    pub fn of(r: Option<&db::honor::YearRecord>) -> RecordView {
        let Some(r) = r else {
            return RecordView {
                honors: "—".into(),
                scores: "—".into(),
            };
        };
        let honors: Vec<String> = r
            .honors
            .iter()
            .map(|(code, title)| format!("{}{title}", crate::domain::period::period_label(code)))
            .collect();
        let scores: Vec<String> = r
            .scores
            .iter()
            .map(|(m, h)| {
                let month = m.get(5..).and_then(|m| m.parse::<u8>().ok()).unwrap_or(0);
                format!("{month}月 {}", crate::scoring::Fixed2(i64::from(*h)))
            })
            .collect();
        RecordView {
            honors: if honors.is_empty() {
                "—".into()
            } else {
                honors.join("、")
            },
            scores: if scores.is_empty() {
                "—".into()
            } else {
                scores.join("　")
            },
        }
    }
}

/// The year records of a period's candidates (a year's period only: an empty map for the
/// others), keyed by recount id.
pub async fn candidate_records(
    conn: &mut sqlx::PgConnection,
    center_id: crate::domain::ids::CenterId,
    p: &db::period::PeriodRow,
    candidates: &[String],
) -> sqlx::Result<std::collections::HashMap<String, db::honor::YearRecord>> {
    if p.code.len() != 4 {
        return Ok(Default::default());
    }
    let ids = |prefix: char| -> Vec<i64> {
        candidates
            .iter()
            .filter_map(|c| c.strip_prefix(prefix)?.parse().ok())
            .collect()
    };
    db::honor::year_records(
        conn,
        center_id,
        p.period_id,
        &p.code,
        &p.months,
        &ids('W'),
        &ids('S'),
    )
    .await
}

/// What became of an entrant in a period, in words: the title won, 候选对象, 参评, or
/// 不符合参评条件 with why (`min_days`: the period's duty-day minimum).
pub fn outcome(e: &crate::scoring::EntrantResult, title: &str, min_days: &str) -> String {
    if e.winner {
        title.to_string()
    } else if e.candidate {
        "候选对象".to_string()
    } else if e.eligible {
        "参评".to_string()
    } else {
        let why: Vec<String> = e.reasons.iter().map(|r| r.label(min_days)).collect();
        format!("不符合参评条件（{}）", why.join("、"))
    }
}

/// An entrant's line of a published period, from its stored entry (SPEC.md §5), as the
/// person's own page and the year page show it.
pub struct EntryView {
    pub period: String,
    pub assessment: String,
    pub total: String,
    pub rank: String,
    pub outcome: String,
    pub won: bool,
}

impl EntryView {
    pub fn of(code: &str, title: &str, entry: &serde_json::Value, min_days: &str) -> EntryView {
        let period = crate::domain::period::period_label(code);
        let none = || "—".to_string();
        match serde_json::from_value::<crate::scoring::EntrantResult>(entry.clone()) {
            Ok(e) => EntryView {
                period,
                assessment: e.assessment.map_or_else(none, |a| a.to_string()),
                total: e.total.map_or_else(none, |t| t.to_string()),
                rank: e.final_rank.map_or_else(none, |r| format!("第{r}名")),
                outcome: outcome(&e, title, min_days),
                won: e.winner,
            },
            Err(_) => EntryView {
                period,
                assessment: none(),
                total: none(),
                rank: none(),
                outcome: none(),
                won: false,
            },
        }
    }
}
