//! Evaluation periods (评选周期): opening one, its overview, and moving it through its
//! phases with a confirmation page that says what the step does and what is missing.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::AppResult;
use super::extract::{ClientIp, CurrentUser, PeriodCtx};
use super::form::{Errors, FormData};
use super::page::{self, Layout};
use super::routes::{Access, Routes, SUPERVISION};
use super::urls;
use crate::db;
use crate::domain::period::period_label as label_of;
use crate::domain::period::{PeriodCode, Phase, month_label};
use crate::scoring::RulesInput;

pub mod candidates;
mod corrections;
pub(crate) mod duty_days;
mod phase;
pub(crate) mod turnout;
mod veto_form;
mod vetoes;

const S: Access = Access::Roles(SUPERVISION);

pub fn routes(r: Routes) -> Routes {
    r.get(urls::PERIODS, S, list)
        .post(urls::PERIODS, S, create)
        .get(urls::NEW_PERIOD, S, confirm_new)
        .get("/periods/{code}", S, show)
        .get("/periods/{code}/phase", S, phase::confirm_page)
        .post("/periods/{code}/phase", S, phase::change_phase)
        .get("/periods/{code}/candidates", S, candidates::candidates)
        .get("/periods/{code}/turnout", S, turnout::turnout)
        .get("/periods/{code}/vetoes", S, vetoes::vetoes_page)
        .post("/periods/{code}/vetoes", S, vetoes::veto_create)
        .post("/periods/{code}/vetoes/{id}/revoke", S, vetoes::veto_revoke)
        .get(
            "/periods/{code}/corrections",
            S,
            corrections::correction_page,
        )
        .post(
            "/periods/{code}/corrections",
            S,
            corrections::correction_save,
        )
        .get("/periods/{code}/duty-days", S, duty_days::duty_page)
        .post("/periods/{code}/duty-days", S, duty_days::duty_save)
}

pub struct PeriodItem {
    pub code: String,
    pub label: String,
    pub scheme: String,
    pub phase: &'static str,
    pub url: String,
}

#[derive(Template)]
#[template(path = "periods/list.html")]
struct ListPage {
    layout: Layout,
    periods: Vec<PeriodItem>,
    code: String,
    errors: Errors,
    action: &'static str,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    code: String,
    errors: Errors,
    query: Option<&FormData>,
) -> AppResult<ListPage> {
    let mut conn = state.db.acquire().await?;
    let periods = db::period::periods(&mut conn, user.center_id)
        .await?
        .into_iter()
        .map(|p| PeriodItem {
            label: label_of(&p.code),
            url: urls::period(&p.code),
            phase: p.phase.label(),
            scheme: p.scheme_name,
            code: p.code,
        })
        .collect();
    let mut layout = Layout::new("评选周期", Some(user), urls::PERIODS);
    if let Some(q) = query {
        layout = layout.with_notice(q);
    }
    Ok(ListPage {
        layout,
        periods,
        code,
        errors,
        action: urls::NEW_PERIOD,
    })
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    Ok(page::ok(
        &list_page(&state, &user, String::new(), Errors::default(), Some(&q)).await?,
    ))
}

/// The form that opens a period: its code, which says its kind and months.
struct NewPeriodForm {
    typed: String,
    code: Option<PeriodCode>,
    errors: Errors,
}

impl NewPeriodForm {
    fn read(form: &FormData) -> NewPeriodForm {
        let mut errors = Errors::default();
        // Any bad value, a missing or repeated field included, gets the one message that
        // says what a code looks like.
        let code = form.raw("code").ok().and_then(PeriodCode::parse);
        if code.is_none() {
            errors.add(
                "code",
                "周期编号应如 2026-Q1（季度）、2026-03（月度）或 2026（年度）",
            );
        }
        NewPeriodForm {
            typed: form.echo("code"),
            code,
            errors,
        }
    }
}

#[derive(Template)]
#[template(path = "periods/new.html")]
struct NewPeriodPage {
    layout: Layout,
    code: String,
    label: String,
    scheme: String,
    /// What the scheme asks, in words.
    rules: Vec<String>,
    months: Vec<String>,
    action: &'static str,
}

/// Why a period of `kind` cannot open: the center does not run that award.
fn not_run(kind: crate::domain::period::PeriodKind) -> String {
    format!(
        "本中心未使用{}评选方案：如需进行此类评选，请系统管理员在“评选方案”中启用",
        kind.label()
    )
}

/// The confirmation step of opening a period: which scheme and which months it will use.
async fn confirm_new(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    let NewPeriodForm {
        typed,
        code,
        mut errors,
    } = NewPeriodForm::read(&q);
    if let Some(code) = code {
        let mut conn = state.db.acquire().await?;
        let scheme = db::scheme::schemes_for(&mut conn, user.center_id, code.kind)
            .await?
            .into_iter()
            .next();
        let exists = db::period::period_by_code(&mut conn, user.center_id, &code.code())
            .await?
            .is_some();
        // A scheme of the kind that is not active: the center does not run this award.
        let stopped = scheme.is_none()
            && db::scheme::schemes(&mut conn, user.center_id)
                .await?
                .iter()
                .any(|s| s.period_kind == code.kind);
        drop(conn);
        if exists {
            errors.add("code", "该评选周期已存在");
        } else if stopped {
            errors.add("code", not_run(code.kind));
        } else {
            let (scheme_name, rules) = match scheme {
                Some(s) => (s.name, rules_in_words(&s.rules)),
                // The default schemes are made as the period opens.
                None => (format!("{}评选（默认方案）", code.kind.label()), Vec::new()),
            };
            let label = label_of(&code.code());
            return Ok(page::ok(&NewPeriodPage {
                layout: Layout::new(format!("开启{label}评选"), Some(&user), urls::PERIODS),
                code: code.code(),
                label,
                scheme: scheme_name,
                rules,
                months: code.months().iter().map(|m| month_label(m)).collect(),
                action: urls::PERIODS,
            }));
        }
    }
    Ok(page::invalid(
        &list_page(&state, &user, typed, errors, None).await?,
    ))
}

/// A scheme's rules as the confirmation page says them.
fn rules_in_words(rules: &serde_json::Value) -> Vec<String> {
    let Ok(r) = serde_json::from_str::<crate::scoring::RulesInput>(&rules.to_string()) else {
        return Vec::new();
    };
    vec![
        format!(
            "总分 = 考核平均分 × {} + 民主推荐得分 × {} + 综合评定得分 × {}",
            r.weights.assessment.raw(),
            r.weights.democratic.raw(),
            r.weights.comprehensive.raw()
        ),
        format!(
            "窗口：候选 {} 个，评出 {} 个；工作人员：候选 {} 人，评出 {} 人",
            r.window.candidates.raw(),
            r.window.winners.raw(),
            r.staff.candidates.raw(),
            r.staff.winners.raw()
        ),
        format!("工作人员在岗不少于 {} 天方可参评", r.min_duty_days.raw()),
    ]
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    let NewPeriodForm {
        typed,
        code,
        mut errors,
    } = NewPeriodForm::read(&form);
    if let Some(code) = code {
        let actor = user.actor(&ip);
        let mut tx = state.db.begin().await?;
        db::scheme::ensure_default_schemes(&mut tx, &actor, user.center_id).await?;
        let scheme = db::scheme::schemes_for(&mut tx, user.center_id, code.kind)
            .await?
            .into_iter()
            .next();
        let Some(scheme) = scheme else {
            errors.add("code", not_run(code.kind));
            drop(tx);
            return Ok(page::invalid(
                &list_page(&state, &user, typed, errors, None).await?,
            ));
        };
        let exists = db::period::period_by_code(&mut tx, user.center_id, &code.code())
            .await?
            .is_some();
        if exists {
            errors.add("code", "该评选周期已存在");
        } else {
            let created = db::period::period_create(
                &mut tx,
                &actor,
                user.center_id,
                &code.code(),
                &code.months(),
                code.kind,
                scheme.scheme_id,
            )
            .await;
            match created {
                // Opened by a colleague in the same moment.
                Err(e)
                    if e.as_database_error()
                        .is_some_and(|d| d.is_unique_violation()) =>
                {
                    errors.add("code", "该评选周期已存在");
                    drop(tx);
                    return Ok(page::invalid(
                        &list_page(&state, &user, typed, errors, None).await?,
                    ));
                }
                other => {
                    other?;
                }
            }
            tx.commit().await?;
            return Ok(
                Redirect::to(&format!("{}?notice=created", urls::period(&code.code())))
                    .into_response(),
            );
        }
    }
    Ok(page::invalid(
        &list_page(&state, &user, typed, errors, None).await?,
    ))
}

pub struct MonthLink {
    pub label: String,
    pub url: String,
}

pub struct PhaseStep {
    pub label: &'static str,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "periods/show.html")]
struct ShowPage {
    layout: Layout,
    code: String,
    label: String,
    scheme: String,
    phase: &'static str,
    steps: Vec<PhaseStep>,
    months: Vec<MonthLink>,
    rules: Vec<(&'static str, String)>,
    duty_url: String,
    candidates_url: String,
    vetoes_url: String,
    /// The turnout page, for a period that takes ballots.
    turnout_url: Option<String>,
    results_url: Option<String>,
    correction_url: Option<String>,
    next: Option<(&'static str, &'static str)>,
    back: Option<(&'static str, &'static str)>,
    /// In review: the group leader publishes on the results page.
    awaiting_publication: bool,
    phase_url: String,
}

/// The period's own phases: those whose weight is 0 are not shown at all.
fn steps(current: Phase, rules: &RulesInput) -> Vec<PhaseStep> {
    Phase::of(rules)
        .iter()
        .map(|p| PhaseStep {
            label: p.label(),
            state: if *p < current {
                "done"
            } else if *p == current {
                "current"
            } else {
                "todo"
            },
        })
        .collect()
}

/// The rules as the offices read them.
fn describe_rules(rules: &RulesInput, titles: (&str, &str)) -> Vec<(&'static str, String)> {
    let (w, s) = (&rules.window, &rules.staff);
    vec![
        (
            "权重",
            format!(
                "考核 {}%、民主推荐 {}%、综合评定 {}%",
                rules.weights.assessment, rules.weights.democratic, rules.weights.comprehensive
            ),
        ),
        (
            "候选对象",
            format!("窗口 {} 个、工作人员 {} 人", w.candidates, s.candidates),
        ),
        (
            "评选名额",
            format!(
                "{} {} 个、{} {} 人",
                titles.0, w.winners, titles.1, s.winners
            ),
        ),
        (
            "推荐上限",
            format!(
                "每张票最多推荐 {} 个窗口、{} 名工作人员",
                w.max_recommendations, s.max_recommendations
            ),
        ),
        (
            "在岗天数",
            format!("工作人员在岗不少于 {} 天", rules.min_duty_days),
        ),
        (
            "去掉最高最低分",
            match rules.trim_extremes_from.raw() {
                "0" => "不去掉".to_string(),
                k => format!("评分达到 {k} 个时，去掉一个最高分和一个最低分"),
            },
        ),
    ]
}

async fn show(ctx: PeriodCtx, RawQuery(q): RawQuery) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let phase = p.phase;
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    Ok(page::ok(&ShowPage {
        layout: Layout::new(label_of(&p.code), Some(&user), urls::PERIODS).with_notice(&q),
        label: label_of(&p.code),
        scheme: p.scheme_name.clone(),
        phase: phase.label(),
        steps: steps(phase, &p.rules),
        months: p
            .months
            .iter()
            .map(|m| MonthLink {
                label: month_label(m),
                url: urls::scores(m),
            })
            .collect(),
        rules: describe_rules(&p.rules.0, (&p.window_title, &p.staff_title)),
        // Publication is the group leader's, on the results page.
        next: phase
            .next_for(&p.rules)
            .filter(|n| *n != Phase::Published)
            .map(|p| (p.as_str(), p.label())),
        awaiting_publication: phase == Phase::Review,
        back: phase.back().map(|p| (p.as_str(), p.label())),
        phase_url: format!("{}/phase", urls::period(&p.code)),
        duty_url: format!("{}/duty-days", urls::period(&p.code)),
        candidates_url: format!("{}/candidates", urls::period(&p.code)),
        vetoes_url: format!("{}/vetoes", urls::period(&p.code)),
        turnout_url: Phase::of(&p.rules)
            .contains(&Phase::Voting)
            .then(|| format!("{}/turnout", urls::period(&p.code))),
        results_url: (phase >= Phase::Review).then(|| format!("/results/{}", p.code)),
        correction_url: (phase == Phase::Published)
            .then(|| format!("{}/corrections", urls::period(&p.code))),
        code: p.code,
    }))
}
