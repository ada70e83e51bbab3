//! The yardsticks of `benches/load.sh` and `benches/honor_roll.sh`: bare axum handlers with
//! none of pingxuan's layers (no session, no CSRF, no headers). `/` runs one indexed query
//! and renders an askama page; `/fixed` returns a fixed 2 KB page.
//!
//! `cargo run --release --example bare_server -- 127.0.0.1:8091` (reads `DATABASE_URL`).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sqlx::PgPool;

#[derive(Template)]
#[template(
    source = "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{{ name }}</title></head>\
              <body><h1>{{ number }}号窗口 {{ name }}</h1><p>{{ department }}</p></body></html>",
    ext = "html"
)]
struct WindowPage {
    number: String,
    name: String,
    department: String,
}

async fn window(State(pool): State<PgPool>) -> Response {
    let row: Result<(String, String, String), _> = sqlx::query_as(
        "select w.number, w.name, d.name from service_window w
         join department d on d.department_id = w.department_id where w.window_id = $1",
    )
    .bind(1_i64)
    .fetch_one(&pool)
    .await;
    match row {
        Ok((number, name, department)) => Html(
            WindowPage {
                number,
                name,
                department,
            }
            .render()
            .unwrap_or_default(),
        )
        .into_response(),
        Err(e) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

/// A fixed page of 2 KB (2048 bytes), built once.
fn fixed_page() -> &'static str {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PAGE.get_or_init(|| {
        let head = "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>光荣榜</title></head><body>";
        let tail = "</body></html>";
        let mut page = String::from(head);
        while page.len() + tail.len() < 2048 {
            page.push('x');
        }
        page.push_str(tail);
        page
    })
}

async fn fixed() -> Html<&'static str> {
    Html(fixed_page())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8091".to_string());
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| pingxuan::db::DEFAULT_URL.to_string());
    let pool = pingxuan::db::connect(Some(&url), 16).await?;
    let app = Router::new()
        .route("/", get(window))
        .route("/fixed", get(fixed))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
