//! Concurrency suites of issue 6, round after round: fifty simultaneous copies of one ballot
//! store exactly one (suite 11); ballots racing the close of voting are counted before it or
//! refused (suite 11); two editors saving one score give one success and one conflict, and
//! no update is lost (suite 14). `PINGXUAN_RACE_ROUNDS` sets the rounds (default 100).

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

fn rounds() -> usize {
    std::env::var("PINGXUAN_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// The window candidates of the voting quarter.
async fn window_candidates(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "select jsonb_array_elements_text(candidates -> 'window' -> 'candidates') from period where code = '2026-Q4'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn reset_votes(app: &TestApp) {
    for sql in [
        "delete from ballot_receipt",
        "update ballot_tally set recommendations = 0",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
}

fn ballot(token: &str, chosen: &[&str]) -> Vec<(String, String)> {
    let mut f = vec![
        ("_csrf".to_string(), token.to_string()),
        ("kind".to_string(), "window".to_string()),
        ("period".to_string(), "2026-Q4".to_string()),
    ];
    f.extend(chosen.iter().map(|c| ("c".to_string(), c.to_string())));
    f
}

#[sqlx::test]
async fn fifty_copies_of_one_ballot_store_exactly_one_in_every_round(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let mut head = login_as(&app, Role::WindowHead).await;
    let own: i64 = sqlx::query_scalar("select window_id from account where username = 'head01'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let chosen: Vec<String> = window_candidates(&app)
        .await
        .into_iter()
        .filter(|c| *c != format!("W{own}"))
        .take(3)
        .collect();
    let token = head.csrf().await;
    let fields = ballot(
        &token,
        &chosen.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let rounds = rounds();
    let mut exact = 0;
    for round in 0..rounds {
        reset_votes(&app).await;
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let mut b = head.clone();
            let f = fields.clone();
            tasks.push(tokio::spawn(async move {
                b.post_fields("/ballot", &f).await.status
            }));
        }
        for t in tasks {
            let status = t.await.unwrap();
            assert!(
                status == StatusCode::SEE_OTHER || status == StatusCode::CONFLICT,
                "round {round}: {status}"
            );
        }
        let receipts = count(&app.pool, "select count(*) from ballot_receipt").await;
        let counted = count(
            &app.pool,
            "select coalesce(sum(recommendations), 0)::bigint from ballot_tally",
        )
        .await;
        assert_eq!((receipts, counted), (1, 3), "round {round}");
        exact += 1;
    }
    eprintln!("exactly one ballot stored in {exact}/{rounds} rounds of 50 submissions");
}

#[sqlx::test]
async fn ballots_racing_the_close_are_counted_before_it_or_refused_in_every_round(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    // The rounds reopen the vote by hand, which the database itself forbids.
    sqlx::query("alter table period disable trigger period_locked")
        .execute(&app.pool)
        .await
        .unwrap();
    let candidates = window_candidates(&app).await;
    let heads: Vec<(String, i64)> = sqlx::query_as(
        "select username, window_id from account where role = 'window_head' order by username limit 8",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
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
        ready.push((b, ballot(&token, &[&pick])));
    }
    let mut ducha = login_as(&app, Role::Supervision).await;
    let close_token = ducha.csrf().await;
    let rounds = rounds();
    let (mut accepted_total, mut refused_total) = (0, 0);
    for round in 0..rounds {
        reset_votes(&app).await;
        sqlx::query("update period set phase = 'voting' where code = '2026-Q4'")
            .execute(&app.pool)
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for (i, (b, fields)) in ready.iter().enumerate() {
            let mut b = b.clone();
            let fields = fields.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..(i + round) % 4 {
                    tokio::task::yield_now().await;
                }
                b.post_fields("/ballot", &fields).await.status
            }));
        }
        let mut closer = ducha.clone();
        let token = close_token.clone();
        let close = tokio::spawn(async move {
            closer
                .post_fields(
                    "/periods/2026-Q4/phase",
                    &[("_csrf".into(), token), ("to".into(), "rating".into())],
                )
                .await
                .status
        });
        let mut accepted = 0;
        for t in tasks {
            match t.await.unwrap() {
                StatusCode::SEE_OTHER => accepted += 1,
                StatusCode::CONFLICT => refused_total += 1,
                other => panic!("round {round}: a ballot was answered {other}"),
            }
        }
        assert_eq!(close.await.unwrap(), StatusCode::SEE_OTHER, "round {round}");
        let receipts = count(&app.pool, "select count(*) from ballot_receipt").await;
        let counted = count(
            &app.pool,
            "select coalesce(sum(recommendations), 0)::bigint from ballot_tally",
        )
        .await;
        assert_eq!(receipts, accepted, "round {round}: receipts = accepted");
        assert_eq!(counted, accepted, "round {round}: counted = accepted");
        accepted_total += accepted;
    }
    eprintln!(
        "{rounds} rounds: {accepted_total} ballots counted before the close, {refused_total} refused after it, 0 counted after it"
    );
}

#[sqlx::test]
async fn two_editors_of_one_score_give_one_save_and_one_conflict_in_every_round(pool: PgPool) {
    let app = spawn(pool).await;
    let mut one = login_as(&app, Role::Supervision).await;
    let mut two = Browser::new(&app);
    two.login("ducha2", PASSWORD).await;
    let window: i64 = sqlx::query_scalar(
        "select w.window_id from service_window w join account a on a.center_id = w.center_id
         where a.username = 'ducha' and w.number = '1'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let url = "/scores/2027-02?tab=windows";
    let cell = format!("c{window}");
    let rounds = rounds();
    let mut lost = 0;
    for round in 0..rounds {
        let mut first = one.get(url).await.form_fields("form.score-grid");
        let mut second = two.get(url).await.form_fields("form.score-grid");
        let (a, b) = (
            format!("{}.25", 60 + round % 30),
            format!("{}.75", 60 + round % 30),
        );
        set_field(&mut first, &cell, &a);
        set_field(&mut second, &cell, &b);
        let (mut p, mut q) = (one.clone(), two.clone());
        let t1 = tokio::spawn(async move { p.post_fields(url, &first).await.status });
        let t2 = tokio::spawn(async move { q.post_fields(url, &second).await.status });
        let (s1, s2) = (t1.await.unwrap(), t2.await.unwrap());
        let saved: String = sqlx::query_scalar(
            "select score::text from monthly_score where month = '2027-02' and window_id = $1",
        )
        .bind(window)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        match (s1, s2) {
            (StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY) => {
                lost += usize::from(saved != a)
            }
            (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::SEE_OTHER) => {
                lost += usize::from(saved != b)
            }
            other => panic!("round {round}: {other:?}"),
        }
    }
    assert_eq!(lost, 0, "lost updates");
    eprintln!("{rounds} rounds: 1 save and 1 conflict each, 0 lost updates");
}
