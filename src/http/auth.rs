//! Signing in and out, and changing one's own password.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::csrf::PRE_SESSION_COOKIE;
use super::error::AppResult;
use super::extract::{ClientIp, CurrentUser, MaybeUser, SESSION_COOKIE, cookie, set_cookie};
use super::form::{Errors, Fields, FormData};
use super::page::{self, Layout};
use super::routes::{Access, Routes};
use super::signin;
use super::urls;
use crate::db::{self, Actor, audit::Change};
use crate::domain::{Role, text};
use crate::password;

pub fn routes(r: Routes) -> Routes {
    r.get(urls::HOME, Access::Public, home)
        .get(urls::LOGIN, Access::Public, login_page)
        .post(urls::LOGIN, Access::Public, login)
        .post(urls::LOGOUT, Access::Account, logout)
        .get(urls::CHANGE_PASSWORD, Access::Account, password_page)
        .post(urls::CHANGE_PASSWORD, Access::Account, change_password)
}

/// `/` sends people to their home page, or to sign in.
async fn home(MaybeUser(user): MaybeUser) -> Redirect {
    match user {
        Some(u) if u.must_change_password => Redirect::to(urls::CHANGE_PASSWORD),
        Some(u) => Redirect::to(urls::home_of(u.role)),
        None => Redirect::to(urls::LOGIN),
    }
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    action: &'static str,
    csrf: String,
    next: String,
    username: String,
    message: Option<&'static str>,
}

const WRONG_CREDENTIALS: &str = "用户名或密码错误。";
const THROTTLED: &str = "登录失败次数过多，请 15 分钟后再试，或联系系统管理员。";

/// The pre-session token: the one in the cookie, or a new one to set.
pub(crate) fn pre_session_token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, PRE_SESSION_COOKIE)
        .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        Some(t) => (t.to_string(), false),
        None => (db::session::random_hex(16), true),
    }
}

fn login_response(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    next: String,
    username: String,
    message: Option<&'static str>,
) -> Response {
    let (csrf, fresh) = pre_session_token(headers);
    let page = LoginPage {
        layout: Layout::new("登录", None, urls::LOGIN),
        action: urls::LOGIN,
        csrf: csrf.clone(),
        next,
        username,
        message,
    };
    let mut res = page::render(status, &page);
    if fresh {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(PRE_SESSION_COOKIE, &csrf, state.config.secure_cookies, None),
        );
    }
    res
}

async fn login_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(u) = user {
        return Redirect::to(urls::home_of(u.role)).into_response();
    }
    let next = FormData::parse_query(query.as_deref().unwrap_or(""))
        .first_utf8("next")
        .and_then(urls::safe_next)
        .unwrap_or("")
        .to_string();
    login_response(&state, &headers, StatusCode::OK, next, String::new(), None)
}

async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    form: FormData,
) -> AppResult<Response> {
    let typed_username = form.echo("username");
    let next = form
        .raw("next")
        .ok()
        .and_then(urls::safe_next)
        .unwrap_or("")
        .to_string();
    // Whatever was typed, the attempt is throttled and checked the same way, so a malformed
    // or unknown username answers exactly like a wrong password.
    let username: String = typed_username
        .trim()
        .to_lowercase()
        .chars()
        .take(64)
        .collect();
    let password = form.raw("password").unwrap_or("").to_string();
    let valid_username = text::username(&username).is_ok();
    let cfg = &state.config;
    let device = signin::device_token(&headers).map(str::to_string);
    let (account, keys) = {
        let mut conn = state.db.acquire().await?;
        let account = if valid_username {
            db::account::find_for_login(&mut conn, &username).await?
        } else {
            None
        };
        let keys = signin::Keys::of(
            &mut conn,
            cfg,
            &username,
            account.as_ref().map(|a| a.account_id),
            &ip.0,
            device.as_deref(),
        )
        .await?;
        (account, keys)
    };
    // One attempt per username (or per trusted browser) at a time: checked, evaluated and
    // counted before the next.
    let _turn = state.signin.enter(keys.queue()).await;

    let mut tx = state.db.begin().await?;
    let attempt_actor = Actor {
        center_id: account.as_ref().map(|a| a.center_id),
        account_id: None,
        name: username.clone(),
        ip: ip.0.clone(),
    };
    if let Some(until) = keys.locked(&mut tx).await? {
        // Every refused attempt is audited (its password never evaluated).
        db::audit::record(
            &mut tx,
            &attempt_actor,
            Change {
                action: "login.refused",
                entity: "account",
                entity_id: username.clone(),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        let wait = (until - time::OffsetDateTime::now_utc())
            .whole_seconds()
            .max(1);
        let mut res = login_response(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            typed_username,
            Some(THROTTLED),
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return Ok(res);
    }
    tx.commit().await?;

    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let verified = password::verify(password, stored).await;
    let mut tx = state.db.begin().await?;
    let Some(account) = account.filter(|_| verified) else {
        db::audit::record(
            &mut tx,
            &attempt_actor,
            Change {
                action: "login.failure",
                entity: "account",
                entity_id: username.clone(),
                before: None,
                after: None,
            },
        )
        .await?;
        metrics::counter!(crate::metrics::SIGNIN_FAILURES).increment(1);
        if keys.fail(&mut tx, cfg).await? {
            metrics::counter!(crate::metrics::SIGNIN_LOCKS).increment(1);
            // The beginning of a lock is audited once more, as such.
            db::audit::record(
                &mut tx,
                &attempt_actor,
                Change {
                    action: "login.throttled",
                    entity: "account",
                    entity_id: username.clone(),
                    before: None,
                    after: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        return Ok(login_response(
            &state,
            &headers,
            StatusCode::OK,
            next,
            typed_username,
            Some(WRONG_CREDENTIALS),
        ));
    };
    keys.succeeded(&mut tx).await?;
    // This browser is now one the account has signed in from: under a new token unless the
    // one it sent was already trusted for this account (a token planted in a browser is
    // never adopted).
    let device = match device {
        Some(d) if keys.trusted => d,
        _ => db::session::random_hex(32),
    };
    db::throttle::trust(&mut tx, &signin::device_hash(&device), account.account_id).await?;

    // Rotation: whatever session the browser had is ended, and a new id is issued.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        db::session::delete(&mut tx, &db::session::hash_id(old)).await?;
    }
    let (session_id, session_hash) = db::session::new_id();
    let csrf = db::session::random_hex(16);
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    db::session::create(
        &mut tx,
        &session_hash,
        account.account_id,
        &csrf,
        &ip.0,
        user_agent,
    )
    .await?;
    db::account::mark_login(&mut tx, account.account_id).await?;
    let actor = Actor {
        center_id: Some(account.center_id),
        account_id: Some(account.account_id),
        name: format!("{}（{}）", account.display_name, username),
        ip: ip.0.clone(),
    };
    db::audit::record(
        &mut tx,
        &actor,
        Change {
            action: "login.success",
            entity: "account",
            entity_id: account.account_id.to_string(),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;

    let target = if next.is_empty() {
        urls::HOME.to_string()
    } else {
        next
    };
    let mut res = Redirect::to(&target).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &session_id,
            state.config.secure_cookies,
            None,
        ),
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(PRE_SESSION_COOKIE, "", state.config.secure_cookies, Some(0)),
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            signin::DEVICE_COOKIE,
            &device,
            state.config.secure_cookies,
            Some(signin::DEVICE_DAYS * 24 * 3600),
        ),
    );
    Ok(res)
}

async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    db::session::delete(&mut tx, &user.session_hash).await?;
    db::audit::record(
        &mut tx,
        &user.actor(&ip),
        Change {
            action: "logout",
            entity: "account",
            entity_id: user.account_id.to_string(),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    let mut res = Redirect::to(urls::LOGIN).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", state.config.secure_cookies, Some(0)),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    layout: Layout,
    action: &'static str,
    forced: bool,
    fields: [(&'static str, &'static str, &'static str); 3],
    errors: Errors,
    /// Who reset this password during a round the holder takes part in, and when.
    warnings: Vec<String>,
}

async fn password_form(
    state: &AppState,
    user: &CurrentUser,
    errors: Errors,
) -> AppResult<PasswordPage> {
    let warnings = super::extract::reset_warnings(state, user).await?;
    Ok(PasswordPage {
        warnings,
        layout: Layout::new("修改密码", Some(user), urls::CHANGE_PASSWORD),
        action: urls::CHANGE_PASSWORD,
        forced: user.must_change_password,
        fields: [
            ("current", "当前密码", "current-password"),
            ("new", "新密码", "new-password"),
            ("confirm", "再次输入新密码", "new-password"),
        ],
        errors,
    })
}

async fn password_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    Ok(page::ok(
        &password_form(&state, &user, Errors::default()).await?,
    ))
}

async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    let mut fields = Fields::new(&form);
    let current = fields.with("current", |raw| Ok(raw.to_string()));
    let new = fields.with("new", |raw| Ok(text::strong_password(raw, &user.username)?));
    let confirm = fields.with("confirm", |raw| Ok(raw.to_string()));
    let mut errors = fields.errors;
    if let (Some(new), Some(confirm)) = (&new, &confirm)
        && new != confirm
    {
        errors.add("confirm", "两次输入的新密码不一致");
    }
    if let (Some(new), Some(current)) = (&new, &current)
        && new == current
    {
        errors.add("new", "新密码不能与当前密码相同");
    }
    if let Some(current) = current.filter(|c| !c.is_empty()) {
        // Guessing the current password from an unattended desk is throttled like sign-in:
        // one try at a time, only failures counted.
        let cfg = &state.config;
        let key = format!("password:{}", user.account_id);
        let _turn = state.signin.enter(&key).await;
        let (locked, stored) = {
            let mut conn = state.db.acquire().await?;
            (
                db::throttle::locked_until(&mut conn, &key).await?,
                db::account::password_hash(&mut conn, user.account_id).await?,
            )
        };
        if locked.is_some() {
            errors.add("current", "尝试次数过多，请 15 分钟后再试");
        } else if !password::verify(current, Some(stored)).await {
            let mut conn = state.db.acquire().await?;
            db::throttle::fail(&mut conn, &key, signin::account_limit(cfg)).await?;
            errors.add("current", "当前密码不正确");
        }
    } else {
        errors.add("current", "请输入当前密码");
    }
    let (Some(new), true) = (new, errors.is_empty()) else {
        return Ok(page::invalid(&password_form(&state, &user, errors).await?));
    };
    let hash = password::hash(new).await?;
    let mut tx = state.db.begin().await?;
    db::throttle::clear(&mut tx, &format!("password:{}", user.account_id)).await?;
    db::account::change_own_password(
        &mut tx,
        &user.actor(&ip),
        user.account_id,
        &user.session_hash,
        &hash,
    )
    .await?;
    tx.commit().await?;
    let home = if user.role == Role::Admin {
        urls::ADMIN_HOME
    } else {
        urls::home_of(user.role)
    };
    Ok(Redirect::to(&format!("{home}?notice=password")).into_response())
}
