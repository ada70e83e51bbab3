//! The demo's county, 青山县: monthly and annual awards instead of the quarterly one, every
//! month of 2026 to October published, November open, the 2025 annual evaluation published;
//! each published period recounts to exactly its published results.

mod common;

use axum::http::StatusCode;
use common::*;
use sqlx::PgPool;

async fn county(app: &TestApp) {
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    pingxuan::demo_county::load(&app.pool).await.unwrap();
}

const COUNTY: &str = "(select center_id from center where code = 'shifan-qingshan')";

#[sqlx::test]
async fn the_county_runs_monthly_and_annual_awards_and_loads_once(pool: PgPool) {
    let app = spawn(pool).await;
    county(&app).await;
    let before = checksum(&app.pool).await;
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    assert_eq!(
        checksum(&app.pool).await,
        before,
        "loading again changes nothing"
    );

    let periods: Vec<(String, String)> = sqlx::query_as(&format!(
        "select code, phase from period where center_id = {COUNTY} order by code"
    ))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut expected = vec![("2025".to_string(), "published".to_string())];
    expected.extend((1..=10).map(|m| (format!("2026-{m:02}"), "published".to_string())));
    expected.push(("2026-11".into(), "entry".into()));
    assert_eq!(periods, expected);
    let sql = |s: &str| s.replace("COUNTY", COUNTY);
    assert_eq!(
        count(
            &app.pool,
            &sql("select count(*) from tie_decision where center_id = COUNTY")
        )
        .await,
        2,
        "two ties at the boundary decided by the group leader"
    );
    assert_eq!(
        count(
            &app.pool,
            &sql("select count(*) from veto where center_id = COUNTY")
        )
        .await,
        1
    );
    assert_eq!(
        count(&app.pool, &sql("select count(*) from scheme where center_id = COUNTY and active and period_kind = 'quarter'")).await,
        0,
        "the county does not run the quarterly award"
    );
    // Each month's honors carry the monthly titles; the year's, the annual ones.
    assert_eq!(
        count(&app.pool, &sql("select count(*) from honor h join period p using (period_id) where h.center_id = COUNTY and p.code = '2026-07'")).await,
        4
    );
    assert_eq!(
        count(&app.pool, &sql("select count(*) from period where center_id = COUNTY and code like '2026-%' and window_title = '文明服务窗口'")).await,
        11
    );

    // Its accounts work: the office sees November's missing staff scores.
    let mut ducha = Browser::new(&app);
    ducha.login("qs-ducha", PASSWORD).await;
    let home = ducha.get("/supervision").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.texts(".todo-list li")
            .iter()
            .any(|t| t.starts_with("2026年11月：") && t.contains("名工作人员还没有考核分数")),
        "{:?}",
        home.texts(".todo-list li")
    );
    let mut staff = Browser::new(&app);
    staff.login("qs-staff002", PASSWORD).await;
    assert_eq!(staff.get("/me").await.status, StatusCode::OK);
}

#[sqlx::test]
async fn every_published_county_period_recounts_to_exactly_its_results(pool: PgPool) {
    let app = spawn(pool).await;
    county(&app).await;
    let url = database_url(&app).await;
    let codes: Vec<String> = sqlx::query_scalar(&format!(
        "select code from period where center_id = {COUNTY} and phase = 'published' order by code"
    ))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(codes.len(), 11);
    for code in codes {
        let center = Some("shifan-qingshan");
        let recount = cli_export(&url, "recount", &code, center);
        let results = cli_export(&url, "results", &code, center);
        assert_eq!(cli_compute(&recount), results, "{code} byte for byte");
    }
}

#[sqlx::test]
async fn a_published_month_prints_its_notice_and_each_departments_feedback(pool: PgPool) {
    let app = spawn(pool).await;
    county(&app).await;
    let mut ducha = Browser::new(&app);
    ducha.login("qs-ducha", PASSWORD).await;
    let page = ducha.get("/results/2026-07/notice").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text("#announcement h1")
            .contains("关于表彰2026年7月“文明服务窗口”和“文明服务标兵”的通报"),
        "{}",
        page.text("#announcement h1")
    );
    let honors: Vec<(String, String)> = sqlx::query_as(&format!(
        "select h.name, h.department from honor h join period p using (period_id)
         where p.center_id = {COUNTY} and p.code = '2026-07' and h.revoked_at is null"
    ))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(honors.len(), 4);
    let announcement = page.text("#announcement");
    let feedback = page.texts("article.notice-doc");
    let departments = count(
        &app.pool,
        &format!(
            "select count(distinct department_id) from service_window where center_id = {COUNTY}"
        ),
    )
    .await as usize;
    assert_eq!(feedback.len(), 1 + departments, "one page per department");
    // Each department's page lists its windows' and staff's results.
    assert!(
        feedback[1..]
            .iter()
            .all(|f| f.contains("参评结果") && f.contains("第"))
    );
    for (name, department) in &honors {
        assert!(announcement.contains(name.as_str()), "{name}");
        assert!(
            feedback[1..]
                .iter()
                .any(|f| f.contains(department.as_str()) && f.contains(name.as_str())),
            "{name} in the feedback to {department}"
        );
    }
    // Nothing to announce before publication.
    assert_eq!(
        ducha.get("/results/2026-11/notice").await.status,
        StatusCode::NOT_FOUND
    );
}
