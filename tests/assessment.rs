//! The itemized monthly assessment through its pages: the office types the rules, records
//! deductions and bonuses as it finds them, and each month's score follows exactly; those
//! concerned see their own records and nobody else's.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

const SHEET: &str = "\
服务态度 20
- 迟到早退 -0.5 上限2
- 着装不规范 -1
- 表扬信 +1 上限3
工作纪律 30
- 擅自离岗 -2
工作效率 40
- 超期办件 -5
群众评价 10 满意率 99%=10 98%=8 95%=5
- 差评经核实 -2
";

/// The staff id of a demo account.
async fn staff_of(app: &TestApp, username: &str) -> i64 {
    sqlx::query_scalar("select staff_id from account where username = $1")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn staff_score(app: &TestApp, staff: i64, month: &str) -> Option<String> {
    sqlx::query_scalar("select score::text from monthly_score where staff_id = $1 and month = $2")
        .bind(staff)
        .bind(month)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

async fn standard(app: &TestApp, name: &str, from: &str) -> String {
    let id: i64 = sqlx::query_scalar(
        "select s.assessment_standard_id from assessment_standard s
         join assessment_item i using (assessment_item_id)
         join assessment_rules r using (assessment_rules_id)
         where s.name = $1 and r.effective_from = $2 and r.kind = 'staff'",
    )
    .bind(name)
    .bind(from)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    id.to_string()
}

async fn save_rules(ducha: &mut Browser, from: &str, sheet: &str) -> Page {
    ducha
        .post(
            "/assessment/rules/staff",
            &[
                ("effective_from", from),
                ("mode", "records"),
                ("appeal_days", "3"),
                ("sheet", sheet),
            ],
        )
        .await
}

async fn record(
    ducha: &mut Browser,
    staff: i64,
    standard: &str,
    times: &str,
    day: &str,
    reason: &str,
) -> Page {
    ducha
        .post(
            "/assessment/records/new",
            &[
                ("target", &format!("s{staff}")),
                ("standard", standard),
                ("occurrences", times),
                ("occurred_on", day),
                ("note", "现场检查"),
                ("reason", reason),
            ],
        )
        .await
}

#[sqlx::test]
async fn a_months_score_is_computed_from_its_records_as_by_hand(pool: PgPool) {
    let app = spawn(pool).await;
    clock_at(&app, "2026-11-20");
    let mut ducha = login_as(&app, Role::Supervision).await;
    let saved = save_rules(&mut ducha, "2026-11", SHEET).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = ducha.get("/assessment/rules/staff").await;
    assert!(page.body.contains("迟到早退"), "the version is shown");

    let me = staff_of(&app, "staff002").await;
    // Found by employee number or name, from the form's search.
    let name: String = sqlx::query_scalar("select name from staff where staff_id = $1")
        .bind(me)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let found = ducha
        .get(&format!(
            "/assessment/records/new?q={}",
            encode(&[("", &name)]).trim_start_matches('=')
        ))
        .await;
    assert!(
        found.body.contains(&format!("target=s{me}")),
        "{}",
        found.body
    );
    let late = standard(&app, "迟到早退", "2026-11").await;
    let praise = standard(&app, "表扬信", "2026-11").await;
    let absent = standard(&app, "擅自离岗", "2026-11").await;

    // 迟到早退 −0.5 × 6 = −3, capped at 2: 98.00.
    let made = record(&mut ducha, me, &late, "6", "2026-11-03", "").await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(
        staff_score(&app, me, "2026-11").await.as_deref(),
        Some("98.00")
    );
    // 表扬信 +1: 服务态度 18 + 1 = 19: 99.00.
    record(&mut ducha, me, &praise, "1", "2026-11-10", "").await;
    assert_eq!(
        staff_score(&app, me, "2026-11").await.as_deref(),
        Some("99.00")
    );
    // 擅自离岗 −2 × 20 = −40: 工作纪律 floored at 0: 99 − 30 = 69.00.
    record(&mut ducha, me, &absent, "20", "2026-11-11", "").await;
    assert_eq!(
        staff_score(&app, me, "2026-11").await.as_deref(),
        Some("69.00")
    );

    // The breakdown names each standard with its count and cap.
    let page = ducha.get(&format!("/assessment/month/2026-11/S{me}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("迟到早退 -0.5 × 6 次 = -3，按每月上限计 -2"),
        "{}",
        page.body
    );
    assert!(page.body.contains("69.00"));

    // Cancelling the wrong record restores the score, with the reason in the log.
    let id: i64 = sqlx::query_scalar(
        "select assessment_record_id from assessment_record where occurrences = 20",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let cancelled = ducha
        .post(
            &format!("/assessment/records/{id}/cancel"),
            &[("reason", "记错了人")],
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    assert_eq!(
        staff_score(&app, me, "2026-11").await.as_deref(),
        Some("99.00")
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'assessment_record.cancel' and after::text like '%记错了人%'"
        )
        .await,
        1
    );
}

#[sqlx::test]
async fn those_concerned_see_their_records_and_nobody_elses(pool: PgPool) {
    let app = spawn(pool).await;
    clock_at(&app, "2026-11-20");
    let mut ducha = login_as(&app, Role::Supervision).await;
    save_rules(&mut ducha, "2026-11", SHEET).await;
    let me = staff_of(&app, "staff002").await;

    let late = standard(&app, "迟到早退", "2026-11").await;
    record(&mut ducha, me, &late, "1", "2026-11-03", "").await;
    let id: i64 = sqlx::query_scalar("select max(assessment_record_id) from assessment_record")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let mut staff = login_as(&app, Role::Staff).await;
    let mine = staff.get("/assessment/mine").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains("服务态度 · 迟到早退"), "{}", mine.body);
    let page = staff.get(&format!("/assessment/records/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("现场检查"));

    // Another staff member neither sees it nor learns it exists.
    let mut colleague = Browser::new(&app);
    colleague.login("staff017", PASSWORD).await;
    assert_eq!(
        colleague
            .get(&format!("/assessment/records/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        colleague
            .get(&format!("/assessment/month/2026-11/S{me}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !colleague
            .get("/assessment/mine")
            .await
            .body
            .contains("迟到早退")
    );

    // The head of the person's window sees it; the head of another window does not.
    let window: String = sqlx::query_scalar(
        "select w.number from staff s join service_window w using (window_id) where s.staff_id = $1",
    )
    .bind(me)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let head_name = format!("head{:0>2}", window);
    let mut head = Browser::new(&app);
    head.login(&head_name, PASSWORD).await;
    assert!(head.get("/assessment/mine").await.body.contains("迟到早退"));
    assert_eq!(
        head.get(&format!("/assessment/records/{id}")).await.status,
        StatusCode::OK
    );
    let stranger = if head_name == "head01" {
        "head02"
    } else {
        "head01"
    };
    let mut other_head = Browser::new(&app);
    other_head.login(stranger, PASSWORD).await;
    assert_eq!(
        other_head
            .get(&format!("/assessment/records/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test]
async fn bad_rules_and_bad_records_are_refused_with_a_message_and_change_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    clock_at(&app, "2026-11-20");
    let mut ducha = login_as(&app, Role::Supervision).await;
    let before = checksum(&app.pool).await;
    let page = save_rules(
        &mut ducha,
        "2026-11",
        "服务态度 20\n- 迟到早退 0.5\n工作纪律 70",
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("第 2 行"), "{}", page.body);
    assert!(page.body.contains("合计") || page.body.contains("应带符号"));
    assert!(page.body.contains("工作纪律 70"), "what was typed is kept");
    assert_eq!(checksum(&app.pool).await, before);
    assert_eq!(
        count(&app.pool, "select count(*) from assessment_rules").await,
        0
    );

    save_rules(&mut ducha, "2026-11", SHEET).await;
    let me = staff_of(&app, "staff002").await;
    let late = standard(&app, "迟到早退", "2026-11").await;
    let before = count(&app.pool, "select count(*) from assessment_record").await;
    for (times, day, field) in [
        ("0", "2026-11-03", "occurrences"),
        ("100", "2026-11-03", "occurrences"),
        ("1", "2026-11-31", "occurred_on"),
        ("1", "2026-12-25", "occurred_on"),
        // October has no rules: its scores are typed directly.
        ("1", "2026-10-15", "occurred_on"),
    ] {
        let page = record(&mut ducha, me, &late, times, day, "").await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{times} {day}"
        );
        assert!(page.field_error(field).is_some(), "{field}: {}", page.body);
    }
    let page = record(&mut ducha, me, "999999", "1", "2026-11-03", "").await;
    assert!(page.field_error("standard").is_some());
    assert_eq!(
        count(&app.pool, "select count(*) from assessment_record").await,
        before
    );
    assert_eq!(staff_score(&app, me, "2026-11").await, None);
}

#[sqlx::test]
async fn a_standard_changed_mid_year_leaves_earlier_months_alone(pool: PgPool) {
    let app = spawn(pool).await;
    clock_at(&app, "2026-11-20");
    let mut ducha = login_as(&app, Role::Supervision).await;
    save_rules(&mut ducha, "2026-11", SHEET).await;
    let me = staff_of(&app, "staff002").await;
    let late = standard(&app, "迟到早退", "2026-11").await;
    record(&mut ducha, me, &late, "5", "2026-11-03", "").await;
    assert_eq!(
        staff_score(&app, me, "2026-11").await.as_deref(),
        Some("98.00")
    );

    // A version from November again is refused: November has records.
    let page = save_rules(&mut ducha, "2026-11", &SHEET.replace("-0.5 上限2", "-1")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("effective_from").is_some());
    // From December: 迟到早退 −1 without a cap.
    let saved = save_rules(&mut ducha, "2026-12", &SHEET.replace("-0.5 上限2", "-1")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    clock_at(&app, "2026-12-10");
    let late_dec = standard(&app, "迟到早退", "2026-12").await;
    // November's standard is not offered for a December day.
    let page = record(&mut ducha, me, &late, "5", "2026-12-03", "").await;
    assert!(page.field_error("standard").is_some(), "{}", page.body);
    record(&mut ducha, me, &late_dec, "5", "2026-12-03", "").await;
    assert_eq!(
        staff_score(&app, me, "2026-12").await.as_deref(),
        Some("95.00")
    );
    assert_eq!(
        staff_score(&app, me, "2026-11").await.as_deref(),
        Some("98.00")
    );
    // A November record made in December still counts under November's rules (着装不规范
    // of November's version, −1: 97.00).
    let dress = standard(&app, "着装不规范", "2026-11").await;
    let made = record(&mut ducha, me, &dress, "1", "2026-11-28", "").await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(
        staff_score(&app, me, "2026-11").await.as_deref(),
        Some("97.00")
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from assessment_record where month = '2026-11'"
        )
        .await,
        2
    );
}

#[sqlx::test]
async fn filling_the_month_scores_everyone_assessed_by_records(pool: PgPool) {
    let app = spawn(pool).await;
    clock_at(&app, "2026-11-20");
    let mut ducha = login_as(&app, Role::Supervision).await;
    save_rules(&mut ducha, "2026-11", SHEET).await;
    // One person is marked 未参加考核 (on leave): the fill leaves them without a score.
    let away = staff_of(&app, "staff017").await;
    let marked = ducha
        .post(
            "/scores/2026-11/not-assessed",
            &[(&format!("r_s{away}"), "病假")],
        )
        .await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER, "{}", marked.body);
    let filled = ducha
        .post("/assessment/month/2026-11/fill", &[("reason", "")])
        .await;
    assert_eq!(filled.status, StatusCode::SEE_OTHER);
    assert_eq!(staff_score(&app, away, "2026-11").await, None);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from not_assessed where month = '2026-11'"
        )
        .await,
        1
    );
    // November has scores now: new rules can no longer take effect from it.
    let page = save_rules(&mut ducha, "2026-11", &SHEET.replace("-0.5 上限2", "-1")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("已有月度分数"), "{}", page.body);
    let staff = count(
        &app.pool,
        "select count(*) from staff where active and center_id = (select center_id from account where username = 'ducha')",
    )
    .await;
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from monthly_score where month = '2026-11' and staff_id is not null and score = 100"
        )
        .await,
        staff - 1
    );
    // Windows are still typed directly: none written.
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from monthly_score where month = '2026-11' and window_id is not null and center_id = (select center_id from account where username = 'ducha')"
        )
        .await,
        0
    );
}

#[sqlx::test]
async fn a_month_assessed_by_records_takes_no_typed_or_imported_scores(pool: PgPool) {
    let app = spawn(pool).await;
    clock_at(&app, "2026-11-20");
    let mut ducha = login_as(&app, Role::Supervision).await;
    save_rules(&mut ducha, "2026-11", SHEET).await;
    let me = staff_of(&app, "staff002").await;
    let late = standard(&app, "迟到早退", "2026-11").await;
    record(&mut ducha, me, &late, "1", "2026-11-03", "").await;
    let grid = ducha.get("/scores/2026-11?tab=staff&department=all").await;
    assert_eq!(grid.status, StatusCode::OK);
    assert!(grid.body.contains("按考核细则考核"), "{}", grid.body);
    assert!(
        grid.body.contains(&format!(
            "href=\"/assessment/month/2026-11/S{me}\">99.50</a>"
        )),
        "the computed score links to its breakdown"
    );
    assert!(!grid.body.contains("保存本页分数"));
    let before = checksum(&app.pool).await;
    let typed = ducha
        .post(
            "/scores/2026-11?tab=staff",
            &[(&format!("c{me}"), "100"), (&format!("o{me}"), "99.50/1")],
        )
        .await;
    assert_eq!(typed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(typed.body.contains("由考核记录计算，不能直接录入"));
    assert_eq!(checksum(&app.pool).await, before);
    let employee: String = sqlx::query_scalar("select employee_no from staff where staff_id = $1")
        .bind(me)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let sheet = format!("工号,姓名,窗口,分数\r\n{employee},,,100\r\n");
    let imported = ducha
        .upload(
            "/imports/scores/2026-11?tab=staff",
            "file",
            "考核.csv",
            sheet.as_bytes(),
        )
        .await;
    assert_eq!(imported.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        imported.body.contains("不能从表格导入"),
        "{}",
        imported.body
    );
    assert!(imported.confirm_action().is_none());
    assert_eq!(checksum(&app.pool).await, before);
    // The schemes page says how this month is assessed, kind by kind.
    let mut admin = login_as(&app, Role::Admin).await;
    let schemes = admin.get("/admin/schemes").await;
    assert!(
        schemes
            .body
            .contains("工作人员按考核细则逐条记录、自动计算")
            && schemes.body.contains("窗口直接录入月度总分"),
        "{}",
        schemes.body
    );
    // The windows of the same month are still typed.
    let grid = ducha
        .get("/scores/2026-11?tab=windows&department=all")
        .await;
    assert!(grid.body.contains("保存本页分数"));
}

/// A multipart record form as a phone sends it: the fields and one photo.
fn record_with_photo(token: &str, target: &str, standard: &str, photo: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----record";
    let mut body = Vec::new();
    for (name, value) in [
        ("_csrf", token),
        ("target", target),
        ("standard", standard),
        ("occurrences", "1"),
        ("occurred_on", "2026-11-18"),
        ("note", "窗口台面有私人物品"),
        ("reason", ""),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"IMG_0001.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[sqlx::test]
async fn a_record_keeps_its_photo_and_refuses_a_file_that_is_not_one(pool: PgPool) {
    let app = spawn(pool).await;
    clock_at(&app, "2026-11-20");
    let mut ducha = login_as(&app, Role::Supervision).await;
    save_rules(&mut ducha, "2026-11", SHEET).await;
    let me = staff_of(&app, "staff002").await;
    let standard = standard(&app, "着装不规范", "2026-11").await;
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        800,
        600,
        image::Rgb([20, 120, 200]),
    ))
    .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
    .unwrap();
    let before = checksum(&app.pool).await;
    let token = ducha.csrf().await;
    let (ct, body) = record_with_photo(&token, &format!("s{me}"), &standard, b"GIF89a not a photo");
    let refused = ducha.post_raw("/assessment/records/new", &ct, body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("photo").is_some(), "{}", refused.body);
    assert!(
        refused.body.contains("窗口台面有私人物品"),
        "what was typed is kept"
    );
    assert_eq!(checksum(&app.pool).await, before);

    let (ct, body) = record_with_photo(&token, &format!("s{me}"), &standard, &png);
    let made = ducha.post_raw("/assessment/records/new", &ct, body).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let id: i64 = sqlx::query_scalar("select max(assessment_record_id) from assessment_record")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // The person sees it, re-encoded as a JPEG of the whole picture.
    let mut staff = login_as(&app, Role::Staff).await;
    let (status, headers, bytes) = staff
        .get_bytes(&format!("/assessment/records/{id}/photos/1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    let back = image::load_from_memory(&bytes).unwrap();
    assert_eq!((back.width(), back.height()), (800, 600));
    assert_eq!(
        staff
            .get(&format!("/assessment/records/{id}/photos/2"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
