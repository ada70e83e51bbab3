//! Opening a period and moving it through its phases, each move confirmed and audited.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

#[sqlx::test]
async fn the_supervision_office_opens_a_quarter_with_a_copy_of_its_scheme(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let page = ducha.post("/periods", &[("code", "2026-Q4")]).await;
    assert_eq!(page.location(), Some("/periods/2026-Q4?notice=created"));
    let months: Vec<String> =
        sqlx::query_scalar("select months from period where code = '2026-Q4'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(months, vec!["2026-10", "2026-11", "2026-12"]);
    // Later edits of the scheme do not change the period.
    sqlx::query("update scheme set rules = jsonb_set(rules, '{min_duty_days}', '30') where period_kind = 'quarter'")
        .execute(&app.pool)
        .await
        .unwrap();
    let show = ducha.get("/periods/2026-Q4").await;
    assert_eq!(show.text("h1"), "2026年第四季度");
    assert!(
        show.texts(".facts dd")
            .contains(&"工作人员在岗不少于 60 天".to_string())
    );
    assert_eq!(show.text(".phasebar li.current"), "考核录入");
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.create'"
        )
        .await,
        1
    );
    // The same period twice, or a malformed code, is refused beside the field.
    let dup = ducha.post("/periods", &[("code", "2026-Q4")]).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.text(".form-error"), "该评选周期已存在");
    for bad in ["2026-Q5", "2026年", "", "2026-1"] {
        let page = ducha.post("/periods", &[("code", bad)]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            page.text(".form-error").starts_with("周期编号应如"),
            "{bad}"
        );
    }
    assert_eq!(count(&app.pool, "select count(*) from period").await, 1);
}

#[sqlx::test]
async fn a_phase_moves_after_a_confirmation_page_that_says_what_is_missing(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let confirm = ducha.get("/periods/2026-Q4/phase?to=candidates").await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert_eq!(confirm.text("h1"), "考核录入 → 候选确定");
    let missing = confirm.texts(".notice li");
    assert!(
        missing.iter().any(|m| m.starts_with(
            "2026年10月：29 个窗口、146 名工作人员既没有考核分数，也未登记未参加考核"
        )),
        "{missing:?}"
    );
    assert!(
        missing.contains(&"146 名工作人员没有登记在岗天数".to_string()),
        "{missing:?}"
    );
    let moved = ducha
        .post("/periods/2026-Q4/phase", &[("to", "candidates")])
        .await;
    assert_eq!(moved.location(), Some("/periods/2026-Q4?notice=phase"));
    assert_eq!(phase(&app, "2026-Q4").await, "candidates");
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'period.phase'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (before["phase"].as_str(), after["phase"].as_str()),
        (Some("entry"), Some("candidates"))
    );

    // A second click changes nothing.
    let again = ducha
        .post("/periods/2026-Q4/phase", &[("to", "candidates")])
        .await;
    assert_eq!(
        again.location(),
        Some("/periods/2026-Q4?notice=phase_unchanged")
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.phase'"
        )
        .await,
        1
    );

    // One step back is possible before voting opens.
    ducha
        .post("/periods/2026-Q4/phase", &[("to", "entry")])
        .await;
    assert_eq!(phase(&app, "2026-Q4").await, "entry");
}

#[sqlx::test]
async fn a_phase_cannot_skip_ahead_or_be_forged(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    for to in ["voting", "published", "review", "nonsense"] {
        let page = ducha.post("/periods/2026-Q4/phase", &[("to", to)]).await;
        assert_ne!(page.status, StatusCode::INTERNAL_SERVER_ERROR, "{to}");
        assert_eq!(phase(&app, "2026-Q4").await, "entry", "{to}");
    }
    assert_eq!(
        ducha.get("/periods/2099-Q1").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.phase'"
        )
        .await,
        0
    );
}

#[sqlx::test]
async fn duty_days_are_entered_per_period_and_locked_with_the_scores(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let url = "/periods/2026-Q4/duty-days";
    let page = ducha.get(url).await;
    assert_eq!(page.status, StatusCode::OK);
    let mut fields = page.form_fields("form.score-grid");
    let cells: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k.starts_with('c'))
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(cells.len(), 146);
    set_field(&mut fields, &cells[0], "62");
    set_field(&mut fields, &cells[1], "58");
    set_field(&mut fields, &cells[2], "六十");
    let bad = ducha.post_fields(url, &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.texts("tr.has-error").len(), 1);
    assert_eq!(bad.input_value(&cells[2]).as_deref(), Some("六十"));
    assert_eq!(count(&app.pool, "select count(*) from duty_days").await, 0);

    set_field(&mut fields, &cells[2], "");
    assert_eq!(
        ducha.post_fields(url, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(count(&app.pool, "select count(*) from duty_days").await, 2);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'duty_days.create'"
        )
        .await,
        2
    );
    assert!(ducha.get(url).await.body.contains("已录 2 / 146。"));
    // A cell cleared removes its row; the count shown (kept by a trigger) follows.
    let mut again = ducha.get(url).await.form_fields("form.score-grid");
    set_field(&mut again, &cells[1], "");
    assert_eq!(
        ducha.post_fields(url, &again).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(count(&app.pool, "select count(*) from duty_days").await, 1);
    assert_eq!(
        count(&app.pool, "select sum(filled)::bigint from duty_days_count").await,
        1
    );
    assert!(ducha.get(url).await.body.contains("已录 1 / 146。"));

    // Once candidates are confirmed, nothing changes.
    sqlx::query("update period set phase = 'voting'")
        .execute(&app.pool)
        .await
        .unwrap();
    let mut fields = ducha.get(url).await.form_fields("form.score-grid");
    set_field(&mut fields, &cells[0], "70");
    let refused = ducha.post_fields(url, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text(".error-summary").contains("已锁定"));
    assert_eq!(
        count(&app.pool, "select count(*) from duty_days where days = 70").await,
        0
    );
}

#[sqlx::test]
async fn candidates_are_computed_by_the_scoring_module_with_ties_and_reasons_shown(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    // Window n scores 90 + n mod 10 in October; staff all 95 but only some have duty days.
    sqlx::query(
        "insert into monthly_score (center_id, month, window_id, score)
         select center_id, '2026-10', window_id, 90 + (number::int % 10) from service_window",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into monthly_score (center_id, month, staff_id, score)
         select center_id, '2026-11', staff_id, 95 from staff where staff_id % 2 = 0",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into duty_days (center_id, period_id, staff_id, days)
         select s.center_id, p.period_id, s.staff_id, case when s.staff_id % 4 = 0 then 62 else 40 end
         from staff s, period p",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into veto (center_id, period_id, window_id, code, occurred_on, description, created_by)
         select w.center_id, p.period_id, w.window_id, 'overdue_case', '2026-10-12', '超期办结', a.account_id
         from service_window w, period p, account a where w.number = '5' and a.username = 'ducha'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let page = ducha.get("/periods/2026-Q4/candidates").await;
    assert_eq!(page.status, StatusCode::OK);
    let notes = page.texts("section.card > p");
    assert_eq!(
        notes[0], "候选窗口 8 个；因分数并列，候选对象共 9 个。",
        "{notes:?}"
    );
    assert!(
        notes[1].starts_with("候选工作人员") && notes[1].contains(" 人"),
        "people are counted in 人: {notes:?}"
    );
    let rows = page.texts("section.card:nth-of-type(1) tbody tr");
    assert!(
        rows[0].starts_with("第1名 并列") && rows[0].contains("9号窗口"),
        "{rows:?}"
    );
    let vetoed = rows
        .iter()
        .find(|r| r.split_whitespace().any(|t| t == "5号窗口"))
        .unwrap();
    assert!(
        vetoed.contains("不符合条件") && vetoed.contains("一票否决"),
        "{vetoed}"
    );
    let staff = page.texts("section.card:nth-of-type(2) tbody tr");
    assert!(staff.iter().any(|r| r.contains("无考核分数")));
    assert!(staff.iter().any(|r| r.contains("在岗不足 60 天")));
    assert_eq!(
        staff.iter().filter(|r| r.contains("候选对象")).count(),
        36,
        "all eligible staff tie at 95.00"
    );
}

#[sqlx::test]
async fn a_veto_is_recorded_with_its_facts_and_revoked_only_with_a_reason(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let url = "/periods/2026-Q4/vetoes";
    let window: i64 = sqlx::query_scalar("select window_id from service_window where number = '7'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let target = format!("w{window}");

    let bad = ducha
        .post(
            url,
            &[
                ("target", &target),
                ("code", "late"),
                ("occurred_on", "2026-13-01"),
                ("description", ""),
                ("evidence", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.field_error("code").as_deref(),
        Some("请选择一票否决情形")
    );
    assert_eq!(
        bad.field_error("occurred_on").as_deref(),
        Some("日期应如 2026-03-12")
    );
    assert_eq!(
        bad.input_value("occurred_on").as_deref(),
        Some("2026-13-01")
    );
    assert_eq!(count(&app.pool, "select count(*) from veto").await, 0);

    let ok = ducha
        .post(
            url,
            &[
                ("target", &target),
                ("code", "overdue_case"),
                ("occurred_on", "2026-10-12"),
                (
                    "description",
                    "一件企业变更登记超期2个工作日办结，经核实系窗口原因",
                ),
                ("evidence", "督查通报〔2026〕12号"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let list = ducha.get(url).await;
    let row = list.text("tbody tr");
    assert!(
        row.contains("7号窗口")
            && row.contains("由于窗口原因导致有超期办件")
            && row.contains("2026年10月12日"),
        "{row}"
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'veto.create'"
        )
        .await,
        1
    );

    let id: i64 = sqlx::query_scalar("select veto_id from veto")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let no_reason = ducha
        .post(&format!("{url}/{id}/revoke"), &[("reason", "  ")])
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.text(".form-error"), "撤销一票否决须填写理由");
    let revoked = ducha
        .post(
            &format!("{url}/{id}/revoke"),
            &[("reason", "经复核，超期系申请人补正材料所致")],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from veto where revoked_at is not null"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'veto.revoke'"
        )
        .await,
        1
    );
    // A second revocation finds nothing to revoke.
    assert_eq!(
        ducha
            .post(&format!("{url}/{id}/revoke"), &[("reason", "再次")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // After candidates are confirmed, vetoes are closed to direct changes.
    sqlx::query("update period set phase = 'voting'")
        .execute(&app.pool)
        .await
        .unwrap();
    let late = ducha
        .post(
            url,
            &[
                ("target", &target),
                ("code", "corruption"),
                ("occurred_on", "2026-11-02"),
                ("description", "x"),
                ("evidence", ""),
            ],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.text(".form-error").contains("已确认候选对象"));
    assert_eq!(count(&app.pool, "select count(*) from veto").await, 1);
}

#[sqlx::test]
async fn a_veto_cannot_name_another_centers_window(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let other: i64 = sqlx::query_scalar(
        "insert into center (code, name) values ('other', '外市') returning center_id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let dept: i64 = sqlx::query_scalar(
        "insert into department (center_id, name) values ($1, 'x') returning department_id",
    )
    .bind(other)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let area: i64 = sqlx::query_scalar(
        "insert into business_area (center_id, name) values ($1, 'x') returning business_area_id",
    )
    .bind(other)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let window: i64 = sqlx::query_scalar("insert into service_window (center_id, number, name, department_id, business_area_id) values ($1, '1', 'x', $2, $3) returning window_id")
        .bind(other).bind(dept).bind(area).fetch_one(&app.pool).await.unwrap();
    let page = ducha
        .post(
            "/periods/2026-Q4/vetoes",
            &[
                ("target", &format!("w{window}")),
                ("code", "corruption"),
                ("occurred_on", "2026-11-02"),
                ("description", "x"),
                ("evidence", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.field_error("target").as_deref(),
        Some("所选对象不存在，请重新选择")
    );
    assert_eq!(count(&app.pool, "select count(*) from veto").await, 0);
}

#[sqlx::test]
async fn confirming_candidates_stores_the_snapshot_opens_voting_and_locks_the_months(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    sqlx::query(
        "insert into monthly_score (center_id, month, window_id, score)
         select center_id, m, window_id, 80 + window_id % 17 from service_window,
                unnest(array['2026-10', '2026-11', '2026-12']) m",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into monthly_score (center_id, month, staff_id, score)
         select center_id, m, staff_id, 80 + staff_id % 19 from staff,
                unnest(array['2026-10', '2026-11', '2026-12']) m",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("insert into duty_days (center_id, period_id, staff_id, days) select s.center_id, p.period_id, s.staff_id, 62 from staff s, period p")
        .execute(&app.pool)
        .await
        .unwrap();
    ducha
        .post("/periods/2026-Q4/phase", &[("to", "candidates")])
        .await;
    let confirm = ducha.get("/periods/2026-Q4/phase?to=voting").await;
    assert!(
        confirm.text("section.card form button").starts_with("确认"),
        "the step is offered"
    );
    let moved = ducha
        .post("/periods/2026-Q4/phase", &[("to", "voting")])
        .await;
    assert_eq!(moved.location(), Some("/periods/2026-Q4?notice=phase"));
    assert_eq!(phase(&app, "2026-Q4").await, "voting");

    let snapshot: serde_json::Value = sqlx::query_scalar("select candidates from period")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let windows = snapshot["window"]["candidates"].as_array().unwrap().len() as i64;
    let staff = snapshot["staff"]["candidates"].as_array().unwrap().len() as i64;
    assert!(
        windows >= 8 && staff >= 13,
        "{windows} windows, {staff} staff"
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from ballot_tally where window_id is not null and recommendations = 0"
        )
        .await,
        windows
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from ballot_tally where staff_id is not null and recommendations = 0"
        )
        .await,
        staff
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'period.candidates'"
        )
        .await,
        1
    );
    // The snapshot is exactly what the scoring module says of the stored data.
    let page = ducha.get("/periods/2026-Q4/candidates").await;
    let shown = page
        .texts("section.card:nth-of-type(1) tbody tr")
        .iter()
        .filter(|r| r.contains("候选对象"))
        .count() as i64;
    assert_eq!(shown, windows);
    // No going back once voting is open; the months are locked.
    let back = ducha
        .post("/periods/2026-Q4/phase", &[("to", "candidates")])
        .await;
    assert_eq!(
        back.location(),
        Some("/periods/2026-Q4?notice=phase_unchanged")
    );
    assert!(
        ducha
            .get("/scores/2026-10")
            .await
            .text(".notice")
            .contains("已锁定")
    );
}

#[sqlx::test]
async fn the_admin_edits_a_scheme_and_only_later_periods_follow_it(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q3")]).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let id: i64 = sqlx::query_scalar("select scheme_id from scheme where period_kind = 'quarter'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let url = format!("/admin/schemes/{id}");
    let mut fields = admin.get(&url).await.form_fields("section.card form");
    assert_eq!(fields.iter().find(|(k, _)| k == "w_a").unwrap().1, "80");
    set_field(&mut fields, "w_a", "70");
    let bad = admin.post_fields(&url, &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.text(".form-error"), "三项权重之和应为 100");
    assert_eq!(bad.input_value("w_a").as_deref(), Some("70"));
    set_field(&mut fields, "w_d", "20");
    set_field(&mut fields, "trim", "2");
    let bad = admin.post_fields(&url, &fields).await;
    assert_eq!(
        bad.text(".form-error"),
        "去掉最高最低分的评分个数应为 0 或至少 3"
    );
    set_field(&mut fields, "trim", "5");
    assert_eq!(
        admin.post_fields(&url, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'scheme.update'"
        )
        .await,
        1
    );
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let weight = |code: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "select (rules #>> '{weights,assessment}')::bigint from period where code = $1",
            )
            .bind(code)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        weight("2026-Q3").await,
        80,
        "the open period keeps its copy"
    );
    assert_eq!(
        weight("2026-Q4").await,
        70,
        "a new period copies the edited scheme"
    );
}

#[sqlx::test]
async fn opening_a_period_first_says_which_scheme_and_months_it_will_use(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let list = ducha.get("/periods").await;
    assert_eq!(
        list.form_fields("form.inline-form")
            .iter()
            .filter(|(k, _)| k == "_csrf")
            .count(),
        0,
        "the first step is a plain question, with no token in the address"
    );
    let confirm = ducha.get("/periods/new?code=2026-Q4").await;
    assert_eq!(confirm.status, StatusCode::OK);
    let text = confirm.text("main");
    for expected in [
        "2026年10月",
        "2026年11月",
        "2026年12月",
        "评选方案",
        "考核录入",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert_eq!(
        count(&app.pool, "select count(*) from period").await,
        0,
        "asking opens nothing"
    );
    let opened = ducha
        .post_fields("/periods", &confirm.form_fields("main form[method=post]"))
        .await;
    assert_eq!(opened.location(), Some("/periods/2026-Q4?notice=created"));
    // A bad or existing code comes back to the list with the message and what was typed.
    let again = ducha.get("/periods/new?code=2026-Q4").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text(".form-error").contains("已存在"));
    let bad = ducha.get("/periods/new?code=2026-Q5").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.input_value("code").as_deref(), Some("2026-Q5"));
}
