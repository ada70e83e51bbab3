//! Candidates (候选对象), computed by the scoring module

use crate::db;
use crate::domain::period::period_label as label_of;
use crate::http::AppState;
use crate::http::error::AppResult;
use crate::http::extract::PeriodCtx;
use crate::http::page::{self, Layout};
use crate::http::urls;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

pub struct CandidateRow {
    pub rank: String,
    pub name: String,
    pub detail: String,
    pub assessment: String,
    pub status: &'static str,
    pub reasons: String,
    pub candidate: bool,
    pub tied: bool,
}

pub struct CandidateTable {
    pub title: &'static str,
    pub note: String,
    pub rows: Vec<CandidateRow>,
}

#[derive(Template)]
#[template(path = "periods/candidates.html")]
struct CandidatesPage {
    layout: Layout,
    label: String,
    period_url: String,
    phase: &'static str,
    tables: Vec<CandidateTable>,
    problem: Option<String>,
}

fn candidate_table(
    title: &'static str,
    count: &crate::scoring::Number,
    k: &crate::scoring::KindResult,
    names: &db::period::EntrantNames,
    min_days: &str,
) -> CandidateTable {
    let mut ranked: Vec<&crate::scoring::EntrantResult> = k.entrants.iter().collect();
    ranked.sort_by_key(|e| (e.assessment_rank.is_none(), e.assessment_rank, !e.eligible));
    let rank_count = |r: Option<u32>| {
        k.entrants
            .iter()
            .filter(|e| r.is_some() && e.assessment_rank == r)
            .count()
    };
    let rows = ranked
        .into_iter()
        .map(|e| {
            let (name, detail, _) = names
                .names
                .get(&e.id)
                .cloned()
                .unwrap_or_else(|| (e.id.clone(), String::new(), String::new()));
            CandidateRow {
                rank: e
                    .assessment_rank
                    .map(|r| format!("第{r}名"))
                    .unwrap_or_else(|| "—".to_string()),
                name,
                detail,
                assessment: e
                    .assessment
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "—".to_string()),
                status: if e.candidate {
                    "候选对象"
                } else if e.eligible {
                    "未入围"
                } else {
                    "不符合条件"
                },
                reasons: e
                    .reasons
                    .iter()
                    .map(|r| r.label(min_days))
                    .collect::<Vec<_>>()
                    .join("、"),
                candidate: e.candidate,
                tied: rank_count(e.assessment_rank) > 1,
            }
        })
        .collect();
    let quota: i64 = count.whole().unwrap_or(0);
    // Windows are counted in 个, people in 人.
    let unit = if title == "工作人员" {
        "人"
    } else {
        "个"
    };
    let note = if k.candidates.len() as i64 > quota {
        format!(
            "候选{title} {quota} {unit}；因分数并列，候选对象共 {} {unit}。",
            k.candidates.len()
        )
    } else {
        format!(
            "候选{title} {quota} {unit}，已确定 {} {unit}。",
            k.candidates.len()
        )
    };
    CandidateTable { title, note, rows }
}

/// The period's candidate tables as computed now (windows, then staff), or why they
/// cannot be computed.
pub(super) async fn candidate_tables(
    state: &AppState,
    user: &crate::http::extract::CurrentUser,
    p: &db::period::PeriodRow,
) -> AppResult<Result<Vec<CandidateTable>, String>> {
    let (input, names) = {
        let mut conn = state.db.acquire().await?;
        db::results::round_input(&mut conn, user.center_id, p).await?
    };
    let min_days = p.rules.min_duty_days.to_string();
    Ok(match crate::scoring::compute(&input) {
        Ok(result) => Ok(vec![
            candidate_table(
                "窗口",
                &p.rules.window.candidates,
                &result.window,
                &names,
                &min_days,
            ),
            candidate_table(
                "工作人员",
                &p.rules.staff.candidates,
                &result.staff,
                &names,
                &min_days,
            ),
        ]),
        Err(refusal) => {
            tracing::error!(period = %p.code, refusal = %refusal, "period data refused by the scoring module");
            Err("本周期数据有误，暂时无法计算候选对象，请联系系统管理员。".to_string())
        }
    })
}

pub(super) async fn candidates(
    State(state): State<AppState>,
    ctx: PeriodCtx,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let (tables, problem) = match candidate_tables(&state, &user, &p).await? {
        Ok(tables) => (tables, None),
        Err(problem) => (Vec::new(), Some(problem)),
    };
    Ok(page::ok(&CandidatesPage {
        layout: Layout::new(
            format!("{} 候选对象", label_of(&p.code)),
            Some(&user),
            urls::PERIODS,
        ),
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        phase: p.phase.label(),
        tables,
        problem,
    }))
}
