//! The demo city's assessment: every monthly score of its quarters comes from records under
//! its rules, with the 好差评 of three months and two appeals, one upheld and one that
//! cancelled its record; the demo staff member sees them.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::db;
use pingxuan::domain::Role;
use pingxuan::domain::ids::{CenterId, Entrant};
use sqlx::PgPool;

#[sqlx::test]
async fn every_demo_score_is_explained_by_its_records(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let center: i64 = sqlx::query_scalar("select center_id from account where username = 'ducha'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let scores: Vec<(String, Option<i64>, Option<i64>, i64)> = sqlx::query_as(
        "select month, window_id, staff_id, (score * 100)::int8 from monthly_score where center_id = $1",
    )
    .bind(center)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(scores.len() > 600, "six months of windows and staff");
    let mut conn = app.pool.acquire().await.unwrap();
    let mut with_records = 0;
    for (month, w, s, score) in &scores {
        let entrant = Entrant::from_columns(*w, *s).unwrap();
        let (_, b) = db::assessment::breakdown(&mut conn, CenterId(center), entrant, month)
            .await
            .unwrap()
            .expect("assessed by records");
        assert_eq!(b.total, *score, "{month} {entrant:?}");
        if b.items.iter().any(|i| !i.standards.is_empty()) {
            with_records += 1;
        }
    }
    assert!(with_records > scores.len() / 2);
    assert_eq!(
        count(
            &app.pool,
            "select count(distinct month) from satisfaction_figure"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from assessment_appeal where status = 'upheld'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from assessment_appeal a join assessment_record r using (assessment_record_id)
             where a.status = 'cancelled' and r.status = 'cancelled'"
        )
        .await,
        1
    );
    // The person sees the records and the review of both appeals.
    let mut me = login_as(&app, Role::Staff).await;
    let page = me.get("/assessment/mine").await;
    assert_eq!(page.status, StatusCode::OK);
    let records: Vec<i64> = sqlx::query_scalar(
        "select assessment_record_id from assessment_appeal order by assessment_appeal_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let upheld = me.get(&format!("/assessment/records/{}", records[0])).await;
    assert!(upheld.body.contains("维持原记录"), "{}", upheld.body);
    let cancelled = me.get(&format!("/assessment/records/{}", records[1])).await;
    assert!(cancelled.body.contains("撤销记录"));
    assert!(cancelled.body.contains("已撤销"));
}
