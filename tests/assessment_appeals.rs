//! Appeals (申诉) through the pages: the person concerned and the window head appeal within
//! the working days allowed, late appeals are refused, the office reviews (复核), the score
//! follows, and a month with an appeal open cannot lock.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

const SHEET: &str =
    "服务态度 60\n- 迟到早退 -0.5 上限2\n- 着装不规范 -1\n工作纪律 40\n- 擅自离岗 -2\n";

async fn one(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

async fn score(app: &TestApp, staff: i64) -> Option<String> {
    sqlx::query_scalar(
        "select score::text from monthly_score where staff_id = $1 and month = '2026-11'",
    )
    .bind(staff)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}

/// A record through the form; its id.
async fn record(
    app: &TestApp,
    ducha: &mut Browser,
    staff: i64,
    standard: &str,
    day: &str,
    reason: &str,
) -> i64 {
    let id = one(
        app,
        &format!(
            "select s.assessment_standard_id from assessment_standard s where s.name = '{standard}'"
        ),
    )
    .await;
    let page = ducha
        .post(
            "/assessment/records/new",
            &[
                ("target", &format!("s{staff}")),
                ("standard", &id.to_string()),
                ("occurrences", "1"),
                ("occurred_on", day),
                ("note", "巡查发现"),
                ("reason", reason),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    one(
        app,
        "select max(assessment_record_id) from assessment_record",
    )
    .await
}

/// An appeal with a reason and, when given, a file, as the browser sends it.
async fn appeal(b: &mut Browser, record: i64, reason: &str, file: Option<&[u8]>) -> Page {
    let token = b.csrf().await;
    let boundary = "----appeal";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"appeal_reason\"\r\n\r\n{reason}\r\n"
    )
    .into_bytes();
    if let Some(data) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"appeal_file\"; filename=\"请假条.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b.post_raw(
        &format!("/assessment/records/{record}/appeal"),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await
}

async fn decide(ducha: &mut Browser, appeal: i64, decision: &str, times: &str, why: &str) -> Page {
    ducha
        .post(
            &format!("/assessment/appeals/{appeal}/decide"),
            &[
                ("decision", decision),
                ("occurrences", times),
                ("decision_reason", why),
            ],
        )
        .await
}

#[sqlx::test]
async fn an_appeal_goes_from_filing_to_decision_and_the_month_locks_only_after(pool: PgPool) {
    let app = spawn(pool).await;
    // Tuesday 3 November 2026.
    clock_at(&app, "2026-11-03");
    let mut ducha = login_as(&app, Role::Supervision).await;
    let saved = ducha
        .post(
            "/assessment/rules/staff",
            &[
                ("effective_from", "2026-11"),
                ("mode", "records"),
                ("appeal_days", "3"),
                ("sheet", SHEET),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let me = one(
        &app,
        "select staff_id from account where username = 'staff002'",
    )
    .await;
    let late = record(&app, &mut ducha, me, "迟到早退", "2026-11-03", "").await;
    let dress = record(&app, &mut ducha, me, "着装不规范", "2026-11-03", "").await;
    assert_eq!(score(&app, me).await.as_deref(), Some("98.50"));

    // The person sees until when they may appeal, and appeals with a file.
    let mut staff = login_as(&app, Role::Staff).await;
    let page = staff.get(&format!("/assessment/records/{late}")).await;
    assert!(page.body.contains("可在2026年11月6日前"), "{}", page.body);
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let filed = appeal(&mut staff, late, "当天系经批准的请假，附请假条", Some(pdf)).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let page = staff.get(&format!("/assessment/records/{late}")).await;
    assert!(page.body.contains("待复核"));
    assert!(page.body.contains("当天系经批准的请假"));
    // A second appeal of the same record is refused.
    let again = appeal(&mut staff, late, "再次申诉", None).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let first = one(
        &app,
        "select max(assessment_appeal_id) from assessment_appeal",
    )
    .await;
    let (status, _, file) = ducha
        .get_bytes(&format!("/assessment/appeals/{first}/file"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file, pdf);

    // The window head appeals the other record on the last day, Friday the 6th; on Monday
    // the 9th the time is up.
    let window: String = sqlx::query_scalar(
        "select w.number from staff s join service_window w using (window_id) where s.staff_id = $1",
    )
    .bind(me)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let mut head = Browser::new(&app);
    head.login(&format!("head{window:0>2}"), PASSWORD).await;
    clock_at(&app, "2026-11-09");
    let late_appeal = appeal(&mut head, dress, "着装符合规定", None).await;
    assert_eq!(late_appeal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        late_appeal.body.contains("申诉期限已过"),
        "{}",
        late_appeal.body
    );
    clock_at(&app, "2026-11-06");
    let on_time = appeal(&mut head, dress, "着装符合规定", None).await;
    assert_eq!(on_time.status, StatusCode::SEE_OTHER, "{}", on_time.body);
    let second = one(
        &app,
        "select max(assessment_appeal_id) from assessment_appeal",
    )
    .await;
    // The office's to-do list says so.
    let home = ducha.get("/supervision").await;
    assert!(home.body.contains("有 2 项考核申诉待复核"), "{}", home.body);

    // A quarter using November cannot confirm its candidates while the appeals are open.
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    for sql in [
        "insert into monthly_score (center_id, month, window_id, score) select center_id, m, window_id, 80 + window_id % 17 from service_window, unnest(array['2026-10','2026-11','2026-12']) m",
        "insert into monthly_score (center_id, month, staff_id, score) select center_id, m, staff_id, 80 + staff_id % 19 from staff, unnest(array['2026-10','2026-11','2026-12']) m on conflict (center_id, month, staff_id) where staff_id is not null do nothing",
        "insert into duty_days (center_id, period_id, staff_id, days) select s.center_id, p.period_id, s.staff_id, 62 from staff s, period p where p.code = '2026-Q4' and p.center_id = s.center_id",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    // staff002 far below the candidates in the other months, so that its November
    // score can be corrected later without changing them.
    sqlx::query("update monthly_score set score = 60 where staff_id = $1 and month <> '2026-11'")
        .bind(me)
        .execute(&app.pool)
        .await
        .unwrap();
    ducha
        .post("/periods/2026-Q4/phase", &[("to", "candidates")])
        .await;
    let refused = ducha
        .post("/periods/2026-Q4/phase", &[("to", "voting")])
        .await;
    assert_eq!(
        refused.location(),
        Some("/periods/2026-Q4?notice=open_appeals")
    );
    assert_eq!(phase(&app, "2026-Q4").await, "candidates");

    // The office reviews: the first cancelled (the score follows), the second upheld.
    let bad = decide(&mut ducha, first, "changed", "", "次数不对").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("请填写新的次数"));
    assert!(
        bad.body.contains("value=\"次数不对\""),
        "what was typed is kept"
    );
    let done = decide(
        &mut ducha,
        first,
        "cancelled",
        "",
        "经核实系批准的请假，撤销该记录",
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(score(&app, me).await.as_deref(), Some("99.00"));
    decide(&mut ducha, second, "upheld", "", "现场照片显示未佩戴工牌").await;
    let page = staff.get(&format!("/assessment/records/{late}")).await;
    assert!(
        page.body.contains("经核实系批准的请假"),
        "the appellant sees the decision"
    );
    assert!(page.body.contains("已撤销"));
    // Reviewed twice: refused.
    let twice = decide(&mut ducha, first, "upheld", "", "再次复核").await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        twice.body.contains("这项申诉已经复核过了"),
        "{}",
        twice.body
    );

    // Now the month locks.
    let moved = ducha
        .post("/periods/2026-Q4/phase", &[("to", "voting")])
        .await;
    assert_eq!(moved.location(), Some("/periods/2026-Q4?notice=phase"));

    // An appeal decided after the lock corrects the score and the quarter's round.
    clock_at(&app, "2026-11-20");
    let need = ducha
        .post(
            "/assessment/records/new",
            &[
                ("target", &format!("s{me}")),
                (
                    "standard",
                    &one(&app, "select assessment_standard_id from assessment_standard where name = '擅自离岗'")
                        .await
                        .to_string(),
                ),
                ("occurrences", "1"),
                ("occurred_on", "2026-11-20"),
                ("note", ""),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(need.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        need.field_error("reason").is_some(),
        "a locked month needs a reason"
    );
    let absent = record(
        &app,
        &mut ducha,
        me,
        "擅自离岗",
        "2026-11-20",
        "11月20日巡查补记",
    )
    .await;
    assert_eq!(score(&app, me).await.as_deref(), Some("97.00"));
    appeal(&mut staff, absent, "当时在后台调取档案", None).await;
    let third = one(
        &app,
        "select max(assessment_appeal_id) from assessment_appeal",
    )
    .await;
    let done = decide(&mut ducha, third, "cancelled", "", "经调取监控属实，撤销").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(score(&app, me).await.as_deref(), Some("99.00"));
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from score_correction where month = '2026-11' and '2026-Q4' = any(periods)"
        )
        .await,
        2
    );
    let frozen: String = sqlx::query_scalar(
        "select s -> 'scores' ->> '2026-11' from period, jsonb_array_elements(frozen_input -> 'staff') s
         where code = '2026-Q4' and s ->> 'id' = 'S' || $1",
    )
    .bind(me.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        frozen.parse::<f64>().unwrap(),
        99.0,
        "the quarter uses the reviewed score"
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action in ('assessment_appeal.create', 'assessment_appeal.decide')"
        )
        .await,
        6
    );
}

#[sqlx::test]
async fn only_those_concerned_may_appeal(pool: PgPool) {
    let app = spawn(pool).await;
    clock_at(&app, "2026-11-03");
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha
        .post(
            "/assessment/rules/staff",
            &[
                ("effective_from", "2026-11"),
                ("mode", "records"),
                ("appeal_days", "3"),
                ("sheet", SHEET),
            ],
        )
        .await;
    let me = one(
        &app,
        "select staff_id from account where username = 'staff002'",
    )
    .await;
    let late = record(&app, &mut ducha, me, "迟到早退", "2026-11-03", "").await;
    let mut colleague = Browser::new(&app);
    colleague.login("staff017", PASSWORD).await;
    let before = checksum(&app.pool).await;
    let page = appeal(&mut colleague, late, "替同事申诉", None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(checksum(&app.pool).await, before);
    // A file that is not a PDF or picture is refused, and nothing is kept.
    let mut staff = login_as(&app, Role::Staff).await;
    let page = appeal(&mut staff, late, "附件", Some(b"MZ\x90\x00 not a pdf")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("只能附 PDF、JPEG 或 PNG 文件"));
    assert_eq!(checksum(&app.pool).await, before);
}

#[sqlx::test]
async fn another_centers_office_reaches_none_of_the_citys_records(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    let record = one(
        &app,
        "select min(assessment_record_id) from assessment_record",
    )
    .await;
    let appeal = one(
        &app,
        "select min(assessment_appeal_id) from assessment_appeal",
    )
    .await;
    let staff = one(
        &app,
        "select staff_id from account where username = 'staff002'",
    )
    .await;
    // The city's office uploads a 好差评 sheet: a batch waiting for its confirmation.
    clock_at(&app, "2026-11-20");
    let mut ducha = login_as(&app, Role::Supervision).await;
    let csv = "窗口号,非常满意,满意,基本满意,不满意,非常不满意\r\n1,100,0,0,0,0\r\n";
    let page = ducha
        .upload(
            "/assessment/ratings/2026-11?tab=windows",
            "file",
            "好差评.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let batch = one(&app, "select max(import_batch_id) from import_batch").await;

    let mut county = Browser::new(&app);
    county.login("qs-ducha", PASSWORD).await;
    let before = checksum(&app.pool).await;
    for url in [
        format!("/assessment/records/{record}"),
        format!("/assessment/records/{record}/photos/1"),
        format!("/assessment/appeals/{appeal}/file"),
        format!("/assessment/month/2026-09/S{staff}"),
    ] {
        assert_eq!(
            county.get(&url).await.status,
            StatusCode::NOT_FOUND,
            "{url}"
        );
    }
    for (url, fields) in [
        (
            format!("/assessment/records/{record}/cancel"),
            vec![("reason", "越权撤销")],
        ),
        (
            format!("/assessment/appeals/{appeal}/decide"),
            vec![("decision", "cancelled"), ("decision_reason", "越权复核")],
        ),
        (
            format!("/assessment/ratings/batches/{batch}"),
            vec![("reason", "")],
        ),
    ] {
        assert_eq!(
            county.post(&url, &fields).await.status,
            StatusCode::NOT_FOUND,
            "{url}"
        );
    }
    // The county's own list shows none of the city's.
    let list = county.get("/assessment/appeals").await;
    assert!(list.body.contains("没有申诉"), "{}", list.body);
    assert_eq!(checksum(&app.pool).await, before);
}
