//! The office records a deduction from a phone at the counter, in headless Chromium at a
//! phone's width: find the person by window number, choose the standard, save; the month's
//! score follows. The page must fit the screen without sideways scrolling.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::webdriver::{Driver, Session};
use common::*;
use sqlx::PgPool;

fn wait_for_url(s: &Session, part: &str) -> Result<(), String> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if s.url()?.contains(part) && s.run("return document.readyState")? == "complete" {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("timed out waiting for {part}: at {}", s.url()?))
}

#[sqlx::test]
async fn a_deduction_is_recorded_from_a_phone(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    clock_at(&app, "2026-11-20");
    let staff: (i64, String, String) = sqlx::query_as(
        "select s.staff_id, s.name, w.number from account a join staff s using (staff_id)
         join service_window w on w.window_id = s.window_id where a.username = 'staff002'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let base = format!("http://{}", serve_on_socket(&app).await);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let (id, name, window) = staff.clone();
    let result = tokio::task::spawn_blocking(move || -> Result<i64, String> {
        let driver = Driver::start()?;
        let s = driver.session(1366, 768)?;
        s.goto(&format!("{base}/login"))?;
        s.find("#f-username")?.type_text("ducha")?;
        s.find("#f-password")?.type_text(PASSWORD)?;
        s.find("form button[type=submit]")?.click()?;
        wait_for_url(&s, "/supervision")?;
        s.phone(390, 844)?;
        s.goto(&format!("{base}/assessment/records/new"))?;
        s.find("#q")?.type_text(&window)?;
        s.find("form.search button")?.click()?;
        wait_for_url(&s, "q=")?;
        // The person is among those found by the window's number.
        let links = s.find_all(".pick-list a")?;
        let mut found = false;
        for a in &links {
            if a.attribute("href")?
                .is_some_and(|h| h.ends_with(&format!("target=s{id}")))
            {
                a.click()?;
                found = true;
                break;
            }
        }
        if !found {
            return Err(format!("{name} not found by window {window}"));
        }
        wait_for_url(&s, "target=")?;
        let wide = s.run("return document.documentElement.scrollWidth > window.innerWidth + 1")?;
        s.run(
            "const sel = document.getElementById('f-standard');
             const opt = [...sel.options].find(o => o.text.startsWith('迟到早退'));
             sel.value = opt.value; return true;",
        )?;
        s.find("#f-note")?.type_text("8:41 到岗")?;
        std::fs::write(dir.join("assessment-record-phone.png"), s.screenshot()?)
            .map_err(|e| e.to_string())?;
        s.find("form[enctype] button[type=submit]")?.click()?;
        wait_for_url(&s, "notice=created")?;
        let text = s.text("main")?;
        s.quit();
        if wide == true {
            return Err("the record form scrolls sideways on a phone".into());
        }
        if !text.contains("8:41 到岗") {
            return Err(format!("the record's page: {text}"));
        }
        Ok(id)
    })
    .await
    .unwrap();
    let id = result.unwrap_or_else(|e| panic!("{e}"));
    // The demo city assesses by records: November's score is 100 − 0.5.
    let score: String = sqlx::query_scalar(
        "select score::text from monthly_score where staff_id = $1 and month = '2026-11'",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(score, "99.50");
}
