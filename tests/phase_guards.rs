//! Every write of the round, tried in every phase: it changes rows only in its own phase,
//! and elsewhere is refused with a page that says so.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

/// A fingerprint of the round's tables.
async fn round_rows(app: &TestApp) -> String {
    let mut out = String::new();
    for table in [
        "monthly_score",
        "duty_days",
        "veto",
        "ballot_receipt",
        "ballot_tally",
        "rating",
        "tie_decision",
        "period_correction",
    ] {
        let sum: Option<String> = sqlx::query_scalar(&format!(
            "select md5(string_agg(t::text, ',' order by t::text)) from {table} t"
        ))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        out.push_str(&format!("{table}:{}|", sum.unwrap_or_default()));
    }
    out
}

#[sqlx::test]
async fn writes_change_rows_only_in_their_own_phase(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    // This test puts the period in each phase by hand, backwards too, to check the
    // application's own guards; the database's guard of phase moves is tested elsewhere.
    sqlx::query("alter table period disable trigger period_locked")
        .execute(&app.pool)
        .await
        .unwrap();
    let window: i64 =
        sqlx::query_scalar("select window_id from service_window where number = '12'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let staff: i64 = sqlx::query_scalar("select min(staff_id) from staff")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let candidate: String =
        sqlx::query_scalar("select candidates #>> '{window,candidates,0}' from period")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    let mut member = login_as(&app, Role::Leadership).await;
    let mut problems = Vec::new();
    for (step, phase) in [
        "entry",
        "candidates",
        "voting",
        "rating",
        "review",
        "published",
    ]
    .iter()
    .enumerate()
    {
        sqlx::query("update period set phase = $1, published_at = case when $1 = 'published' then now() end")
            .bind(phase)
            .execute(&app.pool)
            .await
            .unwrap();
        // The phase is set by hand here, so the raters are fixed by hand as rating opens.
        sqlx::query(
            "insert into round_member (center_id, period_id, duty, account_id)
             select a.center_id, p.period_id, 'rater', a.account_id from account a, period p
             where $1 = 'rating' and a.role = 'leadership' and a.active on conflict do nothing",
        )
        .bind(phase)
        .execute(&app.pool)
        .await
        .unwrap();
        let value = format!("{}", 80 + step);
        // (what, allowed in phases, request)
        let mut tries: Vec<(&str, &[&str], Page)> = Vec::new();
        let mut fields = ducha
            .get("/scores/2026-10?tab=windows")
            .await
            .form_fields("form.score-grid");
        set_field(&mut fields, &format!("c{window}"), &value);
        tries.push((
            "monthly score",
            &["entry", "candidates"],
            ducha
                .post_fields("/scores/2026-10?tab=windows", &fields)
                .await,
        ));
        let mut fields = ducha
            .get("/periods/2026-Q4/duty-days")
            .await
            .form_fields("form.score-grid");
        set_field(&mut fields, &format!("c{staff}"), &value);
        tries.push((
            "duty days",
            &["entry", "candidates"],
            ducha
                .post_fields("/periods/2026-Q4/duty-days", &fields)
                .await,
        ));
        let veto = ducha
            .post(
                "/periods/2026-Q4/vetoes",
                &[
                    ("target", &format!("w{window}")),
                    ("code", "disciplinary"),
                    ("occurred_on", "2026-10-09"),
                    ("description", &value),
                    ("evidence", ""),
                ],
            )
            .await;
        tries.push(("veto", &["entry", "candidates"], veto));
        let mut head = Browser::new(&app);
        head.login(&format!("head{:02}", step + 1), PASSWORD).await;
        let token = head.csrf().await;
        let ballot = head
            .post_fields(
                "/ballot",
                &[
                    ("_csrf".into(), token),
                    ("kind".into(), "window".into()),
                    ("period".into(), "2026-Q4".into()),
                ],
            )
            .await;
        tries.push(("ballot", &["voting"], ballot));
        let token = member.csrf().await;
        let rating = member
            .post_fields(
                "/ratings",
                &[
                    ("_csrf".into(), token),
                    (format!("r{candidate}"), value.clone()),
                ],
            )
            .await;
        tries.push(("rating", &["rating"], rating));
        for (what, allowed, page) in tries {
            let ok = page.status == StatusCode::SEE_OTHER;
            if allowed.contains(phase) != ok {
                problems.push(format!("{what} in {phase}: {}", page.status));
            }
            if !ok && page.status.is_server_error() {
                problems.push(format!("{what} in {phase}: server error"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[sqlx::test]
async fn a_refused_write_changes_no_row(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    sqlx::query("update period set phase = 'rating'")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update period set phase = 'review'")
        .execute(&app.pool)
        .await
        .unwrap();
    let before = round_rows(&app).await;
    let window: i64 =
        sqlx::query_scalar("select window_id from service_window where number = '12'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    let mut fields = ducha
        .get("/scores/2026-10?tab=windows")
        .await
        .form_fields("form.score-grid");
    set_field(&mut fields, &format!("c{window}"), "91");
    assert_eq!(
        ducha
            .post_fields("/scores/2026-10?tab=windows", &fields)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    ducha
        .post(
            "/periods/2026-Q4/vetoes",
            &[
                ("target", &format!("w{window}")),
                ("code", "disciplinary"),
                ("occurred_on", "2026-10-09"),
                ("description", "x"),
                ("evidence", ""),
            ],
        )
        .await;
    let mut head = login_as(&app, Role::WindowHead).await;
    let token = head.csrf().await;
    head.post_fields(
        "/ballot",
        &[
            ("_csrf".into(), token),
            ("kind".into(), "window".into()),
            ("period".into(), "2026-Q4".into()),
        ],
    )
    .await;
    let mut member = login_as(&app, Role::Leadership).await;
    let candidate: String =
        sqlx::query_scalar("select candidates #>> '{window,candidates,0}' from period")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let token = member.csrf().await;
    member
        .post_fields(
            "/ratings",
            &[
                ("_csrf".into(), token),
                (format!("r{candidate}"), "90".into()),
            ],
        )
        .await;
    assert_eq!(round_rows(&app).await, before);
}
