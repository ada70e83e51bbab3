//! 未参加考核: the month's active windows and staff that have no score, marked with the
//! reason (病假, 借调, 新入职 …) so that the month is complete and can be locked; the reason
//! is shown to the person and beside their results.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use crate::db;
use crate::domain::ids::Entrant;
use crate::domain::period::{is_month, month_label};
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::FormData;
use crate::http::page::{self, Layout};
use crate::http::urls;

/// The longest reason, in characters (the column's check).
const REASON_MAX: usize = 200;

pub struct PendingRow {
    pub key: String,
    pub label: String,
    pub detail: String,
    pub value: String,
    pub error: Option<String>,
}

pub struct MarkedRow {
    pub key: String,
    pub label: String,
    pub detail: String,
    pub reason: String,
    pub by: String,
    pub when: String,
}

/// The entrants of one kind on the page.
pub struct Section {
    pub title: &'static str,
    /// This page's rows.
    pub pending: Vec<PendingRow>,
    pub marked: Vec<MarkedRow>,
    /// The whole month's.
    pub pending_total: usize,
    pub marked_total: usize,
}

#[derive(Template)]
#[template(path = "scores/not_assessed.html")]
struct NotAssessedPage {
    layout: Layout,
    month_label: String,
    grid_url: String,
    action: String,
    locked_by: Vec<String>,
    sections: Vec<Section>,
    /// The entrants without a score are more than one page holds.
    rows_pager: Option<super::RowPager>,
    scored: usize,
    total: usize,
    messages: Vec<String>,
}

/// The page asked for in a query string (`page=`), from 1.
fn page_of(query: Option<&str>) -> i64 {
    FormData::parse_query(query.unwrap_or(""))
        .first_utf8("page")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1)
}

/// This page's address, with its page when it is not the first.
fn at_page(month: &str, page: i64) -> String {
    if page > 1 {
        format!("{}?page={page}", not_assessed_url(month))
    } else {
        not_assessed_url(month)
    }
}

/// What was typed, by entrant key (`w12`, `s34`): the text and what is wrong with it.
type TypedReasons = BTreeMap<String, (String, Option<String>)>;

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    user: &CurrentUser,
    month: &str,
    page_no: i64,
    typed: &TypedReasons,
    messages: Vec<String>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let totals = state.roster(&mut conn, user).await?.entrant_totals();
    let counts =
        db::not_assessed::month_counts(&mut conn, user.center_id, month, Some(totals)).await?;
    let total = counts.total.iter().sum::<i64>() as usize;
    let scored = counts.scored.iter().sum::<i64>() as usize;
    let section = |title, k: usize| Section {
        title,
        pending: Vec::new(),
        marked: Vec::new(),
        pending_total: (counts.total[k] - counts.scored[k] - counts.marked[k]).max(0) as usize,
        marked_total: counts.marked[k].max(0) as usize,
    };
    let mut sections = vec![section("窗口", 0), section("工作人员", 1)];
    // One page of the entrants without a score (a new month of a province's largest
    // center has 7,200), windows first, in the grid's order.
    let unscored_total = total.saturating_sub(scored);
    let at = page::PageOf::new(unscored_total, super::ONE_PAGE_ENTRANTS as usize, page_no);
    let unscored = if at.shown > 0 {
        db::not_assessed::month_unscored(
            &mut conn,
            user.center_id,
            month,
            at.shown as i64,
            at.skipped as i64,
        )
        .await?
    } else {
        Vec::new()
    };
    let locked_by = db::period::locking_periods(&mut conn, user.center_id, month).await?;
    drop(conn);
    let rows_pager = super::RowPager::of(at, unscored_total, |p| at_page(month, p));
    for e in unscored {
        let key = e.entrant.choice_value();
        let section = &mut sections[usize::from(e.entrant.is_staff())];
        match e.mark {
            Some((reason, by, at)) => section.marked.push(MarkedRow {
                key,
                label: e.label,
                detail: e.detail,
                reason,
                by,
                when: crate::domain::format_datetime(Some(at)),
            }),
            None => {
                let (value, error) = typed.get(&key).cloned().unwrap_or_default();
                section.pending.push(PendingRow {
                    key,
                    label: e.label,
                    detail: e.detail,
                    value,
                    error,
                });
            }
        }
    }
    let mut layout = Layout::new(
        format!("{} 未参加考核登记", month_label(month)),
        Some(user),
        urls::SCORES,
    );
    if let Some(q) = notice {
        layout = layout.with_notice(q);
    }
    let page = NotAssessedPage {
        layout,
        month_label: month_label(month),
        grid_url: urls::scores(month),
        action: at_page(month, at.page),
        locked_by,
        sections,
        rows_pager,
        scored,
        total,
        messages: messages.clone(),
    };
    Ok(page::ok_or_invalid(messages.is_empty(), &page))
}

/// Who a month still lacks, in words: "29 个窗口、146 名工作人员".
pub fn gap_words(gap: &db::period::IncompleteMonth) -> String {
    let mut parts = Vec::new();
    if gap.windows > 0 {
        parts.push(format!("{} 个窗口", gap.windows));
    }
    if gap.staff > 0 {
        parts.push(format!("{} 名工作人员", gap.staff));
    }
    parts.join("、")
}

pub fn not_assessed_url(month: &str) -> String {
    format!("{}/not-assessed", urls::scores(month))
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
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    render(
        &state,
        &user,
        &month,
        page_of(query.as_deref()),
        &TypedReasons::new(),
        Vec::new(),
        Some(&q),
    )
    .await
}

/// The reasons typed, each checked; `Err` when any is wrong (every typed value kept).
fn read_reasons(form: &FormData) -> Result<Vec<(Entrant, String)>, TypedReasons> {
    let mut typed = TypedReasons::new();
    let mut marks = Vec::new();
    let mut bad = false;
    for name in form.names() {
        let Some(key) = name.strip_prefix("r_") else {
            continue;
        };
        let Some(entrant) = Entrant::parse_choice(key) else {
            continue;
        };
        let checked = form
            .raw(&name)
            .map_err(|e| e.message())
            .and_then(|raw| text::optional(raw, REASON_MAX).map_err(|e| e.message()));
        let error = match checked {
            Ok(reason) if reason.is_empty() => None,
            Ok(reason) => {
                marks.push((entrant, reason));
                None
            }
            Err(message) => {
                bad = true;
                Some(message)
            }
        };
        typed.insert(key.to_string(), (form.echo(&name), error));
    }
    if bad { Err(typed) } else { Ok(marks) }
}

pub(super) async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(month): Path<String>,
    RawQuery(query): RawQuery,
    form: FormData,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    // The page the form was on: shown again after the save, or with what was wrong.
    let page_no = page_of(query.as_deref());
    let back = at_page(&month, page_no);
    let notice = |n: &str| {
        let sep = if back.contains('?') { '&' } else { '?' };
        format!("{back}{sep}notice={n}")
    };
    let actor = user.actor(&ip);
    let remove = match form.first_utf8("remove") {
        Some(raw) => Some(Entrant::parse_choice(raw).ok_or(AppError::BadRequest)?),
        None => None,
    };
    let marks = match (remove, read_reasons(&form)) {
        (Some(_), _) => Vec::new(),
        (None, Ok(marks)) if marks.is_empty() => {
            let msg = "请至少为一个对象填写未参加考核的原因。尚未登记任何原因。".to_string();
            return render(
                &state,
                &user,
                &month,
                page_no,
                &TypedReasons::new(),
                vec![msg],
                None,
            )
            .await;
        }
        (None, Ok(marks)) => marks,
        (None, Err(typed)) => {
            let msg = "有原因需要修改（见下方标出的行）。尚未登记任何原因。".to_string();
            return render(&state, &user, &month, page_no, &typed, vec![msg], None).await;
        }
    };
    let typed: TypedReasons = marks
        .iter()
        .map(|(e, r)| (e.choice_value(), (r.clone(), None)))
        .collect();
    let mut tx = state.db.begin().await?;
    // As a score save does: one write of the month at a time, and no period confirming
    // its candidates while it runs.
    db::advisory_lock(&mut tx, &format!("score {} {month}", user.center_id)).await?;
    let locking = db::correction::lock_locking_periods(&mut tx, user.center_id, &month).await?;
    if !locking.is_empty() {
        drop(tx);
        let codes: Vec<String> = locking.into_iter().map(|p| p.code).collect();
        let msg = format!(
            "{} 的考核已锁定（{} 已确认候选对象），不能再登记或撤销未参加考核。",
            month_label(&month),
            codes.join("、")
        );
        return render(&state, &user, &month, page_no, &typed, vec![msg], None).await;
    }
    if let Some(entrant) = remove {
        db::not_assessed::unmark(&mut tx, &actor, user.center_id, &month, entrant).await?;
        tx.commit().await?;
        return Ok(Redirect::to(&notice("not_assessed_removed")).into_response());
    }
    let mut refused = 0;
    for (entrant, reason) in &marks {
        if !db::not_assessed::mark(&mut tx, &actor, user.center_id, &month, *entrant, reason)
            .await?
        {
            refused += 1;
        }
    }
    if refused > 0 {
        drop(tx);
        let msg = format!(
            "有 {refused} 个对象在您打开本页后已录入分数、已登记或已停用，为避免出错，本次未登记任何原因。请核对下方名单后重新提交。"
        );
        return render(&state, &user, &month, page_no, &typed, vec![msg], None).await;
    }
    tx.commit().await?;
    Ok(Redirect::to(&notice("not_assessed_saved")).into_response())
}
