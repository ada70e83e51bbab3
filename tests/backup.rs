//! Backups that restore: `scripts/backup` of the whole demo, `scripts/restore` into a new
//! database, the server started on it, and every published period's results, recount,
//! audit log and certificates found identical.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::config::Config;
use sqlx::PgPool;

fn script(name: &str, args: &[&str], url: &str) -> String {
    let out = std::process::Command::new(format!("{}/scripts/{name}", env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/{name} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every row of the append-only and published tables, in order, as text.
async fn rows(pool: &PgPool, table: &str, order: &str) -> Vec<String> {
    sqlx::query_scalar(&format!(
        "select row_to_json(t)::text from {table} t order by {order}"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_backup_of_the_demo_restores_into_a_new_database_with_everything_published_identical(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    pingxuan::demo_citywide::load(&app.pool).await.unwrap();
    let url = database_url(&app).await;

    let dir = std::env::temp_dir().join(format!("pingxuan-backup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.dump", url.rsplit('/').next().unwrap()));
    let _ = std::fs::remove_file(&file);
    let file = file.to_str().unwrap().to_string();
    let said = script("backup", &[&file], &url);
    assert!(said.contains("backup:"), "{said}");
    // A second backup never writes over the first.
    let refused =
        std::process::Command::new(format!("{}/scripts/backup", env!("CARGO_MANIFEST_DIR")))
            .arg(&file)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
    assert!(!refused.status.success());

    // PostgreSQL cuts names at 63 bytes, and the test's own name is that long already.
    let (base, own) = url.rsplit_once('/').unwrap();
    let restored_name = format!("restored_{}", &own[own.len() - 24..]);
    let restored_url = format!("{base}/{restored_name}");
    sqlx::query(&format!("drop database if exists \"{restored_name}\""))
        .execute(&app.pool)
        .await
        .unwrap();
    let said = script("restore", &[&file, &restored_url], &url);
    assert!(said.contains("audit log entries"), "{said}");
    // Restoring again into the same, now full, database is refused.
    let again =
        std::process::Command::new(format!("{}/scripts/restore", env!("CARGO_MANIFEST_DIR")))
            .args([&file, &restored_url])
            .output()
            .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds"));

    // The server starts on the restored database: its migrations are all there.
    let restored = pingxuan::db::connect(Some(&restored_url), 4).await.unwrap();
    pingxuan::db::migrate(&restored).await.unwrap();
    let config = Config {
        public_url: Some("https://pingxuan.example.gov.cn".into()),
        ..Config::default()
    };
    let before = pingxuan::app(pingxuan::AppState::new(app.pool.clone(), config.clone()));
    let after = pingxuan::app(pingxuan::AppState::new(restored.clone(), config));
    let before = TestApp {
        router: before,
        pool: app.pool.clone(),
        clock: app.clock.clone(),
        remote: None,
    };
    let after = TestApp {
        router: after,
        pool: restored.clone(),
        clock: app.clock.clone(),
        remote: None,
    };

    // Every published period of every center: its results and recount input as exported,
    // and the recount of the restored input giving the restored results.
    let published: Vec<(String, String)> = sqlx::query_as(
        "select c.code, p.code from period p join center c using (center_id)
          where p.phase = 'published' order by c.code, p.code",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(published.len() >= 12, "{published:?}");
    for (center, period) in &published {
        for what in ["recount", "results"] {
            let a = cli_export(&url, what, period, Some(center));
            let b = cli_export(&restored_url, what, period, Some(center));
            assert!(
                a == b,
                "{center} {period}: {what} differs after the restore"
            );
        }
        let recount = cli_export(&restored_url, "recount", period, Some(center));
        let results = cli_export(&restored_url, "results", period, Some(center));
        assert!(
            cli_compute(&recount) == results,
            "{center} {period}: the restored recount gives the restored results"
        );
    }

    // The audit log and the certificates, row for row.
    for (table, order) in [
        ("audit_log", "audit_id"),
        ("honor", "honor_id"),
        ("citywide_honor", "citywide_honor_id"),
        ("ballot_receipt", "1"),
        ("ballot_tally", "1"),
        ("score_correction", "1"),
    ] {
        let (a, b) = (
            rows(&app.pool, table, order).await,
            rows(&restored, table, order).await,
        );
        assert!(
            !a.is_empty() || table == "score_correction",
            "{table} is empty"
        );
        assert!(a == b, "{table} differs after the restore");
    }

    // Each certificate verifies the same on the restored server, and every center's public
    // honor roll reads the same.
    let numbers: Vec<String> = sqlx::query_scalar(
        "select certificate_no from honor union all select certificate_no from citywide_honor
          order by 1",
    )
    .fetch_all(&restored)
    .await
    .unwrap();
    assert!(numbers.len() >= 15, "{numbers:?}");
    for n in &numbers {
        let (a, b) = (
            Browser::new(&before).get(&format!("/verify/{n}")).await,
            Browser::new(&after).get(&format!("/verify/{n}")).await,
        );
        assert_eq!(a.status, StatusCode::OK, "{n}");
        assert_eq!(a.body, b.body, "{n}");
    }
    let centers: Vec<String> = sqlx::query_scalar("select code from center order by code")
        .fetch_all(&restored)
        .await
        .unwrap();
    for c in &centers {
        let path = format!("/c/{c}/honor-roll");
        let (a, b) = (
            Browser::new(&before).get(&path).await,
            Browser::new(&after).get(&path).await,
        );
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.body, b.body, "{path}");
    }

    // A signed-in page reads the restored data: the results of the published quarter.
    let mut ducha = Browser::new(&after);
    assert_eq!(
        ducha.login("ducha", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let results = ducha.get("/results/2026-Q2").await;
    assert_eq!(results.status, StatusCode::OK);
    assert!(results.body.contains("优质服务窗口"), "{}", results.body);

    restored.close().await;
    sqlx::query(&format!(
        "drop database if exists \"{restored_name}\" with (force)"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
