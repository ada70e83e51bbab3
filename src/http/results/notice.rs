//! 通报表彰 and the feedback to the departments (及时向窗口单位反馈): a published period's
//! announcement of its honorees, then one page for each department whose windows or staff
//! were honored, printable on A4.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::db;
use crate::domain::period::{Phase, period_label};
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::PeriodCtx;
use crate::http::page::{self, Layout};
use crate::http::urls;

/// An honoree as the notice names it.
pub struct Named {
    pub name: String,
    pub window: String,
}

/// One of a department's windows or staff as its feedback lists them.
pub struct ResultLine {
    pub name: String,
    pub detail: String,
    pub assessment: String,
    pub rank: String,
    pub outcome: String,
    pub won: bool,
}

/// A department's feedback page: its honorees, then every window and staff member of it
/// that took part, with their results.
pub struct DepartmentNotice {
    pub department: String,
    pub windows: Vec<Named>,
    pub staff: Vec<Named>,
    pub lines: Vec<ResultLine>,
}

#[derive(Template)]
#[template(path = "results/notice.html")]
struct NoticePage {
    layout: Layout,
    center: String,
    label: String,
    window_title: String,
    staff_title: String,
    windows: Vec<Named>,
    staff: Vec<Named>,
    departments: Vec<DepartmentNotice>,
    date: String,
    back: String,
}

pub(super) async fn notice_page(
    State(state): State<AppState>,
    ctx: PeriodCtx,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    if p.phase != Phase::Published {
        return Err(AppError::NotFound);
    }
    let honors = {
        let mut conn = state.db.acquire().await?;
        db::honor::of_period(&mut conn, p.period_id).await?
    };
    let current = || honors.iter().filter(|h| h.revoked_at.is_none());
    let named = |kind: &str| -> Vec<Named> {
        current()
            .filter(|h| h.kind == kind)
            .map(|h| Named {
                name: h.name.clone(),
                window: h.window_label.clone(),
            })
            .collect()
    };
    // Published: the decoded results this process keeps.
    let decoded = super::shared_results(&state, user.center_id, &p).await?;
    let (input, result, names) = (&decoded.input, &decoded.result, &decoded.names);
    let min_days = p.rules.min_duty_days.to_string();
    let mut departments: Vec<DepartmentNotice> = Vec::new();
    // Every entrant of the period under its department (a staff member's is its window's).
    let window_of: std::collections::HashMap<&str, &str> = input
        .staff
        .iter()
        .map(|s| (s.id.as_str(), s.window.as_str()))
        .collect();
    let department_of = |id: &str| -> String {
        let window = window_of.get(id).copied().unwrap_or(id);
        names
            .names
            .get(window)
            .map(|n| n.1.clone())
            .unwrap_or_default()
    };
    for kind in crate::scoring::Kind::BOTH {
        let title = p.title(kind);
        for e in &result.kind(kind).entrants {
            let (name, detail, _) = names
                .names
                .get(&e.id)
                .cloned()
                .unwrap_or_else(|| (e.id.clone(), String::new(), String::new()));
            let outcome = super::outcome(e, title, &min_days);
            let i = department_index(&mut departments, &department_of(&e.id));
            departments[i].lines.push(ResultLine {
                name,
                detail: if kind == crate::scoring::Kind::Staff {
                    detail
                } else {
                    String::new()
                },
                assessment: e
                    .assessment
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "—".into()),
                rank: e
                    .final_rank
                    .or(e.assessment_rank)
                    .map(|r| format!("第{r}名"))
                    .unwrap_or_else(|| "—".into()),
                outcome,
                won: e.winner,
            });
        }
    }
    for h in current() {
        let i = department_index(&mut departments, &h.department);
        let entry = Named {
            name: h.name.clone(),
            window: h.window_label.clone(),
        };
        if h.kind == "staff" {
            departments[i].staff.push(entry);
        } else {
            departments[i].windows.push(entry);
        }
    }
    let label = period_label(&p.code);
    let date = p
        .published_at
        .map(|t| {
            let t = t.to_offset(time::macros::offset!(+8));
            format!("{}年{}月{}日", t.year(), u8::from(t.month()), t.day())
        })
        .unwrap_or_default();
    let (window_title, staff_title) = (
        p.title(crate::scoring::Kind::Window).to_string(),
        p.title(crate::scoring::Kind::Staff).to_string(),
    );
    Ok(page::ok(&NoticePage {
        layout: Layout::new(format!("{label}表彰通报"), Some(&user), urls::RESULTS),
        center: user.center_name.clone(),
        windows: named("window"),
        staff: named("staff"),
        departments,
        date,
        back: format!("/results/{}", p.code),
        label,
        window_title,
        staff_title,
    }))
}

/// The index of `department`'s page, added when it has none yet.
fn department_index(departments: &mut Vec<DepartmentNotice>, department: &str) -> usize {
    match departments.iter().position(|d| d.department == department) {
        Some(i) => i,
        None => {
            departments.push(DepartmentNotice {
                department: department.to_string(),
                windows: Vec::new(),
                staff: Vec::new(),
                lines: Vec::new(),
            });
            departments.len() - 1
        }
    }
}
