//! The public face: the honor roll and hall screen (no sign-in, nothing unpublished, served
//! from a cache that publication and corrections drop in every server process), the
//! certificates and their public verification, and winners' photos.

mod common;

use std::time::Duration;

use axum::http::{StatusCode, header};
use common::*;
use pingxuan::domain::Role;
use sqlx::PgPool;

async fn staff_winner_names(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "select h.name from honor h join period p using (period_id)
         where p.code = '2026-Q2' and h.kind = 'staff' and h.revoked_at is null order by h.rank",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// Reads `url` anonymously from `app` until `done` holds of the page (a notification
/// travels through PostgreSQL to the other process), or gives up after 20 s.
async fn eventually(app: &TestApp, url: &str, done: impl Fn(&Page) -> bool) -> Page {
    let mut browser = Browser::new(app);
    for _ in 0..200 {
        let page = browser.get(url).await;
        if done(&page) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.get(url).await
}

#[sqlx::test]
async fn the_honor_roll_needs_no_sign_in_and_shows_only_published_winners(pool: PgPool) {
    let app = spawn(pool).await;
    let mut public = Browser::new(&app);
    let empty = public.get("/honor-roll").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("尚无已发布的评选结果"));
    // The lobby TV set up before the first publication keeps asking for it.
    let waiting = public.get("/honor-roll/hall").await;
    assert!(
        waiting.body.contains("尚无已发布的评选结果") && waiting.body.contains("/static/hall.js")
    );

    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let page = eventually(&app, "/honor-roll", |p| p.body.contains("2026年第二季度")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers.get(header::SET_COOKIE).is_none());
    let names = page.texts(".honor-cards.staff .honor-name");
    assert_eq!(names, staff_winner_names(&app).await);
    assert_eq!(page.texts(".honor-cards.windows .honor-name").len(), 5);
    // Nothing of the quarter still in voting.
    assert!(!page.body.contains("第三季度"));
    assert_eq!(
        public.get("/honor-roll/2026-Q3").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        public.get("/honor-roll/2026-Q2/hall").await.status,
        StatusCode::OK
    );
    assert_eq!(
        public.get("/honor-roll/not-a-period").await.status,
        StatusCode::NOT_FOUND
    );
    let hall = public.get("/honor-roll/hall").await;
    assert_eq!(hall.texts(".hall-slide").len(), 2);
    assert_eq!(hall.texts(".hall-grid.staff .hall-name"), names);
    assert!(hall.body.contains("/static/hall.js"));

    // Served from memory: with the honors out of reach the page still answers. (First let
    // the publication's notification arrive, which drops the cache once more, and read the
    // page again so that it is cached.)
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(public.get("/honor-roll").await.status, StatusCode::OK);
    sqlx::query("alter table honor rename to honor_away")
        .execute(&app.pool)
        .await
        .unwrap();
    let cached = public.get("/honor-roll").await;
    sqlx::query("alter table honor_away rename to honor")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(cached.status, StatusCode::OK);
    assert_eq!(cached.texts(".honor-cards.staff .honor-name"), names);
}

#[sqlx::test]
async fn a_correction_reaches_the_honor_roll_of_every_server_and_revokes_the_certificate(
    pool: PgPool,
) {
    let one = spawn(pool.clone()).await;
    pingxuan::demo_rounds::load(&one.pool).await.unwrap();
    let other = spawn(pool).await;
    let before = staff_winner_names(&one).await;
    // Both servers have the roll in their cache.
    for app in [&one, &other] {
        let page = Browser::new(app).get("/honor-roll").await;
        assert_eq!(page.texts(".honor-cards.staff .honor-name"), before);
    }
    let (top, certificate): (i64, String) = sqlx::query_as(
        "select h.staff_id, h.certificate_no from honor h join period p using (period_id)
         where p.code = '2026-Q2' and h.kind = 'staff' and h.rank = 1",
    )
    .fetch_one(&one.pool)
    .await
    .unwrap();

    // The top staff member is disqualified after publication, through the first server.
    let mut ducha = login_as(&one, Role::Supervision).await;
    let done = ducha
        .post(
            "/periods/2026-Q2/corrections",
            &[
                ("target", &format!("s{top}")),
                ("code", "verified_complaint"),
                ("occurred_on", "2026-06-03"),
                ("description", "群众投诉经查证属实"),
                ("reason", "7月收到上级转办件，经查证属实"),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = staff_winner_names(&one).await;
    assert!(!after.contains(&before[0]) && after.len() == 10);

    // The second server hears of it without a restart.
    let page = eventually(&other, "/honor-roll", |p| {
        p.texts(".honor-cards.staff .honor-name") == after
    })
    .await;
    assert_eq!(page.texts(".honor-cards.staff .honor-name"), after);
    let hall = eventually(&other, "/honor-roll/2026-Q2/hall", |p| {
        p.texts(".hall-grid.staff .hall-name") == after
    })
    .await;
    assert_eq!(hall.texts(".hall-grid.staff .hall-name"), after);

    // The certificate now verifies as revoked, with the reason.
    let revoked = Browser::new(&other)
        .get(&format!("/verify/{certificate}"))
        .await;
    let verdict = revoked.text(".verify-result");
    assert!(
        verdict.contains("已撤销") && verdict.contains("因评选结果更正而撤销"),
        "{verdict}"
    );
    // The correction's reason stays in the audit trail, not on a public page.
    assert!(!revoked.body.contains("7月收到上级转办件"));
    // The new tenth winner has a valid certificate.
    let new_no: String = sqlx::query_scalar(
        "select certificate_no from honor h join period p using (period_id)
         where p.code = '2026-Q2' and h.kind = 'staff' and h.revoked_at is null
         order by h.issued_at desc, h.rank desc limit 1",
    )
    .fetch_one(&one.pool)
    .await
    .unwrap();
    let valid = Browser::new(&one).get(&format!("/verify/{new_no}")).await;
    assert!(
        valid.text(".verify-result").contains("证书有效"),
        "{}",
        valid.body
    );
}

#[sqlx::test]
async fn every_winner_has_a_printable_certificate_that_anyone_can_verify(pool: PgPool) {
    let app = spawn_with(
        pool,
        pingxuan::config::Config {
            public_url: Some("https://pingxuan.example.gov.cn".into()),
            ..pingxuan::config::Config::default()
        },
    )
    .await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    // A forged Host header does not reach the QR codes: their address is configured.
    let forged = ducha
        .send(
            ducha
                .request("GET", "/certificates/2026-Q2")
                .header(axum::http::header::HOST, "evil.example")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(!forged.body.contains("evil.example") && !forged.body.contains("pingxuan.test"));
    assert!(
        forged
            .body
            .contains("https://pingxuan.example.gov.cn/verify/")
    );
    let page = ducha.get("/certificates/2026-Q2").await;
    assert_eq!(page.status, StatusCode::OK);
    let numbers = page.texts(".certificate-no");
    assert_eq!(numbers.len(), 15);
    assert_eq!(page.texts(".certificate svg.qr").len(), 15);
    assert!(page.body.contains("荣誉证书") && page.body.contains("示范市政务服务中心"));
    assert!(
        page.body
            .contains("https://pingxuan.example.gov.cn/verify/")
    );
    let first = numbers[0].trim_start_matches("证书编号：").to_string();
    let one = ducha.get(&format!("/certificates/2026-Q2/{first}")).await;
    assert_eq!(one.texts(".certificate").len(), 1);
    assert_eq!(
        ducha.get("/certificates/2026-Q3").await.status,
        StatusCode::NOT_FOUND,
        "no certificates before publication"
    );

    let mut public = Browser::new(&app);
    let valid = public.get(&format!("/verify/{first}")).await;
    assert_eq!(valid.status, StatusCode::OK);
    assert!(valid.text(".verify-result").contains("证书有效"));
    assert!(valid.body.contains("优质服务窗口"));
    // Typed in lower case with spaces, it is found all the same.
    let typed = public
        .get(&format!("/verify?no=+{}+", first.to_lowercase()))
        .await;
    assert_eq!(typed.status, StatusCode::SEE_OTHER);
    assert_eq!(typed.location(), Some(format!("/verify/{first}").as_str()));
    let unknown = public.get("/verify/2026Q2-S01-AAAAAA").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.text(".verify-result").contains("未找到"));
    let bad = public.get("/verify?no=%3Cscript%3E").await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    assert!(bad.text(".verify-result").contains("格式不正确"));
    assert!(!bad.body.contains("<script>"));
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([30, 90, 160]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[sqlx::test]
async fn a_photo_is_re_encoded_and_shown_publicly_only_for_a_winner(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let winner: i64 = sqlx::query_scalar(
        "select staff_id from honor where kind = 'staff' and rank = 1 and revoked_at is null",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let other: i64 = sqlx::query_scalar(
        "select min(staff_id) from staff where staff_id not in (select staff_id from honor where staff_id is not null)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let mut admin = login_as(&app, Role::Admin).await;
    let mut public = Browser::new(&app);
    assert!(public.get("/honor-roll").await.body.contains("placeholder"));

    // Files that are not photos change nothing and say why.
    let before = checksum(&app.pool).await;
    for (name, data, message) in [
        (
            "report.jpg",
            b"%PDF-1.7\n%fake".to_vec(),
            "只能上传 JPEG、PNG 或 WebP",
        ),
        ("empty.png", Vec::new(), "请选择要上传的照片文件"),
        ("broken.png", png(20, 20)[..60].to_vec(), "已损坏"),
    ] {
        let token = admin.csrf().await;
        let (ct, body) = multipart_form(&token, "photo", name, &data);
        let page = admin
            .post_raw(&format!("/admin/staff/{winner}/photo"), &ct, body)
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(
            page.text(".error-summary").contains(message),
            "{name}: {}",
            page.body
        );
    }
    // The upload form's token is checked like any other form's.
    for token in [
        "",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let (ct, body) = multipart_form(token, "photo", "photo.png", &png(50, 50));
        let page = admin
            .post_raw(&format!("/admin/staff/{winner}/photo"), &ct, body)
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "token {token:?}");
    }
    // A body past the upload limit is refused before it is read.
    let token = admin.csrf().await;
    let (ct, body) = multipart_form(&token, "photo", "huge.png", &vec![0u8; 11 * 1024 * 1024]);
    let page = admin
        .post_raw(&format!("/admin/staff/{winner}/photo"), &ct, body)
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(checksum(&app.pool).await, before);

    for id in [winner, other] {
        let token = admin.csrf().await;
        let (ct, body) = multipart_form(&token, "photo", "photo.png", &png(900, 900));
        let done = admin
            .post_raw(&format!("/admin/staff/{id}/photo"), &ct, body)
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    }
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'staff.photo'"
        )
        .await,
        2
    );
    let roll = public.get("/honor-roll").await;
    let src = format!("/photos/{winner}?v=");
    assert!(
        roll.body.contains(&src),
        "the roll shows the new photo at once"
    );
    let photo = public.get(&format!("/photos/{winner}")).await;
    assert_eq!(photo.status, StatusCode::OK);
    assert_eq!(photo.headers[header::CONTENT_TYPE], "image/jpeg");
    // Someone who won nothing keeps their photo private.
    assert_eq!(
        public.get(&format!("/photos/{other}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin
            .get(&format!("/admin/staff/{other}/photo.jpg"))
            .await
            .status,
        StatusCode::OK
    );
}

#[sqlx::test]
async fn without_a_public_address_certificates_are_not_printed_and_the_page_says_how_to_set_it(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    let page = ducha
        .send(
            ducha
                .request("GET", "/certificates/2026-Q2")
                .header(axum::http::header::HOST, "evil.example")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts(".certificate").is_empty());
    assert!(page.text(".notice.warn").contains("PINGXUAN_PUBLIC_URL"));
    assert!(!page.body.contains("evil.example") && !page.body.contains("pingxuan.test"));
}

#[sqlx::test]
async fn walking_through_certificate_numbers_is_stopped_per_address(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let real: String = sqlx::query_scalar("select certificate_no from honor limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut walker = Browser::new(&app);
    for i in 0..30 {
        let miss = walker.get(&format!("/verify/2026Q2-S01-AAA{i:03}")).await;
        assert_eq!(miss.status, StatusCode::NOT_FOUND, "lookup {i}");
    }
    // The address must now wait, even for a number that exists.
    let stopped = walker.get(&format!("/verify/{real}")).await;
    assert_eq!(stopped.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(stopped.text(".verify-result").contains("15 分钟"));
    // The page itself still opens, and hits never count.
    assert_eq!(walker.get("/verify").await.status, StatusCode::OK);
    sqlx::query("delete from login_throttle")
        .execute(&app.pool)
        .await
        .unwrap();
    for _ in 0..40 {
        assert_eq!(
            walker.get(&format!("/verify/{real}")).await.status,
            StatusCode::OK
        );
    }
}
