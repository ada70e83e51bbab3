//! Signing in and out, as people do it and as attackers try it.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::config::Config;
use pingxuan::domain::Role;
use sqlx::PgPool;

#[sqlx::test]
async fn each_role_lands_on_its_own_home_page(pool: PgPool) {
    let app = spawn(pool).await;
    for (role, home, heading) in [
        (Role::Admin, "/admin", "系统管理员，您好"),
        (Role::Supervision, "/supervision", "督查科 郑晓敏，您好"),
        (Role::WindowHead, "/head", "李洁，您好"),
        (Role::Leadership, "/leadership", "业务科科长 许慧，您好"),
        (Role::Staff, "/me", "张秀英，您好"),
    ] {
        let mut b = login_as(&app, role).await;
        let root = b.get("/").await;
        assert_eq!(root.location(), Some(home), "{role:?}");
        let page = b.get(home).await;
        assert_eq!(page.status, StatusCode::OK, "{role:?}");
        assert_eq!(page.text("h1"), heading);
    }
}

#[sqlx::test]
async fn a_window_head_sees_their_own_window(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = login_as(&app, Role::WindowHead).await;
    let page = b.get("/head").await;
    assert!(
        page.texts(".facts dd")
            .contains(&"1号窗口 户籍".to_string())
    );
    assert!(page.texts(".facts dd").contains(&"公安局".to_string()));
}

#[sqlx::test]
async fn unknown_user_and_wrong_password_answer_alike(pool: PgPool) {
    let app = spawn(pool).await;
    let mut a = Browser::new(&app);
    let wrong = a.login("admin", "not-the-password").await;
    let mut b = Browser::new(&app);
    let unknown = b.login("nobody", "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.text(".form-error"), "用户名或密码错误。");
    assert_eq!(wrong.text(".form-error"), unknown.text(".form-error"));
    assert!(!a.cookies.contains_key("px_session"));
    assert!(!b.cookies.contains_key("px_session"));
    // Both attempts are in the audit log.
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'login.failure'"
        )
        .await,
        2
    );
}

#[sqlx::test]
async fn the_typed_username_is_kept_after_a_failed_sign_in(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = Browser::new(&app);
    let page = b.login("ducha", "wrong-password").await;
    assert_eq!(page.input_value("username").as_deref(), Some("ducha"));
}

/// A sign-in attempt from `address` (the server trusts its proxy's X-Forwarded-For in these
/// tests).
async fn login_from(b: &mut Browser, address: &str, username: &str, password: &str) -> Page {
    let token = b.csrf().await;
    let body = encode(&[
        ("_csrf", token.as_str()),
        ("username", username),
        ("password", password),
    ]);
    let req = b
        .request("POST", "/login")
        .header(
            axum::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(axum::http::header::ORIGIN, "http://pingxuan.test")
        .header("x-forwarded-for", address)
        .body(axum::body::Body::from(body))
        .unwrap();
    b.send(req).await
}

fn behind_proxy() -> Config {
    Config {
        trust_proxy: true,
        ..Config::default()
    }
}

#[sqlx::test]
async fn failures_from_unknown_browsers_lock_the_account_for_them_but_not_for_its_own_browser(
    pool: PgPool,
) {
    let app = spawn_with(pool, behind_proxy()).await;
    // The owner signs in once from the office PC: that browser is now known.
    let mut own = Browser::new(&app);
    assert_eq!(
        login_from(&mut own, "10.0.0.8", "ducha", PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    own.post("/logout", &[]).await;
    // Anyone, from anywhere, fails five times.
    let mut b = Browser::new(&app);
    for i in 0..5 {
        let page = login_from(&mut b, &format!("10.7.0.{i}"), "ducha", "wrong-password").await;
        assert_eq!(page.status, StatusCode::OK);
    }
    // The right password from an unknown browser waits out the lock …
    let locked = login_from(&mut b, "10.7.0.99", "ducha", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((880..=900).contains(&wait), "{wait}");
    assert!(locked.text(".form-error").contains("15 分钟"));
    assert!(!b.cookies.contains_key("px_session"));
    // … however long the flood; the lock is audited once, each refused attempt as such.
    for i in 0..20 {
        assert_eq!(
            login_from(&mut b, &format!("10.8.0.{i}"), "ducha", PASSWORD)
                .await
                .status,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'login.throttled'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'login.refused'"
        )
        .await,
        21
    );
    // The owner's own browser is not locked out by others' failures.
    assert_eq!(
        login_from(&mut own, "10.0.0.8", "ducha", PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // Unknown usernames lock the same way, so a lock reveals nothing.
    let mut c = Browser::new(&app);
    for i in 0..5 {
        login_from(&mut c, &format!("10.9.0.{i}"), "nobody", "wrong-password").await;
    }
    assert_eq!(
        login_from(&mut c, "10.9.0.99", "nobody", "wrong-password")
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Other accounts are not affected.
    let mut d = Browser::new(&app);
    assert_eq!(
        d.login("admin", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test]
async fn failures_from_one_address_meet_growing_delays_while_other_addresses_are_not_slowed(
    pool: PgPool,
) {
    let app = spawn_with(pool, behind_proxy()).await;
    let mut b = Browser::new(&app);
    for _ in 0..3 {
        let page = login_from(&mut b, "10.5.0.1", "head01", "wrong-password").await;
        assert_eq!(page.status, StatusCode::OK);
    }
    // From the third failure on, that address waits before it may try again, 5 s at first.
    let waiting = login_from(&mut b, "10.5.0.1", "head01", PASSWORD).await;
    assert_eq!(waiting.status, StatusCode::TOO_MANY_REQUESTS);
    let first: u64 = waiting.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&first), "{first}");
    // The owner at another desk signs in.
    let mut other = Browser::new(&app);
    assert_eq!(
        login_from(&mut other, "10.5.0.2", "head01", PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // Once the delay has passed, a further failure doubles it.
    sqlx::query("update login_throttle set locked_until = now() - interval '1 second' where throttle_key like 'ua:%'")
        .execute(&app.pool)
        .await
        .unwrap();
    login_from(&mut b, "10.5.0.1", "head01", "wrong-password").await;
    let longer = login_from(&mut b, "10.5.0.1", "head01", PASSWORD).await;
    let second: u64 = longer.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((6..=10).contains(&second), "{second}");
}

#[sqlx::test]
async fn simultaneous_correct_sign_ins_all_succeed(pool: PgPool) {
    let app = spawn(pool).await;
    let attempts = (0..6).map(|_| {
        let app = app.clone();
        tokio::spawn(async move {
            let mut b = Browser::new(&app);
            b.login("zuzhang", PASSWORD).await.status
        })
    });
    for status in futures_util::future::join_all(attempts).await {
        assert_eq!(status.unwrap(), StatusCode::SEE_OTHER);
    }
}

#[sqlx::test]
async fn one_address_trying_many_usernames_is_locked(pool: PgPool) {
    let config = Config {
        login_max_failures_per_ip: 10,
        ..Config::default()
    };
    let app = spawn_with(pool, config).await;
    let mut b = Browser::new(&app);
    for i in 0..10 {
        let page = b.login(&format!("guess{i}"), "wrong-password").await;
        assert_eq!(page.status, StatusCode::OK, "attempt {i}");
    }
    assert_eq!(
        b.login("admin", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'login.throttled'"
        )
        .await,
        1
    );
}

#[sqlx::test]
async fn the_session_id_changes_at_sign_in_and_the_old_one_is_dead(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = login_as(&app, Role::Admin).await;
    let first = b.cookies["px_session"].clone();
    // Signing in again from the same browser issues a new id and ends the old session.
    let mut again = b.clone();
    let page = again.login("admin", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let second = again.cookies["px_session"].clone();
    assert_ne!(first, second);
    let old = b.get("/admin").await;
    assert_eq!(old.status, StatusCode::SEE_OTHER);
    assert!(old.location().unwrap().starts_with("/login"));
    assert_eq!(again.get("/admin").await.status, StatusCode::OK);
}

#[sqlx::test]
async fn the_session_cookie_is_http_only_and_same_site_strict(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = Browser::new(&app);
    let page = b.login("admin", PASSWORD).await;
    let cookie = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("px_session="))
        .expect("session cookie set");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains("Secure"), "plain HTTP by default");
    let secure = spawn_with(
        app.pool.clone(),
        Config {
            secure_cookies: true,
            ..Config::default()
        },
    )
    .await;
    let mut s = Browser::new(&secure);
    let page = s.login("admin", PASSWORD).await;
    assert!(
        page.headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().contains("; Secure"))
    );
}

#[sqlx::test]
async fn sign_out_ends_the_session_on_the_server(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = login_as(&app, Role::Supervision).await;
    let stolen = b.clone();
    let page = b.post("/logout", &[]).await;
    assert_eq!(page.location(), Some("/login"));
    assert!(!b.cookies.contains_key("px_session"));
    // Even a copy of the old cookie no longer works.
    let mut thief = stolen;
    assert_eq!(
        thief.get("/supervision").await.location(),
        Some("/login?next=%2Fsupervision")
    );
    assert_eq!(count(&app.pool, "select count(*) from session").await, 0);
}

#[sqlx::test]
async fn an_idle_session_times_out(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = login_as(&app, Role::Leadership).await;
    assert_eq!(b.get("/leadership").await.status, StatusCode::OK);
    sqlx::query("update session set last_seen_at = now() - interval '31 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let page = b.get("/leadership").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().unwrap().starts_with("/login"));
}

#[sqlx::test]
async fn a_session_ends_after_the_absolute_timeout_however_active(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = login_as(&app, Role::Leadership).await;
    sqlx::query("update session set created_at = now() - interval '13 hours'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(b.get("/leadership").await.status, StatusCode::SEE_OTHER);
}

#[sqlx::test]
async fn after_sign_in_the_page_asked_for_is_shown(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = Browser::new(&app);
    let page = b.get("/admin/windows?page=2").await;
    assert_eq!(
        page.location(),
        Some("/login?next=%2Fadmin%2Fwindows%3Fpage%3D2")
    );
    let login = b.get(page.location().unwrap()).await;
    assert_eq!(
        login.input_value("next").as_deref(),
        Some("/admin/windows?page=2")
    );
    let token = b.csrf().await;
    let done = b
        .post_raw(
            "/login",
            "application/x-www-form-urlencoded",
            encode(&[
                ("_csrf", &token),
                ("username", "admin"),
                ("password", PASSWORD),
                ("next", "/admin/windows?page=2"),
            ])
            .into_bytes(),
        )
        .await;
    assert_eq!(done.location(), Some("/admin/windows?page=2"));
    // A foreign target, or one a browser could read as foreign, is ignored.
    for next in [
        "//evil.example/",
        "/\t/evil.example",
        "/\\evil.example",
        "/\u{1}x",
        "/%5Cevil",
        "https://evil.example/",
    ] {
        let mut c = Browser::new(&app);
        let token = c.csrf().await;
        let done = c
            .post_raw(
                "/login",
                "application/x-www-form-urlencoded",
                encode(&[
                    ("_csrf", &token),
                    ("username", "admin"),
                    ("password", PASSWORD),
                    ("next", next),
                ])
                .into_bytes(),
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{next:?}");
        let to = done.location().unwrap();
        assert!(to == "/" || to == "/%5Cevil", "{next:?} went to {to:?}");
    }
}

#[sqlx::test]
async fn an_account_created_by_the_admin_must_change_its_password_first(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let created = admin
        .post(
            "/admin/accounts",
            &[
                ("username", "zhouqing"),
                ("display_name", "周青"),
                ("role", "supervision"),
            ],
        )
        .await;
    let initial = admin.handed_over(&created).await;
    assert_eq!(initial.len(), 12);

    let mut b = Browser::new(&app);
    assert_eq!(b.login("zhouqing", &initial).await.location(), Some("/"));
    assert_eq!(b.get("/").await.location(), Some("/account/password"));
    // Every other page sends them back to the password form.
    assert_eq!(
        b.get("/supervision").await.location(),
        Some("/account/password")
    );
    let form = b.get("/account/password").await;
    assert!(form.text(".notice").contains("须先设置您自己的密码"));

    let mismatch = b
        .post(
            "/account/password",
            &[
                ("current", &initial),
                ("new", "Xinmima-2026"),
                ("confirm", "Xinmima-2027"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        mismatch.field_error("confirm").as_deref(),
        Some("两次输入的新密码不一致")
    );

    let done = b
        .post(
            "/account/password",
            &[
                ("current", &initial),
                ("new", "Xinmima-2026"),
                ("confirm", "Xinmima-2026"),
            ],
        )
        .await;
    assert_eq!(done.location(), Some("/supervision?notice=password"));
    assert_eq!(b.get("/supervision").await.status, StatusCode::OK);
    // The old password no longer works; the new one does.
    assert_eq!(
        Browser::new(&app).login("zhouqing", &initial).await.status,
        StatusCode::OK
    );
    assert_eq!(
        Browser::new(&app)
            .login("zhouqing", "Xinmima-2026")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test]
async fn disabling_an_account_ends_all_its_sessions(pool: PgPool) {
    let app = spawn(pool).await;
    let mut head = login_as(&app, Role::WindowHead).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let id: i64 = sqlx::query_scalar("select account_id from account where username = 'head01'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let page = admin
        .post(
            &format!("/admin/accounts/{id}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(head.get("/head").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        Browser::new(&app).login("head01", PASSWORD).await.status,
        StatusCode::OK,
        "a disabled account cannot sign in"
    );
    assert_eq!(
        count(
            &app.pool,
            &format!("select count(*) from session where account_id = {id}")
        )
        .await,
        0
    );
}

#[sqlx::test]
async fn behind_a_trusted_proxy_the_address_it_appended_is_used(pool: PgPool) {
    let config = Config {
        trust_proxy: true,
        ..Config::default()
    };
    let app = spawn_with(pool, config).await;
    let mut b = Browser::new(&app);
    let token = b.csrf().await;
    let req = b
        .request("POST", "/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", "6.6.6.6, 10.1.2.3")
        .body(axum::body::Body::from(encode(&[
            ("_csrf", &token),
            ("username", "admin"),
            ("password", "wrong-password"),
        ])))
        .unwrap();
    b.send(req).await;
    let ip: String = sqlx::query_scalar("select ip from audit_log where action = 'login.failure'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        ip, "10.1.2.3",
        "the client-chosen first entry is not trusted"
    );
}

#[sqlx::test]
async fn an_account_awaiting_its_password_change_can_change_nothing_else(pool: PgPool) {
    let app = spawn(pool).await;
    sqlx::query("update account set must_change_password = true where username = 'admin'")
        .execute(&app.pool)
        .await
        .unwrap();
    let mut admin = login_as(&app, Role::Admin).await;
    let before = checksum(&app.pool).await;
    let page = admin
        .post(
            "/admin/departments",
            &[("name", "统计局"), ("sort_order", "1")],
        )
        .await;
    assert_eq!(page.location(), Some("/account/password"));
    assert_eq!(checksum(&app.pool).await, before);
}

#[sqlx::test]
async fn guessing_the_current_password_on_the_change_form_is_throttled(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = login_as(&app, Role::Staff).await;
    for _ in 0..5 {
        let page = b
            .post(
                "/account/password",
                &[
                    ("current", "guess-1234"),
                    ("new", "Xinmima-2026"),
                    ("confirm", "Xinmima-2026"),
                ],
            )
            .await;
        assert_eq!(
            page.field_error("current").as_deref(),
            Some("当前密码不正确")
        );
    }
    let page = b
        .post(
            "/account/password",
            &[
                ("current", PASSWORD),
                ("new", "Xinmima-2026"),
                ("confirm", "Xinmima-2026"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.field_error("current")
            .unwrap()
            .contains("尝试次数过多")
    );
}

#[sqlx::test]
async fn the_administrator_sees_a_lock_and_lifts_it_with_a_reason(pool: PgPool) {
    let app = spawn_with(pool, behind_proxy()).await;
    let mut b = Browser::new(&app);
    for i in 0..5 {
        login_from(&mut b, &format!("10.6.0.{i}"), "head02", "wrong-password").await;
    }
    assert_eq!(
        login_from(&mut b, "10.6.0.50", "head02", PASSWORD)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut admin = login_as(&app, Role::Admin).await;
    let page = admin.get("/admin/sign-in-locks").await;
    assert!(
        page.text("table")
            .contains("账号 head02：从未登录过该账号的浏览器登录"),
        "{}",
        page.text("main")
    );
    // Without a reason nothing is lifted.
    let refused = admin
        .post(
            "/admin/sign-in-locks",
            &[("key", "user:head02"), ("reason", " ")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text(".form-error").contains("理由"));
    // Another center's or an unknown key is not ours to lift.
    let foreign = admin
        .post(
            "/admin/sign-in-locks",
            &[("key", "user:nobody"), ("reason", "试试")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    let lifted = admin
        .post(
            "/admin/sign-in-locks",
            &[
                ("key", "user:head02"),
                ("reason", "已电话核实，系本人输错密码"),
            ],
        )
        .await;
    assert_eq!(
        lifted.location(),
        Some("/admin/sign-in-locks?notice=unlocked")
    );
    let reason: serde_json::Value = sqlx::query_scalar(
        "select after from audit_log where action = 'login.unlock' and entity_id = 'user:head02'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(reason["reason"], "已电话核实，系本人输错密码");
    assert_eq!(
        login_from(&mut b, "10.6.0.51", "head02", PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test]
async fn a_device_token_planted_in_a_browser_is_never_adopted(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = Browser::new(&app);
    let planted = "ab".repeat(32);
    b.cookies
        .insert("pingxuan_device".to_string(), planted.clone());
    assert_eq!(
        b.login("head01", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let issued = b
        .cookies
        .get("pingxuan_device")
        .cloned()
        .unwrap_or_default();
    assert_eq!(issued.len(), 64);
    assert_ne!(
        issued, planted,
        "a new token, not the one the browser came with"
    );
    let adopted = count(
        &app.pool,
        &format!(
            "select count(*) from trusted_device where token_hash = encode(sha256('{planted}'), 'hex')"
        ),
    )
    .await;
    assert_eq!(adopted, 0);
    // The token it was given is kept at the next sign-in: it is trusted now.
    b.post("/logout", &[]).await;
    b.login("head01", PASSWORD).await;
    assert_eq!(b.cookies.get("pingxuan_device"), Some(&issued));
}

#[sqlx::test]
async fn an_address_lock_is_shown_only_to_the_centers_that_use_the_address(pool: PgPool) {
    let app = spawn(pool).await;
    sqlx::query(
        "insert into login_throttle (throttle_key, failures, locked_until) values
         ('ip:10.99.0.1', 300, now() + interval '10 minutes'),
         ('ip:10.99.0.2', 300, now() + interval '10 minutes')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    // Someone of this center signed in from 10.99.0.2 this month; nobody from 10.99.0.1.
    sqlx::query(
        "insert into audit_log (center_id, actor_name, action, entity, ip)
         select center_id, 'x', 'login.success', 'account', '10.99.0.2' from account where username = 'admin'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let mut admin = login_as(&app, Role::Admin).await;
    let page = admin.get("/admin/sign-in-locks").await;
    let table = page.text("table");
    assert!(table.contains("10.99.0.2"), "{table}");
    assert!(!table.contains("10.99.0.1"), "{table}");
}
