//! The city's office handles the notice's feedback on the record: every piece by nominee,
//! what came by letter, telephone or the media recorded with its source, each answered
//! (查实, 部分查实, 不实, 与评选无关) with a note; a nominee disqualified only with a written
//! reason. Nothing is deleted; every change is audited.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::review::city_round;
use crate::db;
use crate::db::citywide::Round;
use crate::db::citywide::feedback::{FeedbackInput, FeedbackRow};
use crate::domain::citywide::{FeedbackAnswer, FeedbackSource, RoundPhase};
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, FieldError, Fields, FormData};
use crate::http::page::{self, Choice, Layout};
use crate::http::routes::{Access, Routes, SUPERVISION};
use crate::http::urls;

pub(super) fn routes(r: Routes) -> Routes {
    let a = Access::Roles(SUPERVISION);
    r.get("/citywide/{year}/feedback", a, page)
        .post("/citywide/{year}/feedback", a, record)
        .post("/citywide/{year}/feedback/{id}/answer", a, answer)
        .post("/citywide/{year}/disqualify/{id}", a, disqualify)
}

/// A piece of feedback as listed.
pub struct FeedbackView {
    pub id: i64,
    pub receipt: String,
    pub source: String,
    pub body: String,
    pub sender: String,
    pub received: String,
    pub answer: String,
    pub answer_note: String,
    pub answered: String,
    pub action: String,
    pub errors: Errors,
}

/// A nominee with its feedback.
pub struct NomineeView {
    pub id: i64,
    pub name: String,
    pub county: String,
    pub disqualified: Option<String>,
    pub feedback: Vec<FeedbackView>,
    pub disqualify_url: String,
    pub reason: String,
    pub errors: Errors,
}

/// The record form as typed.
#[derive(Default)]
pub struct RecordValues {
    pub nominee: String,
    pub source: String,
    pub source_detail: String,
    pub body: String,
    pub real_name: String,
    pub telephone: String,
}

/// What came back with errors.
#[derive(Default)]
struct Failed {
    record: Option<(RecordValues, Errors)>,
    answer: Option<(i64, String, String, Errors)>,
    disqualify: Option<(i64, String, Errors)>,
}

#[derive(Template)]
#[template(path = "citywide/feedback.html")]
struct FeedbackPage {
    layout: Layout,
    round: Round,
    handling: bool,
    nominees: Vec<NomineeView>,
    choices: Vec<Choice>,
    sources: Vec<Choice>,
    answers: Vec<(&'static str, &'static str)>,
    record: RecordValues,
    record_errors: Errors,
    record_url: String,
    unanswered: usize,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    round: Round,
    failed: Failed,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let all = db::citywide::nomination::all_in_round(&mut conn, round.id).await?;
    let feedback = db::citywide::feedback::list(&mut conn, round.id).await?;
    let counties = db::citywide::counties(&mut conn, round.center_id).await?;
    let disqualified = db::citywide::feedback::disqualified(&mut conn, round.id).await?;
    let base = urls::citywide(round.year);
    let unanswered = feedback.iter().filter(|f| f.answer.is_none()).count();
    let view = |f: &FeedbackRow| {
        let failed_here = failed.answer.as_ref().filter(|a| a.0 == f.id);
        FeedbackView {
            id: f.id,
            receipt: f.receipt.clone(),
            source: if f.source_detail.is_empty() {
                f.source.label().to_string()
            } else {
                format!("{}（{}）", f.source.label(), f.source_detail)
            },
            body: f.body.clone(),
            sender: [f.real_name.as_str(), f.telephone.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("，"),
            received: crate::domain::format_datetime(Some(f.received_at)),
            answer: failed_here
                .map(|a| a.1.clone())
                .or(f.answer.map(|a| a.as_str().to_string()))
                .unwrap_or_default(),
            answer_note: failed_here
                .map(|a| a.2.clone())
                .unwrap_or_else(|| f.answer_note.clone()),
            answered: f
                .answered_at
                .map(|t| crate::domain::format_datetime(Some(t)))
                .unwrap_or_default(),
            action: format!("{base}/feedback/{}/answer", f.id),
            errors: failed_here.map(|a| a.3.clone()).unwrap_or_default(),
        }
    };
    let nominees: Vec<NomineeView> = all
        .iter()
        .filter(|n| n.status == crate::domain::citywide::NominationStatus::Accepted)
        .map(|n| {
            let failed_here = failed.disqualify.as_ref().filter(|d| d.0 == n.id);
            NomineeView {
                id: n.id,
                name: n.entrant.clone(),
                county: counties
                    .iter()
                    .find(|c| c.0 == n.county)
                    .map(|c| c.1.clone())
                    .unwrap_or_default(),
                disqualified: disqualified
                    .iter()
                    .find(|d| d.0 == n.id)
                    .map(|d| d.1.clone()),
                feedback: feedback
                    .iter()
                    .filter(|f| f.nomination_id == n.id)
                    .map(view)
                    .collect(),
                disqualify_url: format!("{base}/disqualify/{}", n.id),
                reason: failed_here.map(|d| d.1.clone()).unwrap_or_default(),
                errors: failed_here.map(|d| d.2.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let (record, record_errors) = failed.record.unwrap_or_default();
    let choices = nominees
        .iter()
        .map(|n| Choice {
            value: n.id.to_string(),
            label: format!("{}（{}）", n.name, n.county),
            selected: record.nominee == n.id.to_string(),
        })
        .collect();
    let sources = FeedbackSource::ALL[1..]
        .iter()
        .map(|s| Choice {
            value: s.as_str().to_string(),
            label: s.label().to_string(),
            selected: record.source == s.as_str(),
        })
        .collect();
    let layout = Layout::new(
        format!("公示意见处理 · {}", round.title),
        Some(user),
        urls::CITYWIDE,
    )
    .with_notice_of(notice);
    let invalid =
        !record_errors.is_empty() || failed.answer.is_some() || failed.disqualify.is_some();
    let page = FeedbackPage {
        layout,
        handling: matches!(round.phase, RoundPhase::Notice | RoundPhase::Confirmation),
        record_url: format!("{base}/feedback"),
        round,
        nominees,
        choices,
        sources,
        answers: FeedbackAnswer::ALL
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        record,
        record_errors,
        unanswered,
    };
    Ok(page::ok_or_invalid(!invalid, &page))
}

/// `/citywide/{year}/feedback`.
async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    render(&state, &user, round, Failed::default(), Some(&q)).await
}

fn saved(round: &Round, anchor: &str) -> Response {
    Redirect::to(&format!(
        "{}/feedback?notice=saved{anchor}",
        urls::citywide(round.year)
    ))
    .into_response()
}

/// `POST /citywide/{year}/feedback`: what came by letter, telephone or the media.
async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(year): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let mut f = Fields::new(&form);
    let (nominee_typed, nominee) = f.read("nominee", |raw| {
        raw.trim()
            .parse::<i64>()
            .map_err(|_| FieldError::Message("请选择反映的对象".to_string()))
    });
    let (source_typed, source) = f.read("source", |raw| {
        FeedbackSource::parse(raw.trim())
            .filter(|s| *s != FeedbackSource::Public)
            .ok_or_else(|| FieldError::Message("请选择来源".to_string()))
    });
    let (detail_typed, detail) = f.read("source_detail", |raw| Ok(text::optional(raw, 200)?));
    let (body_typed, body) = f.read("body", |raw| {
        let t = text::account(raw, 2000, 5000)?;
        if t.is_empty() {
            return Err(text::TextError::Empty.into());
        }
        Ok(t)
    });
    let (name_typed, real_name) = f.read("real_name", |raw| Ok(text::optional(raw, 50)?));
    let (tel_typed, telephone) = f.read("telephone", |raw| Ok(text::optional(raw, 30)?));
    let values = RecordValues {
        nominee: nominee_typed,
        source: source_typed,
        source_detail: detail_typed,
        body: body_typed,
        real_name: name_typed,
        telephone: tel_typed,
    };
    let mut errors = f.errors;
    let input = match (nominee, source, detail, body, real_name, telephone) {
        (Some(n), Some(source), Some(detail), Some(body), Some(real_name), Some(telephone))
            if errors.is_empty() =>
        {
            Some((
                source,
                detail,
                FeedbackInput {
                    nomination_id: n,
                    body,
                    real_name,
                    telephone,
                },
            ))
        }
        _ => None,
    };
    if let Some((source, detail, input)) = input {
        let mut tx = state.db.begin().await?;
        let done = db::citywide::feedback::record(
            &mut tx,
            &user.actor(&ip),
            &round,
            source,
            &detail,
            &input,
        )
        .await?;
        if done.is_some() {
            tx.commit().await?;
            return Ok(saved(&round, "#record"));
        }
        errors.add("nominee", "所选对象不在本次公示名单中，请重新选择");
    }
    let failed = Failed {
        record: Some((values, errors)),
        ..Failed::default()
    };
    render(&state, &user, round, failed, None).await
}

/// `POST /citywide/{year}/feedback/{id}/answer`.
async fn answer(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path((year, id)): Path<(String, String)>,
    form: FormData,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let mut f = Fields::new(&form);
    let answer = f.with("answer", |raw| {
        FeedbackAnswer::parse(raw.trim())
            .ok_or_else(|| FieldError::Message("请选择处理结果".to_string()))
    });
    let note = f.with("note", super::written("请写明核实情况"));
    if let (Some(answer), Some(note)) = (answer, note) {
        let mut tx = state.db.begin().await?;
        if !db::citywide::feedback::answer(&mut tx, &user.actor(&ip), round.id, id, answer, &note)
            .await?
        {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        return Ok(saved(&round, &format!("#f{id}")));
    }
    let failed = Failed {
        answer: Some((id, form.echo("answer"), form.echo("note"), f.errors)),
        ..Failed::default()
    };
    render(&state, &user, round, failed, None).await
}

/// `POST /citywide/{year}/disqualify/{id}`: with a written reason, during the notice or the
/// confirmation.
async fn disqualify(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path((year, id)): Path<(String, String)>,
    form: FormData,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let mut f = Fields::new(&form);
    let reason = f.with(
        "reason",
        super::written("取消评选资格须写明理由（如反映的问题经查实的情况）"),
    );
    let mut errors = f.errors;
    if let Some(reason) = reason {
        let mut tx = state.db.begin().await?;
        match db::citywide::feedback::disqualify(&mut tx, &user.actor(&ip), &round, id, &reason)
            .await?
        {
            Ok(()) => {
                tx.commit().await?;
                state.honors.invalidate();
                return Ok(saved(&round, &format!("#n{id}")));
            }
            Err(phase) => errors.add(
                "reason",
                format!(
                    "当前为“{}”阶段，或该对象不在公示名单中，不能取消评选资格。",
                    phase.label()
                ),
            ),
        }
    }
    let failed = Failed {
        disqualify: Some((id, form.echo("reason"), errors)),
        ..Failed::default()
    };
    render(&state, &user, round, failed, None).await
}
