//! Changes after the candidates are confirmed: a score of a locked month is corrected only
//! with a reason, and every round using the month is recomputed (or the correction is
//! refused when it cannot be); and the database itself refuses to change locked or
//! published data any other way.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use pingxuan::scoring;
use sqlx::PgPool;

const GRID: &str = "/scores/2026-10?tab=windows";
const CORRECT: &str = "/scores/2026-10?tab=windows&mode=correct";

async fn score(app: &TestApp, month: &str, column: &str, id: i64) -> String {
    sqlx::query_scalar(&format!(
        "select score::text from monthly_score where month = $1 and {column} = $2"
    ))
    .bind(month)
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// The window candidates the period confirmed, and the windows that are not candidates.
async fn window_candidates(app: &TestApp) -> (Vec<i64>, Vec<i64>) {
    let candidates: Vec<i64> = sqlx::query_scalar(
        "select substr(c, 2)::bigint from period, jsonb_array_elements_text(candidates -> 'window' -> 'candidates') c
         where code = '2026-Q4'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let others: Vec<i64> = sqlx::query_scalar(
        "select w.window_id from service_window w join monthly_score m using (window_id)
         where m.month = '2026-10' and not w.window_id = any($1) order by m.score, w.window_id",
    )
    .bind(&candidates)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    (candidates, others)
}

fn with_reason(mut fields: Vec<(String, String)>, reason: &str) -> Vec<(String, String)> {
    fields.retain(|(k, _)| k != "reason");
    fields.push(("reason".into(), reason.into()));
    fields
}

#[sqlx::test]
async fn a_locked_score_is_corrected_only_with_a_reason_and_the_open_round_follows(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let (candidates, _) = window_candidates(&app).await;
    let w = candidates[candidates.len() - 1];
    let was = score(&app, "2026-10", "window_id", w).await;

    // The locked grid is read-only and offers a correction.
    let page = ducha.get(GRID).await;
    assert!(page.text(".notice").contains("更正分数"));
    assert!(
        page.body
            .contains(&format!("id=\"c{w}\" name=\"c{w}\" value=\"{was}\""))
    );
    assert!(page.body.contains("readonly"));
    assert!(page.body.contains("mode=correct"));

    // A plain save of a locked month is refused.
    let mut fields = page.form_fields("form.score-grid");
    set_field(&mut fields, &format!("c{w}"), "100");
    let refused = ducha.post_fields(GRID, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text(".error-summary").contains("不能直接修改"));

    // In correction mode a reason is required; the typed score is kept.
    let page = ducha.get(CORRECT).await;
    assert!(!page.body.contains("readonly"));
    let mut fields = page.form_fields("form.score-grid");
    set_field(&mut fields, &format!("c{w}"), "100");
    let before = checksum(&app.pool).await;
    let no_reason = ducha
        .post_fields(CORRECT, &with_reason(fields.clone(), "  "))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text(".error-summary").contains("更正理由"));
    assert_eq!(
        no_reason.field_error("reason").as_deref(),
        Some("此项不能为空")
    );
    assert_eq!(
        no_reason.input_value(&format!("c{w}")).as_deref(),
        Some("100")
    );
    assert_eq!(checksum(&app.pool).await, before);

    // The candidates page shows the round as confirmed (and this process keeps the round
    // it has computed from the frozen input).
    let label: String = sqlx::query_scalar(
        "select number || '号窗口 ' || name from service_window where window_id = $1",
    )
    .bind(w)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let listed_assessment = async |ducha: &mut Browser| {
        let page = ducha.get("/periods/2026-Q4/candidates").await;
        let names = page.texts("#window tbody tr td:nth-child(2)");
        let values = page.texts("#window tbody tr td:nth-child(4)");
        let at = names.iter().position(|n| *n == label).expect("listed");
        values[at].clone()
    };
    let listed_before = listed_assessment(&mut ducha).await;
    assert!(!listed_before.is_empty());

    // A head's ballot shows the candidate's assessment as confirmed (and this process
    // keeps the candidates it has read).
    let mut head = login_as(&app, Role::WindowHead).await;
    let on_ballot = format!("label[for=\"window-W{w}\"]");
    let shown = head.get("/ballot").await.text(&on_ballot);
    assert!(shown.contains("考核"), "{shown}");

    // With a reason: the score, its correction, the audit rows and the frozen round.
    let done = ducha
        .post_fields(CORRECT, &with_reason(fields, "复核服务记录，原录入有误"))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location().unwrap().contains("notice=corrected_scores"));
    assert_eq!(score(&app, "2026-10", "window_id", w).await, "100.00");
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from score_correction where periods = '{2026-Q4}' and score_after = 100 and reason = '复核服务记录，原录入有误'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'monthly_score.correction' and after ->> 'reason' = '复核服务记录，原录入有误'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.round_corrected' and entity_id = '2026-Q4'"
        )
        .await,
        1
    );
    let frozen: String = sqlx::query_scalar(
        "select e -> 'scores' ->> '2026-10' from period, jsonb_array_elements(frozen_input -> 'windows') e
         where code = '2026-Q4' and e ->> 'id' = $1",
    )
    .bind(format!("W{w}"))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(frozen.parse::<f64>().unwrap(), 100.0);
    let assessment: String = sqlx::query_scalar(
        "select e ->> 'assessment' from period, jsonb_array_elements(candidates -> 'window' -> 'entrants') e
         where code = '2026-Q4' and e ->> 'id' = $1",
    )
    .bind(format!("W{w}"))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // A is the mean of the quarter's three months, of which only October changed.
    let x: f64 = was.parse().unwrap();
    assert_eq!(assessment, format!("{:.2}", (100.0 + 2.0 * x) / 3.0));
    // So does the candidates page, not the kept round.
    assert_eq!(listed_assessment(&mut ducha).await, assessment);
    assert_ne!(listed_before, assessment);
    // The ballot the head opens next shows the corrected assessment, not the kept one.
    let now = head.get("/ballot").await.text(&on_ballot);
    assert!(now.ends_with(&format!("考核 {assessment}")), "{now}");
    assert_ne!(now, shown);
    let listed = ducha.get(GRID).await.text("#corrections tbody tr");
    assert!(
        listed.contains(&was) && listed.contains("100.00") && listed.contains("原录入有误"),
        "{listed}"
    );
    assert_eq!(
        count(&app.pool, "select count(*) from period_correction").await,
        0,
        "an unpublished period gets no result correction"
    );
}

#[sqlx::test]
async fn a_correction_that_would_change_the_candidates_during_voting_changes_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    voting_quarter(&app).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let (candidates, others) = window_candidates(&app).await;
    // The best of the others: 100 in October lifts its mean over the candidates' line.
    let outsider = *others.last().unwrap();
    let before = checksum(&app.pool).await;

    let mut fields = ducha.get(CORRECT).await.form_fields("form.score-grid");
    set_field(&mut fields, &format!("c{outsider}"), "100");
    let refused = ducha
        .post_fields(CORRECT, &with_reason(fields, "补录"))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = refused.text(".error-summary");
    assert!(
        msg.contains("将成为候选对象")
            && msg.contains("2026年第四季度")
            && msg.contains("民主推荐"),
        "{msg}"
    );
    assert_eq!(
        refused.input_value(&format!("c{outsider}")).as_deref(),
        Some("100")
    );
    assert_eq!(checksum(&app.pool).await, before);

    // Nor can a locked score be cleared.
    let mut fields = ducha.get(CORRECT).await.form_fields("form.score-grid");
    set_field(&mut fields, &format!("c{}", candidates[0]), "");
    let refused = ducha
        .post_fields(CORRECT, &with_reason(fields, "删除"))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text(".error-summary").contains("不能清空"));
    assert_eq!(checksum(&app.pool).await, before);
}

#[sqlx::test]
async fn a_score_corrected_after_publication_recomputes_the_winners_and_shows_both(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    demo_city_types_totals(&app).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let before: serde_json::Value =
        serde_json::from_str(&ducha.get("/results/2026-Q2/results.json").await.body).unwrap();
    let winner = before["staff"]["winners"][0].as_str().unwrap().to_string();
    let staff_id: i64 = winner[1..].parse().unwrap();
    let window: i64 = sqlx::query_scalar("select window_id from staff where staff_id = $1")
        .bind(staff_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();

    // The top staff member's April score was typed 30 points too high.
    let url = format!("/scores/2026-04?tab=staff&window={window}&mode=correct");
    let mut fields = ducha.get(&url).await.form_fields("form.score-grid");
    set_field(&mut fields, &format!("c{staff_id}"), "60");
    let done = ducha
        .post_fields(&url, &with_reason(fields, "4月扣分漏录，经复核更正"))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(score(&app, "2026-04", "staff_id", staff_id).await, "60.00");

    let after: serde_json::Value =
        serde_json::from_str(&ducha.get("/results/2026-Q2/results.json").await.body).unwrap();
    let winners: Vec<&str> = after["staff"]["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!winners.contains(&winner.as_str()), "{after}");
    assert_eq!(winners.len(), 10);
    // The stored recount still reproduces the stored results.
    let recount = ducha.get("/results/2026-Q2/recount.json").await.body;
    let recomputed = scoring::compute_json(&recount).unwrap();
    assert_eq!(
        serde_json::to_value(&recomputed).unwrap(),
        after,
        "the recount file reproduces the corrected results"
    );

    let page = ducha.get("/results/2026-Q2").await;
    let row = page.text("#corrections tbody tr");
    assert!(
        row.contains("更正月度考核分数")
            && row.contains("2026年4月")
            && row.contains("60.00")
            && row.contains("4月扣分漏录"),
        "{row}"
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from score_correction where periods = '{2026-Q2}'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.correction' and entity_id = '2026-Q2'"
        )
        .await,
        1
    );

    // Corrections are append-only.
    for sql in [
        "update score_correction set reason = 'x'",
        "delete from score_correction",
        "update period_correction set reason = 'x'",
        "delete from period_correction",
    ] {
        assert!(sqlx::query(sql).execute(&app.pool).await.is_err(), "{sql}");
    }
}

#[sqlx::test]
async fn the_database_refuses_to_change_locked_or_published_data_without_a_correction(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    demo_city_types_totals(&app).await;
    let before = checksum(&app.pool).await;
    let refused = [
        "update monthly_score set score = 50 where month = '2026-04'",
        "delete from monthly_score where month = '2026-05'",
        "insert into monthly_score (center_id, month, window_id, score)
         select center_id, '2026-06', window_id, 90 from service_window
         where center_id = (select center_id from period where code = '2026-Q2')
         on conflict do nothing",
        "update period set results = '{}' where code = '2026-Q2'",
        "update period set phase = 'review', published_at = null where code = '2026-Q2'",
        "delete from period where code = '2026-Q2'",
        "update ballot_tally set recommendations = recommendations + 1 where period_id = (select period_id from period where code = '2026-Q2')",
        "delete from rating where period_id = (select period_id from period where code = '2026-Q2')",
        "delete from tie_decision",
        "update duty_days set days = 1 where period_id = (select period_id from period where code = '2026-Q2')",
        "delete from ballot_receipt where period_id = (select period_id from period where code = '2026-Q2')",
        "insert into veto (center_id, period_id, window_id, code, occurred_on, description, created_by)
         select center_id, period_id, (select min(window_id) from service_window), 'overdue_case', '2026-05-01', 'x', 1
         from period where code = '2026-Q2'",
    ];
    for sql in refused {
        let err = sqlx::query(sql)
            .execute(&app.pool)
            .await
            .expect_err(sql)
            .to_string();
        assert!(
            [
                "is locked",
                "is published",
                "published;",
                "published period"
            ]
            .iter()
            .any(|m| err.contains(m)),
            "{sql}: {err}"
        );
    }
    assert_eq!(checksum(&app.pool).await, before);
    for (sql, expected) in [
        (
            "update period set candidates = '{}' where code = '2026-Q3'",
            "changes only by a score correction",
        ),
        // Moving back unlocks nothing: from voting on, a period only moves forward.
        (
            "update period set phase = 'entry' where code = '2026-Q3'",
            "only move on to the next phase",
        ),
        (
            "update period set phase = 'published', published_at = now(), results = '{}', recount = '{}' where code = '2026-Q3'",
            "only move on to the next phase",
        ),
        ("truncate monthly_score", "cannot be truncated"),
        ("truncate ballot_tally cascade", "cannot be truncated"),
        ("truncate rating", "cannot be truncated"),
        ("truncate honor", "append-only"),
    ] {
        let err = sqlx::query(sql)
            .execute(&app.pool)
            .await
            .expect_err(sql)
            .to_string();
        assert!(err.contains(expected), "{sql}: {err}");
    }
    assert_eq!(checksum(&app.pool).await, before);

    // The same change goes through when its correction is recorded in the same transaction.
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query(
        "insert into score_correction (center_id, month, window_id, score_before, score_after, reason, periods, made_by)
         select m.center_id, m.month, m.window_id, m.score, 50, '复核', '{2026-Q2}', 1
         from monthly_score m where m.month = '2026-04' and m.window_id = (select min(window_id) from service_window)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "update monthly_score set score = 50 where month = '2026-04' and window_id = (select min(window_id) from service_window)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // An earlier correction is no licence for another change, not even to the same score.
    let err = sqlx::query(
        "update monthly_score set score = 50 where month = '2026-04' and window_id = (select min(window_id) from service_window)",
    )
    .execute(&app.pool)
    .await
    .expect_err("a second change without its own correction")
    .to_string();
    assert!(err.contains("needs a score correction"), "{err}");
}

#[sqlx::test]
async fn a_correction_that_undoes_a_decided_tie_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    demo_city_types_totals(&app).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    // Windows 5 and 6 tied for the last place in 2026-Q2 and the group leader chose one.
    let w6: i64 = sqlx::query_scalar(
        "select w.window_id from service_window w join period p using (center_id)
         where p.code = '2026-Q2' and w.number = '6'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let april: String = score(&app, "2026-04", "window_id", w6).await;
    let raised = format!("{:.2}", (april.parse::<f64>().unwrap() + 3.0).min(100.0));
    let url = "/scores/2026-04?tab=windows&mode=correct";
    let mut fields = ducha.get(url).await.form_fields("form.score-grid");
    set_field(&mut fields, &format!("c{w6}"), &raised);
    let before = checksum(&app.pool).await;
    let refused = ducha.post_fields(url, &with_reason(fields, "复核")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = refused.text(".error-summary");
    assert!(
        msg.contains("无法重新计算") && msg.contains("2026年第二季度"),
        "{msg}"
    );
    assert_eq!(checksum(&app.pool).await, before);
}
