//! Saving the monthly grid: every cell read and checked, a concurrent edit reported
//! instead of overwritten, a locked month's change made a correction with a reason.

use super::corrections::apply_correction;
use super::{Typed, View, label_map, render_grid, show};
use crate::db::{self};
use crate::domain::ids::Entrant;
use crate::domain::period::{is_month, month_label};
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::FormData;
use crate::http::grid;
use crate::http::urls;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

pub(super) async fn grid_save(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(month): Path<String>,
    RawQuery(query): RawQuery,
    form: FormData,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    let view = View::parse(query.as_deref());
    let cells = match grid::read_cells(&form, text::score) {
        Ok(c) => c,
        Err(msg) => {
            return render_grid(
                &state,
                &user,
                &month,
                &view,
                Typed::default(),
                vec![msg],
                None,
            )
            .await;
        }
    };
    // The grid again, with everything typed and why nothing was saved.
    let typed_cells = grid::typed(&cells);
    let typed_reason = form.echo("reason");
    let again = async |messages: Vec<String>, reason_error: Option<String>| {
        let typed = Typed {
            cells: Some(&typed_cells),
            reason: typed_reason.clone(),
            reason_error,
        };
        render_grid(&state, &user, &month, &view, typed, messages, None).await
    };
    let bad = grid::bad(&cells);
    if bad > 0 {
        let msg = format!(
            "有 {bad} 个分数需要修改：分数应在 0 到 100 之间，最多两位小数。尚未保存任何分数。"
        );
        return again(vec![msg], None).await;
    }
    let changed = grid::changed(&cells);
    if changed.is_empty() {
        return Ok(Redirect::to(&format!(
            "{}?{}&notice=saved",
            urls::scores(&month),
            view.query()
        ))
        .into_response());
    }
    let actor = user.actor(&ip);
    let mut tx = state.db.begin().await?;
    // A kind assessed by records in this month has its scores from them only.
    db::assessment::lock(&mut tx, user.center_id, view.kind).await?;
    if db::assessment::rules::mode(&mut tx, user.center_id, view.kind, &month).await?
        == db::assessment::Mode::Records
    {
        drop(tx);
        let msg = format!(
            "{}的分数按考核细则由考核记录计算，不能直接录入。尚未保存任何分数。",
            month_label(&month)
        );
        return again(vec![msg], None).await;
    }
    // One save of a month at a time; then the periods using the month, so that no phase
    // moves while its scores are written.
    db::advisory_lock(&mut tx, &format!("score {} {month}", user.center_id)).await?;
    let locking = db::correction::lock_locking_periods(&mut tx, user.center_id, &month).await?;
    let reason = if locking.is_empty() {
        None
    } else {
        let codes: Vec<String> = locking.iter().map(|p| p.code.clone()).collect();
        if !view.correct {
            drop(tx);
            let msg = format!(
                "{} 的考核已锁定（{} 已确认候选对象），不能直接修改；如需修改，请使用“更正分数”并填写理由。尚未保存任何分数。",
                month_label(&month),
                codes.join("、")
            );
            return again(vec![msg], None).await;
        }
        match form
            .raw("reason")
            .map_err(|_| text::TextError::Empty)
            .and_then(|r| text::paragraph(r, 1000))
        {
            Ok(r) => Some(r),
            Err(e) => {
                drop(tx);
                let msg = format!("更正理由：{}。尚未保存任何分数。", e.message());
                return again(vec![msg], Some(e.message())).await;
            }
        }
    };
    let ids: Vec<i64> = changed.iter().map(|c| c.0).collect();
    let current = db::score::lock_current(&mut tx, user.center_id, &month, view.kind, &ids)
        .await?
        .into_iter()
        .map(|(id, score, version, by)| (id, (score, version, by)))
        .collect();
    let writes = match grid::plan(&changed, &current) {
        grid::Plan::Write(w) => w,
        grid::Plan::Unknown => {
            drop(tx);
            let msg =
                "页面中有已停用或不属于本中心的对象，请刷新页面后重新录入。尚未保存任何分数。"
                    .to_string();
            return again(vec![msg], None).await;
        }
        grid::Plan::Conflicts(conflicts) => {
            drop(tx);
            let mut msgs = vec![format!(
                "有 {} 个分数在您打开本页后已被他人修改，为避免覆盖，本次未保存任何分数。下面显示的是您填写的分数；确认无误后再次保存即以您填写的为准。",
                conflicts.len()
            )];
            let labels = label_map(&state, &user, &month, &view).await?;
            for (id, now, by) in conflicts {
                msgs.push(format!(
                    "{}：现为 {}（{}修改）",
                    labels.get(&id).cloned().unwrap_or_else(|| id.to_string()),
                    if now.is_some() {
                        show(now)
                    } else {
                        "（空）".to_string()
                    },
                    by.unwrap_or_default()
                ));
            }
            return again(msgs, None).await;
        }
    };
    let Some(reason) = reason else {
        for (id, before, after) in &writes {
            db::score::set(
                &mut tx,
                &actor,
                user.center_id,
                &month,
                Entrant::of(view.kind, *id),
                *before,
                *after,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        return Ok(Redirect::to(&format!(
            "{}?{}&notice=saved",
            urls::scores(&month),
            view.query()
        ))
        .into_response());
    };
    // A correction: every changed score must stay a score, and every round using the month
    // must still hold together with it.
    let mut corrected = Vec::new();
    for (id, before, after) in &writes {
        match after {
            Some(after) => corrected.push((*id, *before, *after)),
            None => {
                drop(tx);
                let labels = label_map(&state, &user, &month, &view).await?;
                let msg = format!(
                    "{}：已锁定月份的分数不能清空，只能更正为新的分数。尚未保存任何分数。",
                    labels.get(id).cloned().unwrap_or_else(|| id.to_string())
                );
                return again(vec![msg], None).await;
            }
        }
    }
    let plans = match apply_correction(
        &mut tx, &user, &actor, &month, view.kind, &corrected, &locking, &reason,
    )
    .await?
    {
        Ok(plans) => plans,
        Err(msg) => {
            drop(tx);
            return again(vec![msg], None).await;
        }
    };
    tx.commit().await?;
    let shown = View {
        correct: false,
        ..view
    };
    Ok(Redirect::to(&format!(
        "{}?{}&notice={}",
        urls::scores(&month),
        shown.query(),
        if plans == 0 {
            "corrected_score_only"
        } else {
            "corrected_scores"
        }
    ))
    .into_response())
}
