//! The leadership group rates every candidate; drafts change until the phase closes; the
//! group leader sees who has finished; the democratic results show once voting is closed.

mod common;

const PERIOD: &str = "2026-Q4";

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

async fn rating_quarter(app: &TestApp) -> Vec<String> {
    voting_quarter(app).await;
    let mut ducha = login_as(app, Role::Supervision).await;
    // head01 recommends the first window candidate that is not their own.
    let snapshot: serde_json::Value = sqlx::query_scalar("select candidates from period")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let windows: Vec<String> = snapshot["window"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let staff: Vec<String> = snapshot["staff"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let own: i64 = sqlx::query_scalar("select window_id from account where username = 'head01'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let pick = windows
        .iter()
        .find(|w| **w != format!("W{own}"))
        .unwrap()
        .clone();
    let mut head = login_as(app, Role::WindowHead).await;
    let token = head.csrf().await;
    head.post_fields(
        "/ballot",
        &[
            ("_csrf".into(), token),
            ("kind".into(), "window".into()),
            ("period".into(), PERIOD.into()),
            ("c".into(), pick.clone()),
        ],
    )
    .await;
    ducha
        .post("/periods/2026-Q4/phase", &[("to", "rating")])
        .await;
    let mut all: Vec<String> = windows.iter().filter(|w| **w != pick).cloned().collect();
    all.insert(0, pick);
    all.extend(staff);
    all
}

#[sqlx::test]
async fn members_rate_every_candidate_as_drafts_and_the_leader_sees_progress(pool: PgPool) {
    let app = spawn(pool).await;
    let candidates = rating_quarter(&app).await;
    let mut member = login_as(&app, Role::Leadership).await; // yewuke
    let page = member.get("/ratings").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text("p.lead")
            .contains(&format!("已评 0 / {}", candidates.len()))
    );
    // The democratic result is shown: the recommended window got the only ballot of the
    // heads not recused from it.
    let row = page.texts("tbody tr").into_iter().next().unwrap();
    assert!(row.contains("100.00"), "{row}");

    let mut fields = page.form_fields("form.score-grid");
    set_field(&mut fields, &format!("r{}", candidates[0]), "92.5");
    set_field(&mut fields, &format!("r{}", candidates[1]), "101");
    let bad = member.post_fields("/ratings", &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.input_value(&format!("r{}", candidates[1])).as_deref(),
        Some("101")
    );
    assert_eq!(count(&app.pool, "select count(*) from rating").await, 0);

    set_field(&mut fields, &format!("r{}", candidates[1]), "88");
    assert_eq!(
        member.post_fields("/ratings", &fields).await.location(),
        Some("/ratings?notice=saved")
    );
    assert_eq!(count(&app.pool, "select count(*) from rating").await, 2);
    // A draft changes until the phase closes; each change is audited.
    let mut fields = member.get("/ratings").await.form_fields("form.score-grid");
    set_field(&mut fields, &format!("r{}", candidates[0]), "93");
    member.post_fields("/ratings", &fields).await;
    assert_eq!(
        count(&app.pool, "select count(*) from rating where score = 93").await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'rating.update'"
        )
        .await,
        3
    );

    let mut leader = Browser::new(&app);
    leader.login("zuzhang", PASSWORD).await;
    let progress = leader.get("/ratings").await.texts("ul.progress li");
    assert!(
        progress
            .iter()
            .any(|p| p.starts_with("业务科科长 许慧：已评 2 /")),
        "{progress:?}"
    );
    assert_eq!(progress.len(), 6);
    assert!(
        member
            .get("/ratings")
            .await
            .texts("ul.progress li")
            .is_empty(),
        "members do not see the others' progress"
    );

    // Once the phase has moved on, nothing is saved.
    sqlx::query("update period set phase = 'review'")
        .execute(&app.pool)
        .await
        .unwrap();
    let late = member.post_fields("/ratings", &fields).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'rating.update'"
        )
        .await,
        3
    );
}

#[sqlx::test]
async fn ratings_of_non_candidates_are_ignored_and_malformed_ones_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let candidates = rating_quarter(&app).await;
    let mut member = login_as(&app, Role::Leadership).await;
    let token = member.csrf().await;
    let forged = member
        .post_fields(
            "/ratings",
            &[
                ("_csrf".into(), token.clone()),
                ("rW999999".into(), "90".into()),
                (format!("r{}", candidates[0]), "90".into()),
                (format!("r{}", candidates[0]), "91".into()),
            ],
        )
        .await;
    assert_eq!(
        forged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a repeated field is refused"
    );
    assert_eq!(count(&app.pool, "select count(*) from rating").await, 0);
    let ok = member
        .post_fields(
            "/ratings",
            &[("_csrf".into(), token), ("rW999999".into(), "90".into())],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(
        count(&app.pool, "select count(*) from rating").await,
        0,
        "a non-candidate is never rated"
    );
}
