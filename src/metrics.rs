//! What operators watch: Prometheus metrics through the `metrics` facade and its Prometheus
//! exporter (served on a listener of its own, `PINGXUAN_METRICS_ADDR`), and the request id
//! every request carries into the logs and back in `X-Request-Id`.
//!
//! Metrics are recorded process-wide whether or not they are served; each process of a
//! deployment is scraped on its own.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;
use tracing::Instrument;

use crate::http::AppState;

/// Requests answered, by route template, method and status.
pub const REQUESTS: &str = "pingxuan_http_requests_total";
/// Time to answer, by route template, in seconds.
pub const LATENCY: &str = "pingxuan_http_request_duration_seconds";
/// Pooled database connections in use, idle, and the largest allowed.
pub const POOL_IN_USE: &str = "pingxuan_db_pool_connections_in_use";
pub const POOL_IDLE: &str = "pingxuan_db_pool_connections_idle";
pub const POOL_MAX: &str = "pingxuan_db_pool_connections_max";
/// Requests that waited for a pooled connection longer than the acquire timeout.
pub const POOL_TIMEOUTS: &str = "pingxuan_db_pool_acquire_timeouts_total";
/// Time a request waited for a pooled connection, in seconds (sampled on the session's).
pub const POOL_WAIT: &str = "pingxuan_db_pool_acquire_seconds";
/// Sign-in attempts refused for a wrong password or unknown user, and keys locked.
pub const SIGNIN_FAILURES: &str = "pingxuan_signin_failures_total";
pub const SIGNIN_LOCKS: &str = "pingxuan_signin_locks_total";
/// Ballots and ratings stored, by kind.
pub const BALLOTS: &str = "pingxuan_ballots_cast_total";
pub const RATINGS: &str = "pingxuan_ratings_cast_total";
/// Public pages answered from the cache, and rendered because they were not in it.
pub const HONOR_CACHE_HITS: &str = "pingxuan_honor_cache_hits_total";
pub const HONOR_CACHE_MISSES: &str = "pingxuan_honor_cache_misses_total";

/// Latency buckets, in seconds: from 1 ms to 10 s.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once); `None` when another recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets(BUCKETS).ok()?;
            match builder.install_recorder() {
                Ok(h) => {
                    describe();
                    Some(h)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        REQUESTS,
        "Requests answered, by route template, method and status."
    );
    describe_histogram!(LATENCY, "Time to answer a request, by route template.");
    describe_gauge!(POOL_IN_USE, "Pooled database connections in use.");
    describe_gauge!(POOL_IDLE, "Pooled database connections open and idle.");
    describe_gauge!(POOL_MAX, "Largest number of pooled database connections.");
    describe_counter!(
        POOL_TIMEOUTS,
        "Requests refused because no pooled connection came within the timeout."
    );
    describe_histogram!(
        POOL_WAIT,
        "Time a request waited for its first pooled connection."
    );
    describe_counter!(
        SIGNIN_FAILURES,
        "Sign-ins refused: wrong password or unknown user."
    );
    describe_counter!(
        SIGNIN_LOCKS,
        "Usernames or addresses locked after failed sign-ins."
    );
    describe_counter!(BALLOTS, "Recommendation ballots stored, by kind.");
    describe_counter!(RATINGS, "Leadership ratings stored.");
    describe_counter!(HONOR_CACHE_HITS, "Public pages answered from memory.");
    describe_counter!(
        HONOR_CACHE_MISSES,
        "Public pages rendered because not in memory."
    );
}

/// The text every scrape gets, with the pool's gauges read now.
pub fn render(pool: &PgPool) -> Option<String> {
    let h = handle()?;
    let size = pool.size();
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
    metrics::gauge!(POOL_IN_USE).set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!(POOL_IDLE).set(f64::from(idle));
    metrics::gauge!(POOL_MAX).set(f64::from(pool.options().get_max_connections()));
    Some(h.render())
}

/// The metrics listener's one page.
pub fn router(pool: PgPool) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(async move || match render(&pool) {
            Some(text) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                )],
                text,
            )
                .into_response(),
            None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }),
    )
}

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request id: the proxy's when it is trusted and well formed, else 16 random hex digits.
fn request_id(req: &Request, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(id) = req
            .headers()
            .get(&X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
        && (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return id.to_string();
    }
    format!("{:016x}", rand::random::<u64>())
}

/// Counts and times every routed request under its route template, and gives it a request
/// id: in the span of everything logged while it is answered, and in `X-Request-Id`.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().clone();
    let id = request_id(&req, state.config.trust_proxy);
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut res = next.run(req).instrument(span).await;
    let status = res.status().as_u16().to_string();
    metrics::histogram!(LATENCY, "route" => route.clone()).record(started.elapsed().as_secs_f64());
    metrics::counter!(REQUESTS, "route" => route, "method" => method.to_string(), "status" => status)
        .increment(1);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    res
}
