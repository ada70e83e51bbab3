//! Security suites that walk the whole router (issue 6): every state-changing route refuses
//! forged requests and changes nothing; every response carries the security headers, error
//! pages and static files included; and the database refuses by itself what the
//! application never does.

mod common;

use axum::body::Body;
use axum::http::{StatusCode, header};
use common::*;
use pingxuan::domain::Role;
use pingxuan::http::routes;
use sqlx::PgPool;

/// A concrete URL for a route pattern (ids that exist nowhere: a forged request must be
/// refused before any handler looks them up).
fn concrete(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{file}", "app.css")
        .replace("{code}", "2099-Q4")
        .replace("{month}", "2099-12")
        .replace("{staff}", "999999")
        .replace("{number}", "2099Q4-S01-ABCDEF")
}

/// Everything a forged request could have changed.
async fn fingerprint(app: &TestApp) -> (String, i64, i64) {
    (
        checksum(&app.pool).await,
        count(&app.pool, "select count(*) from audit_log").await,
        count(&app.pool, "select count(*) from session").await,
    )
}

async fn post(
    browser: &mut Browser,
    path: &str,
    body: String,
    origin: &str,
    fetch_site: Option<&str>,
) -> StatusCode {
    let mut req = browser
        .request("POST", path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, origin);
    if let Some(site) = fetch_site {
        req = req.header("sec-fetch-site", site);
    }
    browser
        .send(req.body(Body::from(body)).unwrap())
        .await
        .status
}

#[sqlx::test]
async fn every_state_changing_route_refuses_forged_requests(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    let mut other = login_as(&app, Role::Admin).await;
    let own = ducha.csrf().await;
    let others = other.csrf().await;
    let before = fingerprint(&app).await;
    let posts: Vec<&str> = routes::all()
        .list()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path)
        .collect();
    let listed = include_str!("access_table.txt")
        .lines()
        .filter(|l| l.starts_with("POST"))
        .count();
    assert_eq!(posts.len(), listed, "every POST route of the access table");
    let same = "http://pingxuan.test";
    let mut tried = 0;
    let mut problems = Vec::new();
    for path in &posts {
        let url = concrete(path);
        let variants: [(&str, String, &str, Option<&str>); 5] = [
            ("no token", "name=x".into(), same, None),
            (
                "a wrong token",
                format!("_csrf={}&name=x", "0".repeat(64)),
                same,
                None,
            ),
            (
                "another session's token",
                format!("_csrf={others}&name=x"),
                same,
                None,
            ),
            (
                "another site's Origin",
                format!("_csrf={own}&name=x"),
                "http://evil.example",
                None,
            ),
            (
                "a cross-site fetch",
                format!("_csrf={own}&name=x"),
                same,
                Some("cross-site"),
            ),
        ];
        for (what, body, origin, site) in variants {
            tried += 1;
            let status = post(&mut ducha, &url, body, origin, site).await;
            if status != StatusCode::FORBIDDEN {
                problems.push(format!("POST {path} with {what}: {status}"));
            }
        }
        // The same route asked with GET changes nothing either (it may show a page).
        ducha.get(&url).await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(tried, posts.len() * 5);
    assert_eq!(fingerprint(&app).await, before, "rows changed");
    // The session survived every forged sign-out.
    assert_eq!(ducha.get("/supervision").await.status, StatusCode::OK);
}

const HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", "default-src 'self'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
];

fn missing_headers(page: &Page) -> Vec<&'static str> {
    HEADERS
        .iter()
        .filter(|(name, value)| {
            !page
                .headers
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains(value))
        })
        .map(|(name, _)| *name)
        .chain(
            page.headers
                .get(header::CACHE_CONTROL)
                .is_none()
                .then_some("cache-control"),
        )
        .collect()
}

#[sqlx::test]
async fn every_response_carries_the_security_headers(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut browsers = [
        Browser::new(&app),
        login_as(&app, Role::Admin).await,
        login_as(&app, Role::Supervision).await,
        login_as(&app, Role::WindowHead).await,
        login_as(&app, Role::Leadership).await,
        login_as(&app, Role::Staff).await,
    ];
    let gets: Vec<&str> = routes::all()
        .list()
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path)
        .collect();
    let mut problems = Vec::new();
    let mut checked = 0;
    let mut statuses = std::collections::BTreeSet::new();
    let mut check = |what: String, page: &Page| {
        checked += 1;
        statuses.insert(page.status.as_u16());
        let missing = missing_headers(page);
        if !missing.is_empty() {
            problems.push(format!(
                "{what} ({}): no {}",
                page.status,
                missing.join(", ")
            ));
        }
    };
    for b in browsers.iter_mut() {
        for path in &gets {
            let url = concrete(path);
            let page = b.get(&url).await;
            check(format!("GET {url}"), &page);
        }
        // Real pages too, not only the made-up ids.
        for url in [
            "/honor-roll",
            "/honor-roll",
            "/honor-roll/2026-Q2/hall",
            "/results/2026-Q2",
            "/static/hall.js",
            "/no-such-page",
            "/verify/2026Q2-S01-AAAAAA",
        ] {
            let page = b.get(url).await;
            check(format!("GET {url}"), &page);
        }
    }
    // 413: a body past the limit.
    let admin = &mut browsers[1];
    let token = admin.csrf().await;
    let big = format!("_csrf={token}&name={}", "x".repeat(300 * 1024));
    let page = admin
        .post_raw(
            "/admin/departments",
            "application/x-www-form-urlencoded",
            big.into_bytes(),
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    check("POST past the limit".into(), &page);
    // 405 and 403.
    let req = admin
        .request("PUT", "/admin/departments")
        .body(Body::empty())
        .unwrap();
    let page = admin.send(req).await;
    check("PUT".into(), &page);
    let page = browsers[5].get("/admin").await;
    check("GET /admin as staff".into(), &page);
    // 500: the database no longer has a table the page needs.
    sqlx::query("alter table department rename to department_away")
        .execute(&app.pool)
        .await
        .unwrap();
    let page = browsers[1].get("/admin/departments").await;
    sqlx::query("alter table department_away rename to department")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!page.body.contains("department_away"), "no detail leaks");
    check("GET with a broken database".into(), &page);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for code in [200, 303, 403, 404, 405, 413, 500] {
        assert!(statuses.contains(&code), "no {code} among {statuses:?}");
    }
    assert!(checked > 6 * gets.len());
}

#[sqlx::test]
async fn the_database_refuses_what_the_application_never_does(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let refused = |sql: &'static str, expected: &'static str| {
        let pool = app.pool.clone();
        async move {
            let err = sqlx::query(sql)
                .execute(&pool)
                .await
                .expect_err(sql)
                .to_string();
            assert!(err.contains(expected), "{sql}: {err}");
        }
    };
    // A score out of range, in a month no period has locked.
    refused(
        "insert into monthly_score (center_id, month, window_id, score)
         select center_id, '2027-01', window_id, 101 from service_window limit 1",
        "monthly_score_score_check",
    )
    .await;
    // The audit log: 3 of 3 refused.
    refused("update audit_log set action = 'x'", "append-only").await;
    refused("delete from audit_log", "append-only").await;
    refused("truncate audit_log", "append-only").await;
    // A second receipt for the same head, kind and period.
    refused(
        "insert into ballot_receipt (center_id, period_id, kind, account_id, window_id)
         select center_id, period_id, kind, account_id, window_id from ballot_receipt
         where period_id = (select period_id from period where code = '2026-Q3') limit 1",
        "ballot_receipt_period_id_kind_account_id_key",
    )
    .await;
}

/// Every Set-Cookie of a response, as text.
fn set_cookies(page: &Page) -> Vec<String> {
    page.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap_or("").to_string())
        .collect()
}

#[sqlx::test]
async fn every_cookie_is_http_only_same_site_strict_and_secure_when_served_over_https(
    pool: PgPool,
) {
    let app = spawn_with(
        pool,
        pingxuan::config::Config {
            secure_cookies: true,
            ..pingxuan::config::Config::default()
        },
    )
    .await;
    let mut cookies = Vec::new();
    for role in Role::ALL {
        let mut b = Browser::new(&app);
        // The sign-in page (its form cookie), a failed and a good sign-in, a page, sign-out.
        cookies.extend(set_cookies(&b.get("/login").await));
        cookies.extend(set_cookies(
            &b.login(username_of(role), "wrong-password").await,
        ));
        let page = b.login(username_of(role), PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{role:?}");
        cookies.extend(set_cookies(&page));
        cookies.extend(set_cookies(&b.get("/").await));
        cookies.extend(set_cookies(&b.post("/logout", &[]).await));
        // A stale session cookie is cleared.
        cookies.extend(set_cookies(&b.get("/admin").await));
    }
    let mut b = Browser::new(&app);
    b.cookies.insert("px_session".into(), "f".repeat(32));
    cookies.extend(set_cookies(&b.get("/").await));
    assert!(cookies.len() >= 15, "{} cookies", cookies.len());
    let bad: Vec<&String> = cookies
        .iter()
        .filter(|c| {
            !(c.contains("HttpOnly")
                && c.contains("SameSite=Strict")
                && c.contains("; Secure")
                && c.contains("Path=/"))
        })
        .collect();
    assert!(bad.is_empty(), "cookies without their flags: {bad:?}");
    eprintln!(
        "{} Set-Cookie headers, all with HttpOnly, SameSite=Strict, Secure, Path=/",
        cookies.len()
    );
}
