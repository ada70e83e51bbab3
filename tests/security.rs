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

/// The application's own role (`pingxuan grant-app-role`): it runs the center, reads and
/// writes rows, and cannot rewrite history: no schema change, no trigger disabled, no
/// truncation, no update or delete of an append-only table, no migration record touched.
#[sqlx::test]
async fn the_applications_own_role_runs_the_center_but_cannot_rewrite_history(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    demo_city_types_totals(&app).await;
    // A login role that owns nothing, created once for the cluster (each test has a
    // database of its own; roles are shared).
    sqlx::query(
        "do $$ begin
           create role pingxuan_app_test login password 'app-role-test';
         exception when duplicate_object or unique_violation then null;
         end $$",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("alter role pingxuan_app_test login password 'app-role-test'")
        .execute(&app.pool)
        .await
        .unwrap();
    pingxuan::db::grant_app_role(&app.pool, "pingxuan_app_test")
        .await
        .unwrap();
    // Refused: a name that is not one, a role that does not exist, the owner itself.
    for bad in ["x; drop table audit_log", "no_such_role", "postgres"] {
        assert!(
            pingxuan::db::grant_app_role(&app.pool, bad).await.is_err(),
            "{bad}"
        );
    }
    let options = (*app.pool.connect_options())
        .clone()
        .username("pingxuan_app_test")
        .password("app-role-test");
    let role_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap();
    let who: String = sqlx::query_scalar("select current_user::text")
        .fetch_one(&role_pool)
        .await
        .unwrap();
    assert_eq!(who, "pingxuan_app_test");
    // Starting up: the migrations are found applied, nothing to create.
    pingxuan::db::migrate(&role_pool).await.unwrap();

    // The whole application on that role: sign in, save a score, cast a ballot, sign out.
    let served = TestApp {
        router: pingxuan::app(pingxuan::AppState::new(
            role_pool.clone(),
            pingxuan::config::Config::default(),
        )),
        pool: role_pool.clone(),
        clock: Default::default(),
        remote: None,
    };
    let audit_before = count(&app.pool, "select count(*) from audit_log").await;
    let mut ducha = Browser::new(&served);
    ducha.login("ducha", PASSWORD).await;
    let mut fields = ducha
        .get("/scores/2027-01")
        .await
        .form_fields("form.score-grid");
    let first = fields.iter().position(|(k, _)| k.starts_with('c')).unwrap();
    fields[first].1 = "95.50".into();
    assert_eq!(
        ducha.post_fields("/scores/2027-01", &fields).await.status,
        StatusCode::SEE_OTHER
    );
    let mut head = Browser::new(&served);
    head.login("head02", PASSWORD).await;
    let token = head.csrf().await;
    let cast = head
        .post_fields(
            "/ballot",
            &[
                ("_csrf".into(), token),
                ("kind".into(), "window".into()),
                ("period".into(), "2026-Q3".into()),
                ("c".into(), "W1".into()),
            ],
        )
        .await;
    assert_eq!(cast.location(), Some("/ballot?notice=voted"));
    assert_eq!(
        ducha.post("/logout", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(count(&app.pool, "select count(*) from audit_log").await > audit_before);

    // What the role may not do, 12 of 12 refused.
    let before = checksum(&app.pool).await;
    let audit_rows = count(&app.pool, "select count(*) from audit_log").await;
    for (sql, expected) in [
        ("alter table audit_log disable trigger all", "must be owner"),
        ("drop table audit_log", "must be owner"),
        ("truncate audit_log", "permission denied"),
        ("update audit_log set action = 'x'", "permission denied"),
        ("delete from audit_log", "permission denied"),
        ("delete from score_correction", "permission denied"),
        (
            "update period_correction set reason = 'x'",
            "permission denied",
        ),
        ("create table evil (x int)", "permission denied"),
        ("delete from _sqlx_migrations", "permission denied"),
        (
            "alter table monthly_score drop constraint monthly_score_score_check",
            "must be owner",
        ),
        (
            "alter table ballot_receipt disable trigger all",
            "must be owner",
        ),
        (
            "insert into monthly_score (center_id, month, window_id, score)
             select center_id, '2027-02', window_id, 101 from service_window limit 1",
            "monthly_score_score_check",
        ),
    ] {
        let err = sqlx::query(sql)
            .execute(&role_pool)
            .await
            .expect_err(sql)
            .to_string();
        assert!(err.contains(expected), "{sql}: {err}");
    }
    assert_eq!(before, checksum(&app.pool).await);
    assert_eq!(
        audit_rows,
        count(&app.pool, "select count(*) from audit_log").await
    );
    role_pool.close().await;
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

/// A second center with one of everything, as another center's administrator would have
/// made it (its period is 2025-Q4): ids by kind.
async fn other_center(app: &TestApp) -> std::collections::HashMap<&'static str, i64> {
    let one = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
    };
    let mut ids = std::collections::HashMap::new();
    ids.insert("department", one("insert into department (center_id, name, sort_order) select center_id, '西城公安分局', 1 from center where code = 'shifan-xicheng' returning department_id").await);
    ids.insert("area", one("insert into business_area (center_id, name, sort_order) select center_id, '西城户政', 1 from center where code = 'shifan-xicheng' returning business_area_id").await);
    ids.insert("window", one("insert into service_window (center_id, number, name, department_id, business_area_id) select d.center_id, '1', '西城户籍', d.department_id, a.business_area_id from department d join business_area a using (center_id) where d.name = '西城公安分局' returning window_id").await);
    ids.insert("staff", one("insert into staff (center_id, name, employee_no, window_id, position) select center_id, '西城人员', 'XC001', window_id, '综合受理员' from service_window where name = '西城户籍' returning staff_id").await);
    ids.insert("account", one("insert into account (center_id, username, display_name, password_hash, role, staff_id) select center_id, 'xicheng-staff', '西城人员', 'x', 'staff', staff_id from staff where employee_no = 'XC001' returning account_id").await);
    ids.insert("scheme", one("insert into scheme (center_id, name, period_kind, rules, window_title, staff_title) select c.center_id, '西城季度方案', 'quarter', s.rules, s.window_title, s.staff_title from center c, scheme s where c.code = 'shifan-xicheng' and s.period_kind = 'quarter' limit 1 returning scheme_id").await);
    one("insert into period (center_id, code, scheme_id, rules, months, window_title, staff_title) select center_id, '2025-Q4', scheme_id, rules, '{2025-10,2025-11,2025-12}', window_title, staff_title from scheme where name = '西城季度方案' returning period_id").await;
    ids.insert("veto", one("insert into veto (center_id, period_id, window_id, code, occurred_on, description, created_by) select p.center_id, p.period_id, w.window_id, 'overdue_case', '2025-11-01', '西城', (select account_id from account where username = 'admin') from period p join service_window w using (center_id) where p.code = '2025-Q4' returning veto_id").await);
    ids.insert("batch", one("insert into import_batch (center_id, kind, month, file_name, changes, created_by) select center_id, 'window_scores', '2025-10', 'x.xlsx', '[]', (select account_id from account where username = 'ducha') from center where code = 'shifan-xicheng' returning import_batch_id").await);
    ids.insert("roster", one("insert into import_batch (center_id, kind, file_name, changes, created_by) select center_id, 'roster', 'x.xlsx', '{}', (select account_id from account where username = 'admin') from center where code = 'shifan-xicheng' returning import_batch_id").await);
    ids
}

#[sqlx::test]
async fn another_centers_ids_in_any_form_change_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let ids = other_center(&app).await;
    let kind_of = |path: &str| -> &'static str {
        [
            ("/admin/departments/", "department"),
            ("/admin/business-areas/", "area"),
            ("/admin/windows/", "window"),
            ("/admin/staff/", "staff"),
            ("/admin/accounts/", "account"),
            ("/admin/schemes/", "scheme"),
            ("/vetoes/{id}", "veto"),
            ("/imports/batches/", "batch"),
            ("/imports/roster/", "roster"),
        ]
        .iter()
        .find(|(p, _)| path.contains(p))
        .map(|(_, k)| *k)
        .unwrap_or("")
    };
    // Each route with an id or a period is sent, by a principal allowed to use it, the
    // other center's ids and fields that would be accepted for one's own.
    let own: (String, String, String) = sqlx::query_as(
        "select d.department_id::text, a.business_area_id::text, w.window_id::text
         from service_window w join department d using (department_id)
         join business_area a on a.business_area_id = w.business_area_id
         join center c on c.center_id = w.center_id
         where c.code = 'shifan' order by w.window_id limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let table = include_str!("access_table.txt");
    let mut sent = 0;
    let mut problems = Vec::new();
    // Signing in (once per route here) writes its own audit row and session; nothing else may.
    let changes = async || {
        (
            checksum(&app.pool).await,
            count(
                &app.pool,
                "select count(*) from audit_log where action not like 'login.%'",
            )
            .await,
        )
    };
    let target = format!("w{}", ids["window"]);
    let fields: &[(&str, &str)] = &[
        // Valid ids of one's own center, so that only the swapped id can be refused.
        ("department_id", &own.0),
        ("business_area_id", &own.1),
        ("window_id", &own.2),
        ("sort_order", "5"),
        ("display_name", "改名"),
        ("username", "swapped-id"),
        ("role", "staff"),
        ("name", "改名"),
        ("number", "99"),
        ("employee_no", "Z999"),
        ("position", "综合受理员"),
        ("active", "false"),
        ("to", "candidates"),
        ("reason", "理由"),
        ("target", &target),
        ("code", "overdue_case"),
        ("occurred_on", "2025-11-02"),
        ("description", "说明"),
        ("kind", "window"),
    ];
    let before = changes().await;
    for line in table.lines().filter(|l| l.starts_with("POST")) {
        let mut parts = line.split_whitespace().skip(1);
        let path = parts.next().unwrap();
        if !path.contains("{id}") && !path.contains("{code}") {
            continue;
        }
        let who = parts.find(|p| *p != "anonymous").unwrap();
        let mut b = if who == "group_leader" {
            let mut b = Browser::new(&app);
            b.login("zuzhang", PASSWORD).await;
            b
        } else {
            let role = Role::ALL.into_iter().find(|r| r.as_str() == who).unwrap();
            login_as(&app, role).await
        };
        let url = match kind_of(path) {
            "" => path.to_string(),
            kind => path.replace("{id}", &ids[kind].to_string()),
        }
        .replace("{code}", "2025-Q4")
        .replace("{id}", &ids["veto"].to_string());
        let page = b.post(&url, fields).await;
        sent += 1;
        if page.status.is_server_error() {
            problems.push(format!("POST {url} as {who}: {}", page.status));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(changes().await, before, "rows changed");
    assert!(sent >= 15, "{sent} routes");
    // The same fields with one's own window are accepted: only the swapped id was refused.
    let mut admin = login_as(&app, Role::Admin).await;
    let page = admin
        .post(&format!("/admin/windows/{}", own.2), fields)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    eprintln!("{sent} routes sent another center's ids: rows changed 0");
}

/// A sign-in attempt from `address` (the server trusts its proxy's X-Forwarded-For here):
/// the status and the page's text.
async fn attempt(
    b: &mut Browser,
    address: &str,
    username: &str,
    password: &str,
) -> (StatusCode, String) {
    let token = b.csrf().await;
    let body = encode(&[
        ("_csrf", token.as_str()),
        ("username", username),
        ("password", password),
    ]);
    let req = b
        .request("POST", "/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "http://pingxuan.test")
        .header("x-forwarded-for", address)
        .body(Body::from(body))
        .unwrap();
    let page = b.send(req).await;
    let text = page.text("main");
    (page.status, text)
}

#[sqlx::test]
async fn password_guessing_at_volume_is_evaluated_only_up_to_the_limits(pool: PgPool) {
    let config = pingxuan::config::Config {
        trust_proxy: true,
        ..pingxuan::config::Config::default()
    };
    let app = spawn_with(pool, config.clone()).await;
    let audited = async || {
        count(
            &app.pool,
            "select count(*) from audit_log where action in ('login.failure', 'login.refused')",
        )
        .await
    };
    let evaluated = async || {
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'login.failure'",
        )
        .await
    };
    // 150 wrong passwords on one account, each from an address of its own (a patient
    // guesser spreading an hour's guesses over many machines).
    let mut b = Browser::new(&app);
    for i in 0..150 {
        let (status, _) = attempt(
            &mut b,
            &format!("10.1.{}.{}", i / 200, i % 200),
            "ducha",
            "guess-guess",
        )
        .await;
        assert!(status == StatusCode::OK || status == StatusCode::TOO_MANY_REQUESTS);
    }
    let one_account = evaluated().await;
    assert!(
        one_account <= i64::from(config.login_max_failures_per_user),
        "{one_account} evaluated"
    );
    assert_eq!(audited().await, 150, "every attempt audited");
    // 1,000 attempts over 50 usernames from one address.
    let mut c = Browser::new(&app);
    for i in 0..1000 {
        attempt(
            &mut c,
            "10.2.0.1",
            &format!("user{:02}", i % 50),
            "guess-guess",
        )
        .await;
    }
    let many = evaluated().await - one_account;
    assert!(
        many <= i64::from(config.login_max_failures_per_ip),
        "{many} evaluated"
    );
    assert_eq!(audited().await, 1150, "every attempt audited");
    // An unknown user and a wrong password answer alike (each from a fresh address).
    let mut x = Browser::new(&app);
    let mut y = Browser::new(&app);
    let unknown = attempt(&mut x, "10.3.0.1", "nobody-here", "guess-guess").await;
    let wrong = attempt(&mut y, "10.3.0.2", "admin", "guess-guess").await;
    assert_eq!(unknown, wrong);
    eprintln!(
        "150 guesses on one account: {one_account} evaluated; 1000 over 50 usernames from one address: {many} evaluated; 1150 of 1150 audited"
    );
}

/// The resident memory of this process (server and test alike), in KiB.
fn rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// A body of `size` bytes made on the fly, 64 KiB at a time, with no declared length (so
/// the server must stop reading by itself).
fn streamed(size: usize) -> Body {
    let chunk = axum::body::Bytes::from(vec![b'a'; 64 * 1024]);
    let chunks = size.div_ceil(chunk.len());
    Body::from_stream(futures_util::stream::iter(
        (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    ))
}

#[sqlx::test]
async fn oversized_bodies_to_every_form_are_refused_without_growing_memory(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let token = admin.csrf().await;
    let posts: Vec<routes::RouteInfo> = routes::all()
        .list()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    let before = fingerprint(&app).await;
    // Warm up once so that the figures compare like with like.
    let sizes = [
        65 * 1024 + 1,
        1024 * 1024,
        10 * 1024 * 1024,
        100 * 1024 * 1024,
    ];
    let mut refused = 0;
    let mut sent = 0;
    let mut rss_start = 0;
    let mut problems = Vec::new();
    for (round, size) in sizes.iter().enumerate() {
        for route in &posts {
            let url = concrete(route.path);
            let limit = if route.body == routes::Body::Upload {
                10 * 1024 * 1024
            } else {
                64 * 1024
            };
            if *size <= limit {
                continue;
            }
            for declared in [false, true] {
                let mut req = admin
                    .request("POST", &url)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ORIGIN, "http://pingxuan.test")
                    .header("x-csrf-token", &token);
                if declared {
                    req = req.header(header::CONTENT_LENGTH, size.to_string());
                }
                let page = admin.send(req.body(streamed(*size)).unwrap()).await;
                sent += 1;
                if page.status == StatusCode::PAYLOAD_TOO_LARGE {
                    refused += 1;
                } else {
                    problems.push(format!("POST {url} with {size} bytes: {}", page.status));
                }
            }
        }
        if round == 0 {
            rss_start = rss_kib();
        }
    }
    let growth = rss_kib() - rss_start;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(fingerprint(&app).await.0, before.0, "rows changed");
    assert!(growth < 5 * 1024, "memory grew by {growth} KiB");
    eprintln!(
        "{refused} of {sent} oversized bodies (65 KiB to 100 MiB, with and without a declared length) refused with 413; memory growth after the first round {growth} KiB"
    );
}
