//! Each role's main path through the demo center in headless Chromium, typed and clicked as
//! a person would: the supervision office opens a quarter, types a month of scores for every
//! window (value, Enter, value, … down the column) and staff member and records a veto; a window head who has not yet voted casts
//! both ballots (the own window cannot be ticked, and a forged tick is refused); the
//! supervision office closes the vote; a leadership member rates the candidates; the group
//! leader decides any tie and publishes; the public honor roll then shows exactly the
//! winners. Every page is photographed at 1366×768 and at phone width (390 px) into
//! target/screenshots/, and at phone width no page may scroll sideways.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::webdriver::{Driver, Session};
use common::*;
use sqlx::PgPool;

type Step<T> = Result<T, String>;

/// Runs a blocking browser step off the runtime, so that the server keeps serving.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Step<T> + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await.expect("the step ran") {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

/// Waits until `script` returns true (the page has moved on, say).
fn wait_until(s: &Session, script: &str, what: &str) -> Step<()> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if s.run(script).is_ok_and(|v| v == true) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("timed out waiting for {what}"))
}

/// Clicks the first element matching `selector` and waits for the next page to load.
fn click_through(s: &Session, selector: &str) -> Step<()> {
    s.run("window.__before = true; return true;")?;
    s.find(selector)?.click()?;
    wait_until(
        s,
        "return window.__before === undefined && document.readyState === 'complete'",
        &format!("the page after clicking {selector}"),
    )
}

fn sign_in(driver: &Driver, base: &str, username: &str) -> Step<Session> {
    let s = driver.session(1366, 768)?;
    s.goto(&format!("{base}/login"))?;
    s.find("#f-username")?.type_text(username)?;
    s.find("#f-password")?.type_text(PASSWORD)?;
    click_through(&s, "form button[type=submit]")?;
    if s.url()?.contains("/login") {
        return Err(format!(
            "{username} could not sign in: {}",
            s.text(".form-error")?
        ));
    }
    // Every role lands on its home page, which opens with its to-do list.
    let todo = s.text(".todo")?;
    if !todo.contains("待办事项") {
        return Err(format!(
            "{username}'s home page has no to-do list: {todo:?}"
        ));
    }
    Ok(s)
}

/// Screenshots of the page at 1366×768 and at 390 px wide; at 390 px nothing may make
/// the page scroll sideways.
fn shots(s: &Session, dir: &Path, name: &str) -> Step<()> {
    let save = |file: String, png: Vec<u8>| -> Step<()> {
        if !png.starts_with(b"\x89PNG") {
            return Err(format!("{file}: not a PNG"));
        }
        std::fs::write(dir.join(file), png).map_err(|e| e.to_string())
    };
    s.viewport(1366, 768)?;
    save(format!("{name}-1366.png"), s.screenshot()?)?;
    s.phone(390, 844)?;
    let width = s.run("return window.innerWidth")?;
    if width != 390 {
        return Err(format!(
            "{name}: the phone's screen is {width} px wide, not 390"
        ));
    }
    let wide = s.run(
        "return [...document.querySelectorAll('body *')]
           .filter(e => !e.closest('.chart-figure') && e.getBoundingClientRect().right > window.innerWidth + 1)
           .slice(0, 3).map(e => e.tagName + '.' + e.className)",
    )?;
    if wide.as_array().is_some_and(|a| !a.is_empty()) {
        return Err(format!(
            "{name}: at 390 px these stick out sideways: {wide}"
        ));
    }
    // Every box one types in or clicks is on the screen without scrolling sideways, inside
    // a table as anywhere else.
    let unreachable = s.run(
        "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
           .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > window.innerWidth + 1)
           .slice(0, 3).map(e => e.tagName + '#' + (e.id || e.name))",
    )?;
    if unreachable.as_array().is_some_and(|a| !a.is_empty()) {
        return Err(format!(
            "{name}: at 390 px these need sideways scrolling: {unreachable}"
        ));
    }
    chart_labels(s, name)?;
    save(format!("{name}-390.png"), s.screenshot()?)?;
    s.desktop()?;
    s.viewport(1366, 768)?;
    chart_labels(s, name)
}

/// Chart labels are drawn at 12 px or more, whatever the chart's scale on the screen.
fn chart_labels(s: &Session, name: &str) -> Step<()> {
    let smallest = s.run(
        "const sizes = [...document.querySelectorAll('svg.chart text')].map(t => {
           const svg = t.ownerSVGElement;
           const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
           return parseFloat(getComputedStyle(t).fontSize) * scale;
         });
         return sizes.length ? Math.min(...sizes) : 99;",
    )?;
    let px = smallest.as_f64().unwrap_or(0.0);
    if px < 11.95 {
        return Err(format!("{name}: a chart label is drawn at {px:.1} px"));
    }
    Ok(())
}

/// Types `value(i)` into the i-th score box of the grid on the page.
fn type_grid(s: &Session, value: impl Fn(usize) -> String) -> Step<Vec<(String, String)>> {
    let mut typed = Vec::new();
    for (i, input) in s
        .find_all("form.score-grid input.score-input")?
        .iter()
        .enumerate()
    {
        let v = value(i);
        input.clear()?;
        input.type_text(&v)?;
        typed.push((input.attribute("name")?.unwrap_or_default(), v));
    }
    Ok(typed)
}

/// The grid's values as the page shows them now.
fn grid_values(s: &Session) -> Step<Vec<(String, String)>> {
    let v = s.run(
        "return [...document.querySelectorAll('form.score-grid input.score-input')].map(e => [e.name, e.value])",
    )?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap_or("").to_string(),
                        p[1].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default())
}

/// The supervision office: a new quarter, October's scores typed in both tabs, a veto.
fn supervision_types_scores(driver: &Driver, base: &str, dir: &Path) -> Step<usize> {
    let s = sign_in(driver, base, "ducha")?;
    let result = (|| {
        shots(&s, dir, "supervision-home")?;
        s.goto(&format!("{base}/periods"))?;
        s.find("#f-code")?.type_text("2026-Q4")?;
        click_through(&s, "form.inline-form button[type=submit]")?;
        // The confirmation says which months and which scheme it will use.
        let confirm = s.text("main")?;
        if !confirm.contains("2026年10月") || !confirm.contains("评选方案") {
            return Err(format!(
                "the confirmation of opening 2026-Q4 says {confirm:?}"
            ));
        }
        click_through(&s, "main form button.primary")?;
        if !s.url()?.ends_with("/periods/2026-Q4?notice=created") {
            return Err(format!("opening 2026-Q4 ended at {}", s.url()?));
        }
        shots(&s, dir, "period-2026-Q4")?;

        let mut typed_total = 0;
        // 90.00 … 99.75 in steps of 0.25, so that no two neighbours are alike.
        let value = |i: usize| {
            let hundredths = 9000 + (i * 25) % 1000;
            format!("{}.{:02}", hundredths / 100, hundredths % 100)
        };
        for (tab, name) in [("windows", "scores-windows"), ("staff", "scores-staff")] {
            s.goto(&format!("{base}/scores/2026-10?tab={tab}"))?;
            let typed = if tab == "windows" {
                // As the office types it: a value, Enter, the next value, down the column.
                let names = s.run(
                    "return [...document.querySelectorAll('form.score-grid input.score-input')].map(e => e.name)",
                )?;
                let names: Vec<String> = names
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|n| n.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                s.find("form.score-grid input.score-input")?.click()?;
                let mut typed = Vec::new();
                for (i, cell) in names.iter().enumerate() {
                    let focused = s.active()?.attribute("name")?.unwrap_or_default();
                    if focused != *cell {
                        return Err(format!(
                            "after {i} Enters the cursor is in {focused:?}, not {cell}"
                        ));
                    }
                    s.active()?.type_text(&format!("{}\u{E007}", value(i)))?;
                    typed.push((cell.clone(), value(i)));
                }
                // Enter in the last cell does not send the form; the up arrow goes back.
                if s.url()?.contains("notice=") {
                    return Err("Enter in the last cell sent the form".into());
                }
                s.active()?.type_text("\u{E013}")?;
                let back = s.active()?.attribute("name")?.unwrap_or_default();
                if names.len() > 1 && back != names[names.len() - 2] {
                    return Err(format!("the up arrow moved to {back:?}"));
                }
                typed
            } else {
                type_grid(&s, value)?
            };
            if typed.is_empty() {
                return Err(format!("no score boxes on the {tab} tab"));
            }
            click_through(&s, "form.score-grid button[type=submit]")?;
            let notice = s.text(".notice")?;
            if !notice.contains("已保存") {
                return Err(format!(
                    "saving the {tab} tab: {notice} {}",
                    s.text(".error-summary")?
                ));
            }
            // What the page shows after saving is what was typed (two decimals kept).
            s.goto(&format!("{base}/scores/2026-10?tab={tab}"))?;
            let shown = grid_values(&s)?;
            let normalise = |v: &str| v.parse::<f64>().map(|f| (f * 100.0).round() as i64).ok();
            for (name, value) in &typed {
                let now = shown
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str());
                if now.and_then(normalise) != normalise(value) {
                    return Err(format!("{tab} {name}: typed {value}, shown {now:?}"));
                }
            }
            typed_total += typed.len();
            shots(&s, dir, name)?;
        }

        // A typed score is never dropped silently: the page counts it, and going to the next
        // month asks first; 取消 keeps the page and what was typed.
        s.goto(&format!("{base}/scores/2026-10?tab=windows"))?;
        let first = s.find("form.score-grid input.score-input")?;
        let saved = first.attribute("value")?.unwrap_or_default();
        first.clear()?;
        first.type_text("77.5")?;
        let status = s.text("#unsaved")?;
        if status != "有 1 个分数尚未保存" {
            return Err(format!("the unsaved count says {status:?}"));
        }
        let here = s.url()?;
        s.find(".month-nav a:last-child")?.click()?;
        let asked = s.dialog_text()?.unwrap_or_default();
        if !asked.contains("1 个分数尚未保存") {
            return Err(format!("leaving with an unsaved score asked {asked:?}"));
        }
        s.answer_dialog(false)?;
        let kept =
            s.run("return document.querySelector('form.score-grid input.score-input').value")?;
        if s.url()? != here || kept != "77.5" {
            return Err(format!(
                "cancelling the question did not keep the page as typed: {kept}"
            ));
        }
        // Put back as it was, the page leaves without a question.
        first.clear()?;
        first.type_text(&saved)?;
        if !s.text("#unsaved")?.is_empty() {
            return Err("the score typed back is still counted as unsaved".into());
        }
        // Printed, the sheet shows scores as text, without boxes or buttons.
        s.print_media(true)?;
        let printed = s.run(
            "const i = document.querySelector('form.score-grid input.score-input');
             const b = document.querySelector('form.score-grid button');
             return [getComputedStyle(i).borderTopWidth, getComputedStyle(b).display]",
        )?;
        s.print_media(false)?;
        if printed != serde_json::json!(["0px", "none"]) {
            return Err(format!(
                "the printed score sheet keeps its boxes: {printed}"
            ));
        }

        // A veto: the third window, for an overdue case on 15 October.
        s.goto(&format!("{base}/periods/2026-Q4/vetoes"))?;
        s.find("#f-target optgroup[label='窗口'] option:nth-child(3)")?
            .click()?;
        s.find("#f-code option:nth-child(2)")?.click()?;
        s.find("#f-occurred_on")?.type_text("2026-10-15")?;
        s.find("#f-evidence")?
            .type_text("督查科2026第10期检查通报")?;
        s.find("#f-description")?
            .type_text("10月15日一件社保关系转移超期3个工作日办结，经核实系窗口原因")?;
        click_through(&s, "form[novalidate] button.primary")?;
        if !s.url()?.contains("notice=created") {
            return Err(format!(
                "the veto was not recorded: {} {}",
                s.url()?,
                s.text(".error-summary")?
            ));
        }
        if !s
            .run("return document.body.textContent.includes('社保关系转移超期')")?
            .as_bool()
            .unwrap_or(false)
        {
            return Err("the recorded veto is not listed".into());
        }
        shots(&s, dir, "vetoes-2026-Q4")?;
        Ok(typed_total)
    })();
    s.quit();
    result
}

/// A window head who has not voted: the own window shows 回避 without a box, a forged
/// tick of it is refused with a message, then both ballots are cast.
fn head_votes(
    driver: &Driver,
    base: &str,
    dir: &Path,
    head: &str,
    own: &str,
    own_name: &str,
) -> Step<()> {
    let s = sign_in(driver, base, head)?;
    let result = (|| {
        s.goto(&format!("{base}/ballot"))?;
        shots(&s, dir, "ballot")?;
        let recused = s.text("#window li.recused")?;
        if !recused.contains(own_name) || !recused.contains("回避") {
            return Err(format!("the own window is not shown as 回避: {recused:?}"));
        }
        let own_box = s.run(&format!(
            "return document.querySelectorAll('#window input[value=\"{own}\"]').length"
        ))?;
        if own_box != 0 {
            return Err("the own window can be ticked".into());
        }
        // A box for the own window planted into the form, as a tampered page would:
        // the server refuses the ballot and says why.
        s.run(&format!(
            "const i = document.createElement('input'); i.type = 'checkbox'; i.name = 'c';
             i.value = '{own}'; i.checked = true;
             document.querySelector('#window form').appendChild(i); return true;"
        ))?;
        click_through(&s, "#window form button[type=submit]")?;
        let refused = s.text("#window .form-error")?;
        if !refused.contains("回避") {
            return Err(format!("a forged tick of the own window: {refused:?}"));
        }
        shots(&s, dir, "ballot-refused")?;

        for kind in ["window", "staff"] {
            s.goto(&format!("{base}/ballot"))?;
            let boxes = s.find_all(&format!("#{kind} input[type=checkbox][name=c]"))?;
            if boxes.len() < 2 {
                return Err(format!("only {} choices on the {kind} ballot", boxes.len()));
            }
            for b in boxes.iter().take(2) {
                b.click()?;
                if !b.selected()? {
                    return Err(format!("a {kind} choice did not tick"));
                }
            }
            click_through(&s, &format!("#{kind} form button[type=submit]"))?;
            shots(&s, dir, &format!("ballot-review-{kind}"))?;
            click_through(&s, "form button.primary")?;
            if !s.url()?.contains("notice=voted") {
                return Err(format!("the {kind} ballot ended at {}", s.url()?));
            }
            let done = s.text(&format!("#{kind} .notice"))?;
            if !done.contains("您已于") {
                return Err(format!("after voting the {kind} ballot shows {done:?}"));
            }
        }
        shots(&s, dir, "ballot-cast")?;
        Ok(())
    })();
    s.quit();
    result
}

/// The supervision office moves the quarter one phase on through the confirmation page.
fn supervision_moves_on(driver: &Driver, base: &str, dir: &Path, to: &str, shot: &str) -> Step<()> {
    let s = sign_in(driver, base, "ducha")?;
    let result = (|| {
        s.goto(&format!("{base}/periods/2026-Q3"))?;
        click_through(&s, &format!("a.button.primary[href$='to={to}']"))?;
        shots(&s, dir, shot)?;
        click_through(&s, "form button.primary")?;
        if !s.url()?.ends_with("notice=phase") {
            return Err(format!("moving to {to} ended at {}", s.url()?));
        }
        Ok(())
    })();
    s.quit();
    result
}

/// A member of the leadership group rates every candidate.
fn leader_rates(driver: &Driver, base: &str, dir: &Path) -> Step<usize> {
    let s = sign_in(driver, base, "yewuke")?;
    let result = (|| {
        s.goto(&format!("{base}/ratings"))?;
        let typed = type_grid(&s, rating)?;
        if typed.is_empty() {
            return Err("no candidates to rate".into());
        }
        click_through(&s, "form.score-grid button[type=submit]")?;
        if !s.url()?.contains("notice=saved") {
            return Err(format!(
                "the ratings were not saved: {} {}",
                s.url()?,
                s.text(".error-summary")?
            ));
        }
        shots(&s, dir, "ratings")?;
        Ok(typed.len())
    })();
    s.quit();
    result
}

/// Distinct ratings, so that ties are rare (the group leader decides any that remain).
fn rating(i: usize) -> String {
    let hundredths = 9900 - (i * 37) % 1500;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// The group leader decides each tie at the boundary, then publishes.
fn group_leader_publishes(driver: &Driver, base: &str, dir: &Path) -> Step<()> {
    let s = sign_in(driver, base, "zuzhang")?;
    let result = (|| {
        s.goto(&format!("{base}/results/2026-Q3"))?;
        shots(&s, dir, "results-review")?;
        for kind in ["window", "staff"] {
            // Tick one more of the tied until the decision is accepted.
            let mut k = 1;
            while !s
                .find_all(&format!("#{kind} form input[name=chosen]"))?
                .is_empty()
            {
                let boxes = s.find_all(&format!("#{kind} form input[name=chosen]"))?;
                if k > boxes.len() {
                    return Err(format!("no choice of the tied {kind}s was accepted"));
                }
                for b in boxes.iter().take(k) {
                    b.click()?;
                }
                s.find(&format!("#reason-{kind}"))?
                    .type_text("领导小组审定：按群众评价择优")?;
                click_through(&s, &format!("#{kind} form button[type=submit]"))?;
                k += 1;
            }
        }
        click_through(&s, "#publish a.button.primary")?;
        let listed = s.find_all(".winner-list li")?.len();
        if listed != 15 {
            return Err(format!("the confirmation lists {listed} winners, not 15"));
        }
        shots(&s, dir, "publish-confirm")?;
        click_through(&s, "#publish button[type=submit]")?;
        if !s.url()?.ends_with("notice=published") {
            return Err(format!(
                "publishing ended at {}: {}",
                s.url()?,
                s.text("#publish .form-error")?
            ));
        }
        shots(&s, dir, "results-published")?;
        Ok(())
    })();
    s.quit();
    result
}

/// The public honor roll, as anyone sees it: the names on its cards.
fn honor_roll_names(driver: &Driver, base: &str, dir: &Path) -> Step<Vec<String>> {
    let s = driver.session(1366, 768)?;
    let result = (|| {
        // Publication reaches the cached page by a notification: give it a moment.
        s.goto(&format!("{base}/honor-roll"))?;
        let start = Instant::now();
        while !s.text("h1")?.contains("第三季度") && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(200));
            s.goto(&format!("{base}/honor-roll"))?;
        }
        shots(&s, dir, "honor-roll-published")?;
        let names = s.run(
            "return [...document.querySelectorAll('.honor-card .honor-name')].map(e => e.textContent.trim())",
        )?;
        Ok(names
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|n| n.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default())
    })();
    s.quit();
    result
}

#[sqlx::test]
async fn each_role_walks_its_main_path_in_chromium(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    demo_city_types_totals(&app).await;
    let base = format!("http://{}", serve_on_socket(&app).await);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/roles");
    std::fs::create_dir_all(&dir).unwrap();
    let driver = Arc::new(blocking(Driver::start).await);
    let ctx = (driver.clone(), base.clone(), dir.clone());

    // 1. The supervision office types a month of scores and records a veto.
    let typed = {
        let (d, b, p) = ctx.clone();
        blocking(move || supervision_types_scores(&d, &b, &p)).await
    };
    let stored = count(
        &app.pool,
        "select count(*) from monthly_score where month = '2026-10'",
    )
    .await;
    let active = count(&app.pool, "select (select count(*) from service_window where active) + (select count(*) from staff where active)").await;
    assert_eq!(
        typed as i64, active,
        "a box for every active window and staff member"
    );
    assert_eq!(stored, active, "every typed score is stored");
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from veto v join period p using (period_id) where p.code = '2026-Q4'"
        )
        .await,
        1
    );

    // 2. A window head votes; the own window is refused.
    // A head who has not voted yet and whose own window is a candidate.
    let (head, own_id, own_name): (String, i64, String) = sqlx::query_as(
        "select a.username, w.window_id, w.name from account a
           join service_window w using (window_id)
           join period p on p.code = '2026-Q3'
         where a.role = 'window_head' and a.active
           and not exists (select 1 from ballot_receipt r
                           where r.period_id = p.period_id and r.account_id = a.account_id)
           and exists (select 1 from jsonb_array_elements(p.candidates -> 'window' -> 'entrants') e
                       where e ->> 'id' = 'W' || w.window_id and (e ->> 'candidate')::boolean)
         order by a.username limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let ballots_before = count(&app.pool, "select count(*) from ballot_receipt").await;
    {
        let (d, b, p) = ctx.clone();
        let own = format!("W{own_id}");
        blocking(move || head_votes(&d, &b, &p, &head, &own, &own_name)).await;
    }
    assert_eq!(
        count(&app.pool, "select count(*) from ballot_receipt").await,
        ballots_before + 2,
        "two ballots, nothing from the forged one"
    );

    // 3. The vote closes; 4. a leader rates in the browser, the others as before.
    {
        let (d, b, p) = ctx.clone();
        blocking(move || supervision_moves_on(&d, &b, &p, "rating", "close-voting")).await;
    }
    assert_eq!(phase(&app, "2026-Q3").await, "rating");
    let rated = {
        let (d, b, p) = ctx.clone();
        blocking(move || leader_rates(&d, &b, &p)).await
    };
    let leaders: Vec<String> = sqlx::query_scalar(
        "select username from account where role = 'leadership' and active and username <> 'yewuke' order by username",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for name in &leaders {
        let mut b = Browser::new(&app);
        b.login(name, PASSWORD).await;
        let mut fields = b.get("/ratings").await.form_fields("form.score-grid");
        let mut i = 0;
        for f in fields.iter_mut().filter(|(k, _)| k.starts_with('r')) {
            f.1 = rating(i);
            i += 1;
        }
        assert_eq!(i, rated, "{name} rates the same candidates");
        assert_eq!(
            b.post_fields("/ratings", &fields).await.location(),
            Some("/ratings?notice=saved"),
            "{name}"
        );
    }
    {
        let (d, b, p) = ctx.clone();
        blocking(move || supervision_moves_on(&d, &b, &p, "review", "close-rating")).await;
    }
    assert_eq!(phase(&app, "2026-Q3").await, "review");

    // 5. The group leader publishes; 6. the honor roll shows exactly the winners.
    {
        let (d, b, p) = ctx.clone();
        blocking(move || group_leader_publishes(&d, &b, &p)).await;
    }
    assert_eq!(phase(&app, "2026-Q3").await, "published");
    let winners: Vec<String> = sqlx::query_scalar(
        "select h.name from honor h join period p using (period_id)
         where p.code = '2026-Q3' and h.revoked_at is null order by h.kind desc, h.rank, h.honor_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(winners.len(), 15, "5 windows and 10 staff");
    let shown = {
        let (d, b, p) = ctx.clone();
        blocking(move || honor_roll_names(&d, &b, &p)).await
    };
    assert_eq!(shown, winners, "the honor roll shows the published winners");
    drop(ctx);
    drop(driver);
}
