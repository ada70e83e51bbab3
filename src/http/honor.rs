//! The public face: the honor roll (光荣榜) and its hall-screen mode, winners' photos, and
//! the public verification of certificates; and, signed in, the printable certificates.
//!
//! The honor roll is the most-read page, so it is rendered once and served from memory:
//! no query and no session per request. Publication and corrections notify every server
//! process (PostgreSQL `LISTEN/NOTIFY` on [`db::honor::CHANNEL`]), which drops its cache;
//! a lost listening connection drops it too, since a notification may have been missed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use sqlx::PgPool;

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::CurrentUser;
use super::form::FormData;
use super::page::{self, Layout};
use super::routes::{Access, Routes};
use super::urls;
use crate::db;
use crate::db::honor::Honor;
use crate::domain::Role;
use crate::domain::period::PeriodCode;
use crate::domain::period::period_label as label_of;
use crate::scoring::Fixed2;

pub fn routes(r: Routes) -> Routes {
    const CERTIFICATES: &[Role] = &[Role::Admin, Role::Supervision];
    r.get(urls::HONOR_ROLL, Access::Public, roll_latest)
        .get("/honor-roll/hall", Access::Public, hall_latest)
        .get("/honor-roll/{code}", Access::Public, roll_of)
        .get("/honor-roll/{code}/hall", Access::Public, hall_of)
        .get("/photos/{staff}", Access::Public, photo)
        .get(urls::VERIFY, Access::Public, verify_form)
        .get("/verify/{number}", Access::Public, verify_number)
        .get(
            "/certificates/{code}",
            Access::Roles(CERTIFICATES),
            certificates,
        )
        .get(
            "/certificates/{code}/{number}",
            Access::Roles(CERTIFICATES),
            certificate,
        )
}

// ----------------------------------------------------------------------------------------
// The cache

/// Rendered public pages, dropped whenever honors change anywhere.
#[derive(Default)]
pub struct HonorCache {
    /// Bumped at every invalidation; a page rendered from data read before a bump is not
    /// kept, so a render racing a publication cannot leave a stale page behind.
    generation: AtomicU64,
    pages: RwLock<HashMap<String, Bytes>>,
}

/// At most this many pages are kept (one per published period and mode, in practice).
const CACHE_LIMIT: usize = 256;

impl HonorCache {
    pub fn get(&self, key: &str) -> Option<Bytes> {
        self.pages.read().ok()?.get(key).cloned()
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps `page` unless the cache was invalidated since `generation` was read.
    pub fn put(&self, key: String, page: Bytes, generation: u64) {
        if let Ok(mut pages) = self.pages.write()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            if pages.len() >= CACHE_LIMIT {
                pages.clear();
            }
            pages.insert(key, page);
        }
    }

    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.pages.read().map(|p| p.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Stops the listener when the last copy of the application state is dropped.
pub struct ListenerHandle(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts listening for publications and corrections, until the handle is dropped.
pub fn start_listener(pool: PgPool, cache: Arc<HonorCache>) -> ListenerHandle {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        tokio::select! {
            _ = stopped => {}
            _ = listen(pool, cache) => {}
        }
    });
    ListenerHandle(Some(stop))
}

/// Listens for publications and corrections. Each notification, and each reconnection (a
/// notification may have been missed meanwhile), drops the cache.
async fn listen(pool: PgPool, cache: Arc<HonorCache>) {
    loop {
        if pool.is_closed() {
            return;
        }
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "honor roll listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(db::honor::CHANNEL).await {
            tracing::warn!(error = %e, "honor roll listener cannot listen; retrying");
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        // Anything may have happened while not listening.
        cache.invalidate();
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => cache.invalidate(),
                Ok(None) => {
                    // The connection was lost: listen again from the start, which drops
                    // the cache once listening (a notification may have been missed).
                    cache.invalidate();
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
                Err(_) if pool.is_closed() => return,
                Err(e) => {
                    tracing::warn!(error = %e, "honor roll listener lost; reconnecting");
                    cache.invalidate();
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    break;
                }
            }
        }
    }
}

/// The fast path in front of every layer: a cached honor roll page is answered at once
/// (with the security headers every response has), without a session, a timer or a guard.
/// Anything else, and a page not in the cache, goes through the whole application.
pub async fn front(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Pages are cached under their own path, so that a hit costs no allocation.
    if req.method() == axum::http::Method::GET
        && req.uri().query().is_none()
        && req.uri().path().starts_with(urls::HONOR_ROLL)
        && let Some(page) = state.honors.get(req.uri().path())
    {
        let mut res = html(page);
        super::set_security_headers(res.headers_mut(), state.config.secure_cookies);
        return res;
    }
    next.run(req).await
}

/// Drops the indentation and blank lines of a rendered page (the cached copy is what the
/// hall's TV and every visitor download, over and over).
fn compact(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for line in page.lines() {
        let line = line.trim();
        if !line.is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn html(body: Bytes) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    res
}

/// Serves a public page from the cache, rendering it on a miss. `None` from `render` is a
/// 404 (not kept: the cache holds only pages that exist).
async fn cached<F>(state: &AppState, key: String, render: F) -> AppResult<Response>
where
    F: AsyncFnOnce(&AppState) -> AppResult<Option<String>>,
{
    if let Some(page) = state.honors.get(&key) {
        return Ok(html(page));
    }
    let generation = state.honors.generation();
    match render(state).await? {
        Some(page) => {
            let page = Bytes::from(compact(&page));
            state.honors.put(key, page.clone(), generation);
            Ok(html(page))
        }
        None => Err(AppError::NotFound),
    }
}

// ----------------------------------------------------------------------------------------
// The honor roll

/// The center the public pages show.
async fn public_center(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as(
        "select center_id, name from center
         where ($1::text is null and parent_center_id is null) or code = $1
         order by center_id limit 1",
    )
    .bind(&state.config.public_center)
    .fetch_optional(conn)
    .await
}

/// A winner as the honor roll shows it.
pub struct Card {
    pub rank: i32,
    pub name: String,
    pub initial: String,
    pub window: String,
    pub department: String,
    pub business_area: String,
    pub total: String,
    pub photo: Option<String>,
}

impl Card {
    fn of(h: &Honor) -> Card {
        Card {
            rank: h.rank,
            name: h.name.clone(),
            initial: h.name.chars().next().map(String::from).unwrap_or_default(),
            window: h.window_label.clone(),
            department: h.department.clone(),
            business_area: h.business_area.clone(),
            total: Fixed2(i64::from(h.total)).to_string(),
            photo: h
                .photo_version
                .zip(h.staff_id)
                .map(|(v, id)| format!("/photos/{id}?v={v}")),
        }
    }
}

pub struct PeriodLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "honor/roll.html")]
struct RollPage {
    center: String,
    label: String,
    code: String,
    published_on: String,
    windows: Vec<Card>,
    staff: Vec<Card>,
    periods: Vec<PeriodLink>,
    hall_url: String,
    stylesheet: &'static str,
}

#[derive(Template)]
#[template(path = "honor/hall.html")]
struct HallPage {
    center: String,
    label: String,
    /// Nothing published yet.
    empty: bool,
    windows: Vec<Card>,
    staff: Vec<Card>,
    stylesheet: &'static str,
    script: &'static str,
}

#[derive(Template)]
#[template(path = "honor/empty.html")]
struct EmptyPage {
    center: String,
    stylesheet: &'static str,
}

/// A page rendered to keep in the cache.
fn to_html<T: Template>(page: &T) -> AppResult<String> {
    page.render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template failed to render: {e}")))
}

/// Renders the honor roll (or hall screen) of `code`, or of the latest published period.
async fn render_roll(
    state: &AppState,
    code: Option<&str>,
    hall: bool,
) -> AppResult<Option<String>> {
    let mut conn = state.db.acquire().await?;
    let Some((center_id, center)) = public_center(state, &mut conn).await? else {
        return Ok(None);
    };
    let period = match code {
        Some(code) => db::period::period_by_code(&mut conn, center_id, code)
            .await?
            .filter(|p| p.phase == "published"),
        None => db::results::latest_published(&mut conn, center_id).await?,
    };
    let Some(period) = period else {
        if code.is_some() {
            return Ok(None);
        }
        if hall {
            // The lobby TV keeps asking, and shows the roll once one is published.
            return Ok(Some(to_html(&HallPage {
                center,
                label: String::new(),
                empty: true,
                windows: Vec::new(),
                staff: Vec::new(),
                stylesheet: urls::STYLESHEET,
                script: urls::HALL_SCRIPT,
            })?));
        }
        return Ok(Some(to_html(&EmptyPage {
            center,
            stylesheet: urls::STYLESHEET,
        })?));
    };
    let honors = db::honor::of_period(&mut conn, period.period_id).await?;
    let windows: Vec<Card> = honors
        .iter()
        .filter(|h| h.kind == "window")
        .map(Card::of)
        .collect();
    let staff: Vec<Card> = honors
        .iter()
        .filter(|h| h.kind == "staff")
        .map(Card::of)
        .collect();
    let label = label_of(&period.code);
    if hall {
        return Ok(Some(to_html(&HallPage {
            center,
            label,
            empty: false,
            windows,
            staff,
            stylesheet: urls::STYLESHEET,
            script: urls::HALL_SCRIPT,
        })?));
    }
    let periods = db::period::periods(&mut conn, center_id)
        .await?
        .into_iter()
        .filter(|p| p.phase == "published")
        .map(|p| PeriodLink {
            href: urls::honor_roll(&p.code),
            label: label_of(&p.code),
            current: p.code == period.code,
        })
        .collect();
    Ok(Some(to_html(&RollPage {
        center,
        label,
        published_on: crate::domain::format_date(period.published_at),
        hall_url: format!("{}/hall", urls::honor_roll(&period.code)),
        code: period.code,
        windows,
        staff,
        periods,
        stylesheet: urls::STYLESHEET,
    })?))
}

async fn roll_latest(State(state): State<AppState>) -> AppResult<Response> {
    cached(
        &state,
        urls::HONOR_ROLL.to_string(),
        async |s: &AppState| render_roll(s, None, false).await,
    )
    .await
}

async fn hall_latest(State(state): State<AppState>) -> AppResult<Response> {
    cached(
        &state,
        "/honor-roll/hall".to_string(),
        async |s: &AppState| render_roll(s, None, true).await,
    )
    .await
}

async fn roll_of(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    if PeriodCode::parse(&code).is_none() {
        return Err(AppError::NotFound);
    }
    cached(&state, urls::honor_roll(&code), async |s: &AppState| {
        render_roll(s, Some(&code), false).await
    })
    .await
}

async fn hall_of(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    if PeriodCode::parse(&code).is_none() {
        return Err(AppError::NotFound);
    }
    cached(
        &state,
        format!("{}/hall", urls::honor_roll(&code)),
        async |s: &AppState| render_roll(s, Some(&code), true).await,
    )
    .await
}

/// A winner's photo: only of a person holding a valid published honor.
async fn photo(State(state): State<AppState>, Path(staff): Path<String>) -> AppResult<Response> {
    let id = super::extract::path_id(&staff)?;
    let mut conn = state.db.acquire().await?;
    let (bytes, mime) = db::honor::public_photo(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime).unwrap_or(HeaderValue::from_static("image/jpeg")),
    );
    // The URL carries the photo's version, so a replaced photo has a new URL.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(res)
}

// ----------------------------------------------------------------------------------------
// Certificates and their verification

/// What a certificate or the verification page says of an honor.
pub struct CertificateView {
    pub number: String,
    pub honor: &'static str,
    pub kind_window: bool,
    pub name: String,
    pub window: String,
    pub department: String,
    pub business_area: String,
    pub total: String,
    pub period: String,
    pub issuer: String,
    pub issued_on: String,
    pub issued_on_chinese: String,
    pub revoked: Option<String>,
    pub verify_url: String,
    pub qr_svg: String,
}

fn honor_title(kind: &str) -> &'static str {
    if kind == "window" {
        "优质服务窗口"
    } else {
        "优秀服务标兵"
    }
}

/// The address the public reaches this server at: the configured one, or the one this
/// request was made to (when its Host header is a plain host name).
fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn view_of(h: &Honor, period_code: &str, issuer: &str, base: &str) -> CertificateView {
    let verify_url = format!("{base}/verify/{}", h.certificate_no);
    let issued = h.issued_at.to_offset(time::macros::offset!(+8)).date();
    CertificateView {
        number: h.certificate_no.clone(),
        honor: honor_title(&h.kind),
        kind_window: h.kind == "window",
        name: h.name.clone(),
        window: h.window_label.clone(),
        department: h.department.clone(),
        business_area: h.business_area.clone(),
        total: Fixed2(i64::from(h.total)).to_string(),
        period: label_of(period_code),
        issuer: issuer.to_string(),
        issued_on: format!(
            "{}年{}月{}日",
            issued.year(),
            u8::from(issued.month()),
            issued.day()
        ),
        issued_on_chinese: chinese_date(issued),
        // The reason stays in the audit trail: the public learns only that a correction
        // of the results revoked the certificate, and when.
        revoked: h.revoked_at.map(|at| {
            format!(
                "{} 因评选结果更正而撤销",
                crate::domain::format_date(Some(at))
            )
        }),
        qr_svg: qr_svg(&verify_url),
        verify_url,
    }
}

/// A date as certificates write it: 二〇二六年七月十五日.
pub fn chinese_date(d: time::Date) -> String {
    const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let number = |n: u32| -> String {
        match n {
            0..=9 => DIGITS[n as usize].to_string(),
            10 => "十".to_string(),
            11..=19 => format!("十{}", DIGITS[(n % 10) as usize]),
            _ if n.is_multiple_of(10) => format!("{}十", DIGITS[(n / 10) as usize]),
            _ => format!(
                "{}十{}",
                DIGITS[(n / 10) as usize],
                DIGITS[(n % 10) as usize]
            ),
        }
    };
    let year: String = d
        .year()
        .to_string()
        .chars()
        .filter_map(|c| c.to_digit(10).map(|n| DIGITS[n as usize]))
        .collect();
    format!(
        "{year}年{}月{}日",
        number(u32::from(u8::from(d.month()))),
        number(u32::from(d.day()))
    )
}

/// The QR code of `text` as an SVG drawing (black modules on white, with the quiet zone).
pub fn qr_svg(text: &str) -> String {
    use qrcode::{Color, EcLevel, QrCode};
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) else {
        return String::new();
    };
    let width = code.width();
    let size = width + 8;
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (i % width + 4, i / width + 4);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" class=\"qr\" role=\"img\" aria-label=\"证书核验二维码\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>"
    )
}

#[derive(Template)]
#[template(path = "honor/verify.html")]
struct VerifyPage {
    stylesheet: &'static str,
    number: String,
    found: Option<CertificateView>,
    message: Option<String>,
}

/// Certificate numbers are short, upper-case, made of digits, letters and dashes.
fn normalise_number(raw: &str) -> Option<String> {
    let n = raw.trim().to_ascii_uppercase();
    (n.len() >= 8 && n.len() <= 40 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then_some(n)
}

async fn verify_page(
    state: &AppState,
    headers: &HeaderMap,
    raw: Option<&str>,
) -> AppResult<Response> {
    let mut page_ = VerifyPage {
        stylesheet: urls::STYLESHEET,
        number: raw.unwrap_or("").chars().take(40).collect(),
        found: None,
        message: None,
    };
    if let Some(raw) = raw {
        match normalise_number(raw) {
            None => {
                page_.message = Some(
                    "证书编号格式不正确：编号由数字、大写字母和短横线组成，如 2026Q2-S01-ABC234。"
                        .into(),
                )
            }
            Some(number) => {
                let mut conn = state.db.acquire().await?;
                match db::honor::by_certificate(&mut conn, &number).await? {
                    None => {
                        page_.message = Some(format!(
                            "未找到编号为 {number} 的荣誉证书。请核对编号；如有疑问，请联系中心督查科。"
                        ))
                    }
                    Some(c) => {
                        let issuer = state
                            .config
                            .certificate_issuer
                            .clone()
                            .unwrap_or(c.center_name.clone());
                        page_.found = Some(view_of(
                            &c.honor,
                            &c.period_code,
                            &issuer,
                            &public_base(state, headers),
                        ));
                    }
                }
            }
        }
    }
    let status = if page_.message.is_none() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::NOT_FOUND
    };
    let mut res = page::render(status, &page_);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}

async fn verify_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    match q.first_utf8("no").map(str::trim) {
        Some(no) if !no.is_empty() => {
            if let Some(n) = normalise_number(no) {
                return Ok(Redirect::to(&format!("{}/{n}", urls::VERIFY)).into_response());
            }
            verify_page(&state, &headers, Some(no)).await
        }
        _ => verify_page(&state, &headers, None).await,
    }
}

async fn verify_number(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> AppResult<Response> {
    verify_page(&state, &headers, Some(&number)).await
}

#[derive(Template)]
#[template(path = "honor/certificates.html")]
struct CertificatesPage {
    layout: Layout,
    label: String,
    results_url: String,
    certificates: Vec<CertificateView>,
}

async fn certificate_views(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    code: &str,
) -> AppResult<(String, Vec<CertificateView>)> {
    let mut conn = state.db.acquire().await?;
    let p = db::period::period_by_code(&mut conn, user.center_id, code)
        .await?
        .filter(|p| p.phase == "published")
        .ok_or(AppError::NotFound)?;
    let honors = db::honor::of_period(&mut conn, p.period_id).await?;
    let issuer = match &state.config.certificate_issuer {
        Some(i) => i.clone(),
        None => user.center_name.clone(),
    };
    let base = public_base(state, headers);
    Ok((
        p.code.clone(),
        honors
            .iter()
            .map(|h| view_of(h, &p.code, &issuer, &base))
            .collect(),
    ))
}

async fn certificates(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let (code, certificates) = certificate_views(&state, &user, &headers, &code).await?;
    Ok(page::ok(&CertificatesPage {
        layout: Layout::new(
            format!("{} 荣誉证书", label_of(&code)),
            Some(&user),
            urls::PERIODS,
        ),
        label: label_of(&code),
        results_url: format!("{}/{code}", urls::RESULTS),
        certificates,
    }))
}

async fn certificate(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((code, number)): Path<(String, String)>,
) -> AppResult<Response> {
    let (code, certificates) = certificate_views(&state, &user, &headers, &code).await?;
    let one: Vec<CertificateView> = certificates
        .into_iter()
        .filter(|c| c.number == number)
        .collect();
    if one.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(page::ok(&CertificatesPage {
        layout: Layout::new(
            format!("{} 荣誉证书 {number}", label_of(&code)),
            Some(&user),
            urls::PERIODS,
        ),
        label: label_of(&code),
        results_url: format!("{}/{code}", urls::RESULTS),
        certificates: one,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_dates_are_written_in_chinese_numerals() {
        let d = time::macros::date!(2026 - 07 - 15);
        assert_eq!(chinese_date(d), "二〇二六年七月十五日");
        assert_eq!(
            chinese_date(time::macros::date!(2030 - 10 - 31)),
            "二〇三〇年十月三十一日"
        );
        assert_eq!(
            chinese_date(time::macros::date!(2026 - 12 - 20)),
            "二〇二六年十二月二十日"
        );
    }

    #[test]
    fn a_qr_code_is_an_svg_of_dark_modules() {
        let svg = qr_svg("http://localhost/verify/2026Q2-S01-ABC234");
        assert!(svg.starts_with("<svg") && svg.contains("M4 4h1v1h-1z"));
    }

    #[test]
    fn certificate_numbers_are_normalised_or_refused() {
        assert_eq!(
            normalise_number(" 2026q2-s01-abc234 ").as_deref(),
            Some("2026Q2-S01-ABC234")
        );
        assert_eq!(normalise_number("<script>"), None);
        assert_eq!(normalise_number("short"), None);
    }

    #[test]
    fn a_render_that_raced_an_invalidation_is_not_kept() {
        let cache = HonorCache::default();
        let g = cache.generation();
        cache.invalidate();
        cache.put("roll".into(), Bytes::from_static(b"old"), g);
        assert!(cache.get("roll").is_none());
        cache.put(
            "roll".into(),
            Bytes::from_static(b"new"),
            cache.generation(),
        );
        assert_eq!(cache.get("roll").unwrap(), Bytes::from_static(b"new"));
    }
}
