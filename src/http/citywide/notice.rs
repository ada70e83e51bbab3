//! The public notice (公示) of a city-wide round at a permanent address, `/gongshi/{year}`:
//! the accepted nominees in the honor roll's style, cached like it; and the feedback form
//! (实名反映), which shows nothing of anyone's feedback, answers with a receipt number and
//! holds against floods.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::year_of;
use crate::db;
use crate::db::citywide::Round;
use crate::db::citywide::feedback::{FeedbackInput, Flood, Nominee};
use crate::domain::citywide::RoundPhase;
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, MaybeUser, set_cookie};
use crate::http::form::{Errors, FieldError, Fields, FormData};
use crate::http::page::{self, Choice, Layout};
use crate::http::routes::{Access, Routes};
use crate::http::urls;

/// The most 字 of a piece of feedback.
pub const FEEDBACK_LIMIT: usize = 500;

pub(super) fn routes(r: Routes) -> Routes {
    r.public("/gongshi/{year}", notice)
        .get("/gongshi/{year}/feedback", Access::Public, feedback_form)
        .post("/gongshi/{year}/feedback", Access::Public, feedback_send)
}

/// The round of the public center (the city) whose notice has begun.
async fn notice_round(
    state: &AppState,
    year: &str,
) -> AppResult<(String, Round, (time::Date, time::Date))> {
    let year = year_of(year)?;
    let mut conn = state.db.acquire().await?;
    let (city, name) = db::center::public(&mut conn, state.config.public_center.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    let round = db::citywide::round_by_year(&mut conn, city, year)
        .await?
        .ok_or(AppError::NotFound)?;
    if !matches!(
        round.phase,
        RoundPhase::Notice | RoundPhase::Confirmation | RoundPhase::Published
    ) {
        return Err(AppError::NotFound);
    }
    let dates = db::citywide::notice_dates(&mut conn, round.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((name, round, dates))
}

use crate::domain::format_day as day;

#[derive(Template)]
#[template(path = "citywide/notice.html")]
struct NoticePage {
    center: String,
    title: String,
    dates: String,
    windows: Vec<Nominee>,
    staff: Vec<Nominee>,
    contact: String,
    feedback_url: String,
    stylesheet: &'static str,
    /// The round is published: the page is its results.
    published: bool,
    window_title: String,
    staff_title: String,
}

/// `GET /gongshi/{year}`: the same page for everyone, from the cache.
async fn notice(State(state): State<AppState>, Path(year): Path<String>) -> AppResult<Response> {
    let key = format!("/gongshi/{year}");
    crate::http::honor::cache::cached(&state, key, async |state: &AppState| {
        let (center, round, (starts, ends)) = match notice_round(state, &year).await {
            Ok(r) => r,
            Err(AppError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut conn = state.db.acquire().await?;
        let nominees = db::citywide::feedback::nominees(&mut conn, round.id).await?;
        let (windows, staff) = nominees
            .into_iter()
            .partition(|n| n.kind == crate::scoring::Kind::Window);
        let page = NoticePage {
            center,
            dates: format!("{}至{}", day(starts), day(ends)),
            windows,
            staff,
            contact: round.objection_contact.clone(),
            feedback_url: format!("/gongshi/{}/feedback", round.year),
            published: round.phase == RoundPhase::Published,
            window_title: round.window_title.clone(),
            staff_title: round.staff_title.clone(),
            title: round.title,
            stylesheet: urls::STYLESHEET,
        };
        Ok(Some(page.render().map_err(|e| {
            AppError::Internal(anyhow::anyhow!("template failed to render: {e}"))
        })?))
    })
    .await
}

/// The feedback form as typed.
#[derive(Default)]
pub struct FeedbackValues {
    pub nominee: String,
    pub body: String,
    pub real_name: String,
    pub telephone: String,
}

#[derive(Template)]
#[template(path = "citywide/feedback_form.html")]
struct FeedbackPage {
    layout: Layout,
    title: String,
    notice_url: String,
    dates: String,
    open: bool,
    nominees: Vec<Choice>,
    values: FeedbackValues,
    errors: Errors,
    csrf: String,
    limit: usize,
    /// The receipt number of what was just sent.
    receipt: Option<String>,
}

/// What the feedback page says after a submission (or before any).
struct Outcome {
    values: FeedbackValues,
    errors: Errors,
    receipt: Option<String>,
    status: StatusCode,
}

impl Outcome {
    fn fresh() -> Outcome {
        Outcome {
            values: FeedbackValues::default(),
            errors: Errors::default(),
            receipt: None,
            status: StatusCode::OK,
        }
    }
}

async fn feedback_page(
    state: &AppState,
    user: Option<&crate::http::extract::CurrentUser>,
    headers: &HeaderMap,
    (round, (starts, ends)): (&Round, (time::Date, time::Date)),
    outcome: Outcome,
) -> AppResult<Response> {
    let Outcome {
        values,
        errors,
        receipt,
        status,
    } = outcome;
    let mut conn = state.db.acquire().await?;
    let nominees = db::citywide::feedback::nominees(&mut conn, round.id).await?;
    let today = crate::clock::china_date(state.clock.now());
    let open = db::citywide::feedback::open_on(round, Some((starts, ends)), today);
    let (csrf, fresh) = match user {
        Some(u) => (u.csrf_token.clone(), false),
        None => crate::http::auth::pre_session_token(headers),
    };
    let page = FeedbackPage {
        layout: Layout::new("反映意见", user, urls::CITYWIDE),
        notice_url: format!("/gongshi/{}", round.year),
        dates: format!("{}至{}", day(starts), day(ends)),
        open,
        nominees: nominees
            .iter()
            .map(|n| Choice {
                value: n.nomination_id.to_string(),
                label: format!("{}（{}，{}）", n.name, n.county, n.department),
                selected: values.nominee == n.nomination_id.to_string(),
            })
            .collect(),
        title: round.title.clone(),
        values,
        errors,
        csrf: csrf.clone(),
        limit: FEEDBACK_LIMIT,
        receipt,
    };
    let mut res = page::render(status, &page);
    if fresh {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(
                crate::http::csrf::PRE_SESSION_COOKIE,
                &csrf,
                state.config.secure_cookies,
                None,
            ),
        );
    }
    // Nothing of what is typed here is kept by a browser's or a proxy's cache.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

async fn feedback_form(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let (_, round, dates) = notice_round(&state, &year).await?;
    feedback_page(
        &state,
        user.as_ref(),
        &headers,
        (&round, dates),
        Outcome::fresh(),
    )
    .await
}

/// `POST /gongshi/{year}/feedback`.
async fn feedback_send(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ip: ClientIp,
    headers: HeaderMap,
    Path(year): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let (_, round, dates) = notice_round(&state, &year).await?;
    let mut f = Fields::new(&form);
    let (nominee_typed, nominee) = f.read("nominee", |raw| {
        raw.trim()
            .parse::<i64>()
            .map_err(|_| FieldError::Message("请选择反映的对象".to_string()))
    });
    let (body_typed, body) = f.read("body", |raw| {
        let t = text::account(raw, FEEDBACK_LIMIT, FEEDBACK_LIMIT * 10)?;
        if t.is_empty() {
            return Err(text::TextError::Empty.into());
        }
        Ok(t)
    });
    let (name_typed, real_name) = f.read("real_name", |raw| Ok(text::required(raw, 50)?));
    let (tel_typed, telephone) = f.read("telephone", |raw| {
        let t = text::required(raw, 30)?;
        let digits = t.chars().filter(char::is_ascii_digit).count();
        if digits >= 7
            && t.chars()
                .all(|c| c.is_ascii_digit() || "-+ ()（）".contains(c))
        {
            Ok(t)
        } else {
            Err(FieldError::Message(
                "请填写能联系到您的电话号码，如 13800000000 或 0000-12345678".to_string(),
            ))
        }
    });
    let values = FeedbackValues {
        nominee: nominee_typed,
        body: body_typed,
        real_name: name_typed,
        telephone: tel_typed,
    };
    let mut errors = f.errors;
    let today = crate::clock::china_date(state.clock.now());
    if !db::citywide::feedback::open_on(&round, Some(dates), today) {
        errors.add("_form", "不在公示期内，不能通过本页反映意见。");
    }
    // A field no person sees: whatever fills it is a program, and is told nothing more.
    let honeypot = !form.echo("website").trim().is_empty();
    let input = match (nominee, body, real_name, telephone) {
        (Some(nomination_id), Some(body), Some(real_name), Some(telephone))
            if errors.is_empty() =>
        {
            Some(FeedbackInput {
                nomination_id,
                body,
                real_name,
                telephone,
            })
        }
        _ => None,
    };
    let again = async |values, errors, receipt, status| {
        let outcome = Outcome {
            values,
            errors,
            receipt,
            status,
        };
        feedback_page(&state, user.as_ref(), &headers, (&round, dates), outcome).await
    };
    let Some(input) = input else {
        return again(values, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if honeypot {
        tracing::warn!(ip = %ip.0, "feedback with the honeypot field filled, not kept");
        return again(
            FeedbackValues::default(),
            Errors::default(),
            Some("—".to_string()),
            StatusCode::OK,
        )
        .await;
    }
    let mut conn = state.db.acquire().await?;
    match db::citywide::feedback::submit_public(&mut conn, &round, &input, &ip.0, state.clock.now())
        .await?
    {
        Some(Ok(receipt)) => {
            drop(conn);
            again(
                FeedbackValues::default(),
                Errors::default(),
                Some(receipt),
                StatusCode::OK,
            )
            .await
        }
        Some(Err(flood)) => {
            drop(conn);
            errors.add(
                "_form",
                match flood {
                    Flood::Address => "同一网络地址提交过于频繁，请 10 分钟后再试；也可以按公示中的联系方式来信来电反映。",
                    Flood::Telephone => "同一电话号码今天已提交多次，请明天再试，或按公示中的联系方式来信来电反映。",
                    Flood::Overall => "当前提交的人数较多，请稍后再试。",
                },
            );
            again(values, errors, None, StatusCode::TOO_MANY_REQUESTS).await
        }
        None => {
            drop(conn);
            errors.add("nominee", "所选对象不在本次公示名单中，请重新选择");
            again(values, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
