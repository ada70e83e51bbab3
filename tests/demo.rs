//! The demo center: believable, complete, and loaded once however often it is asked for.

mod common;

const PERIOD: &str = "2026-Q3";

use axum::http::StatusCode;
use common::*;
use pingxuan::demo;
use pingxuan::domain::Role;
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

#[sqlx::test]
async fn the_demo_quarters_are_published_and_in_voting_and_load_once(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let before = count(&app.pool, "select count(*) from audit_log").await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    assert_eq!(
        count(&app.pool, "select count(*) from audit_log").await,
        before,
        "loading again changes nothing"
    );

    // The published quarter recounts exactly to its published results, with a decided tie.
    let mut ducha = login_as(&app, Role::Supervision).await;
    let recount = ducha.get("/results/2026-Q2/recount.json").await;
    let results: serde_json::Value =
        serde_json::from_str(&ducha.get("/results/2026-Q2/results.json").await.body).unwrap();
    let recounted = pingxuan::scoring::compute_json(&recount.body).unwrap();
    assert_eq!(serde_json::to_value(&recounted).unwrap(), results);
    assert_eq!(
        recounted.window.decided.len(),
        1,
        "one tie decided by the group leader"
    );
    assert_eq!(recounted.window.winners.len(), 5);
    assert_eq!(recounted.staff.winners.len(), 10);
    assert_eq!(count(&app.pool, "select count(*) from veto").await, 3);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'monthly_score.import'"
        )
        .await,
        6
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'duty_days.import'"
        )
        .await,
        2
    );

    // The current quarter is in voting; a third of the heads have voted; one who has not can.
    let phase: String = sqlx::query_scalar("select phase from period where code = '2026-Q3'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(phase, "voting");
    let voted = count(&app.pool, "select count(distinct account_id) from ballot_receipt r join period p using (period_id) where p.code = '2026-Q3'").await;
    assert!((5..=15).contains(&voted), "{voted} heads voted");
    let mut late = Browser::new(&app);
    late.login("head29", PASSWORD).await;
    let page = late.get("/ballot").await;
    assert_eq!(page.texts("h2.vote-period"), ["2026年第三季度"]);
    let token = late.csrf().await;
    let cast = late
        .post_fields(
            "/ballot",
            &[
                ("_csrf".into(), token),
                ("kind".into(), "window".into()),
                ("period".into(), PERIOD.into()),
            ],
        )
        .await;
    assert_eq!(cast.location(), Some("/ballot?notice=voted"));
}

#[sqlx::test]
async fn the_command_line_exports_recount_to_exactly_the_published_results(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let url = database_url(&app).await;
    let recount = cli_export(&url, "recount", "latest", None);
    let results = cli_export(&url, "results", "latest", None);
    assert_eq!(
        String::from_utf8(cli_compute(&recount)).unwrap(),
        String::from_utf8(results).unwrap(),
        "byte for byte"
    );
    // No individual ballot leaves the server.
    let recount: serde_json::Value = serde_json::from_slice(&recount).unwrap();
    assert_eq!(recount["ballots"], serde_json::json!([]));
    assert_eq!(recount["tallies"].as_array().unwrap().len(), 2);
}

#[sqlx::test]
async fn a_staff_member_sees_their_own_record_and_nobody_elses(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut me = login_as(&app, Role::Staff).await; // staff002
    let page = me.get("/me").await;
    assert_eq!(page.status, StatusCode::OK);
    let months: Vec<String> = page.texts("#own-scores tbody tr");
    assert_eq!(months.len(), 6, "April to September");
    assert!(months[0].starts_with("2026年9月"));
    // The to-do list opens with the latest score and the honors won.
    let todo = page.texts(".todo-list li");
    assert!(todo[0].contains("最近一次月度考核：2026年9月"), "{todo:?}");
    assert!(
        page.texts("section.card li")
            .iter()
            .any(|d| d.starts_with("2026年第二季度："))
    );
    let results = page.texts("#own-results tbody tr");
    assert_eq!(results.len(), 1, "only the published quarter");
    assert!(results[0].starts_with("2026年第二季度"));
    // No other staff member's name is on the page.
    let others: Vec<String> = sqlx::query_scalar("select name from staff where staff_id <> (select staff_id from account where username = 'staff002')")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let own: String = sqlx::query_scalar("select s.name from staff s join account a on a.staff_id = s.staff_id where a.username = 'staff002'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for name in others.iter().filter(|n| **n != own) {
        assert!(
            !page.body.contains(name.as_str()),
            "{name} is shown to staff002"
        );
    }
}

#[sqlx::test]
async fn each_score_can_be_traced_to_its_months_ballots_and_ratings(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let w5: i64 = sqlx::query_scalar("select window_id from service_window where number = '5'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut leader = Browser::new(&app);
    leader.login("zuzhang", PASSWORD).await;
    let results = leader.get("/results/2026-Q2").await;
    let link = format!("/results/2026-Q2/entrants/W{w5}");
    assert!(
        results.body.contains(&link),
        "the results page links each candidate to its breakdown"
    );
    let coverage = results.texts("#window p");
    assert!(
        coverage.contains(&"按业务范围：公安户政 3，税务 2".to_string()),
        "{coverage:?}"
    );
    assert!(
        coverage.contains(&"按进驻单位：公安局 3，税务局 2".to_string()),
        "{coverage:?}"
    );
    let page = leader.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1"), "5号窗口 办税综合2号 得分构成");
    assert_eq!(
        page.texts("section.card:nth-of-type(1) tbody tr").len(),
        3,
        "three months"
    );
    let cards = page.texts("section.card p");
    // Only window 6's head recommended window 5; window 5's own head is recused.
    assert!(
        cards
            .iter()
            .any(|c| c.starts_with("推荐票 1 张 ÷ 计票基数 28 张")),
        "{cards:?}"
    );
    assert_eq!(
        page.texts("section.card del").len(),
        2,
        "six ratings, the highest and lowest struck out"
    );
    assert_eq!(
        leader.get("/results/2026-Q2/entrants/W999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        leader.get("/results/2026-Q3/entrants/W1").await.status,
        StatusCode::NOT_FOUND,
        "no results while voting"
    );
}

#[sqlx::test]
async fn a_veto_found_after_publication_is_a_correction_with_a_reason(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    let before: serde_json::Value =
        serde_json::from_str(&ducha.get("/results/2026-Q2/results.json").await.body).unwrap();
    let winner = before["staff"]["winners"][0].as_str().unwrap().to_string();
    let target = format!("s{}", &winner[1..]);
    let url = "/periods/2026-Q2/corrections";
    assert_eq!(ducha.get(url).await.status, StatusCode::OK);
    let no_reason = ducha
        .post(
            url,
            &[
                ("target", &target),
                ("code", "verified_complaint"),
                ("occurred_on", "2026-06-03"),
                ("description", "群众投诉经查证属实"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        no_reason.field_error("reason").as_deref(),
        Some("此项不能为空")
    );
    // First the confirmation: who leaves the list and who comes in, nothing written yet.
    let before_rows = checksum(&app.pool).await;
    let confirm = ducha
        .post(
            url,
            &[
                ("target", &target),
                ("code", "verified_complaint"),
                ("occurred_on", "2026-06-03"),
                ("description", "群众投诉经查证属实"),
                ("reason", "7月收到上级转办件，经查证属实"),
            ],
        )
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    let winner_name: String = sqlx::query_scalar("select name from staff where staff_id = $1")
        .bind(winner[1..].parse::<i64>().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let leaves = confirm.text(".notice.warn");
    assert!(
        leaves.starts_with("不再当选") && leaves.contains(&winner_name),
        "{leaves}"
    );
    assert!(confirm.text("main").contains("递补当选"));
    assert_eq!(
        checksum(&app.pool).await,
        before_rows,
        "asking wrote nothing"
    );
    // 返回修改 brings the form back as typed.
    let mut fields = confirm.form_fields("main form");
    fields.push(("edit".into(), "1".into()));
    let edit = ducha.post_fields(url, &fields).await;
    assert_eq!(
        edit.input_value("occurred_on").as_deref(),
        Some("2026-06-03")
    );
    let mut fields = confirm.form_fields("main form");
    fields.push(("confirmed".into(), "1".into()));
    let done = ducha.post_fields(url, &fields).await;
    assert_eq!(done.location(), Some("/results/2026-Q2?notice=corrected"));
    let after: serde_json::Value =
        serde_json::from_str(&ducha.get("/results/2026-Q2/results.json").await.body).unwrap();
    let winners: Vec<&str> = after["staff"]["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        !winners.contains(&winner.as_str()),
        "the vetoed winner is out"
    );
    assert_eq!(winners.len(), 10, "and the next in line is in");
    let recount = ducha.get("/results/2026-Q2/recount.json").await;
    assert_eq!(
        serde_json::to_value(pingxuan::scoring::compute_json(&recount.body).unwrap()).unwrap(),
        after
    );
    let page = ducha.get("/results/2026-Q2").await;
    let row = page.text("#corrections tbody tr");
    assert!(
        row.contains("7月收到上级转办件") && row.contains("登记一票否决"),
        "{row}"
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.correction'"
        )
        .await,
        1
    );
    // Only a published period is corrected this way.
    assert_eq!(
        ducha.get("/periods/2026-Q3/corrections").await.status,
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test]
async fn the_demo_quarter_is_dated_when_it_would_have_been_published(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let (published, issued): (String, String) = sqlx::query_as(
        "select to_char(p.published_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD'),
                to_char(min(h.issued_at) at time zone 'Asia/Shanghai', 'YYYY-MM-DD')
         from period p join honor h on h.period_id = p.period_id
         where p.code = '2026-Q2' group by p.published_at",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (published.as_str(), issued.as_str()),
        ("2026-07-10", "2026-07-10")
    );
    let mut public = Browser::new(&app);
    assert!(
        public
            .get("/honor-roll")
            .await
            .text("body")
            .contains("2026年7月10日")
    );
}
