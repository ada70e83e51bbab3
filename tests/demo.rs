//! The demo center: believable, complete, and loaded once however often it is asked for.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::demo;
use sqlx::PgPool;

#[sqlx::test]
async fn loading_the_demo_twice_duplicates_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let before = checksum(&app.pool).await;
    let audit = count(&app.pool, "select count(*) from audit_log").await;
    let again = demo::load(&app.pool).await.unwrap();
    assert_eq!(checksum(&app.pool).await, before);
    assert_eq!(
        count(&app.pool, "select count(*) from audit_log").await,
        audit
    );
    assert_eq!(again.len(), 44);
}

#[sqlx::test]
async fn the_demo_looks_like_a_real_center(pool: PgPool) {
    let app = spawn(pool).await;
    let windows = count(&app.pool, "select count(*) from service_window").await;
    let staff = count(&app.pool, "select count(*) from staff").await;
    let departments = count(&app.pool, "select count(*) from department").await;
    assert!((25..=35).contains(&windows), "{windows} windows");
    assert!((130..=170).contains(&staff), "{staff} staff");
    assert!(departments >= 10);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from center where parent_center_id is not null"
        )
        .await,
        3,
        "county centers"
    );
    // One head per window, 5-7 leaders with exactly one group leader.
    assert_eq!(
        count(
            &app.pool,
            "select count(distinct window_id) from account where role = 'window_head'"
        )
        .await,
        windows
    );
    let leaders = count(
        &app.pool,
        "select count(*) from account where role = 'leadership'",
    )
    .await;
    assert!((5..=7).contains(&leaders));
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from account where is_group_leader"
        )
        .await,
        1
    );
    // Every window has a window head among its staff.
    assert_eq!(
        count(&app.pool, "select count(*) from service_window w where not exists (select 1 from staff s where s.window_id = w.window_id and s.position = '窗口负责人')").await,
        0
    );
}

#[sqlx::test]
async fn every_demo_account_signs_in_and_reaches_its_home_page(pool: PgPool) {
    let app = spawn(pool).await;
    let accounts = demo::load(&app.pool).await.unwrap();
    for a in &accounts {
        let mut b = Browser::new(&app);
        let signed_in = b.login(&a.username, PASSWORD).await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", a.username);
        let home = b.get("/").await;
        let target = home.location().unwrap().to_string();
        assert_ne!(
            target, "/account/password",
            "{}: demo accounts are ready to use",
            a.username
        );
        let page = b.get(&target).await;
        assert_eq!(page.status, StatusCode::OK, "{} at {target}", a.username);
        assert!(page.text("h1").ends_with("您好"), "{}", a.username);
    }
}
