//! The live 字数 counter in headless Chromium counts exactly as the server does (SPEC.md
//! §3a): the same texts, counted by `domain::zishu` here and by `/static/zishu.js` there.

mod common;

use std::time::{Duration, Instant};

use common::webdriver::Driver;
use common::*;
use pingxuan::domain::zishu;
use sqlx::PgPool;

const TEXTS: &[&str] = &[
    "优质服务窗口",
    "按期办结率100%，群众满意率99.8%。",
    "Hello world 你好",
    "ＡＢＣ",
    "👍🏽好",
    " \n\t　 ",
    "全年办件1.2万件，“一窗通办”e.g. ISO9001认证",
    "cafe\u{301} re\u{301}sume\u{301}\n한국어　かな",
];

#[sqlx::test]
async fn the_pages_counter_counts_as_the_server_does(pool: PgPool) {
    let app = spawn(pool).await;
    let addr = serve_on_socket(&app).await;
    let base = format!("http://{addr}");
    let expected: Vec<usize> = TEXTS.iter().map(|t| zishu::count(t)).collect();
    let shown = tokio::task::spawn_blocking(move || -> Result<Vec<String>, String> {
        let driver = Driver::start()?;
        let s = driver.session(1366, 768)?;
        s.goto(&format!("{base}/login"))?;
        // A box like the nomination form's, then the counter script as the form loads it.
        s.run(
            "const t = document.createElement('textarea'); t.id = 'box';
             t.setAttribute('data-zishu', '10'); document.body.appendChild(t);
             const sc = document.createElement('script'); sc.src = '/static/zishu.js';
             sc.onload = () => document.dispatchEvent(new Event('DOMContentLoaded'));
             document.body.appendChild(sc); return true;",
        )?;
        let start = Instant::now();
        while s.run("return !!document.querySelector('.zishu')")? != true {
            if start.elapsed() > Duration::from_secs(10) {
                return Err("the counter did not appear".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut out = Vec::new();
        for text in TEXTS {
            let v = s.run(&format!(
                "const t = document.getElementById('box'); t.value = {};
                 t.dispatchEvent(new Event('input')); return document.querySelector('.zishu').textContent;",
                serde_json::to_string(text).unwrap()
            ))?;
            out.push(v.as_str().unwrap_or("").to_string());
        }
        Ok(out)
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("{e}"));
    for ((text, n), shown) in TEXTS.iter().zip(&expected).zip(&shown) {
        assert!(
            shown.starts_with(&format!("已写 {n} / 10 字")),
            "{text:?}: the server counts {n}, the page shows {shown:?}"
        );
    }
    assert!(
        shown[6].contains("超出"),
        "over the limit is said: {}",
        shown[6]
    );
}
