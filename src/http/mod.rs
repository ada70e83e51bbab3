//! The web application: state, the router with its layers, and one module per area.
//! Who may call a route is declared where it is mounted (see [`routes`]).

pub mod admin;
pub mod assessment;
pub mod audit;
pub mod auth;
pub mod ballot;
pub mod citywide;
pub mod conn;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod form;
pub mod grid;
pub mod home;
pub mod honor;
pub mod imports;
pub mod page;
pub mod periods;
pub mod photos;
pub mod rating;
pub mod records;
pub mod results;

pub mod routes;
pub mod schemes;
pub mod scores;
pub mod signin;
pub mod static_files;
pub mod urls;
pub mod window_filter;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use sqlx::PgPool;
use tower_http::timeout::TimeoutLayer;

use crate::config::Config;
use crate::domain::ids::CenterId;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The pool, with a page's session connection first in line: see [`conn`].
    pub db: conn::Db,
    pub config: Arc<Config>,
    /// The time that decides deadlines.
    pub clock: crate::clock::Clock,
    /// The rendered public honor roll pages.
    pub honors: Arc<honor::HonorCache>,
    /// Sign-in attempts on one username, one at a time.
    pub signin: Arc<signin::Gate>,
    /// The candidates of the periods voting or rating, decoded once per period version.
    pub candidates: Arc<crate::db::snapshot::CandidateCache>,
    /// Ballots being stored at once by this process: see [`ballot_turns`].
    pub ballots: Arc<tokio::sync::Semaphore>,
    /// The decoded results of recently shown published periods.
    pub published: Arc<crate::db::snapshot::VersionedCache<results::Decoded>>,
    /// The rounds of periods with confirmed candidates, for their candidates pages.
    pub rounds: Arc<crate::db::snapshot::VersionedCache<periods::candidates::CandidateRound>>,
    /// The organization of recently shown centers, per revision: see [`AppState::roster`].
    pub rosters: Arc<crate::db::snapshot::VersionedCache<crate::db::org::Roster, CenterId>>,
    /// The electorates of recently shown votes, per revision: see [`AppState::electorate`].
    pub electorates: Arc<crate::db::snapshot::VersionedCache<Vec<crate::db::ballot::Head>>>,
    /// The rendered options of the window filters: see [`window_filter`].
    pub window_options: Arc<window_filter::Cache>,
    /// The audit lists known to hold more rows than the audit page counts, and the newest
    /// ids of those read deep.
    pub audit_lists: Arc<crate::db::audit::ListsKept>,
    /// Keeps this process listening for publications while the application exists.
    _listener: Arc<honor::ListenerHandle>,
}

/// How many ballots one process stores at once, for a pool of `pool` connections: a
/// quarter of the pool, at least two. Ballots of a kind are stored one at a time anyway
/// (`db::ballot::cast`); those waiting their turn wait here, without a pooled connection,
/// so that 500 heads voting at once cannot hold every connection the pages need (the
/// province's load: 123 of 1,123 sends answered 503 before, each holding a connection while
/// it waited for the ballot before it).
pub fn ballot_turns(pool: u32) -> usize {
    (pool as usize / 4).max(2)
}

/// How many centers' rosters (and votes' electorates) a process keeps, the one used longest
/// ago going first: every center of a province (176 in `examples/gen_province.rs`), whose
/// offices may all work at the end of a month. A roster holds a few short strings per
/// window and staff member: the province's staff once over at most.
pub const ROSTERS_KEPT: usize = 256;

impl AppState {
    /// The user's center's departments, windows and active staff as they stood when the
    /// request began (its session brought the revision): kept, or read again when the
    /// center's organization changed since.
    pub async fn roster(
        &self,
        conn: &mut sqlx::PgConnection,
        user: &crate::http::extract::CurrentUser,
    ) -> sqlx::Result<Arc<crate::db::org::Roster>> {
        let center_id = user.center_id;
        self.rosters
            .get_or_load(center_id, user.org_revision, async || {
                crate::db::org::roster::load(conn, center_id).await
            })
            .await
    }

    /// The period's electorate (of the user's center) in the windows' order, as it stood
    /// when the request began: kept, or read again when the center's organization, its
    /// accounts or the round's members changed since (`org_revision`).
    pub async fn electorate(
        &self,
        conn: &mut sqlx::PgConnection,
        user: &crate::http::extract::CurrentUser,
        period_id: crate::domain::ids::PeriodId,
    ) -> sqlx::Result<Arc<Vec<crate::db::ballot::Head>>> {
        let roster = self.roster(conn, user).await?;
        let center_id = user.center_id;
        self.electorates
            .get_or_load(period_id, user.org_revision, async || {
                crate::db::ballot::electorate(conn, center_id, period_id, &roster).await
            })
            .await
    }

    pub fn new(db: PgPool, config: Config) -> AppState {
        crate::password::warm_up();
        // Counted from the first request on, whether or not a listener serves them.
        crate::metrics::handle();
        let honors = Arc::new(honor::HonorCache::default());
        // Every process listens for publications and corrections, so that no cached honor
        // roll outlives them.
        let listener = honor::start_listener(db.clone(), honors.clone());
        let turns = ballot_turns(db.options().get_max_connections());
        AppState {
            db: conn::Db::new(db),
            config: Arc::new(config),
            clock: crate::clock::Clock::default(),
            honors,
            signin: Arc::new(signin::Gate::default()),
            candidates: Arc::default(),
            ballots: Arc::new(tokio::sync::Semaphore::new(turns)),
            published: Arc::new(crate::db::snapshot::VersionedCache::new(
                results::PUBLISHED_KEPT,
            )),
            rounds: Arc::new(crate::db::snapshot::VersionedCache::new(
                periods::candidates::ROUNDS_KEPT,
            )),
            rosters: Arc::new(crate::db::snapshot::VersionedCache::new(ROSTERS_KEPT)),
            electorates: Arc::new(crate::db::snapshot::VersionedCache::new(ROSTERS_KEPT)),
            window_options: Arc::new(crate::db::snapshot::VersionedCache::new(
                window_filter::KEPT,
            )),
            audit_lists: Arc::default(),
            _listener: Arc::new(listener),
        }
    }
}

/// The whole application as one router, with every layer, ready to serve or to test.
pub fn app(state: AppState) -> Router {
    let timeout = state.config.request_timeout;
    let router = routes::all()
        .into_router(&state)
        .fallback(error::not_found)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(middleware::from_fn(error::error_pages))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        // Outermost: the public honor roll straight from memory when it is cached.
        .layer(middleware::from_fn_with_state(state.clone(), honor::front))
        .with_state(state.clone());
    if state.config.public_hosts.is_empty() {
        return router;
    }
    // A host name mapped to a center is routed as that center's own pages: in front of
    // the router, since a layer of the router runs after its routing.
    use tower::Layer;
    let by_host = middleware::from_fn_with_state(state, honor::site::by_host).layer(router);
    Router::new().fallback_service(by_host)
}

/// Refuses a body larger than the route allows ([`routes::Body`]): at once when its declared
/// length says so, else when it has been read that far (the body is wrapped so that it
/// cannot grow past).
async fn limit_body(limit: usize, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return error::ErrorPage::for_status(StatusCode::PAYLOAD_TOO_LARGE)
            .into_response_with(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// Content-Security-Policy of every response: nothing inline, nothing from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    set_security_headers(res.headers_mut(), state.config.secure_cookies);
    res
}

/// The headers every response carries (the honor roll's fast path sets them too).
pub fn set_security_headers(h: &mut axum::http::HeaderMap, secure_cookies: bool) {
    if secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // A response may be stricter than the default (an uploaded file is sandboxed).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
