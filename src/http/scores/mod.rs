//! The supervision office's monthly score grid (百分考核): a whole month typed with the
//! keyboard and saved at once, in one transaction; bad cells marked with every typed value
//! kept; a concurrent edit reported instead of overwritten; locked once a period using the
//! month has confirmed its candidates.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{Redirect, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::CurrentUser;
use super::form::FormData;
use super::grid::Typed;
use super::page::{self, Choice, Layout, PageOf};
use super::routes::{Access, Routes, SUPERVISION};
use super::urls;
use super::window_filter::WindowFilter;
use crate::db;
use crate::domain::ids::WindowId;
use crate::domain::period::{is_month, month_label, shift_month};
use crate::scoring::{Fixed2, Kind};

mod corrections;
pub(crate) use corrections::apply_correction;
mod not_assessed;
pub use not_assessed::{gap_words, not_assessed_url};
mod save;

pub fn routes(r: Routes) -> Routes {
    r.get(urls::SCORES, Access::Roles(SUPERVISION), current_month)
        .get("/scores/{month}", Access::Roles(SUPERVISION), grid_page)
        .post(
            "/scores/{month}",
            Access::Roles(SUPERVISION),
            save::grid_save,
        )
        .get(
            "/scores/{month}/not-assessed",
            Access::Roles(SUPERVISION),
            not_assessed::page,
        )
        .post(
            "/scores/{month}/not-assessed",
            Access::Roles(SUPERVISION),
            not_assessed::save,
        )
}

/// `/scores` opens the current month (China Standard Time).
async fn current_month() -> Redirect {
    Redirect::to(&urls::scores(&crate::domain::period::current_month()))
}

/// Above this many entrants in a tab, the grid opens one department (进驻单位) at a time
/// instead of the whole center: a page stays small enough to type in and to load quickly.
pub const ONE_PAGE_ENTRANTS: i64 = 150;

/// Which departments' rows the grid shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// None asked for: the whole center, or its first department when it is large.
    Default,
    All,
    Department(i64),
}

/// Which grid and which rows.
#[derive(Clone, Copy)]
struct View {
    kind: Kind,
    scope: Scope,
    window: Option<i64>,
    /// The grid of a locked month opened for a correction (更正).
    correct: bool,
    /// Which [`ONE_PAGE_ENTRANTS`] rows of the scope, from 1.
    page: i64,
}

impl View {
    fn parse(query: Option<&str>) -> View {
        let q = FormData::parse_query(query.unwrap_or(""));
        let id = |name| q.first_utf8(name).and_then(|v| v.parse().ok());
        let scope = match q.first_utf8("department") {
            Some("all") => Scope::All,
            _ => id("department").map_or(Scope::Default, Scope::Department),
        };
        View {
            kind: Kind::from_tab(q.first_utf8("tab")),
            scope,
            window: id("window"),
            correct: q.first_utf8("mode") == Some("correct"),
            page: id("page").unwrap_or(1).max(1),
        }
    }

    /// The window filter, which only the staff tab has.
    fn window(&self) -> Option<i64> {
        self.window.filter(|_| self.kind == Kind::Staff)
    }

    /// The view with its scope decided: the whole center unless it has more entrants than
    /// one page holds, then its first department with any (a window filter alone is narrow
    /// enough).
    fn resolve(self, sections: &[db::score::GridSection]) -> View {
        let scope = match self.scope {
            Scope::Default => {
                let total: i64 = sections.iter().map(|s| s.entrants).sum();
                if total > ONE_PAGE_ENTRANTS && self.window().is_none() {
                    sections
                        .iter()
                        .find(|s| s.entrants > 0)
                        .map_or(Scope::All, |s| Scope::Department(s.department_id))
                } else {
                    Scope::All
                }
            }
            scope => scope,
        };
        View { scope, ..self }
    }

    fn department(&self) -> Option<i64> {
        match self.scope {
            Scope::Department(d) => Some(d),
            Scope::Default | Scope::All => None,
        }
    }

    fn query(&self) -> String {
        let mut q = vec![format!("tab={}", self.kind.tab())];
        match self.scope {
            Scope::Default => {}
            Scope::All => q.push("department=all".to_string()),
            Scope::Department(d) => q.push(format!("department={d}")),
        }
        if let Some(w) = self.window() {
            q.push(format!("window={w}"));
        }
        if self.correct {
            q.push("mode=correct".to_string());
        }
        if self.page > 1 {
            q.push(format!("page={}", self.page));
        }
        q.join("&")
    }
}

/// A link to a neighbouring department of the grid.
pub struct SectionLink {
    pub name: String,
    pub url: String,
}

/// Where a department's page of the grid stands among the departments with entrants.
pub struct Pager {
    pub position: usize,
    pub count: usize,
    pub prev: Option<SectionLink>,
    pub next: Option<SectionLink>,
}

/// Where a page of rows stands in a scope with more rows than one page holds.
pub struct RowPager {
    pub page: i64,
    pub pages: i64,
    pub first: usize,
    pub last: usize,
    pub rows: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl RowPager {
    /// The pager of page `at` of `rows` rows, linking its neighbours by `link(page)`; none
    /// when the rows fit on one page.
    pub fn of(at: PageOf, rows: usize, link: impl Fn(i64) -> String) -> Option<RowPager> {
        (at.pages > 1).then(|| RowPager {
            page: at.page,
            pages: at.pages,
            first: at.skipped + 1,
            last: at.skipped + at.shown,
            rows,
            prev: (at.page > 1).then(|| link(at.page - 1)),
            next: (at.page < at.pages).then(|| link(at.page + 1)),
        })
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
    /// Shown under the detail (未参加考核 and its reason).
    pub note: Option<String>,
    /// The breakdown of a score computed from records.
    pub breakdown: String,
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
    /// The 全部 option is the one shown.
    all_departments: bool,
    /// 共 1000 人 / 共 300 个窗口.
    total: String,
    pager: Option<Pager>,
    /// The rows of the scope are more than one page holds.
    rows_pager: Option<RowPager>,
    windows: WindowFilter,
    cells: Vec<Cell>,
    filled: usize,
    /// Entrants of this grid marked not assessed this month.
    not_assessed: usize,
    not_assessed_url: String,
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
    /// The month's scores of this kind are computed from records: shown, not typed.
    by_records: bool,
    records_url: String,
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

fn show(h: Option<i32>) -> String {
    h.map(|h| Fixed2(i64::from(h)).to_string())
        .unwrap_or_default()
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
    // The departments, windows and staff come from the center's roster (kept while the
    // organization is unchanged); only the page's scores are read.
    let roster = state.roster(&mut conn, user).await?;
    let sections = roster.sections(view.kind);
    let asked = view.scope;
    let view = &view.resolve(sections);
    // The window filter is the staff tab's only.
    let windows = if view.kind == Kind::Staff {
        WindowFilter::of(
            state,
            user,
            &roster,
            view.department(),
            view.window.map(WindowId),
        )
        .await
    } else {
        WindowFilter::none()
    };
    // One page of the scope's rows ("all departments" of a province's largest center has
    // thousands): counted, then only the page's labels copied.
    let per_page = ONE_PAGE_ENTRANTS as usize;
    let staff = || roster.staff_of(view.department(), view.window.map(WindowId));
    let windows_of = || roster.active_windows(view.department());
    let row_count = if view.kind == Kind::Staff {
        staff().count()
    } else {
        windows_of().count()
    };
    let at = PageOf::new(row_count, per_page, view.page);
    let page_of: Vec<(i64, String, String)> = if view.kind == Kind::Staff {
        staff()
            .skip(at.skipped)
            .take(per_page)
            .map(|s| (s.staff_id, s.label.clone(), s.detail.clone()))
            .collect()
    } else {
        windows_of()
            .skip(at.skipped)
            .take(per_page)
            .map(|w| {
                (
                    w.window_id,
                    w.label(),
                    roster
                        .department_name(w.department_id)
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    };
    let rows = db::score::grid_rows(&mut conn, user.center_id, month, view.kind, page_of).await?;
    let locked_by = db::period::locking_periods(&mut conn, user.center_id, month).await?;
    let by_records = db::assessment::rules::mode(&mut conn, user.center_id, view.kind, month)
        .await?
        == db::assessment::Mode::Records;
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
    let view = &View {
        page: at.page,
        ..*view
    };
    let filled = rows.iter().filter(|r| r.score.is_some()).count();
    let marked = rows.iter().filter(|r| r.note.is_some()).count();
    let cells = rows
        .into_iter()
        .map(|r| {
            let (value, error) = match typed.cells.and_then(|t| t.get(&r.id)) {
                Some((v, e)) => (v.clone(), e.clone()),
                None => (show(r.score), None),
            };
            Cell {
                breakdown: crate::http::assessment::breakdown_url(
                    month,
                    crate::domain::ids::Entrant::of(view.kind, r.id),
                ),
                id: r.id,
                label: r.label,
                detail: r.detail,
                value,
                original: show(r.score),
                version: r.version,
                error,
                note: r.note,
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
    let url = |v: View| format!("{}?{}", urls::scores(month), v.query());
    let tab_with = |kind: Kind, correct: bool| {
        url(View {
            kind,
            correct,
            page: 1,
            ..*view
        })
    };
    // Another tab has other counts: what was asked for, not this tab's default, goes over.
    let tab = |kind: Kind| {
        let scope = if kind == view.kind { view.scope } else { asked };
        url(View {
            kind,
            scope,
            page: 1,
            ..*view
        })
    };
    let unit = match view.kind {
        Kind::Window => "个窗口",
        Kind::Staff => "人",
    };
    let total: i64 = sections.iter().map(|s| s.entrants).sum();
    let pager = pager(sections, view, |d| {
        url(View {
            scope: Scope::Department(d),
            window: None,
            page: 1,
            ..*view
        })
    });
    let rows_pager = RowPager::of(at, row_count, |page| url(View { page, ..*view }));
    let departments = sections
        .iter()
        .map(|s| Choice {
            value: s.department_id.to_string(),
            label: format!("{}（{} {unit}）", s.name, s.entrants),
            selected: view.scope == Scope::Department(s.department_id),
        })
        .collect();
    let page = GridPage {
        layout,
        month: month.to_string(),
        month_label: month_label(month),
        prev: format!("{}?{}", urls::scores(&shift_month(month, -1)), view.query()),
        next: format!("{}?{}", urls::scores(&shift_month(month, 1)), view.query()),
        staff: view.kind == Kind::Staff,
        windows_tab: tab(Kind::Window),
        staff_tab: tab(Kind::Staff),
        action: format!("{}?{}", urls::scores(month), view.query()),
        departments,
        all_departments: view.scope == Scope::All,
        total: format!("共 {total} {unit}"),
        pager,
        rows_pager,
        windows,
        cells,
        filled,
        not_assessed: marked,
        not_assessed_url: not_assessed::not_assessed_url(month),
        correcting: view.correct && !locked_by.is_empty(),
        export_url: format!(
            "{}/export.xlsx?tab={}",
            urls::scores(month),
            view.kind.tab()
        ),
        import_url: format!("/imports/scores/{month}?tab={}", view.kind.tab()),
        correct_url: tab_with(view.kind, true),
        view_url: tab_with(view.kind, false),
        locked_by,
        reason: typed.reason,
        reason_error: typed.reason_error,
        corrections,
        messages: messages.clone(),
        base: urls::SCORES,
        by_records,
        records_url: crate::http::assessment::month_url(month),
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

async fn label_map(
    state: &AppState,
    user: &CurrentUser,
    month: &str,
    view: &View,
) -> AppResult<BTreeMap<i64, String>> {
    let mut conn = state.db.acquire().await?;
    let rows = if view.kind == Kind::Staff {
        db::score::staff_grid(&mut conn, user.center_id, month, None, None).await?
    } else {
        db::score::window_grid(&mut conn, user.center_id, month, None).await?
    };
    Ok(rows.into_iter().map(|r| (r.id, r.label)).collect())
}

/// The department page's place among the departments with entrants, and its neighbours.
fn pager(
    sections: &[db::score::GridSection],
    view: &View,
    url: impl Fn(i64) -> String,
) -> Option<Pager> {
    let Scope::Department(d) = view.scope else {
        return None;
    };
    let filled: Vec<_> = sections.iter().filter(|s| s.entrants > 0).collect();
    let at = filled.iter().position(|s| s.department_id == d)?;
    let link = |s: &db::score::GridSection| SectionLink {
        name: s.name.clone(),
        url: url(s.department_id),
    };
    Some(Pager {
        position: at + 1,
        count: filled.len(),
        prev: at.checked_sub(1).map(|i| link(filled[i])),
        next: filled.get(at + 1).map(|s| link(s)),
    })
}
