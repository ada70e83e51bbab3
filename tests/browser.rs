//! The public pages in a real browser: headless Chromium (Debian's chromium and
//! chromium-driver, installed by scripts/test) loads the honor roll, the hall screen, a
//! certificate and the verification page, saves screenshots under target/screenshots/, and
//! checks that Chinese text is drawn with real glyphs (a CJK font is installed), that the
//! hall screen rotates by itself, and that certificates lay out one per A4 page.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::webdriver::{Driver, Session};
use common::*;
use sqlx::PgPool;

/// Whether the page's font draws CJK characters as glyphs: two different characters give
/// different pixels, neither is blank, and neither is the "missing glyph" box.
const CJK_CHECK: &str = r#"
const c = document.createElement('canvas'); c.width = 64; c.height = 64;
const g = c.getContext('2d');
const font = getComputedStyle(document.body).fontFamily;
function draw(ch) {
  g.clearRect(0, 0, 64, 64); g.font = '48px ' + font; g.fillStyle = '#000';
  g.fillText(ch, 4, 52);
  return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
}
const a = draw('光'), b = draw('荣'), missing = draw('\uE000');
return { distinct: a !== b, blank: !/[1-9]/.test(a), box: a === missing || b === missing };
"#;

fn save(dir: &std::path::Path, name: &str, png: &[u8]) -> Result<(), String> {
    if !png.starts_with(b"\x89PNG") {
        return Err(format!("{name}: not a PNG"));
    }
    std::fs::write(dir.join(name), png).map_err(|e| e.to_string())
}

fn check_cjk(s: &Session, page: &str) -> Result<(), String> {
    let v = s.run(CJK_CHECK)?;
    if v["distinct"] != true || v["blank"] != false || v["box"] != false {
        return Err(format!(
            "{page}: Chinese text is not drawn with real glyphs: {v}"
        ));
    }
    Ok(())
}

fn walk(base: &str, dir: &std::path::Path, certificate: &str) -> Result<(), String> {
    let driver = Driver::start()?;
    let s = driver.session(1366, 768)?;
    let result = (|| -> Result<(), String> {
        // The honor roll, at desktop and phone widths.
        s.goto(&format!("{base}/honor-roll"))?;
        let title = s.run("return document.title")?;
        if !title.as_str().unwrap_or("").contains("光荣榜") {
            return Err(format!("honor roll title: {title}"));
        }
        check_cjk(&s, "honor roll")?;
        let cards = s.run("return document.querySelectorAll('.honor-card').length")?;
        if cards != 15 {
            return Err(format!("honor roll shows {cards} winners, not 15"));
        }
        save(dir, "honor-roll-1366.png", &s.full_screenshot()?)?;
        s.goto(&format!("{base}/honor-roll"))?;
        s.phone(390, 844)?;
        if s.run("return window.innerWidth")? != 390 {
            return Err("the phone's screen is not 390 px wide".into());
        }
        let overflow =
            s.run("return document.documentElement.scrollWidth > window.innerWidth + 1")?;
        if overflow != false {
            return Err("the honor roll scrolls sideways on a phone".into());
        }
        save(dir, "honor-roll-390.png", &s.screenshot()?)?;
        s.desktop()?;

        // The hall screen: full HD, and it turns to the other list by itself.
        s.goto(&format!("{base}/honor-roll/hall"))?;
        s.emulate(1920, 1080, false)?;
        let size = s.run("return [window.innerWidth, window.innerHeight]")?;
        if size != serde_json::json!([1920, 1080]) {
            return Err(format!("the hall screen viewport is {size}, not 1920×1080"));
        }
        // Nothing of either list may fall off the screen.
        let off = s.run("return [...document.querySelectorAll('.hall-card')].filter(e => e.getBoundingClientRect().bottom > window.innerHeight).length")?;
        if off != 0 {
            return Err(format!(
                "{off} cards of the hall screen fall below the screen"
            ));
        }
        // The cards fill the screen, and no name or window breaks in the middle of a word.
        let bottoms = s.run("return [...document.querySelectorAll('.hall-slide')].map(sl => Math.max(...[...sl.querySelectorAll('.hall-card')].map(c => c.getBoundingClientRect().bottom)) / window.innerHeight)")?;
        if bottoms
            .as_array()
            .is_none_or(|b| b.iter().any(|v| v.as_f64().unwrap_or(0.0) < 0.9))
        {
            return Err(format!(
                "the hall screen's cards end at {bottoms} of its height"
            ));
        }
        let broken = s.run(
            "const out = [];
             for (const el of document.querySelectorAll('.hall-name, .hall-meta')) {
               const t = el.firstChild;
               if (!t || t.nodeType !== 3) continue;
               const text = t.textContent;
               let top = null, space = false;
               for (let i = 0; i < text.length; i++) {
                 if (text[i] === ' ') { space = true; continue; }
                 const r = document.createRange();
                 r.setStart(t, i); r.setEnd(t, i + 1);
                 const box = r.getBoundingClientRect();
                 if (box.width === 0) continue;
                 if (top !== null && box.top > top + 2 && !space) { out.push(text); break; }
                 top = box.top; space = false;
               }
             }
             return out;",
        )?;
        if broken.as_array().is_some_and(|b| !b.is_empty()) {
            return Err(format!(
                "names broken mid-word on the hall screen: {broken}"
            ));
        }
        check_cjk(&s, "hall screen")?;
        let shown = "return [...document.querySelectorAll('.hall-slide')].map(e => getComputedStyle(e).visibility)";
        let first = s.run(shown)?;
        save(dir, "hall-1920-windows.png", &s.screenshot()?)?;
        std::thread::sleep(Duration::from_millis(12_500));
        let later = s.run(shown)?;
        save(dir, "hall-1920-staff.png", &s.screenshot()?)?;
        if first == later || first[0] == first[1] {
            return Err(format!(
                "the hall screen did not rotate: {first} then {later}"
            ));
        }

        // Public verification of a certificate.
        s.desktop()?;
        s.resize(1366, 768)?;
        s.goto(&format!("{base}/verify/{certificate}"))?;
        let verdict = s.run("return document.querySelector('.verify-result h2').textContent")?;
        if verdict != "证书有效" {
            return Err(format!("verification says {verdict}"));
        }
        save(dir, "verify-1366.png", &s.screenshot()?)?;

        // The certificates, signed in as the supervision office.
        s.goto(&format!("{base}/login"))?;
        s.run(&format!(
            "document.querySelector('[name=username]').value = 'ducha';
             document.querySelector('[name=password]').value = '{PASSWORD}';
             document.querySelector('form').submit(); return true;"
        ))?;
        std::thread::sleep(Duration::from_millis(1500));
        s.goto(&format!("{base}/certificates/2026-Q2"))?;
        let count = s.run("return document.querySelectorAll('.certificate').length")?;
        if count != 15 {
            return Err(format!("{count} certificates on the print page, not 15"));
        }
        check_cjk(&s, "certificates")?;
        // An A4 landscape sheet is 297 mm wide: at 96 px per inch, about 1123 px.
        let width = s.run("return Math.round(document.querySelector('.certificate').getBoundingClientRect().width)")?;
        if !(1100..=1140).contains(&width.as_i64().unwrap_or(0)) {
            return Err(format!(
                "a certificate is {width} px wide, not A4 landscape"
            ));
        }
        s.resize(1200, 900)?;
        save(dir, "certificates-1200.png", &s.screenshot()?)?;
        Ok(())
    })();
    s.quit();
    result
}

#[sqlx::test]
async fn the_public_pages_render_in_chromium_with_chinese_glyphs(pool: PgPool) {
    // Certificates are printed only with the public address configured.
    let app = spawn_with(
        pool,
        pingxuan::config::Config {
            public_url: Some("https://pingxuan.example.gov.cn".into()),
            ..pingxuan::config::Config::default()
        },
    )
    .await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let certificate: String = sqlx::query_scalar(
        "select certificate_no from honor where kind = 'staff' and rank = 1 and revoked_at is null",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let addr = serve_on_socket(&app).await;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let base = format!("http://{addr}");
    let outcome = tokio::task::spawn_blocking(move || walk(&base, &dir, &certificate))
        .await
        .unwrap();
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

/// The city-wide round's public pages on a phone: the notice (here the published round's
/// results, the same page) and the feedback form, at 390 px, with Chinese glyphs and no
/// sideways scrolling; the live 字数 counter appears under the feedback box.
#[sqlx::test]
async fn the_city_wide_rounds_public_pages_read_on_a_phone(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    pingxuan::demo_citywide::load(&app.pool).await.unwrap();
    // The published round's notice, open again for feedback today, for the form.
    sqlx::query(
        "update citywide_round set phase = 'notice', notice_starts = current_date - 1,
                notice_ends = current_date + 3 where year = 2025",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let addr = serve_on_socket(&app).await;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let base = format!("http://{addr}");
    let outcome = tokio::task::spawn_blocking(move || -> Result<(), String> {
        let driver = Driver::start()?;
        let s = driver.session(1366, 768)?;
        s.phone(390, 844)?;
        for (page, shot) in [
            ("/gongshi/2025", "notice-390.png"),
            ("/gongshi/2025/feedback", "notice-feedback-390.png"),
        ] {
            s.goto(&format!("{base}{page}"))?;
            check_cjk(&s, page)?;
            if s.run("return document.documentElement.scrollWidth > window.innerWidth + 1")? == true
            {
                return Err(format!("{page} scrolls sideways on a phone"));
            }
            save(&dir, shot, &s.full_screenshot()?)?;
        }
        s.find("#f-body")?.type_text("服务很好 OK")?;
        let counter = s.text(".zishu")?;
        if !counter.starts_with("已写 5 / 500 字") {
            return Err(format!("the counter says {counter:?}"));
        }
        Ok(())
    })
    .await
    .unwrap();
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
