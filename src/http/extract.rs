//! Who is asking: the session loader middleware, the [`CurrentUser`] extractor, the client
//! address and cookie helpers.

use crate::domain::ids::{AccountId, CenterId, StaffId, WindowId};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::AppError;
use crate::db::{self, Actor};
use crate::domain::Role;

pub const SESSION_COOKIE: &str = "px_session";

/// The signed-in account of this request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub account_id: AccountId,
    pub center_id: CenterId,
    pub center_name: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub window_id: Option<WindowId>,
    pub staff_id: Option<StaffId>,
    pub is_group_leader: bool,
    pub must_change_password: bool,
    pub csrf_token: String,
    pub session_hash: Vec<u8>,
    /// The window a window head represents.
    pub window: Option<WindowInfo>,
    /// The revision of the center's organization when the request began: see
    /// [`crate::http::AppState::roster`].
    pub org_revision: i64,
}

/// A window as its head's pages show it.
#[derive(Clone, Debug)]
pub struct WindowInfo {
    pub number: String,
    pub name: String,
    pub department: String,
    pub business_area: String,
}

impl CurrentUser {
    /// This user as the audit log names them.
    pub fn actor(&self, ip: &ClientIp) -> Actor {
        Actor {
            center_id: Some(self.center_id),
            account_id: Some(self.account_id),
            name: format!("{}（{}）", self.display_name, self.username),
            ip: ip.0.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(AppError::Unauthenticated { next: None })
    }
}

/// The signed-in account, when there is one.
pub struct MaybeUser(pub Option<CurrentUser>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(parts.extensions.get::<CurrentUser>().cloned()))
    }
}

/// The client's address: the peer, or, when the server is configured to trust its proxy,
/// the last `X-Forwarded-For` entry (the one that proxy appended; earlier entries are
/// whatever the client chose to send).
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config.trust_proxy
            && let Some(forwarded) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.len() <= 64)
        {
            return Ok(ClientIp(forwarded.to_string()));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "127.0.0.1".to_string());
        Ok(ClientIp(peer))
    }
}

/// The period named by `{code}` in the path, of the signed-in user's center (the 404 page
/// for any other), read with its typed phase and rules; with the user and the audit actor.
/// Every `/periods/{code}/…`, `/results/{code}/…` and `/certificates/{code}/…` handler
/// starts from it instead of repeating the lookups.
pub struct PeriodCtx {
    pub user: CurrentUser,
    pub period: db::period::PeriodRow,
    /// Who the audit log names for a write made through this request.
    pub actor: Actor,
}

impl FromRequestParts<AppState> for PeriodCtx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let Ok(ip) = ClientIp::from_request_parts(parts, state).await;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::BadRequest)?;
        let code = params
            .iter()
            .find(|(name, _)| *name == "code")
            .map(|(_, value)| value)
            .ok_or(AppError::NotFound)?;
        let mut conn = state.db.acquire().await?;
        let period = db::period::period_by_code(&mut conn, user.center_id, code)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(PeriodCtx {
            actor: user.actor(&ip),
            user,
            period,
        })
    }
}

/// A row id from the path (`/admin/staff/{id}`): a positive whole number, else the 404 page.
pub fn path_id<Id: From<i64>>(raw: &str) -> Result<Id, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(Id::from)
        .ok_or(AppError::NotFound)
}

/// The value of a cookie in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with the flags every cookie of ours carries.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        s.push_str("; Secure");
    }
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&s).expect("cookie values are ASCII")
}

fn looks_like_session_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The password resets made to this account during a round it takes part in, in words:
/// shown on its home, ballot, rating and password pages until the round closes, so that a
/// reset made to vote or rate in its name cannot pass unseen.
pub async fn reset_warnings(
    state: &super::AppState,
    user: &CurrentUser,
) -> Result<Vec<String>, super::error::AppError> {
    let mut conn = state.db.acquire().await?;
    Ok(db::round::resets_in_open_round(&mut conn, user.account_id)
        .await?
        .into_iter()
        .map(|r| {
            format!(
                "您的密码于 {} 被 {} 重置，而您正参加{}的评选。如果不是您本人要求重置的，请立即告知组长或纪检监督部门，并核对您的推荐票和评分。",
                crate::domain::format_datetime(Some(r.at)),
                r.by,
                crate::domain::period::period_label(&r.period_code)
            )
        })
        .collect())
}

/// Loads the session named by the cookie (one indexed query) and puts the
/// [`CurrentUser`] into the request. Mounted on every route but the public pages
/// ([`super::routes::Routes::public`]), which never touch the session.
pub async fn load_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(id) = cookie(req.headers(), SESSION_COOKIE).map(str::to_string) else {
        return next.run(req).await;
    };
    let mut clear_cookie = false;
    // A page keeps the session's connection for itself (`super::conn`); a form does not.
    let keep_conn = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let mut kept = None;
    if looks_like_session_id(&id) {
        let hash = db::session::hash_id(&id);
        let idle = state.config.session_idle.as_secs_f64();
        let absolute = state.config.session_absolute.as_secs_f64();
        let loaded = async {
            let waited = std::time::Instant::now();
            let mut conn = state.db.pool().acquire().await?;
            metrics::histogram!(crate::metrics::POOL_WAIT).record(waited.elapsed().as_secs_f64());
            let user = db::session::load(&mut conn, &hash, idle, absolute).await?;
            if let Some(u) = &user
                && u.stale
            {
                db::session::touch(&mut conn, &hash).await?;
            }
            Ok::<_, sqlx::Error>((user, conn))
        }
        .await;
        match loaded {
            // A row this version cannot read (a role it does not know): signed out, not an
            // error on every page.
            Err(e @ sqlx::Error::ColumnDecode { .. }) => {
                tracing::warn!(error = %e, "session of an unreadable account ended");
                clear_cookie = true;
            }
            Err(e) => return AppError::Db(e).into_response(),
            Ok((None, _)) => clear_cookie = true,
            Ok((Some(u), conn)) => {
                if keep_conn {
                    kept = Some(conn);
                }
                req.extensions_mut().insert(CurrentUser {
                    account_id: u.account_id,
                    center_id: u.center_id,
                    center_name: u.center_name,
                    username: u.username,
                    display_name: u.display_name,
                    role: u.role,
                    window_id: u.window_id,
                    staff_id: u.staff_id,
                    is_group_leader: u.is_group_leader,
                    must_change_password: u.must_change_password,
                    csrf_token: u.csrf_token,
                    session_hash: hash,
                    org_revision: u.org_revision,
                    window: match (
                        u.window_number,
                        u.window_name,
                        u.department_name,
                        u.business_area_name,
                    ) {
                        (Some(number), Some(name), Some(department), Some(business_area)) => {
                            Some(WindowInfo {
                                number,
                                name,
                                department,
                                business_area,
                            })
                        }
                        _ => None,
                    },
                });
            }
        }
    } else {
        clear_cookie = true;
    }
    let mut res = match kept {
        Some(conn) => super::conn::hand_on(conn, next.run(req)).await,
        None => next.run(req).await,
    };
    if clear_cookie && !res.headers().contains_key(header::SET_COOKIE) {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", state.config.secure_cookies, Some(0)),
        );
    }
    res
}
