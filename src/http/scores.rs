//! The supervision office's monthly score grid (百分考核): a whole month typed with the
//! keyboard and saved at once, in one transaction; bad cells marked with every typed value
//! kept; a concurrent edit reported instead of overwritten; locked once a period using the
//! month has confirmed its candidates.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::{ClientIp, CurrentUser};
use super::form::FormData;
use super::grid;
use super::page::{self, Choice, Layout, choices};
use super::routes::{Access, Routes, SUPERVISION};
use super::urls;
use crate::db::{self, org::Catalog};
use crate::domain::period::{is_month, month_label};
use crate::domain::text;
use crate::scoring::Fixed2;

pub fn routes(r: Routes) -> Routes {
    r.get(urls::SCORES, Access::Roles(SUPERVISION), current_month)
        .get("/scores/{month}", Access::Roles(SUPERVISION), grid_page)
        .post("/scores/{month}", Access::Roles(SUPERVISION), grid_save)
}

/// `/scores` opens the current month (China Standard Time).
async fn current_month() -> Redirect {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    Redirect::to(&urls::scores(&format!(
        "{}-{:02}",
        now.year(),
        u8::from(now.month())
    )))
}

/// Which grid and which rows.
struct View {
    staff: bool,
    department: Option<i64>,
    window: Option<i64>,
    /// The grid of a locked month opened for a correction (更正).
    correct: bool,
}

impl View {
    fn parse(query: Option<&str>) -> View {
        let q = FormData::parse_query(query.unwrap_or(""));
        let id = |name| q.first_utf8(name).and_then(|v| v.parse().ok());
        View {
            staff: q.first_utf8("tab") == Some("staff"),
            department: id("department"),
            window: id("window"),
            correct: q.first_utf8("mode") == Some("correct"),
        }
    }

    fn query(&self) -> String {
        let mut q = vec![format!(
            "tab={}",
            if self.staff { "staff" } else { "windows" }
        )];
        if let Some(d) = self.department {
            q.push(format!("department={d}"));
        }
        if let Some(w) = self.window.filter(|_| self.staff) {
            q.push(format!("window={w}"));
        }
        if self.correct {
            q.push("mode=correct".to_string());
        }
        q.join("&")
    }
}

/// One cell of the grid as shown.
pub struct Cell {
    pub id: i64,
    pub label: String,
    pub detail: String,
    pub value: String,
    pub original: String,
    pub version: i32,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "scores/grid.html")]
struct GridPage {
    layout: Layout,
    month: String,
    month_label: String,
    prev: String,
    next: String,
    staff: bool,
    windows_tab: String,
    staff_tab: String,
    action: String,
    departments: Vec<Choice>,
    windows: Vec<Choice>,
    cells: Vec<Cell>,
    filled: usize,
    locked_by: Vec<String>,
    correcting: bool,
    correct_url: String,
    export_url: String,
    import_url: String,
    view_url: String,
    reason: String,
    reason_error: Option<String>,
    corrections: Vec<CorrectionView>,
    messages: Vec<String>,
    base: &'static str,
}

/// A score correction of the month as listed under the grid.
pub struct CorrectionView {
    pub when: String,
    pub label: String,
    pub before: String,
    pub after: String,
    pub reason: String,
    pub periods: String,
    pub by: String,
}

/// What was typed besides the cells: the correction's reason, and what is wrong with it.
#[derive(Default)]
struct Typed<'a> {
    cells: Option<&'a BTreeMap<i64, (String, Option<String>)>>,
    reason: String,
    reason_error: Option<String>,
}

fn show(h: Option<i32>) -> String {
    h.map(|h| Fixed2(i64::from(h)).to_string())
        .unwrap_or_default()
}

fn shift_month(month: &str, by: i32) -> String {
    let y: i32 = month[..4].parse().unwrap_or(2026);
    let m: i32 = month[5..].parse().unwrap_or(1);
    let n = y * 12 + (m - 1) + by;
    format!("{}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
}

async fn render_grid(
    state: &AppState,
    user: &CurrentUser,
    month: &str,
    view: &View,
    typed: Typed<'_>,
    messages: Vec<String>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let departments =
        db::org::catalog_options(&mut conn, Catalog::Department, user.center_id, None).await?;
    let windows = db::org::window_options(&mut conn, user.center_id, None).await?;
    let rows = if view.staff {
        db::score::staff_grid(
            &mut conn,
            user.center_id,
            month,
            view.department,
            view.window,
        )
        .await?
    } else {
        db::score::window_grid(&mut conn, user.center_id, month, view.department).await?
    };
    let locked_by = db::period::locking_periods(&mut conn, user.center_id, month).await?;
    let corrections = db::score::corrections(&mut conn, user.center_id, month)
        .await?
        .into_iter()
        .map(|c| CorrectionView {
            when: crate::domain::format_datetime(Some(c.made_at)),
            label: c.label,
            before: if c.before.is_some() {
                show(c.before)
            } else {
                "（空）".to_string()
            },
            after: show(Some(c.after)),
            reason: c.reason,
            periods: c.periods.join("、"),
            by: c.made_by,
        })
        .collect();
    drop(conn);
    let filled = rows.iter().filter(|r| r.score.is_some()).count();
    let cells = rows
        .into_iter()
        .map(|r| {
            let (value, error) = match typed.cells.and_then(|t| t.get(&r.id)) {
                Some((v, e)) => (v.clone(), e.clone()),
                None => (show(r.score), None),
            };
            Cell {
                id: r.id,
                label: r.label,
                detail: r.detail,
                value,
                original: show(r.score),
                version: r.version,
                error,
            }
        })
        .collect();
    let mut layout = Layout::new(
        format!("{} 月度考核", month_label(month)),
        Some(user),
        urls::SCORES,
    );
    if let Some(q) = notice {
        layout = layout.with_notice(q);
    }
    let tab_with = |staff: bool, correct: bool| {
        let v = View {
            staff,
            department: view.department,
            window: view.window,
            correct,
        };
        format!("{}?{}", urls::scores(month), v.query())
    };
    let tab = |staff: bool| {
        let v = View {
            staff,
            department: view.department,
            window: view.window,
            correct: view.correct,
        };
        format!("{}?{}", urls::scores(month), v.query())
    };
    let page = GridPage {
        layout,
        month: month.to_string(),
        month_label: month_label(month),
        prev: format!("{}?{}", urls::scores(&shift_month(month, -1)), view.query()),
        next: format!("{}?{}", urls::scores(&shift_month(month, 1)), view.query()),
        staff: view.staff,
        windows_tab: tab(false),
        staff_tab: tab(true),
        action: format!("{}?{}", urls::scores(month), view.query()),
        departments: choices(
            &departments,
            &view.department.map(|d| d.to_string()).unwrap_or_default(),
        ),
        windows: choices(
            &windows,
            &view.window.map(|d| d.to_string()).unwrap_or_default(),
        ),
        cells,
        filled,
        correcting: view.correct && !locked_by.is_empty(),
        export_url: format!(
            "{}/export.xlsx?tab={}",
            urls::scores(month),
            if view.staff { "staff" } else { "windows" }
        ),
        import_url: format!(
            "/imports/scores/{month}?tab={}",
            if view.staff { "staff" } else { "windows" }
        ),
        correct_url: tab_with(view.staff, true),
        view_url: tab_with(view.staff, false),
        locked_by,
        reason: typed.reason,
        reason_error: typed.reason_error,
        corrections,
        messages: messages.clone(),
        base: urls::SCORES,
    };
    Ok(page::ok_or_invalid(messages.is_empty(), &page))
}

async fn grid_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(month): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    let view = View::parse(query.as_deref());
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    render_grid(
        &state,
        &user,
        &month,
        &view,
        Typed::default(),
        Vec::new(),
        Some(&q),
    )
    .await
}

async fn grid_save(
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
    let view = View::parse(query.as_deref());
    let cells = match grid::read_cells(&form, text::score) {
        Ok(c) => c,
        Err(msg) => {
            return render_grid(
                &state,
                &user,
                &month,
                &view,
                Typed::default(),
                vec![msg],
                None,
            )
            .await;
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
        render_grid(&state, &user, &month, &view, typed, messages, None).await
    };
    let bad = grid::bad(&cells);
    if bad > 0 {
        let msg = format!(
            "有 {bad} 个分数需要修改：分数应在 0 到 100 之间，最多两位小数。尚未保存任何分数。"
        );
        return again(vec![msg], None).await;
    }
    let changed = grid::changed(&cells);
    if changed.is_empty() {
        return Ok(Redirect::to(&format!(
            "{}?{}&notice=saved",
            urls::scores(&month),
            view.query()
        ))
        .into_response());
    }
    let actor = user.actor(&ip);
    let mut tx = state.db.begin().await?;
    // One save of a month at a time; then the periods using the month, so that no phase
    // moves while its scores are written.
    db::advisory_lock(&mut tx, &format!("score {} {month}", user.center_id)).await?;
    let locking = db::correction::lock_locking_periods(&mut tx, user.center_id, &month).await?;
    let reason = if locking.is_empty() {
        None
    } else {
        let codes: Vec<String> = locking.iter().map(|p| p.code.clone()).collect();
        if !view.correct {
            drop(tx);
            let msg = format!(
                "{} 的考核已锁定（{} 已确认候选对象），不能直接修改；如需修改，请使用“更正分数”并填写理由。尚未保存任何分数。",
                month_label(&month),
                codes.join("、")
            );
            return again(vec![msg], None).await;
        }
        match form
            .raw("reason")
            .map_err(|_| text::TextError::Empty)
            .and_then(|r| text::paragraph(r, 1000))
        {
            Ok(r) => Some(r),
            Err(e) => {
                drop(tx);
                let msg = format!("更正理由：{}。尚未保存任何分数。", e.message());
                return again(vec![msg], Some(e.message())).await;
            }
        }
    };
    let ids: Vec<i64> = changed.iter().map(|c| c.0).collect();
    let current = db::score::lock_current(&mut tx, user.center_id, &month, view.staff, &ids)
        .await?
        .into_iter()
        .map(|(id, score, version, by)| (id, (score, version, by)))
        .collect();
    let writes = match grid::plan(&changed, &current) {
        grid::Plan::Write(w) => w,
        grid::Plan::Unknown => {
            drop(tx);
            let msg =
                "页面中有已停用或不属于本中心的对象，请刷新页面后重新录入。尚未保存任何分数。"
                    .to_string();
            return again(vec![msg], None).await;
        }
        grid::Plan::Conflicts(conflicts) => {
            drop(tx);
            let mut msgs = vec![format!(
                "有 {} 个分数在您打开本页后已被他人修改，为避免覆盖，本次未保存任何分数。下面显示的是您填写的分数；确认无误后再次保存即以您填写的为准。",
                conflicts.len()
            )];
            let labels = label_map(&state, &user, &month, &view).await?;
            for (id, now, by) in conflicts {
                msgs.push(format!(
                    "{}：现为 {}（{}修改）",
                    labels.get(&id).cloned().unwrap_or_else(|| id.to_string()),
                    if now.is_some() {
                        show(now)
                    } else {
                        "（空）".to_string()
                    },
                    by.unwrap_or_default()
                ));
            }
            return again(msgs, None).await;
        }
    };
    let Some(reason) = reason else {
        for (id, before, after) in &writes {
            db::score::set(
                &mut tx,
                &actor,
                user.center_id,
                &month,
                view.staff,
                *id,
                *before,
                *after,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        return Ok(Redirect::to(&format!(
            "{}?{}&notice=saved",
            urls::scores(&month),
            view.query()
        ))
        .into_response());
    };
    // A correction: every changed score must stay a score, and every round using the month
    // must still hold together with it.
    let mut corrected = Vec::new();
    for (id, before, after) in &writes {
        match after {
            Some(after) => corrected.push((*id, *before, *after)),
            None => {
                drop(tx);
                let labels = label_map(&state, &user, &month, &view).await?;
                let msg = format!(
                    "{}：已锁定月份的分数不能清空，只能更正为新的分数。尚未保存任何分数。",
                    labels.get(id).cloned().unwrap_or_else(|| id.to_string())
                );
                return again(vec![msg], None).await;
            }
        }
    }
    let plans =
        match plan_corrections(&mut tx, &user, &month, view.staff, &corrected, &locking).await? {
            Ok(plans) => plans,
            Err(msg) => {
                drop(tx);
                return again(vec![msg], None).await;
            }
        };
    let codes: Vec<String> = plans.iter().map(|p| p.period.code.clone()).collect();
    for (id, before, after) in &corrected {
        db::score::record_correction(
            &mut tx,
            &actor,
            user.center_id,
            &month,
            view.staff,
            *id,
            *before,
            *after,
            &reason,
            &codes,
        )
        .await?;
        db::score::set(
            &mut tx,
            &actor,
            user.center_id,
            &month,
            view.staff,
            *id,
            *before,
            Some(*after),
            Some(&reason),
        )
        .await?;
    }
    for plan in &plans {
        match &plan.outcome {
            Outcome::Published { recount, results } => {
                db::correction::correct(
                    &mut tx,
                    &actor,
                    user.center_id,
                    &plan.period,
                    &plan.frozen,
                    recount,
                    results,
                    &plan.change,
                    &reason,
                )
                .await?;
            }
            Outcome::Open { snapshot } => {
                db::correction::round_corrected(
                    &mut tx,
                    &actor,
                    user.center_id,
                    &plan.period,
                    &plan.frozen,
                    snapshot,
                    &plan.change,
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    let shown = View {
        correct: false,
        ..view
    };
    Ok(Redirect::to(&format!(
        "{}?{}&notice={}",
        urls::scores(&month),
        shown.query(),
        if plans.is_empty() {
            "corrected_score_only"
        } else {
            "corrected_scores"
        }
    ))
    .into_response())
}

/// How a score correction changes one period's round.
struct CorrectionPlan {
    period: db::period::PeriodRow,
    frozen: crate::scoring::PeriodInput,
    change: serde_json::Value,
    outcome: Outcome,
}

enum Outcome {
    /// Published: recomputed, and the change of winners recorded as a correction.
    Published {
        recount: Box<crate::scoring::PeriodInput>,
        results: Box<crate::scoring::PeriodResult>,
    },
    /// Voting, rating or review: the same candidates with corrected assessment scores.
    Open {
        snapshot: Box<crate::scoring::PeriodResult>,
    },
}

/// Applies the corrected scores to the round of every locking period that has the entrant,
/// and checks that each round still holds: a published one is recomputed (and must still
/// fit its tie decisions); one still under way must keep its candidates, since ballots or
/// ratings were cast for them. `Err` is the message to show; nothing has been written.
async fn plan_corrections(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    month: &str,
    staff: bool,
    corrected: &[(i64, Option<i32>, i32)],
    locking: &[db::period::PeriodRow],
) -> AppResult<Result<Vec<CorrectionPlan>, String>> {
    use crate::domain::period::Phase;
    use crate::scoring::Number;
    let mut plans = Vec::new();
    for period in locking {
        let label = crate::domain::period::period_label(&period.code);
        let (mut frozen, names) = db::results::round_input(tx, user.center_id, period).await?;
        let mut touched = Vec::new();
        for (id, before, after) in corrected {
            let key = format!("{}{id}", if staff { 'S' } else { 'W' });
            let entries = if staff {
                frozen
                    .staff
                    .iter_mut()
                    .find(|e| e.id == key)
                    .map(|e| &mut e.scores)
            } else {
                frozen
                    .windows
                    .iter_mut()
                    .find(|e| e.id == key)
                    .map(|e| &mut e.scores)
            };
            let Some(entries) = entries else { continue };
            let value = Number::from_hundredths(i64::from(*after));
            match entries.0.iter_mut().find(|(m, _)| m == month) {
                Some(entry) => entry.1 = value,
                None => entries.0.push((month.to_string(), value)),
            }
            touched.push(serde_json::json!({
                "entrant": key,
                "month": month,
                "before": before.map(|h| Fixed2(i64::from(h)).to_string()),
                "after": Fixed2(i64::from(*after)).to_string(),
            }));
        }
        if touched.is_empty() {
            continue;
        }
        let change = serde_json::json!({ "scores": touched });
        let phase = period.phase;
        let outcome = if phase == Phase::Published {
            let Some((recount, results)) =
                db::correction::recount_corrected(tx, period.period_id, &frozen).await?
            else {
                return Ok(Err(format!(
                    "此更正后 {label} 的结果无法重新计算（通常是并列情况发生变化，原有的领导小组审定不再适用）：请联系系统管理员处理。尚未保存任何分数。"
                )));
            };
            Outcome::Published {
                recount: Box::new(recount),
                results: Box::new(results),
            }
        } else {
            let Ok(snapshot) = crate::scoring::compute(&frozen) else {
                return Ok(Err(format!(
                    "此更正使 {label} 的数据无法计算，请核对后再试。尚未保存任何分数。"
                )));
            };
            let (windows, staff_now) =
                db::results::confirmed_candidates(tx, period.period_id).await?;
            let same = |a: &[String], b: &[String]| {
                let mut a = a.to_vec();
                let mut b = b.to_vec();
                a.sort();
                b.sort();
                a == b
            };
            if !same(&snapshot.window.candidates, &windows)
                || !same(&snapshot.staff.candidates, &staff_now)
            {
                let mut moved: Vec<String> = Vec::new();
                for (new, old) in [
                    (&snapshot.window.candidates, &windows),
                    (&snapshot.staff.candidates, &staff_now),
                ] {
                    for id in new.iter().filter(|i| !old.contains(i)) {
                        moved.push(format!("{}将成为候选对象", names.label(id)));
                    }
                    for id in old.iter().filter(|i| !new.contains(i)) {
                        moved.push(format!("{}将不再是候选对象", names.label(id)));
                    }
                }
                return Ok(Err(format!(
                    "此更正会改变 {label} 的候选对象（{}），而该周期已进入“{}”阶段，推荐票和评分都是按已确认的候选对象进行的，不能在此时更正。请在结果发布后再登记此更正。尚未保存任何分数。",
                    moved.join("；"),
                    phase.label()
                )));
            }
            // The ballots, ratings and tie decisions already made must still fit the
            // corrected round, or the period could no longer be reviewed or published.
            let mut recount = frozen.clone();
            recount.tallies = db::ballot::tallies(tx, period.period_id).await?;
            recount.ratings = db::rating::all(tx, period.period_id).await?;
            recount.decisions = db::results::decisions(tx, period.period_id).await?;
            if crate::scoring::compute(&recount).is_err() {
                return Ok(Err(format!(
                    "此更正会改变 {label} 的并列情况，与领导小组已作出的审定不再一致，不能在此时更正。请联系系统管理员处理。尚未保存任何分数。"
                )));
            }
            Outcome::Open {
                snapshot: Box::new(snapshot),
            }
        };
        plans.push(CorrectionPlan {
            period: period.clone(),
            frozen,
            change,
            outcome,
        });
    }
    Ok(Ok(plans))
}

async fn label_map(
    state: &AppState,
    user: &CurrentUser,
    month: &str,
    view: &View,
) -> AppResult<BTreeMap<i64, String>> {
    let mut conn = state.db.acquire().await?;
    let rows = if view.staff {
        db::score::staff_grid(&mut conn, user.center_id, month, None, None).await?
    } else {
        db::score::window_grid(&mut conn, user.center_id, month, None).await?
    };
    Ok(rows.into_iter().map(|r| (r.id, r.label)).collect())
}
