//! Stored XSS (issue 6, suite 8): markup planted in every kind of text a user can type
//! (names of departments, business areas, windows, staff, accounts and schemes, positions,
//! veto descriptions and evidence, decision and correction reasons) must come back escaped on
//! every page every role can reach. Each role's pages are found by following the links of
//! its home page, as a person would, so that real ids are used.

mod common;

use std::collections::{BTreeSet, VecDeque};

use axum::http::{StatusCode, header};
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

/// What is planted; it must never appear as written.
const MARK: &str = "<script>xss()</script>";
const ATTR: &str = "\"><b x=\"";

async fn plant(app: &TestApp) {
    for sql in [
        "update department set name = name || '<script>xss()</script>'",
        "update business_area set name = name || '\"><b x=\"'",
        "update service_window set name = name || '<script>xss()</script>'",
        "update staff set name = name || '<script>xss()</script>', position = position || '\"><b x=\"'",
        "update account set display_name = display_name || '<script>xss()</script>'",
        "update scheme set name = name || '<script>xss()</script>'",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
}

/// Every same-site page reachable from `start` by links, at most `limit`.
async fn crawl(b: &mut Browser, start: &str, limit: usize) -> (usize, Vec<String>) {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start.to_string()]);
    let mut problems = Vec::new();
    let mut pages = 0;
    let link = scraper::Selector::parse("a[href]").unwrap();
    while let Some(url) = queue.pop_front() {
        if pages >= limit || !seen.insert(url.clone()) {
            continue;
        }
        let page = b.get(&url).await;
        let html = page
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if !html {
            continue;
        }
        pages += 1;
        if page.status.is_server_error() {
            problems.push(format!("{url}: {}", page.status));
        }
        if page.body.contains(MARK) || page.body.contains(ATTR) {
            problems.push(format!("{url}: unescaped"));
        }
        for a in page.html().select(&link) {
            let href = a.value().attr("href").unwrap_or("");
            // Same-site pages only; downloads are not HTML and are skipped above.
            if href.starts_with('/') && !href.starts_with("//") && !href.contains("logout") {
                let href = href.split('#').next().unwrap_or(href).to_string();
                if !seen.contains(&href) {
                    queue.push_back(href);
                }
            }
        }
    }
    (pages, problems)
}

#[sqlx::test]
async fn planted_markup_comes_back_escaped_on_every_page_of_every_role(pool: PgPool) {
    let app = spawn(pool).await;
    plant(&app).await;
    // The rounds load after planting, so that vetoes, decisions, honors and the frozen
    // names carry the markup too.
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    for sql in [
        "insert into veto (center_id, period_id, window_id, code, occurred_on, description, evidence, created_by)
         select p.center_id, p.period_id, (select min(window_id) from service_window w where w.center_id = p.center_id),
                'overdue_case', '2026-08-01', '<script>xss()</script>', '\"><b x=\"',
                (select account_id from account where username = 'ducha')
         from period p where p.code = '2026-Q3'",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    // A correction with markup in its reason, through the page.
    let mut ducha = login_as(&app, Role::Supervision).await;
    let winner: String = sqlx::query_scalar(
        "select results -> 'staff' -> 'winners' ->> 0 from period where code = '2026-Q2'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let done = ducha
        .post(
            "/periods/2026-Q2/corrections",
            &[
                ("target", &format!("s{}", &winner[1..])),
                ("code", "verified_complaint"),
                ("occurred_on", "2026-06-03"),
                ("description", MARK),
                ("reason", ATTR),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    let mut total = 0;
    let mut problems = Vec::new();
    let starts = [
        (None, "/honor-roll"),
        (Some(Role::Admin), "/admin"),
        (Some(Role::Supervision), "/supervision"),
        (Some(Role::WindowHead), "/head"),
        (Some(Role::Leadership), "/leadership"),
        (Some(Role::Staff), "/me"),
    ];
    for (role, start) in starts {
        let mut b = match role {
            Some(r) => login_as(&app, r).await,
            None => Browser::new(&app),
        };
        let (pages, found) = crawl(&mut b, start, 250).await;
        assert!(pages >= 2, "{start}: only {pages} pages reached");
        total += pages;
        problems.extend(found);
    }
    // Pages only reached by typing: the verification page of a certificate.
    let number: String = sqlx::query_scalar("select certificate_no from honor limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let page = Browser::new(&app).get(&format!("/verify/{number}")).await;
    assert!(!page.body.contains(MARK) && !page.body.contains(ATTR));
    total += 1;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("{total} pages rendered, 0 unescaped payloads");
    assert!(total > 100, "{total} pages");
}

/// The city-wide round's pages: markup planted in everything its users type (accounts and
/// notes of nominations, conditions, reasons, feedback, file names, the notice's contact)
/// comes back escaped on every page of the city's office, the counties' offices, the group
/// leader and the public.
#[sqlx::test]
async fn planted_markup_comes_back_escaped_on_the_city_wide_rounds_pages(pool: PgPool) {
    let app = spawn(pool).await;
    plant(&app).await;
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    pingxuan::demo_citywide::load(&app.pool).await.unwrap();
    for sql in [
        "update citywide_round set title = title || '<script>xss()</script>',
                objection_contact = '\"><b x=\"', window_title = window_title || '<script>xss()</script>'",
        "update citywide_condition set text = text || '<script>xss()</script>'",
        "update nomination set brief = brief || '<script>xss()</script>', full_text = full_text || '\"><b x=\"',
                return_reason = case when return_reason is not null then return_reason || '<script>xss()</script>' end",
        "update nomination_condition set note = note || '<script>xss()</script>'",
        "update notice_feedback set body = body || '<script>xss()</script>', real_name = real_name || '\"><b x=\"',
                answer_note = answer_note || '<script>xss()</script>', source_detail = source_detail || '\"><b x=\"'",
        "update citywide_honor set name = name || '<script>xss()</script>', county = county || '\"><b x=\"'",
        "insert into nomination_file (nomination_id, file_name, content_type, size, data)
         select min(nomination_id), '<script>xss()</script>.pdf', 'application/pdf', 5, '%PDF-'::bytea from nomination",
        "update center set name = name || '<script>xss()</script>'",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    let mut total = 0;
    let mut problems = Vec::new();
    let mut city = login_as(&app, Role::Supervision).await;
    let mut leader = Browser::new(&app);
    leader.login("zuzhang", PASSWORD).await;
    let mut county = Browser::new(&app);
    county.login("qs-ducha", PASSWORD).await;
    let mut other = Browser::new(&app);
    other.login("dc-ducha", PASSWORD).await;
    let mut public = Browser::new(&app);
    for (b, starts) in [
        (
            &mut city,
            &[
                "/citywide",
                "/citywide/2026/review?kind=window",
                "/citywide/2026/review?kind=staff",
                "/citywide/2025/review",
                "/citywide/2025/feedback",
                "/citywide/2025/honors",
                "/audit",
            ][..],
        ),
        (&mut leader, &["/leadership", "/citywide/2025/confirm"][..]),
        (&mut county, &["/supervision", "/citywide"][..]),
        (&mut other, &["/supervision", "/citywide"][..]),
        (
            &mut public,
            &["/gongshi/2025", "/gongshi/2025/feedback"][..],
        ),
    ] {
        for start in starts {
            let (pages, found) = crawl(b, start, 120).await;
            assert!(pages >= 1, "{start}: nothing rendered");
            total += pages;
            problems.extend(found);
        }
    }
    let number: String = sqlx::query_scalar("select min(certificate_no) from citywide_honor")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let page = public.get(&format!("/verify/{number}")).await;
    assert!(page.body.contains("证书有效"));
    assert!(!page.body.contains(MARK) && !page.body.contains(ATTR));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("{total} pages rendered, 0 unescaped payloads");
    assert!(total > 30, "{total} pages");
}

/// The itemized assessment's pages: markup in item and standard names, a record's note
/// and the people's names comes back escaped for the office, the person and the head.
#[sqlx::test]
async fn planted_markup_comes_back_escaped_on_the_assessment_pages(pool: PgPool) {
    let app = spawn(pool).await;
    plant(&app).await;
    app.clock.set(time::macros::datetime!(2026-11-20 10:00 +8));
    let mut ducha = login_as(&app, Role::Supervision).await;
    let saved = ducha
        .post(
            "/assessment/rules/staff",
            &[
                ("effective_from", "2026-11"),
                ("mode", "records"),
                ("appeal_days", "3"),
                ("sheet", "服务态度 60\n- 迟到早退 -0.5 上限2\n群众评价 40 满意率 99%=40 95%=20\n- 差评经核实 -2"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    for sql in [
        "update assessment_item set name = name || '<script>xss()</script>'",
        "update assessment_standard set name = name || '\"><b x=\"'",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    let staff: i64 = sqlx::query_scalar("select staff_id from account where username = 'staff002'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let standard: i64 =
        sqlx::query_scalar("select min(assessment_standard_id) from assessment_standard")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let made = ducha
        .post(
            "/assessment/records/new",
            &[
                ("target", &format!("s{staff}")),
                ("standard", &standard.to_string()),
                ("occurrences", "1"),
                ("occurred_on", "2026-11-03"),
                ("note", MARK),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let window: String = sqlx::query_scalar(
        "select w.number from staff s join service_window w using (window_id) where s.staff_id = $1",
    )
    .bind(staff)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let mut head = Browser::new(&app);
    head.login(&format!("head{window:0>2}"), PASSWORD).await;
    let mut me = login_as(&app, Role::Staff).await;
    let record: i64 = sqlx::query_scalar("select max(assessment_record_id) from assessment_record")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let appealed = me
        .post(
            &format!("/assessment/records/{record}/appeal"),
            &[("appeal_reason", MARK)],
        )
        .await;
    assert_eq!(appealed.status, StatusCode::SEE_OTHER, "{}", appealed.body);
    let mut total = 0;
    let mut problems = Vec::new();
    for (who, start) in [
        (0, "/assessment/month/2026-11"),
        (0, "/assessment/rules/staff"),
        (0, "/assessment/records/new?q=1"),
        (0, "/assessment/appeals"),
        (1, "/assessment/mine"),
        (2, "/assessment/mine"),
    ] {
        let b = match who {
            0 => &mut ducha,
            1 => &mut me,
            _ => &mut head,
        };
        let (pages, found) = crawl(b, start, 80).await;
        total += pages;
        problems.extend(found);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(total > 20, "{total} pages");
    eprintln!("{total} assessment pages rendered, 0 unescaped payloads");
}
