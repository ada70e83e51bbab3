//! Duty days (在岗天数)

use crate::db;
use crate::domain::ids::{StaffId, WindowId};
use crate::domain::period::period_label as label_of;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{CurrentUser, PeriodCtx};
use crate::http::form::FormData;
use crate::http::page::{self, Layout};
use crate::http::urls;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "periods/duty_days.html")]
struct DutyPage {
    layout: Layout,
    label: String,
    period_url: String,
    action: String,
    windows: Vec<crate::http::page::Choice>,
    cells: Vec<crate::http::scores::Cell>,
    filled: usize,
    min_days: String,
    locked: bool,
    messages: Vec<String>,
}

fn window_filter(query: Option<&str>) -> Option<i64> {
    FormData::parse_query(query.unwrap_or(""))
        .first_utf8("window")
        .and_then(|v| v.parse().ok())
}

async fn render_duty(
    state: &AppState,
    user: &CurrentUser,
    p: &db::period::PeriodRow,
    window: Option<i64>,
    typed: Option<&std::collections::BTreeMap<i64, (String, Option<String>)>>,
    messages: Vec<String>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let rows =
        db::duty::duty_grid(&mut conn, user.center_id, p.period_id, window.map(WindowId)).await?;
    let windows = db::org::window_options(&mut conn, user.center_id, None).await?;
    drop(conn);
    let filled = rows.iter().filter(|r| r.score.is_some()).count();
    let cells = rows
        .into_iter()
        .map(|r| {
            let shown = r.score.map(|d| d.to_string()).unwrap_or_default();
            let (value, error) = match typed.and_then(|t| t.get(&r.id)) {
                Some((v, e)) => (v.clone(), e.clone()),
                None => (shown.clone(), None),
            };
            crate::http::scores::Cell {
                id: r.id,
                label: r.label,
                detail: r.detail,
                value,
                original: shown,
                version: r.version,
                error,
                note: r.note,
            }
        })
        .collect();
    let mut layout = Layout::new(
        format!("{} 在岗天数", label_of(&p.code)),
        Some(user),
        urls::PERIODS,
    );
    if let Some(q) = notice {
        layout = layout.with_notice(q);
    }
    let query = window.map(|w| format!("?window={w}")).unwrap_or_default();
    let page = DutyPage {
        layout,
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        action: format!("{}/duty-days{query}", urls::period(&p.code)),
        windows: crate::http::page::choices(
            &windows,
            &window.map(|w| w.to_string()).unwrap_or_default(),
        ),
        cells,
        filled,
        min_days: p.rules.min_duty_days.to_string(),
        locked: p.phase.scores_locked(),
        messages: messages.clone(),
    };
    Ok(page::ok_or_invalid(messages.is_empty(), &page))
}

pub(super) async fn duty_page(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let notice = FormData::parse_query(q.as_deref().unwrap_or(""));
    render_duty(
        &state,
        &user,
        &p,
        window_filter(q.as_deref()),
        None,
        Vec::new(),
        Some(&notice),
    )
    .await
}

pub(super) async fn duty_save(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    RawQuery(q): RawQuery,
    form: FormData,
) -> AppResult<Response> {
    let PeriodCtx {
        user,
        period: p,
        actor,
    } = ctx;
    let window = window_filter(q.as_deref());
    let back = format!(
        "{}/duty-days?{}notice=saved",
        urls::period(&p.code),
        window.map(|w| format!("window={w}&")).unwrap_or_default()
    );
    let cells = match crate::http::grid::read_cells(&form, crate::domain::text::days) {
        Ok(c) => c,
        Err(msg) => return render_duty(&state, &user, &p, window, None, vec![msg], None).await,
    };
    // The grid again, with everything typed and why nothing was saved.
    let typed = crate::http::grid::typed(&cells);
    let again = async |messages: Vec<String>| {
        render_duty(&state, &user, &p, window, Some(&typed), messages, None).await
    };
    let bad = crate::http::grid::bad(&cells);
    if bad > 0 {
        let msg =
            format!("有 {bad} 项在岗天数需要修改：应为 0 到 366 之间的整数。尚未保存任何数据。");
        return again(vec![msg]).await;
    }
    let changed = crate::http::grid::changed(&cells);
    if changed.is_empty() {
        return Ok(Redirect::to(&back).into_response());
    }
    let mut tx = state.db.begin().await?;
    let phase = db::period::lock_phase(&mut tx, user.center_id, p.period_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if phase.scores_locked() {
        drop(tx);
        let msg = format!(
            "{}已确认候选对象，在岗天数已锁定。尚未保存任何数据。",
            label_of(&p.code)
        );
        return again(vec![msg]).await;
    }
    db::advisory_lock(&mut tx, &format!("duty {}", p.period_id)).await?;
    let ids: Vec<i64> = changed.iter().map(|c| c.0).collect();
    let current = db::duty::lock_duty(&mut tx, user.center_id, p.period_id, &ids)
        .await?
        .into_iter()
        .map(|(id, days, version, by)| (id, (days, version, by)))
        .collect();
    let writes = match crate::http::grid::plan(&changed, &current) {
        crate::http::grid::Plan::Write(w) => w,
        crate::http::grid::Plan::Unknown => {
            drop(tx);
            return again(vec![crate::http::grid::STALE.to_string()]).await;
        }
        crate::http::grid::Plan::Conflicts(conflicts) => {
            drop(tx);
            let msg = format!(
                "有 {} 名工作人员的在岗天数在您打开本页后已被他人修改，为避免覆盖，本次未保存任何数据。确认您填写的无误后再次保存即以您填写的为准。",
                conflicts.len()
            );
            return again(vec![msg]).await;
        }
    };
    for (id, before, after) in writes {
        db::duty::set_duty(
            &mut tx,
            &actor,
            user.center_id,
            p.period_id,
            &p.code,
            StaffId(id),
            before,
            after,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&back).into_response())
}
