//! The public honor roll (光荣榜), its hall screen, and winners' photos.

use super::cache::cached;
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
            href: urls::honor_roll(&period.code),
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
    let Some((center_id, center)) =
        db::center::public(&mut conn, state.config.public_center.as_deref()).await?
    else {
        return Ok(None);
    };
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
                hall_url: "/honor-roll/hall".to_string(),
                sections: Vec::new(),
                periods: Vec::new(),
                stylesheet: urls::STYLESHEET,
            })?));
        }
        return Ok(Some(to_html(&EmptyPage {
            center,
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
        sections.push(RollSection::of(&mut conn, p).await?);
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
            href: urls::honor_roll(&p.code),
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
        hall_url: format!("{}/hall", urls::honor_roll(&period.code)),
        sections,
        periods,
        stylesheet: urls::STYLESHEET,
    })?))
}

pub(super) async fn roll_latest(State(state): State<AppState>) -> AppResult<Response> {
    cached(
        &state,
        urls::HONOR_ROLL.to_string(),
        async |s: &AppState| render_roll(s, None, false).await,
    )
    .await
}

pub(super) async fn hall_latest(State(state): State<AppState>) -> AppResult<Response> {
    cached(
        &state,
        "/honor-roll/hall".to_string(),
        async |s: &AppState| render_roll(s, None, true).await,
    )
    .await
}

pub(super) async fn roll_of(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    if PeriodCode::parse(&code).is_none() {
        return Err(AppError::NotFound);
    }
    cached(&state, urls::honor_roll(&code), async |s: &AppState| {
        render_roll(s, Some(&code), false).await
    })
    .await
}

pub(super) async fn hall_of(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
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
