//! Staff photos on the admin's staff pages: upload (re-encoded by the server, see
//! [`crate::domain::photo`]), preview and removal.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::{ClientIp, CurrentUser};
use super::form::FormData;
use super::page::{self, Layout};
use super::routes::{ADMIN, Access, Routes};
use super::urls;
use crate::db;
use crate::domain::ids::StaffId;
use crate::domain::photo;

pub fn routes(r: Routes) -> Routes {
    r.get("/admin/staff/{id}/photo", Access::Roles(ADMIN), photo_page)
        .upload("/admin/staff/{id}/photo", Access::Roles(ADMIN), upload)
        .get("/admin/staff/{id}/photo.jpg", Access::Roles(ADMIN), image)
        .post(
            "/admin/staff/{id}/photo/delete",
            Access::Roles(ADMIN),
            remove,
        )
}

#[derive(Template)]
#[template(path = "photos/staff_photo.html")]
struct PhotoPage {
    layout: Layout,
    name: String,
    edit_url: String,
    action: String,
    remove_action: String,
    image_url: Option<String>,
    initial: String,
    error: Option<String>,
    max_mb: usize,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    id: StaffId,
    error: Option<String>,
    query: Option<&str>,
) -> AppResult<Response> {
    let (name, version) = {
        let mut conn = state.db.acquire().await?;
        db::photo::owner(&mut conn, user.center_id, id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let base = format!("{}/{id}", urls::STAFF);
    let mut layout = Layout::new(format!("{name} 的照片"), Some(user), urls::STAFF);
    if let Some(q) = query {
        layout = layout.with_notice(&FormData::parse_query(q));
    }
    let invalid = error.is_some();
    let page_ = PhotoPage {
        layout,
        initial: name.chars().next().map(String::from).unwrap_or_default(),
        name,
        edit_url: base.clone(),
        action: format!("{base}/photo"),
        remove_action: format!("{base}/photo/delete"),
        image_url: version.map(|v| format!("{base}/photo.jpg?v={v}")),
        error,
        max_mb: state.config.upload_limit / (1024 * 1024),
    };
    Ok(page::ok_or_invalid(!invalid, &page_))
}

async fn photo_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    render(&state, &user, id, None, query.as_deref()).await
}

async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    let file = super::form::uploaded_file(&headers, body, "photo")
        .await
        .map(|f| f.data);
    let Some(file) = file else {
        let msg = "没有收到照片文件：请点“选择文件”选好照片后再上传。".to_string();
        return render(&state, &user, id, Some(msg), None).await;
    };
    let processed = photo::process_in_turn(file).await?;
    let jpeg = match processed {
        Ok(j) => j,
        Err(e) => return render(&state, &user, id, Some(e.message()), None).await,
    };
    let mut tx = state.db.begin().await?;
    if !db::photo::set(
        &mut tx,
        &user.actor(&ip),
        user.center_id,
        id,
        Some((&jpeg, "image/jpeg")),
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    state.honors.invalidate();
    Ok(Redirect::to(&format!("{}/{id}/photo?notice=saved", urls::STAFF)).into_response())
}

async fn remove(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    let mut tx = state.db.begin().await?;
    if !db::photo::set(&mut tx, &user.actor(&ip), user.center_id, id, None).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    state.honors.invalidate();
    Ok(Redirect::to(&format!("{}/{id}/photo?notice=saved", urls::STAFF)).into_response())
}

async fn image(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    let mut conn = state.db.acquire().await?;
    let (bytes, kind) = db::photo::get(&mut conn, user.center_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(page::image(bytes, &kind))
}
