//! No single person can steer a round: the electorate and the raters are fixed when the
//! round opens, the group leader is one and stays put during a round, and every change made
//! to a voter's or rater's account while it is open is shown where the outcome is read.
//! Each test is an attempt the administrator made in an external review.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

const PERIOD: &str = "2026-Q4";

async fn id_of(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// The first window candidate that is not `window_id`'s own.
async fn other_window_candidate(app: &TestApp, window_id: i64) -> String {
    let snapshot: serde_json::Value = sqlx::query_scalar("select candidates from period")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    snapshot["window"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .find(|c| *c != format!("W{window_id}"))
        .unwrap()
}

async fn cast(b: &mut Browser, candidate: &str) -> Page {
    let token = b.csrf().await;
    b.post_fields(
        "/ballot",
        &[
            ("_csrf".into(), token),
            ("kind".into(), "window".into()),
            ("period".into(), PERIOD.into()),
            ("c".into(), candidate.into()),
        ],
    )
    .await
}

/// Signs in with a fresh account's initial password and sets its own.
async fn first_sign_in(app: &TestApp, username: &str, initial: &str) -> Browser {
    let mut b = Browser::new(app);
    assert_eq!(
        b.login(username, initial).await.status,
        StatusCode::SEE_OTHER
    );
    let set = b
        .post(
            "/account/password",
            &[
                ("current", initial),
                ("new", "Qz7!mW2#kR"),
                ("confirm", "Qz7!mW2#kR"),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    b
}

#[sqlx::test]
async fn a_head_account_created_during_voting_cannot_vote_and_turnout_keeps_its_count(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let electorate = count(
        &app.pool,
        "select count(*) from account where role = 'window_head' and active",
    )
    .await;
    let mut admin = login_as(&app, Role::Admin).await;
    let w3 = id_of(
        &app,
        "select window_id from service_window where number = '3'",
    )
    .await;
    let created = admin
        .post(
            "/admin/accounts",
            &[
                ("username", "head99"),
                ("display_name", "临时负责人"),
                ("role", "window_head"),
                ("window_id", &w3.to_string()),
            ],
        )
        .await;
    let initial = admin.handed_over(&created).await;
    let mut rigged = first_sign_in(&app, "head99", &initial).await;

    let ballot = rigged.get("/ballot").await;
    assert!(
        ballot.body.contains("不在本轮民主推荐的投票人名单中"),
        "the page says why there is no ballot"
    );
    assert!(ballot.texts("section#window form").is_empty());
    let pick = other_window_candidate(&app, w3).await;
    let refused = cast(&mut rigged, &pick).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(&app.pool, "select count(*) from ballot_receipt").await,
        0
    );
    assert_eq!(
        count(
            &app.pool,
            "select coalesce(sum(recommendations), 0)::bigint from ballot_tally"
        )
        .await,
        0,
        "nothing was counted"
    );

    // Disabling it afterwards changes nothing either: turnout counts the electorate fixed
    // when voting opened.
    let mut ducha = login_as(&app, Role::Supervision).await;
    let turnout = ducha.get(&format!("/periods/{PERIOD}/turnout")).await;
    assert_eq!(turnout.status, StatusCode::OK);
    assert!(
        turnout.body.contains(&format!("0 / {electorate} 人")),
        "turnout counts the {electorate} heads of the opening"
    );
    assert!(!turnout.body.contains("临时负责人"));
}

#[sqlx::test]
async fn a_head_disabled_during_voting_still_counts_and_is_shown_as_disabled(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let electorate = count(
        &app.pool,
        "select count(*) from account where role = 'window_head' and active",
    )
    .await;
    let head02 = id_of(
        &app,
        "select account_id from account where username = 'head02'",
    )
    .await;
    // The office has the turnout open before the change: the page read after it shows it.
    let mut ducha = login_as(&app, Role::Supervision).await;
    let before = ducha.get(&format!("/periods/{PERIOD}/turnout")).await;
    assert!(!before.body.contains("已停用"));
    let mut admin = login_as(&app, Role::Admin).await;
    let off = admin
        .post(
            &format!("/admin/accounts/{head02}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    let turnout = ducha.get(&format!("/periods/{PERIOD}/turnout")).await;
    assert!(turnout.body.contains(&format!("0 / {electorate} 人")));
    assert!(turnout.body.contains("已停用"));
    assert!(
        turnout
            .text("section.card.spaced table")
            .contains("停用账号"),
        "the change is listed with who made it"
    );
    // The confirmation of closing the vote names everyone who has not voted.
    let confirm = ducha
        .get(&format!("/periods/{PERIOD}/phase?to=rating"))
        .await;
    let missing = confirm.text(".notice.warn");
    assert!(
        missing.contains("尚未投窗口推荐票、工作人员推荐票"),
        "{missing}"
    );
    let head02_name: String =
        sqlx::query_scalar("select display_name from account where username = 'head02'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(missing.contains(&format!("{head02_name}（账号已停用）")));
}

#[sqlx::test]
async fn a_password_reset_of_a_voter_is_listed_and_told_to_the_voter(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let head01 = id_of(
        &app,
        "select account_id from account where username = 'head01'",
    )
    .await;
    let mut admin = login_as(&app, Role::Admin).await;
    let reset = admin
        .post(&format!("/admin/accounts/{head01}/password-reset"), &[])
        .await;
    let temporary = admin.handed_over(&reset).await;

    let mut ducha = login_as(&app, Role::Supervision).await;
    let turnout = ducha.get(&format!("/periods/{PERIOD}/turnout")).await;
    let changes = turnout.text("section.card.spaced table");
    assert!(changes.contains("重置密码"), "{changes}");
    assert!(changes.contains("head01"), "{changes}");

    // Whoever signs in with the temporary password is told who reset it and when, and the
    // warning stays on the head's pages while the vote is open, whoever set the new password
    // (the one who reset it may well have signed in first).
    let mut head = Browser::new(&app);
    assert_eq!(
        head.login("head01", &temporary).await.status,
        StatusCode::SEE_OTHER
    );
    let page = head.get("/account/password").await;
    let warning = page.text(".reset-warning");
    assert!(
        warning.contains("被 系统管理员（admin） 重置") && warning.contains("2026年第四季度"),
        "{warning}"
    );
    let set = head
        .post(
            "/account/password",
            &[
                ("current", &temporary),
                ("new", "Qz7!mW2#kR"),
                ("confirm", "Qz7!mW2#kR"),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    for path in ["/head", "/ballot"] {
        assert!(
            head.get(path).await.text(".reset-warning").contains("重置"),
            "{path} keeps the warning during the vote"
        );
    }
    // Once the vote is closed, the warning has done its work.
    ducha
        .post(&format!("/periods/{PERIOD}/phase"), &[("to", "rating")])
        .await;
    assert_eq!(phase(&app, PERIOD).await, "rating");
    assert!(head.get("/head").await.texts(".reset-warning").is_empty());
}

#[sqlx::test]
async fn a_second_group_leader_cannot_be_made_and_the_title_stays_put_during_a_round(pool: PgPool) {
    let app = spawn(pool).await;
    let yewuke = id_of(
        &app,
        "select account_id from account where username = 'yewuke'",
    )
    .await;
    let zuzhang = id_of(
        &app,
        "select account_id from account where username = 'zuzhang'",
    )
    .await;
    // The database itself refuses a second one.
    let direct = sqlx::query("update account set is_group_leader = true where account_id = $1")
        .bind(yewuke)
        .execute(&app.pool)
        .await;
    assert!(direct.is_err(), "the unique index holds");

    let mut admin = login_as(&app, Role::Admin).await;
    let make_leader = async |admin: &mut Browser, username: &str, id: i64| -> Page {
        let name: String =
            sqlx::query_scalar("select display_name from account where username = $1")
                .bind(username)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        let token = admin.csrf().await;
        let fields: Vec<(String, String)> = [
            ("_csrf", token.as_str()),
            ("username", username),
            ("display_name", name.as_str()),
            ("role", "leadership"),
            ("is_group_leader", "1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        admin
            .post_fields(&format!("/admin/accounts/{id}"), &fields)
            .await
    };
    let leaders = async || -> Vec<String> {
        sqlx::query_scalar(
            "select username from account where is_group_leader and active order by username",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap()
    };

    // Outside a round, ticking it on another member moves the title, audited.
    let moved = make_leader(&mut admin, "yewuke", yewuke).await;
    assert_eq!(
        moved.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        moved.texts(".error")
    );
    assert_eq!(leaders().await, ["yewuke"]);
    let audited = count(
        &app.pool,
        &format!(
            "select count(*) from audit_log where action = 'account.update' and entity_id = '{zuzhang}'"
        ),
    )
    .await;
    assert_eq!(audited, 1, "the title taken from the old leader is audited");
    assert_eq!(
        make_leader(&mut admin, "zuzhang", zuzhang).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(leaders().await, ["zuzhang"]);

    // During a round it stays where it is.
    voting_quarter(&app).await;
    let refused = make_leader(&mut admin, "yewuke", yewuke).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .field_error("is_group_leader")
            .unwrap_or_default()
            .contains("评选进行中"),
        "{:?}",
        refused.field_error("is_group_leader")
    );
    // Nor can the group leader be disabled.
    let off = admin
        .post(
            &format!("/admin/accounts/{zuzhang}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(
        off.location(),
        Some(format!("/admin/accounts/{zuzhang}?notice=leader_kept").as_str())
    );
    assert_eq!(leaders().await, ["zuzhang"]);
}

#[sqlx::test]
async fn closing_the_rating_names_the_members_with_ratings_missing(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha
        .post(&format!("/periods/{PERIOD}/phase"), &[("to", "rating")])
        .await;
    assert_eq!(phase(&app, PERIOD).await, "rating");
    // A leadership account made after rating opened does not rate in this round.
    let mut admin = login_as(&app, Role::Admin).await;
    let created = admin
        .post(
            "/admin/accounts",
            &[
                ("username", "lingdao9"),
                ("display_name", "新领导"),
                ("role", "leadership"),
            ],
        )
        .await;
    let initial = admin.handed_over(&created).await;
    let mut late = first_sign_in(&app, "lingdao9", &initial).await;
    let ratings = late.get("/ratings").await;
    assert!(ratings.body.contains("不在本轮综合评定的评分人名单中"));

    let confirm = ducha
        .get(&format!("/periods/{PERIOD}/phase?to=review"))
        .await;
    let missing = confirm.text(".notice.warn");
    let raters = count(
        &app.pool,
        "select count(*) from round_member where duty = 'rater'",
    )
    .await;
    assert_eq!(
        missing.matches("已评 0 /").count() as i64,
        raters,
        "every rater is named: {missing}"
    );
    assert!(!missing.contains("新领导"));
}

#[sqlx::test]
async fn a_disabled_account_cannot_hold_a_second_group_leaders_title(pool: PgPool) {
    let app = spawn(pool).await;
    let second = sqlx::query(
        "update account set is_group_leader = true, active = false where username = 'yewuke'",
    )
    .execute(&app.pool)
    .await;
    assert!(
        second.is_err(),
        "the unique index counts disabled accounts too"
    );
}
