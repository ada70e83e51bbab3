//! A whole quarter through the pages, as the four roles live it: scores typed, duty days,
//! a veto, candidates confirmed, every head voting, every member rating, a tie decided by
//! the group leader, publication, and the published winners checked against the scoring
//! module's recount of the exported data. Run in one process (`tests/quarter.rs`) and
//! through nginx in front of three (`tests/cluster.rs`).

use super::*;
use pingxuan::domain::Role;
use pingxuan::scoring;

const PERIOD: &str = "2026-Q4";

async fn ids(app: &TestApp, sql: &str) -> Vec<i64> {
    sqlx::query_scalar(sql).fetch_all(&app.pool).await.unwrap()
}

/// The quarter 2026-Q4 of the demo center, from its opening to its published winners.
pub async fn a_whole_quarter(app: &TestApp) {
    let app = app.clone();
    let mut ducha = login_as(&app, Role::Supervision).await;
    assert_eq!(
        ducha.post("/periods", &[("code", "2026-Q4")]).await.status,
        StatusCode::SEE_OTHER
    );

    // Scores: windows 1-4 score 99-96, windows 5 and 6 tie at 95, the rest lower; every
    // staff member 90 + a little by employee number; typed month by month in the grid.
    let windows = ids(
        &app,
        "select window_id from service_window where center_id = (select center_id from center where code = 'shifan') order by number::int",
    )
    .await;
    for month in ["2026-10", "2026-11", "2026-12"] {
        let url = format!("/scores/{month}?tab=windows");
        let mut fields = ducha.get(&url).await.form_fields("form.score-grid");
        for (i, w) in windows.iter().enumerate() {
            let score = match i {
                0..=3 => 99 - i as i64,
                4 | 5 => 95,
                _ => 80 + (i as i64 % 10),
            };
            set_field(&mut fields, &format!("c{w}"), &score.to_string());
        }
        assert_eq!(
            ducha.post_fields(&url, &fields).await.status,
            StatusCode::SEE_OTHER,
            "{month}"
        );
        let url = format!("/scores/{month}?tab=staff");
        let mut fields = ducha.get(&url).await.form_fields("form.score-grid");
        let cells: Vec<String> = fields
            .iter()
            .filter(|(k, _)| k.starts_with('c'))
            .map(|(k, _)| k.clone())
            .collect();
        for (i, c) in cells.iter().enumerate() {
            set_field(&mut fields, c, &format!("{}.{}", 85 + i % 14, (i * 7) % 10));
        }
        assert_eq!(
            ducha.post_fields(&url, &fields).await.status,
            StatusCode::SEE_OTHER,
            "{month} staff"
        );
    }
    // Duty days: everyone 62, one person on leave.
    let url = "/periods/2026-Q4/duty-days";
    let mut fields = ducha.get(url).await.form_fields("form.score-grid");
    let cells: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k.starts_with('c'))
        .map(|(k, _)| k.clone())
        .collect();
    for (i, c) in cells.iter().enumerate() {
        set_field(&mut fields, c, if i == 3 { "41" } else { "62" });
    }
    assert_eq!(
        ducha.post_fields(url, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    // A veto on window 9.
    let v = ducha
        .post(
            "/periods/2026-Q4/vetoes",
            &[
                ("target", &format!("w{}", windows[8])),
                ("code", "verified_complaint"),
                ("occurred_on", "2026-11-20"),
                ("description", "群众投诉经查证属实"),
                ("evidence", ""),
            ],
        )
        .await;
    assert_eq!(v.status, StatusCode::SEE_OTHER);
    for to in ["candidates", "voting"] {
        assert_eq!(
            ducha
                .post("/periods/2026-Q4/phase", &[("to", to)])
                .await
                .location(),
            Some("/periods/2026-Q4?notice=phase"),
            "{to}"
        );
    }

    // Every head casts both ballots, recommending nobody (so D is 0 for all).
    let heads: Vec<String> = sqlx::query_scalar(
        "select username from account where role = 'window_head' and center_id = (select center_id from center where code = 'shifan') order by username",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for h in &heads {
        let mut b = Browser::new(&app);
        b.login(h, PASSWORD).await;
        for kind in ["window", "staff"] {
            let token = b.csrf().await;
            let page = b
                .post_fields(
                    "/ballot",
                    &[
                        ("_csrf".into(), token),
                        ("kind".into(), kind.into()),
                        ("period".into(), PERIOD.into()),
                    ],
                )
                .await;
            assert_eq!(page.location(), Some("/ballot?notice=voted"), "{h} {kind}");
        }
    }
    assert_eq!(
        ducha
            .post("/periods/2026-Q4/phase", &[("to", "rating")])
            .await
            .location(),
        Some("/periods/2026-Q4?notice=phase")
    );

    // Every member rates every candidate 90.
    let members: Vec<String> = sqlx::query_scalar(
        "select username from account where role = 'leadership' and center_id = (select center_id from center where code = 'shifan') order by username",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for m in &members {
        let mut b = Browser::new(&app);
        b.login(m, PASSWORD).await;
        let mut fields = b.get("/ratings").await.form_fields("form.score-grid");
        for f in fields.iter_mut().filter(|(k, _)| k.starts_with('r')) {
            f.1 = "90".into();
        }
        assert_eq!(
            b.post_fields("/ratings", &fields).await.location(),
            Some("/ratings?notice=saved"),
            "{m}"
        );
    }
    assert_eq!(
        ducha
            .post("/periods/2026-Q4/phase", &[("to", "review")])
            .await
            .location(),
        Some("/periods/2026-Q4?notice=phase")
    );

    // Publication is the group leader's: the supervision office cannot publish, nor can a
    // member of the leadership group who is not its leader.
    assert_eq!(
        ducha
            .post("/periods/2026-Q4/phase", &[("to", "published")])
            .await
            .location(),
        Some("/periods/2026-Q4?notice=phase_unchanged")
    );
    let mut member = Browser::new(&app);
    member.login("yewuke", PASSWORD).await;
    assert_eq!(
        member.post("/results/2026-Q4/publish", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(phase(&app, "2026-Q4").await, "review");

    // Windows 5 and 6 tie across the boundary: publication waits for the group leader's
    // decision.
    let mut leader = Browser::new(&app);
    leader.login("zuzhang", PASSWORD).await;
    let results = leader.get("/results/2026-Q4").await;
    assert_eq!(results.status, StatusCode::OK);
    assert!(results.text("#window .notice").starts_with("并列待定"));
    let refused = leader.post("/results/2026-Q4/publish", &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text("#publish .form-error").contains("并列待定"));
    assert_eq!(phase(&app, "2026-Q4").await, "review");
    let w6 = format!("W{}", windows[5]);
    let token = leader.csrf().await;
    let decided = leader
        .post_fields(
            "/results/2026-Q4/decision",
            &[
                ("_csrf".into(), token),
                ("kind".into(), "window".into()),
                ("period".into(), PERIOD.into()),
                ("chosen".into(), w6.clone()),
                (
                    "reason".into(),
                    "领导小组审定：该窗口本季度群众满意度更高".into(),
                ),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    // The confirmation page lists exactly who will be on the honor roll.
    let confirm = leader.get("/results/2026-Q4/publish").await;
    assert_eq!(confirm.status, StatusCode::OK);
    let listed = confirm.texts(".winner-list li");
    assert_eq!(listed.len(), 15, "5 windows and 10 staff: {listed:?}");
    assert!(listed.iter().any(|n| n.contains("6号窗口")), "{listed:?}");
    assert_eq!(phase(&app, "2026-Q4").await, "review");
    let confirmed = confirm
        .input_value("confirmed")
        .expect("the confirmed list");
    // A list that is not the one now computed (changed since the page was read, say) is
    // shown again, updated, and nothing is published.
    let stale = leader
        .post("/results/2026-Q4/publish", &[("confirmed", "W1,W2|S1")])
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.text("#publish .notice").contains("发生了变化"));
    assert_eq!(
        stale.input_value("confirmed").as_deref(),
        Some(confirmed.as_str())
    );
    assert_eq!(phase(&app, "2026-Q4").await, "review");
    // Eight clicks at once (two tabs, an impatient hand): published exactly once.
    let token = leader.csrf().await;
    let clicks = (0..8).map(|_| {
        let mut b = leader.clone();
        let fields = vec![
            ("_csrf".to_string(), token.clone()),
            ("confirmed".to_string(), confirmed.clone()),
        ];
        tokio::spawn(async move { b.post_fields("/results/2026-Q4/publish", &fields).await })
    });
    let mut locations = Vec::new();
    for c in clicks {
        locations.push(c.await.unwrap().location().map(str::to_string));
    }
    let published = locations
        .iter()
        .filter(|l| l.as_deref() == Some("/results/2026-Q4?notice=published"))
        .count();
    let already = locations
        .iter()
        .filter(|l| l.as_deref() == Some("/results/2026-Q4"))
        .count();
    assert_eq!((published, already), (1, 7), "{locations:?}");
    assert_eq!(phase(&app, "2026-Q4").await, "published");
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.publish' and entity_id = '2026-Q4'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from honor h join period p using (period_id) where p.code = '2026-Q4'"
        )
        .await,
        15
    );

    // The exports: compute of the recount is exactly the published results.
    let recount = ducha.get("/results/2026-Q4/recount.json").await;
    assert_eq!(recount.status, StatusCode::OK);
    assert!(
        !recount.body.contains("\"ballots\": [\n    {"),
        "no individual ballot is exported"
    );
    let published: serde_json::Value =
        serde_json::from_str(&ducha.get("/results/2026-Q4/results.json").await.body).unwrap();
    let recounted = scoring::compute_json(&recount.body).expect("the recount is accepted");
    assert_eq!(serde_json::to_value(&recounted).unwrap(), published);
    let expected: Vec<String> = [0usize, 1, 2, 3]
        .iter()
        .map(|i| format!("W{}", windows[*i]))
        .chain([w6])
        .collect();
    assert_eq!(recounted.window.winners, expected);
    assert_eq!(recounted.window.decided.len(), 1);
    assert_eq!(recounted.staff.winners.len(), 10);
    let vetoed = recounted
        .window
        .entrants
        .iter()
        .find(|e| e.id == format!("W{}", windows[8]))
        .unwrap();
    assert!(!vetoed.eligible);
    // Published is final: the phase cannot move, the months stay locked.
    assert!(
        ducha
            .get("/scores/2026-11")
            .await
            .text(".notice")
            .contains("已锁定")
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.publish' and entity_id = '2026-Q4'"
        )
        .await,
        1
    );
}
