//! Candidates (候选对象), computed by the scoring module

use crate::db;
use crate::domain::period::period_label as label_of;
use crate::http::AppState;
use crate::http::error::AppResult;
use crate::http::extract::PeriodCtx;
use crate::http::page::{self, Layout};
use crate::http::urls;
use askama::Template;
use axum::extract::{RawQuery, State};
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
    /// `window` or `staff`: the anchor of the table and its paging.
    pub kind: &'static str,
    pub note: String,
    /// Every candidate, then one page of the others ([`OTHERS_PAGE`]).
    pub rows: Vec<CandidateRow>,
    pub others_total: usize,
    pub others_page: i64,
    pub others_pages: i64,
    pub others_prev: Option<String>,
    pub others_next: Option<String>,
}

/// The entrants who are not candidates listed on one page (a province's largest center has
/// 7,200 entrants).
pub const OTHERS_PAGE: usize = 100;

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

/// One kind of a computed round in the order its table lists it: the candidates, then the
/// others (assessment rank, the eligible before the others of a rank), with whether each
/// row's rank is shared. Built once per kept round, not per request.
pub struct KindOrder {
    /// Indexes into the kind's `entrants`, in table order.
    ranked: Vec<usize>,
    /// How many of `ranked` (the first ones) are candidates.
    candidates: usize,
    /// By index into `entrants`: another entrant has the same assessment rank.
    tied: Vec<bool>,
}

impl KindOrder {
    pub fn of(k: &crate::scoring::KindResult) -> KindOrder {
        let mut ranked: Vec<usize> = (0..k.entrants.len()).collect();
        let e = &k.entrants;
        ranked.sort_by_key(|&i| {
            (
                !e[i].candidate,
                e[i].assessment_rank.is_none(),
                e[i].assessment_rank,
                !e[i].eligible,
            )
        });
        let mut per_rank: std::collections::HashMap<u32, usize> = Default::default();
        for r in e.iter().filter_map(|e| e.assessment_rank) {
            *per_rank.entry(r).or_default() += 1;
        }
        let tied = e
            .iter()
            .map(|e| {
                e.assessment_rank
                    .is_some_and(|r| per_rank.get(&r).copied().unwrap_or(0) > 1)
            })
            .collect();
        KindOrder {
            candidates: e.iter().filter(|e| e.candidate).count(),
            ranked,
            tied,
        }
    }
}

fn candidate_table(
    title: &'static str,
    count: &crate::scoring::Number,
    k: &crate::scoring::KindResult,
    order: &KindOrder,
    names: &db::period::EntrantNames,
    min_days: &str,
    others_page: i64,
) -> CandidateTable {
    let kind = if title == "工作人员" {
        "staff"
    } else {
        "window"
    };
    let (candidates, others) = order.ranked.split_at(order.candidates);
    let others_total = others.len();
    let at = page::PageOf::new(others_total, OTHERS_PAGE, others_page);
    let param = if kind == "staff" { "sp" } else { "wp" };
    let link = |n: i64| format!("?{param}={n}#{kind}");
    let rows = candidates
        .iter()
        .chain(others.iter().skip(at.skipped).take(at.shown))
        .map(|&i| {
            let e = &k.entrants[i];
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
                tied: order.tied[i],
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
    CandidateTable {
        title,
        kind,
        note,
        rows,
        others_total,
        others_page: at.page,
        others_pages: at.pages,
        others_prev: (at.page > 1).then(|| link(at.page - 1)),
        others_next: (at.page < at.pages).then(|| link(at.page + 1)),
    }
}

/// A period's round as its candidates page shows it: computed from the period's data (or
/// why the scoring module refused them), with the names and the tables' order.
pub struct CandidateRound {
    computed: Result<(crate::scoring::PeriodResult, [KindOrder; 2]), String>,
    names: db::period::EntrantNames,
}

impl CandidateRound {
    fn compute(
        code: &str,
        input: &crate::scoring::PeriodInput,
        names: db::period::EntrantNames,
    ) -> CandidateRound {
        let computed = match crate::scoring::compute(input) {
            Ok(result) => {
                let order = [KindOrder::of(&result.window), KindOrder::of(&result.staff)];
                Ok((result, order))
            }
            Err(refusal) => {
                tracing::error!(period = %code, refusal = %refusal, "period data refused by the scoring module");
                Err("本周期数据有误，暂时无法计算候选对象，请联系系统管理员。".to_string())
            }
        };
        CandidateRound { computed, names }
    }
}

/// Rounds whose input is frozen (confirmed candidates, to publication and after) kept by
/// this process, by period and version of the period row: the largest center of a
/// province has 7,200 entrants, and computing its round took 20 ms of a core per request.
pub const ROUNDS_KEPT: usize = 16;

/// The period's round: once its candidates are confirmed its input no longer changes but
/// with the row (a correction), so it is computed once per version of the row; before,
/// from the scores as they are now.
async fn round(
    state: &AppState,
    center_id: crate::domain::ids::CenterId,
    p: &db::period::PeriodRow,
) -> AppResult<std::sync::Arc<CandidateRound>> {
    let load = async || -> AppResult<CandidateRound> {
        let mut conn = state.db.acquire().await?;
        let (input, names) = db::results::round_input(&mut conn, center_id, p).await?;
        drop(conn);
        Ok(CandidateRound::compute(&p.code, &input, names))
    };
    let frozen = {
        let mut conn = state.db.acquire().await?;
        db::results::frozen_version(&mut conn, center_id, p.period_id).await?
    };
    match frozen {
        Some(version) => state.rounds.get_or_load(p.period_id, version, load).await,
        None => Ok(std::sync::Arc::new(load().await?)),
    }
}

/// The period's candidate tables (windows, then staff), or why they cannot be computed.
pub(super) async fn candidate_tables(
    state: &AppState,
    user: &crate::http::extract::CurrentUser,
    p: &db::period::PeriodRow,
    query: Option<&str>,
) -> AppResult<Result<Vec<CandidateTable>, String>> {
    let q = crate::http::form::FormData::parse_query(query.unwrap_or(""));
    let others_page = |param: &str| -> i64 {
        q.first_utf8(param)
            .and_then(|v| v.parse().ok())
            .unwrap_or(1)
    };
    let round = round(state, user.center_id, p).await?;
    let min_days = p.rules.min_duty_days.to_string();
    Ok(match &round.computed {
        Ok((result, [windows, staff])) => Ok(vec![
            candidate_table(
                "窗口",
                &p.rules.window.candidates,
                &result.window,
                windows,
                &round.names,
                &min_days,
                others_page("wp"),
            ),
            candidate_table(
                "工作人员",
                &p.rules.staff.candidates,
                &result.staff,
                staff,
                &round.names,
                &min_days,
                others_page("sp"),
            ),
        ]),
        Err(problem) => Err(problem.clone()),
    })
}

pub(super) async fn candidates(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let (tables, problem) = match candidate_tables(&state, &user, &p, query.as_deref()).await? {
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

#[cfg(test)]
mod tests {
    use super::{KindOrder, OTHERS_PAGE, candidate_table};

    #[test]
    fn every_candidate_and_one_page_of_the_others_are_listed() {
        // 250 windows of one month, every score different, 3 candidates.
        let (_, result) = crate::scoring::windows_of_one_month(250, 3);
        let names = crate::db::period::EntrantNames::default();
        let count: crate::scoring::Number = serde_json::from_str("3").unwrap();
        let order = KindOrder::of(&result.window);
        let table =
            |page| candidate_table("窗口", &count, &result.window, &order, &names, "0", page);
        let first = table(1);
        assert_eq!(first.others_total, 247);
        assert_eq!(first.others_pages, 3);
        assert_eq!(first.rows.len(), 3 + OTHERS_PAGE);
        assert!(first.rows[..3].iter().all(|r| r.candidate));
        assert_eq!(first.rows[0].rank, "第1名");
        assert_eq!(first.others_next.as_deref(), Some("?wp=2#window"));
        // Every other once over the pages, the candidates on each.
        let mut seen = Vec::new();
        for page in 1..=3 {
            let t = table(page);
            assert_eq!(t.rows.iter().filter(|r| r.candidate).count(), 3);
            seen.extend(t.rows.into_iter().filter(|r| !r.candidate).map(|r| r.name));
        }
        assert_eq!(seen.len(), 247);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 247);
        let last = table(99);
        assert_eq!(last.others_page, 3);
        assert_eq!(last.rows.len(), 3 + 47);
        assert_eq!(last.others_next, None);
    }
}
