//! Access control: every route of the router against the checked-in table of who may call
//! it (`tests/access_table.txt`), first as declared, then as answered.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use pingxuan::http::routes;
use sqlx::PgPool;

const PRINCIPALS: [&str; 10] = [
    "anonymous",
    "admin",
    "supervision",
    "window_head",
    "window_head_b",
    "leadership",
    "group_leader",
    "staff",
    "county_office",
    "county_office_b",
];

fn role_of(principal: &str) -> Option<Role> {
    match principal {
        "anonymous" => None,
        "window_head_b" => Some(Role::WindowHead),
        "group_leader" => Some(Role::Leadership),
        "county_office" | "county_office_b" => Some(Role::Supervision),
        other => Some(
            Role::ALL
                .into_iter()
                .find(|r| r.as_str() == other)
                .expect("known principal"),
        ),
    }
}

fn principal_of(principal: &str) -> Option<routes::Principal> {
    role_of(principal).map(|role| routes::Principal {
        role,
        group_leader: principal == "group_leader",
    })
}

type Table = BTreeMap<(String, String), BTreeSet<String>>;

fn table() -> Table {
    let text = include_str!("access_table.txt");
    let mut table = Table::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap().to_string();
        let path = parts.next().unwrap().to_string();
        let who: BTreeSet<String> = parts.map(str::to_string).collect();
        for p in &who {
            assert!(
                PRINCIPALS.contains(&p.as_str()),
                "unknown principal {p} in: {line}"
            );
        }
        assert!(
            table.insert((method, path), who).is_none(),
            "route listed twice: {line}"
        );
    }
    table
}

#[test]
fn every_route_is_in_the_access_table_with_the_access_it_is_mounted_with() {
    let table = table();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for route in routes::list() {
        let key = (route.method.to_string(), route.path.to_string());
        seen.insert(key.clone());
        let Some(expected) = table.get(&key) else {
            problems.push(format!(
                "missing from the table: {} {}",
                route.method, route.path
            ));
            continue;
        };
        let declared: BTreeSet<String> = PRINCIPALS
            .iter()
            .filter(|p| route.access.allows(principal_of(p)))
            .map(|p| p.to_string())
            .collect();
        if &declared != expected {
            problems.push(format!(
                "{} {}: mounted for {declared:?}, table says {expected:?}",
                route.method, route.path
            ));
        }
    }
    for key in table.keys() {
        if !seen.contains(key) {
            problems.push(format!(
                "in the table but not in the router: {} {}",
                key.0, key.1
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A concrete URL for a route pattern: ids that exist in no center, so that an allowed
/// request reaches its handler and changes nothing.
fn concrete(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{file}", "app.css")
        .replace("{code}", "2099-Q4")
        .replace("{month}", "2099-12")
        .replace("{staff}", "999999")
        .replace("{number}", "2099Q4-S01-ABCDEF")
        .replace("{year}", "2099")
        .replace("{kind}", "staff")
        .replace("{entrant}", "S999999")
        .replace("{n}", "1")
        .replace("{center}", "shifan-qingshan")
}

/// A browser signed in as the principal: the demo's head of window 1 (head01) and of
/// window 2 (head02), a member (yewuke) and the group leader (zuzhang) of the leadership,
/// the supervision offices of 青山县 (qs-ducha) and 东城区 (dc-ducha).
async fn sign_in(app: &TestApp, principal: &str) -> Browser {
    let username = match principal {
        "anonymous" => return Browser::new(app),
        "window_head_b" => "head02",
        "group_leader" => "zuzhang",
        "county_office" => "qs-ducha",
        "county_office_b" => "dc-ducha",
        other => username_of(role_of(other).unwrap()),
    };
    let mut b = Browser::new(app);
    let page = b.login(username, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{principal} signs in");
    b
}

#[sqlx::test]
async fn every_route_answers_every_principal_as_the_table_says(pool: PgPool) {
    let app = spawn(pool).await;
    // The county offices of two counties, with the city-wide rounds they take part in.
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    pingxuan::demo_citywide::load(&app.pool).await.unwrap();
    let before = checksum(&app.pool).await;
    let mut browsers = BTreeMap::new();
    for p in PRINCIPALS {
        browsers.insert(p, sign_in(&app, p).await);
    }
    let mut problems = Vec::new();
    for ((method, path), allowed) in table() {
        let url = concrete(&path);
        for p in PRINCIPALS {
            let b = browsers.get_mut(p).unwrap();
            let page = if method == "GET" {
                b.get(&url).await
            } else {
                b.post(&url, &[]).await
            };
            let to_login = page.status == StatusCode::SEE_OTHER
                && page.location().is_some_and(|l| l.starts_with("/login"));
            // `/` legitimately sends anonymous visitors to sign in.
            let refused = page.status == StatusCode::FORBIDDEN
                || (to_login && (p != "anonymous" || path != "/"));
            let signed_out = page
                .headers
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().starts_with("px_session=;"));
            let ok = if path == "/logout" && allowed.contains(p) {
                signed_out
            } else if allowed.contains(p) {
                !refused && page.status != StatusCode::INTERNAL_SERVER_ERROR
            } else if p == "anonymous" {
                to_login
            } else {
                page.status == StatusCode::FORBIDDEN
            };
            if !ok {
                problems.push(format!(
                    "{method} {url} as {p}: {} {:?}",
                    page.status,
                    page.location()
                ));
            }
            if path == "/logout" && p != "anonymous" {
                // Signed out by the request: sign in again for the next routes.
                *b = sign_in(&app, p).await;
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let after = checksum(&app.pool).await;
    assert_eq!(after, before, "no request of the walk changed a row");
}
