//! Several servers, one database: three `pingxuan serve` processes behind nginx (Debian's
//! package, round-robin on loopback, with `deploy/nginx/pingxuan-proxy.conf`), and a whole
//! quarter driven through the proxy. A session, a form token and sign-in throttling work
//! across processes; the same ballot sent to all three at once is stored once; a
//! publication drops every process's cached honor roll within a second; a process killed
//! in the middle of a vote loses no ballot and doubles none.

mod common;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::*;
use scraper::{Html, Selector};
use sqlx::PgPool;

/// A child process stopped when dropped (a failed assertion leaves nothing running): by
/// SIGTERM when `graceful` (nginx's master then stops its workers), else by SIGKILL.
struct Running(Child, bool);

impl Drop for Running {
    fn drop(&mut self) {
        if self.1 {
            let _ = Command::new("kill")
                .args(["-TERM", &self.0.id().to_string()])
                .status();
        } else {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Each server's metrics listener: a port of its own, found once per server port.
fn metrics_port(port: u16) -> u16 {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static PORTS: OnceLock<Mutex<HashMap<u16, u16>>> = OnceLock::new();
    *PORTS
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(port)
        .or_insert_with(free_port)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The same application, reached over HTTP at `addr`.
fn remote(app: &TestApp, addr: SocketAddr) -> TestApp {
    TestApp {
        remote: Some(addr),
        ..app.clone()
    }
}

async fn wait_healthy(app: &TestApp, addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            let page = Browser::new(&remote(app, addr)).get("/healthz").await;
            if page.status == StatusCode::OK {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{addr} never became healthy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `pingxuan serve` on its own port, on the test's database, behind a trusted proxy.
fn server(url: &str, port: u16) -> Running {
    Running(
        Command::new(env!("CARGO_BIN_EXE_pingxuan"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env(
                "PINGXUAN_METRICS_ADDR",
                format!("127.0.0.1:{}", metrics_port(port)),
            )
            .env("DATABASE_URL", url)
            .env("PINGXUAN_TRUST_PROXY", "true")
            .env("PINGXUAN_DB_POOL", "6")
            .env("PINGXUAN_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
        false,
    )
}

/// nginx in the foreground, with a configuration of its own under `dir`.
fn nginx(dir: &std::path::Path, listen: u16, ports: &[u16]) -> Running {
    let proxy = format!(
        "{}/deploy/nginx/pingxuan-proxy.conf",
        env!("CARGO_MANIFEST_DIR")
    );
    let upstream: String = ports
        .iter()
        .map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n"))
        .collect();
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process on;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log warn;\n{user}\
         events {{ worker_connections 1024; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         upstream pingxuan {{\n{upstream} keepalive 16;\n}}\n\
         server {{\n listen 127.0.0.1:{listen};\n location / {{ include {proxy}; }}\n}}\n}}\n",
        user = if nix_is_root() { "user root;\n" } else { "" },
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let bin = ["/usr/sbin/nginx", "nginx"]
        .into_iter()
        .find(|b| std::path::Path::new(b).exists())
        .unwrap_or("nginx");
    let check = Command::new(bin)
        .args(["-t", "-p"])
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .output()
        .expect("nginx is installed (scripts/test installs it)");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    Running(
        Command::new(bin)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&path)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        true,
    )
}

fn nix_is_root() -> bool {
    std::env::var("USER").as_deref() == Ok("root")
        || Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// The first candidate a head may recommend on the ballot of `kind` in `period`, while
/// that ballot is still to be cast.
fn choice(page: &Page, period: &str, kind: &str) -> Option<String> {
    let doc = Html::parse_document(&page.body);
    let forms = Selector::parse("section.ballot form").unwrap();
    let hidden = |f: &scraper::ElementRef, name: &str| {
        f.select(&Selector::parse(&format!("input[name={name}]")).unwrap())
            .next()
            .and_then(|i| i.value().attr("value"))
            .map(str::to_string)
    };
    let choice = Selector::parse("input[name=c]").unwrap();
    doc.select(&forms)
        .find(|f| {
            hidden(f, "period").as_deref() == Some(period)
                && hidden(f, "kind").as_deref() == Some(kind)
        })
        .and_then(|f| f.select(&choice).next())
        .and_then(|i| i.value().attr("value"))
        .map(str::to_string)
}

fn first_choice(page: &Page, period: &str, kind: &str) -> String {
    choice(page, period, kind)
        .unwrap_or_else(|| panic!("a {kind} ballot of {period} to fill in: {}", page.body))
}

/// A head's ballot of `kind` in 2026-Q3 recommending one candidate, sent until the servers
/// answer that it is cast (a 502 from a server killed meanwhile is sent again, as a person
/// would press again); how many answers said it was cast now.
async fn vote(b: &mut Browser, kind: &str) -> usize {
    let mut voted = 0;
    for _ in 0..20 {
        let page = b.get("/ballot").await;
        if page.status != StatusCode::OK {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let Some(chosen) = choice(&page, "2026-Q3", kind) else {
            // No form of this ballot left: it is cast.
            return voted;
        };
        let token = page.input_value("_csrf").unwrap();
        let sent = b
            .post_fields(
                "/ballot",
                &[
                    ("_csrf".into(), token),
                    ("kind".into(), kind.into()),
                    ("period".into(), "2026-Q3".into()),
                    ("c".into(), chosen),
                ],
            )
            .await;
        match sent.location() {
            Some("/ballot?notice=voted") => voted += 1,
            Some("/ballot?notice=already_voted") => {}
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("the {kind} ballot was never cast");
}

async fn receipts(pool: &PgPool, period: &str) -> i64 {
    count(
        pool,
        &format!(
            "select count(*) from ballot_receipt r join period p using (center_id, period_id)
              where p.code = '{period}'"
        ),
    )
    .await
}

async fn recommendations(pool: &PgPool, period: &str) -> i64 {
    count(
        pool,
        &format!(
            "select coalesce(sum(recommendations), 0)::bigint from ballot_tally t
               join period p using (center_id, period_id) where p.code = '{period}'"
        ),
    )
    .await
}

#[sqlx::test]
async fn three_servers_behind_nginx_run_a_quarter_as_one(pool: PgPool) {
    let app = spawn(pool).await;
    // The demo's 2026-Q3, open in the voting phase with a third of the heads voted.
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    // The quarter below types its scores in the grid, as a center without rules does.
    demo_city_types_totals(&app).await;
    let url = database_url(&app).await;
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut servers: Vec<Option<Running>> = ports.iter().map(|p| Some(server(&url, *p))).collect();
    let addrs: Vec<SocketAddr> = ports
        .iter()
        .map(|p| SocketAddr::from(([127, 0, 0, 1], *p)))
        .collect();
    for a in &addrs {
        wait_healthy(&app, *a).await;
    }
    let dir = std::env::temp_dir().join(format!(
        "pingxuan-nginx-{}-{}",
        std::process::id(),
        ports[0]
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let proxy_port = free_port();
    let _nginx = nginx(&dir, proxy_port, &ports);
    let proxy = SocketAddr::from(([127, 0, 0, 1], proxy_port));
    wait_healthy(&app, proxy).await;
    let each: Vec<TestApp> = addrs.iter().map(|a| remote(&app, *a)).collect();
    let through = remote(&app, proxy);

    // Sign-in page from the first process, the sign-in itself on the second (its form
    // token checked there), the next request on the third: one session.
    let mut head = Browser::new(&each[0]);
    let token = head.get("/login").await.input_value("_csrf").unwrap();
    head.app = each[1].clone();
    let signed_in = head
        .post_fields(
            "/login",
            &[
                ("_csrf".into(), token),
                ("username".into(), "head02".into()),
                ("password".into(), PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    head.app = each[2].clone();
    let home = head.get("/head").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("2号窗口"), "{}", home.body);
    // A form token from one process is refused on another when it is not this session's.
    let mut stranger = Browser::new(&each[0]);
    let foreign = stranger.get("/login").await.input_value("_csrf").unwrap();
    head.app = each[1].clone();
    let forged = head
        .post_fields("/logout", &[("_csrf".into(), foreign)])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Throttling counted across processes: three wrong passwords from one address, each
    // to another process, lock the username at that address on all of them.
    let mut guesser = Browser::new(&through);
    for (i, e) in each.iter().enumerate() {
        guesser.app = e.clone();
        let page = guesser.login("staff077", "wrong-password").await;
        assert_eq!(page.status, StatusCode::OK, "attempt {i}");
    }
    for e in &each {
        let mut b = Browser::new(e);
        let page = b.login("staff077", PASSWORD).await;
        assert_eq!(
            page.status,
            StatusCode::TOO_MANY_REQUESTS,
            "locked on every process"
        );
    }
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'login.throttled' and entity_id = 'staff077'"
        )
        .await,
        1
    );

    // The same ballot sent to all three processes at once: one stored.
    let before = (
        receipts(&app.pool, "2026-Q3").await,
        recommendations(&app.pool, "2026-Q3").await,
    );
    let page = head.get("/ballot").await;
    let chosen = first_choice(&page, "2026-Q3", "window");
    let token = page.input_value("_csrf").unwrap();
    let fields = vec![
        ("_csrf".to_string(), token),
        ("kind".to_string(), "window".to_string()),
        ("period".to_string(), "2026-Q3".to_string()),
        ("c".to_string(), chosen),
    ];
    let sends = each.iter().map(|e| {
        let mut b = head.clone();
        b.app = e.clone();
        let fields = fields.clone();
        tokio::spawn(async move { b.post_fields("/ballot", &fields).await })
    });
    let mut answers = Vec::new();
    for s in sends {
        answers.push(s.await.unwrap().location().map(str::to_string));
    }
    let voted = answers
        .iter()
        .filter(|l| l.as_deref() == Some("/ballot?notice=voted"))
        .count();
    assert_eq!(voted, 1, "{answers:?}");
    assert_eq!(
        (
            receipts(&app.pool, "2026-Q3").await,
            recommendations(&app.pool, "2026-Q3").await
        ),
        (before.0 + 1, before.1 + 1)
    );

    // One process killed in the middle of the vote: the heads who had not yet voted in
    // 2026-Q3 vote through the proxy, eight at a time, while the second process dies.
    let heads: Vec<String> = sqlx::query_scalar(
        "select a.username from account a
          where a.role = 'window_head'
            and a.center_id = (select center_id from center where code = 'shifan')
            and not exists (
                select 1 from ballot_receipt r join period p using (center_id, period_id)
                 where p.code = '2026-Q3' and r.account_id = a.account_id and r.kind = 'staff')
          order by a.username",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(heads.len() >= 15, "{heads:?}");
    let before = (
        receipts(&app.pool, "2026-Q3").await,
        recommendations(&app.pool, "2026-Q3").await,
    );
    let window_ballots_before = count(
        &app.pool,
        "select count(*) from ballot_receipt r join period p using (center_id, period_id)
          where p.code = '2026-Q3' and r.kind = 'window'",
    )
    .await;
    let mut tasks = Vec::new();
    for h in heads.clone() {
        let through = through.clone();
        tasks.push(tokio::spawn(async move {
            let mut b = Browser::new(&through);
            let mut ok = false;
            for _ in 0..20 {
                if b.login(&h, PASSWORD).await.status == StatusCode::SEE_OTHER {
                    ok = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(ok, "{h} signs in");
            let mut said = 0;
            for kind in ["window", "staff"] {
                said += vote(&mut b, kind).await;
            }
            said
        }));
        if tasks.len() == 6 {
            // Killed while ballots are on their way.
            let _ = servers[1].take();
        }
    }
    let mut said_voted = 0;
    for t in tasks {
        said_voted += t.await.unwrap();
    }
    let window_now = count(
        &app.pool,
        "select count(*) from ballot_receipt r join period p using (center_id, period_id)
          where p.code = '2026-Q3' and r.kind = 'window'",
    )
    .await;
    let cast = receipts(&app.pool, "2026-Q3").await - before.0;
    // Every head who had not voted now has both ballots, each stored once, each answer of
    // 投票成功 stands for a stored ballot, and every ballot's one recommendation is counted.
    let new_window = window_now - window_ballots_before;
    let new_staff = cast - new_window;
    assert_eq!(new_staff, heads.len() as i64);
    assert!(new_window <= heads.len() as i64);
    assert!(
        said_voted as i64 <= cast,
        "{said_voted} answers said cast, {cast} stored"
    );
    assert_eq!(recommendations(&app.pool, "2026-Q3").await - before.1, cast);
    let doubled = count(
        &app.pool,
        "select count(*) from (select 1 from ballot_receipt group by period_id, account_id, kind
                                having count(*) > 1) d",
    )
    .await;
    assert_eq!(doubled, 0);
    // The killed process is started again (as systemd would) and rejoins.
    servers[1] = Some(server(&url, ports[1]));
    wait_healthy(&app, addrs[1]).await;

    // Every process has the honor roll in memory (the published 2026-Q2).
    for e in &each {
        let roll = Browser::new(e).get("/honor-roll").await;
        assert_eq!(roll.status, StatusCode::OK);
        assert!(!roll.body.contains("2026年第四季度"));
    }

    // A whole quarter through the proxy: scores, duty days, a veto, both ballots of every
    // head, every member's ratings, the tie, publication (eight clicks at once).
    quarter_through(&through).await;
    let published = Instant::now();
    // Every process drops its cached roll within a second of the publication.
    for e in &each {
        loop {
            let roll = Browser::new(e).get("/honor-roll").await;
            if roll.body.contains("2026年第四季度") {
                break;
            }
            assert!(
                published.elapsed() < Duration::from_secs(1),
                "a process still shows the old honor roll after a second"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    // Each process counts what it served, on its metrics listener (never on the proxy).
    let mut ballots = 0.0;
    for p in &ports {
        let addr = SocketAddr::from(([127, 0, 0, 1], metrics_port(*p)));
        let scrape = Browser::new(&remote(&app, addr)).get("/metrics").await;
        assert_eq!(scrape.status, StatusCode::OK);
        assert!(
            scrape.body.contains("pingxuan_http_requests_total{"),
            "{}",
            scrape.body
        );
        ballots += scrape
            .body
            .lines()
            .filter(|l| l.starts_with("pingxuan_ballots_cast_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>();
    }
    assert!(
        ballots >= 2.0 * 29.0,
        "the quarter's ballots counted: {ballots}"
    );
    assert_eq!(
        Browser::new(&through).get("/metrics").await.status,
        StatusCode::NOT_FOUND
    );
    drop(servers);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The quarter of `tests/quarter.rs`, through `app` (here: the proxy).
async fn quarter_through(app: &TestApp) {
    common::quarter::a_whole_quarter(app).await;
}
