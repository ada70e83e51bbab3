//! Duty days of longer periods: a year's summed from its quarters (a quarter's from its
//! months), filled in at once, a different value kept only with a reason; and a period's
//! duty days imported from the workbook it exports.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use pingxuan::sheets::{self, Cell, Out, OutSheet};
use sqlx::PgPool;

/// Opens the periods and records each quarter's duty days for every active staff member
/// (the last one listed skipped in `gap`).
async fn quarters_recorded(app: &TestApp, ducha: &mut Browser, gap: &str, skipped: i64) {
    for code in ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026"] {
        ducha.post("/periods", &[("code", code)]).await;
    }
    for (code, days) in [
        ("2026-Q1", 60),
        ("2026-Q2", 61),
        ("2026-Q3", 62),
        ("2026-Q4", 62),
    ] {
        sqlx::query(
            "insert into duty_days (center_id, period_id, staff_id, days)
             select s.center_id, p.period_id, s.staff_id, $2 from staff s join period p on p.center_id = s.center_id
             where p.code = $1 and s.active and not ($1 = $3 and s.staff_id = $4)",
        )
        .bind(code)
        .bind(days)
        .bind(gap)
        .bind(skipped)
        .execute(&app.pool)
        .await
        .unwrap();
    }
}

async fn days(app: &TestApp, code: &str, staff: i64) -> Option<i32> {
    sqlx::query_scalar(
        "select d.days from duty_days d join period p using (period_id) where p.code = $1 and d.staff_id = $2",
    )
    .bind(code)
    .bind(staff)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_years_duty_days_are_summed_from_its_quarters_and_a_different_value_needs_a_reason(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let staff: Vec<i64> =
        sqlx::query_scalar("select staff_id from staff where active order by staff_id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let (x, y) = (staff[0], staff[1]);
    quarters_recorded(&app, &mut ducha, "2026-Q4", x).await;

    let url = "/periods/2026/duty-days";
    let page = ducha.get(url).await;
    assert!(
        page.body
            .contains("合计 245 天（第一季度 60、第二季度 61、第三季度 62、第四季度 62）")
    );
    assert!(page.body.contains(
        "已登记部分合计 183 天（第一季度 60、第二季度 61、第三季度 62），缺 2026年10月、2026年11月、2026年12月"
    ));
    let n = staff.len() - 1;
    assert!(
        page.body.contains(&format!("按合计填入这 {n} 名")),
        "{}",
        page.body
    );

    let filled = ducha.post(url, &[("fill", "1")]).await;
    assert_eq!(
        filled.location(),
        Some("/periods/2026/duty-days?notice=duty_summed")
    );
    assert_eq!(days(&app, "2026", y).await, Some(245));
    assert_eq!(
        days(&app, "2026", x).await,
        None,
        "an incomplete sum is not filled in"
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'duty_days.create' and after ->> 'reason' like '按本周期内各季度%'"
        )
        .await,
        n as i64
    );

    // 240 for a sum of 245 needs a reason; everything typed stays.
    let mut grid = ducha.get(url).await.form_fields("form.score-grid");
    set_field(&mut grid, &format!("c{y}"), "240");
    set_field(&mut grid, &format!("c{x}"), "190");
    let refused = ducha.post_fields(url, &grid).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text(".error-summary")
            .contains("有 1 名工作人员的在岗天数与各季度（月）合计不同"),
        "{}",
        refused.text(".error-summary")
    );
    assert_eq!(
        refused.input_value(&format!("c{y}")).as_deref(),
        Some("240")
    );
    assert_eq!(days(&app, "2026", y).await, Some(245));
    assert_eq!(days(&app, "2026", x).await, None);

    set_field(&mut grid, "reason", "9月病假 5 天，第三季度登记有误");
    let saved = ducha.post_fields(url, &grid).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(days(&app, "2026", y).await, Some(240));
    assert_eq!(days(&app, "2026", x).await, Some(190));
    let reasons: Vec<Option<String>> = sqlx::query_scalar(
        "select after ->> 'reason' from audit_log where action in ('duty_days.update', 'duty_days.create')
           and entity_id in ($1, $2) order by entity_id",
    )
    .bind(format!("2026 staff {x}"))
    .bind(format!("2026 staff {y}"))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        reasons.contains(&Some("9月病假 5 天，第三季度登记有误".to_string()))
            && reasons.contains(&None),
        "only the value that differs from its sum carries the reason: {reasons:?}"
    );
}

/// The sheet's rows (below title and header) written back with column 3 from `value`.
fn filled_sheet(bytes: &[u8], value: impl Fn(usize, &[Cell]) -> Out) -> Vec<u8> {
    let rows = sheets::read(bytes).unwrap();
    let out = rows[2..]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (0..5)
                .map(|c| match c {
                    3 => value(i, r),
                    _ => match r.get(c) {
                        Some(Cell::Text(t)) => Out::Text(t.clone()),
                        Some(Cell::Number(n)) => Out::Int(*n as i64),
                        _ => Out::Empty,
                    },
                })
                .collect()
        })
        .collect();
    sheets::write_xlsx(&[OutSheet {
        name: "在岗天数".into(),
        title: rows[0][0].text(),
        header: rows[1].iter().map(|c| (c.text(), 10.0)).collect(),
        rows: out,
        frozen_columns: 0,
    }])
    .unwrap()
}

#[sqlx::test]
async fn a_periods_duty_days_import_from_the_workbook_it_exports(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let first: i64 = sqlx::query_scalar("select min(staff_id) from staff where active")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    quarters_recorded(&app, &mut ducha, "none", 0).await;
    sqlx::query("delete from duty_days where period_id = (select period_id from period where code = '2026-Q4')")
        .execute(&app.pool)
        .await
        .unwrap();
    let staff = count(&app.pool, "select count(*) from staff where active").await as usize;

    // The quarter: its sheet lists every active staff member, one bad cell stops it all.
    let (status, _, bytes) = ducha
        .get_bytes("/periods/2026-Q4/duty-days/export.xlsx")
        .await;
    assert_eq!(status, StatusCode::OK);
    let rows = sheets::read(&bytes).unwrap();
    assert_eq!(rows[1][3].text(), "在岗天数");
    assert_eq!(rows.len() - 2, staff);
    let bad = filled_sheet(&bytes, |i, _| {
        if i == 3 {
            Out::Text("六十".into())
        } else {
            Out::Int(62)
        }
    });
    let upload = "/imports/duty-days/2026-Q4";
    let page = ducha.upload(upload, "file", "在岗天数.xlsx", &bad).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("在岗天数应为 0 到 366 之间的整数"));
    assert_eq!(page.confirm_action(), None);

    let good = filled_sheet(&bytes, |_, _| Out::Int(62));
    let page = ducha.upload(upload, "file", "在岗天数.xlsx", &good).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let action = page.confirm_action().expect("a confirmation is offered");
    let done = ducha.post(&action, &[]).await;
    assert_eq!(
        done.location(),
        Some("/periods/2026-Q4/duty-days?notice=imported_duty")
    );
    assert_eq!(
        count(&app.pool, "select count(*) from duty_days d join period p using (period_id) where p.code = '2026-Q4' and d.days = 62").await as usize,
        staff
    );

    // The year: its sheet shows each sum; a value that differs needs a reason to confirm.
    let (_, _, year) = ducha.get_bytes("/periods/2026/duty-days/export.xlsx").await;
    let rows = sheets::read(&year).unwrap();
    assert!(
        rows[2][4].text().starts_with("合计 245 天"),
        "{:?}",
        rows[2]
    );
    let sheet = filled_sheet(&year, |i, _| Out::Int(if i == 0 { 230 } else { 245 }));
    let page = ducha
        .upload("/imports/duty-days/2026", "file", "年度.xlsx", &sheet)
        .await;
    assert!(page.body.contains("与各季度（月）合计 245 天不同"));
    let action = page.confirm_action().unwrap();
    let refused = ducha.post(&action, &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("reason").is_some());
    assert_eq!(days(&app, "2026", first).await, None);
    let done = ducha.post(&action, &[("reason", "长期病假 15 天")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(days(&app, "2026", first).await, Some(230));
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where after ->> 'reason' = '长期病假 15 天'"
        )
        .await,
        1
    );
}

/// A center of more staff than one page holds: the duty days are typed a page at a time,
/// the counts are of everyone, and a save writes only its page's rows and comes back to it.
#[sqlx::test]
async fn a_large_centers_duty_days_are_typed_a_page_at_a_time(pool: PgPool) {
    let app = spawn(pool).await;
    sqlx::query(
        "insert into staff (center_id, name, employee_no, window_id, position)
         select w.center_id, '新进人员' || n, 'N' || lpad(n::text, 4, '0'), w.window_id, '综合受理员'
         from generate_series(1, 160) n
         join service_window w on w.window_id = (select min(window_id) from service_window where active) + n % 3",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let staff = count(&app.pool, "select count(*) from staff where active").await;
    let one_page = pingxuan::http::scores::ONE_PAGE_ENTRANTS;
    assert!(staff > one_page, "{staff}");
    let pages = (staff + one_page - 1) / one_page;
    let url = "/periods/2026-Q4/duty-days";
    let cells = |p: &Page| -> Vec<(String, String)> {
        p.form_fields("form.score-grid")
            .into_iter()
            .filter(|(k, _)| k.starts_with('c'))
            .collect()
    };
    let first = ducha.get(url).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(cells(&first).len() as i64, one_page);
    assert!(first.body.contains(&format!("已录 0 / {staff}。")));
    assert!(
        first
            .text("nav.paging")
            .contains(&format!("第 1 / {pages} 页")),
        "{}",
        first.text("nav.paging")
    );
    // The last page: its own rows, saved there, and back to it.
    let last_url = format!("{url}?page={pages}");
    let last = ducha.get(&last_url).await;
    let on_last = cells(&last);
    assert_eq!(on_last.len() as i64, staff - (pages - 1) * one_page);
    assert!(on_last.iter().all(|c| !cells(&first).contains(c)));
    let mut form: Vec<(String, String)> = last
        .form_fields("form.score-grid")
        .into_iter()
        .filter(|(k, _)| k != "_csrf")
        .collect();
    for (k, v) in form.iter_mut() {
        if k.starts_with('c') {
            *v = "90".to_string();
        }
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = ducha.post(&last_url, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.location(),
        Some(format!("{url}?page={pages}&notice=saved").as_str())
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from duty_days d join period p using (period_id) where p.code = '2026-Q4' and d.days = 90"
        )
        .await,
        on_last.len() as i64
    );
    let again = ducha.get(url).await;
    assert!(
        again
            .body
            .contains(&format!("已录 {} / {staff}。", on_last.len()))
    );
}
