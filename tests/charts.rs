//! Charts drawn by the server: on the results page the distribution of assessment scores and
//! the turnout of the vote; on an entrant's page twelve months of scores against the
//! center's median. Each has a text alternative and its numbers as a table.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

#[sqlx::test]
async fn the_results_page_draws_the_distribution_and_the_turnout(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    let page = ducha.get("/results/2026-Q2").await;
    assert_eq!(page.status, StatusCode::OK);
    let captions = page.texts("#charts figcaption");
    assert_eq!(
        captions,
        [
            "优质服务窗口参评对象考核平均分分布",
            "优秀服务标兵参评对象考核平均分分布",
            "民主推荐投票进度"
        ]
    );
    assert_eq!(page.texts("#charts svg.chart title").len(), 3);
    // The distribution's table counts every entrant with a score exactly once.
    let entrants: i64 = count(
        &app.pool,
        "select jsonb_array_length(results -> 'window' -> 'entrants')::bigint from period where code = '2026-Q2'",
    )
    .await;
    let html = page.html();
    let first = html
        .select(&scraper::Selector::parse("#charts figure").unwrap())
        .next()
        .unwrap();
    let counted: i64 = first
        .select(&scraper::Selector::parse("tbody tr td:nth-child(2)").unwrap())
        .map(|td| td.text().collect::<String>().parse::<i64>().unwrap())
        .sum();
    assert_eq!(counted, entrants);
    // Every head voted in the published quarter: the last turnout row says so.
    let heads = count(
        &app.pool,
        "select count(*) from account where role = 'window_head' and active and center_id = (select center_id from period where code = '2026-Q2')",
    )
    .await;
    let rows = page.texts("#charts figure:last-child tbody tr");
    assert!(
        rows.last().unwrap().ends_with(&format!("{heads}{heads}")),
        "{rows:?}"
    );
}

#[sqlx::test]
async fn an_entrants_page_draws_twelve_months_against_the_median(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    let winner: String = sqlx::query_scalar(
        "select results -> 'staff' -> 'winners' ->> 0 from period where code = '2026-Q2'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let page = ducha
        .get(&format!("/results/2026-Q2/entrants/{winner}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text("figcaption")
            .starts_with("近12个月考核分数（2025年7月—2026年6月）")
    );
    let rows = page.texts(".chart-data tbody tr");
    assert_eq!(rows.len(), 12);
    assert!(rows[0].contains("2025年7月") && rows[0].contains("—"));
    assert!(rows[11].starts_with("2026年6月") && !rows[11].ends_with("—"));
    assert!(page.body.contains("class=\"chart-line chart-c dashed\""));
}

/// The median beside an entrant's months is the one `percentile_cont(0.5)` gives over every
/// score of the kind that month (an even count: the mean of the middle two, rounded as
/// PostgreSQL rounds), though it is read from the month's histogram of scores.
#[sqlx::test]
async fn the_median_beside_an_entrants_months_is_the_middle_of_all_their_scores(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let center: i64 = sqlx::query_scalar("select center_id from center order by center_id limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // A month of our own: four staff scores (even, with a half hundredth between the middle
    // two), three window scores (odd), one repeated.
    for (column, table, scores) in [
        (
            "staff_id",
            "staff",
            &["90.00", "99.00", "90.01", "95.00"][..],
        ),
        (
            "window_id",
            "service_window",
            &["88.50", "97.25", "88.50"][..],
        ),
    ] {
        for (i, score) in scores.iter().enumerate() {
            sqlx::query(&format!(
                "insert into monthly_score (center_id, month, {column}, score)
                 select center_id, '2027-01', {column}, $2::numeric from {table}
                 where center_id = $1 and active order by {column} offset $3 limit 1"
            ))
            .bind(center)
            .bind(score)
            .bind(i as i64)
            .execute(&app.pool)
            .await
            .unwrap();
        }
    }
    let months: Vec<String> = ["2026-04", "2026-05", "2026-06", "2027-01", "2027-02"]
        .iter()
        .map(|m| m.to_string())
        .collect();
    for (kind, column) in [
        (pingxuan::scoring::Kind::Staff, "staff_id"),
        (pingxuan::scoring::Kind::Window, "window_id"),
    ] {
        let first: i64 = sqlx::query_scalar(&format!(
            "select {column} from monthly_score where center_id = $1 and month = '2027-01' and {column} is not null order by {column} limit 1"
        ))
        .bind(center)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        let entrant = pingxuan::domain::ids::Entrant::of(kind, first);
        let mut conn = app.pool.acquire().await.unwrap();
        let rows = pingxuan::db::score::history(
            &mut conn,
            pingxuan::domain::ids::CenterId(center),
            entrant,
            &months,
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), months.len());
        for (row, month) in rows.iter().zip(&months) {
            assert_eq!(&row.month, month);
            let (own, median): (Option<i32>, Option<i32>) = sqlx::query_as(&format!(
                "select (select (score * 100)::int from monthly_score where center_id = $1 and month = $2 and {column} = $3),
                        (select (percentile_cont(0.5) within group (order by score) * 100)::int
                           from monthly_score where center_id = $1 and month = $2 and {column} is not null)"
            ))
            .bind(center)
            .bind(month)
            .bind(first)
            .fetch_one(&app.pool)
            .await
            .unwrap();
            assert_eq!((row.own, row.median), (own, median), "{kind:?} {month}");
        }
        // The month of our own, by hand: (90.01 + 95.00) / 2 = 92.505 for the staff, 88.50
        // for the windows; nothing in a month without scores.
        let ours = &rows[3];
        match kind {
            pingxuan::scoring::Kind::Staff => assert_eq!(ours.own, Some(9000)),
            pingxuan::scoring::Kind::Window => assert_eq!(ours.median, Some(8850)),
        }
        assert_eq!((rows[4].own, rows[4].median), (None, None));
    }
}
