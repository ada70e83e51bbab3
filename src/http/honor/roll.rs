//! The public honor roll (光荣榜), its hall screen, and winners' photos.

use super::cache::cached;
use super::site::{CENTER_PAGES, Site, is_center_code};
use crate::db;
use crate::db::honor::Honor;
use crate::domain::period::Phase;
use crate::domain::period::period_label as label_of;
use crate::domain::period::{PeriodCode, PeriodKind};
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::urls;
use crate::scoring::Fixed2;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

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

/// One period's winners on the honor roll.
pub struct RollSection {
    /// Unique on the page: the period's code.
    pub id: String,
    pub label: String,
    pub window_title: String,
    pub staff_title: String,
    pub published_on: String,
    pub href: String,
    pub windows: Vec<Card>,
    pub staff: Vec<Card>,
}

impl RollSection {
    async fn of(
        conn: &mut sqlx::PgConnection,
        site: &Site,
        period: &db::period::PeriodRow,
    ) -> AppResult<RollSection> {
        let honors = db::honor::of_period(conn, period.period_id).await?;
        let cards = |kind: &str| -> Vec<Card> {
            honors
                .iter()
                .filter(|h| h.kind == kind)
                .map(Card::of)
                .collect()
        };
        Ok(RollSection {
            id: period.code.clone(),
            label: label_of(&period.code),
            window_title: period.window_title.clone(),
            staff_title: period.staff_title.clone(),
            published_on: crate::domain::format_date(period.published_at),
            href: site.period(&period.code),
            windows: cards("window"),
            staff: cards("staff"),
        })
    }
}

/// A county's honorees of its city's latest city-wide round, on the county's honor roll.
pub struct CitySection {
    pub label: String,
    pub windows: Vec<db::citywide::honors::CityHonor>,
    pub staff: Vec<(db::citywide::honors::CityHonor, Option<String>)>,
}

impl CitySection {
    async fn of(
        conn: &mut sqlx::PgConnection,
        center: crate::domain::ids::CenterId,
    ) -> AppResult<Option<CitySection>> {
        let honors = db::citywide::honors::of_county(conn, center).await?;
        let Some(first) = honors.first() else {
            return Ok(None);
        };
        let label = format!("{}{}年度全市评选", first.city, first.year);
        let mut windows = Vec::new();
        let mut staff = Vec::new();
        for h in honors {
            if h.kind == crate::scoring::Kind::Window {
                windows.push(h);
            } else {
                let photo = match h.staff_id {
                    Some(id) => db::honor::photo_version(conn, id).await?,
                    None => None,
                }
                .map(|v| format!("/photos/{}?v={v}", h.staff_id.unwrap_or_default()));
                staff.push((h, photo));
            }
        }
        Ok(Some(CitySection {
            label,
            windows,
            staff,
        }))
    }
}

#[derive(Template)]
#[template(path = "honor/roll.html")]
struct RollPage {
    /// The center's honorees of its city's round, when it is a county.
    city: Option<CitySection>,
    center: String,
    /// The page's title: one period's name, or 各项评选最新结果.
    label: String,
    /// The latest period of each scheme the center runs (annual, quarterly, monthly), or the
    /// one period asked for.
    sections: Vec<RollSection>,
    periods: Vec<PeriodLink>,
    hall_url: String,
    verify_url: String,
    stylesheet: &'static str,
}

#[derive(Template)]
#[template(path = "honor/hall.html")]
struct HallPage {
    center: String,
    label: String,
    /// Nothing published yet.
    empty: bool,
    /// The same sections as the honor roll; the screen turns through each one's two lists.
    sections: Vec<RollSection>,
    stylesheet: &'static str,
    script: &'static str,
}

#[derive(Template)]
#[template(path = "honor/empty.html")]
struct EmptyPage {
    center: String,
    verify_url: String,
    stylesheet: &'static str,
}

/// A page rendered to keep in the cache.
fn to_html<T: Template>(page: &T) -> AppResult<String> {
    page.render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template failed to render: {e}")))
}

/// Renders the honor roll (or hall screen) of `code`, or of the latest published period,
/// of the center `site` (the default public center when `None`).
async fn render_roll(
    state: &AppState,
    site: Option<&str>,
    code: Option<&str>,
    hall: bool,
) -> AppResult<Option<String>> {
    let mut conn = state.db.acquire().await?;
    let Some(site) = Site::find(&mut conn, state, site).await? else {
        return Ok(None);
    };
    let (center_id, center) = (site.center_id, site.name.clone());
    let period = match code {
        Some(code) => db::period::period_by_code(&mut conn, center_id, code)
            .await?
            .filter(|p| p.phase == Phase::Published),
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
                sections: Vec::new(),
                stylesheet: urls::STYLESHEET,
                script: urls::HALL_SCRIPT,
            })?));
        }
        // A county with no award of its own published yet may hold city-wide honors.
        if let Some(city) = CitySection::of(&mut conn, center_id).await? {
            return Ok(Some(to_html(&RollPage {
                city: Some(city),
                center,
                label: "全市评选".to_string(),
                hall_url: format!("{}/hall", site.honor_roll()),
                verify_url: site.verify(),
                sections: Vec::new(),
                periods: Vec::new(),
                stylesheet: urls::STYLESHEET,
            })?));
        }
        return Ok(Some(to_html(&EmptyPage {
            center,
            verify_url: site.verify(),
            stylesheet: urls::STYLESHEET,
        })?));
    };
    let label = label_of(&period.code);
    let all = db::period::periods(&mut conn, center_id).await?;
    let published: Vec<&db::period::PeriodRow> =
        all.iter().filter(|p| p.phase == Phase::Published).collect();
    // The roll of the center: the latest published period of each scheme, the year's first.
    let shown: Vec<&db::period::PeriodRow> = match code {
        Some(_) => vec![&period],
        None => {
            let mut latest: Vec<&db::period::PeriodRow> = Vec::new();
            for kind in [PeriodKind::Year, PeriodKind::Quarter, PeriodKind::Month] {
                if let Some(p) = published
                    .iter()
                    .filter(|p| PeriodCode::parse(&p.code).is_some_and(|c| c.kind == kind))
                    .max_by_key(|p| p.published_at)
                {
                    latest.push(p);
                }
            }
            latest
        }
    };
    let mut sections = Vec::new();
    for p in &shown {
        sections.push(RollSection::of(&mut conn, &site, p).await?);
    }
    let label = if sections.len() == 1 {
        label
    } else {
        "各项评选最新结果".to_string()
    };
    if hall {
        return Ok(Some(to_html(&HallPage {
            center,
            label,
            empty: false,
            sections,
            stylesheet: urls::STYLESHEET,
            script: urls::HALL_SCRIPT,
        })?));
    }
    let periods = published
        .iter()
        .map(|p| PeriodLink {
            href: site.period(&p.code),
            label: label_of(&p.code),
            current: code.is_some() && p.code == period.code,
        })
        .collect();
    let city = if code.is_none() {
        CitySection::of(&mut conn, center_id).await?
    } else {
        None
    };
    Ok(Some(to_html(&RollPage {
        city,
        center,
        label,
        hall_url: format!("{}/hall", site.period(&period.code)),
        verify_url: site.verify(),
        sections,
        periods,
        stylesheet: urls::STYLESHEET,
    })?))
}

/// `/honor-roll…` of the default center, or `/c/{center}/honor-roll…` of one center: the
/// page kept in the cache under its own path.
async fn serve_roll(
    state: AppState,
    site: Option<String>,
    code: Option<String>,
    hall: bool,
) -> AppResult<Response> {
    if site.as_deref().is_some_and(|c| !is_center_code(c))
        || code
            .as_deref()
            .is_some_and(|c| PeriodCode::parse(c).is_none())
    {
        return Err(AppError::NotFound);
    }
    let base = site
        .as_deref()
        .map(|c| format!("{CENTER_PAGES}{c}"))
        .unwrap_or_default();
    let key = match &code {
        Some(code) => format!("{base}{}/{code}", urls::HONOR_ROLL),
        None => format!("{base}{}", urls::HONOR_ROLL),
    };
    let key = if hall { format!("{key}/hall") } else { key };
    cached(&state, key, async |s: &AppState| {
        render_roll(s, site.as_deref(), code.as_deref(), hall).await
    })
    .await
}

pub(super) async fn roll_latest(State(state): State<AppState>) -> AppResult<Response> {
    serve_roll(state, None, None, false).await
}

pub(super) async fn hall_latest(State(state): State<AppState>) -> AppResult<Response> {
    serve_roll(state, None, None, true).await
}

pub(super) async fn roll_of(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    serve_roll(state, None, Some(code), false).await
}

pub(super) async fn hall_of(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    serve_roll(state, None, Some(code), true).await
}

pub(super) async fn center_roll(
    State(state): State<AppState>,
    Path(center): Path<String>,
) -> AppResult<Response> {
    serve_roll(state, Some(center), None, false).await
}

pub(super) async fn center_hall(
    State(state): State<AppState>,
    Path(center): Path<String>,
) -> AppResult<Response> {
    serve_roll(state, Some(center), None, true).await
}

pub(super) async fn center_roll_of(
    State(state): State<AppState>,
    Path((center, code)): Path<(String, String)>,
) -> AppResult<Response> {
    serve_roll(state, Some(center), Some(code), false).await
}

pub(super) async fn center_hall_of(
    State(state): State<AppState>,
    Path((center, code)): Path<(String, String)>,
) -> AppResult<Response> {
    serve_roll(state, Some(center), Some(code), true).await
}

/// A winner's photo: only of a person holding a valid published honor.
pub(super) async fn photo(
    State(state): State<AppState>,
    Path(staff): Path<String>,
) -> AppResult<Response> {
    let id = crate::http::extract::path_id(&staff)?;
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
