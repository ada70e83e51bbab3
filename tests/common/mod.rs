//! Test helpers named for what a person does: open the app, sign in as a role, fill in a
//! form. Requests go through the real router (every layer) against a real PostgreSQL
//! database that `#[sqlx::test]` creates fresh for each test.
#![allow(dead_code)]

pub mod quarter;
pub mod webdriver;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use pingxuan::config::Config;
use pingxuan::domain::Role;
use pingxuan::{AppState, app, demo};
use scraper::{Html, Selector};
use sqlx::PgPool;
use tower::ServiceExt;

pub const PASSWORD: &str = demo::DEMO_PASSWORD;

/// The application over one test database, with the demo center loaded.
#[derive(Clone)]
pub struct TestApp {
    pub router: Router,
    pub pool: PgPool,
    /// The server's clock, which a test may set.
    pub clock: pingxuan::clock::Clock,
    /// When set, requests go over HTTP to this address (servers of their own, behind a
    /// proxy) instead of through the router in this process.
    pub remote: Option<std::net::SocketAddr>,
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, Config::default()).await
}

pub async fn spawn_with(pool: PgPool, config: Config) -> TestApp {
    // Server errors are logged; the test harness shows them when a test fails.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    demo::load(&pool).await.expect("demo center loads");
    let state = AppState::new(pool.clone(), config);
    TestApp {
        clock: state.clock.clone(),
        router: app(state),
        pool,
        remote: None,
    }
}

/// The demo account of each role.
pub fn username_of(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Supervision => "ducha",
        Role::WindowHead => "head01",
        Role::Leadership => "yewuke",
        Role::Staff => "staff002",
    }
}

/// A response, read whole.
pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// Text of every element matching `selector`, trimmed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).expect("valid selector");
        self.html()
            .select(&sel)
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    }

    pub fn text(&self, selector: &str) -> String {
        self.texts(selector).into_iter().next().unwrap_or_default()
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    /// The message shown beside a form field, if any.
    pub fn field_error(&self, name: &str) -> Option<String> {
        let sel = Selector::parse(&format!("#f-{name}")).expect("valid selector");
        let doc = self.html();
        let input = doc.select(&sel).next()?;
        let field = input.parent().and_then(scraper::ElementRef::wrap)?;
        let err = Selector::parse(".error").unwrap();
        field
            .select(&err)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_string())
    }

    /// The value attribute of a form input.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let sel = Selector::parse(&format!("[name=\"{name}\"]")).expect("valid selector");
        self.html()
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr("value").map(str::to_string))
    }
}

/// One browser: keeps its cookies between requests.
#[derive(Clone)]
pub struct Browser {
    pub app: TestApp,
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            app: app.clone(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &axum::http::HeaderMap) {
        for v in headers.get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap();
            let pair = s.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() || s.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
    }

    /// The application's answer: from the router, or over HTTP from a remote server.
    async fn answer(&self, req: Request<Body>) -> axum::response::Response {
        match self.app.remote {
            None => self
                .app
                .router
                .clone()
                .oneshot(req)
                .await
                .expect("router answers"),
            Some(addr) => {
                let stream = tokio::net::TcpStream::connect(addr)
                    .await
                    .expect("the server accepts");
                let (mut sender, conn) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                        .await
                        .expect("HTTP handshake");
                tokio::spawn(conn);
                let res = sender.send_request(req).await.expect("the server answers");
                res.map(Body::new)
            }
        }
    }

    pub async fn send(&mut self, req: Request<Body>) -> Page {
        let res = self.answer(req).await;
        let status = res.status();
        let headers = res.headers().clone();
        self.keep_cookies(&headers);
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "pingxuan.test")
            .header(header::COOKIE, self.cookie_header())
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.request("GET", path).body(Body::empty()).unwrap();
        self.send(req).await
    }

    /// A download, as bytes.
    pub async fn get_bytes(&mut self, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let req = self.request("GET", path).body(Body::empty()).unwrap();
        let res = self.answer(req).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        (status, headers, bytes.to_vec())
    }

    /// The form token the pages give this browser.
    pub async fn csrf(&mut self) -> String {
        let page = if self.cookies.contains_key("px_session") {
            self.get("/account/password").await
        } else {
            self.get("/login").await
        };
        page.input_value("_csrf").expect("pages carry a form token")
    }

    /// Posts a form as a browser would, with the page's token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(
            path,
            "application/x-www-form-urlencoded",
            encode(&all).into_bytes(),
        )
        .await
    }

    /// Posts exactly these bytes.
    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let req = self
            .request("POST", path)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ORIGIN, "http://pingxuan.test")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Page {
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }
}

pub fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A browser signed in as the demo account of `role`.
pub async fn login_as(app: &TestApp, role: Role) -> Browser {
    let mut b = Browser::new(app);
    let page = b.login(username_of(role), PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "demo {role:?} signs in");
    b
}

/// A fingerprint of every row of the tables a form could change, to prove nothing did
/// (an account's last sign-in time aside: signing in stamps it; the audit log aside: a
/// refusal may be audited).
pub async fn checksum(pool: &PgPool) -> String {
    let mut out = String::new();
    for table in [
        "center",
        "department",
        "business_area",
        "service_window",
        "staff",
        "(select to_jsonb(a) - 'last_login_at' as row from account a)",
        "scheme",
        "period",
        "monthly_score",
        "duty_days",
        "duty_days_count",
        "veto",
        "ballot_receipt",
        "ballot_tally",
        "rating",
        "tie_decision",
        "period_correction",
        "score_correction",
        "honor",
        "not_assessed",
        "citywide_round",
        "citywide_quota",
        "citywide_condition",
        "nomination",
        "nomination_condition",
        "nomination_file",
        "notice_feedback",
        "assessment_rules",
        "assessment_item",
        "assessment_standard",
        "assessment_record",
        "assessment_record_photo",
        "assessment_appeal",
        "satisfaction_figure",
        "org_revision",
    ] {
        let sum: Option<String> = sqlx::query_scalar(&format!(
            "select md5(string_agg(t::text, ',' order by t::text)) from {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push_str(&sum.unwrap_or_default());
    }
    out
}

pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

impl Page {
    /// Every named input and text area of the form matching `selector`, as a browser would
    /// submit it (the CSRF token included).
    pub fn form_fields(&self, selector: &str) -> Vec<(String, String)> {
        let doc = self.html();
        let form = doc
            .select(&Selector::parse(selector).expect("selector"))
            .next()
            .expect("form present");
        form.select(&Selector::parse("input[name], textarea[name]").unwrap())
            .map(|i| {
                let value = if i.value().name() == "textarea" {
                    i.text().collect()
                } else {
                    i.value().attr("value").unwrap_or("").to_string()
                };
                (i.value().attr("name").unwrap().to_string(), value)
            })
            .collect()
    }
}

/// Sets field `name` to `value` in a list of form fields.
pub fn set_field(fields: &mut [(String, String)], name: &str, value: &str) {
    let f = fields
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("field {name} in the form"));
    f.1 = value.to_string();
}

impl Browser {
    /// Posts fields exactly as given (they already carry the token).
    pub async fn post_fields(&mut self, path: &str, fields: &[(String, String)]) -> Page {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post_raw(
            path,
            "application/x-www-form-urlencoded",
            encode(&pairs).into_bytes(),
        )
        .await
    }
}

/// A quarter (2026-Q4) in the voting phase: scores of its three months (the same each month)
/// and duty days for everyone, its candidates confirmed through the pages.
pub async fn voting_quarter(app: &TestApp) {
    let mut ducha = login_as(app, Role::Supervision).await;
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    for sql in [
        "insert into monthly_score (center_id, month, window_id, score) select center_id, m, window_id, 80 + window_id % 17 from service_window, unnest(array['2026-10','2026-11','2026-12']) m",
        "insert into monthly_score (center_id, month, staff_id, score) select center_id, m, staff_id, 80 + staff_id % 19 from staff, unnest(array['2026-10','2026-11','2026-12']) m",
        "insert into duty_days (center_id, period_id, staff_id, days) select s.center_id, p.period_id, s.staff_id, 62 from staff s, period p",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    ducha
        .post("/periods/2026-Q4/phase", &[("to", "candidates")])
        .await;
    assert_eq!(
        ducha
            .post("/periods/2026-Q4/phase", &[("to", "voting")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

/// The body of a multipart upload form: the page's token and one file under `field`.
pub fn multipart_form(token: &str, field: &str, file_name: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----pingxuan-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Browser {
    /// Uploads one file through the form at `path`, as a browser would.
    pub async fn upload(&mut self, path: &str, field: &str, file_name: &str, data: &[u8]) -> Page {
        let token = self.csrf().await;
        let (content_type, body) = multipart_form(&token, field, file_name, data);
        self.post_raw(path, &content_type, body).await
    }
}

impl Page {
    /// The action of an import preview's confirmation form, when the preview offers one.
    pub fn confirm_action(&self) -> Option<String> {
        let doc = self.html();
        let sel = Selector::parse("#preview form").unwrap();
        doc.select(&sel)
            .next()
            .and_then(|f| f.value().attr("action").map(str::to_string))
    }
}

/// The phase a period is in now, read from the database.
pub async fn phase(app: &TestApp, code: &str) -> String {
    sqlx::query_scalar("select phase from period where code = $1")
        .bind(code)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The application served on a real socket of this machine (for a browser, or a client that
/// misbehaves at the byte level); its address.
pub async fn serve_on_socket(app: &TestApp) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move {
        pingxuan::server::serve(
            listener,
            router,
            std::time::Duration::from_secs(10),
            std::future::pending(),
        )
        .await
    });
    addr
}

impl Browser {
    /// The password an administrator's form just generated: the form redirects to the one
    /// page that shows it, which shows it once.
    pub async fn handed_over(&mut self, made: &Page) -> String {
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        assert_eq!(made.location(), Some("/admin/accounts/handover"));
        let page = self.get("/admin/accounts/handover").await;
        assert_eq!(page.status, StatusCode::OK);
        page.text(".secret code")
    }
}

/// The group leader decides each tie at the boundary (ticking one more of the tied until a
/// decision is accepted), then publishes the period through its confirmation page.
pub async fn group_leader_publishes(app: &TestApp, code: &str) {
    let mut leader = Browser::new(app);
    leader.login("zuzhang", PASSWORD).await;
    let results = format!("/results/{code}");
    for kind in ["window", "staff"] {
        let page = leader.get(&results).await;
        if page.texts(&format!("#{kind} form")).is_empty() {
            continue;
        }
        let tied: Vec<String> = page
            .form_fields(&format!("#{kind} form"))
            .into_iter()
            .filter(|(k, _)| k == "chosen")
            .map(|(_, v)| v)
            .collect();
        let mut accepted = false;
        for n in 1..=tied.len() {
            let token = leader.csrf().await;
            let mut f = vec![
                ("_csrf".to_string(), token),
                ("kind".to_string(), kind.to_string()),
                (
                    "reason".to_string(),
                    "领导小组审定：按群众评价择优".to_string(),
                ),
            ];
            f.extend(
                tied.iter()
                    .take(n)
                    .map(|t| ("chosen".to_string(), t.clone())),
            );
            if leader
                .post_fields(&format!("{results}/decision"), &f)
                .await
                .status
                == StatusCode::SEE_OTHER
            {
                accepted = true;
                break;
            }
        }
        assert!(accepted, "a decision of the {kind} tie was accepted");
    }
    let publish = leader.get(&format!("{results}/publish")).await;
    let done = leader
        .post_fields(
            &format!("{results}/publish"),
            &publish.form_fields("#publish form"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
}

/// The address of the test's own database, for the command line.
pub async fn database_url(app: &TestApp) -> String {
    let db: String = sqlx::query_scalar("select current_database()::text")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").expect("tests run with DATABASE_URL");
    format!("{}/{db}", base.rsplit_once('/').unwrap().0)
}

/// `pingxuan export WHAT --period PERIOD [--center CENTER]` on the database at `url`: its
/// standard output.
pub fn cli_export(url: &str, what: &str, period: &str, center: Option<&str>) -> Vec<u8> {
    let mut args = vec!["export", what, "--period", period];
    if let Some(c) = center {
        args.extend(["--center", c]);
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingxuan"))
        .args(&args)
        .env("DATABASE_URL", url)
        .env("PINGXUAN_LOG", "error")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `pingxuan compute -` of `recount`: its standard output.
pub fn cli_compute(recount: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut compute = Command::new(env!("CARGO_BIN_EXE_pingxuan"))
        .args(["compute", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    compute.stdin.take().unwrap().write_all(recount).unwrap();
    let recounted = compute.wait_with_output().unwrap();
    assert!(recounted.status.success());
    recounted.stdout
}

/// The demo city assesses by records (考核细则); tests of the typed grid, its import and its
/// corrections take it as it was before it adopted rules: a center that types its totals
/// (its rules, records, appeals and 好差评 figures removed).
pub async fn demo_city_types_totals(app: &TestApp) {
    for table in [
        "assessment_appeal",
        "assessment_record_photo",
        "assessment_record",
        "satisfaction_figure",
        "assessment_standard",
        "assessment_item",
        "assessment_rules",
    ] {
        sqlx::query(&format!("delete from {table}"))
            .execute(&app.pool)
            .await
            .unwrap();
    }
}

/// Sets the server's clock to 10:00 China Standard Time on `day` (`2026-11-20`).
pub fn clock_at(app: &TestApp, day: &str) {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let at = time::PrimitiveDateTime::parse(&format!("{day} 10:00"), &fmt)
        .unwrap()
        .assume_offset(time::macros::offset!(+8));
    app.clock.set(at);
}
