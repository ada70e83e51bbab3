//! Every center's public pages: the index of centers, each center's honor roll, hall screen
//! and verification at `/c/{center}/…`, the same at `/honor-roll` of a host name mapped to
//! the center; and what operators watch (metrics, request ids).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use pingxuan::config::Config;
use sqlx::PgPool;

const COUNTY: &str = "shifan-qingshan";

async fn with_county(config: Config, pool: PgPool) -> TestApp {
    let app = spawn_with(pool, config).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    app
}

async fn get_at_host(app: &TestApp, host: &str, path: &str) -> Page {
    let mut b = Browser::new(app);
    let req = Request::builder()
        .uri(path)
        .header(header::HOST, host)
        .body(Body::empty())
        .unwrap();
    b.send(req).await
}

async fn certificate(app: &TestApp, center: &str) -> String {
    sqlx::query_scalar(
        "select h.certificate_no from honor h join center c using (center_id)
          where c.code = $1 order by h.honor_id limit 1",
    )
    .bind(center)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn each_center_has_its_honor_roll_hall_screen_and_verification(pool: PgPool) {
    let app = with_county(Config::default(), pool).await;
    let mut anyone = Browser::new(&app);

    // The index lists every center with its pages.
    let index = anyone.get("/centers").await;
    assert_eq!(index.status, StatusCode::OK);
    let names = index.texts(".center-index li strong");
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names[0], "示范市政务服务中心", "the city first");
    assert!(names.contains(&"示范市青山县政务服务中心".to_string()));
    assert!(
        index
            .body
            .contains("href=\"/c/shifan-qingshan/honor-roll\"")
    );

    // The county's own roll: its name, its latest monthly award, links kept under its
    // address; the city's at its own address as at /honor-roll.
    let roll = anyone.get(&format!("/c/{COUNTY}/honor-roll")).await;
    assert_eq!(roll.status, StatusCode::OK);
    assert_eq!(roll.text(".honor-center"), "示范市青山县政务服务中心");
    assert!(roll.body.contains("2026年10月"), "{}", roll.body);
    assert!(roll.body.contains(&format!("href=\"/c/{COUNTY}/verify\"")));
    assert!(
        roll.body
            .contains(&format!("href=\"/c/{COUNTY}/honor-roll/2026-10/hall\""))
    );
    let city = anyone.get("/c/shifan/honor-roll").await;
    assert_eq!(city.text(".honor-center"), "示范市政务服务中心");
    assert_eq!(
        anyone.get("/honor-roll").await.text(".honor-center"),
        "示范市政务服务中心"
    );
    let may = anyone.get(&format!("/c/{COUNTY}/honor-roll/2026-05")).await;
    assert_eq!(may.status, StatusCode::OK);
    assert!(may.body.contains("2026年5月"), "{}", may.body);
    let hall = anyone.get(&format!("/c/{COUNTY}/honor-roll/hall")).await;
    assert_eq!(hall.status, StatusCode::OK);
    assert!(hall.body.contains("示范市青山县政务服务中心"));
    // Periods of another center, unknown centers and malformed codes are not found.
    for path in [
        format!("/c/{COUNTY}/honor-roll/2026-Q2"),
        "/c/nowhere/honor-roll".to_string(),
        "/c/BAD%20CODE/honor-roll".to_string(),
        format!("/c/{}/honor-roll", "a".repeat(40)),
        "/c/nowhere/verify".to_string(),
    ] {
        assert_eq!(
            anyone.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    // A county's verification finds its own certificates, not the city's; /verify finds both.
    let county_no = certificate(&app, COUNTY).await;
    let city_no = certificate(&app, "shifan").await;
    let own = anyone.get(&format!("/c/{COUNTY}/verify/{county_no}")).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(own.body.contains("示范市青山县政务服务中心"));
    let other = anyone.get(&format!("/c/{COUNTY}/verify/{city_no}")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(other.body.contains("本中心未颁发"), "{}", other.body);
    for n in [&county_no, &city_no] {
        assert_eq!(
            anyone.get(&format!("/verify/{n}")).await.status,
            StatusCode::OK
        );
    }
    // The form of a center's page keeps to the center.
    let asked = anyone
        .get(&format!(
            "/c/{COUNTY}/verify?no={}",
            county_no.to_lowercase()
        ))
        .await;
    assert_eq!(
        asked.location(),
        Some(format!("/c/{COUNTY}/verify/{county_no}").as_str())
    );

    // Each address is cached on its own: a later read is the same page, from memory. (The
    // first render may be dropped when the process's listener connects after it, since a
    // notification may have been missed until then: so the page is read until it is a hit.)
    let metrics = || pingxuan::metrics::render(&app.pool).expect("metrics recorded");
    assert!(metrics().contains("pingxuan_honor_cache_misses_total"));
    let mut hit = false;
    for _ in 0..200 {
        let again = anyone.get(&format!("/c/{COUNTY}/honor-roll")).await;
        assert_eq!(again.body, roll.body);
        if metrics().contains("pingxuan_honor_cache_hits_total") {
            hit = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(hit, "{}", metrics());
}

#[sqlx::test]
async fn a_host_name_mapped_to_a_county_shows_its_pages(pool: PgPool) {
    let config = Config {
        public_hosts: pingxuan::config::parse_public_hosts(&format!(
            "qingshan.example.gov.cn={COUNTY}"
        ))
        .unwrap(),
        ..Config::default()
    };
    let app = with_county(config, pool).await;
    let roll = get_at_host(&app, "qingshan.example.gov.cn", "/honor-roll").await;
    assert_eq!(roll.status, StatusCode::OK);
    assert_eq!(roll.text(".honor-center"), "示范市青山县政务服务中心");
    let with_port = get_at_host(&app, "QingShan.example.gov.cn:8443", "/honor-roll/hall").await;
    assert!(with_port.body.contains("示范市青山县政务服务中心"));
    let county_no = certificate(&app, COUNTY).await;
    let city_no = certificate(&app, "shifan").await;
    let verified = get_at_host(
        &app,
        "qingshan.example.gov.cn",
        &format!("/verify/{county_no}"),
    )
    .await;
    assert_eq!(verified.status, StatusCode::OK);
    let refused = get_at_host(
        &app,
        "qingshan.example.gov.cn",
        &format!("/verify/{city_no}"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    // Other hosts, and every other page of the mapped host, are as before.
    let city = get_at_host(&app, "pingxuan.example.gov.cn", "/honor-roll").await;
    assert_eq!(city.text(".honor-center"), "示范市政务服务中心");
    let login = get_at_host(&app, "qingshan.example.gov.cn", "/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains("登录"));

    // A malformed mapping is refused with a message saying what is wrong.
    for bad in ["qingshan.example.gov.cn", "a b=c", "host=Not_A_Code", "=x"] {
        let err = pingxuan::config::parse_public_hosts(bad).unwrap_err();
        assert!(err.contains("host=center-code"), "{bad}: {err}");
    }
}

#[sqlx::test]
async fn every_request_carries_an_id_and_is_counted_by_its_route(pool: PgPool) {
    let app = spawn(pool).await;
    let mut b = Browser::new(&app);
    let page = b.get("/periods/2026-Q2").await;
    let id = page.headers.get("x-request-id").expect("a request id");
    assert_eq!(id.len(), 16);
    let other = b.get("/login").await;
    assert_ne!(other.headers.get("x-request-id"), Some(id));
    // A proxy's id is not taken from a client reaching the server directly.
    let req = b
        .request("GET", "/login")
        .header("x-request-id", "from-the-client")
        .body(Body::empty())
        .unwrap();
    assert_ne!(
        b.send(req).await.headers.get("x-request-id").unwrap(),
        "from-the-client"
    );
    b.login("staff077", "wrong-password").await;
    let text = pingxuan::metrics::render(&app.pool).unwrap();
    assert!(
        text.contains(
            r#"pingxuan_http_requests_total{route="/periods/{code}",method="GET",status="303"}"#
        ) || text.contains(r#"route="/periods/{code}""#),
        "{text}"
    );
    assert!(
        text.contains("pingxuan_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("pingxuan_signin_failures_total"), "{text}");
    assert!(text.contains("pingxuan_db_pool_connections_max"), "{text}");
    // The public address serves no metrics.
    assert_eq!(b.get("/metrics").await.status, StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn a_trusted_proxy_passes_its_request_id_on(pool: PgPool) {
    let app = spawn_with(
        pool,
        Config {
            trust_proxy: true,
            ..Config::default()
        },
    )
    .await;
    let mut b = Browser::new(&app);
    let req = b
        .request("GET", "/login")
        .header("x-request-id", "6f1c2a0e9b7d4c3a")
        .header("x-forwarded-for", "10.1.2.3")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        b.send(req).await.headers.get("x-request-id").unwrap(),
        "6f1c2a0e9b7d4c3a"
    );
    let req = b
        .request("GET", "/login")
        .header("x-request-id", "no spaces<script>")
        .body(Body::empty())
        .unwrap();
    assert_ne!(
        b.send(req).await.headers.get("x-request-id").unwrap(),
        "no spaces<script>"
    );
}
