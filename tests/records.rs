//! 年度档案: a window's or a person's year — months (and months not assessed), results and
//! honors — seen by whom it concerns and nobody else; and the center's year workbook,
//! checked cell by cell against the database.

mod common;

use std::collections::HashMap;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use pingxuan::sheets::{self, Cell};
use sqlx::PgPool;

const MONTHS: &str = "array['2026-01','2026-02','2026-03','2026-04','2026-05','2026-06']";

/// Six months of 2026 scored for everyone but one month of `absent`, marked sick leave;
/// March's award published.
async fn half_year(app: &TestApp, absent: i64) {
    for sql in [
        format!(
            "insert into monthly_score (center_id, month, window_id, score) select center_id, m, window_id, 80 + window_id % 17 + 0.25 from service_window, unnest({MONTHS}) m where active"
        ),
        format!(
            "insert into monthly_score (center_id, month, staff_id, score) select center_id, m, staff_id, 80 + staff_id % 19 + 0.5 from staff, unnest({MONTHS}) m where active and not (staff_id = {absent} and m = '2026-02')"
        ),
        format!(
            "insert into not_assessed (center_id, month, staff_id, reason, created_by) select s.center_id, '2026-02', s.staff_id, '病假', a.account_id from staff s, account a where s.staff_id = {absent} and a.username = 'ducha'"
        ),
    ] {
        sqlx::query(&sql).execute(&app.pool).await.unwrap();
    }
    let mut ducha = login_as(app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-03")]).await;
    sqlx::query(&format!(
        "insert into veto (center_id, period_id, staff_id, code, occurred_on, description, created_by)
         select p.center_id, p.period_id, {absent}, 'verified_complaint', '2026-03-16', '群众投诉经查属实', a.account_id
         from period p, account a where p.code = '2026-03' and a.username = 'ducha'"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    ducha
        .post("/periods/2026-03/phase", &[("to", "candidates")])
        .await;
    ducha
        .post("/periods/2026-03/phase", &[("to", "review")])
        .await;
    group_leader_publishes(app, "2026-03").await;
}

async fn id(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[sqlx::test]
async fn a_year_page_is_seen_by_whom_it_concerns_and_by_nobody_else(pool: PgPool) {
    let app = spawn(pool).await;
    let own = id(
        &app,
        "select staff_id from account where username = 'staff002'",
    )
    .await;
    half_year(&app, own).await;
    let own_window = id(&app, "select window_id from staff where staff_id = (select staff_id from account where username = 'staff002')").await;
    let head_window = id(
        &app,
        "select window_id from account where username = 'head01'",
    )
    .await;
    let other_window = id(
        &app,
        &format!("select window_id from service_window where active and window_id not in ({own_window}, {head_window}) order by window_id limit 1"),
    )
    .await;
    let head_staff = id(&app, &format!("select staff_id from staff where window_id = {head_window} and active order by staff_id limit 1")).await;
    let other_staff = id(&app, &format!("select staff_id from staff where window_id = {other_window} and active order by staff_id limit 1")).await;
    // March's winning window, for its honor.
    let winner = id(&app, "select window_id from honor h join period p using (period_id) where p.code = '2026-03' and h.kind = 'window' order by rank limit 1").await;

    let pages = [
        format!("/records/2026/S{own}"),
        format!("/records/2026/W{head_window}"),
        format!("/records/2026/S{head_staff}"),
        format!("/records/2026/W{other_window}"),
        format!("/records/2026/S{other_staff}"),
    ];
    // Who sees which of the five pages.
    let expected: [(&str, [bool; 5]); 6] = [
        ("admin", [true; 5]),
        ("ducha", [true; 5]),
        ("yewuke", [true; 5]),
        ("zuzhang", [true; 5]),
        (
            "head01",
            [own_window == head_window, true, true, false, false],
        ),
        ("staff002", [true, false, false, false, false]),
    ];
    for (user, sees) in expected {
        let mut b = Browser::new(&app);
        b.login(user, PASSWORD).await;
        for (url, allowed) in pages.iter().zip(sees) {
            let page = b.get(url).await;
            let want = if allowed {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(page.status, want, "{user} {url}");
        }
        let workbook = b.get_bytes("/records/2026/workbook.xlsx").await.0;
        let center_wide = matches!(user, "admin" | "ducha" | "yewuke" | "zuzhang");
        assert_eq!(
            workbook == StatusCode::OK,
            center_wide,
            "{user} and the workbook: {workbook}"
        );
    }
    let anonymous = Browser::new(&app).get(&pages[0]).await;
    assert!(
        anonymous
            .location()
            .unwrap_or_default()
            .starts_with("/login")
    );

    // What the person sees: each month, the month not assessed and why, the results.
    let mut me = login_as(&app, Role::Staff).await;
    let home = me.get("/me").await;
    assert!(home.body.contains(&format!(
        "href=\"/records/{}/S{own}\"",
        &pingxuan::domain::period::current_month()[..4]
    )));
    let page = me.get(&pages[0]).await;
    let months = page.texts("#months tbody tr");
    assert_eq!(months.len(), 12);
    assert!(months[1].contains("未参加考核（病假）"), "{months:?}");
    assert!(months[6].contains("未录入"), "{months:?}");
    let rank = count(
        &app.pool,
        &format!("select count(*) + 1 from monthly_score o, monthly_score s where s.staff_id = {own} and s.month = '2026-01' and o.month = '2026-01' and o.staff_id is not null and o.center_id = s.center_id and o.score > s.score"),
    )
    .await;
    assert!(months[0].contains(&format!("第{rank}名")), "{months:?}");
    assert!(
        page.text("#vetoes")
            .contains("2026年3月16日 被群众举报投诉"),
        "{}",
        page.text("#vetoes")
    );
    assert!(page.text("#results").contains("2026年3月"));
    let mut ducha = login_as(&app, Role::Supervision).await;
    let honored = ducha.get(&format!("/records/2026/W{winner}")).await;
    assert!(
        honored.text("#honors").contains("2026年3月文明服务窗口"),
        "{}",
        honored.text("#honors")
    );
    // Bad years and ids are simply not found.
    for url in [
        "/records/20x6/W1",
        "/records/2026/X1",
        "/records/2026/W0",
        "/records/2026/W99999999",
    ] {
        assert_eq!(ducha.get(url).await.status, StatusCode::NOT_FOUND, "{url}");
    }
}

#[sqlx::test]
async fn the_year_workbook_holds_exactly_the_databases_months_and_honors(pool: PgPool) {
    let app = spawn(pool).await;
    let absent = id(&app, "select min(staff_id) from staff where active").await;
    half_year(&app, absent).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let (status, _, bytes) = ducha.get_bytes("/records/2026/workbook.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let book: Vec<Vec<Vec<Cell>>> = sheets::read_book(&bytes)
        .unwrap()
        .into_iter()
        .map(|(_, rows)| rows)
        .collect();
    assert_eq!(book.len(), 2, "a sheet of windows and one of staff");
    for (sheet, column, key) in [
        (&book[0], "window_id", "w.number"),
        (&book[1], "staff_id", "s.employee_no"),
    ] {
        let join = if column == "window_id" {
            "service_window w on w.window_id = m.window_id"
        } else {
            "staff s on s.staff_id = m.staff_id"
        };
        let scores: HashMap<(String, String), f64> = sqlx::query_as::<_, (String, String, f64)>(&format!(
            "select {key}, m.month, m.score::float8 from monthly_score m join {join} where m.month like '2026-%'"
        ))
        .fetch_all(&app.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, m, s)| ((k, m), s))
        .collect();
        let mut checked = 0;
        for row in &sheet[2..] {
            let k = row[0].text();
            for m in 1..=12 {
                let month = format!("2026-{m:02}");
                let cell = row.get(2 + m).cloned().unwrap_or(Cell::Empty);
                match scores.get(&(k.clone(), month.clone())) {
                    Some(s) => assert_eq!(cell, Cell::Number(*s), "{k} {month}"),
                    None if column == "staff_id" && k_is(&app, &k, absent).await && m == 2 => {
                        assert_eq!(cell.text(), "未参加考核（病假）")
                    }
                    None => assert_eq!(cell, Cell::Empty, "{k} {month}"),
                }
                checked += 1;
            }
        }
        assert!(checked >= 12 * 29, "{checked}");
    }
    // The honors column names March's winners, and nobody else.
    let winners: Vec<String> = sqlx::query_scalar(
        "select w.number from honor h join service_window w using (window_id) where h.kind = 'window'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    // Columns: three keys, twelve months, the mean, then honors of months, quarters, the
    // year, and vetoes.
    let honored: Vec<String> = book[0][2..]
        .iter()
        .filter(|r| {
            r.get(16)
                .is_some_and(|c| c.text().contains("2026年3月文明服务窗口"))
        })
        .map(|r| r[0].text())
        .collect();
    assert_eq!(honored.len(), winners.len());
    assert!(honored.iter().all(|n| winners.contains(n)));
    let absent_no: String = sqlx::query_scalar("select employee_no from staff where staff_id = $1")
        .bind(absent)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let vetoed: Vec<String> = book[1][2..]
        .iter()
        .filter(|r| r.get(19).is_some_and(|c| !c.text().is_empty()))
        .map(|r| r[0].text())
        .collect();
    assert_eq!(vetoed, vec![absent_no]);

    // One department's workbook holds its windows and their staff only.
    let (department, name): (i64, String) = sqlx::query_as(
        "select d.department_id, d.name from department d join service_window w using (department_id)
         group by d.department_id order by count(*) desc, d.department_id limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (status, _, bytes) = ducha
        .get_bytes(&format!(
            "/records/2026/workbook.xlsx?department={department}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let book = sheets::read_book(&bytes).unwrap();
    let windows: Vec<&Vec<Cell>> = book[0].1[2..].iter().collect();
    assert!(!windows.is_empty());
    assert!(windows.iter().all(|r| r[2].text() == name), "{name}");
    let own: i64 = count(
        &app.pool,
        &format!("select count(*) from staff s join service_window w using (window_id) where w.department_id = {department} and s.active"),
    )
    .await;
    assert_eq!(book[1].1.len() - 2, own as usize);
    assert_eq!(
        ducha
            .get_bytes("/records/2026/workbook.xlsx?department=99999999")
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

async fn k_is(app: &TestApp, employee_no: &str, staff_id: i64) -> bool {
    id(app, &format!("select count(*) from staff where employee_no = '{employee_no}' and staff_id = {staff_id}")).await == 1
}

/// Scores per (center, month, kind, score) recounted from monthly_score, against the
/// counts the year page ranks by: the rows that differ.
async fn miscounted(app: &TestApp) -> i64 {
    count(
        &app.pool,
        "select count(*) from (
           select center_id, month, case when staff_id is null then 'window' else 'staff' end as kind, score, count(*)::int as n
             from monthly_score group by 1, 2, 3, 4) m
         full join (select * from month_score_count where entrants > 0) c
           using (center_id, month, kind, score)
         where m.n is distinct from c.entrants",
    )
    .await
}

#[sqlx::test]
async fn the_month_ranks_follow_every_score_written_changed_or_cleared(pool: PgPool) {
    let app = spawn(pool).await;
    let absent = id(&app, "select min(staff_id) from staff where active").await;
    half_year(&app, absent).await;
    assert_eq!(miscounted(&app).await, 0);
    // Through the grid: two scores changed in an open month.
    let mut ducha = login_as(&app, Role::Supervision).await;
    let url = "/scores/2026-07?tab=windows";
    let mut grid = ducha.get(url).await.form_fields("form.score-grid");
    let cells: Vec<String> = grid
        .iter()
        .filter(|(k, _)| k.starts_with('c'))
        .map(|(k, _)| k.clone())
        .collect();
    set_field(&mut grid, &cells[0], "91.5");
    set_field(&mut grid, &cells[1], "88");
    assert_eq!(
        ducha.post_fields(url, &grid).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from monthly_score where month = '2026-07'"
        )
        .await,
        2
    );
    // And by hand in the database: a score changed, one removed.
    for sql in [
        "update monthly_score set score = 99 where month = '2026-05' and window_id = (select min(window_id) from service_window)",
        "delete from monthly_score where month = '2026-04' and window_id = (select min(window_id) from service_window)",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    assert_eq!(miscounted(&app).await, 0);
}
