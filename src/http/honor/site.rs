//! Every center's public pages at an address of its own: `/c/{center}/honor-roll` with its
//! hall screen and earlier periods, `/c/{center}/verify`; the same pages at `/honor-roll`
//! and `/verify` of a host name the operator maps to the center (`PINGXUAN_PUBLIC_HOSTS`);
//! and the public index of the centers at `/centers`.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use sqlx::PgConnection;

use crate::domain::ids::CenterId;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::{page, urls};

/// The center whose public pages are asked for, and the prefix of their addresses.
pub struct Site {
    pub center_id: CenterId,
    pub name: String,
    /// `""` for the default center (`PINGXUAN_PUBLIC_CENTER`), `/c/{code}` for the others.
    pub base: String,
}

/// Prefix of a center's own public pages.
pub const CENTER_PAGES: &str = "/c/";

pub use crate::domain::is_center_code;

impl Site {
    /// The center of `code`, or the default public center when `code` is `None`.
    pub async fn find(
        conn: &mut PgConnection,
        state: &AppState,
        code: Option<&str>,
    ) -> AppResult<Option<Site>> {
        if code.is_some_and(|c| !is_center_code(c)) {
            return Ok(None);
        }
        let which = code.or(state.config.public_center.as_deref());
        let Some((center_id, name)) = crate::db::center::public(conn, which).await? else {
            return Ok(None);
        };
        Ok(Some(Site {
            center_id,
            name,
            base: code.map(|c| format!("/c/{c}")).unwrap_or_default(),
        }))
    }

    pub fn honor_roll(&self) -> String {
        format!("{}{}", self.base, urls::HONOR_ROLL)
    }

    pub fn period(&self, code: &str) -> String {
        format!("{}{}/{code}", self.base, urls::HONOR_ROLL)
    }

    pub fn verify(&self) -> String {
        format!("{}{}", self.base, urls::VERIFY)
    }
}

/// The path a request to a mapped host name stands for: `/honor-roll…` and `/verify…` on
/// the host of a center are that center's own pages.
fn mapped_path(hosts: &[(String, String)], req: &Request) -> Option<String> {
    let path = req.uri().path();
    let public = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|r| r.starts_with('/'))
    };
    if !public(urls::HONOR_ROLL) && !public(urls::VERIFY) {
        return None;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())?;
    // Without the port; an IPv6 literal (`[::1]:8080`) is not a name an operator maps.
    let host = host.split(':').next().unwrap_or(host);
    let (_, code) = hosts.iter().find(|(h, _)| h.eq_ignore_ascii_case(host))?;
    Some(format!("{CENTER_PAGES}{code}{path}"))
}

/// In front of the router: a mapped host's public pages are routed as the center's own.
pub async fn by_host(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(path) = mapped_path(&state.config.public_hosts, &req) {
        let with_query = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(uri) = with_query.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    next.run(req).await
}

/// A center in the public index.
pub struct CenterLink {
    pub name: String,
    pub honor_roll: String,
    pub hall: String,
    pub verify: String,
    /// A county, listed under its city.
    pub county: bool,
}

#[derive(Template)]
#[template(path = "honor/centers.html")]
struct CentersPage {
    centers: Vec<CenterLink>,
    stylesheet: &'static str,
}

/// `GET /centers`: every center's public pages, each city followed by its counties.
pub(super) async fn centers(State(state): State<AppState>) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let rows: Vec<(String, String, bool)> = sqlx::query_as(
        "select c.code, c.name, c.parent_center_id is not null
           from center c left join center p on p.center_id = c.parent_center_id
          order by coalesce(p.center_id, c.center_id), c.parent_center_id nulls first, c.code",
    )
    .fetch_all(&mut *conn)
    .await?;
    let centers = rows
        .into_iter()
        .map(|(code, name, county)| CenterLink {
            name,
            honor_roll: format!("{CENTER_PAGES}{code}{}", urls::HONOR_ROLL),
            hall: format!("{CENTER_PAGES}{code}{}/hall", urls::HONOR_ROLL),
            verify: format!("{CENTER_PAGES}{code}{}", urls::VERIFY),
            county,
        })
        .collect();
    let mut res = page::render(
        axum::http::StatusCode::OK,
        &CentersPage {
            centers,
            stylesheet: urls::STYLESHEET,
        },
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(res)
}

/// Whether certificate `number` was issued by `center` (its own award), or to one of its
/// people in its city's round, or by it as the city of that round.
pub async fn certificate_of(
    conn: &mut PgConnection,
    number: &str,
    center: CenterId,
) -> AppResult<bool> {
    let found: bool = sqlx::query_scalar(
        "select exists (select 1 from honor where certificate_no = $1 and center_id = $2)
             or exists (select 1 from citywide_honor h
                          join citywide_round r on r.citywide_round_id = h.citywide_round_id
                         where h.certificate_no = $1
                           and (h.county_center_id = $2 or r.center_id = $2))",
    )
    .bind(number)
    .bind(center)
    .fetch_one(conn)
    .await?;
    Ok(found)
}

/// The center named in a `/c/{center}/…` path, or a 404.
pub fn code_of(raw: &str) -> AppResult<&str> {
    if is_center_code(raw) {
        Ok(raw)
    } else {
        Err(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(host: &str, path: &str) -> Request {
        Request::builder()
            .uri(path)
            .header(header::HOST, host)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn a_mapped_host_reaches_its_centers_public_pages_only() {
        let hosts = vec![("qingshan.example.gov.cn".to_string(), "qs".to_string())];
        let mapped = |host: &str, path: &str| mapped_path(&hosts, &request(host, path));
        assert_eq!(
            mapped("qingshan.example.gov.cn", "/honor-roll").as_deref(),
            Some("/c/qs/honor-roll")
        );
        assert_eq!(
            mapped("QingShan.example.gov.cn:8443", "/honor-roll/2026-Q2/hall").as_deref(),
            Some("/c/qs/honor-roll/2026-Q2/hall")
        );
        assert_eq!(
            mapped("qingshan.example.gov.cn", "/verify/2026Q2-W01-ABCDEF").as_deref(),
            Some("/c/qs/verify/2026Q2-W01-ABCDEF")
        );
        assert_eq!(mapped("qingshan.example.gov.cn", "/login"), None);
        assert_eq!(mapped("qingshan.example.gov.cn", "/honor-rollx"), None);
        assert_eq!(mapped("other.example.gov.cn", "/honor-roll"), None);
    }
}
