//! How one entrant's score was made: months, ballots, ratings and history.

use super::charts::ChartView;
use super::charts::history_chart;
use super::exports::ballot_counts;
use super::page::f2;
use crate::db;
use crate::domain::ids::Entrant;
use crate::domain::period::month_label;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::PeriodCtx;
use crate::http::page::{self, Layout};
use crate::http::urls;
use crate::scoring::{self, Kind, Reason};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

#[derive(Template)]
#[template(path = "results/entrant.html")]
struct EntrantPage {
    layout: Layout,
    history: Option<ChartView>,
    label: String,
    back: String,
    name: String,
    detail: String,
    reasons: Vec<String>,
    months: Vec<(String, String)>,
    assessment: String,
    ballots: Option<(i64, i64, i64, String)>,
    ratings: Vec<(String, bool)>,
    trimmed: bool,
    comprehensive: String,
    weights: (String, String, String),
    total: String,
    rank: String,
    outcome: &'static str,
    /// By the 100-point score alone (no ballots, no ratings): the total is the assessment.
    assessment_only: bool,
    /// The entrant's year page (年度档案).
    record_url: Option<String>,
}

pub(super) async fn entrant_page(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    Path((_, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let decoded = super::shared_results(&state, user.center_id, &p).await?;
    let (input, result, names) = (&decoded.input, &decoded.result, &decoded.names);
    let entrant = result
        .window
        .entrants
        .iter()
        .chain(&result.staff.entrants)
        .find(|e| e.id == id)
        .ok_or(AppError::NotFound)?;
    let kind = if id.starts_with('W') {
        Kind::Window
    } else {
        Kind::Staff
    };
    let (name, detail, _) = names
        .names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| (id.clone(), String::new(), String::new()));
    let min_days = p.rules.min_duty_days.to_string();
    // The monthly scores as the recount has them.
    let scores = input
        .windows
        .iter()
        .find(|w| w.id == id)
        .map(|w| &w.scores)
        .or_else(|| input.staff.iter().find(|s| s.id == id).map(|s| &s.scores));
    let mut months: Vec<(String, String)> = scores
        .map(|e| {
            e.0.iter()
                .map(|(m, v)| (m.to_string(), v.raw().to_string()))
                .collect()
        })
        .unwrap_or_default();
    // D: recommendations over the ballots of the other windows' heads.
    let phases = crate::domain::period::Phase::of(&p.rules);
    let ballots = ballot_counts(input, kind, &id)
        .filter(|_| phases.contains(&crate::domain::period::Phase::Voting))
        .map(|(recs, base, own)| (recs, base, own, f2(entrant.democratic)));
    // C: the ratings, lowest first, with the trimmed extremes marked.
    let mut ratings: Vec<i64> = input
        .ratings
        .iter()
        .filter(|r| r.subject == id)
        .filter_map(|r| r.score.hundredths().ok())
        .collect();
    ratings.sort();
    let trim_from = p.rules.trim_extremes_from.whole().unwrap_or(0);
    let trimmed = trim_from > 0 && ratings.len() as i64 >= trim_from;
    let last = ratings.len().saturating_sub(1);
    let ratings = ratings
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                scoring::Fixed2(*r).to_string(),
                trimmed && (i == 0 || i == last),
            )
        })
        .collect();
    let who = id
        .get(1..)
        .and_then(|n| n.parse::<i64>().ok())
        .map(|n| Entrant::of(kind, n));
    let record_url = who.map(|w| crate::http::records::url(&p.code[..4], w));
    let (history, not_assessed) = match who {
        Some(who) => {
            let mut conn = state.db.acquire().await?;
            let last = p.months.last().cloned().unwrap_or_default();
            (
                history_chart(&mut conn, user.center_id, who, &last).await?,
                db::not_assessed::reasons(&mut conn, user.center_id, who, &p.months).await?,
            )
        }
        None => (None, Vec::new()),
    };
    // The months without a score say why, here and beside "无考核分数".
    let why: Vec<String> = not_assessed
        .iter()
        .map(|(m, r)| format!("{}未参加考核（{r}）", month_label(m)))
        .collect();
    months.extend(
        not_assessed
            .iter()
            .map(|(m, r)| (m.clone(), format!("未参加考核（{r}）"))),
    );
    // By month code (2026-02 before 2026-10), then named.
    months.sort();
    let months: Vec<(String, String)> = months
        .into_iter()
        .map(|(m, v)| (month_label(&m), v))
        .collect();
    let weights = &p.rules.weights;
    let assessment_only = phases.len() == 4;
    let label = crate::domain::period::period_label(&p.code);
    Ok(page::ok(&EntrantPage {
        layout: Layout::new(format!("{name} 得分构成"), Some(&user), urls::PERIODS),
        history,
        back: format!("/results/{}#{}", p.code, kind.as_str()),
        label,
        name,
        detail,
        reasons: entrant
            .reasons
            .iter()
            .map(|r| match r {
                Reason::NoAssessment if !why.is_empty() => {
                    format!("{}：{}", r.label(&min_days), why.join("，"))
                }
                _ => r.label(&min_days),
            })
            .collect(),
        months,
        assessment: f2(entrant.assessment),
        ballots: entrant.candidate.then_some(ballots).flatten(),
        ratings: if entrant.candidate {
            ratings
        } else {
            Vec::new()
        },
        trimmed,
        comprehensive: f2(entrant.comprehensive),
        weights: (
            weights.assessment.to_string(),
            weights.democratic.to_string(),
            weights.comprehensive.to_string(),
        ),
        total: f2(entrant.total),
        rank: entrant
            .final_rank
            .map(|r| format!("第{r}名"))
            .unwrap_or_else(|| "—".to_string()),
        outcome: if entrant.winner {
            "当选"
        } else if entrant.candidate {
            "未当选"
        } else {
            "非候选对象"
        },
        assessment_only,
        record_url,
    }))
}
