//! State-changing requests without the page's token, or from another site, are refused and
//! change nothing.

mod common;

use axum::body::Body;
use axum::http::{StatusCode, header};
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

const NEW_DEPARTMENT: &[(&str, &str)] = &[("name", "统计局"), ("sort_order", "5")];

async fn departments(app: &TestApp) -> i64 {
    count(&app.pool, "select count(*) from department").await
}

#[sqlx::test]
async fn a_post_without_a_token_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let n = departments(&app).await;
    let page = admin
        .post_raw(
            "/admin/departments",
            "application/x-www-form-urlencoded",
            encode(NEW_DEPARTMENT).into_bytes(),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(page.text("h1"), "页面已过期");
    assert_eq!(departments(&app).await, n);
}

#[sqlx::test]
async fn a_wrong_token_or_another_sessions_token_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let mut other = login_as(&app, Role::Admin).await;
    let others_token = other.csrf().await;
    let n = departments(&app).await;
    for token in [
        "0123456789abcdef0123456789abcdef",
        others_token.as_str(),
        "",
    ] {
        let mut fields = vec![("_csrf", token)];
        fields.extend_from_slice(NEW_DEPARTMENT);
        let page = admin
            .post_raw(
                "/admin/departments",
                "application/x-www-form-urlencoded",
                encode(&fields).into_bytes(),
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "token {token:?}");
    }
    assert_eq!(departments(&app).await, n);
    // With its own token the same request goes through.
    assert_eq!(
        admin
            .post("/admin/departments", NEW_DEPARTMENT)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(departments(&app).await, n + 1);
}

#[sqlx::test]
async fn a_post_from_another_site_is_refused_even_with_the_token(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let token = admin.csrf().await;
    let mut fields = vec![("_csrf", token.as_str())];
    fields.extend_from_slice(NEW_DEPARTMENT);
    let n = departments(&app).await;
    for (name, value) in [
        ("origin", "http://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let req = admin
            .request("POST", "/admin/departments")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(name, value)
            .body(Body::from(encode(&fields)))
            .unwrap();
        let page = admin.send(req).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{name}: {value}");
    }
    assert_eq!(departments(&app).await, n);
}

#[sqlx::test]
async fn sign_in_needs_the_token_of_the_sign_in_page(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = Browser::new(&app);
    let page = b
        .post_raw(
            "/login",
            "application/x-www-form-urlencoded",
            encode(&[("username", "admin"), ("password", PASSWORD)]).into_bytes(),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!b.cookies.contains_key("px_session"));
}

#[sqlx::test]
async fn get_requests_change_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let before = checksum(&app.pool).await;
    let list = admin.get("/admin/departments?name=x").await;
    assert_eq!(
        list.status,
        StatusCode::OK,
        "a GET with form fields is only a list"
    );
    // A password reset's address only asks for confirmation.
    let confirm = admin.get("/admin/accounts/1/password-reset").await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.text("h1").starts_with("重置"));
    for url in ["/logout", "/admin/windows/1/active?active=false"] {
        let page = admin.get(url).await;
        assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED, "{url}");
        assert_eq!(page.text("h1"), "操作不被支持", "{url}");
    }
    assert_eq!(checksum(&app.pool).await, before);
    assert_eq!(
        admin.get("/admin").await.status,
        StatusCode::OK,
        "still signed in"
    );
}
