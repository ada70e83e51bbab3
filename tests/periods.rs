//! Opening a period and moving it through its phases, each move confirmed and audited.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

async fn phase(app: &TestApp, code: &str) -> String {
    sqlx::query_scalar("select phase from period where code = $1")
        .bind(code)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn the_supervision_office_opens_a_quarter_with_a_copy_of_its_scheme(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let page = ducha.post("/periods", &[("code", "2026-Q4")]).await;
    assert_eq!(page.location(), Some("/periods/2026-Q4?notice=created"));
    let months: Vec<String> =
        sqlx::query_scalar("select months from period where code = '2026-Q4'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(months, vec!["2026-10", "2026-11", "2026-12"]);
    // Later edits of the scheme do not change the period.
    sqlx::query("update scheme set rules = jsonb_set(rules, '{min_duty_days}', '30') where period_kind = 'quarter'")
        .execute(&app.pool)
        .await
        .unwrap();
    let show = ducha.get("/periods/2026-Q4").await;
    assert_eq!(show.text("h1"), "2026年第四季度 2026-Q4");
    assert!(
        show.texts(".facts dd")
            .contains(&"工作人员在岗不少于 60 天".to_string())
    );
    assert_eq!(show.text(".phasebar li.current"), "考核录入");
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.create'"
        )
        .await,
        1
    );
    // The same period twice, or a malformed code, is refused beside the field.
    let dup = ducha.post("/periods", &[("code", "2026-Q4")]).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.text(".form-error"), "该评选周期已存在");
    for bad in ["2026-Q5", "2026年", "", "2026-1"] {
        let page = ducha.post("/periods", &[("code", bad)]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            page.text(".form-error").starts_with("周期编号应如"),
            "{bad}"
        );
    }
    assert_eq!(count(&app.pool, "select count(*) from period").await, 1);
}

#[sqlx::test]
async fn a_phase_moves_after_a_confirmation_page_that_says_what_is_missing(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let confirm = ducha.get("/periods/2026-Q4/phase?to=candidates").await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert_eq!(confirm.text("h1"), "考核录入 → 候选确定");
    let missing = confirm.texts(".notice li");
    assert!(
        missing.contains(&"29 个窗口没有 2026年10月 的考核分数".to_string()),
        "{missing:?}"
    );
    assert!(
        missing.contains(&"146 名工作人员没有登记在岗天数".to_string()),
        "{missing:?}"
    );
    let moved = ducha
        .post("/periods/2026-Q4/phase", &[("to", "candidates")])
        .await;
    assert_eq!(moved.location(), Some("/periods/2026-Q4?notice=phase"));
    assert_eq!(phase(&app, "2026-Q4").await, "candidates");
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'period.phase'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (before["phase"].as_str(), after["phase"].as_str()),
        (Some("entry"), Some("candidates"))
    );

    // A second click changes nothing.
    let again = ducha
        .post("/periods/2026-Q4/phase", &[("to", "candidates")])
        .await;
    assert_eq!(
        again.location(),
        Some("/periods/2026-Q4?notice=phase_unchanged")
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.phase'"
        )
        .await,
        1
    );

    // One step back is possible before voting opens.
    ducha
        .post("/periods/2026-Q4/phase", &[("to", "entry")])
        .await;
    assert_eq!(phase(&app, "2026-Q4").await, "entry");
}

#[sqlx::test]
async fn a_phase_cannot_skip_ahead_or_be_forged(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    for to in ["voting", "published", "review", "nonsense"] {
        let page = ducha.post("/periods/2026-Q4/phase", &[("to", to)]).await;
        assert_ne!(page.status, StatusCode::INTERNAL_SERVER_ERROR, "{to}");
        assert_eq!(phase(&app, "2026-Q4").await, "entry", "{to}");
    }
    assert_eq!(
        ducha.get("/periods/2099-Q1").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.phase'"
        )
        .await,
        0
    );
}

#[sqlx::test]
async fn duty_days_are_entered_per_period_and_locked_with_the_scores(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let url = "/periods/2026-Q4/duty-days";
    let page = ducha.get(url).await;
    assert_eq!(page.status, StatusCode::OK);
    let mut fields = page.form_fields("form.score-grid");
    let cells: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k.starts_with('c'))
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(cells.len(), 146);
    set_field(&mut fields, &cells[0], "62");
    set_field(&mut fields, &cells[1], "58");
    set_field(&mut fields, &cells[2], "六十");
    let bad = ducha.post_fields(url, &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.texts("tr.has-error").len(), 1);
    assert_eq!(bad.input_value(&cells[2]).as_deref(), Some("六十"));
    assert_eq!(count(&app.pool, "select count(*) from duty_days").await, 0);

    set_field(&mut fields, &cells[2], "");
    assert_eq!(
        ducha.post_fields(url, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(count(&app.pool, "select count(*) from duty_days").await, 2);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'duty_days.create'"
        )
        .await,
        2
    );

    // Once candidates are confirmed, nothing changes.
    sqlx::query("update period set phase = 'voting'")
        .execute(&app.pool)
        .await
        .unwrap();
    let mut fields = ducha.get(url).await.form_fields("form.score-grid");
    set_field(&mut fields, &cells[0], "70");
    let refused = ducha.post_fields(url, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text(".error-summary").contains("已锁定"));
    assert_eq!(
        count(&app.pool, "select count(*) from duty_days where days = 70").await,
        0
    );
}
