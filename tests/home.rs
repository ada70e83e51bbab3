//! Each role's home page is its to-do list: what waits for this person now, with the link
//! that does it.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

/// The to-do lines of a home page, as read.
async fn todos(b: &mut Browser, home: &str) -> Vec<String> {
    let page = b.get(home).await;
    assert_eq!(page.status, StatusCode::OK, "{home}");
    page.texts(".todo-list li")
}

#[sqlx::test]
async fn the_supervision_office_sees_months_with_scores_missing_and_the_round_under_way(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    // A center that runs the quarterly award only (last month's award has its own test).
    sqlx::query("update scheme set active = false where period_kind <> 'quarter'")
        .execute(&app.pool)
        .await
        .unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    assert!(
        ducha
            .get("/supervision")
            .await
            .text(".todo")
            .contains("目前没有需要您处理的事项")
    );
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let list = todos(&mut ducha, "/supervision").await;
    let windows = count(
        &app.pool,
        "select count(*) from service_window where active",
    )
    .await;
    assert!(
        list.iter()
            .any(|l| l.contains(&format!("2026年10月：{windows} 个窗口"))),
        "{list:?}"
    );
    assert!(list.iter().any(|l| l.contains("考核录入阶段")), "{list:?}");
    let page = ducha.get("/supervision").await;
    assert!(page.body.contains("href=\"/scores/2026-10\""));

    // During the vote it shows the turnout instead.
    voting_quarter_again(&app).await;
    let list = todos(&mut ducha, "/supervision").await;
    let heads = count(
        &app.pool,
        "select count(*) from round_member m join period p using (period_id) where p.code = '2026-Q4' and m.duty = 'voter'",
    )
    .await;
    assert!(heads > 2, "{heads}");
    assert!(
        list.iter()
            .any(|l| l.contains(&format!("民主推荐进行中：0 / {heads} 名"))),
        "{list:?}"
    );
    // A head who cast both ballots counts; one who cast only the window ballot does not.
    for (voter, kinds) in [(0, &["window", "staff"][..]), (1, &["window"][..])] {
        for kind in kinds {
            sqlx::query(
                "insert into ballot_receipt (center_id, period_id, kind, account_id, window_id)
                 select m.center_id, m.period_id, $1, m.account_id, m.window_id
                 from round_member m join period p using (period_id)
                 where p.code = '2026-Q4' and m.duty = 'voter'
                 order by m.account_id offset $2 limit 1",
            )
            .bind(kind)
            .bind(voter)
            .execute(&app.pool)
            .await
            .unwrap();
        }
    }
    let list = todos(&mut ducha, "/supervision").await;
    assert!(
        list.iter()
            .any(|l| l.contains(&format!("民主推荐进行中：1 / {heads} 名"))),
        "{list:?}"
    );
}

/// Scores and duty days for 2026-Q4 (opened already), then voting, through the pages.
async fn voting_quarter_again(app: &TestApp) {
    let mut ducha = login_as(app, Role::Supervision).await;
    for sql in [
        "insert into monthly_score (center_id, month, window_id, score) select center_id, m, window_id, 85 from service_window, unnest(array['2026-10','2026-11','2026-12']) m",
        "insert into monthly_score (center_id, month, staff_id, score) select center_id, m, staff_id, 85 from staff, unnest(array['2026-10','2026-11','2026-12']) m",
        "insert into duty_days (center_id, period_id, staff_id, days) select s.center_id, p.period_id, s.staff_id, 62 from staff s, period p",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    ducha
        .post("/periods/2026-Q4/phase", &[("to", "candidates")])
        .await;
    ducha
        .post("/periods/2026-Q4/phase", &[("to", "voting")])
        .await;
    assert_eq!(phase(app, "2026-Q4").await, "voting");
}

#[sqlx::test]
async fn a_head_sees_each_open_ballot_with_its_state(pool: PgPool) {
    let app = spawn(pool).await;
    let mut head = login_as(&app, Role::WindowHead).await;
    assert!(todos(&mut head, "/head").await.is_empty());
    voting_quarter(&app).await;
    let list = todos(&mut head, "/head").await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert!(list.iter().all(|l| l.contains("尚未提交")), "{list:?}");
    // Casting the window ballot (no recommendation at all is a valid ballot).
    let token = head.csrf().await;
    let cast = head
        .post_fields(
            "/ballot",
            &[
                ("_csrf".into(), token),
                ("kind".into(), "window".into()),
                ("period".into(), "2026-Q4".into()),
            ],
        )
        .await;
    assert_eq!(cast.status, StatusCode::SEE_OTHER, "{}", cast.body);
    let list = todos(&mut head, "/head").await;
    assert!(list[0].contains("窗口推荐票：您已于"), "{list:?}");
    assert!(list[1].contains("优秀服务标兵推荐票：尚未提交"), "{list:?}");
}

#[sqlx::test]
async fn leaders_see_the_ratings_left_and_the_group_leader_what_to_publish(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha
        .post("/periods/2026-Q4/phase", &[("to", "rating")])
        .await;
    let mut member = login_as(&app, Role::Leadership).await;
    let list = todos(&mut member, "/leadership").await;
    assert!(
        list.iter().any(|l| l.contains("综合评定：已评 0 /")),
        "{list:?}"
    );
    ducha
        .post("/periods/2026-Q4/phase", &[("to", "review")])
        .await;
    assert_eq!(phase(&app, "2026-Q4").await, "review");
    let mut leader = Browser::new(&app);
    leader.login("zuzhang", PASSWORD).await;
    let list = todos(&mut leader, "/leadership").await;
    assert!(
        list.iter()
            .any(|l| l.contains("请核对后发布") || l.contains("请选定并写明理由")),
        "{list:?}"
    );
    // An ordinary member has nothing to publish.
    assert!(
        !todos(&mut member, "/leadership")
            .await
            .iter()
            .any(|l| l.contains("发布"))
    );
}
