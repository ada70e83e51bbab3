//! The roster from Excel, for the first setup of a center: departments (进驻单位), business
//! areas (业务范围), windows and staff in one workbook, one sheet each. The same upload,
//! preview and all-or-nothing confirmation as monthly scores. Rows are matched by name,
//! window number and employee number; nothing missing from the file is deactivated.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::roster_plan::{
    AREAS, Action, DEPARTMENTS, Rows, STAFF, WINDOWS, apply, columns, current, plan, read_rows,
};
use crate::db;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::page::{self, Layout};
use crate::http::routes::{ADMIN, Access, Routes};
use crate::http::urls;
use crate::sheets::{self, Out, OutSheet};

pub fn routes(r: Routes) -> Routes {
    let a = Access::Roles(ADMIN);
    r.get("/admin/roster.xlsx", a, export)
        .get("/imports/roster", a, upload_page)
        .upload("/imports/roster", a, upload)
        .post("/imports/roster/{id}", a, confirm)
}

#[derive(Template)]
#[template(path = "imports/roster.html")]
struct RosterPage {
    layout: Layout,
    error: Option<String>,
    file_name: String,
    previewed: bool,
    actions: Vec<Action>,
    hidden: usize,
    created: usize,
    updated: usize,
    same: usize,
    errors: usize,
    confirm_action: String,
}

fn empty_page(user: &CurrentUser) -> RosterPage {
    RosterPage {
        layout: Layout::new("从 Excel 导入名单", Some(user), urls::ADMIN_HOME),
        error: None,
        file_name: String::new(),
        previewed: false,
        actions: Vec::new(),
        hidden: 0,
        created: 0,
        updated: 0,
        same: 0,
        errors: 0,
        confirm_action: String::new(),
    }
}

async fn upload_page(user: CurrentUser) -> AppResult<Response> {
    Ok(page::ok(&empty_page(&user)))
}

/// The center's roster as a workbook: the template, filled in.
async fn export(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let names = |sql: &'static str| sqlx::query_scalar::<_, String>(sql).bind(user.center_id);
    let departments = names(
        "select name from department where center_id = $1 and active order by sort_order, name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let areas = names(
        "select name from business_area where center_id = $1 and active order by sort_order, name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let windows: Vec<(String, String, String, String)> = sqlx::query_as(
        "select w.number, w.name, d.name, a.name from service_window w
         join department d on d.department_id = w.department_id and d.center_id = w.center_id
         join business_area a on a.business_area_id = w.business_area_id and a.center_id = w.center_id
         where w.center_id = $1 and w.active order by length(w.number), w.number",
    )
    .bind(user.center_id)
    .fetch_all(&mut *conn)
    .await?;
    let staff: Vec<(String, String, String, String)> = sqlx::query_as(
        "select s.employee_no, s.name, w.number, s.position from staff s
         join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
         where s.center_id = $1 and s.active order by length(w.number), w.number, s.employee_no",
    )
    .bind(user.center_id)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let text_rows = |list: Vec<Vec<String>>| -> Vec<Vec<Out>> {
        list.into_iter()
            .map(|r| r.into_iter().map(Out::Text).collect())
            .collect()
    };
    let head = |sheet: &str, widths: &[f64]| -> Vec<(String, f64)> {
        columns(sheet)
            .iter()
            .zip(widths)
            .map(|(t, w)| (t.to_string(), *w))
            .collect()
    };
    let sheet = |name: &str, title: &str, widths: &[f64], rows: Vec<Vec<String>>| OutSheet {
        name: name.to_string(),
        title: format!("{} {title}", user.center_name),
        header: head(name, widths),
        rows: text_rows(rows),
        frozen_columns: 1,
    };
    let bytes = sheets::write_xlsx(&[
        sheet(
            DEPARTMENTS,
            "进驻单位",
            &[30.0],
            departments.into_iter().map(|d| vec![d]).collect(),
        ),
        sheet(
            AREAS,
            "业务范围",
            &[30.0],
            areas.into_iter().map(|a| vec![a]).collect(),
        ),
        sheet(
            WINDOWS,
            "窗口（进驻单位、业务范围须与前两张表中的名称一致）",
            &[10.0, 24.0, 24.0, 16.0],
            windows
                .into_iter()
                .map(|(a, b, c, d)| vec![a, b, c, d])
                .collect(),
        ),
        sheet(
            STAFF,
            "工作人员（窗口号须与“窗口”表一致）",
            &[12.0, 12.0, 10.0, 18.0],
            staff
                .into_iter()
                .map(|(a, b, c, d)| vec![a, b, c, d])
                .collect(),
        ),
    ]);
    page::xlsx_download("名单.xlsx", bytes)
}

const SHOWN: usize = 500;

async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let mut page_ = empty_page(&user);
    let refuse = |mut p: RosterPage, msg: String| {
        p.error = Some(msg);
        Ok(page::invalid(&p))
    };
    let file = crate::http::form::uploaded_file(&headers, body, "file").await;
    let Some(file) = file else {
        return refuse(
            page_,
            "没有收到文件：请点“选择文件”选好名单表格后再上传。".into(),
        );
    };
    page_.file_name = file.name;
    let data = file.data;
    let book = tokio::task::spawn_blocking(move || sheets::read_book(&data))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let book = match book {
        Ok(b) => b,
        Err(e) => return refuse(page_, e.message()),
    };
    let rows = match read_rows(&book) {
        Ok(r) => r,
        Err(msg) => return refuse(page_, msg),
    };
    let mut conn = state.db.acquire().await?;
    let now = current(&mut conn, user.center_id).await?;
    let actions = plan(&rows, &now);
    let count = |s: &str| actions.iter().filter(|a| a.status == s).count();
    page_.previewed = true;
    page_.created = count("新增");
    page_.updated = count("修改");
    page_.same = count("无变化");
    page_.errors = count("错误");
    if page_.errors == 0 && page_.created + page_.updated > 0 {
        let payload = serde_json::json!({"rows": rows, "actions": actions});
        let id = db::imports::create_roster(
            &mut conn,
            user.center_id,
            user.account_id,
            &page_.file_name,
            &payload,
        )
        .await?;
        page_.confirm_action = format!("/imports/roster/{id}");
    }
    let mut shown = actions;
    shown.sort_by_key(|a| match a.status.as_str() {
        "错误" => 0,
        "新增" | "修改" => 1,
        _ => 2,
    });
    page_.hidden = shown.len().saturating_sub(SHOWN);
    shown.truncate(SHOWN);
    page_.actions = shown;
    let valid = page_.errors == 0;
    Ok(page::ok_or_invalid(valid, &page_))
}

async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = crate::http::extract::path_id(&id)?;
    let mut tx = state.db.begin().await?;
    let (payload, applied) = db::imports::lock_roster(&mut tx, user.center_id, user.account_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if applied {
        return Ok(Redirect::to(&format!("{}?notice=imported", urls::ADMIN_HOME)).into_response());
    }
    let rows: Rows =
        serde_json::from_value(payload["rows"].clone()).map_err(|_| AppError::NotFound)?;
    let shown: Vec<Action> =
        serde_json::from_value(payload["actions"].clone()).map_err(|_| AppError::NotFound)?;
    // One roster change at a time; then the plan again, as it would be now.
    db::advisory_lock(&mut tx, &format!("roster {}", user.center_id)).await?;
    let now = current(&mut tx, user.center_id).await?;
    if plan(&rows, &now) != shown {
        drop(tx);
        let mut p = empty_page(&user);
        p.error = Some(
            "预览之后，中心的名单已被修改。为避免覆盖，本次未导入任何内容；请重新上传文件，核对预览后再确认。"
                .into(),
        );
        return Ok(page::invalid(&p));
    }
    apply(&mut tx, &user, &user.actor(&ip), &rows, now).await?;
    db::imports::mark_applied(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?notice=imported_roster", urls::ADMIN_HOME)).into_response())
}
