//! The group leader's decision of an unresolved tie, with a written reason.

use super::page::render;
use super::period_results;
use crate::db;
use crate::domain::period::Phase;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::PeriodCtx;
use crate::http::form::{Errors, FormData};
use crate::scoring::{self, Kind};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

/// The tie decision form: which kind's tie, the entrants chosen (recount ids) and why.
struct DecisionForm {
    kind: Kind,
    chosen: Vec<String>,
    reason: Option<String>,
}

impl DecisionForm {
    /// Reads the form once; a missing reason is a message in `errors`, while a kind or a
    /// choice the page never offers is a bad request.
    fn read(form: &FormData, errors: &mut Errors) -> AppResult<DecisionForm> {
        let kind = form
            .raw("kind")
            .ok()
            .and_then(Kind::parse)
            .ok_or(AppError::BadRequest)?;
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
        Ok(DecisionForm {
            kind,
            chosen,
            reason,
        })
    }

    /// The decision as the recount input states it.
    fn input(&self, reason: &str) -> scoring::DecisionInput {
        scoring::DecisionInput {
            kind: self.kind.as_str().to_string(),
            chosen: self.chosen.clone(),
            reason: reason.to_string(),
        }
    }
}

/// The group leader settles an unresolved tie, with a written reason.
pub(super) async fn decide(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    form: FormData,
) -> AppResult<Response> {
    let PeriodCtx {
        user,
        period: p,
        actor,
    } = ctx;
    let (mut input, result, _) = period_results(&state, user.center_id, &p).await?;
    if p.phase != Phase::Review {
        return Err(AppError::NotFound);
    }
    let mut errors = Errors::default();
    let decision = DecisionForm::read(&form, &mut errors)?;
    let tied = &result.kind(decision.kind).unresolved_tie;
    if tied.is_empty() {
        errors.add("reason", "该类别没有需要审定的并列情况");
    }
    if let Some(reason) = decision.reason.as_ref().filter(|_| errors.is_empty()) {
        // The scoring module judges the decision exactly as a recount will.
        input.decisions.push(decision.input(reason));
        match scoring::compute(&input) {
            Err(_) => errors.add(
                "reason",
                format!(
                    "请从并列的对象中选出恰好需要的名额（并列 {} 个）",
                    tied.len()
                ),
            ),
            Ok(_) => {
                let ids: Vec<i64> = decision
                    .chosen
                    .iter()
                    .filter_map(|c| c.get(1..)?.parse().ok())
                    .collect();
                let mut tx = state.db.begin().await?;
                let phase = db::period::lock_phase(&mut tx, user.center_id, p.period_id).await?;
                if phase != Some(Phase::Review) {
                    return Err(AppError::NotFound);
                }
                // The round as it is now, under the lock: a correction may have changed it
                // since the page was read.
                let (mut now, _) = db::results::recount_input(&mut tx, user.center_id, &p).await?;
                now.decisions.push(decision.input(reason));
                if scoring::compute(&now).is_err() {
                    drop(tx);
                    errors.add(
                        "reason",
                        "评选数据在您审定期间发生了变化（例如分数更正），请查看更新后的结果再作审定。",
                    );
                } else if !db::results::decide(
                    &mut tx,
                    &actor,
                    user.center_id,
                    &p,
                    decision.kind,
                    &ids,
                    reason,
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
    render(&state, &user, &p.code, errors).await
}
