//! Publication by the group leader: a confirmation page listing every winner, then the
//! publication of exactly that list.

use super::page::render;
use super::period_results;
use crate::db;
use crate::domain::period::Phase;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{CurrentUser, PeriodCtx};
use crate::http::form::{Errors, FormData};
use crate::http::page::{self, Layout};
use crate::http::periods::turnout::{ChangeView, member_changes};
use crate::http::urls;
use crate::scoring::{self, PeriodResult};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "results/publish.html")]
struct PublishPage {
    layout: Layout,
    label: String,
    code: String,
    /// (award, names in rank order)
    winners: Vec<(String, Vec<String>)>,
    /// Why it cannot be published yet, if it cannot.
    blocked: Option<&'static str>,
    /// The list changed since the group leader last saw it.
    changed: bool,
    /// The winners as confirmed, sent back with the confirmation: publication refuses a list
    /// that changed in between (a score correction, say).
    confirmed: String,
    /// Changes to the accounts of voters and raters made while the rounds were open.
    changes: Vec<ChangeView>,
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
    p: &db::period::PeriodRow,
    result: &PeriodResult,
    names: &db::period::EntrantNames,
    changed: bool,
    changes: Vec<ChangeView>,
) -> PublishPage {
    let code = p.code.as_str();
    let label = crate::domain::period::period_label(code);
    let blocked = (!result.window.unresolved_tie.is_empty()
        || !result.staff.unresolved_tie.is_empty())
    .then_some("尚有跨过名额线的并列待定，请先在评选结果页审定后再发布。");
    let list = |ids: &[String]| ids.iter().map(|w| names.label(w)).collect();
    PublishPage {
        layout: Layout::new(format!("发布{label}评选结果"), Some(user), urls::PERIODS),
        winners: vec![
            (
                p.title(crate::scoring::Kind::Window).to_string(),
                list(&result.window.winners),
            ),
            (
                p.title(crate::scoring::Kind::Staff).to_string(),
                list(&result.staff.winners),
            ),
        ],
        blocked,
        changed,
        confirmed: winners_key(result),
        changes,
        label,
        code: code.to_string(),
    }
}

/// The confirmation page of publication: exactly what will happen and who will be on the
/// honor roll.
pub(super) async fn publish_page(
    State(state): State<AppState>,
    ctx: PeriodCtx,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let (_, result, names) = period_results(&state, user.center_id, &p).await?;
    if p.phase != Phase::Review {
        return Ok(Redirect::to(&format!("/results/{}", p.code)).into_response());
    }
    let changes = {
        let mut conn = state.db.acquire().await?;
        member_changes(&mut conn, user.center_id, p.period_id).await?
    };
    Ok(page::ok(&publish_confirmation(
        &user, &p, &result, &names, false, changes,
    )))
}

/// The group leader (组长) publishes the reviewed results, after the confirmation page:
/// computed once more under the period's lock, refused while a tie at the boundary is
/// undecided.
pub(super) async fn publish(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    form: FormData,
) -> AppResult<Response> {
    let PeriodCtx {
        user,
        period: p,
        actor,
    } = ctx;
    let (_, _, names) = period_results(&state, user.center_id, &p).await?;
    let mut errors = Errors::default();
    let mut tx = state.db.begin().await?;
    match db::period::lock_phase(&mut tx, user.center_id, p.period_id).await? {
        Some(Phase::Review) => {}
        // Published a moment ago (a second click, another tab): nothing more to do.
        Some(Phase::Published) => {
            drop(tx);
            return Ok(Redirect::to(&format!("/results/{}", p.code)).into_response());
        }
        _ => {
            drop(tx);
            errors.add("publish", "只有处于“领导小组审定”阶段的结果才能发布。");
            return render(&state, &user, &p.code, errors).await;
        }
    }
    let (input, _) = db::results::recount_input(&mut tx, user.center_id, &p).await?;
    let result = scoring::compute(&input).map_err(|r| {
        AppError::Internal(anyhow::anyhow!(
            "period {} refused by the scoring module: {r}",
            p.code
        ))
    })?;
    if !result.window.unresolved_tie.is_empty() || !result.staff.unresolved_tie.is_empty() {
        drop(tx);
        errors.add("publish", "尚有跨过名额线的并列待定，请先审定后再发布。");
        return render(&state, &user, &p.code, errors).await;
    }
    // What is published is exactly the list the group leader confirmed.
    if form.raw("confirmed") != Ok(winners_key(&result).as_str()) {
        let changes = member_changes(&mut tx, user.center_id, p.period_id).await?;
        drop(tx);
        return Ok(page::invalid(&publish_confirmation(
            &user, &p, &result, &names, true, changes,
        )));
    }
    db::results::publish(&mut tx, &actor, user.center_id, &p, &input, &result, None).await?;
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
