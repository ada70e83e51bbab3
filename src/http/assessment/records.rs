//! The records of a month (the office's list), one record's page (seen by those it
//! concerns), its photos, and cancelling a record made in error.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::score::{Refused, follow_records};
use super::{breakdown_url, month_url, record_url, rules_url};
use crate::db::{self, assessment::records::RecordRow};
use crate::domain::Role;
use crate::domain::ids::{Entrant, RecordId};
use crate::domain::period::{is_month, month_label, shift_month};
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser, path_id};
use crate::http::form::{Errors, Fields, FormData};
use crate::http::page::{self, Layout};
use crate::scoring::Kind;

/// A record as a list shows it.
pub struct RecordView {
    pub url: String,
    pub day: String,
    pub target: String,
    pub target_url: String,
    pub what: String,
    pub points: String,
    pub note: String,
    pub photos: i64,
    pub by: String,
    /// 有效 / 已撤销, and the appeal's state when there is one.
    pub status: String,
    pub active: bool,
}

impl RecordView {
    pub fn of(r: &RecordRow) -> RecordView {
        RecordView {
            url: record_url(r.assessment_record_id),
            day: crate::domain::format_day(r.occurred_on),
            target: r.target.clone(),
            target_url: r
                .entrant()
                .map(|e| breakdown_url(&r.month, e))
                .unwrap_or_default(),
            what: format!("{} · {}", r.item, r.standard),
            points: r.points_words(),
            note: r.note.clone(),
            photos: r.photos,
            by: r.recorded_by.clone().unwrap_or_default(),
            status: status_words(r),
            active: r.active(),
        }
    }
}

/// The record's state in words, with its latest appeal's.
pub fn status_words(r: &RecordRow) -> String {
    let base = if r.active() { "有效" } else { "已撤销" };
    match r.appeal.as_deref() {
        Some("open") => format!("{base}，申诉中"),
        Some("upheld") => format!("{base}（申诉后维持）"),
        Some("cancelled") => format!("{base}（申诉后撤销）"),
        Some("changed") => format!("{base}（申诉后改变）"),
        Some("closed") => format!("{base}（申诉已关闭）"),
        _ => base.to_string(),
    }
}

#[derive(Template)]
#[template(path = "assessment/month.html")]
struct MonthPage {
    layout: Layout,
    month_label: String,
    prev: String,
    next: String,
    new_url: &'static str,
    windows_rules: String,
    staff_rules: String,
    modes: Vec<(&'static str, &'static str)>,
    fill_action: String,
    ratings_url: String,
    records: Vec<RecordView>,
    errors: Errors,
    typed_reason: String,
}

pub(super) async fn month(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(month): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    render_month(
        &state,
        &user,
        &month,
        Some(&q),
        Errors::default(),
        String::new(),
    )
    .await
}

async fn render_month(
    state: &AppState,
    user: &CurrentUser,
    month: &str,
    notice: Option<&FormData>,
    errors: Errors,
    typed_reason: String,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let rows = db::assessment::records::of_month(&mut conn, user.center_id, month, None).await?;
    let mut modes = Vec::new();
    for kind in Kind::BOTH {
        let mode = db::assessment::rules::mode(&mut conn, user.center_id, kind, month).await?;
        modes.push((super::kind_label(kind), mode.label()));
    }
    drop(conn);
    let invalid = !errors.is_empty();
    let page = MonthPage {
        layout: Layout::new(
            format!("{} 考核记录", month_label(month)),
            Some(user),
            super::ASSESSMENT,
        )
        .with_notice_of(notice),
        month_label: month_label(month),
        prev: month_url(&shift_month(month, -1)),
        next: month_url(&shift_month(month, 1)),
        new_url: super::record_form::NEW,
        windows_rules: rules_url(Kind::Window),
        staff_rules: rules_url(Kind::Staff),
        modes,
        fill_action: format!("{}/fill", month_url(month)),
        ratings_url: super::ratings::url(month, Kind::Staff),
        records: rows.iter().map(RecordView::of).collect(),
        errors,
        typed_reason,
    };
    Ok(page::ok_or_invalid(!invalid, &page))
}

/// A record of the center that `user` may see: the office and the center-wide roles any,
/// a head those of the window and its staff, staff their own; else "not found".
pub(super) async fn visible_record(
    conn: &mut sqlx::PgConnection,
    user: &CurrentUser,
    id: RecordId,
) -> AppResult<RecordRow> {
    let row = db::assessment::records::get(conn, user.center_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entrant = row.entrant().ok_or(AppError::NotFound)?;
    crate::http::records::visible(conn, user, entrant)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(row)
}

#[derive(Template)]
#[template(path = "assessment/record.html")]
struct RecordPage {
    layout: Layout,
    record: RecordView,
    month_label: String,
    month_url: String,
    recorded_at: String,
    photo_urls: Vec<String>,
    office: bool,
    cancel_action: String,
    errors: Errors,
    appeals: Vec<super::appeals::AppealView>,
    /// For those concerned: until when they may appeal, or why they may not.
    appeal: Option<Result<String, String>>,
    appeal_action: String,
    decisions: Vec<(&'static str, &'static str)>,
    /// What was typed in the form that came back refused.
    typed: FormData,
    /// An appeal of the record waits for review (its form shows the decision's errors).
    open_appeal: bool,
}

/// How a record's page is reached: by a link (with the notice of what was just done), or
/// as a refused form comes back (with what was typed in it).
pub enum Shown<'a> {
    Notice(&'a FormData),
    Typed(&'a FormData),
}

pub(super) async fn render_record(
    state: &AppState,
    user: &CurrentUser,
    id: RecordId,
    errors: Errors,
    shown: Shown<'_>,
) -> AppResult<Response> {
    let (notice, typed) = match shown {
        Shown::Notice(q) => (Some(q), FormData::default()),
        Shown::Typed(form) => (None, form.clone()),
    };
    let mut conn = state.db.acquire().await?;
    let row = visible_record(&mut conn, user, id).await?;
    let appeals = db::assessment::appeals::of_record(&mut conn, user.center_id, id).await?;
    let days = super::appeals::appeal_days_of(&mut conn, id).await?;
    drop(conn);
    let office = user.role == Role::Supervision;
    let current = if office {
        super::ASSESSMENT
    } else {
        super::MINE
    };
    let at = crate::clock::china_date(row.recorded_at);
    let invalid = !errors.is_empty();
    let page = RecordPage {
        layout: Layout::new("考核记录", Some(user), current).with_notice_of(notice),
        month_label: month_label(&row.month),
        month_url: month_url(&row.month),
        recorded_at: crate::domain::format_day(at),
        photo_urls: (1..=row.photos)
            .map(|n| format!("{}/photos/{n}", record_url(id)))
            .collect(),
        office,
        cancel_action: format!("{}/cancel", record_url(id)),
        appeal: super::appeals::may_appeal(state, user, &row, &appeals, days),
        appeal_action: format!("{}/appeal", record_url(id)),
        decisions: db::assessment::appeals::Decision::ALL
            .iter()
            .map(|d| (d.as_str(), d.label()))
            .collect(),
        open_appeal: appeals.iter().any(|a| a.open()),
        appeals: appeals.iter().map(super::appeals::AppealView::of).collect(),
        typed,
        record: RecordView::of(&row),
        errors,
    };
    Ok(page::ok_or_invalid(!invalid, &page))
}

pub(super) async fn detail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let id: RecordId = path_id(&id)?;
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    render_record(&state, &user, id, Errors::default(), Shown::Notice(&q)).await
}

pub(super) async fn photo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, n)): Path<(String, String)>,
) -> AppResult<Response> {
    let id: RecordId = path_id(&id)?;
    let n = n
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=10).contains(n))
        .ok_or(AppError::NotFound)?;
    let mut conn = state.db.acquire().await?;
    visible_record(&mut conn, &user, id).await?;
    let (kind, bytes) = db::assessment::records::photo(&mut conn, user.center_id, id, n)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(page::image(bytes, &kind))
}

/// `POST …/cancel`: the office cancels a record made in error, with a reason (which is
/// also the correction's reason when the month is locked).
pub(super) async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let id: RecordId = path_id(&id)?;
    let mut f = Fields::new(&form);
    let reason = f.text("reason", 1000);
    let mut errors = f.errors;
    if let Some(reason) = reason
        && errors.is_empty()
    {
        let mut conn = state.db.acquire().await?;
        let row = visible_record(&mut conn, &user, id).await?;
        drop(conn);
        let entrant = row.entrant().ok_or(AppError::NotFound)?;
        let actor = user.actor(&ip);
        let mut tx = state.db.begin().await?;
        db::assessment::lock(&mut tx, user.center_id, entrant.kind()).await?;
        match db::assessment::records::lock(&mut tx, user.center_id, id).await? {
            Some(s) if s == "active" => {
                db::assessment::records::cancel(&mut tx, &actor, id, &reason).await?;
                match follow_records(
                    &mut tx,
                    &user,
                    &actor,
                    &row.month,
                    &[entrant],
                    Some(&reason),
                )
                .await?
                {
                    Ok(()) => {
                        tx.commit().await?;
                        return Ok(Redirect::to(&format!("{}?notice=saved", record_url(id)))
                            .into_response());
                    }
                    Err(Refused::NeedsReason(m) | Refused::Round(m)) => errors.add("reason", m),
                }
            }
            Some(_) => errors.add("reason", "这条记录已经撤销"),
            None => return Err(AppError::NotFound),
        }
    }
    render_record(&state, &user, id, errors, Shown::Typed(&form)).await
}

/// `POST /assessment/month/{month}/fill`: every active window's and staff member's score of
/// the month set to what its records give (those without records get their full marks, or
/// their public's-rating step), for the kinds assessed by records.
pub(super) async fn fill(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(month): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    let mut f = Fields::new(&form);
    let reason = f.with("reason", |raw| {
        Ok(crate::domain::text::optional(raw, 1000)?)
    });
    let errors = f.errors;
    let Some(reason) = reason else {
        return render_month(&state, &user, &month, None, errors, form.echo("reason")).await;
    };
    let actor = user.actor(&ip);
    let mut tx = state.db.begin().await?;
    let mut everyone = Vec::new();
    for kind in Kind::BOTH {
        db::assessment::lock(&mut tx, user.center_id, kind).await?;
        everyone.extend(
            db::assessment::active_entrants(&mut tx, user.center_id, kind)
                .await?
                .into_iter()
                .map(|id| Entrant::of(kind, id)),
        );
    }
    let reason = (!reason.is_empty()).then_some(reason.as_str());
    match follow_records(&mut tx, &user, &actor, &month, &everyone, reason).await? {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("{}?notice=filled", month_url(&month))).into_response())
        }
        Err(refused) => {
            drop(tx);
            let mut errors = Errors::default();
            errors.add("reason", refused.message());
            render_month(&state, &user, &month, None, errors, form.echo("reason")).await
        }
    }
}
