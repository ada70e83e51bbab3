//! The cache of the public pages: rendered once, served from memory, dropped in every
//! process when honors change (LISTEN/NOTIFY) or the listening connection is lost.

use crate::db;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::urls;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Rendered public pages, dropped whenever honors change anywhere.
#[derive(Default)]
pub struct HonorCache {
    /// Bumped at every invalidation; a page rendered from data read before a bump is not
    /// kept, so a render racing a publication cannot leave a stale page behind.
    generation: AtomicU64,
    pages: RwLock<HashMap<String, Bytes>>,
}

/// At most this many pages are kept (one per published period and mode, in practice).
const CACHE_LIMIT: usize = 256;

impl HonorCache {
    pub fn get(&self, key: &str) -> Option<Bytes> {
        self.pages.read().ok()?.get(key).cloned()
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps `page` unless the cache was invalidated since `generation` was read.
    pub fn put(&self, key: String, page: Bytes, generation: u64) {
        if let Ok(mut pages) = self.pages.write()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            if pages.len() >= CACHE_LIMIT {
                pages.clear();
            }
            pages.insert(key, page);
        }
    }

    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.pages.read().map(|p| p.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Stops the listener when the last copy of the application state is dropped.
pub struct ListenerHandle(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts listening for publications and corrections, until the handle is dropped.
pub fn start_listener(pool: PgPool, cache: Arc<HonorCache>) -> ListenerHandle {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        tokio::select! {
            _ = stopped => {}
            _ = listen(pool, cache) => {}
        }
    });
    ListenerHandle(Some(stop))
}

/// Listens for publications and corrections. Each notification, and each reconnection (a
/// notification may have been missed meanwhile), drops the cache.
async fn listen(pool: PgPool, cache: Arc<HonorCache>) {
    loop {
        if pool.is_closed() {
            return;
        }
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "honor roll listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(db::honor::CHANNEL).await {
            tracing::warn!(error = %e, "honor roll listener cannot listen; retrying");
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        // Anything may have happened while not listening.
        cache.invalidate();
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => cache.invalidate(),
                Ok(None) => {
                    // The connection was lost: listen again from the start, which drops
                    // the cache once listening (a notification may have been missed).
                    cache.invalidate();
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
                Err(_) if pool.is_closed() => return,
                Err(e) => {
                    tracing::warn!(error = %e, "honor roll listener lost; reconnecting");
                    cache.invalidate();
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    break;
                }
            }
        }
    }
}

/// The fast path in front of every layer: a cached honor roll page is answered at once
/// (with the security headers every response has), without a session, a timer or a guard.
/// Anything else, and a page not in the cache, goes through the whole application.
pub async fn front(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Pages are cached under their own path, so that a hit costs no allocation.
    if req.method() == axum::http::Method::GET
        && req.uri().query().is_none()
        && (req.uri().path().starts_with(urls::HONOR_ROLL)
            || req.uri().path().starts_with(super::site::CENTER_PAGES)
            || req.uri().path().starts_with("/gongshi/"))
        && let Some(page) = state.honors.get(req.uri().path())
    {
        metrics::counter!(crate::metrics::HONOR_CACHE_HITS).increment(1);
        let mut res = html(page);
        crate::http::set_security_headers(res.headers_mut(), state.config.secure_cookies);
        return res;
    }
    next.run(req).await
}

/// Drops the indentation and blank lines of a rendered page (the cached copy is what the
/// hall's TV and every visitor download, over and over).
fn compact(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for line in page.lines() {
        let line = line.trim();
        if !line.is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn html(body: Bytes) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    res
}

/// Serves a public page from the cache, rendering it on a miss. `None` from `render` is a
/// 404 (not kept: the cache holds only pages that exist).
pub(crate) async fn cached<F>(state: &AppState, key: String, render: F) -> AppResult<Response>
where
    F: AsyncFnOnce(&AppState) -> AppResult<Option<String>>,
{
    if let Some(page) = state.honors.get(&key) {
        metrics::counter!(crate::metrics::HONOR_CACHE_HITS).increment(1);
        return Ok(html(page));
    }
    metrics::counter!(crate::metrics::HONOR_CACHE_MISSES).increment(1);
    let generation = state.honors.generation();
    match render(state).await? {
        Some(page) => {
            let page = Bytes::from(compact(&page));
            state.honors.put(key, page.clone(), generation);
            Ok(html(page))
        }
        None => Err(AppError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_that_raced_an_invalidation_is_not_kept() {
        let cache = HonorCache::default();
        let g = cache.generation();
        cache.invalidate();
        cache.put("roll".into(), Bytes::from_static(b"old"), g);
        assert!(cache.get("roll").is_none());
        cache.put(
            "roll".into(),
            Bytes::from_static(b"new"),
            cache.generation(),
        );
        assert_eq!(cache.get("roll").unwrap(), Bytes::from_static(b"new"));
    }
}
