//! The secret ballot: recusal and the cap enforced server-side, one ballot per head and kind
//! even under fifty simultaneous submissions, nothing counted after voting closes, and no
//! trace of who chose whom.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

/// The head's (`username`) ballot form of `kind`: candidate ids offered, ids shown as 回避.
async fn offered(b: &mut Browser, kind: &str) -> (Vec<String>, usize) {
    let page = b.get("/ballot").await;
    let ids = page
        .form_fields(&format!("section#{kind} form"))
        .into_iter()
        .filter(|(k, _)| k == "c")
        .map(|(_, v)| v)
        .collect();
    (ids, page.texts(&format!("section#{kind} li.recused")).len())
}

async fn tally(app: &TestApp, id: &str) -> i64 {
    let (col, n) = if let Some(w) = id.strip_prefix('W') {
        ("window_id", w)
    } else {
        ("staff_id", &id[1..])
    };
    count(
        &app.pool,
        &format!("select recommendations::bigint from ballot_tally where {col} = {n}"),
    )
    .await
}

async fn head_of(app: &TestApp, id: &str) -> Browser {
    // The head of the window of candidate `id` (a window candidate).
    let username: String = sqlx::query_scalar("select username from account where window_id = $1")
        .bind(id[1..].parse::<i64>().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut b = Browser::new(app);
    assert_eq!(
        b.login(&username, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    b
}

const PERIOD: &str = "2026-Q4";

fn ballot(kind: &str, chosen: &[&str]) -> Vec<(String, String)> {
    let mut f = vec![
        ("kind".to_string(), kind.to_string()),
        ("period".to_string(), PERIOD.to_string()),
    ];
    f.extend(chosen.iter().map(|c| ("c".to_string(), c.to_string())));
    f
}

async fn submit(b: &mut Browser, path: &str, fields: Vec<(String, String)>) -> Page {
    let token = b.csrf().await;
    let mut all = vec![("_csrf".to_string(), token)];
    all.extend(fields);
    b.post_fields(path, &all).await
}

#[sqlx::test]
async fn a_head_reviews_and_casts_a_ballot_that_counts_once_and_leaves_only_a_receipt(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let mut head = login_as(&app, Role::WindowHead).await; // head01, window 1
    let (windows, _) = offered(&mut head, "window").await;
    assert!(windows.len() >= 8);
    let chosen: Vec<&str> = windows.iter().take(3).map(String::as_str).collect();
    let review = submit(&mut head, "/ballot/review", ballot("window", &chosen)).await;
    assert_eq!(review.status, StatusCode::OK);
    assert_eq!(review.texts("ol li").len(), 3);
    let before: Vec<i64> = futures_tallies(&app, &chosen).await;
    let cast = submit(&mut head, "/ballot", ballot("window", &chosen)).await;
    assert_eq!(cast.location(), Some("/ballot?notice=voted"));
    let after: Vec<i64> = futures_tallies(&app, &chosen).await;
    assert!(
        before.iter().zip(&after).all(|(b, a)| a - b == 1),
        "{before:?} -> {after:?}"
    );
    let page = head.get("/ballot").await;
    assert!(page.text("section#window .notice").starts_with("您已于"));
    // The same ballot again is not counted again.
    let again = submit(&mut head, "/ballot", ballot("window", &chosen)).await;
    assert_eq!(again.location(), Some("/ballot?notice=already_voted"));
    assert_eq!(futures_tallies(&app, &chosen).await, after);
    assert_eq!(
        count(&app.pool, "select count(*) from ballot_receipt").await,
        1
    );
    // The audit says that the head voted, never for whom.
    let audit: Option<serde_json::Value> =
        sqlx::query_scalar("select after from audit_log where action = 'ballot.cast'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(audit.is_none());
}

async fn futures_tallies(app: &TestApp, ids: &[&str]) -> Vec<i64> {
    let mut out = Vec::new();
    for id in ids {
        out.push(tally(app, id).await);
    }
    out
}

#[sqlx::test]
async fn recusal_and_the_cap_hold_even_when_the_form_is_forged(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let snapshot: serde_json::Value = sqlx::query_scalar("select candidates from period")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let candidates: Vec<String> = snapshot["window"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let own = candidates[0].clone();
    let mut head = head_of(&app, &own).await;
    let (offered_ids, recused) = offered(&mut head, "window").await;
    assert!(!offered_ids.contains(&own), "the own window is not offered");
    assert_eq!(recused, 1, "it is shown as 回避");
    let others: Vec<&str> = candidates
        .iter()
        .filter(|c| **c != own)
        .map(String::as_str)
        .collect();
    for (fields, what) in [
        (ballot("window", &[&own]), "own window"),
        (ballot("window", &others[..6]), "over the cap of 5"),
        (ballot("window", &[others[0], others[0]]), "the same twice"),
        (ballot("window", &["W999999"]), "not a candidate"),
        (
            ballot("staff", &[others[0]]),
            "a window on the staff ballot",
        ),
    ] {
        for path in ["/ballot/review", "/ballot"] {
            let page = submit(&mut head, path, fields.clone()).await;
            assert_eq!(
                page.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{what} at {path}"
            );
            assert!(!page.text(".form-error").is_empty(), "{what}");
        }
    }
    // Staff of the head's own window are recused on the staff ballot too.
    let staff_candidate = snapshot["staff"]["candidates"][0]
        .as_str()
        .unwrap()
        .to_string();
    let their_window: i64 = sqlx::query_scalar("select window_id from staff where staff_id = $1")
        .bind(staff_candidate[1..].parse::<i64>().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut colleague = head_of(&app, &format!("W{their_window}")).await;
    let (staff_offered, staff_recused) = offered(&mut colleague, "staff").await;
    assert!(!staff_offered.contains(&staff_candidate));
    assert!(staff_recused >= 1);
    // A candidate deactivated since the candidates were confirmed stays on the ballot,
    // recused for their own window's head (read from the database, not the roster).
    sqlx::query("update staff set active = false where staff_id = $1")
        .bind(staff_candidate[1..].parse::<i64>().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        offered(&mut colleague, "staff").await,
        (staff_offered.clone(), staff_recused)
    );
    let page = submit(
        &mut colleague,
        "/ballot",
        ballot("staff", &[&staff_candidate]),
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text(".form-error"),
        "本窗口及本窗口工作人员须回避，不能推荐。"
    );
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
        0
    );
}

#[sqlx::test]
async fn fifty_simultaneous_submissions_of_one_ballot_store_exactly_one(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let mut head = login_as(&app, Role::WindowHead).await;
    let (windows, _) = offered(&mut head, "window").await;
    let chosen: Vec<String> = windows.iter().take(2).cloned().collect();
    let token = head.csrf().await;
    let mut fields = vec![("_csrf".to_string(), token)];
    fields.extend(ballot(
        "window",
        &chosen.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let mut b = head.clone();
        let f = fields.clone();
        tasks.push(tokio::spawn(async move {
            b.post_fields("/ballot", &f).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::SEE_OTHER);
    }
    assert_eq!(
        count(&app.pool, "select count(*) from ballot_receipt").await,
        1
    );
    for id in &chosen {
        assert_eq!(tally(&app, id).await, 1, "{id}");
    }
}

#[sqlx::test]
async fn nothing_is_counted_once_voting_has_closed(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let mut head = login_as(&app, Role::WindowHead).await;
    let (windows, _) = offered(&mut head, "window").await;
    sqlx::query("update period set phase = 'rating'")
        .execute(&app.pool)
        .await
        .unwrap();
    let page = submit(&mut head, "/ballot", ballot("window", &[&windows[0]])).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.text(".notice").contains("推荐票未被接收"));
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
        0
    );
}

#[sqlx::test]
async fn no_column_of_the_counters_can_be_joined_to_receipts_or_voters(pool: PgPool) {
    let app = spawn(pool).await;
    let columns: Vec<String> = sqlx::query_scalar(
        "select column_name::text from information_schema.columns where table_name = 'ballot_tally' order by 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        columns,
        vec![
            "ballot_tally_id",
            "center_id",
            "period_id",
            "recommendations",
            "staff_id",
            "window_id"
        ]
    );
    // No account, receipt, time or ordering column: window_id/staff_id name the candidate.
}

#[sqlx::test]
async fn turnout_shows_who_voted_and_when_but_never_how_then_voting_closes(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let mut head = login_as(&app, Role::WindowHead).await;
    let (windows, _) = offered(&mut head, "window").await;
    let (staff, _) = offered(&mut head, "staff").await;
    submit(&mut head, "/ballot", ballot("window", &[&windows[0]])).await;
    submit(
        &mut head,
        "/ballot",
        ballot("staff", &[&staff[0], &staff[1]]),
    )
    .await;

    let mut ducha = login_as(&app, Role::Supervision).await;
    let page = ducha.get("/periods/2026-Q4/turnout").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("p.muted").contains("已投完两张推荐票：1 / 29 人"));
    let row = page
        .texts("tbody tr")
        .into_iter()
        .find(|r| r.contains("1号窗口 户籍"))
        .unwrap();
    assert!(!row.contains("未投"), "{row}");
    // The heads are listed in the windows' order: by number, 2 before 10.
    let numbers: Vec<u32> = page
        .texts("tbody tr td:first-child")
        .iter()
        .map(|w| w.split("号窗口").next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 29);
    assert!(numbers.windows(2).all(|p| p[0] < p[1]), "{numbers:?}");
    assert!(
        page.text("section.card p").contains("2号窗口 出入境"),
        "the reminder list names who has not voted"
    );
    // Nothing on the page names what was chosen.
    let chosen_names: Vec<String> = sqlx::query_scalar(
        "select number || '号窗口 ' || name from service_window where window_id = $1",
    )
    .bind(windows[0][1..].parse::<i64>().unwrap())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let recommended_rows = page
        .texts("tbody tr")
        .into_iter()
        .filter(|r| r.contains(&chosen_names[0]))
        .count();
    assert!(
        recommended_rows <= 1,
        "a recommended window appears only as a voter's row, if at all"
    );

    let confirm = ducha.get("/periods/2026-Q4/phase?to=rating").await;
    assert!(
        confirm
            .texts(".notice li")
            .contains(&"28 名窗口负责人尚未投完两张推荐票".to_string())
    );
    assert_eq!(
        confirm
            .texts(".notice li")
            .iter()
            .filter(|l| l.contains("：尚未投"))
            .count(),
        28,
        "each of them is named"
    );
    assert_eq!(
        ducha
            .post("/periods/2026-Q4/phase", &[("to", "rating")])
            .await
            .location(),
        Some("/periods/2026-Q4?notice=phase")
    );
    let mut late = Browser::new(&app);
    late.login("head02", PASSWORD).await;
    let refused = submit(&mut late, "/ballot", ballot("window", &[&windows[1]])).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        count(&app.pool, "select count(*) from ballot_receipt").await,
        2
    );
}

#[sqlx::test]
async fn a_ballot_rewrites_every_counter_of_its_kind_so_none_is_singled_out(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let mut head = login_as(&app, Role::WindowHead).await;
    let (windows, _) = offered(&mut head, "window").await;
    submit(&mut head, "/ballot", ballot("window", &[&windows[0]])).await;
    // The receipt's transaction wrote every window counter, chosen or not.
    let receipt_xmin: String = sqlx::query_scalar("select xmin::text from ballot_receipt")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let counter_xmins: Vec<String> = sqlx::query_scalar(
        "select distinct xmin::text from ballot_tally where window_id is not null",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(counter_xmins, vec![receipt_xmin]);
}

#[sqlx::test]
async fn changes_to_the_organisation_after_voting_opens_do_not_change_the_round(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let snapshot: serde_json::Value = sqlx::query_scalar("select candidates from period")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let window = snapshot["window"]["candidates"][0].as_str().unwrap()[1..]
        .parse::<i64>()
        .unwrap();
    let staff = snapshot["staff"]["candidates"][0].as_str().unwrap()[1..]
        .parse::<i64>()
        .unwrap();
    let mut head = login_as(&app, Role::WindowHead).await;
    let (offered_windows, _) = offered(&mut head, "window").await;
    submit(
        &mut head,
        "/ballot",
        ballot("window", &[&offered_windows[0]]),
    )
    .await;
    // The admin deactivates a candidate window and moves a staff candidate elsewhere.
    let mut admin = login_as(&app, Role::Admin).await;
    admin
        .post(
            &format!("/admin/windows/{window}/active"),
            &[("active", "false")],
        )
        .await;
    sqlx::query("update staff set window_id = (select max(window_id) from service_window) where staff_id = $1")
        .bind(staff)
        .execute(&app.pool)
        .await
        .unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    for to in ["rating", "review"] {
        ducha.post("/periods/2026-Q4/phase", &[("to", to)]).await;
    }
    let results = ducha.get("/results/2026-Q4").await;
    assert_eq!(results.status, StatusCode::OK);
    let recount = ducha.get("/results/2026-Q4/recount.json").await;
    let published: serde_json::Value =
        serde_json::from_str(&ducha.get("/results/2026-Q4/results.json").await.body).unwrap();
    let recounted = pingxuan::scoring::compute_json(&recount.body).expect("still a valid recount");
    assert_eq!(serde_json::to_value(&recounted).unwrap(), published);
    assert!(
        recounted.window.candidates.contains(&format!("W{window}")),
        "the deactivated window stays in the round"
    );
}

#[sqlx::test]
async fn a_quarterly_and_an_annual_vote_run_at_once_each_named_by_its_period(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    // The annual award (which takes ballots under its default scheme) opens its vote too,
    // once the year's other nine months are in.
    for sql in [
        "insert into monthly_score (center_id, month, window_id, score) select center_id, m, window_id, 80 + window_id % 17 from service_window, unnest(array['2026-01','2026-02','2026-03','2026-04','2026-05','2026-06','2026-07','2026-08','2026-09']) m",
        "insert into monthly_score (center_id, month, staff_id, score) select center_id, m, staff_id, 80 + staff_id % 19 from staff, unnest(array['2026-01','2026-02','2026-03','2026-04','2026-05','2026-06','2026-07','2026-08','2026-09']) m",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026")]).await;
    ducha
        .post("/periods/2026/phase", &[("to", "candidates")])
        .await;
    let opened = ducha.post("/periods/2026/phase", &[("to", "voting")]).await;
    assert_eq!(
        opened.location(),
        Some("/periods/2026?notice=phase"),
        "{} {}",
        opened.status,
        opened.body
    );
    assert_eq!(phase(&app, "2026").await, "voting");
    assert_eq!(phase(&app, "2026-Q4").await, "voting");

    let mut head = login_as(&app, Role::WindowHead).await;
    let page = head.get("/ballot").await;
    assert_eq!(
        page.texts("h2.vote-period"),
        ["2026年第四季度", "2026年度"],
        "both votes, each named"
    );
    assert!(
        page.text("section#p2026-window h2")
            .contains("文明服务窗口推荐票")
    );
    assert!(
        page.text("section#window h2")
            .contains("优质服务窗口推荐票")
    );
    // A ballot of the year's vote counts in the year's counters only.
    // An empty ballot (no box ticked) is a valid one.
    let mut fields = page.form_fields("section#p2026-window form");
    fields.retain(|(k, _)| k != "c");
    let cast = head.post_fields("/ballot", &fields).await;
    assert_eq!(
        cast.location(),
        Some("/ballot?notice=voted"),
        "{} {}",
        cast.status,
        cast.text("main")
    );
    let receipts: Vec<String> = sqlx::query_scalar(
        "select p.code from ballot_receipt r join period p on p.period_id = r.period_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(receipts, ["2026"]);
    let todo = head.get("/head").await.texts(".todo-list li");
    assert_eq!(todo.len(), 4, "{todo:?}");
}

#[sqlx::test]
async fn ballots_racing_the_close_of_voting_are_counted_before_it_or_refused(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let snapshot: serde_json::Value = sqlx::query_scalar("select candidates from period")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let candidates: Vec<String> = snapshot["window"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let heads: Vec<(String, i64)> = sqlx::query_as(
        "select username, window_id from account where role = 'window_head' order by username",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    // Every head signs in and gets a token first; then all submit while the vote closes.
    let mut ready = Vec::new();
    for (username, window) in &heads {
        let mut b = Browser::new(&app);
        b.login(username, PASSWORD).await;
        let token = b.csrf().await;
        let pick = candidates
            .iter()
            .find(|c| **c != format!("W{window}"))
            .unwrap()
            .clone();
        let mut fields = vec![("_csrf".to_string(), token)];
        fields.extend(ballot("window", &[&pick]));
        ready.push((b, fields));
    }
    let mut ducha = login_as(&app, Role::Supervision).await;
    let close_token = ducha.csrf().await;
    let mut tasks = Vec::new();
    for (i, (mut b, fields)) in ready.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            if i % 3 == 0 {
                tokio::task::yield_now().await;
            }
            b.post_fields("/ballot", &fields).await.status
        }));
    }
    let close = tokio::spawn(async move {
        ducha
            .post_fields(
                "/periods/2026-Q4/phase",
                &[
                    ("_csrf".into(), close_token),
                    ("to".into(), "rating".into()),
                ],
            )
            .await
            .status
    });
    let mut accepted = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::SEE_OTHER => accepted += 1,
            StatusCode::CONFLICT => {}
            other => panic!("a ballot was answered {other}"),
        }
    }
    assert_eq!(close.await.unwrap(), StatusCode::SEE_OTHER);
    eprintln!(
        "{accepted} of {} ballots were counted before the close",
        heads.len()
    );
    let receipts = count(&app.pool, "select count(*) from ballot_receipt").await;
    let counted = count(&app.pool, "select coalesce(sum(recommendations), 0)::bigint from ballot_tally where window_id is not null").await;
    assert_eq!(
        receipts, accepted,
        "every accepted ballot has its receipt, no refused one does"
    );
    assert_eq!(
        counted, accepted,
        "each accepted ballot recommended one window, counted once"
    );
    // A ballot that reached the period row after the close saw the vote closed and was
    // refused (409, no receipt): the lock serialises them. (Receipt times cannot show this:
    // now() is when a transaction began, not when it committed.)
}

/// An electorate larger than a page: the turnout lists it a hundred heads at a time, with
/// the counts of the whole electorate on every page.
#[sqlx::test]
async fn a_large_electorate_is_listed_a_page_at_a_time(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    sqlx::query(
        "insert into account (center_id, username, display_name, password_hash, role, window_id, must_change_password)
         select w.center_id, 'extra' || w.window_id || '-' || n, '补充负责人' || n, 'x', 'window_head', w.window_id, false
           from service_window w, generate_series(1, 5) n where w.active",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into round_member (center_id, period_id, duty, account_id, window_id)
         select a.center_id, p.period_id, 'voter', a.account_id, a.window_id
           from account a join period p on p.center_id = a.center_id and p.code = '2026-Q4'
          where a.username like 'extra%'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let total = count(
        &app.pool,
        "select count(*) from round_member m join period p using (period_id) where p.code = '2026-Q4' and m.duty = 'voter'",
    )
    .await;
    assert!(total > 100, "{total}");
    let pages = (total + 99) / 100;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let first = ducha.get("/periods/2026-Q4/turnout").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.texts("tbody tr").len(), 100);
    assert!(
        first
            .text("p.muted")
            .contains(&format!("已投完两张推荐票：0 / {total} 人"))
    );
    assert!(
        first
            .text(".paging span")
            .starts_with(&format!("共 {total} 条，第 1 / {pages} 页"))
    );
    let last = ducha
        .get(&format!("/periods/2026-Q4/turnout?page={pages}"))
        .await;
    assert_eq!(
        last.texts("tbody tr").len() as i64,
        total - (pages - 1) * 100
    );
    // Every head is on exactly one page.
    let mut seen = Vec::new();
    for page in 1..=pages {
        let p = ducha
            .get(&format!("/periods/2026-Q4/turnout?page={page}"))
            .await;
        seen.extend(p.texts("tbody tr"));
    }
    assert_eq!(seen.len() as i64, total);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len() as i64, total);
}
