//! The results page of one period and the list of periods with results.

use super::charts::{ChartView, Charts, distribution, turnout_chart};
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
use crate::scoring::{self, Kind, KindResult};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

#[derive(Clone)]
pub struct ResultRow {
    /// The recount id (`W12`).
    pub id: String,
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
    /// The candidate's year, beside the scores of an annual evaluation.
    pub record: Option<super::RecordView>,
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

/// What the results page shows of a kind whoever asks and whichever page of the others:
/// built once per decoded period ([`super::Decoded::kinds`]).
pub struct KindBase {
    pub kind: &'static str,
    pub title: &'static str,
    pub award: String,
    pub candidates: Vec<ResultRow>,
    /// The others (entrants who are not candidates), as indexes into the kind's entrants,
    /// eligible ones first by assessment rank.
    pub others: Vec<usize>,
    pub coverage: Vec<(&'static str, Vec<(String, usize)>)>,
    pub coverage_warning: Option<String>,
    pub tie: Vec<TieChoice>,
    pub decided: Vec<String>,
}

/// A kind as one request shows it: the base, and one page of the others.
pub struct KindView<'a> {
    pub kind: &'static str,
    pub title: &'static str,
    pub award: &'a str,
    /// Borrowed from the base, or its copy with each candidate's year (annual periods).
    pub candidates: std::borrow::Cow<'a, [ResultRow]>,
    /// One page of the others (at most [`OTHERS_PAGE`]).
    pub others: Vec<OtherRow>,
    pub others_total: usize,
    pub others_page: i64,
    pub others_pages: i64,
    pub others_prev: Option<String>,
    pub others_next: Option<String>,
    pub coverage: &'a [(&'static str, Vec<(String, usize)>)],
    pub coverage_warning: Option<&'a str>,
    pub tie: &'a [TieChoice],
    pub decided: &'a [String],
}

pub(super) fn f2(v: Option<scoring::Fixed2>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "—".to_string())
}

/// The group an entrant belongs to on one axis of 代表性 (its business area, department, …).
type GroupOf<'a> = Box<dyn Fn(&str) -> String + 'a>;

/// The winners' groups (business areas, departments) against the candidates': (covered,
/// could) when the winners cover fewer than half as many groups as they could, that is
/// as many as there are winners, at most as many as the candidates come from.
fn thin_coverage(winners: &[String], candidates: &[String]) -> Option<(usize, usize)> {
    let distinct = |g: &[String]| {
        let mut g = g.to_vec();
        g.sort();
        g.dedup();
        g.len()
    };
    let covered = distinct(winners);
    let could = winners.len().min(distinct(candidates));
    (covered * 2 < could).then_some((covered, could))
}

/// The others of a kind listed on one page of the results (a province's largest center has
/// thousands).
pub const OTHERS_PAGE: usize = 100;

/// The query parameter of a kind's page of others.
fn others_param(kind: &str) -> &'static str {
    if kind == "window" { "wp" } else { "sp" }
}

pub(super) fn kind_base(
    kind: &'static str,
    award: &str,
    k: &KindResult,
    input: &scoring::PeriodInput,
    names: &db::period::EntrantNames,
) -> KindBase {
    let phases = Phase::of(&input.rules);
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
                id: e.id.clone(),
                url: format!("entrants/{}", e.id),
                record: None,
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
                    .filter_map(|f| super::flag_word(f, &phases))
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
    let mut others: Vec<usize> = (0..k.entrants.len())
        .filter(|&i| !k.entrants[i].candidate)
        .collect();
    others.sort_by_key(|&i| (!k.entrants[i].eligible, k.entrants[i].assessment_rank));
    // 代表性: winners by business area and department (windows), by department and
    // position (staff). A staff member's department is that of their window.
    // Their windows read in one pass over the staff (a province's largest center has
    // thousands), for the candidates and winners only.
    let window_of: std::collections::HashMap<&str, &str> = if kind == "window" {
        Default::default()
    } else {
        let wanted: std::collections::HashSet<&str> = k
            .candidates
            .iter()
            .chain(&k.winners)
            .map(String::as_str)
            .collect();
        input
            .staff
            .iter()
            .filter(|s| wanted.contains(s.id.as_str()))
            .map(|s| (s.id.as_str(), s.window.as_str()))
            .collect()
    };
    let department_of_staff = |id: &str| -> String {
        window_of
            .get(id)
            .and_then(|w| names.names.get(*w))
            .map(|n| n.1.clone())
            .unwrap_or_default()
    };
    let axes: [(&str, GroupOf); 2] = if kind == "window" {
        [
            ("业务范围", Box::new(|id: &str| name(id).2)),
            ("进驻单位", Box::new(|id: &str| name(id).1)),
        ]
    } else {
        [
            ("进驻单位", Box::new(department_of_staff)),
            ("岗位", Box::new(|id: &str| name(id).2)),
        ]
    };
    let mut coverage = Vec::new();
    for (axis, group_of) in &axes {
        let mut groups: Vec<(String, usize)> = Vec::new();
        for id in &k.winners {
            let key = group_of(id);
            match groups.iter_mut().find(|(g, _)| *g == key) {
                Some(c) => c.1 += 1,
                None => groups.push((key, 1)),
            }
        }
        groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        coverage.push((*axis, groups));
    }
    // The first axis must be represented: warned whenever the winners cover fewer than half
    // as many of its groups as they could (as many as there are winners, at most as many as
    // the candidates come from).
    let (key_axis, group_of) = &axes[0];
    let groups = |ids: &[String]| -> Vec<String> { ids.iter().map(|id| group_of(id)).collect() };
    let coverage_warning =
        thin_coverage(&groups(&k.winners), &groups(&k.candidates)).map(|(covered, could)| {
            format!(
                "当选者只来自 {covered} 个{key_axis}，而按名额和候选对象的分布最多可覆盖 {could} 个：不到一半，代表性不足，建议领导小组审定时予以考虑。"
            )
        });
    KindBase {
        kind,
        title: if kind == "window" {
            "窗口"
        } else {
            "工作人员"
        },
        award: award.to_string(),
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

/// The kind of `base` as one request shows it: page `others_page` of its others.
pub(super) fn kind_view<'a>(
    base: &'a KindBase,
    k: &KindResult,
    names: &db::period::EntrantNames,
    min_days: &str,
    others_page: i64,
) -> KindView<'a> {
    let kind = base.kind;
    let others_total = base.others.len();
    let at = crate::http::page::PageOf::new(others_total, OTHERS_PAGE, others_page);
    let others_link = |n: i64| format!("?{}={n}#{kind}-others", others_param(kind));
    let others = base.others[at.skipped..at.skipped + at.shown]
        .iter()
        .map(|&i| {
            let e = &k.entrants[i];
            let (n, detail, _) = names
                .names
                .get(&e.id)
                .cloned()
                .unwrap_or_else(|| (e.id.clone(), String::new(), String::new()));
            OtherRow {
                name: n,
                detail,
                assessment: f2(e.assessment),
                note: if e.eligible {
                    format!("未入围（考核第{}名）", e.assessment_rank.unwrap_or(0))
                } else {
                    e.reasons
                        .iter()
                        .map(|r| r.label(min_days))
                        .collect::<Vec<_>>()
                        .join("、")
                },
            }
        })
        .collect();
    KindView {
        kind,
        title: base.title,
        award: &base.award,
        candidates: std::borrow::Cow::Borrowed(&base.candidates),
        others,
        others_total,
        others_page: at.page,
        others_pages: at.pages,
        others_prev: (at.page > 1).then(|| others_link(at.page - 1)),
        others_next: (at.page < at.pages).then(|| others_link(at.page + 1)),
        coverage: &base.coverage,
        coverage_warning: base.coverage_warning.as_deref(),
        tie: &base.tie,
        decided: &base.decided,
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
struct ResultsPage<'a> {
    layout: Layout,
    /// Distribution of assessment scores per kind: (title, svg, table rows).
    distributions: &'a [ChartView],
    turnout: Option<&'a ChartView>,
    /// The period takes ballots (民主推荐) and ratings (综合评定): else no column shows them.
    voting: bool,
    rating: bool,
    /// An annual evaluation: each candidate's honors and monthly scores are shown.
    yearly: bool,
    corrections: Vec<CorrectionView>,
    label: String,
    code: String,
    phase: &'static str,
    published: bool,
    kinds: Vec<KindView<'a>>,
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
    let decoded = super::shared_results(state, user.center_id, &p).await?;
    let (input, result, names) = (&decoded.input, &decoded.result, &decoded.names);
    let phases = Phase::of(&p.rules);
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
    let charts = decoded
        .charts
        .get_or_try_init(|| async {
            let turnout = if phases.contains(&Phase::Voting) {
                let mut conn = state.db.acquire().await?;
                turnout_chart(
                    &db::ballot::cast_times(&mut conn, user.center_id, p.period_id).await?,
                )
            } else {
                None
            };
            Ok::<_, AppError>(Charts {
                distributions: [
                    distribution(Kind::Window, p.title(Kind::Window), &result.window),
                    distribution(Kind::Staff, p.title(Kind::Staff), &result.staff),
                ]
                .into_iter()
                .flatten()
                .collect(),
                turnout,
            })
        })
        .await?;
    let min_days = p.rules.min_duty_days.to_string();
    let label = crate::domain::period::period_label(&p.code);
    let invalid = !errors.is_empty();
    let others_page = |kind: &str| -> i64 {
        notice
            .and_then(|q| q.raw(others_param(kind)).ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(1)
    };
    let [window_base, staff_base] = decoded.kinds.get_or_init(|| {
        [
            kind_base(
                "window",
                p.title(Kind::Window),
                &result.window,
                input,
                names,
            ),
            kind_base("staff", p.title(Kind::Staff), &result.staff, input, names),
        ]
    });
    let mut kinds = vec![
        kind_view(
            window_base,
            &result.window,
            names,
            &min_days,
            others_page("window"),
        ),
        kind_view(
            staff_base,
            &result.staff,
            names,
            &min_days,
            others_page("staff"),
        ),
    ];
    // The annual evaluation shows each candidate's honors and months beside the scores.
    let yearly = p.code.len() == 4;
    if yearly {
        let ids: Vec<String> = kinds
            .iter()
            .flat_map(|k| k.candidates.iter().map(|r| r.id.clone()))
            .collect();
        let mut conn = state.db.acquire().await?;
        let records = super::candidate_records(&mut conn, user.center_id, &p, &ids).await?;
        for row in kinds
            .iter_mut()
            .flat_map(|k| k.candidates.to_mut().iter_mut())
        {
            row.record = Some(super::RecordView::of(records.get(&row.id)));
        }
    }
    let page_ = ResultsPage {
        layout: {
            let layout = Layout::new(format!("{label} 评选结果"), Some(user), urls::PERIODS);
            match notice {
                Some(q) => layout.with_notice(q),
                None => layout,
            }
        },
        distributions: &charts.distributions,
        turnout: charts.turnout.as_ref(),
        voting: phases.contains(&Phase::Voting),
        rating: phases.contains(&Phase::Rating),
        corrections,
        label,
        phase: phase.label(),
        published: phase == Phase::Published,
        kinds,
        yearly,
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
    /// The years with periods, latest first, for the year workbooks.
    years: Vec<String>,
    /// The departments, for a department's year workbook.
    departments: Vec<crate::http::page::Choice>,
}

pub(super) async fn results_list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    let (periods, departments) = {
        let mut conn = state.db.acquire().await?;
        (
            db::period::periods(&mut conn, user.center_id).await?,
            db::org::catalog_options(
                &mut conn,
                db::org::Catalog::Department,
                user.center_id,
                None,
            )
            .await?,
        )
    };
    let mut years: Vec<String> = periods.iter().map(|p| p.code[..4].to_string()).collect();
    years.sort_by(|a, b| b.cmp(a));
    years.dedup();
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
        years,
        departments: crate::http::page::choices(&departments, ""),
    }))
}

#[cfg(test)]
mod tests {
    use super::{OTHERS_PAGE, kind_base, kind_view, thin_coverage};

    #[test]
    fn the_others_of_a_large_period_are_listed_a_page_at_a_time() {
        // 250 windows, 2 of them candidates: 248 others.
        let (input, result) = crate::scoring::windows_of_one_month(250, 2);
        let names = crate::db::period::EntrantNames::default();
        let others = result.window.entrants.len() - result.window.candidates.len();
        assert_eq!(others, 248);
        let base = kind_base("window", "优质服务窗口", &result.window, &input, &names);
        let view = |page| kind_view(&base, &result.window, &names, "0", page);
        let first = view(1);
        assert_eq!(first.others_total, others);
        assert_eq!(first.others.len(), OTHERS_PAGE);
        assert_eq!(first.others_pages, 3);
        assert_eq!(first.others_prev, None);
        assert_eq!(first.others_next.as_deref(), Some("?wp=2#window-others"));
        // The pages together list every other once, best first.
        let mut seen = Vec::new();
        for page in 1..=3 {
            let v = view(page);
            seen.extend(v.others.into_iter().map(|o| o.name));
        }
        assert_eq!(seen.len(), others);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), others);
        // Past the last page: the last page.
        let last = view(99);
        assert_eq!(last.others_page, 3);
        assert_eq!(last.others.len(), others - 2 * OTHERS_PAGE);
        assert_eq!(last.others_prev.as_deref(), Some("?wp=2#window-others"));
        assert_eq!(last.others_next, None);
    }

    fn g(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn coverage_is_thin_below_half_of_what_the_winners_could_cover() {
        let candidates = g(&["税务", "公安", "社保", "不动产", "医保", "公积金"]);
        // Five winners from two of six areas: they could cover five; two is less than half.
        assert_eq!(
            thin_coverage(&g(&["税务", "税务", "税务", "公安", "公安"]), &candidates),
            Some((2, 5))
        );
        // Three of five is enough.
        assert_eq!(
            thin_coverage(&g(&["税务", "公安", "社保", "税务", "公安"]), &candidates),
            None
        );
        // All from one, when the candidates came from one area only, is all they could do.
        assert_eq!(
            thin_coverage(&g(&["税务", "税务"]), &g(&["税务", "税务", "税务"])),
            None
        );
        // Ten winners from four of twelve departments: they could cover ten.
        let many = g(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]);
        assert_eq!(
            thin_coverage(
                &g(&["a", "a", "b", "b", "c", "c", "d", "d", "a", "b"]),
                &many
            ),
            Some((4, 10))
        );
    }
}
