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

/// A department's feedback page: its honorees of each kind.
pub struct DepartmentNotice {
    pub department: String,
    pub windows: Vec<Named>,
    pub staff: Vec<Named>,
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
    let mut departments: Vec<DepartmentNotice> = Vec::new();
    for h in current() {
        let at = match departments
            .iter()
            .position(|d| d.department == h.department)
        {
            Some(i) => i,
            None => {
                departments.push(DepartmentNotice {
                    department: h.department.clone(),
                    windows: Vec::new(),
                    staff: Vec::new(),
                });
                departments.len() - 1
            }
        };
        let entry = Named {
            name: h.name.clone(),
            window: h.window_label.clone(),
        };
        if h.kind == "staff" {
            departments[at].staff.push(entry);
        } else {
            departments[at].windows.push(entry);
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
