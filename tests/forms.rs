//! Malformed forms are answered with the same form, a Chinese message and the typed values,
//! never a 5xx, and no row changes.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

/// Posts raw bytes with the session's token in front, and checks the outcome.
async fn post_bad(b: &mut Browser, path: &str, body: &[u8], content_type: &str) -> Page {
    let token = b.csrf().await;
    let mut full = format!("_csrf={token}&").into_bytes();
    full.extend_from_slice(body);
    b.post_raw(path, content_type, full).await
}

#[sqlx::test]
async fn malformed_window_forms_are_shown_again_with_a_message_and_change_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let dept: i64 = sqlx::query_scalar("select min(department_id) from department")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let area: i64 = sqlx::query_scalar("select min(business_area_id) from business_area")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // Far past any field's limit, yet within the 64 KiB a form may send (percent-encoded).
    let long = "窗".repeat(5_000);
    let ok_rest = format!("&department_id={dept}&business_area_id={area}");
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "empty form"),
        (format!("number=&name=x{ok_rest}"), "empty number"),
        (format!("number=%20%20&name=%20{ok_rest}"), "blanks"),
        (
            format!(
                "number=31&name={}{ok_rest}",
                percent_encoding::utf8_percent_encode(&long, percent_encoding::NON_ALPHANUMERIC)
            ),
            "too long",
        ),
        (format!("number=31&name=a%00b{ok_rest}"), "NUL character"),
        (format!("number=31&name=%FF%FE{ok_rest}"), "invalid UTF-8"),
        (
            format!("number=31&number=32&name=x{ok_rest}"),
            "duplicated field",
        ),
        (format!("name=x{ok_rest}"), "missing field"),
        (
            format!("number=31&name=x&department_id=abc&business_area_id={area}"),
            "wrong type",
        ),
        (
            format!("number=31&name=x&department_id=-1&business_area_id={area}"),
            "unknown id",
        ),
        (
            format!(
                "number=31&name=x&department_id=99999999999999999999999&business_area_id={area}"
            ),
            "overflowing id",
        ),
        (
            format!("number=%EF%BC%93%EF%BC%91&name=x{ok_rest}"),
            "full-width digits",
        ),
        (
            format!("number=31%27%3B%20drop%20table%20staff%3B--&name=x{ok_rest}"),
            "SQL payload",
        ),
        (
            format!(
                "number=31&name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&department_id={dept}&business_area_id=%ZZ"
            ),
            "broken escape",
        ),
    ];
    let before = checksum(&app.pool).await;
    let audit_before = count(&app.pool, "select count(*) from audit_log").await;
    for (body, what) in &cases {
        let page = post_bad(
            &mut admin,
            "/admin/windows",
            body.as_bytes(),
            "application/x-www-form-urlencoded",
        )
        .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        assert!(
            page.text(".error-summary h2").starts_with("有"),
            "{what}: summary at the top"
        );
        assert!(
            page.texts(".field .error").iter().all(|m| !m.is_empty()),
            "{what}"
        );
        assert!(
            !page.texts(".field .error").is_empty(),
            "{what}: a message beside a field"
        );
        assert_eq!(page.text("h1"), "新增窗口", "{what}: the same form again");
    }
    // A form sent as another content type, or as JSON, is an empty form.
    for ct in [
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let page = post_bad(&mut admin, "/admin/windows", b"number=31&name=x", ct).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{ct}");
    }
    assert_eq!(checksum(&app.pool).await, before);
    assert_eq!(
        count(&app.pool, "select count(*) from audit_log").await,
        audit_before,
        "no audit row for a refused form"
    );
}

#[sqlx::test]
async fn the_message_says_what_is_wrong_and_the_typed_values_are_kept(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let page = admin
        .post(
            "/admin/windows",
            &[
                ("number", "31号"),
                ("name", "企业开办专窗"),
                ("department_id", ""),
                ("business_area_id", ""),
            ],
        )
        .await;
    assert_eq!(
        page.field_error("number").as_deref(),
        Some("窗口编号只能包含数字、字母或 -，如 12 或 A-03")
    );
    assert_eq!(
        page.field_error("department_id").as_deref(),
        Some("请选择一项")
    );
    assert_eq!(page.input_value("number").as_deref(), Some("31号"));
    assert_eq!(page.input_value("name").as_deref(), Some("企业开办专窗"));
    let page = admin
        .post(
            "/admin/departments",
            &[("name", "统计局"), ("sort_order", "１０")],
        )
        .await;
    assert_eq!(
        page.field_error("sort_order").as_deref(),
        Some("请输入整数（半角数字）")
    );
    let page = admin
        .post(
            "/admin/departments",
            &[("name", &"局".repeat(101)), ("sort_order", "1")],
        )
        .await;
    assert_eq!(page.field_error("name").as_deref(), Some("最多 100 个字"));
}

#[sqlx::test]
async fn malformed_account_and_staff_forms_change_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let before = checksum(&app.pool).await;
    let audit_before = count(&app.pool, "select count(*) from audit_log").await;
    let cases: &[(&str, &[u8])] = &[
        ("/admin/accounts", b"username=AB&display_name=x&role=admin"),
        (
            "/admin/accounts",
            b"username=wang%00&display_name=x&role=admin",
        ),
        (
            "/admin/accounts",
            b"username=wangwu&display_name=x&role=root",
        ),
        (
            "/admin/accounts",
            b"username=wangwu&display_name=x&role=admin&role=staff",
        ),
        (
            "/admin/accounts",
            b"username=wangwu&display_name=&role=staff&staff_id=0",
        ),
        (
            "/admin/accounts",
            b"username=%E7%8E%8B%E4%BA%94&display_name=x&role=admin",
        ),
        ("/admin/staff", b"name=&employee_no=&window_id=&position="),
        (
            "/admin/staff",
            b"name=x&employee_no=SF%00&window_id=1&position=y",
        ),
        (
            "/admin/staff",
            b"name=x&employee_no=A1&window_id=1.5&position=y",
        ),
        ("/admin/departments", b"name=x&sort_order=-1"),
        ("/admin/departments", b"name=x&sort_order=1e309"),
        ("/admin/departments", b"name=x&sort_order=NaN"),
        ("/admin/business-areas", b"name=%FF&sort_order=1"),
        ("/account/password", b"current=&new=short&confirm=short"),
        ("/account/password", b"current=x%00&new=%FF&confirm=y"),
    ];
    for (path, body) in cases {
        let page = post_bad(&mut admin, path, body, "application/x-www-form-urlencoded").await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {}",
            String::from_utf8_lossy(body)
        );
        assert!(
            !page.texts(".field .error, .error").is_empty(),
            "{path}: a message"
        );
    }
    assert_eq!(checksum(&app.pool).await, before);
    assert_eq!(
        count(&app.pool, "select count(*) from audit_log").await,
        audit_before,
        "no audit row for a refused form"
    );
}

#[sqlx::test]
async fn malformed_sign_in_forms_answer_like_a_wrong_password(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = Browser::new(&app);
    for body in [
        &b""[..],
        b"username=%FF&password=x",
        b"username=a%00&password=b",
        b"username=admin&username=x&password=y",
        b"password=pingxuan2026",
    ] {
        let page = post_bad(&mut b, "/login", body, "application/x-www-form-urlencoded").await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(page.text(".form-error"), "用户名或密码错误。");
    }
}

#[sqlx::test]
async fn typed_html_is_shown_as_text_never_as_markup(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let payload = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
    let page = admin
        .post(
            "/admin/departments",
            &[("name", payload), ("sort_order", "1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let list = admin.get("/admin/departments?page=1").await;
    assert!(
        list.texts("td").iter().any(|t| t == payload),
        "shown as typed"
    );
    assert!(!list.body.contains("<script>alert(1)"));
    assert!(!list.body.contains("<img src=x"));
    let audit = admin.get("/audit").await;
    assert!(!audit.body.contains("<script>alert(1)"));
}
