//! Certificates (荣誉证书) and their public verification.

use super::site::{self, Site};
use crate::charts::{Element, Svg};
use crate::db;
use crate::db::honor::Honor;
use crate::domain::period::Phase;
use crate::domain::period::period_label as label_of;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, PeriodCtx};
use crate::http::form::FormData;
use crate::http::page::{self, Layout};
use crate::http::urls;
use crate::scoring::Fixed2;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

/// What a certificate or the verification page says of an honor.
pub struct CertificateView {
    pub number: String,
    pub honor: String,
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
    pub qr: Option<Svg>,
    /// The nominating county, for an honor of a city-wide round (which has no score).
    pub county: Option<String>,
}

/// The address the public reaches this server at, as configured (`PINGXUAN_PUBLIC_URL`).
/// Never taken from the request: a forged Host header must not end up in a QR code.
pub(crate) fn public_base(state: &AppState) -> Option<&str> {
    state.config.public_url.as_deref()
}

fn view_of(h: &Honor, period_code: &str, issuer: &str, base: Option<&str>) -> CertificateView {
    let verify_url = base
        .map(|b| format!("{b}/verify/{}", h.certificate_no))
        .unwrap_or_default();
    let issued = h.issued_at.to_offset(time::macros::offset!(+8)).date();
    CertificateView {
        number: h.certificate_no.clone(),
        honor: h.title.clone(),
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
        qr: base.and_then(|_| qr_svg(&verify_url)),
        verify_url,
        county: None,
    }
}

/// What a certificate of a city-wide round says: issued in the city's name, no score.
pub(crate) fn city_view(
    h: &db::citywide::honors::CityHonor,
    base: Option<&str>,
) -> CertificateView {
    let verify_url = base
        .map(|b| format!("{b}/verify/{}", h.certificate_no))
        .unwrap_or_default();
    let issued = h.issued_at.to_offset(time::macros::offset!(+8)).date();
    CertificateView {
        number: h.certificate_no.clone(),
        honor: h.title.clone(),
        kind_window: h.kind == crate::scoring::Kind::Window,
        name: h.name.clone(),
        window: h.window_label.clone(),
        department: h.department.clone(),
        business_area: String::new(),
        total: String::new(),
        period: format!("{}年度全市", h.year),
        issuer: h.city.clone(),
        issued_on: format!(
            "{}年{}月{}日",
            issued.year(),
            u8::from(issued.month()),
            issued.day()
        ),
        issued_on_chinese: chinese_date(issued),
        revoked: h.revoked_at.map(|at| {
            format!(
                "{} 因评选结果更正而撤销",
                crate::domain::format_date(Some(at))
            )
        }),
        qr: base.and_then(|_| qr_svg(&verify_url)),
        verify_url,
        county: Some(h.county.clone()),
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
pub fn qr_svg(text: &str) -> Option<Svg> {
    use qrcode::{Color, EcLevel, QrCode};
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let size = (width + 8).to_string();
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (i % width + 4, i / width + 4);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Some(Svg {
        attrs: vec![
            ("viewBox", format!("0 0 {size} {size}")),
            ("class", "qr".to_string()),
            ("role", "img".to_string()),
            ("aria-label", "证书核验二维码".to_string()),
            ("shape-rendering", "crispEdges".to_string()),
        ],
        elements: vec![
            Element {
                tag: "rect",
                attrs: vec![
                    ("width", size.clone()),
                    ("height", size),
                    ("fill", "#fff".to_string()),
                ],
                text: None,
            },
            Element {
                tag: "path",
                attrs: vec![("fill", "#000".to_string()), ("d", path)],
                text: None,
            },
        ],
    })
}

#[derive(Template)]
#[template(path = "honor/verify.html")]
struct VerifyPage {
    stylesheet: &'static str,
    /// The center whose own verification page this is (`/c/{center}/verify`).
    center: Option<String>,
    verify_url: String,
    roll_url: String,
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

/// Lookups that find nothing, per address, before the address must wait: enough for a
/// person mistyping a number, too few to walk through the numbers.
const VERIFY_MISSES: db::throttle::Limit = db::throttle::Limit {
    max_failures: 30,
    window_secs: 900.0,
    lock_secs: 900.0,
    growing: false,
};

/// The verification page of the default public center (`site` `None`: every certificate)
/// or of one center (only the certificates it issued, or its people's in its city's round).
async fn verify_page(
    state: &AppState,
    ip: &ClientIp,
    raw: Option<&str>,
    site: Option<&str>,
) -> AppResult<Response> {
    let site = match site {
        Some(code) => {
            let mut conn = state.db.acquire().await?;
            Some(
                Site::find(&mut conn, state, Some(site::code_of(code)?))
                    .await?
                    .ok_or(AppError::NotFound)?,
            )
        }
        None => None,
    };
    let (center, verify_url, roll_url) = match &site {
        Some(s) => (Some(s.name.clone()), s.verify(), s.honor_roll()),
        None => (None, urls::VERIFY.to_string(), urls::HONOR_ROLL.to_string()),
    };
    let key = format!("verify:{}", ip.0);
    // One lookup per address at a time, so that a burst cannot slip past the count.
    let _turn = match raw {
        Some(_) => Some(state.signin.enter(&key).await),
        None => None,
    };
    if raw.is_some() {
        let mut conn = state.db.acquire().await?;
        if db::throttle::locked_until(&mut conn, &key).await?.is_some() {
            let page_ = VerifyPage {
                stylesheet: urls::STYLESHEET,
                center,
                verify_url,
                roll_url,
                number: String::new(),
                found: None,
                message: Some(
                    "查询过于频繁：本地址查询了过多不存在的证书编号，请 15 分钟后再试。".into(),
                ),
            };
            let mut res = page::render(axum::http::StatusCode::TOO_MANY_REQUESTS, &page_);
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("900"));
            return Ok(res);
        }
    }
    let mut page_ = VerifyPage {
        stylesheet: urls::STYLESHEET,
        center,
        verify_url,
        roll_url,
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
                let elsewhere = match &site {
                    Some(s) => !site::certificate_of(&mut conn, &number, s.center_id).await?,
                    None => false,
                };
                if elsewhere {
                    page_.message = Some(format!(
                        "本中心未颁发编号为 {number} 的荣誉证书。请核对编号；如有疑问，请联系中心督查科。"
                    ));
                } else if let Some(c) = db::honor::by_certificate(&mut conn, &number).await? {
                    let issuer = state
                        .config
                        .certificate_issuer
                        .clone()
                        .unwrap_or(c.center_name.clone());
                    page_.found = Some(view_of(
                        &c.honor,
                        &c.period_code,
                        &issuer,
                        public_base(state),
                    ));
                } else if let Some(h) =
                    db::citywide::honors::by_certificate(&mut conn, &number).await?
                {
                    page_.found = Some(city_view(&h, public_base(state)));
                } else {
                    page_.message = Some(format!(
                        "未找到编号为 {number} 的荣誉证书。请核对编号；如有疑问，请联系中心督查科。"
                    ));
                }
            }
        }
    }
    let status = if page_.message.is_none() {
        axum::http::StatusCode::OK
    } else {
        // A miss counts against the address.
        let mut conn = state.db.acquire().await?;
        db::throttle::fail(&mut conn, &key, VERIFY_MISSES).await?;
        axum::http::StatusCode::NOT_FOUND
    };
    let mut res = page::render(status, &page_);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}

/// `GET /verify?no=…` (and a center's own): a well-formed number goes to its address.
async fn verify_query(
    state: AppState,
    ip: ClientIp,
    query: Option<String>,
    site: Option<&str>,
) -> AppResult<Response> {
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    match q.first_utf8("no").map(str::trim) {
        Some(no) if !no.is_empty() => {
            if let Some(n) = normalise_number(no) {
                let base = match site {
                    Some(code) => format!("{}{}", site::CENTER_PAGES, site::code_of(code)?),
                    None => String::new(),
                };
                return Ok(Redirect::to(&format!("{base}{}/{n}", urls::VERIFY)).into_response());
            }
            verify_page(&state, &ip, Some(no), site).await
        }
        _ => verify_page(&state, &ip, None, site).await,
    }
}

pub(super) async fn verify_form(
    State(state): State<AppState>,
    ip: ClientIp,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    verify_query(state, ip, query, None).await
}

pub(super) async fn verify_number(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(number): Path<String>,
) -> AppResult<Response> {
    verify_page(&state, &ip, Some(&number), None).await
}

pub(super) async fn center_verify_form(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(center): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    verify_query(state, ip, query, Some(&center)).await
}

pub(super) async fn center_verify_number(
    State(state): State<AppState>,
    ip: ClientIp,
    Path((center, number)): Path<(String, String)>,
) -> AppResult<Response> {
    verify_page(&state, &ip, Some(&number), Some(&center)).await
}

#[derive(Template)]
#[template(path = "honor/certificates.html")]
struct CertificatesPage {
    layout: Layout,
    label: String,
    results_url: String,
    certificates: Vec<CertificateView>,
    /// No public address is configured: nothing to print, and how to set one.
    needs_public_url: bool,
}

/// The certificates of a published period (the 404 page before publication).
async fn certificate_views(
    state: &AppState,
    ctx: &PeriodCtx,
) -> AppResult<(String, Vec<CertificateView>)> {
    let (user, p) = (&ctx.user, &ctx.period);
    if p.phase != Phase::Published {
        return Err(AppError::NotFound);
    }
    let mut conn = state.db.acquire().await?;
    let honors = db::honor::of_period(&mut conn, p.period_id).await?;
    let issuer = match &state.config.certificate_issuer {
        Some(i) => i.clone(),
        None => user.center_name.clone(),
    };
    let Some(base) = public_base(state) else {
        // Printed without its public address, a certificate could not be verified.
        return Ok((p.code.clone(), Vec::new()));
    };
    let base = Some(base);
    Ok((
        p.code.clone(),
        honors
            .iter()
            .map(|h| view_of(h, &p.code, &issuer, base))
            .collect(),
    ))
}

pub(super) async fn certificates(
    State(state): State<AppState>,
    ctx: PeriodCtx,
) -> AppResult<Response> {
    let (code, certificates) = certificate_views(&state, &ctx).await?;
    let user = ctx.user;
    Ok(page::ok(&CertificatesPage {
        layout: Layout::new(
            format!("{} 荣誉证书", label_of(&code)),
            Some(&user),
            urls::PERIODS,
        ),
        label: label_of(&code),
        results_url: format!("{}/{code}", urls::RESULTS),
        certificates,
        needs_public_url: state.config.public_url.is_none(),
    }))
}

pub(super) async fn certificate(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    Path((_, number)): Path<(String, String)>,
) -> AppResult<Response> {
    let (code, certificates) = certificate_views(&state, &ctx).await?;
    let user = ctx.user;
    let one: Vec<CertificateView> = certificates
        .into_iter()
        .filter(|c| c.number == number)
        .collect();
    if one.is_empty() && state.config.public_url.is_some() {
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
        needs_public_url: state.config.public_url.is_none(),
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
        #[derive(Template)]
        #[template(path = "svg.html")]
        struct Page {
            svg: Svg,
        }
        let svg = qr_svg("http://localhost/verify/2026Q2-S01-ABC234").unwrap();
        let html = Page { svg }.render().unwrap();
        assert!(
            html.starts_with("<svg") && html.contains("M4 4h1v1h-1z"),
            "{html}"
        );
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
}
