//! No codes or developer words on the pages people read: periods by their Chinese names,
//! no file names of the recount, no command lines.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

/// The page's text, without the hints that teach how to type a period's code.
fn visible_text(page: &Page) -> String {
    let doc = page.html();
    let body = doc
        .select(&scraper::Selector::parse("body").unwrap())
        .next()
        .unwrap();
    body.descendants()
        .filter_map(|n| n.value().as_text().map(|t| (n, t)))
        .filter(|(n, _)| {
            !n.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| e.has_class("hint", scraper::CaseSensitivity::CaseSensitive))
            })
        })
        .map(|(_, t)| t.to_string())
        .collect()
}

#[sqlx::test]
async fn pages_speak_the_offices_language_not_the_programs(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let winner: String = sqlx::query_scalar(
        "select results -> 'staff' -> 'winners' ->> 0 from period where code = '2026-Q2'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let pages: Vec<(Role, String)> = vec![
        (Role::Supervision, "/supervision".into()),
        (Role::Supervision, "/periods".into()),
        (Role::Supervision, "/periods/2026-Q2".into()),
        (Role::Supervision, "/periods/2026-Q2/candidates".into()),
        (Role::Supervision, "/periods/2026-Q3".into()),
        (Role::Supervision, "/results".into()),
        (Role::Supervision, "/results/2026-Q2".into()),
        (
            Role::Supervision,
            format!("/results/2026-Q2/entrants/{winner}"),
        ),
        (Role::Admin, "/audit".into()),
        (Role::Leadership, "/leadership".into()),
        (Role::WindowHead, "/head".into()),
        (Role::WindowHead, "/ballot".into()),
        (Role::Staff, "/me".into()),
    ];
    let mut problems = Vec::new();
    for (role, path) in &pages {
        let mut b = login_as(&app, *role).await;
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let text = visible_text(&page);
        for word in [
            "recount.json",
            "results.json",
            "pingxuan compute",
            "2026-Q",
            "（审定）",
            "名额 ",
        ] {
            if text.contains(word) {
                problems.push(format!("{path}: {word}"));
            }
        }
    }
    let mut public = Browser::new(&app);
    let roll = public.get("/honor-roll").await;
    assert!(!roll.text("body").contains("2026-Q"), "the honor roll");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[sqlx::test]
async fn downloads_carry_chinese_names_with_an_ascii_fallback(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    for (path, chinese, ascii) in [
        (
            "/results/2026-Q2/recount.json",
            "2026年第二季度复核数据.json",
            "2026-Q2-recount.json",
        ),
        (
            "/results/2026-Q2/results.json",
            "2026年第二季度计算结果.json",
            "2026-Q2-results.json",
        ),
    ] {
        let (status, headers, _) = ducha.get_bytes(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let d = headers["content-disposition"].to_str().unwrap();
        let encoded =
            percent_encoding::utf8_percent_encode(chinese, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        assert!(d.contains(&format!("filename=\"{ascii}\"")), "{d}");
        assert!(d.contains(&format!("filename*=UTF-8''{encoded}")), "{d}");
    }
}
