//! Sign-in locks (登录锁定): which accounts and addresses are locked now and why, and
//! lifting one with a written reason (audited).

use super::A;
use crate::db;
use crate::http::AppState;
use crate::http::error::AppResult;
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, FormData};
use crate::http::page::{self, Layout};
use crate::http::routes::Routes;
use crate::http::urls;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

pub(super) fn routes(r: Routes) -> Routes {
    r.get(urls::SIGN_IN_LOCKS, A, locks_page)
        .post(urls::SIGN_IN_LOCKS, A, lift)
}

pub struct LockView {
    pub key: String,
    pub what: String,
    pub failures: i32,
    pub until: String,
}

#[derive(Template)]
#[template(path = "admin/locks.html")]
struct LocksPage {
    layout: Layout,
    locks: Vec<LockView>,
    errors: Errors,
    key: String,
    reason: String,
}

/// What a throttle key locks, in words; account ids are shown by name.
async fn describe(conn: &mut sqlx::PgConnection, key: &str) -> sqlx::Result<String> {
    let name = async |conn: &mut sqlx::PgConnection, id: &str| -> sqlx::Result<String> {
        let id: i64 = id.parse().unwrap_or(0);
        Ok(
            sqlx::query_scalar!("select username from account where account_id = $1", id)
                .fetch_optional(conn)
                .await?
                .unwrap_or_else(|| "（未知账号）".to_string()),
        )
    };
    Ok(if let Some(u) = key.strip_prefix("user:") {
        format!("账号 {u}：从未登录过该账号的浏览器登录")
    } else if let Some(rest) = key.strip_prefix("ua:") {
        let (u, addr) = rest.split_once('|').unwrap_or((rest, ""));
        format!("账号 {u}：从地址 {addr} 登录")
    } else if let Some(rest) = key.strip_prefix("device:") {
        let id = rest.split(':').next().unwrap_or("");
        format!("账号 {}：在一台登录过的浏览器上登录", name(conn, id).await?)
    } else if let Some(id) = key.strip_prefix("password:") {
        format!("账号 {}：修改密码时核对当前密码", name(conn, id).await?)
    } else if let Some(addr) = key.strip_prefix("ip:") {
        format!("地址 {addr}：从该地址的所有登录（登录过的浏览器除外）")
    } else {
        key.to_string()
    })
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    errors: Errors,
    key: String,
    reason: String,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let mut locks = Vec::new();
    for l in db::throttle::locks_of_center(&mut conn, user.center_id).await? {
        locks.push(LockView {
            what: describe(&mut conn, &l.key).await?,
            key: l.key,
            failures: l.failures,
            until: crate::domain::format_datetime(Some(l.locked_until)),
        });
    }
    let mut layout = Layout::new("登录锁定", Some(user), urls::ACCOUNTS);
    if let Some(q) = notice {
        layout = layout.with_notice(q);
    }
    let page_ = LocksPage {
        layout,
        locks,
        key,
        reason,
        errors,
    };
    Ok(page::ok_or_invalid(page_.errors.is_empty(), &page_))
}

async fn locks_page(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    render(
        &state,
        &user,
        Errors::default(),
        String::new(),
        String::new(),
        Some(&q),
    )
    .await
}

/// Lifts one lock of this center, with the reason in the audit log.
async fn lift(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    let key = form.raw("key").unwrap_or("").to_string();
    let typed_reason = form.echo("reason");
    let mut errors = Errors::default();
    let reason = match form
        .raw("reason")
        .map(|r| crate::domain::text::paragraph(r, 500))
    {
        Ok(Ok(r)) => Some(r),
        _ => {
            errors.add(
                "reason",
                "请写明解除锁定的理由（例如：已电话核实为本人输错密码）",
            );
            None
        }
    };
    let mut tx = state.db.begin().await?;
    let ours = db::throttle::locks_of_center(&mut tx, user.center_id)
        .await?
        .into_iter()
        .any(|l| l.key == key);
    if !ours {
        errors.add("reason", "该锁定已解除或已过期，请刷新页面");
    }
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        drop(tx);
        return render(&state, &user, errors, key, typed_reason, None).await;
    };
    let what = describe(&mut tx, &key).await?;
    db::throttle::clear(&mut tx, &key).await?;
    db::audit::record(
        &mut tx,
        &user.actor(&ip),
        db::audit::Change {
            action: "login.unlock",
            entity: "login_throttle",
            entity_id: key.clone(),
            before: None,
            after: Some(serde_json::json!({"lock": what, "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(super::redirect_notice(urls::SIGN_IN_LOCKS, "unlocked"))
}
