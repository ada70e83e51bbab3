//! 申诉与复核: the person concerned or their window head appeals a record within the set
//! number of working days, with a reason and a file; the office upholds, cancels or changes
//! the record (or closes the appeal with a reason), and the month's score follows. Every
//! step is audited and shown on the record's page.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::record_url;
use super::records::{Shown, render_record, visible_record};
use super::score::follow_records;
use crate::db::{
    self,
    assessment::appeals::{AppealFile, AppealRow, Decision},
    assessment::records::RecordRow,
};
use crate::domain::Role;
use crate::domain::assessment::appeal_deadline;
use crate::domain::ids::{AppealId, RecordId};
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser, path_id};
use crate::http::form::{Errors, FieldError, Fields, FormData, form_with_files, one_of_values};
use crate::http::page::{self, Layout};

/// An appeal as the record's page shows it.
pub struct AppealView {
    pub filed: String,
    pub by: String,
    pub reason: String,
    pub file_url: Option<String>,
    pub file_name: String,
    pub status: &'static str,
    pub open: bool,
    pub decision: String,
    pub decided: String,
    pub decide_action: String,
}

impl AppealView {
    pub fn of(a: &AppealRow) -> AppealView {
        AppealView {
            filed: crate::domain::format_date(Some(a.filed_at)),
            by: a.filed_by.clone(),
            reason: a.reason.clone(),
            file_url: a
                .file_name
                .as_ref()
                .map(|_| format!("{}/appeals/{}/file", super::ASSESSMENT, a.id().0)),
            file_name: a.file_name.clone().unwrap_or_default(),
            status: a.status_label(),
            open: a.open(),
            decision: a.decision.clone().unwrap_or_default(),
            decided: match (&a.decided_by, a.decided_at) {
                (Some(by), Some(at)) => format!("{by}，{}", crate::domain::format_date(Some(at))),
                _ => String::new(),
            },
            decide_action: format!("{}/appeals/{}/decide", super::ASSESSMENT, a.id().0),
        }
    }
}

/// Whether and until when `user` may appeal the record: `Ok(deadline)` while they may,
/// `Err(why not)` for those concerned who may not, `None` for the office and others.
pub fn may_appeal(
    state: &AppState,
    user: &CurrentUser,
    row: &RecordRow,
    appeals: &[AppealRow],
    appeal_days: i64,
) -> Option<Result<String, String>> {
    if !matches!(user.role, Role::Staff | Role::WindowHead) {
        return None;
    }
    let deadline = appeal_deadline(crate::clock::china_date(row.recorded_at), appeal_days);
    let today = state.clock.today();
    Some(if !row.active() {
        Err("这条记录已撤销，无需申诉。".into())
    } else if !appeals.is_empty() {
        Err("这条记录已经申诉过，复核结果见下方。".into())
    } else if today > deadline {
        Err(format!(
            "申诉期限已过：记录后 {appeal_days} 个工作日内（截至{}）可以申诉。",
            crate::domain::format_day(deadline)
        ))
    } else {
        Ok(format!(
            "可在{}前（记录后 {appeal_days} 个工作日内）提出申诉。",
            crate::domain::format_day(deadline)
        ))
    })
}

/// The appeal days of the rules the record was made under.
pub async fn appeal_days_of(conn: &mut sqlx::PgConnection, record: RecordId) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select v.appeal_days::int8 from assessment_record r
         join assessment_standard s using (assessment_standard_id)
         join assessment_item i using (assessment_item_id)
         join assessment_rules v using (assessment_rules_id)
         where r.assessment_record_id = $1",
    )
    .bind(record.0)
    .fetch_one(conn)
    .await
}

/// `POST /assessment/records/{id}/appeal`: a reason and, optionally, one file.
pub(super) async fn file_appeal(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let id: RecordId = path_id(&id)?;
    let (parts, form) = match form_with_files(&headers, body).await {
        Ok(read) => read,
        Err(_) => {
            let mut errors = Errors::default();
            errors.add("appeal_reason", "表单没有完整收到，请重新填写后提交。");
            return render_record(
                &state,
                &user,
                id,
                errors,
                Shown::Typed(&FormData::default()),
            )
            .await;
        }
    };
    let mut f = Fields::new(&form);
    let reason = f.paragraph("appeal_reason", 1000);
    let mut errors = f.errors;
    let file = parts
        .into_iter()
        .find(|p| p.name == "appeal_file" && p.file_name.is_some() && !p.data.is_empty());
    let kind = file
        .as_ref()
        .map(|p| db::citywide::files::sniff(&p.data).ok_or(()));
    if let Some(Err(())) = kind {
        errors.add(
            "appeal_file",
            "只能附 PDF、JPEG 或 PNG 文件（按文件内容判断，不看扩展名）",
        );
    }
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return render_record(&state, &user, id, errors, Shown::Typed(&form)).await;
    };
    let mut tx = state.db.begin().await?;
    let row = visible_record(&mut tx, &user, id).await?;
    let entrant = row.entrant().ok_or(AppError::NotFound)?;
    db::assessment::lock(&mut tx, user.center_id, entrant.kind()).await?;
    // The periods using the month: no phase can confirm candidates while this is filed.
    db::correction::lock_locking_periods(&mut tx, user.center_id, &row.month).await?;
    db::assessment::records::lock(&mut tx, user.center_id, id).await?;
    let row = visible_record(&mut tx, &user, id).await?;
    let appeals = db::assessment::appeals::of_record(&mut tx, user.center_id, id).await?;
    let days = appeal_days_of(&mut tx, id).await?;
    match may_appeal(&state, &user, &row, &appeals, days) {
        Some(Ok(_)) => {}
        Some(Err(why)) => {
            drop(tx);
            errors.add("appeal_reason", why);
            return render_record(&state, &user, id, errors, Shown::Typed(&form)).await;
        }
        None => return Err(AppError::Forbidden),
    }
    let name: String = file
        .as_ref()
        .and_then(|p| p.file_name.as_deref())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_string();
    let name = if name.is_empty() {
        "申诉材料".to_string()
    } else {
        name
    };
    let attached = match (&file, kind) {
        (Some(p), Some(Ok(t))) => Some(AppealFile {
            name: &name,
            content_type: t,
            data: &p.data,
        }),
        _ => None,
    };
    db::assessment::appeals::create(
        &mut tx,
        &user.actor(&ip),
        id,
        &reason,
        attached,
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?notice=appealed", record_url(id))).into_response())
}

/// `POST /assessment/appeals/{id}/decide`: the office's review.
pub(super) async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let id: AppealId = path_id(&id)?;
    let mut conn = state.db.acquire().await?;
    let record = db::assessment::appeals::lock(&mut conn, user.center_id, id)
        .await?
        .ok_or(AppError::NotFound)?
        .0;
    drop(conn);
    let mut f = Fields::new(&form);
    let decision = f.with("decision", |raw| {
        one_of_values(&["upheld", "cancelled", "changed", "closed"])(raw)
            .map(|d| Decision::parse(&d))?
            .ok_or(FieldError::Message("请选择复核结果".into()))
    });
    let occurrences = f.with("occurrences", |raw| {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        Ok(Some(crate::domain::text::integer(raw, 1, 99)?))
    });
    let reason = f.text("decision_reason", 1000);
    let mut errors = f.errors;
    if let (Some(Decision::Changed), Some(None)) = (decision, occurrences) {
        errors.add("occurrences", "改变次数时请填写新的次数");
    }
    let (Some(decision), Some(occurrences), Some(reason)) = (decision, occurrences, reason) else {
        return render_record(&state, &user, record, errors, Shown::Typed(&form)).await;
    };
    if !errors.is_empty() {
        return render_record(&state, &user, record, errors, Shown::Typed(&form)).await;
    }
    let actor = user.actor(&ip);
    let mut tx = state.db.begin().await?;
    let row = visible_record(&mut tx, &user, record).await?;
    let entrant = row.entrant().ok_or(AppError::NotFound)?;
    db::assessment::lock(&mut tx, user.center_id, entrant.kind()).await?;
    match db::assessment::appeals::lock(&mut tx, user.center_id, id).await? {
        Some((_, true)) => {}
        Some((_, false)) => {
            drop(tx);
            errors.add("decision", "这项申诉已经复核过了");
            return render_record(&state, &user, record, errors, Shown::Typed(&form)).await;
        }
        None => return Err(AppError::NotFound),
    }
    let status = db::assessment::records::lock(&mut tx, user.center_id, record).await?;
    let active = status.as_deref() == Some("active");
    match decision {
        Decision::Cancelled if active => {
            db::assessment::records::cancel(&mut tx, &actor, record, &reason).await?;
        }
        Decision::Changed if active => {
            let after = occurrences.unwrap_or(1) as i32;
            if after == row.occurrences {
                drop(tx);
                errors.add(
                    "occurrences",
                    "新的次数与原记录相同；如维持原记录请选“维持原记录”",
                );
                return render_record(&state, &user, record, errors, Shown::Typed(&form)).await;
            }
            db::assessment::records::change_occurrences(
                &mut tx,
                &actor,
                record,
                row.occurrences,
                after,
                &reason,
            )
            .await?;
        }
        Decision::Cancelled | Decision::Changed => {
            drop(tx);
            errors.add("decision", "这条记录已撤销，只能维持或关闭申诉");
            return render_record(&state, &user, record, errors, Shown::Typed(&form)).await;
        }
        Decision::Upheld | Decision::Closed => {}
    }
    if let Err(refused) = follow_records(
        &mut tx,
        &user,
        &actor,
        &row.month,
        &[entrant],
        Some(&reason),
    )
    .await?
    {
        drop(tx);
        errors.add("decision", refused.message());
        return render_record(&state, &user, record, errors, Shown::Typed(&form)).await;
    }
    db::assessment::appeals::decide(&mut tx, &actor, id, decision, &reason, state.clock.now())
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?notice=saved", record_url(record))).into_response())
}

/// `GET /assessment/appeals/{id}/file`: the appeal's file, for those who see the record.
pub(super) async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id: AppealId = path_id(&id)?;
    let mut conn = state.db.acquire().await?;
    let f = db::assessment::appeals::file(&mut conn, user.center_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    visible_record(&mut conn, &user, f.record()).await?;
    let ext = match f.file_type.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    };
    Ok(page::download(
        &f.file_name,
        &format!("appeal-{}.{ext}", id.0),
        &f.file_type,
        f.file_data,
    ))
}

#[derive(Template)]
#[template(path = "assessment/appeals.html")]
struct AppealsPage {
    layout: Layout,
    appeals: Vec<(String, String, String, AppealView)>,
}

/// `GET /assessment/appeals`: the office's list, open first.
pub(super) async fn list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let rows = db::assessment::appeals::list(&mut conn, user.center_id, 300).await?;
    drop(conn);
    let page = AppealsPage {
        layout: Layout::new("考核申诉", Some(&user), super::ASSESSMENT),
        appeals: rows
            .iter()
            .map(|a| {
                (
                    record_url(a.assessment_record_id),
                    a.target.clone(),
                    crate::domain::period::month_label(&a.month),
                    AppealView::of(a),
                )
            })
            .collect(),
    };
    Ok(page::ok(&page))
}
