//! Vetoes (一票否决)

use super::veto_form::{VetoChoices, VetoForm, VetoValues, veto_choices};
use crate::db;
use crate::domain::period::period_label as label_of;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{CurrentUser, PeriodCtx};
use crate::http::form::{Errors, Fields, FormData};
use crate::http::page::{self, Layout};
use crate::http::urls;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

pub struct VetoView {
    pub row: db::veto::VetoRow,
    pub label: &'static str,
    pub occurred: String,
    pub revoke_action: String,
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
                label: row.code.label(),
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
    let mut f = Fields::new(&form);
    let (mut values, veto) = VetoForm::read(&mut f);
    let (evidence_typed, evidence) = f.read("evidence", |raw| {
        Ok(crate::domain::text::optional(raw, 1000)?)
    });
    values.evidence = evidence_typed;
    let mut errors = f.errors;
    if let (Some(veto), Some(evidence)) = (veto, evidence)
        && errors.is_empty()
    {
        let mut tx = state.db.begin().await?;
        match lock_open_period(&mut tx, &user, &p).await? {
            Err(msg) => errors.add("_form", msg),
            Ok(()) => {
                let input = veto.input(evidence);
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
    let mut f = Fields::new(&form);
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
