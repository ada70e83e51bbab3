//! The supervision office's monthly score grid (百分考核): a whole month typed with the
//! keyboard and saved at once, in one transaction; bad cells marked with every typed value
//! kept; a concurrent edit reported instead of overwritten; locked once a period using the
//! month has confirmed its candidates.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::{ClientIp, CurrentUser};
use super::form::FormData;
use super::grid;
use super::page::{self, Choice, Layout, choices};
use super::routes::{Access, Routes, SUPERVISION};
use super::urls;
use crate::db::{self, org::Catalog};
use crate::domain::period::{is_month, month_label};
use crate::domain::text;
use crate::scoring::Fixed2;

pub fn routes(r: Routes) -> Routes {
    r.get(urls::SCORES, Access::Roles(SUPERVISION), current_month)
        .get("/scores/{month}", Access::Roles(SUPERVISION), grid_page)
        .post("/scores/{month}", Access::Roles(SUPERVISION), grid_save)
}

/// `/scores` opens the current month (China Standard Time).
async fn current_month() -> Redirect {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    Redirect::to(&urls::scores(&format!(
        "{}-{:02}",
        now.year(),
        u8::from(now.month())
    )))
}

/// Which grid and which rows.
struct View {
    staff: bool,
    department: Option<i64>,
    window: Option<i64>,
}

impl View {
    fn parse(query: Option<&str>) -> View {
        let q = FormData::parse_query(query.unwrap_or(""));
        let id = |name| q.first_utf8(name).and_then(|v| v.parse().ok());
        View {
            staff: q.first_utf8("tab") == Some("staff"),
            department: id("department"),
            window: id("window"),
        }
    }

    fn query(&self) -> String {
        let mut q = vec![format!(
            "tab={}",
            if self.staff { "staff" } else { "windows" }
        )];
        if let Some(d) = self.department {
            q.push(format!("department={d}"));
        }
        if let Some(w) = self.window.filter(|_| self.staff) {
            q.push(format!("window={w}"));
        }
        q.join("&")
    }
}

/// One cell of the grid as shown.
pub struct Cell {
    pub id: i64,
    pub label: String,
    pub detail: String,
    pub value: String,
    pub original: String,
    pub version: i32,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "scores/grid.html")]
struct GridPage {
    layout: Layout,
    month: String,
    month_label: String,
    prev: String,
    next: String,
    staff: bool,
    windows_tab: String,
    staff_tab: String,
    action: String,
    departments: Vec<Choice>,
    windows: Vec<Choice>,
    cells: Vec<Cell>,
    filled: usize,
    locked_by: Vec<String>,
    messages: Vec<String>,
    base: &'static str,
}

fn show(h: Option<i32>) -> String {
    h.map(|h| Fixed2(i64::from(h)).to_string())
        .unwrap_or_default()
}

fn shift_month(month: &str, by: i32) -> String {
    let y: i32 = month[..4].parse().unwrap_or(2026);
    let m: i32 = month[5..].parse().unwrap_or(1);
    let n = y * 12 + (m - 1) + by;
    format!("{}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
}

async fn render_grid(
    state: &AppState,
    user: &CurrentUser,
    month: &str,
    view: &View,
    typed: Option<&BTreeMap<i64, (String, Option<String>)>>,
    messages: Vec<String>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let departments =
        db::org::catalog_options(&mut conn, Catalog::Department, user.center_id, None).await?;
    let windows = db::org::window_options(&mut conn, user.center_id, None).await?;
    let rows = if view.staff {
        db::score::staff_grid(
            &mut conn,
            user.center_id,
            month,
            view.department,
            view.window,
        )
        .await?
    } else {
        db::score::window_grid(&mut conn, user.center_id, month, view.department).await?
    };
    let locked_by = db::period::locking_periods(&mut conn, user.center_id, month).await?;
    drop(conn);
    let filled = rows.iter().filter(|r| r.score.is_some()).count();
    let cells = rows
        .into_iter()
        .map(|r| {
            let (value, error) = match typed.and_then(|t| t.get(&r.id)) {
                Some((v, e)) => (v.clone(), e.clone()),
                None => (show(r.score), None),
            };
            Cell {
                id: r.id,
                label: r.label,
                detail: r.detail,
                value,
                original: show(r.score),
                version: r.version,
                error,
            }
        })
        .collect();
    let mut layout = Layout::new(
        format!("{} 月度考核", month_label(month)),
        Some(user),
        urls::SCORES,
    );
    if let Some(q) = notice {
        layout = layout.with_notice(q);
    }
    let tab = |staff: bool| {
        let v = View {
            staff,
            department: view.department,
            window: view.window,
        };
        format!("{}?{}", urls::scores(month), v.query())
    };
    let page = GridPage {
        layout,
        month: month.to_string(),
        month_label: month_label(month),
        prev: format!("{}?{}", urls::scores(&shift_month(month, -1)), view.query()),
        next: format!("{}?{}", urls::scores(&shift_month(month, 1)), view.query()),
        staff: view.staff,
        windows_tab: tab(false),
        staff_tab: tab(true),
        action: format!("{}?{}", urls::scores(month), view.query()),
        departments: choices(
            &departments,
            &view.department.map(|d| d.to_string()).unwrap_or_default(),
        ),
        windows: choices(
            &windows,
            &view.window.map(|d| d.to_string()).unwrap_or_default(),
        ),
        cells,
        filled,
        locked_by,
        messages: messages.clone(),
        base: urls::SCORES,
    };
    Ok(page::ok_or_invalid(messages.is_empty(), &page))
}

async fn grid_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(month): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    let view = View::parse(query.as_deref());
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    render_grid(&state, &user, &month, &view, None, Vec::new(), Some(&q)).await
}

async fn grid_save(
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
        Err(msg) => return render_grid(&state, &user, &month, &view, None, vec![msg], None).await,
    };
    // The grid again, with everything typed and why nothing was saved.
    let typed = grid::typed(&cells);
    let again = async |messages: Vec<String>| {
        render_grid(&state, &user, &month, &view, Some(&typed), messages, None).await
    };
    let bad = grid::bad(&cells);
    if bad > 0 {
        let msg = format!(
            "有 {bad} 个分数需要修改：分数应在 0 到 100 之间，最多两位小数。尚未保存任何分数。"
        );
        return again(vec![msg]).await;
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
    let locked_by = db::period::locking_periods(&mut tx, user.center_id, &month).await?;
    if !locked_by.is_empty() {
        drop(tx);
        let msg = format!(
            "{} 的考核已锁定（{} 已确认候选对象），不能直接修改。尚未保存任何分数。",
            month_label(&month),
            locked_by.join("、")
        );
        return again(vec![msg]).await;
    }
    db::advisory_lock(&mut tx, &format!("score {} {month}", user.center_id)).await?;
    let ids: Vec<i64> = changed.iter().map(|c| c.0).collect();
    let current = db::score::lock_current(&mut tx, user.center_id, &month, view.staff, &ids)
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
            return again(vec![msg]).await;
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
            return again(msgs).await;
        }
    };
    for (id, before, after) in &writes {
        db::score::set(
            &mut tx,
            &actor,
            user.center_id,
            &month,
            view.staff,
            *id,
            *before,
            *after,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "{}?{}&notice=saved",
        urls::scores(&month),
        view.query()
    ))
    .into_response())
}

async fn label_map(
    state: &AppState,
    user: &CurrentUser,
    month: &str,
    view: &View,
) -> AppResult<BTreeMap<i64, String>> {
    let mut conn = state.db.acquire().await?;
    let rows = if view.staff {
        db::score::staff_grid(&mut conn, user.center_id, month, None, None).await?
    } else {
        db::score::window_grid(&mut conn, user.center_id, month, None).await?
    };
    Ok(rows.into_iter().map(|r| (r.id, r.label)).collect())
}
