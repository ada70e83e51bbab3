//! Operations: health check, security headers on every kind of response, Chinese error
//! pages, body limits, and a 503 page (not a hang) when the database is gone.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::config::Config;
use pingxuan::domain::Role;
use sqlx::PgPool;

fn assert_security_headers(page: &Page, what: &str) {
    let h = &page.headers;
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: CSP"))
        .to_str()
        .unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{what}: {csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{what}");
    assert_eq!(
        h.get("x-content-type-options").map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "{what}"
    );
    assert!(h.get("referrer-policy").is_some(), "{what}");
    assert_eq!(
        h.get("x-frame-options").map(|v| v.to_str().unwrap()),
        Some("DENY"),
        "{what}"
    );
}

#[sqlx::test]
async fn health_check_answers_ok_when_the_database_does(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = Browser::new(&app);
    let page = b.get("/healthz").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, "ok\n");
}

#[sqlx::test]
async fn every_kind_of_response_carries_the_security_headers(pool: PgPool) {
    let config = Config {
        body_limit: 1024,
        ..Config::default()
    };
    let app = spawn_with(pool, config).await;
    let mut b = Browser::new(&app);
    let login = b.get("/login").await;
    assert_security_headers(&login, "page");
    let css = b.get("/static/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert_security_headers(&css, "static file");
    let missing = b.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.text("h1"), "页面不存在");
    assert_security_headers(&missing, "404");
    let too_big = b
        .post_raw(
            "/login",
            "application/x-www-form-urlencoded",
            vec![b'a'; 4096],
        )
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_big.text("h1"), "提交内容过大");
    assert_security_headers(&too_big, "413");
    let wrong_method = b
        .send(
            b.request("DELETE", "/login")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.text("h1"), "操作不被支持");
    assert_security_headers(&wrong_method, "405");
}

#[sqlx::test]
async fn an_unknown_or_malformed_id_is_a_404_page(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    for url in [
        "/admin/windows/999999",
        "/admin/windows/abc",
        "/admin/windows/-1",
        "/admin/staff/1e3",
        "/admin/accounts/99999999999999999999",
    ] {
        let page = admin.get(url).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{url}");
        assert_eq!(page.text("h1"), "页面不存在", "{url}");
    }
}

#[sqlx::test]
async fn a_database_outage_gives_the_503_page_quickly(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    app.pool.close().await;
    let started = std::time::Instant::now();
    let page = admin.get("/admin/windows").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.text("h1"), "系统暂时无法使用");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let health = Browser::new(&app).get("/healthz").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    // Pages that need no database still work.
    assert_eq!(
        Browser::new(&app).get("/static/app.css").await.status,
        StatusCode::OK
    );
}

#[sqlx::test]
async fn the_log_has_no_colour_codes_when_it_is_not_a_terminal(pool: PgPool) {
    let db: String = sqlx::query_scalar("select current_database()::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").expect("tests run with DATABASE_URL");
    let url = format!("{}/{db}", base.rsplit_once('/').unwrap().0);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingxuan"))
        .args(["demo", "--load-only"])
        .env("DATABASE_URL", &url)
        .env("PINGXUAN_LOG", "info")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("demo quarters loaded"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log:?}"
    );
}
