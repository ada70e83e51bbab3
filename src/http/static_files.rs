//! Assets embedded in the binary (intranets have no internet: nothing comes from elsewhere),
//! and the health check.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::AppError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/app.js"),
    },
    Asset {
        name: "hall.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/hall.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../static/favicon.svg"),
    },
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == file) {
        Some(asset) => {
            let mut res = asset.body.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            res
        }
        None => AppError::NotFound.into_response(),
    }
}

/// The icon browsers ask for by themselves (pages name the SVG one).
pub async fn favicon() -> Response {
    serve(Path("favicon.svg".to_string())).await
}

/// `200 ok` when the database answers, `503` otherwise.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let ok = async {
        let mut conn = state.db.acquire().await?;
        sqlx::query_scalar::<_, i32>("select 1")
            .fetch_one(&mut *conn)
            .await
    }
    .await;
    match ok {
        Ok(_) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ok\n",
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "database unavailable\n",
            )
                .into_response()
        }
    }
}
