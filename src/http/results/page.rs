//! The results page of one period and the list of periods with results.

use super::charts::{ChartView, distribution, turnout_chart};
use super::period_results;
use crate::db;
use crate::domain::Role;
use crate::domain::period::Phase;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{CurrentUser, PeriodCtx};
use crate::http::form::{Errors, FormData};
use crate::http::page::{self, Layout};
use crate::http::routes::{Access, Principal};
use crate::http::urls;
use crate::scoring::{self, Flag, Kind, KindResult, Reason};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

pub struct ResultRow {
    pub url: String,
    pub rank: String,
    pub name: String,
    pub detail: String,
    pub assessment: String,
    pub democratic: String,
    pub comprehensive: String,
    pub total: String,
    pub flags: String,
    pub outcome: &'static str,
    pub winner: bool,
}

pub struct OtherRow {
    pub name: String,
    pub detail: String,
    pub assessment: String,
    pub note: String,
}

pub struct TieChoice {
    pub id: String,
    pub name: String,
}

pub struct KindView {
    pub kind: &'static str,
    pub title: &'static str,
    pub award: &'static str,
    pub candidates: Vec<ResultRow>,
    pub others: Vec<OtherRow>,
    pub coverage: Vec<(&'static str, Vec<(String, usize)>)>,
    pub coverage_warning: Option<String>,
    pub tie: Vec<TieChoice>,
    pub decided: Vec<String>,
}

pub(super) fn f2(v: Option<scoring::Fixed2>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "—".to_string())
}

fn kind_view(
    kind: &'static str,
    k: &KindResult,
    names: &db::period::EntrantNames,
    min_days: &str,
) -> KindView {
    let name = |id: &str| {
        names
            .names
            .get(id)
            .cloned()
            .unwrap_or_else(|| (id.to_string(), String::new(), String::new()))
    };
    let mut candidates: Vec<&scoring::EntrantResult> =
        k.entrants.iter().filter(|e| e.candidate).collect();
    candidates.sort_by_key(|e| e.final_rank);
    let rows = candidates
        .iter()
        .map(|e| {
            let (n, detail, _) = name(&e.id);
            let tied = k.unresolved_tie.contains(&e.id);
            ResultRow {
                url: format!("entrants/{}", e.id),
                rank: e.final_rank.map(|r| format!("第{r}名")).unwrap_or_default(),
                name: n,
                detail,
                assessment: f2(e.assessment),
                democratic: f2(e.democratic),
                comprehensive: f2(e.comprehensive),
                total: f2(e.total),
                flags: e
                    .flags
                    .iter()
                    .map(|f| match f {
                        Flag::NoEligibleBallots => "无有效推荐票",
                        Flag::NoRatings => "无评分",
                    })
                    .collect::<Vec<_>>()
                    .join("、"),
                outcome: if k.decided.contains(&e.id) {
                    "当选（领导小组审定）"
                } else if e.winner {
                    "当选"
                } else if tied {
                    "并列待定"
                } else {
                    "未当选"
                },
                winner: e.winner,
            }
        })
        .collect();
    let mut others: Vec<&scoring::EntrantResult> =
        k.entrants.iter().filter(|e| !e.candidate).collect();
    others.sort_by_key(|e| (!e.eligible, e.assessment_rank));
    let others = others
        .into_iter()
        .map(|e| {
            let (n, detail, _) = name(&e.id);
            OtherRow {
                name: n,
                detail,
                assessment: f2(e.assessment),
                note: if e.eligible {
                    format!("未入围（考核第{}名）", e.assessment_rank.unwrap_or(0))
                } else {
                    e.reasons
                        .iter()
                        .map(|r| match r {
                            Reason::Vetoed => "一票否决".to_string(),
                            Reason::InsufficientDutyDays => format!("在岗不足 {min_days} 天"),
                            Reason::NoAssessment => "无考核分数".to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join("、")
                },
            }
        })
        .collect();
    // 代表性: winners by business area and department (windows), by position and window
    // (staff); a warning when every winner comes from one group of an axis.
    // Which part of an entrant's name triple each axis reads: 1 = department or window,
    // 2 = business area or position.
    let axes: [(&str, usize); 2] = if kind == "window" {
        [("业务范围", 2), ("进驻单位", 1)]
    } else {
        [("岗位", 2), ("窗口", 1)]
    };
    let mut coverage = Vec::new();
    let mut narrow = Vec::new();
    for (axis, field) in axes {
        let mut groups: Vec<(String, usize)> = Vec::new();
        for id in &k.winners {
            let n = name(id);
            let key = if field == 1 { n.1 } else { n.2 };
            match groups.iter_mut().find(|(g, _)| *g == key) {
                Some(c) => c.1 += 1,
                None => groups.push((key, 1)),
            }
        }
        groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if k.winners.len() >= 3 && groups.len() <= 1 {
            narrow.push(axis);
        }
        coverage.push((axis, groups));
    }
    let coverage_warning = (!narrow.is_empty()).then(|| {
        format!(
            "当选者全部来自同一{}，代表性不足，建议领导小组审定时予以考虑。",
            narrow.join("、")
        )
    });
    KindView {
        kind,
        title: if kind == "window" {
            "窗口"
        } else {
            "工作人员"
        },
        award: if kind == "window" {
            "优质服务窗口"
        } else {
            "优秀服务标兵"
        },
        candidates: rows,
        others,
        coverage,
        coverage_warning,
        tie: k
            .unresolved_tie
            .iter()
            .map(|id| TieChoice {
                id: id.clone(),
                name: name(id).0,
            })
            .collect(),
        decided: k.decided.iter().map(|id| name(id).0).collect(),
    }
}

/// What a correction changed, in words: a veto added, or monthly scores corrected.
fn correction_text(
    change: &serde_json::Value,
    name_of: &dyn Fn(&serde_json::Value) -> String,
) -> String {
    if let Some(scores) = change["scores"].as_array() {
        let list: Vec<String> = scores
            .iter()
            .map(|s| {
                format!(
                    "{} {} {} → {}",
                    name_of(&s["entrant"]),
                    crate::domain::period::month_label(s["month"].as_str().unwrap_or("")),
                    s["before"].as_str().unwrap_or("（空）"),
                    s["after"].as_str().unwrap_or("")
                )
            })
            .collect();
        return format!("更正月度考核分数：{}", list.join("；"));
    }
    format!(
        "对 {} 登记一票否决：{}",
        name_of(&change["veto"]["entrant"]),
        change["veto"]["description"].as_str().unwrap_or("")
    )
}

/// A correction as the results page lists it.
pub struct CorrectionView {
    pub when: String,
    pub by: String,
    pub reason: String,
    pub what: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "results/results.html")]
struct ResultsPage {
    layout: Layout,
    /// Distribution of assessment scores per kind: (title, svg, table rows).
    distributions: Vec<ChartView>,
    turnout: Option<ChartView>,
    corrections: Vec<CorrectionView>,
    label: String,
    code: String,
    phase: &'static str,
    published: bool,
    kinds: Vec<KindView>,
    can_decide: bool,
    /// Admin and the supervision office print the certificates.
    can_print: bool,
    decision_action: String,
    /// The group leader publishes from here once every tie is decided.
    publish_action: String,
    errors: Errors,
}

pub(super) async fn render(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    errors: Errors,
) -> AppResult<Response> {
    // Read again: the write that failed may have raced a change of the period.
    let p = {
        let mut conn = state.db.acquire().await?;
        db::period::period_by_code(&mut conn, user.center_id, code)
            .await?
            .ok_or(AppError::NotFound)?
    };
    render_with(state, user, p, errors, None).await
}

async fn render_with(
    state: &AppState,
    user: &CurrentUser,
    p: db::period::PeriodRow,
    errors: Errors,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let (_, result, names) = period_results(state, user.center_id, &p).await?;
    let corrections = {
        let mut conn = state.db.acquire().await?;
        db::correction::corrections(&mut conn, p.period_id).await?
    };
    let name_of = |id: &serde_json::Value| {
        let id = id.as_str().unwrap_or("");
        names
            .names
            .get(id)
            .map(|n| n.0.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let list = |v: &serde_json::Value| -> String {
        ["window", "staff"]
            .iter()
            .map(|k| {
                v[*k]
                    .as_array()
                    .map(|a| a.iter().map(name_of).collect::<Vec<_>>().join("、"))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("；")
    };
    let corrections = corrections
        .into_iter()
        .map(|c| CorrectionView {
            when: crate::domain::format_datetime(Some(c.made_at)),
            by: c.made_by,
            reason: c.reason,
            what: correction_text(&c.change, &name_of),
            before: list(&c.winners_before),
            after: list(&c.winners_after),
        })
        .collect();
    let phase = p.phase;
    let distributions = [
        distribution(Kind::Window, "优质服务窗口", &result.window),
        distribution(Kind::Staff, "优秀服务标兵", &result.staff),
    ]
    .into_iter()
    .flatten()
    .collect();
    let turnout = {
        let mut conn = state.db.acquire().await?;
        turnout_chart(&db::ballot::turnout(&mut conn, user.center_id, p.period_id).await?)
    };
    let min_days = p.rules.min_duty_days.to_string();
    let label = crate::domain::period::period_label(&p.code);
    let invalid = !errors.is_empty();
    let page_ = ResultsPage {
        layout: {
            let layout = Layout::new(format!("{label} 评选结果"), Some(user), urls::PERIODS);
            match notice {
                Some(q) => layout.with_notice(q),
                None => layout,
            }
        },
        distributions,
        turnout,
        corrections,
        label,
        phase: phase.label(),
        published: phase == Phase::Published,
        kinds: vec![
            kind_view("window", &result.window, &names, &min_days),
            kind_view("staff", &result.staff, &names, &min_days),
        ],
        can_decide: phase == Phase::Review && Access::GroupLeader.allows(Some(Principal::of(user))),
        can_print: matches!(user.role, Role::Admin | Role::Supervision),
        decision_action: format!("/results/{}/decision", p.code),
        publish_action: format!("/results/{}/publish", p.code),
        code: p.code,
        errors,
    };
    Ok(page::ok_or_invalid(!invalid, &page_))
}

pub(super) async fn results_page(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    render_with(&state, &ctx.user, ctx.period, Errors::default(), Some(&q)).await
}

pub struct PeriodLink {
    pub label: String,
    pub phase: &'static str,
    pub url: String,
}

#[derive(Template)]
#[template(path = "results/list.html")]
struct ResultsList {
    layout: Layout,
    periods: Vec<PeriodLink>,
}

pub(super) async fn results_list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    let periods = {
        let mut conn = state.db.acquire().await?;
        db::period::periods(&mut conn, user.center_id).await?
    };
    let periods = periods
        .into_iter()
        .filter_map(|p| {
            let phase = p.phase;
            (phase >= Phase::Review).then(|| PeriodLink {
                label: crate::domain::period::period_label(&p.code),
                phase: phase.label(),
                url: format!("/results/{}", p.code),
            })
        })
        .collect();
    Ok(page::ok(&ResultsList {
        layout: Layout::new("评选结果", Some(&user), urls::RESULTS),
        periods,
    }))
}
