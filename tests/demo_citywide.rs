//! The demo city's city-wide rounds: 2025's published with certificates, 2026's open with
//! two counties submitted (one nomination returned) and one still drafting.

mod common;

use axum::http::StatusCode;
use common::*;
use sqlx::PgPool;

#[sqlx::test]
async fn the_demo_city_runs_a_believable_city_wide_round(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    pingxuan::demo_citywide::load(&app.pool).await.unwrap();
    let before = checksum(&app.pool).await;
    pingxuan::demo_citywide::load(&app.pool).await.unwrap();
    assert_eq!(
        checksum(&app.pool).await,
        before,
        "loading again changes nothing"
    );

    let published: (String, i64) = sqlx::query_as(
        "select r.phase, (select count(*) from citywide_honor h where h.citywide_round_id = r.citywide_round_id)
         from citywide_round r where year = 2025",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(published, ("published".to_string(), 6));
    let by_county: Vec<(String, String, i64)> = sqlx::query_as(
        "select c.code, n.status, count(*) from nomination n
         join citywide_round r using (citywide_round_id) join center c on c.center_id = n.county_center_id
         where r.year = 2026 group by c.code, n.status order by c.code, n.status",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let expect = |code: &str, status: &str, n: i64| (code.to_string(), status.to_string(), n);
    assert_eq!(
        by_county,
        vec![
            expect("shifan-dongcheng", "returned", 1),
            expect("shifan-dongcheng", "submitted", 3),
            expect("shifan-qingshan", "submitted", 4),
            expect("shifan-xicheng", "draft", 2),
        ]
    );
    let ahead: bool = sqlx::query_scalar(
        "select deadline > now() + interval '4 days' from citywide_round where year = 2026",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(ahead, "the deadline a few days ahead");

    // Each county's office signs in and sees its own nominations only.
    let mut dc = Browser::new(&app);
    assert_eq!(
        dc.login("dc-ducha", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let home = dc.get("/supervision").await.text(".todo");
    assert!(home.contains("申报截止"), "{home}");
    assert!(home.contains("被退回补正，请在"), "{home}");
    let page = dc.get("/citywide/2026").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("退回补正"));
    assert!(!page.body.contains("shifan-qingshan"));
    let mut xc = Browser::new(&app);
    assert_eq!(
        xc.login("xc-ducha", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(xc.get("/citywide/2026").await.texts("tbody tr").len(), 2);
    // The published round's results and a certificate.
    let mut public = Browser::new(&app);
    assert_eq!(public.get("/gongshi/2025").await.text("h1"), "表彰名单");
    let number: String = sqlx::query_scalar("select min(certificate_no) from citywide_honor")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        public
            .get(&format!("/verify/{number}"))
            .await
            .body
            .contains("证书有效")
    );
}
