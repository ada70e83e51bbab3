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

fn candidate_table(
    title: &'static str,
    count: &crate::scoring::Number,
    k: &crate::scoring::KindResult,
    names: &db::period::EntrantNames,
    min_days: &str,
    others_page: i64,
) -> CandidateTable {
    let kind = if title == "工作人员" {
        "staff"
    } else {
        "window"
    };
    let mut ranked: Vec<&crate::scoring::EntrantResult> = k.entrants.iter().collect();
    ranked.sort_by_key(|e| (e.assessment_rank.is_none(), e.assessment_rank, !e.eligible));
    let mut per_rank: std::collections::HashMap<u32, usize> = Default::default();
    for r in k.entrants.iter().filter_map(|e| e.assessment_rank) {
        *per_rank.entry(r).or_default() += 1;
    }
    let rank_count = |r: Option<u32>| r.map_or(0, |r| per_rank.get(&r).copied().unwrap_or(0));
    let (candidates, others): (Vec<_>, Vec<_>) = ranked.into_iter().partition(|e| e.candidate);
    let others_total = others.len();
    let at = page::PageOf::new(others_total, OTHERS_PAGE, others_page);
    let param = if kind == "staff" { "sp" } else { "wp" };
    let link = |n: i64| format!("?{param}={n}#{kind}");
    let rows = candidates
        .into_iter()
        .chain(others.into_iter().skip(at.skipped).take(at.shown))
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

/// The period's candidate tables as computed now (windows, then staff), or why they
/// cannot be computed.
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
                others_page("wp"),
            ),
            candidate_table(
                "工作人员",
                &p.rules.staff.candidates,
                &result.staff,
                &names,
                &min_days,
                others_page("sp"),
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
    use super::{OTHERS_PAGE, candidate_table};

    #[test]
    fn every_candidate_and_one_page_of_the_others_are_listed() {
        // 250 windows of one month, every score different, 3 candidates.
        let (_, result) = crate::scoring::windows_of_one_month(250, 3);
        let names = crate::db::period::EntrantNames::default();
        let count: crate::scoring::Number = serde_json::from_str("3").unwrap();
        let table = |page| candidate_table("窗口", &count, &result.window, &names, "0", page);
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
