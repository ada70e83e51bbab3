//! Results (评选结果): every candidate's A, D, C, total, final rank, flags and outcome, the
//! others with their reasons, the coverage of departments, business areas and positions,
//! the group leader's tie decisions, and the recount exports.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::{ClientIp, CurrentUser};
use super::form::{Errors, FormData};
use super::page::{self, Layout};
use super::routes::{Access, LEADERSHIP, Routes};
use super::urls;
use crate::db;
use crate::domain::Role;
use crate::domain::period::Phase;
use crate::scoring::{self, Flag, KindResult, PeriodInput, PeriodResult, Reason};

const READERS: &[Role] = &[Role::Admin, Role::Supervision, Role::Leadership];

pub fn routes(r: Routes) -> Routes {
    let read = Access::Roles(READERS);
    r.get(urls::RESULTS, read, results_list)
        .get("/results/{code}", read, results_page)
        .get("/results/{code}/recount.json", read, recount_json)
        .get("/results/{code}/results.json", read, results_json)
        .get("/results/{code}/entrants/{id}", read, entrant_page)
        .get("/results/{code}/scores.xlsx", read, scores_xlsx)
        .get("/results/{code}/results.xlsx", read, results_xlsx)
        .post(
            "/results/{code}/decision",
            Access::Roles(LEADERSHIP),
            decide,
        )
        .get(
            "/results/{code}/publish",
            Access::Roles(LEADERSHIP),
            publish_page,
        )
        .post(
            "/results/{code}/publish",
            Access::Roles(LEADERSHIP),
            publish,
        )
}

/// The period's recount input and results: as stored when published, computed from the
/// locked data in review. `None` before review.
pub async fn period_results(
    state: &AppState,
    center_id: i64,
    code: &str,
) -> AppResult<(
    db::period::PeriodRow,
    PeriodInput,
    PeriodResult,
    db::period::EntrantNames,
)> {
    let mut conn = state.db.acquire().await?;
    let p = db::period::period_by_code(&mut conn, center_id, code)
        .await?
        .ok_or(AppError::NotFound)?;
    match db::period::results_of(&mut conn, center_id, &p).await {
        Ok((input, result, names)) => Ok((p, input, result, names)),
        Err(db::period::ResultsError::NotReady) => Err(AppError::NotFound),
        Err(db::period::ResultsError::Db(e)) => Err(e.into()),
        Err(db::period::ResultsError::Invalid(msg)) => {
            Err(AppError::Internal(anyhow::anyhow!("period {code}: {msg}")))
        }
    }
}

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

fn f2(v: Option<scoring::Fixed2>) -> String {
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

/// A chart with its numbers as a table (the text alternative that also prints).
pub struct ChartView {
    pub title: String,
    pub svg: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The distribution of the entrants' assessment scores of one kind, in 2-point bins.
fn distribution(kind: &str, award: &str, k: &KindResult) -> Option<ChartView> {
    let values: Vec<i64> = k
        .entrants
        .iter()
        .filter_map(|e| e.assessment.map(|a| a.0))
        .collect();
    if values.is_empty() {
        return None;
    }
    let (labels, counts) = crate::charts::bins(&values, 200);
    let title = format!("{award}参评对象考核平均分分布");
    let svg = crate::charts::BarChart {
        id: &format!("dist-{kind}"),
        title: &title,
        description: &format!(
            "{} 个参评对象的考核平均分，按每 2 分一档统计人数。",
            values.len()
        ),
        labels: &labels,
        counts: &counts,
    }
    .svg();
    Some(ChartView {
        title,
        svg,
        head: vec!["分数段".into(), "个数".into()],
        rows: labels
            .into_iter()
            .zip(counts)
            .map(|(l, c)| vec![l, c.to_string()])
            .collect(),
    })
}

/// How many heads had cast each ballot, over the voting phase: by hour when the vote took a
/// day or two, else by day (China Standard Time).
fn turnout_chart(rows: &[db::ballot::Turnout]) -> Option<ChartView> {
    let cst = time::macros::offset!(+8);
    let times: Vec<time::OffsetDateTime> = rows
        .iter()
        .flat_map(|r| [r.window_ballot, r.staff_ballot])
        .flatten()
        .map(|t| t.to_offset(cst))
        .collect();
    let (first, last) = (*times.iter().min()?, *times.iter().max()?);
    let hourly = last - first <= time::Duration::days(2);
    let step = if hourly {
        time::Duration::hours(1)
    } else {
        time::Duration::days(1)
    };
    let start = if hourly {
        first
            .replace_minute(0)
            .ok()?
            .replace_second(0)
            .ok()?
            .replace_nanosecond(0)
            .ok()?
    } else {
        first.replace_time(time::Time::MIDNIGHT)
    };
    let mut ends = Vec::new();
    let mut t = start + step;
    while t - step <= last && ends.len() < 400 {
        ends.push(t);
        t += step;
    }
    let label = |end: time::OffsetDateTime| {
        let b = end - step;
        if hourly {
            format!("{}日{}时", b.day(), b.hour())
        } else {
            format!("{}月{}日", u8::from(b.month()), b.day())
        }
    };
    let cumulative = |pick: fn(&db::ballot::Turnout) -> Option<time::OffsetDateTime>| -> Vec<u32> {
        ends.iter()
            .map(|end| {
                rows.iter()
                    .filter(|r| pick(r).is_some_and(|c| c < *end))
                    .count() as u32
            })
            .collect()
    };
    let windows = cumulative(|r| r.window_ballot);
    let staff = cumulative(|r| r.staff_ballot);
    let labels: Vec<String> = ends.iter().map(|e| label(*e)).collect();
    let heads = rows.len() as f64;
    let series = [
        crate::charts::Series {
            name: "已投窗口推荐票".into(),
            class: "chart-a",
            points: windows.iter().map(|n| Some(f64::from(*n))).collect(),
            dashed: false,
        },
        crate::charts::Series {
            name: "已投工作人员推荐票".into(),
            class: "chart-b",
            points: staff.iter().map(|n| Some(f64::from(*n))).collect(),
            dashed: false,
        },
        crate::charts::Series {
            name: "窗口负责人总数".into(),
            class: "chart-c",
            points: vec![Some(heads); labels.len()],
            dashed: true,
        },
    ];
    let y_max = (heads / 5.0).ceil().max(1.0) * 5.0;
    let title = "民主推荐投票进度".to_string();
    let svg = crate::charts::LineChart {
        id: "turnout",
        title: &title,
        description: &format!(
            "窗口负责人共 {} 人；按{}累计已投票人数。",
            rows.len(),
            if hourly { "小时" } else { "天" }
        ),
        x_labels: &labels,
        series: &series,
        y_min: 0.0,
        y_max,
        y_step: (y_max / 5.0).max(1.0),
    }
    .svg();
    Some(ChartView {
        title,
        svg,
        head: vec!["截至".into(), "窗口推荐票".into(), "工作人员推荐票".into()],
        rows: labels
            .into_iter()
            .zip(windows.iter().zip(&staff))
            .map(|(l, (w, s))| vec![l, w.to_string(), s.to_string()])
            .collect(),
    })
}

/// The twelve months ending with `last` (`YYYY-MM`), oldest first.
fn twelve_months(last: &str) -> Vec<String> {
    let y: i32 = last.get(..4).and_then(|v| v.parse().ok()).unwrap_or(2026);
    let m: i32 = last.get(5..).and_then(|v| v.parse().ok()).unwrap_or(12);
    let n = y * 12 + (m - 1);
    (n - 11..=n)
        .map(|k| format!("{}-{:02}", k.div_euclid(12), k.rem_euclid(12) + 1))
        .collect()
}

/// An entrant's monthly scores over twelve months against the center's median.
pub async fn history_chart(
    conn: &mut sqlx::PgConnection,
    center_id: i64,
    staff: bool,
    id: i64,
    last_month: &str,
) -> AppResult<Option<ChartView>> {
    let months = twelve_months(last_month);
    let rows = db::score::history(conn, center_id, staff, id, &months).await?;
    if rows.iter().all(|r| r.own.is_none()) {
        return Ok(None);
    }
    let as_f = |h: Option<i32>| h.map(|h| f64::from(h) / 100.0);
    let lowest = rows
        .iter()
        .flat_map(|r| [r.own, r.median])
        .flatten()
        .min()
        .unwrap_or(8000);
    let y_min = ((f64::from(lowest) / 100.0 - 1.0) / 5.0)
        .floor()
        .clamp(0.0, 19.0)
        * 5.0;
    let labels: Vec<String> = months
        .iter()
        .map(|m| format!("{}月", m[5..].trim_start_matches('0')))
        .collect();
    let series = [
        crate::charts::Series {
            name: if staff {
                "本人".into()
            } else {
                "本窗口".into()
            },
            class: "chart-a",
            points: rows.iter().map(|r| as_f(r.own)).collect(),
            dashed: false,
        },
        crate::charts::Series {
            name: "全中心中位数".into(),
            class: "chart-c",
            points: rows.iter().map(|r| as_f(r.median)).collect(),
            dashed: true,
        },
    ];
    let title = format!(
        "近12个月考核分数（{}—{}）",
        crate::domain::period::month_label(&months[0]),
        crate::domain::period::month_label(last_month)
    );
    let svg = crate::charts::LineChart {
        id: "history",
        title: &title,
        description: "每月考核分数与全中心同类对象当月分数的中位数对比；空缺表示当月没有分数。",
        x_labels: &labels,
        series: &series,
        y_min,
        y_max: 100.0,
        y_step: if 100.0 - y_min > 20.0 { 10.0 } else { 5.0 },
    }
    .svg();
    let show = |h: Option<i32>| {
        h.map(|h| scoring::Fixed2(i64::from(h)).to_string())
            .unwrap_or_else(|| "—".into())
    };
    Ok(Some(ChartView {
        title,
        svg,
        head: vec!["月份".into(), "分数".into(), "全中心中位数".into()],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    crate::domain::period::month_label(&r.month),
                    show(r.own),
                    show(r.median),
                ]
            })
            .collect(),
    }))
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

async fn render(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    errors: Errors,
) -> AppResult<Response> {
    render_with(state, user, code, errors, None).await
}

async fn render_with(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    errors: Errors,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let (p, _, result, names) = period_results(state, user.center_id, code).await?;
    let corrections = {
        let mut conn = state.db.acquire().await?;
        db::period::corrections(&mut conn, p.period_id).await?
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
    let phase = Phase::parse(&p.phase).unwrap_or(Phase::Entry);
    let distributions = [
        distribution("window", "优质服务窗口", &result.window),
        distribution("staff", "优秀服务标兵", &result.staff),
    ]
    .into_iter()
    .flatten()
    .collect();
    let turnout = {
        let mut conn = state.db.acquire().await?;
        turnout_chart(&db::ballot::turnout(&mut conn, user.center_id, p.period_id).await?)
    };
    let min_days = p.rules["min_duty_days"].to_string();
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
        can_decide: phase == Phase::Review && user.role == Role::Leadership && user.is_group_leader,
        can_print: matches!(user.role, Role::Admin | Role::Supervision),
        decision_action: format!("/results/{}/decision", p.code),
        publish_action: format!("/results/{}/publish", p.code),
        code: p.code,
        errors,
    };
    Ok(page::ok_or_invalid(!invalid, &page_))
}

async fn results_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    render_with(&state, &user, &code, Errors::default(), Some(&q)).await
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

async fn results_list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    let periods = {
        let mut conn = state.db.acquire().await?;
        db::period::periods(&mut conn, user.center_id).await?
    };
    let periods = periods
        .into_iter()
        .filter_map(|p| {
            let phase = Phase::parse(&p.phase)?;
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

fn json_download(name: &str, body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn recount_json(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let (p, input, _, _) = period_results(&state, user.center_id, &code).await?;
    let body = serde_json::to_string_pretty(&input).map_err(|e| AppError::Internal(e.into()))?;
    Ok(json_download(&format!("{}-recount.json", p.code), body))
}

async fn results_json(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let (p, _, result, _) = period_results(&state, user.center_id, &code).await?;
    let body = serde_json::to_string_pretty(&result).map_err(|e| AppError::Internal(e.into()))?;
    Ok(json_download(&format!("{}-results.json", p.code), body))
}

/// The group leader settles an unresolved tie, with a written reason.
async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(code): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let (p, mut input, result, _) = period_results(&state, user.center_id, &code).await?;
    // Among the leadership, only the group leader (组长) decides.
    if !user.is_group_leader {
        return Err(AppError::Forbidden);
    }
    if Phase::parse(&p.phase) != Some(Phase::Review) {
        return Err(AppError::NotFound);
    }
    let kind = match form.raw("kind") {
        Ok("window") => "window",
        Ok("staff") => "staff",
        _ => return Err(AppError::BadRequest),
    };
    let mut errors = Errors::default();
    let chosen = form.all_utf8("chosen").map_err(|_| AppError::BadRequest)?;
    let reason = match form
        .raw("reason")
        .map(|r| crate::domain::text::paragraph(r, 1000))
    {
        Ok(Ok(r)) => Some(r),
        _ => {
            errors.add("reason", "请填写审定理由");
            None
        }
    };
    let tied = &result
        .kind(if kind == "window" {
            scoring::Kind::Window
        } else {
            scoring::Kind::Staff
        })
        .unresolved_tie;
    if tied.is_empty() {
        errors.add("reason", "该类别没有需要审定的并列情况");
    }
    if let Some(reason) = reason.filter(|_| errors.is_empty()) {
        // The scoring module judges the decision exactly as a recount will.
        input.decisions.push(scoring::DecisionInput {
            kind: kind.to_string(),
            chosen: chosen.clone(),
            reason: reason.clone(),
        });
        match scoring::compute(&input) {
            Err(_) => errors.add(
                "reason",
                format!(
                    "请从并列的对象中选出恰好需要的名额（并列 {} 个）",
                    tied.len()
                ),
            ),
            Ok(_) => {
                let ids: Vec<i64> = chosen
                    .iter()
                    .filter_map(|c| c.get(1..)?.parse().ok())
                    .collect();
                let mut tx = state.db.begin().await?;
                let phase = db::period::lock_phase(&mut tx, user.center_id, p.period_id).await?;
                if phase.as_deref() != Some("review") {
                    return Err(AppError::NotFound);
                }
                // The round as it is now, under the lock: a correction may have changed it
                // since the page was read.
                let (mut now, _) = db::period::recount_input(&mut tx, user.center_id, &p).await?;
                now.decisions.push(scoring::DecisionInput {
                    kind: kind.to_string(),
                    chosen: chosen.clone(),
                    reason: reason.clone(),
                });
                if scoring::compute(&now).is_err() {
                    drop(tx);
                    errors.add(
                        "reason",
                        "评选数据在您审定期间发生了变化（例如分数更正），请查看更新后的结果再作审定。",
                    );
                } else if !db::period::decide(
                    &mut tx,
                    &user.actor(&ip),
                    user.center_id,
                    &p,
                    kind,
                    &ids,
                    &reason,
                )
                .await?
                {
                    errors.add("reason", "该类别已审定");
                } else {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!("/results/{}", p.code)).into_response());
                }
            }
        }
    }
    render(&state, &user, &code, errors).await
}

#[derive(Template)]
#[template(path = "results/publish.html")]
struct PublishPage {
    layout: Layout,
    label: String,
    code: String,
    /// (award, names in rank order)
    winners: Vec<(&'static str, Vec<String>)>,
    /// Why it cannot be published yet, if it cannot.
    blocked: Option<&'static str>,
    /// The list changed since the group leader last saw it.
    changed: bool,
    /// The winners as confirmed, sent back with the confirmation: publication refuses a list
    /// that changed in between (a score correction, say).
    confirmed: String,
}

/// The winners of both kinds, in rank order, as one string.
fn winners_key(result: &PeriodResult) -> String {
    format!(
        "{}|{}",
        result.window.winners.join(","),
        result.staff.winners.join(",")
    )
}

fn publish_confirmation(
    user: &CurrentUser,
    code: &str,
    result: &PeriodResult,
    names: &db::period::EntrantNames,
    changed: bool,
) -> PublishPage {
    let label = crate::domain::period::period_label(code);
    let blocked = (!result.window.unresolved_tie.is_empty()
        || !result.staff.unresolved_tie.is_empty())
    .then_some("尚有跨过名额线的并列待定，请先在评选结果页审定后再发布。");
    let list = |ids: &[String]| ids.iter().map(|w| names.label(w)).collect();
    PublishPage {
        layout: Layout::new(format!("发布{label}评选结果"), Some(user), urls::PERIODS),
        winners: vec![
            ("优质服务窗口", list(&result.window.winners)),
            ("优秀服务标兵", list(&result.staff.winners)),
        ],
        blocked,
        changed,
        confirmed: winners_key(result),
        label,
        code: code.to_string(),
    }
}

/// The confirmation page of publication: exactly what will happen and who will be on the
/// honor roll.
async fn publish_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let (p, _, result, names) = period_results(&state, user.center_id, &code).await?;
    if !user.is_group_leader {
        return Err(AppError::Forbidden);
    }
    if Phase::parse(&p.phase) != Some(Phase::Review) {
        return Ok(Redirect::to(&format!("/results/{}", p.code)).into_response());
    }
    Ok(page::ok(&publish_confirmation(
        &user, &p.code, &result, &names, false,
    )))
}

/// The group leader (组长) publishes the reviewed results, after the confirmation page:
/// computed once more under the period's lock, refused while a tie at the boundary is
/// undecided.
async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(code): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let (p, _, _, names) = period_results(&state, user.center_id, &code).await?;
    if !user.is_group_leader {
        return Err(AppError::Forbidden);
    }
    let mut errors = Errors::default();
    let mut tx = state.db.begin().await?;
    match db::period::lock_phase(&mut tx, user.center_id, p.period_id).await? {
        Some(phase) if phase == "review" => {}
        // Published a moment ago (a second click, another tab): nothing more to do.
        Some(phase) if phase == "published" => {
            drop(tx);
            return Ok(Redirect::to(&format!("/results/{}", p.code)).into_response());
        }
        _ => {
            drop(tx);
            errors.add("publish", "只有处于“领导小组审定”阶段的结果才能发布。");
            return render(&state, &user, &code, errors).await;
        }
    }
    let (input, _) = db::period::recount_input(&mut tx, user.center_id, &p).await?;
    let result = scoring::compute(&input).map_err(|r| {
        AppError::Internal(anyhow::anyhow!(
            "period {} refused by the scoring module: {r}",
            p.code
        ))
    })?;
    if !result.window.unresolved_tie.is_empty() || !result.staff.unresolved_tie.is_empty() {
        drop(tx);
        errors.add("publish", "尚有跨过名额线的并列待定，请先审定后再发布。");
        return render(&state, &user, &code, errors).await;
    }
    // What is published is exactly the list the group leader confirmed.
    if form.raw("confirmed") != Ok(winners_key(&result).as_str()) {
        drop(tx);
        return Ok(page::invalid(&publish_confirmation(
            &user, &p.code, &result, &names, true,
        )));
    }
    let actor = user.actor(&ip);
    db::period::publish(&mut tx, &actor, user.center_id, &p, &input, &result).await?;
    db::period::set_phase(
        &mut tx,
        &actor,
        user.center_id,
        p.period_id,
        &p.code,
        "review",
        "published",
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/results/{}?notice=published", p.code)).into_response())
}

// ----------------------------------------------------------------------------------------
// How a score was made (per entrant)

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
}

async fn entrant_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (p, input, result, names) = period_results(&state, user.center_id, &code).await?;
    let entrant = result
        .window
        .entrants
        .iter()
        .chain(&result.staff.entrants)
        .find(|e| e.id == id)
        .ok_or(AppError::NotFound)?;
    let kind = if id.starts_with('W') {
        "window"
    } else {
        "staff"
    };
    let (name, detail, _) = names
        .names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| (id.clone(), String::new(), String::new()));
    let min_days = p.rules["min_duty_days"].to_string();
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
                .map(|(m, v)| (crate::domain::period::month_label(m), v.raw().to_string()))
                .collect()
        })
        .unwrap_or_default();
    months.sort();
    // D: recommendations over the ballots of the other windows' heads.
    let ballots = ballot_counts(&input, kind, &id)
        .map(|(recs, base, own)| (recs, base, own, f2(entrant.democratic)));
    // C: the ratings, lowest first, with the trimmed extremes marked.
    let mut ratings: Vec<i64> = input
        .ratings
        .iter()
        .filter(|r| r.subject == id)
        .filter_map(|r| r.score.hundredths().ok())
        .collect();
    ratings.sort();
    let trim_from = p.rules["trim_extremes_from"].as_i64().unwrap_or(0);
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
    let history = match id.get(1..).and_then(|n| n.parse::<i64>().ok()) {
        Some(num) => {
            let mut conn = state.db.acquire().await?;
            let last = p.months.last().cloned().unwrap_or_default();
            history_chart(&mut conn, user.center_id, kind == "staff", num, &last).await?
        }
        None => None,
    };
    let w = |k: &str| p.rules["weights"][k].to_string();
    let label = crate::domain::period::period_label(&p.code);
    Ok(page::ok(&EntrantPage {
        layout: Layout::new(format!("{name} 得分构成"), Some(&user), urls::PERIODS),
        history,
        back: format!("/results/{}#{kind}", p.code),
        label,
        name,
        detail,
        reasons: entrant
            .reasons
            .iter()
            .map(|r| match r {
                Reason::Vetoed => "一票否决".to_string(),
                Reason::InsufficientDutyDays => format!("在岗不足 {min_days} 天"),
                Reason::NoAssessment => "无考核分数".to_string(),
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
        weights: (w("assessment"), w("democratic"), w("comprehensive")),
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
    }))
}

// ----------------------------------------------------------------------------------------
// Spreadsheets of a period

/// How an entrant's democratic score was made, from the recount's tallies: (its
/// recommendations, the ballots that count for it, the ballots of its own window's heads,
/// which do not). `None` when the kind has no tally.
fn ballot_counts(input: &PeriodInput, kind: &str, id: &str) -> Option<(i64, i64, i64)> {
    let home = if kind == "window" {
        Some(id.to_string())
    } else {
        input
            .staff
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.window.clone())
    };
    let t = input.tallies.iter().find(|t| t.kind == kind)?;
    let count = |own_only: bool| -> i64 {
        t.ballots_by_window
            .0
            .iter()
            .filter(|(w, _)| !own_only || Some(w) == home.as_ref())
            .filter_map(|(_, n)| n.whole().ok())
            .sum()
    };
    let (total, own) = (count(false), count(true));
    let recs = t
        .recommendations
        .0
        .iter()
        .find(|(c, _)| *c == id)
        .and_then(|(_, n)| n.whole().ok())
        .unwrap_or(0);
    Some((recs, total - own, own))
}

/// A number of the recount as hundredths for a sheet.
fn cell_of(n: &scoring::Number) -> crate::sheets::Out {
    match n.hundredths() {
        Ok(h) => crate::sheets::Out::Hundredths(h),
        Err(_) => crate::sheets::Out::Text(n.raw().to_string()),
    }
}

fn veto_text(codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| super::periods::veto_label(c).to_string())
        .collect::<Vec<_>>()
        .join("；")
}

/// The period's full score sheet: every entrant's monthly scores, duty days and vetoes.
async fn scores_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    use crate::sheets::{Out, OutSheet};
    let (p, input, result, names) = period_results(&state, user.center_id, &code).await?;
    let label = crate::domain::period::period_label(&p.code);
    let months: Vec<String> = input.months.clone();
    let month_titles: Vec<String> = months
        .iter()
        .map(|m| crate::domain::period::month_label(m))
        .collect();
    let cols = |list: &[(&str, f64)]| -> Vec<(String, f64)> {
        list.iter().map(|(t, w)| (t.to_string(), *w)).collect()
    };
    let assessment = |id: &str, k: &KindResult| {
        k.entrants
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| e.assessment)
            .map(|a| Out::Hundredths(a.0))
            .unwrap_or(Out::Empty)
    };
    let month_cells = |scores: &scoring::Entries| -> Vec<Out> {
        months
            .iter()
            .map(|m| {
                scores
                    .0
                    .iter()
                    .find(|(k, _)| k == m)
                    .map(|(_, v)| cell_of(v))
                    .unwrap_or(Out::Empty)
            })
            .collect()
    };
    let name = |id: &str| names.names.get(id).cloned().unwrap_or_default();
    let mut window_header = cols(&[("窗口", 24.0), ("进驻单位", 20.0)]);
    window_header.extend(month_titles.iter().map(|t| (t.clone(), 12.0)));
    window_header.extend(cols(&[("考核平均分", 12.0), ("一票否决", 24.0)]));
    let windows = input
        .windows
        .iter()
        .map(|w| {
            let (n, d, _) = name(&w.id);
            let mut row = vec![Out::Text(n), Out::Text(d)];
            row.extend(month_cells(&w.scores));
            row.push(assessment(&w.id, &result.window));
            row.push(Out::Text(veto_text(&w.vetoes)));
            row
        })
        .collect();
    let mut staff_header = cols(&[("姓名（工号）", 18.0), ("窗口", 24.0)]);
    staff_header.extend(month_titles.iter().map(|t| (t.clone(), 12.0)));
    staff_header.extend(cols(&[
        ("考核平均分", 12.0),
        ("在岗天数", 10.0),
        ("一票否决", 24.0),
    ]));
    let staff = input
        .staff
        .iter()
        .map(|s| {
            let (n, w, _) = name(&s.id);
            let mut row = vec![Out::Text(n), Out::Text(w)];
            row.extend(month_cells(&s.scores));
            row.push(assessment(&s.id, &result.staff));
            row.push(
                s.duty_days
                    .as_ref()
                    .and_then(|d| d.whole().ok())
                    .map(Out::Int)
                    .unwrap_or(Out::Empty),
            );
            row.push(Out::Text(veto_text(&s.vetoes)));
            row
        })
        .collect();
    let bytes = crate::sheets::write_xlsx(&[
        OutSheet {
            name: "窗口".into(),
            title: format!("{label} 窗口考核分数表"),
            header: window_header,
            rows: windows,
            frozen_columns: 1,
        },
        OutSheet {
            name: "工作人员".into(),
            title: format!("{label} 工作人员考核分数表"),
            header: staff_header,
            rows: staff,
            frozen_columns: 1,
        },
    ]);
    page::xlsx_download(&format!("{label}考核分数表.xlsx"), bytes)
}

/// The period's results with how each total was made.
async fn results_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    use crate::sheets::{Out, OutSheet};
    let (p, input, result, names) = period_results(&state, user.center_id, &code).await?;
    let label = crate::domain::period::period_label(&p.code);
    let min_days = p.rules["min_duty_days"].to_string();
    let sheet = |kind: &str, title: &str, k: &KindResult| -> OutSheet {
        let mut entrants: Vec<&scoring::EntrantResult> = k.entrants.iter().collect();
        entrants.sort_by_key(|e| (e.final_rank.is_none(), e.final_rank, !e.eligible));
        let rows = entrants
            .into_iter()
            .map(|e| {
                let (n, d, a) = names.names.get(&e.id).cloned().unwrap_or_default();
                let counts = ballot_counts(&input, kind, &e.id);
                let ratings = input.ratings.iter().filter(|r| r.subject == e.id).count();
                let fixed = |v: Option<scoring::Fixed2>| {
                    v.map(|v| Out::Hundredths(v.0)).unwrap_or(Out::Empty)
                };
                let mut notes: Vec<String> = e
                    .reasons
                    .iter()
                    .map(|r| match r {
                        Reason::Vetoed => "一票否决".to_string(),
                        Reason::InsufficientDutyDays => format!("在岗不足 {min_days} 天"),
                        Reason::NoAssessment => "无考核分数".to_string(),
                    })
                    .collect();
                notes.extend(e.flags.iter().map(|f| match f {
                    Flag::NoEligibleBallots => "无有效推荐票".to_string(),
                    Flag::NoRatings => "无评分".to_string(),
                }));
                vec![
                    e.final_rank
                        .map(|r| Out::Int(i64::from(r)))
                        .unwrap_or(Out::Empty),
                    Out::Text(n),
                    Out::Text(d),
                    Out::Text(a),
                    fixed(e.assessment),
                    e.assessment_rank
                        .map(|r| Out::Int(i64::from(r)))
                        .unwrap_or(Out::Empty),
                    match counts.filter(|_| e.candidate) {
                        Some((recs, _, _)) => Out::Int(recs),
                        None => Out::Empty,
                    },
                    match counts.filter(|_| e.candidate) {
                        Some((_, base, _)) => Out::Int(base),
                        None => Out::Empty,
                    },
                    fixed(e.democratic),
                    if e.candidate {
                        Out::Int(ratings as i64)
                    } else {
                        Out::Empty
                    },
                    fixed(e.comprehensive),
                    fixed(e.total),
                    Out::Text(
                        if e.winner {
                            "当选"
                        } else if e.candidate {
                            "未当选"
                        } else if e.eligible {
                            "非候选对象"
                        } else {
                            "不符合参评条件"
                        }
                        .to_string(),
                    ),
                    Out::Text(notes.join("；")),
                ]
            })
            .collect();
        OutSheet {
            name: title.to_string(),
            title: format!("{label} {title}评选结果"),
            header: [
                ("名次", 6.0),
                (
                    if kind == "window" {
                        "窗口"
                    } else {
                        "姓名（工号）"
                    },
                    20.0,
                ),
                (
                    if kind == "window" {
                        "进驻单位"
                    } else {
                        "窗口"
                    },
                    20.0,
                ),
                (
                    if kind == "window" {
                        "业务范围"
                    } else {
                        "岗位"
                    },
                    14.0,
                ),
                ("考核平均分", 11.0),
                ("考核排名", 9.0),
                ("推荐票", 8.0),
                ("计票基数", 9.0),
                ("民主推荐得分", 12.0),
                ("评分人数", 9.0),
                ("综合评定得分", 12.0),
                ("总分", 9.0),
                ("结果", 12.0),
                ("说明", 24.0),
            ]
            .iter()
            .map(|(t, w)| (t.to_string(), *w))
            .collect(),
            rows,
            frozen_columns: 2,
        }
    };
    let bytes = crate::sheets::write_xlsx(&[
        sheet("window", "优质服务窗口", &result.window),
        sheet("staff", "优秀服务标兵", &result.staff),
    ]);
    page::xlsx_download(&format!("{label}评选结果.xlsx"), bytes)
}
