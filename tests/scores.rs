//! The supervision office types a month of scores: saved at once, validated cell by cell,
//! concurrent edits reported, locked after candidates are confirmed.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

const MONTH: &str = "/scores/2026-10?tab=windows";

async fn window_id(app: &TestApp, number: &str) -> i64 {
    sqlx::query_scalar("select window_id from service_window where number = $1")
        .bind(number)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn score_of(app: &TestApp, window: i64) -> Option<String> {
    sqlx::query_scalar(
        "select score::text from monthly_score where window_id = $1 and month = '2026-10'",
    )
    .bind(window)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_whole_month_is_typed_and_saved_at_once_with_an_audit_row_per_score(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let page = ducha.get(MONTH).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1"), "2026年10月 月度考核");
    let mut fields = page.form_fields("form.score-grid");
    let cells: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k.starts_with('c'))
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(cells.len(), 29, "every active window");
    for (i, name) in cells.iter().enumerate() {
        set_field(
            &mut fields,
            name,
            &format!("{}.{}", 90 + i % 10 / 2, if i % 2 == 1 { "5" } else { "0" }),
        );
    }
    let saved = ducha.post_fields(MONTH, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from monthly_score where month = '2026-10'"
        )
        .await,
        29
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'monthly_score.create'"
        )
        .await,
        29
    );
    let again = ducha.get(saved.location().unwrap()).await;
    assert_eq!(again.text(".notice"), "已保存。");
    let w1 = window_id(&app, "1").await;
    assert_eq!(
        again.input_value(&format!("c{w1}")).as_deref(),
        Some("90.00")
    );
    assert!(again.text(".page-head p").contains("已录 29 / 29"));
}

#[sqlx::test]
async fn bad_cells_are_marked_every_typed_value_is_kept_and_nothing_is_saved(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let page = ducha.get(MONTH).await;
    let mut fields = page.form_fields("form.score-grid");
    let (w1, w2, w3, w4) = (
        window_id(&app, "1").await,
        window_id(&app, "2").await,
        window_id(&app, "3").await,
        window_id(&app, "4").await,
    );
    set_field(&mut fields, &format!("c{w1}"), "95.5");
    set_field(&mut fields, &format!("c{w2}"), "100.001");
    set_field(&mut fields, &format!("c{w3}"), "９５");
    set_field(&mut fields, &format!("c{w4}"), "101");
    let before = count(&app.pool, "select count(*) from audit_log").await;
    let page = ducha.post_fields(MONTH, &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text(".error-summary").contains("有 3 个分数需要修改"));
    assert_eq!(
        page.input_value(&format!("c{w1}")).as_deref(),
        Some("95.5"),
        "good values kept"
    );
    assert_eq!(
        page.input_value(&format!("c{w2}")).as_deref(),
        Some("100.001"),
        "bad values kept"
    );
    assert_eq!(page.text(&format!("#e{w2}")), "分数最多两位小数");
    assert_eq!(page.text(&format!("#e{w3}")), "请使用半角数字，如 95.5");
    assert_eq!(page.text(&format!("#e{w4}")), "分数应在 0 到 100 之间");
    assert_eq!(page.texts("tr.has-error").len(), 3);
    assert_eq!(score_of(&app, w1).await, None, "nothing saved");
    assert_eq!(
        count(&app.pool, "select count(*) from audit_log").await,
        before
    );
}

#[sqlx::test]
async fn the_later_of_two_editors_is_told_what_changed_instead_of_overwriting_it(pool: PgPool) {
    let app = spawn(pool).await;
    let mut a = login_as(&app, Role::Supervision).await;
    let mut b = Browser::new(&app);
    assert_eq!(
        b.login("ducha2", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let (w1, w2) = (window_id(&app, "1").await, window_id(&app, "2").await);
    let mut a_fields = a.get(MONTH).await.form_fields("form.score-grid");
    let mut b_fields = b.get(MONTH).await.form_fields("form.score-grid");

    set_field(&mut a_fields, &format!("c{w1}"), "96");
    assert_eq!(
        a.post_fields(MONTH, &a_fields).await.status,
        StatusCode::SEE_OTHER
    );

    // B, working from the page as it was, changes the same window.
    set_field(&mut b_fields, &format!("c{w1}"), "93.5");
    set_field(&mut b_fields, &format!("c{w2}"), "97");
    let page = b.post_fields(MONTH, &b_fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let summary = page.text(".error-summary");
    assert!(summary.contains("已被他人修改"), "{summary}");
    assert!(
        summary.contains("1号窗口 户籍：现为 96.00（督查科 郑晓敏修改）"),
        "{summary}"
    );
    assert_eq!(
        score_of(&app, w1).await.as_deref(),
        Some("96.00"),
        "A's score stands"
    );
    assert_eq!(
        score_of(&app, w2).await,
        None,
        "nothing of B's save was written"
    );
    assert_eq!(
        page.input_value(&format!("c{w1}")).as_deref(),
        Some("93.5"),
        "B's typing is kept"
    );

    // Saving again, knowing, applies B's values.
    let fields = page.form_fields("form.score-grid");
    assert_eq!(
        b.post_fields(MONTH, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(score_of(&app, w1).await.as_deref(), Some("93.50"));
    assert_eq!(score_of(&app, w2).await.as_deref(), Some("97.00"));
}

#[sqlx::test]
async fn editors_of_different_cells_do_not_conflict(pool: PgPool) {
    let app = spawn(pool).await;
    let mut a = login_as(&app, Role::Supervision).await;
    let mut b = Browser::new(&app);
    b.login("ducha2", PASSWORD).await;
    let (w1, w2) = (window_id(&app, "1").await, window_id(&app, "2").await);
    let mut a_fields = a.get(MONTH).await.form_fields("form.score-grid");
    let mut b_fields = b.get(MONTH).await.form_fields("form.score-grid");
    set_field(&mut a_fields, &format!("c{w1}"), "96");
    set_field(&mut b_fields, &format!("c{w2}"), "97");
    assert_eq!(
        a.post_fields(MONTH, &a_fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        b.post_fields(MONTH, &b_fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(score_of(&app, w1).await.as_deref(), Some("96.00"));
    assert_eq!(score_of(&app, w2).await.as_deref(), Some("97.00"));
}

#[sqlx::test]
async fn clearing_a_cell_removes_the_score_with_an_audit_row(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let w1 = window_id(&app, "1").await;
    let mut fields = ducha.get(MONTH).await.form_fields("form.score-grid");
    set_field(&mut fields, &format!("c{w1}"), "88");
    ducha.post_fields(MONTH, &fields).await;
    let mut fields = ducha.get(MONTH).await.form_fields("form.score-grid");
    set_field(&mut fields, &format!("c{w1}"), "");
    assert_eq!(
        ducha.post_fields(MONTH, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(score_of(&app, w1).await, None);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'monthly_score.delete'"
        )
        .await,
        1
    );
}

#[sqlx::test]
async fn a_month_is_locked_once_a_period_using_it_has_confirmed_candidates(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    assert_eq!(
        ducha.post("/periods", &[("code", "2026-Q4")]).await.status,
        StatusCode::SEE_OTHER
    );
    sqlx::query("update period set phase = 'voting' where code = '2026-Q4'")
        .execute(&app.pool)
        .await
        .unwrap();
    let w1 = window_id(&app, "1").await;
    let page = ducha.get(MONTH).await;
    assert!(page.text(".notice").contains("本月考核已锁定"));
    let mut fields = page.form_fields("form.score-grid");
    set_field(&mut fields, &format!("c{w1}"), "96");
    let refused = ducha.post_fields(MONTH, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text(".error-summary")
            .contains("已锁定（2026-Q4 已确认候选对象）")
    );
    assert_eq!(score_of(&app, w1).await, None);
    // Another month is not locked.
    let other = ducha.get("/scores/2027-01").await;
    assert!(other.texts(".notice").is_empty());
}

#[sqlx::test]
async fn forged_or_stale_grids_change_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let before = checksum(&app.pool).await;
    let scores_before = count(&app.pool, "select count(*) from monthly_score").await;
    for body in [
        "c1=90",                         // no original or version
        "c1=90&o1=&v1=abc",              // broken version
        "c999999=90&o999999=&v999999=0", // no such window
        "c1=90&c1=91&o1=&v1=0",          // the same cell twice
    ] {
        let token = ducha.csrf().await;
        let page = ducha
            .post_raw(
                MONTH,
                "application/x-www-form-urlencoded",
                format!("_csrf={token}&{body}").into_bytes(),
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    assert_eq!(
        ducha.get("/scores/2026-13").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(checksum(&app.pool).await, before);
    assert_eq!(
        count(&app.pool, "select count(*) from monthly_score").await,
        scores_before
    );
}

#[sqlx::test]
async fn a_refused_save_shows_untouched_cells_afresh_and_never_writes_them_back(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let (w1, w2) = (window_id(&app, "1").await, window_id(&app, "2").await);
    // W1 has 90 when the page is opened.
    let mut first = ducha.get(MONTH).await.form_fields("form.score-grid");
    set_field(&mut first, &format!("c{w1}"), "90");
    assert_eq!(
        ducha.post_fields(MONTH, &first).await.status,
        StatusCode::SEE_OTHER
    );
    let mut fields = ducha.get(MONTH).await.form_fields("form.score-grid");
    // A colleague sets W1 to 95 meanwhile; this editor types a bad W2 and is refused.
    let mut colleague = Browser::new(&app);
    colleague.login("ducha2", PASSWORD).await;
    let mut theirs = colleague.get(MONTH).await.form_fields("form.score-grid");
    set_field(&mut theirs, &format!("c{w1}"), "95");
    assert_eq!(
        colleague.post_fields(MONTH, &theirs).await.status,
        StatusCode::SEE_OTHER
    );
    set_field(&mut fields, &format!("c{w2}"), "9x");
    let refused = ducha.post_fields(MONTH, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // W1, untouched here, shows the colleague's 95; the typed W2 is kept.
    assert_eq!(
        refused.input_value(&format!("c{w1}")).as_deref(),
        Some("95.00")
    );
    assert_eq!(
        refused.input_value(&format!("c{w2}")).as_deref(),
        Some("9x")
    );
    // Corrected and saved from the page as shown: W1 stays the colleague's.
    let mut again = refused.form_fields("form.score-grid");
    set_field(&mut again, &format!("c{w2}"), "88");
    assert_eq!(
        ducha.post_fields(MONTH, &again).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(score_of(&app, w1).await.as_deref(), Some("95.00"));
    assert_eq!(score_of(&app, w2).await.as_deref(), Some("88.00"));
}

async fn staff_of_department(app: &TestApp, d: i64) -> i64 {
    count(
        &app.pool,
        &format!(
            "select count(*) from staff s join service_window w using (window_id)
             where s.active and w.department_id = {d}"
        ),
    )
    .await
}

/// `n` new staff over the center's first three windows: a center larger than a page.
async fn add_staff(app: &TestApp, n: i64) {
    sqlx::query(
        "insert into staff (center_id, name, employee_no, window_id, position)
         select w.center_id, '新进人员' || n, 'N' || lpad(n::text, 4, '0'), w.window_id, '综合受理员'
         from generate_series(1, $1) n
         join service_window w on w.window_id = (select min(window_id) from service_window where active)
                                  + n % 3",
    )
    .bind(n as i32)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// A center of more staff than one page holds: the staff tab opens one department at a
/// time, with its neighbours linked; 全部 still shows everyone, and a save comes back to
/// the department it was typed in.
#[sqlx::test]
async fn a_large_center_types_its_staff_one_department_at_a_time(pool: PgPool) {
    let app = spawn(pool).await;
    add_staff(&app, 160).await;
    let total = count(&app.pool, "select count(*) from staff where active").await;
    assert!(total > pingxuan::http::scores::ONE_PAGE_ENTRANTS);
    let departments: Vec<i64> = sqlx::query_scalar(
        "select d.department_id from department d where d.active
           and exists (select 1 from staff s join service_window w using (window_id)
                       where w.department_id = d.department_id and s.active)
         order by d.sort_order, d.name",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(departments.len() >= 3);

    let mut ducha = login_as(&app, Role::Supervision).await;
    let page = ducha.get("/scores/2026-10?tab=staff").await;
    assert_eq!(page.status, StatusCode::OK);
    let cells = |p: &Page| {
        p.form_fields("form.score-grid")
            .into_iter()
            .filter(|(k, _)| k.starts_with('c'))
            .count() as i64
    };
    // A department larger than a page is itself paged.
    let one_page = pingxuan::http::scores::ONE_PAGE_ENTRANTS;
    assert_eq!(
        cells(&page),
        staff_of_department(&app, departments[0])
            .await
            .min(one_page)
    );
    let paging = page.text("nav.paging");
    assert!(
        paging.contains(&format!("第 1 / {} 个进驻单位", departments.len())),
        "{paging}"
    );
    assert!(paging.contains(&format!("共 {total} 人")), "{paging}");
    assert_eq!(
        page.texts("#department option[selected]").len(),
        1,
        "the department shown is the one selected"
    );

    // The next department, by its link.
    let next = page
        .html()
        .select(&scraper::Selector::parse("nav.paging a").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .unwrap()
        .to_string();
    assert!(
        next.contains(&format!("department={}", departments[1])),
        "{next}"
    );
    let second = ducha.get(&next).await;
    assert_eq!(
        cells(&second),
        staff_of_department(&app, departments[1])
            .await
            .min(one_page)
    );
    assert!(second.text("nav.paging").contains("第 2 / "));

    // A save on a department's page comes back to that department.
    let mut fields = second.form_fields("form.score-grid");
    let first = fields
        .iter()
        .find(|(k, _)| k.starts_with('c'))
        .map(|(k, _)| k.clone())
        .unwrap();
    set_field(&mut fields, &first, "93.5");
    let saved = ducha.post_fields(&next, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let back = saved.location().unwrap().to_string();
    assert!(
        back.contains(&format!("department={}", departments[1])),
        "{back}"
    );
    let again = ducha.get(&back).await;
    assert_eq!(again.input_value(&first).as_deref(), Some("93.50"));
    assert!(again.text(".page-head p").contains("本页已录 1 / "));

    // 全部 is still there for whoever wants the whole center, a page of rows at a time.
    let pages = (total + one_page - 1) / one_page;
    let all = ducha.get("/scores/2026-10?tab=staff&department=all").await;
    assert_eq!(cells(&all), one_page);
    let paging = all.text("nav.paging");
    assert!(
        paging.contains(&format!(
            "第 1 / {pages} 页：第 1–{one_page} 行，共 {total} 行"
        )),
        "{paging}"
    );
    let last_url = format!("/scores/2026-10?tab=staff&department=all&page={pages}");
    let last = ducha.get(&last_url).await;
    assert_eq!(cells(&last), total - (pages - 1) * one_page);
    assert!(last.texts("nav.paging a[rel=next]").is_empty());
    // A save on a later page comes back to that page with what was saved.
    let mut fields = last.form_fields("form.score-grid");
    let on_last = fields
        .iter()
        .find(|(k, _)| k.starts_with('c'))
        .map(|(k, _)| k.clone())
        .unwrap();
    set_field(&mut fields, &on_last, "91");
    let saved = ducha.post_fields(&last_url, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let back = saved.location().unwrap().to_string();
    assert!(back.contains(&format!("page={pages}")), "{back}");
    assert_eq!(
        ducha.get(&back).await.input_value(&on_last).as_deref(),
        Some("91.00")
    );
    // Past the last page: the last page.
    let past = ducha
        .get("/scores/2026-10?tab=staff&department=all&page=999999999999")
        .await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(cells(&past), total - (pages - 1) * one_page);
    // The windows of a center this size still fit on one page.
    let windows = ducha.get("/scores/2026-10?tab=windows").await;
    assert_eq!(
        cells(&windows),
        count(
            &app.pool,
            "select count(*) from service_window where active"
        )
        .await
    );
}

/// A month nobody has scored yet in a center larger than a page: the not-assessed page lists
/// its entrants a page at a time with the whole month's counts, and a reason sent from a
/// later page is stored and comes back to that page.
#[sqlx::test]
async fn a_month_without_scores_is_marked_a_page_at_a_time(pool: PgPool) {
    let app = spawn(pool).await;
    add_staff(&app, 160).await;
    let month = "2027-03";
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from monthly_score where month = '2027-03'"
        )
        .await,
        0
    );
    let unscored = count(
        &app.pool,
        "select (select count(*) from service_window where active) + (select count(*) from staff where active)",
    )
    .await;
    let one_page = pingxuan::http::scores::ONE_PAGE_ENTRANTS;
    assert!(unscored > one_page, "{unscored}");
    let pages = (unscored + one_page - 1) / one_page;
    let url = format!("/scores/{month}/not-assessed");
    let reasons = |p: &Page| -> Vec<String> {
        p.form_fields("form[novalidate]")
            .into_iter()
            .filter(|(k, _)| k.starts_with("r_"))
            .map(|(k, _)| k)
            .collect()
    };
    let mut ducha = login_as(&app, Role::Supervision).await;
    let first = ducha.get(&url).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(reasons(&first).len() as i64, one_page);
    let paging = first.text("nav.paging");
    assert!(
        paging.contains(&format!("第 1 / {pages} 页"))
            && paging.contains(&format!("共 {unscored} 个")),
        "{paging}"
    );
    // The section titles count the whole month, not the page.
    let staff_total = count(&app.pool, "select count(*) from staff where active").await;
    assert!(
        first
            .texts("h2")
            .iter()
            .any(|h| h.contains(&format!("工作人员：既无分数也未登记（{staff_total}）"))),
        "{:?}",
        first.texts("h2")
    );

    let last_url = format!("{url}?page={pages}");
    let last = ducha.get(&last_url).await;
    let on_last = reasons(&last);
    assert_eq!(on_last.len() as i64, unscored - (pages - 1) * one_page);
    assert!(on_last.iter().all(|k| !reasons(&first).contains(k)));
    let saved = ducha
        .post(&last_url, &[(on_last[0].as_str(), "借调")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.location(),
        Some(format!("{last_url}&notice=not_assessed_saved").as_str())
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from not_assessed where month = '2027-03' and reason = '借调'"
        )
        .await,
        1
    );
    let again = ducha.get(&last_url).await;
    assert!(!reasons(&again).contains(&on_last[0]));
    assert!(again.text("#marked").contains("借调"));
}

/// The not-assessed page counts the month's active entrants only: the score of a staff
/// member deactivated since is neither counted nor listed, and a marked entrant is counted
/// apart from those still without anything.
#[sqlx::test]
async fn the_not_assessed_counts_are_of_active_entrants(pool: PgPool) {
    let app = spawn(pool).await;
    let month = "2027-04";
    // Every window and every staff member scored, but for the three with the highest ids.
    for sql in [
        "insert into monthly_score (center_id, month, window_id, score) select center_id, '2027-04', window_id, 90 from service_window where active",
        "insert into monthly_score (center_id, month, staff_id, score) select center_id, '2027-04', staff_id, 90 from staff where active order by staff_id desc offset 3",
        // One scored staff member leaves; one of the three unscored is marked.
        "update staff set active = false where staff_id = (select min(staff_id) from staff where active)",
        "insert into not_assessed (center_id, month, staff_id, reason, created_by)
         select s.center_id, '2027-04', s.staff_id, '病假', (select min(account_id) from account where role = 'supervision')
         from staff s where s.active order by s.staff_id desc limit 1",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    let total = count(
        &app.pool,
        "select (select count(*) from service_window where active) + (select count(*) from staff where active)",
    )
    .await;
    let scored = total - 3;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let page = ducha.get(&format!("/scores/{month}/not-assessed")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("已录分数 {scored} / {total}。")),
        "{}",
        page.text("main")
    );
    let headings = page.texts("h2");
    assert!(
        headings
            .iter()
            .any(|h| h.contains("工作人员：既无分数也未登记（2）")),
        "{headings:?}"
    );
    assert!(
        headings
            .iter()
            .any(|h| h.contains("窗口：既无分数也未登记（0）")),
        "{headings:?}"
    );
    assert!(page.text("#marked").contains("病假"));
    let listed = page
        .form_fields("form[novalidate]")
        .into_iter()
        .filter(|(k, _)| k.starts_with("r_"))
        .count();
    assert_eq!(listed, 2);
}

/// Every page of the grid is read from the center's roster (kept by each process) and the
/// page's scores: of the center, of a department and of a window, of staff and of windows,
/// the pages together are the rows the grid's queries read, each once, in their order.
#[sqlx::test]
async fn the_grid_read_from_the_roster_is_the_grid_the_queries_read(pool: PgPool) {
    use pingxuan::db::score::{grid_rows, staff_grid, window_grid};
    use pingxuan::domain::ids::{CenterId, WindowId};
    use pingxuan::scoring::Kind;
    let app = spawn(pool).await;
    // A deactivated member, and a window whose only staff are deactivated, hold no place.
    sqlx::query(
        "update staff set active = false where staff_id = (select min(staff_id) from staff)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (center, department, window): (i64, i64, i64) = sqlx::query_as(
        "select w.center_id, w.department_id, w.window_id from service_window w
          where exists (select 1 from staff s where s.window_id = w.window_id and s.active)
          order by w.window_id desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "update staff set active = false where window_id = (select min(window_id) from staff)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    // Some scores and a "not assessed" mark, so that the rows differ by more than names.
    sqlx::query(
        "insert into monthly_score (center_id, month, staff_id, score)
         select center_id, '2026-10', staff_id, 80 + staff_id % 20 from staff
          where center_id = $1 and staff_id % 3 = 0
         on conflict do nothing",
    )
    .bind(center)
    .execute(&app.pool)
    .await
    .unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    let roster = pingxuan::db::org::roster::load(&mut conn, CenterId(center))
        .await
        .unwrap();
    let center = CenterId(center);
    // Every field of each row, compared as text.
    let key = |rows: Vec<pingxuan::db::score::GridRow>| -> Vec<String> {
        rows.into_iter().map(|r| format!("{r:?}")).collect()
    };
    for (department_id, window_id) in [
        (None, None),
        (Some(department), None),
        (None, Some(WindowId(window))),
    ] {
        let all = key(
            staff_grid(&mut conn, center, "2026-10", department_id, window_id)
                .await
                .unwrap(),
        );
        assert!(!all.is_empty());
        assert!(all.iter().any(|r| r.contains("score: Some")));
        let listed: Vec<(i64, String, String)> = roster
            .staff_of(department_id, window_id)
            .map(|s| (s.staff_id, s.label.clone(), s.detail.clone()))
            .collect();
        for size in [3_usize, 7] {
            let mut paged = Vec::new();
            for page in listed.chunks(size) {
                paged.extend(key(grid_rows(
                    &mut conn,
                    center,
                    "2026-10",
                    Kind::Staff,
                    page.to_vec(),
                )
                .await
                .unwrap()));
            }
            assert_eq!(paged, all, "pages of {size}");
        }
    }
    for department_id in [None, Some(department)] {
        let all = key(window_grid(&mut conn, center, "2026-10", department_id)
            .await
            .unwrap());
        let departments: std::collections::HashMap<i64, String> = roster
            .departments
            .iter()
            .map(|d| (d.department_id, d.name.clone()))
            .collect();
        let listed: Vec<(i64, String, String)> = roster
            .active_windows(department_id)
            .map(|w| {
                (
                    w.window_id,
                    w.label(),
                    departments[&w.department_id].clone(),
                )
            })
            .collect();
        let read = key(
            grid_rows(&mut conn, center, "2026-10", Kind::Window, listed)
                .await
                .unwrap(),
        );
        assert_eq!(read, all);
    }
}

/// The roster a process keeps is read again once the organization changes, whoever
/// changes it: a renamed staff member, a window closed and a department added show on the
/// next page of the grid.
#[sqlx::test]
async fn the_grid_shows_the_organization_as_it_is_after_each_change(pool: PgPool) {
    let app = spawn(pool).await;
    let revision = || async {
        count(
            &app.pool,
            "select coalesce(sum(revision), 0)::bigint from org_revision",
        )
        .await
    };
    let counted = revision().await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    // A sign-in (it stamps the account's last sign-in) changes nothing kept.
    assert_eq!(revision().await, counted);
    let staff_tab = "/scores/2026-10?tab=staff&department=all";
    let before = ducha.get(staff_tab).await;
    assert_eq!(before.status, StatusCode::OK);
    let (staff_id, name): (i64, String) = sqlx::query_as(
        "select s.staff_id, s.name from staff s join service_window w using (window_id)
          where s.active order by length(w.number), w.number, s.employee_no limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(before.body.contains(&name));
    sqlx::query("update staff set name = '易名后' where staff_id = $1")
        .bind(staff_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let after = ducha.get(staff_tab).await;
    assert!(after.body.contains("易名后"), "the renamed member");
    // A window closed leaves the filter; a new department appears among the sections.
    let (window, label): (i64, String) = sqlx::query_as(
        "select window_id, number || '号窗口 ' || name from service_window
          where active order by length(number), number limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(after.body.contains(&format!(">{label}</option>")));
    sqlx::query("update service_window set active = false where window_id = $1")
        .bind(window)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into department (center_id, name, sort_order)
         select center_id, '新设单位', 0 from center order by center_id limit 1",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let closed = ducha.get(staff_tab).await;
    assert!(
        !closed.body.contains(&format!(">{label}</option>")),
        "{label} is closed"
    );
    let windows = ducha
        .get("/scores/2026-10?tab=windows&department=all")
        .await;
    assert!(windows.body.contains("新设单位"), "the new department");
    assert!(
        !windows.body.contains(&format!(">{label}</label>")),
        "{label} is closed"
    );
}
