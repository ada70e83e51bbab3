//! Vetoes (一票否决)

use crate::db;
use crate::domain::period::period_label as label_of;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{CurrentUser, PeriodCtx};
use crate::http::form::{Errors, FormData};
use crate::http::page::{self, Layout};
use crate::http::urls;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

/// The six vetoes of SPEC.md §2 with their wording.
pub const VETOES: [(&str, &str); 6] = [
    ("reform_violation", "违反行政审批制度改革等有关规定"),
    (
        "disciplinary",
        "违规违纪被中心或上级部门通报批评、被新闻媒体曝光",
    ),
    (
        "verified_complaint",
        "被群众举报投诉且经查证属实、造成不良影响",
    ),
    ("corruption", "吃、拿、卡、要等不廉洁行为经查证属实"),
    ("major_incident", "发生安全责任、维稳等其他方面的重大事件"),
    ("overdue_case", "由于窗口原因导致有超期办件"),
];

pub fn veto_label(code: &str) -> &'static str {
    VETOES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("未知情形")
}

pub struct VetoView {
    pub row: db::veto::VetoRow,
    pub label: &'static str,
    pub occurred: String,
    pub revoke_action: String,
}

#[derive(Default)]
pub(super) struct VetoValues {
    pub(super) target: String,
    pub(super) code: String,
    pub(super) occurred_on: String,
    pub(super) description: String,
    pub(super) evidence: String,
}

#[derive(Template)]
#[template(path = "periods/vetoes.html")]
struct VetoPage {
    layout: Layout,
    label: String,
    period_url: String,
    action: String,
    vetoes: Vec<VetoView>,
    choices: VetoChoices,
    values: VetoValues,
    errors: Errors,
    editable: bool,
}

async fn render_vetoes(
    state: &AppState,
    user: &CurrentUser,
    p: &db::period::PeriodRow,
    values: VetoValues,
    errors: Errors,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let vetoes = db::veto::vetoes(&mut conn, user.center_id, p.period_id).await?;
    drop(conn);
    let choices = veto_choices(state, user, &values).await?;
    let mut layout = Layout::new(
        format!("{} 一票否决", label_of(&p.code)),
        Some(user),
        urls::PERIODS,
    );
    if let Some(q) = notice {
        layout = layout.with_notice(q);
    }
    let invalid = !errors.is_empty();
    let page = VetoPage {
        layout,
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        action: format!("{}/vetoes", urls::period(&p.code)),
        vetoes: vetoes
            .into_iter()
            .map(|row| VetoView {
                label: veto_label(&row.code),
                occurred: format!(
                    "{}年{}月{}日",
                    row.occurred_on.year(),
                    u8::from(row.occurred_on.month()),
                    row.occurred_on.day()
                ),
                revoke_action: format!("{}/vetoes/{}/revoke", urls::period(&p.code), row.veto_id),
                row,
            })
            .collect(),
        choices,
        values,
        errors,
        editable: !p.phase.scores_locked(),
    };
    Ok(page::ok_or_invalid(!invalid, &page))
}

pub(super) async fn vetoes_page(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    render_vetoes(
        &state,
        &user,
        &p,
        VetoValues::default(),
        Errors::default(),
        Some(&q),
    )
    .await
}

/// `w12` (window 12) or `s34` (staff member 34) from a target select box.
pub(super) fn parse_target(
    raw: &str,
) -> Result<(Option<i64>, Option<i64>), crate::http::form::FieldError> {
    let id = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
    match (
        raw.strip_prefix('w').and_then(id),
        raw.strip_prefix('s').and_then(id),
    ) {
        (Some(w), _) => Ok((Some(w), None)),
        (_, Some(s)) => Ok((None, Some(s))),
        _ => Err(crate::http::form::FieldError::Message(
            "请选择窗口或工作人员".to_string(),
        )),
    }
}

/// One of the six veto codes.
pub(super) fn parse_veto_code(raw: &str) -> Result<String, crate::http::form::FieldError> {
    VETOES
        .iter()
        .find(|(c, _)| *c == raw)
        .map(|(c, _)| (*c).to_string())
        .ok_or_else(|| crate::http::form::FieldError::Message("请选择一票否决情形".to_string()))
}

/// The select boxes of a veto form (windows, staff, codes), the typed choice selected.
pub struct VetoChoices {
    pub windows: Vec<crate::http::page::Choice>,
    pub staff: Vec<crate::http::page::Choice>,
    pub codes: Vec<crate::http::page::Choice>,
}

pub(super) async fn veto_choices(
    state: &AppState,
    user: &CurrentUser,
    values: &VetoValues,
) -> AppResult<VetoChoices> {
    let mut conn = state.db.acquire().await?;
    let windows = db::org::window_options(&mut conn, user.center_id, None).await?;
    let staff = db::org::staff_options(&mut conn, user.center_id, None).await?;
    let choice = |prefix: char, (id, label): &(i64, String)| crate::http::page::Choice {
        value: format!("{prefix}{id}"),
        label: label.clone(),
        selected: values.target == format!("{prefix}{id}"),
    };
    Ok(VetoChoices {
        windows: windows.iter().map(|w| choice('w', w)).collect(),
        staff: staff.iter().map(|s| choice('s', s)).collect(),
        codes: VETOES
            .iter()
            .map(|(c, l)| crate::http::page::Choice {
                value: (*c).to_string(),
                label: (*l).to_string(),
                selected: values.code == *c,
            })
            .collect(),
    })
}

pub(super) fn parse_date(raw: &str) -> Result<time::Date, crate::http::form::FieldError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw.trim(), &fmt)
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| crate::http::form::FieldError::Message("日期应如 2026-03-12".to_string()))
}

/// Moves that change vetoes must happen before candidates are confirmed; the period row is
/// locked for the rest of the transaction. `Err` carries the message for the page.
async fn lock_open_period(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    p: &db::period::PeriodRow,
) -> AppResult<Result<(), String>> {
    let phase = db::period::lock_phase(tx, user.center_id, p.period_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(if phase.scores_locked() {
        Err(format!(
            "{}已确认候选对象（当前阶段：{}），不能再登记或撤销一票否决；之后的更改须作为更正处理。",
            label_of(&p.code),
            phase.label()
        ))
    } else {
        Ok(())
    })
}

pub(super) async fn veto_create(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    form: FormData,
) -> AppResult<Response> {
    let PeriodCtx {
        user,
        period: p,
        actor,
    } = ctx;
    let mut f = crate::http::form::Fields::new(&form);
    let target = f.with("target", parse_target);
    let veto_code = f.with("code", parse_veto_code);
    let occurred_on = f.with("occurred_on", parse_date);
    let description = f.paragraph("description", 1000);
    let evidence = f.with("evidence", |raw| {
        Ok(crate::domain::text::optional(raw, 1000)?)
    });
    let mut errors = f.errors;
    let values = VetoValues {
        target: form.echo("target"),
        code: form.echo("code"),
        occurred_on: form.echo("occurred_on"),
        description: form.echo("description"),
        evidence: form.echo("evidence"),
    };
    if let (
        Some((window_id, staff_id)),
        Some(code),
        Some(occurred_on),
        Some(description),
        Some(evidence),
    ) = (target, veto_code, occurred_on, description, evidence)
        && errors.is_empty()
    {
        let mut tx = state.db.begin().await?;
        match lock_open_period(&mut tx, &user, &p).await? {
            Err(msg) => errors.add("_form", msg),
            Ok(()) => {
                let input = db::veto::VetoInput {
                    window_id,
                    staff_id,
                    code,
                    occurred_on,
                    description,
                    evidence,
                };
                match db::veto::veto_create(&mut tx, &actor, user.center_id, p.period_id, &input)
                    .await
                {
                    Ok(_) => {
                        tx.commit().await?;
                        return Ok(Redirect::to(&format!(
                            "{}/vetoes?notice=created",
                            urls::period(&p.code)
                        ))
                        .into_response());
                    }
                    // A window or person of another center (or none at all).
                    Err(e)
                        if e.as_database_error()
                            .is_some_and(|d| d.is_foreign_key_violation()) =>
                    {
                        errors.add("target", "所选对象不存在，请重新选择");
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    render_vetoes(&state, &user, &p, values, errors, None).await
}

pub(super) async fn veto_revoke(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    Path((_, id)): Path<(String, String)>,
    form: FormData,
) -> AppResult<Response> {
    let PeriodCtx {
        user,
        period: p,
        actor,
    } = ctx;
    let id = crate::http::extract::path_id(&id)?;
    let mut f = crate::http::form::Fields::new(&form);
    let reason = f.text("reason", 1000);
    let mut errors = f.errors;
    if let Some(reason) = reason
        && errors.is_empty()
    {
        let mut tx = state.db.begin().await?;
        match lock_open_period(&mut tx, &user, &p).await? {
            Err(msg) => errors.add("_form", msg),
            Ok(()) => {
                if !db::veto::veto_revoke(&mut tx, &actor, user.center_id, p.period_id, id, &reason)
                    .await?
                {
                    return Err(AppError::NotFound);
                }
                tx.commit().await?;
                return Ok(
                    Redirect::to(&format!("{}/vetoes?notice=saved", urls::period(&p.code)))
                        .into_response(),
                );
            }
        }
    } else {
        errors = Errors::default();
        errors.add("_form", "撤销一票否决须填写理由");
    }
    render_vetoes(&state, &user, &p, VetoValues::default(), errors, None).await
}
