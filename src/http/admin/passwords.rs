//! Passwords an administrator generates: a reset after a confirmation step, and the one page
//! that shows a temporary or initial password once. The form that makes the password
//! redirects to that page, so a refresh submits nothing again and shows nothing again.

use super::A;
use crate::db;
use crate::domain::ids::AccountId;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::page::{self, Layout};
use crate::http::routes::Routes;
use crate::http::urls;
use crate::password;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/admin/accounts/{id}/password-reset", A, reset_page)
        .post("/admin/accounts/{id}/password-reset", A, reset)
        .get(urls::PASSWORD_HANDOVER, A, handover_page)
}

/// A generated password on its way to the page that shows it.
#[derive(Serialize, Deserialize)]
pub(super) struct Handover {
    pub account_id: AccountId,
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// A new account's initial password, rather than a reset's temporary one.
    pub created: bool,
}

/// Keeps the password for this administrator's session and sends the browser to the page
/// that shows it.
pub(super) async fn hand_over(
    state: &AppState,
    user: &CurrentUser,
    h: Handover,
) -> AppResult<Response> {
    let mut value = serde_json::to_value(&h).map_err(|e| AppError::Internal(e.into()))?;
    value["at"] = time::OffsetDateTime::now_utc().unix_timestamp().into();
    let mut conn = state.db.acquire().await?;
    db::session::set_handover(&mut conn, &user.session_hash, &value).await?;
    Ok(Redirect::to(urls::PASSWORD_HANDOVER).into_response())
}

#[derive(Template)]
#[template(path = "admin/account_password.html")]
struct HandoverPage {
    layout: Layout,
    shown: Option<Handover>,
    account_url: String,
}

/// Shows the password once; afterwards (a refresh, the back button) says it was shown.
async fn handover_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    let taken = {
        let mut conn = state.db.acquire().await?;
        db::session::take_handover(&mut conn, &user.session_hash).await?
    };
    let shown: Option<Handover> = taken.and_then(|v| serde_json::from_value(v).ok());
    let title = match &shown {
        Some(h) if h.created => "账号已创建",
        Some(_) => "密码已重置",
        None => "密码已显示过",
    };
    let mut res = page::ok(&HandoverPage {
        layout: Layout::new(title, Some(&user), urls::ACCOUNTS),
        account_url: shown
            .as_ref()
            .map(|h| urls::item(urls::ACCOUNTS, h.account_id))
            .unwrap_or_else(|| urls::ACCOUNTS.to_string()),
        shown,
    });
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "admin/password_reset.html")]
struct ResetPage {
    layout: Layout,
    username: String,
    display_name: String,
    in_round: bool,
    action: String,
    cancel: String,
}

/// The confirmation step: whose password, and what a reset does.
async fn reset_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id: AccountId = crate::http::extract::path_id(&id)?;
    let mut conn = state.db.acquire().await?;
    let row = db::account::get(&mut conn, user.center_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let in_round = db::round::in_open_round(&mut conn, id).await?;
    Ok(page::ok(&ResetPage {
        layout: Layout::new("重置密码", Some(&user), urls::ACCOUNTS),
        username: row.username,
        display_name: row.display_name,
        in_round,
        action: urls::account_password_reset(id),
        cancel: urls::item(urls::ACCOUNTS, id),
    }))
}

async fn reset(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id: AccountId = crate::http::extract::path_id(&id)?;
    let row = {
        let mut conn = state.db.acquire().await?;
        db::account::get(&mut conn, user.center_id, id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let password = password::random_password();
    let hash = password::hash(password.clone()).await?;
    let mut tx = state.db.begin().await?;
    if !db::account::reset_password(&mut tx, &user.actor(&ip), user.center_id, id, &hash).await? {
        return Err(AppError::NotFound);
    }
    // A reset starts the account afresh: its locks go with the old password.
    db::throttle::clear(&mut tx, &format!("user:{}", row.username)).await?;
    tx.commit().await?;
    hand_over(
        &state,
        &user,
        Handover {
            account_id: id,
            username: row.username,
            display_name: row.display_name,
            password,
            created: false,
        },
    )
    .await
}
