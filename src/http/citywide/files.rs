//! A nomination's supporting files: the county uploads and removes them while it may change
//! the nomination; the county and the city's office open them inline or download them.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::nominate::{Ctx, NominationValues, load, refusal_message};
use super::{COUNTY_OFFICE, Side, side, year_of};
use crate::db;
use crate::db::citywide::files::{self, FileRefusal};
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, FormData, multipart};
use crate::http::routes::{Access, Routes};
use crate::http::urls;

pub(super) fn routes(r: Routes) -> Routes {
    let a = Access::Roles(COUNTY_OFFICE);
    r.upload("/citywide/{year}/nominations/{id}/files", a, upload)
        .get("/citywide/{year}/nominations/{id}/files/{file}", a, open)
        .post(
            "/citywide/{year}/nominations/{id}/files/{file}/remove",
            a,
            remove,
        )
}

/// The nomination page again, with why the file was not taken.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    year: &str,
    id: &str,
    message: String,
) -> AppResult<Response> {
    let (county, round, n, conditions, notes) = load(state, user, year, id).await?;
    let mut errors = Errors::default();
    errors.add("file", message);
    let values = NominationValues::of(&n, &conditions, &notes);
    Ctx::of(state, user, county, &round)
        .existing(n, values, errors)
        .await
}

/// `POST …/files`: one file, with the condition it is evidence for.
async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path((year, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let (county, round, n, _, _) = load(&state, &user, &year, &id).await?;
    let parts = match multipart(headers.get(header::CONTENT_TYPE), body).await {
        Some(Ok(parts)) => parts,
        _ => {
            let msg = "没有收到文件：请点“选择文件”选好材料后再上传。".to_string();
            return refused(&state, &user, &year, &id, msg).await;
        }
    };
    let condition = parts
        .iter()
        .find(|p| p.name == "condition" && p.file_name.is_none())
        .and_then(|p| std::str::from_utf8(&p.data).ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let Some(file) = parts
        .into_iter()
        .find(|p| p.name == "file" && p.file_name.is_some() && !p.data.is_empty())
    else {
        let msg = "没有收到文件：请点“选择文件”选好材料后再上传。".to_string();
        return refused(&state, &user, &year, &id, msg).await;
    };
    let limit = usize::try_from(round.file_size_limit).unwrap_or(0);
    if file.data.len() > limit {
        let msg = format!(
            "文件太大：单个材料不能超过 {} MB，请压缩或拆分后再上传。",
            round.file_size_limit / (1024 * 1024)
        );
        return refused(&state, &user, &year, &id, msg).await;
    }
    let Some(content_type) = files::sniff(&file.data) else {
        let msg = "只能上传 PDF、JPEG 或 PNG 文件（按文件内容判断，不看扩展名）。".to_string();
        return refused(&state, &user, &year, &id, msg).await;
    };
    let mut name: String = file
        .file_name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(200)
        .collect();
    if name.is_empty() {
        name = "材料".to_string();
    }
    let mut tx = state.db.begin().await?;
    let added = files::add(
        &mut tx,
        &user.actor(&ip),
        &state.clock,
        &round,
        county,
        n.id,
        condition,
        &name,
        content_type,
        &file.data,
    )
    .await?;
    match added {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!(
                "{}?notice=saved#files",
                urls::nomination(round.year, n.id)
            ))
            .into_response())
        }
        Err(r) => {
            drop(tx);
            let msg = match r {
                FileRefusal::TooMany(max) => {
                    format!("每份推荐最多 {max} 个材料，已满。请先删除不需要的材料。")
                }
                FileRefusal::Nomination(r) => refusal_message(&r),
            };
            refused(&state, &user, &year, &id, msg).await
        }
    }
}

/// `GET …/files/{file}`: the file inline (`?download=1`: as a download), for the county it
/// belongs to and for the city's office.
async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((year, id, file)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let file: i64 = file.parse().map_err(|_| AppError::NotFound)?;
    let year = year_of(&year)?;
    let mut conn = state.db.acquire().await?;
    let nomination = match side(&state, user.center_id).await? {
        Side::County { city } => {
            let round = db::citywide::round_by_year(&mut conn, city, year)
                .await?
                .ok_or(AppError::NotFound)?;
            db::citywide::nomination::find(&mut conn, round.id, user.center_id, id).await?
        }
        Side::City => {
            let round = db::citywide::round_by_year(&mut conn, user.center_id, year)
                .await?
                .ok_or(AppError::NotFound)?;
            db::citywide::nomination::find_in_round(&mut conn, round.id, id).await?
        }
    }
    .ok_or(AppError::NotFound)?;
    let (name, content_type, data) = files::content(&mut conn, nomination.id, file)
        .await?
        .ok_or(AppError::NotFound)?;
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    let mut res = if q.first_utf8("download") == Some("1") {
        crate::http::page::download(&name, &format!("file-{file}"), &content_type, data)
    } else {
        let mut res = data.into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
        res
    };
    // Whatever a file holds, it runs nothing of ours.
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

/// `POST …/files/{file}/remove`.
async fn remove(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path((year, id, file)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let (county, round, n, _, _) = load(&state, &user, &year, &id).await?;
    let file: i64 = file.parse().map_err(|_| AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    match files::remove(
        &mut tx,
        &user.actor(&ip),
        &state.clock,
        &round,
        county,
        n.id,
        file,
    )
    .await?
    {
        Ok(true) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!(
                "{}?notice=saved#files",
                urls::nomination(round.year, n.id)
            ))
            .into_response())
        }
        Ok(false) => Err(AppError::NotFound),
        Err(r) => {
            drop(tx);
            refused(&state, &user, &year, &id.to_string(), refusal_message(&r)).await
        }
    }
}
