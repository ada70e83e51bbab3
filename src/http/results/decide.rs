//! The group leader's decision of an unresolved tie, with a written reason.

use super::page::render;
use super::period_results;
use crate::db;
use crate::domain::period::Phase;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::PeriodCtx;
use crate::http::form::{Errors, FormData};
use crate::scoring::{self};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

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
                if phase != Some(Phase::Review) {
                    return Err(AppError::NotFound);
                }
                // The round as it is now, under the lock: a correction may have changed it
                // since the page was read.
                let (mut now, _) = db::results::recount_input(&mut tx, user.center_id, &p).await?;
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
                } else if !db::results::decide(
                    &mut tx,
                    &actor,
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
    render(&state, &user, &p.code, errors).await
}
