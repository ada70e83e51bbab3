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
