//! Duty days (在岗天数): typed on a keyboard grid, or, for a quarter or a year, summed from
//! the shorter periods inside it that have them (a year's quarters, a quarter's months).
//! A value that differs from a complete sum needs a reason, kept in the audit log.

use crate::db;
use crate::db::duty::Parts;
use crate::domain::ids::{StaffId, WindowId};
use crate::domain::period::{month_label, period_label as label_of};
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{CurrentUser, PeriodCtx};
use crate::http::form::{FieldError, FormData};
use crate::http::grid::{self, Typed};
use crate::http::page::{self, Layout};
use crate::http::urls;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

/// What the audit log says of a value written by "按合计填入".
const SUMMED: &str = "按本周期内各季度（月）已登记的在岗天数合计填入";

#[derive(Template)]
#[template(path = "periods/duty_days.html")]
struct DutyPage {
    layout: Layout,
    label: String,
    period_url: String,
    action: String,
    windows: crate::http::window_filter::WindowFilter,
    cells: Vec<crate::http::scores::Cell>,
    filled: usize,
    min_days: String,
    locked: bool,
    /// The period spans shorter periods whose duty days can be summed.
    summable: bool,
    /// Staff without duty days whose parts cover the whole period.
    fillable: usize,
    import_url: String,
    /// All the staff (of the window chosen), of which `cells` is one page.
    total: usize,
    rows_pager: Option<crate::http::scores::RowPager>,
    reason: String,
    reason_error: Option<String>,
    messages: Vec<String>,
}

fn window_filter(query: Option<&str>) -> Option<i64> {
    FormData::parse_query(query.unwrap_or(""))
        .first_utf8("window")
        .and_then(|v| v.parse().ok())
}

/// Which rows of the grid: those of a window (or all), one page of them (from 1).
#[derive(Clone, Copy)]
struct Rows {
    window: Option<i64>,
    page: i64,
}

impl Rows {
    fn asked(query: Option<&str>) -> Rows {
        let page = FormData::parse_query(query.unwrap_or(""))
            .first_utf8("page")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(1)
            .max(1);
        Rows {
            window: window_filter(query),
            page,
        }
    }

    /// The query of these rows: the window filter and the page, each when set.
    fn query(self) -> Vec<String> {
        let mut q = Vec::new();
        if let Some(w) = self.window {
            q.push(format!("window={w}"));
        }
        if self.page > 1 {
            q.push(format!("page={}", self.page));
        }
        q
    }
}

/// A short name of a part inside its year: 第一季度, 10月.
fn part_label(code: &str) -> String {
    let full = label_of(code);
    match full.split_once('年') {
        Some((_, rest)) if !rest.is_empty() => rest.to_string(),
        _ => full,
    }
}

/// The note under a staff member's row: the sum and what it is made of.
pub fn describe(parts: &Parts) -> String {
    let list: Vec<String> = parts
        .parts
        .iter()
        .map(|(code, days)| format!("{} {days}", part_label(code)))
        .collect();
    if parts.complete() {
        format!("合计 {} 天（{}）", parts.sum, list.join("、"))
    } else {
        let missing: Vec<String> = parts.missing.iter().map(|m| month_label(m)).collect();
        format!(
            "已登记部分合计 {} 天（{}），缺 {}",
            parts.sum,
            list.join("、"),
            missing.join("、")
        )
    }
}

/// The reason typed for days that differ from their sums: checked whenever typed, required
/// when `differing` rows need it, and missing only from a form that does not show it
/// (`shown`: false). `Err` holds the page's message and the field's.
pub fn difference_reason(
    form: &FormData,
    differing: usize,
    shown: bool,
) -> Result<Option<String>, (String, String)> {
    let read = match form.raw("reason") {
        Err(FieldError::Missing) if !shown => Err(FieldError::Text(text::TextError::Empty)),
        Err(e) => Err(e),
        Ok(typed) => text::paragraph(typed, 500).map_err(FieldError::Text),
    };
    let message = match read {
        Ok(r) => return Ok(Some(r)),
        Err(FieldError::Text(text::TextError::Empty)) if differing == 0 => return Ok(None),
        Err(e) => e.message(),
    };
    Err((
        if differing > 0 {
            format!(
                "有 {differing} 名工作人员的在岗天数与各季度（月）合计不同：请在“与合计不同的理由”中说明（{message}）。尚未保存任何数据。"
            )
        } else {
            format!("与合计不同的理由：{message}。尚未保存任何数据。")
        },
        message,
    ))
}

async fn render_duty(
    state: &AppState,
    user: &CurrentUser,
    p: &db::period::PeriodRow,
    rows_at: Rows,
    typed: Typed<'_>,
    messages: Vec<String>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let window = rows_at.window;
    let mut conn = state.db.acquire().await?;
    // The staff and the windows come from the center's roster (kept while the
    // organization is unchanged); only the page's days are read.
    let roster = state.roster(&mut conn, user).await?;
    // One page of rows in the form (a province's largest center has 6,000 staff); the
    // counts above it are of them all. A save writes only the rows it sends.
    let filled =
        db::duty::filled_count(&mut conn, user.center_id, p.period_id, window.map(WindowId))
            .await?;
    let listed: Vec<&db::org::roster::RosterStaff> =
        roster.staff_of(None, window.map(WindowId)).collect();
    let total = listed.len();
    let filled = filled.max(0) as usize;
    // Who could be filled from their parts, when the period has any.
    let without = if db::duty::has_parts(&mut conn, user.center_id, p.period_id, &p.months).await? {
        db::duty::without_days(&mut conn, user.center_id, p.period_id, window.map(WindowId)).await?
    } else {
        Vec::new()
    };
    let at = page::PageOf::new(
        total,
        crate::http::scores::ONE_PAGE_ENTRANTS as usize,
        rows_at.page,
    );
    let shown = listed
        .iter()
        .skip(at.skipped)
        .take(at.shown)
        .map(|s| (s.staff_id, s.label.clone(), s.detail.clone()))
        .collect();
    let rows = db::duty::duty_rows(&mut conn, p.period_id, shown).await?;
    // The filter lists the active windows; one chosen that is not among them is not kept.
    let windows = crate::http::window_filter::WindowFilter::of(
        state,
        user,
        &roster,
        None,
        window
            .map(WindowId)
            .filter(|w| roster.window(w.0).is_some_and(|w| w.active)),
    )
    .await;
    // The parts of the rows shown (their notes) and of those without days (what
    // "按合计填入" would fill).
    let mut of: Vec<i64> = rows
        .iter()
        .map(|r| r.id)
        .chain(without.iter().copied())
        .collect();
    of.sort_unstable();
    of.dedup();
    let parts = db::duty::parts_of(&mut conn, user.center_id, p.period_id, &p.months, &of).await?;
    drop(conn);
    let fillable = without
        .iter()
        .filter(|id| parts.get(id).is_some_and(Parts::complete))
        .count();
    let base = format!("{}/duty-days", urls::period(&p.code));
    let with_query = |q: Vec<String>| {
        if q.is_empty() {
            base.clone()
        } else {
            format!("{base}?{}", q.join("&"))
        }
    };
    let rows_pager = crate::http::scores::RowPager::of(at, total, |n| {
        with_query(Rows { window, page: n }.query())
    });
    let cells = rows
        .into_iter()
        .map(|r| {
            let shown = r.score.map(|d| d.to_string()).unwrap_or_default();
            let (value, error) = match typed.cells.and_then(|t| t.get(&r.id)) {
                Some((v, e)) => (v.clone(), e.clone()),
                None => (shown.clone(), None),
            };
            crate::http::scores::Cell {
                id: r.id,
                label: r.label,
                detail: r.detail,
                value,
                original: shown,
                version: r.version,
                error,
                note: parts.get(&r.id).map(describe),
                breakdown: String::new(),
            }
        })
        .collect();
    let mut layout = Layout::new(
        format!("{} 在岗天数", label_of(&p.code)),
        Some(user),
        urls::PERIODS,
    );
    if let Some(q) = notice {
        layout = layout.with_notice(q);
    }
    let page = DutyPage {
        layout,
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        action: with_query(
            Rows {
                window,
                page: at.page,
            }
            .query(),
        ),
        windows,
        cells,
        filled,
        min_days: p.rules.min_duty_days.to_string(),
        locked: p.phase.scores_locked(),
        summable: p.months.len() > 1,
        fillable,
        import_url: format!("/imports/duty-days/{}", p.code),
        total,
        rows_pager,
        reason: typed.reason,
        reason_error: typed.reason_error,
        messages: messages.clone(),
    };
    Ok(page::ok_or_invalid(messages.is_empty(), &page))
}

pub(super) async fn duty_page(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let notice = FormData::parse_query(q.as_deref().unwrap_or(""));
    render_duty(
        &state,
        &user,
        &p,
        Rows::asked(q.as_deref()),
        Typed::default(),
        Vec::new(),
        Some(&notice),
    )
    .await
}

pub(super) async fn duty_save(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    RawQuery(q): RawQuery,
    form: FormData,
) -> AppResult<Response> {
    let PeriodCtx {
        user,
        period: p,
        actor,
    } = ctx;
    let rows_at = Rows::asked(q.as_deref());
    let window = rows_at.window;
    let back = |notice: &str| {
        let mut q = rows_at.query();
        q.push(format!("notice={notice}"));
        format!("{}/duty-days?{}", urls::period(&p.code), q.join("&"))
    };
    let fill = form.first_utf8("fill").is_some();
    let cells = if fill {
        Default::default()
    } else {
        match grid::read_cells(&form, text::days) {
            Ok(c) => c,
            Err(msg) => {
                return render_duty(
                    &state,
                    &user,
                    &p,
                    rows_at,
                    Typed::default(),
                    vec![msg],
                    None,
                )
                .await;
            }
        }
    };
    // The grid again, with everything typed and why nothing was saved.
    let typed_cells = grid::typed(&cells);
    let typed_reason = form.echo("reason");
    let again = async |messages: Vec<String>, reason_error: Option<String>| {
        let typed = Typed {
            cells: Some(&typed_cells),
            reason: typed_reason.clone(),
            reason_error,
        };
        render_duty(&state, &user, &p, rows_at, typed, messages, None).await
    };
    let bad = grid::bad(&cells);
    if bad > 0 {
        let msg =
            format!("有 {bad} 项在岗天数需要修改：应为 0 到 366 之间的整数。尚未保存任何数据。");
        return again(vec![msg], None).await;
    }
    let changed = grid::changed(&cells);
    if changed.is_empty() && !fill {
        return Ok(Redirect::to(&back("saved")).into_response());
    }
    let mut tx = state.db.begin().await?;
    let phase = db::period::lock_phase(&mut tx, user.center_id, p.period_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if phase.scores_locked() {
        drop(tx);
        let msg = format!(
            "{}已确认候选对象，在岗天数已锁定。尚未保存任何数据。",
            label_of(&p.code)
        );
        return again(vec![msg], None).await;
    }
    db::advisory_lock(&mut tx, &format!("duty {}", p.period_id)).await?;
    if fill {
        // Every active staff member shown (the window filter holds) without duty days whose
        // parts cover the period.
        let without =
            db::duty::without_days(&mut tx, user.center_id, p.period_id, window.map(WindowId))
                .await?;
        let parts =
            db::duty::parts_of(&mut tx, user.center_id, p.period_id, &p.months, &without).await?;
        let mut n = 0;
        for &id in &without {
            if let Some(sum) = parts.get(&id).and_then(Parts::complete_sum) {
                db::duty::set_duty(
                    &mut tx,
                    &actor,
                    user.center_id,
                    p.period_id,
                    &p.code,
                    StaffId(id),
                    None,
                    Some(sum),
                    Some(SUMMED),
                )
                .await?;
                n += 1;
            }
        }
        tx.commit().await?;
        return Ok(
            Redirect::to(&back(if n > 0 { "duty_summed" } else { "saved" })).into_response(),
        );
    }
    let ids: Vec<i64> = changed.iter().map(|c| c.0).collect();
    let parts = db::duty::parts_of(&mut tx, user.center_id, p.period_id, &p.months, &ids).await?;
    let current = db::duty::lock_duty(&mut tx, user.center_id, p.period_id, &ids)
        .await?
        .into_iter()
        .map(|(id, days, version, by)| (id, (days, version, by)))
        .collect();
    let writes = match grid::plan(&changed, &current) {
        grid::Plan::Write(w) => w,
        grid::Plan::Unknown => {
            drop(tx);
            return again(vec![grid::STALE.to_string()], None).await;
        }
        grid::Plan::Conflicts(conflicts) => {
            drop(tx);
            let msg = format!(
                "有 {} 名工作人员的在岗天数在您打开本页后已被他人修改，为避免覆盖，本次未保存任何数据。确认您填写的无误后再次保存即以您填写的为准。",
                conflicts.len()
            );
            return again(vec![msg], None).await;
        }
    };
    // A value that is not the sum of complete parts is written only with a reason.
    let differs = |id: i64, after: Option<i32>| {
        after.is_some_and(|d| parts.get(&id).is_some_and(|x| x.differs(d)))
    };
    let differing = writes.iter().filter(|(id, _, a)| differs(*id, *a)).count();
    let reason = match difference_reason(&form, differing, p.months.len() > 1) {
        Ok(r) => r,
        Err((msg, e)) => {
            drop(tx);
            return again(vec![msg], Some(e)).await;
        }
    };
    for (id, before, after) in writes {
        let why = reason.as_deref().filter(|_| differs(id, after));
        db::duty::set_duty(
            &mut tx,
            &actor,
            user.center_id,
            p.period_id,
            &p.code,
            StaffId(id),
            before,
            after,
            why,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&back("saved")).into_response())
}
