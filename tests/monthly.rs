//! The monthly award (文明服务窗口 / 文明服务标兵): by the 100-point score alone, its phases are
//! 考核录入 → 候选确定 → 审定 → 已发布. It never touches a voting or rating route, and it is
//! published while a quarterly vote is open.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

const MONTH: &str = "2026-10";

#[sqlx::test]
async fn a_monthly_award_goes_from_scores_to_publication_without_votes_or_ratings(pool: PgPool) {
    let app = spawn(pool).await;
    // A quarterly vote is open over the same months.
    voting_quarter(&app).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let opened = ducha.post("/periods", &[("code", MONTH)]).await;
    assert_eq!(
        opened.location(),
        Some("/periods/2026-10?notice=created"),
        "{}",
        opened.body
    );
    let show = ducha.get("/periods/2026-10").await;
    assert_eq!(
        show.texts(".phasebar li"),
        ["考核录入", "候选确定", "审定", "已发布"],
        "only the period's own phases"
    );
    assert!(!show.body.contains("投票情况"));

    // October's scores are those the quarter confirmed; on to the candidates, then review.
    let to_candidates = ducha
        .post("/periods/2026-10/phase", &[("to", "candidates")])
        .await;
    assert_eq!(to_candidates.status, StatusCode::SEE_OTHER);
    let confirm = ducha.get("/periods/2026-10/phase?to=review").await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.text("main").contains("不进行民主推荐和综合评定"));
    // Voting is not a step of this period: asking for it changes nothing.
    let voting = ducha
        .post("/periods/2026-10/phase", &[("to", "voting")])
        .await;
    assert_eq!(
        voting.location(),
        Some("/periods/2026-10?notice=phase_unchanged")
    );
    assert_eq!(phase(&app, MONTH).await, "candidates");
    let reviewed = ducha
        .post("/periods/2026-10/phase", &[("to", "review")])
        .await;
    assert_eq!(reviewed.location(), Some("/periods/2026-10?notice=phase"));
    assert_eq!(phase(&app, MONTH).await, "review");

    // No voting or rating route serves it.
    let turnout = ducha.get("/periods/2026-10/turnout").await;
    assert_eq!(turnout.status, StatusCode::CONFLICT);
    assert!(turnout.text("main").contains("不进行民主推荐"));
    let rows_before = checksum(&app.pool).await;
    let mut head = login_as(&app, Role::WindowHead).await;
    let ballot_page = head.get("/ballot").await;
    assert!(
        !ballot_page.body.contains("2026年10月"),
        "no ballot of the month"
    );
    let token = head.csrf().await;
    let forged = head
        .post_fields(
            "/ballot",
            &[
                ("_csrf".into(), token),
                ("kind".into(), "window".into()),
                ("period".into(), MONTH.into()),
            ],
        )
        .await;
    assert!(forged.status.is_client_error(), "{}", forged.status);
    assert_eq!(checksum(&app.pool).await, rows_before, "no row changed");

    // The results read by the score alone: no ballots or ratings column, no such flags.
    let results = ducha.get("/results/2026-10").await;
    assert_eq!(results.status, StatusCode::OK);
    let text = results.text("main");
    for absent in [
        "民主推荐",
        "综合评定",
        "无有效推荐票",
        "无评分",
        "优质服务窗口",
        "优秀服务标兵",
    ] {
        assert!(!text.contains(absent), "{absent} on the monthly results");
    }
    // The monthly scheme's own titles.
    assert!(
        text.contains("文明服务窗口") && text.contains("文明服务标兵"),
        "{text}"
    );

    // The group leader decides any tie at the boundary, then publishes.
    group_leader_publishes(&app, MONTH).await;
    assert_eq!(phase(&app, MONTH).await, "published");
    assert_eq!(
        phase(&app, "2026-Q4").await,
        "voting",
        "the quarterly vote is still open"
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from honor h join period p on p.period_id = h.period_id where p.code = '2026-10'"
        )
        .await,
        4,
        "2 windows and 2 staff"
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from round_member m join period p on p.period_id = m.period_id where p.code = '2026-10'"
        )
        .await,
        0,
        "nobody was asked to vote or rate"
    );
    // The honor roll of the center shows the month in its own section (the quarter is still
    // voting, so it is the only one); the month's own page and certificates carry its titles.
    let mut public = Browser::new(&app);
    let center = public.get("/honor-roll").await;
    assert_eq!(
        center.texts("h2.honor-title"),
        ["文明服务窗口", "文明服务标兵"]
    );
    let roll = public.get("/honor-roll/2026-10").await;
    assert_eq!(roll.status, StatusCode::OK);
    let titles = roll.texts("h2.honor-title");
    assert_eq!(titles, ["文明服务窗口", "文明服务标兵"], "{titles:?}");
    let number: String = sqlx::query_scalar(
        "select certificate_no from honor h join period p on p.period_id = h.period_id where p.code = '2026-10' limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        public
            .get(&format!("/verify/{number}"))
            .await
            .body
            .contains("文明服务")
    );
}

#[sqlx::test]
async fn a_schemes_titles_are_the_admins_to_name_and_each_period_keeps_its_own(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q3")]).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let list = admin.get("/admin/schemes").await;
    let rows = list.texts("tbody tr");
    let quarterly = rows.iter().find(|r| r.contains("季度")).unwrap();
    assert!(
        quarterly.contains("优质服务窗口 / 优秀服务标兵")
            && quarterly.contains("考核录入 → 候选确定 → 民主推荐 → 综合评定 → 审定 → 已发布"),
        "{quarterly}"
    );
    let monthly = rows.iter().find(|r| r.contains("月度")).unwrap();
    assert!(
        monthly.contains("文明服务窗口 / 文明服务标兵")
            && monthly.contains("考核录入 → 候选确定 → 审定 → 已发布"),
        "{monthly}"
    );
    let scheme: i64 =
        sqlx::query_scalar("select scheme_id from scheme where period_kind = 'quarter'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let form = admin.get(&format!("/admin/schemes/{scheme}")).await;
    let mut fields = form.form_fields("main form");
    set_field(&mut fields, "window_title", "群众满意窗口");
    set_field(&mut fields, "staff_title", "服务之星");
    let saved = admin
        .post_fields(&format!("/admin/schemes/{scheme}"), &fields)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let titles: Vec<(String, String, String)> =
        sqlx::query_as("select code, window_title, staff_title from period order by code")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        titles,
        [
            (
                "2026-Q3".into(),
                "优质服务窗口".into(),
                "优秀服务标兵".into()
            ),
            ("2026-Q4".into(), "群众满意窗口".into(), "服务之星".into())
        ],
        "the open period keeps the titles it opened with"
    );
    let show = ducha.get("/periods/2026-Q4").await;
    assert!(show.text("main").contains("群众满意窗口"));
}

#[sqlx::test]
async fn confirming_a_month_says_which_other_periods_it_locks(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", MONTH)]).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    ducha.post("/periods", &[("code", "2026")]).await;
    ducha
        .post("/periods/2026-10/phase", &[("to", "candidates")])
        .await;
    let confirm = ducha.get("/periods/2026-10/phase?to=review").await;
    let shared = confirm.texts(".notice.warn li");
    assert!(
        shared.contains(&"2026年第四季度（2026年10月）".to_string())
            && shared.contains(&"2026年度（2026年10月）".to_string()),
        "{shared:?}"
    );
    // Going back to 考核录入 locks nothing, and says nothing of it.
    let back = ducha.get("/periods/2026-10/phase?to=entry").await;
    assert!(!back.text("main").contains("也用于其他评选周期"));
}

#[sqlx::test]
async fn the_honor_roll_shows_the_latest_period_of_each_scheme_in_its_own_section(pool: PgPool) {
    let app = spawn(pool).await;
    // The demo's published quarter (2026-Q2), then the month of June through the pages.
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-06")]).await;
    ducha
        .post("/periods/2026-06/phase", &[("to", "candidates")])
        .await;
    ducha
        .post("/periods/2026-06/phase", &[("to", "review")])
        .await;
    assert_eq!(phase(&app, "2026-06").await, "review");
    group_leader_publishes(&app, "2026-06").await;

    let mut public = Browser::new(&app);
    let roll = public.get("/honor-roll").await;
    assert_eq!(
        roll.texts("h2.honor-scheme-title a"),
        ["2026年第二季度", "2026年6月"],
        "the quarter's and the month's, each under its name"
    );
    assert_eq!(
        roll.texts("h2.honor-title"),
        [
            "优质服务窗口",
            "优秀服务标兵",
            "文明服务窗口",
            "文明服务标兵"
        ]
    );
    assert_eq!(roll.texts(".honor-card").len(), 15 + 4);
    // Each period keeps its own page.
    let quarter = public.get("/honor-roll/2026-Q2").await;
    assert_eq!(quarter.texts(".honor-card").len(), 15);
    // The hall screen turns through all four lists, each named by its period.
    let hall = public.get("/honor-roll/hall").await;
    assert_eq!(
        hall.texts(".hall-slide h2"),
        [
            "2026年第二季度 优质服务窗口",
            "2026年第二季度 优秀服务标兵",
            "2026年6月 文明服务窗口",
            "2026年6月 文明服务标兵"
        ]
    );
    assert_eq!(hall.texts(".hall-slides.n4").len(), 1);
}

/// Active staff members of the demo center without an account, lowest ids first.
async fn staff_without_account(app: &TestApp, n: i64) -> Vec<i64> {
    sqlx::query_scalar(
        "select s.staff_id from staff s
         where not exists (select 1 from account a where a.staff_id = s.staff_id)
           and s.active and s.center_id = (select center_id from account where username = 'staff002')
         order by s.staff_id limit $1",
    )
    .bind(n)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_month_locks_only_when_every_entrant_is_scored_or_marked_not_assessed(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-11")]).await;
    // Everyone scored but the staff member with the staff account and two others.
    let own: i64 = sqlx::query_scalar("select staff_id from account where username = 'staff002'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let others = staff_without_account(&app, 2).await;
    let (a, b, c) = (own, others[0], others[1]);
    for sql in [
        "insert into monthly_score (center_id, month, window_id, score) select center_id, '2026-11', window_id, 90 from service_window",
        "insert into monthly_score (center_id, month, staff_id, score) select center_id, '2026-11', staff_id, 80 + staff_id % 19 from staff where not staff_id = any($1)",
    ] {
        sqlx::query(sql)
            .bind(vec![a, b, c])
            .execute(&app.pool)
            .await
            .unwrap();
    }
    ducha
        .post("/periods/2026-11/phase", &[("to", "candidates")])
        .await;

    // The confirmation names what is missing and offers no way to confirm.
    let confirm = ducha.get("/periods/2026-11/phase?to=review").await;
    let listed = confirm.text(".error-summary");
    assert!(
        listed.contains("2026年11月：3 名工作人员既没有考核分数，也未登记未参加考核"),
        "{listed}"
    );
    assert!(!confirm.body.contains("确认：进入"));
    let refused = ducha
        .post("/periods/2026-11/phase", &[("to", "review")])
        .await;
    assert_eq!(
        refused.location(),
        Some("/periods/2026-11/phase?to=review&notice=incomplete")
    );
    assert_eq!(phase(&app, "2026-11").await, "candidates");
    assert!(
        !ducha
            .get("/scores/2026-11")
            .await
            .body
            .contains("本月考核已锁定")
    );

    // The three are listed for a reason; a bad one keeps everything typed and saves nothing.
    let url = "/scores/2026-11/not-assessed";
    let page = ducha.get(url).await;
    let pending: Vec<String> = page
        .form_fields("form[novalidate]")
        .into_iter()
        .filter(|(k, _)| k.starts_with("r_"))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(pending.len(), 3, "{pending:?}");
    let (ra, rb, rc) = (format!("r_s{a}"), format!("r_s{b}"), format!("r_s{c}"));
    let long = "假".repeat(201);
    let bad = ducha.post(url, &[(&ra, &long), (&rb, "借调")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error(&ra).is_some());
    assert_eq!(bad.input_value(&rb).as_deref(), Some("借调"));
    assert_eq!(
        count(&app.pool, "select count(*) from not_assessed").await,
        0
    );

    let saved = ducha
        .post(url, &[(&ra, "病假"), (&rb, "借调"), (&rc, "新入职")])
        .await;
    assert_eq!(
        saved.location(),
        Some("/scores/2026-11/not-assessed?notice=not_assessed_saved")
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'not_assessed.create'"
        )
        .await,
        3
    );
    // Taken back; and a score written for one replaces its mark.
    let b_key = format!("s{b}");
    ducha.post(url, &[("remove", &b_key)]).await;
    let mut grid = ducha
        .get("/scores/2026-11?tab=staff")
        .await
        .form_fields("form.score-grid");
    assert!(
        ducha
            .get("/scores/2026-11?tab=staff")
            .await
            .body
            .contains("未参加考核：新入职")
    );
    set_field(&mut grid, &format!("c{c}"), "88");
    assert_eq!(
        ducha
            .post_fields("/scores/2026-11?tab=staff", &grid)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        count(&app.pool, "select count(*) from not_assessed").await,
        1,
        "only the sick leave is left"
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'not_assessed.delete'"
        )
        .await,
        2
    );
    ducha.post(url, &[(&rb, "借调至市行政审批局")]).await;

    // Complete: the confirmation locks the month, marks included.
    let done = ducha
        .post("/periods/2026-11/phase", &[("to", "review")])
        .await;
    assert_eq!(done.location(), Some("/periods/2026-11?notice=phase"));
    let late = ducha.post(url, &[("remove", &format!("s{a}"))]).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.text(".error-summary").contains("已锁定"));
    assert_eq!(
        count(&app.pool, "select count(*) from not_assessed").await,
        2
    );

    // The reason reaches the person and the results.
    let mut own_view = login_as(&app, Role::Staff).await;
    let home = own_view.get("/me").await;
    assert!(
        home.text("#own-scores").contains("未参加考核（病假）"),
        "{}",
        home.text("#own-scores")
    );
    let entrant = ducha.get(&format!("/results/2026-11/entrants/S{a}")).await;
    assert_eq!(entrant.status, StatusCode::OK, "{}", entrant.body);
    assert!(
        entrant
            .text(".notice.warn")
            .contains("无考核分数：2026年11月未参加考核（病假）"),
        "{}",
        entrant.text(".notice.warn")
    );
}

#[sqlx::test]
async fn last_months_award_is_offered_once_complete_and_only_where_the_center_runs_it(
    pool: PgPool,
) {
    use pingxuan::domain::period::{current_month, month_label, shift_month};
    let app = spawn(pool).await;
    let month = shift_month(&current_month(), -1);
    let label = month_label(&month);
    let mut ducha = login_as(&app, Role::Supervision).await;
    let todos = |page: &Page| page.texts(".todo-list li");
    let home = ducha.get("/supervision").await;
    assert_eq!(
        count(
            &app.pool,
            &format!("select count(*) from period where code = '{month}'"),
        )
        .await,
        0,
        "the demo center has no period for last month"
    );
    sqlx::query("delete from monthly_score where month = $1")
        .bind(&month)
        .execute(&app.pool)
        .await
        .unwrap();
    let home_then = ducha.get("/supervision").await;
    assert!(
        todos(&home_then)
            .iter()
            .any(|t| t.starts_with(&format!("{label}：29 个窗口、146 名工作人员还没有考核分数"))),
        "{:?} / before: {:?}",
        todos(&home_then),
        todos(&home)
    );
    for sql in [
        "insert into monthly_score (center_id, month, window_id, score) select center_id, $1, window_id, 80 + window_id % 17 from service_window where active",
        "insert into monthly_score (center_id, month, staff_id, score) select center_id, $1, staff_id, 80 + staff_id % 19 from staff where active",
    ] {
        sqlx::query(sql)
            .bind(&month)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    let offer = format!("{label}的考核已录入完整：可以评选本月文明服务窗口和文明服务标兵");
    let home = ducha.get("/supervision").await;
    assert!(
        todos(&home).iter().any(|t| t.starts_with(&offer)),
        "{:?}",
        todos(&home)
    );
    assert!(
        home.body
            .contains(&format!("href=\"/periods/new?code={month}\""))
    );

    // A center that stops running the monthly award is not offered it, nor can open one.
    let mut admin = login_as(&app, Role::Admin).await;
    let monthly: i64 =
        sqlx::query_scalar("select scheme_id from scheme where period_kind = 'month' limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let stopped = admin
        .post(&format!("/admin/schemes/{monthly}/disable"), &[])
        .await;
    assert_eq!(stopped.location(), Some("/admin/schemes?notice=disabled"));
    assert!(admin.get("/admin/schemes").await.body.contains("未使用"));
    let home = ducha.get("/supervision").await;
    assert!(!todos(&home).iter().any(|t| t.starts_with(&offer)));
    let refused = ducha.get(&format!("/periods/new?code={month}")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("本中心未使用月度评选方案"));
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'scheme.disable'"
        )
        .await,
        1
    );
    admin
        .post(&format!("/admin/schemes/{monthly}/enable"), &[])
        .await;
    let home = ducha.get("/supervision").await;
    assert!(todos(&home).iter().any(|t| t.starts_with(&offer)));

    // Opened, it is on its way: the confirmation shows the top 2 + 2 it will confirm.
    ducha.post("/periods", &[("code", &month)]).await;
    assert!(
        !todos(&ducha.get("/supervision").await)
            .iter()
            .any(|t| t.starts_with(&offer))
    );
    ducha
        .post(&format!("/periods/{month}/phase"), &[("to", "candidates")])
        .await;
    let confirm = ducha
        .get(&format!("/periods/{month}/phase?to=review"))
        .await;
    assert!(confirm.body.contains("将确认的候选对象"));
    let listed = confirm.texts("ul.candidates li");
    assert!(listed.len() >= 4, "{listed:?}");
    assert!(listed.iter().all(|l| l.contains("考核 ")), "{listed:?}");
}

#[sqlx::test]
async fn the_annual_evaluation_rates_with_each_candidates_honors_and_months_in_view(pool: PgPool) {
    let app = spawn(pool).await;
    // Every month of 2026 scored alike: window n has 80 + n mod 17 each month.
    for sql in [
        "insert into monthly_score (center_id, month, window_id, score) select center_id, m, window_id, 80 + window_id % 17 from service_window, unnest(array['2026-01','2026-02','2026-03','2026-04','2026-05','2026-06','2026-07','2026-08','2026-09','2026-10','2026-11','2026-12']) m where active",
        "insert into monthly_score (center_id, month, staff_id, score) select center_id, m, staff_id, 80 + staff_id % 19 from staff, unnest(array['2026-01','2026-02','2026-03','2026-04','2026-05','2026-06','2026-07','2026-08','2026-09','2026-10','2026-11','2026-12']) m where active",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    let best: i64 = sqlx::query_scalar(
        "select window_id from service_window where active order by 80 + window_id % 17 desc, window_id limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let best_score: String = sqlx::query_scalar(
        "select score::text from monthly_score where month = '2026-01' and window_id = $1",
    )
    .bind(best)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // March's award, published: the best window is one of its 文明服务窗口.
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-03")]).await;
    ducha
        .post("/periods/2026-03/phase", &[("to", "candidates")])
        .await;
    ducha
        .post("/periods/2026-03/phase", &[("to", "review")])
        .await;
    group_leader_publishes(&app, "2026-03").await;
    assert_eq!(phase(&app, "2026-03").await, "published");

    // The year: candidates, a vote closed, and the leadership's rating.
    ducha.post("/periods", &[("code", "2026")]).await;
    for to in ["candidates", "voting", "rating"] {
        let moved = ducha.post("/periods/2026/phase", &[("to", to)]).await;
        assert_eq!(moved.location(), Some("/periods/2026?notice=phase"), "{to}");
    }
    let mut leader = login_as(&app, Role::Leadership).await;
    let page = leader.get("/ratings").await;
    assert!(page.body.contains("本年度荣誉与各月考核"));
    // The best window's row: its rating input and its record.
    let doc = page.html();
    let rows = scraper::Selector::parse("tbody tr").unwrap();
    let input = scraper::Selector::parse(&format!("#rW{best}")).unwrap();
    let record = scraper::Selector::parse("td.record").unwrap();
    let text: String = doc
        .select(&rows)
        .find(|r| r.select(&input).next().is_some())
        .and_then(|r| r.select(&record).next())
        .map(|c| c.text().collect())
        .unwrap_or_default();
    let month_one = format!("1月 {best_score}");
    assert!(
        text.contains("2026年3月文明服务窗口")
            && text.contains(&month_one)
            && text.contains("12月"),
        "{text}"
    );

    // The results of the year show the same record beside the totals.
    ducha.post("/periods/2026/phase", &[("to", "review")]).await;
    let results = ducha.get("/results/2026").await;
    let doc = results.html();
    let cell = scraper::Selector::parse("#window td.record").unwrap();
    let records: Vec<String> = doc.select(&cell).map(|c| c.text().collect()).collect();
    assert!(
        records.iter().any(|r| r.contains("2026年3月文明服务窗口")),
        "{records:?}"
    );
}
