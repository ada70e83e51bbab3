//! 好差评导入: each month the office uploads the public's-rating export (xlsx, or csv in
//! UTF-8 or GBK), sees what every row would do, and confirms it all or nothing. The
//! counts feed the 群众评价 item of the rules and the city-wide round's satisfaction
//! condition; a 差评 found justified is recorded against the person as a deduction.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::score::follow_records;
use super::{kind_label, month_url};
use crate::db::{
    self,
    assessment::ratings::{Five, RatingChange, counts},
};
use crate::domain::assessment::{
    ratings_sheet::{self, STAFF_KEYS, WINDOW_KEYS},
    satisfaction::rate_text,
};
use crate::domain::ids::Entrant;
use crate::domain::period::{is_month, month_label};
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser, path_id};
use crate::http::form::{Errors, Fields, FormData};
use crate::http::page::{self, Layout};
use crate::scoring::Kind;

/// The ratings page of a month and kind.
pub fn url(month: &str, kind: Kind) -> String {
    format!("{}/ratings/{month}?tab={}", super::ASSESSMENT, kind.tab())
}

/// A row of the preview, or of the month's figures.
pub struct RowView {
    pub line: String,
    pub key: String,
    pub label: String,
    pub counts: Vec<i64>,
    pub rate: String,
    pub bad: i64,
    /// Where to record a 差评 found justified.
    pub record_url: String,
    pub status: &'static str,
    pub class: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "assessment/ratings.html")]
struct RatingsPage {
    layout: Layout,
    month_label: String,
    kind_label: &'static str,
    windows_tab: String,
    staff_tab: String,
    staff: bool,
    records_url: String,
    action: String,
    error: Option<String>,
    file_name: String,
    previewed: bool,
    rows: Vec<RowView>,
    changes: usize,
    errors: usize,
    confirm_action: String,
    reason_error: Option<String>,
    current: Vec<RowView>,
}

fn kind_of(query: Option<&str>) -> Kind {
    Kind::from_tab(FormData::parse_query(query.unwrap_or("")).first_utf8("tab"))
}

fn view(line: String, key: String, label: String, f: &Five, entrant: Entrant) -> RowView {
    let c = counts(f);
    RowView {
        line,
        key,
        label,
        counts: f.to_vec(),
        rate: c.rate().map(rate_text).unwrap_or_else(|| "—".into()),
        bad: c.bad(),
        record_url: format!(
            "{}?target={}",
            super::record_form::NEW,
            entrant.choice_value()
        ),
        status: "",
        class: "",
        message: String::new(),
    }
}

/// What a file's preview shows: its name, rows, changes, errors and where to confirm.
type Preview = (String, Vec<RowView>, usize, usize, String);

/// What the page says besides the figures: a file refused, a confirmation refused.
#[derive(Default)]
struct Said<'a> {
    error: Option<String>,
    reason_error: Option<String>,
    notice: Option<&'a FormData>,
}

/// The page, with the month's figures as they are.
async fn render(
    state: &AppState,
    user: &CurrentUser,
    month: &str,
    kind: Kind,
    preview: Option<Preview>,
    said: Said<'_>,
) -> AppResult<Response> {
    let Said {
        error,
        reason_error,
        notice,
    } = said;
    let mut conn = state.db.acquire().await?;
    let keyed = db::imports::keys(&mut conn, user.center_id, kind).await?;
    let figures = db::assessment::ratings::of_month(&mut conn, user.center_id, kind, month).await?;
    drop(conn);
    let current = keyed
        .iter()
        .filter_map(|k| {
            figures.get(&k.id).map(|f| {
                view(
                    String::new(),
                    k.key.clone(),
                    format!("{} {}", k.name, k.detail),
                    f,
                    Entrant::of(kind, k.id),
                )
            })
        })
        .collect();
    let invalid = error.is_some() || reason_error.is_some();
    let (file_name, rows, changes, errors, confirm_action) = preview.unwrap_or_default();
    let previewed = !rows.is_empty();
    let page = RatingsPage {
        layout: Layout::new(
            format!("{} {}好差评", month_label(month), kind_label(kind)),
            Some(user),
            super::ASSESSMENT,
        )
        .with_notice_of(notice),
        month_label: month_label(month),
        kind_label: kind_label(kind),
        windows_tab: url(month, Kind::Window),
        staff_tab: url(month, Kind::Staff),
        staff: kind == Kind::Staff,
        records_url: month_url(month),
        action: url(month, kind),
        error,
        file_name,
        previewed,
        rows,
        changes,
        errors,
        confirm_action,
        reason_error,
        current,
    };
    Ok(if invalid || errors > 0 {
        page::invalid(&page)
    } else {
        page::ok(&page)
    })
}

pub(super) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(month): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    let kind = kind_of(query.as_deref());
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    render(
        &state,
        &user,
        &month,
        kind,
        None,
        Said {
            notice: Some(&q),
            ..Said::default()
        },
    )
    .await
}

/// A key as the export writes it: itself, or `01` for window `1` (and `1` for window `01`)
/// when that names one entrant only.
fn find<'a>(
    by_key: &HashMap<String, &'a db::imports::Keyed>,
    key: &str,
) -> Option<&'a db::imports::Keyed> {
    by_key
        .get(key)
        .or_else(|| by_key.get(key.trim_start_matches('0')))
        .copied()
}

pub(super) async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(month): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    let kind = kind_of(query.as_deref());
    let refuse = async |name: String, msg: String| {
        let preview = Some((name, Vec::new(), 0, 0, String::new()));
        let said = Said {
            error: Some(msg),
            ..Said::default()
        };
        render(&state, &user, &month, kind, preview, said).await
    };
    let (name, sheet) = match crate::http::imports::scores::read_sheet(&headers, body).await? {
        Ok(read) => read,
        Err((name, msg)) => return refuse(name, msg).await,
    };
    let keys: &[&str] = match kind {
        Kind::Window => &WINDOW_KEYS,
        Kind::Staff => &STAFF_KEYS,
    };
    let read = match ratings_sheet::read(&sheet, keys) {
        Ok(rows) => rows,
        Err(msg) => return refuse(name, msg).await,
    };
    let mut conn = state.db.acquire().await?;
    let keyed = db::imports::keys(&mut conn, user.center_id, kind).await?;
    let current =
        db::assessment::ratings::of_month(&mut conn, user.center_id, kind, &month).await?;
    // Each key as it is; and, where it names one entrant only, without its leading zeros
    // (an export writes window 1 as 01), never over another's own key.
    let mut by_key: HashMap<String, &db::imports::Keyed> =
        keyed.iter().map(|k| (k.key.clone(), k)).collect();
    let mut aliases: HashMap<String, Vec<&db::imports::Keyed>> = HashMap::new();
    for k in &keyed {
        aliases
            .entry(k.key.trim_start_matches('0').to_string())
            .or_default()
            .push(k);
    }
    for (alias, owners) in aliases {
        if let [only] = owners.as_slice() {
            by_key.entry(alias).or_insert(only);
        }
    }
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let mut rows = Vec::new();
    let mut changes = Vec::new();
    let mut errors = 0;
    for r in read {
        let entrant_key = find(&by_key, &r.key);
        let mut row = match (&r.counts, entrant_key) {
            (Ok(c), Some(k)) => view(
                r.line.to_string(),
                r.key.clone(),
                format!("{} {}", k.name, k.detail),
                &db::assessment::ratings::five(c),
                Entrant::of(kind, k.id),
            ),
            _ => RowView {
                line: r.line.to_string(),
                key: r.key.clone(),
                label: String::new(),
                counts: Vec::new(),
                rate: String::new(),
                bad: 0,
                record_url: String::new(),
                status: "",
                class: "",
                message: String::new(),
            },
        };
        let problem = match (&r.counts, entrant_key) {
            (Err(msg), _) => Some(msg.clone()),
            (Ok(_), None) => Some(format!(
                "本中心没有{}为“{}”的在用{}",
                keys[0],
                r.key,
                kind_label(kind)
            )),
            (Ok(_), Some(k)) => seen
                .insert(k.id, r.line)
                .map(|first| format!("与第 {first} 行重复")),
        };
        if let Some(msg) = problem {
            row.status = "错误";
            row.class = "error";
            row.message = msg;
            errors += 1;
        } else if let (Ok(c), Some(k)) = (&r.counts, entrant_key) {
            let after = db::assessment::ratings::five(c);
            let before = current.get(&k.id).copied();
            if before == Some(after) {
                row.status = "无变化";
                row.class = "muted";
            } else {
                row.status = if before.is_some() { "修改" } else { "新增" };
                row.class = "ok";
                changes.push(RatingChange {
                    id: k.id,
                    before,
                    after,
                });
            }
        }
        rows.push(row);
    }
    rows.sort_by_key(|r| match r.class {
        "error" => 0,
        "ok" => 1,
        _ => 2,
    });
    let mut confirm_action = String::new();
    if errors == 0 && !changes.is_empty() {
        let id = db::assessment::ratings::create_batch(
            &mut conn,
            user.center_id,
            user.account_id,
            kind,
            &month,
            &name,
            &changes,
        )
        .await?;
        confirm_action = format!("{}/ratings/batches/{id}", super::ASSESSMENT);
    }
    drop(conn);
    let preview = Some((name, rows, changes.len(), errors, confirm_action));
    render(&state, &user, &month, kind, preview, Said::default()).await
}

/// `POST /assessment/ratings/batches/{id}`: every change previewed, or none.
pub(super) async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let id: i64 = path_id(&id)?;
    let mut f = Fields::new(&form);
    let reason = f.with("reason", |raw| {
        Ok(crate::domain::text::optional(raw, 1000)?)
    });
    let field_errors: Errors = f.errors;
    let mut tx = state.db.begin().await?;
    let batch = db::assessment::ratings::lock_batch(&mut tx, user.center_id, user.account_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (kind, month) = (batch.kind, batch.month.clone());
    let back = Redirect::to(&format!("{}&notice=imported_ratings", url(&month, kind)));
    if batch.applied {
        return Ok(back.into_response());
    }
    let Some(reason) = reason else {
        drop(tx);
        let msg = field_errors
            .get("reason")
            .unwrap_or("请重新填写")
            .to_string();
        let said = Said {
            reason_error: Some(msg),
            ..Said::default()
        };
        return render(&state, &user, &month, kind, None, said).await;
    };
    db::assessment::lock(&mut tx, user.center_id, kind).await?;
    let now = db::assessment::ratings::of_month(&mut tx, user.center_id, kind, &month).await?;
    let moved = batch
        .changes
        .iter()
        .filter(|c| now.get(&c.id).copied() != c.before)
        .count();
    if moved > 0 {
        drop(tx);
        let msg = format!(
            "预览之后，有 {moved} 条好差评数据已被他人导入或修改。为避免覆盖，本次未导入；请重新上传文件，核对预览后再确认。"
        );
        let said = Said {
            error: Some(msg),
            ..Said::default()
        };
        return render(&state, &user, &month, kind, None, said).await;
    }
    let actor = user.actor(&ip);
    let at = state.clock.now();
    let mut entrants = Vec::new();
    for c in &batch.changes {
        let entrant = Entrant::of(kind, c.id);
        db::assessment::ratings::set(
            &mut tx,
            &actor,
            user.center_id,
            &month,
            entrant,
            c.before,
            c.after,
            at,
        )
        .await?;
        entrants.push(entrant);
    }
    let reason = (!reason.is_empty()).then_some(reason.as_str());
    if let Err(refused) = follow_records(&mut tx, &user, &actor, &month, &entrants, reason).await? {
        drop(tx);
        let said = Said {
            reason_error: Some(refused.message()),
            ..Said::default()
        };
        return render(&state, &user, &month, kind, None, said).await;
    }
    db::imports::mark_applied(&mut tx, id).await?;
    tx.commit().await?;
    Ok(back.into_response())
}
