//! Corrections after publication (更正)

use super::veto_form::{VetoChoices, VetoForm, VetoValues, veto_choices};
use crate::db;
use crate::domain::period::Phase;
use crate::domain::period::period_label as label_of;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{CurrentUser, PeriodCtx};
use crate::http::form::{Errors, FormData};
use crate::http::page::{self, Layout};
use crate::http::urls;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "periods/correction.html")]
struct CorrectionPage {
    layout: Layout,
    label: String,
    period_url: String,
    action: String,
    choices: VetoChoices,
    values: VetoValues,
    reason: String,
    errors: Errors,
}

async fn render_correction(
    state: &AppState,
    user: &CurrentUser,
    p: &db::period::PeriodRow,
    values: VetoValues,
    reason: String,
    errors: Errors,
) -> AppResult<Response> {
    let choices = veto_choices(state, user, &values).await?;
    let valid = errors.is_empty();
    let page_ = CorrectionPage {
        layout: Layout::new(
            format!("{} 更正", label_of(&p.code)),
            Some(user),
            urls::PERIODS,
        ),
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        action: format!("{}/corrections", urls::period(&p.code)),
        choices,
        values,
        reason,
        errors,
    };
    Ok(page::ok_or_invalid(valid, &page_))
}

pub(super) async fn correction_page(
    State(state): State<AppState>,
    ctx: PeriodCtx,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    if p.phase != Phase::Published {
        return Err(AppError::NotFound);
    }
    render_correction(
        &state,
        &user,
        &p,
        VetoValues::default(),
        String::new(),
        Errors::default(),
    )
    .await
}

#[derive(Template)]
#[template(path = "periods/correction_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    label: String,
    action: String,
    values: VetoValues,
    reason: String,
    /// Whom, which veto, when, as the page says them.
    summary: Vec<(&'static str, String)>,
    /// Per award: (award, winners before, winners after, who leaves, who comes in).
    awards: Vec<AwardChange>,
}

pub struct AwardChange {
    pub award: String,
    pub leaves: Vec<String>,
    pub comes: Vec<String>,
    pub after: Vec<String>,
}

/// The confirmation step: what the correction will change, before anything is written.
async fn confirm_page(
    state: &AppState,
    user: &CurrentUser,
    p: &db::period::PeriodRow,
    values: VetoValues,
    reason: String,
    veto: &VetoForm,
    after: &crate::scoring::PeriodResult,
) -> AppResult<Response> {
    let (_, before, names) = crate::http::results::period_results(state, user.center_id, p).await?;
    let choices = veto_choices(state, user, &values).await?;
    let target = choices
        .windows
        .iter()
        .chain(&choices.staff)
        .find(|c| c.selected)
        .map(|c| c.label.clone())
        .unwrap_or_default();
    let awards = crate::scoring::Kind::BOTH
        .into_iter()
        .map(|kind| {
            let award = p.title(kind).to_string();
            let was = &before.kind(kind).winners;
            let now = &after.kind(kind).winners;
            AwardChange {
                award,
                leaves: was
                    .iter()
                    .filter(|w| !now.contains(w))
                    .map(|w| names.label(w))
                    .collect(),
                comes: now
                    .iter()
                    .filter(|w| !was.contains(w))
                    .map(|w| names.label(w))
                    .collect(),
                after: now.iter().map(|w| names.label(w)).collect(),
            }
        })
        .collect();
    Ok(page::ok(&ConfirmPage {
        layout: Layout::new(
            format!("{} 更正：请确认", label_of(&p.code)),
            Some(user),
            urls::PERIODS,
        ),
        label: label_of(&p.code),
        action: format!("{}/corrections", urls::period(&p.code)),
        summary: vec![
            ("对象", target),
            ("情形", veto.code.label().to_string()),
            ("发生日期", values.occurred_on.clone()),
            ("情况说明", veto.description.clone()),
            ("更正理由", reason.clone()),
        ],
        values,
        reason,
        awards,
    }))
}

/// A veto found after publication: recorded with its reason, the results recomputed from
/// the frozen round, and the change of outcome kept with the correction.
pub(super) async fn correction_save(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    form: FormData,
) -> AppResult<Response> {
    let PeriodCtx {
        user,
        period: p,
        actor,
    } = ctx;
    if p.phase != Phase::Published {
        return Err(AppError::NotFound);
    }
    let mut f = crate::http::form::Fields::new(&form);
    let (values, veto) = VetoForm::read(&mut f);
    let (typed_reason, reason) = f.read("reason", |raw| {
        Ok(crate::domain::text::paragraph(raw, 1000)?)
    });
    let mut errors = f.errors;
    // 返回修改 on the confirmation page: the form again, as typed.
    if form.raw("edit") == Ok("1") {
        return render_correction(&state, &user, &p, values, typed_reason, Errors::default()).await;
    }
    let confirmed = form.raw("confirmed") == Ok("1");
    if let (Some(veto), Some(reason)) = (veto, reason)
        && errors.is_empty()
    {
        let mut tx = state.db.begin().await?;
        let phase = db::period::lock_phase(&mut tx, user.center_id, p.period_id).await?;
        if phase != Some(Phase::Published) {
            return Err(AppError::NotFound);
        }
        let recount_id = veto.entrant.recount_id();
        let (mut frozen, _) = db::results::round_input(&mut tx, user.center_id, &p).await?;
        let vetoes = frozen
            .windows
            .iter_mut()
            .find(|w| w.id == recount_id)
            .map(|w| &mut w.vetoes)
            .or_else(|| {
                frozen
                    .staff
                    .iter_mut()
                    .find(|s| s.id == recount_id)
                    .map(|s| &mut s.vetoes)
            });
        match vetoes {
            None => errors.add("target", "该对象不在本周期评选范围内"),
            Some(v) => {
                v.push(veto.code.as_str().to_string());
                match db::correction::recount_corrected(&mut tx, p.period_id, &frozen).await? {
                    None => errors.add(
                        "_form",
                        "更正后并列情况发生变化，原有的领导小组审定不再适用：请联系系统管理员处理。本次未作任何更改。",
                    ),
                    Some((_, results)) if !confirmed => {
                        drop(tx);
                        return confirm_page(&state, &user, &p, values, reason, &veto, &results)
                            .await;
                    }
                    Some((recount, results)) => {
                                        let change = serde_json::json!({"veto": {"entrant": recount_id, "code": veto.code.as_str(), "description": veto.description}});
                        db::correction::correct(&mut tx, &actor, user.center_id, &p, &frozen, &recount, &results, &change, &reason)
                            .await?;
                        let input = veto.input(String::new());
                        db::veto::veto_create(&mut tx, &actor, user.center_id, p.period_id, &input).await?;
                        tx.commit().await?;
                        return Ok(Redirect::to(&format!("/results/{}?notice=corrected", p.code)).into_response());
                    }
                }
            }
        }
    }
    render_correction(&state, &user, &p, values, typed_reason, errors).await
}
