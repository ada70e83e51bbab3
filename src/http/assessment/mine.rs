//! 我的考核记录: a staff member's own records as they are made, a window head's those of the
//! window and its staff, each with the standard that applied, and this month's breakdowns.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::records::RecordView;
use super::{breakdown_url, month_of};
use crate::db;
use crate::domain::ids::Entrant;
use crate::domain::period::month_label;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::CurrentUser;
use crate::http::page::{self, Layout};

/// The most records the page lists.
const SHOWN: i64 = 300;

#[derive(Template)]
#[template(path = "assessment/mine.html")]
struct MinePage {
    layout: Layout,
    month_label: String,
    /// This month's breakdown of each entrant the user may see: (name, url).
    breakdowns: Vec<(String, String)>,
    records: Vec<RecordView>,
    head: bool,
}

pub(super) async fn page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    let month = month_of(state.clock.today());
    let mut conn = state.db.acquire().await?;
    let mut entrants: Vec<(Entrant, String)> = Vec::new();
    if let Some(w) = user.window_id {
        let label = user
            .window
            .as_ref()
            .map(|i| format!("{}号窗口 {}", i.number, i.name))
            .unwrap_or_else(|| "本窗口".into());
        entrants.push((Entrant::Window(w), label));
        for (s, name) in db::org::window_staff(&mut conn, user.center_id, w).await? {
            entrants.push((Entrant::Staff(s), name));
        }
    } else if let Some(s) = user.staff_id {
        entrants.push((Entrant::Staff(s), user.display_name.clone()));
    } else {
        return Err(AppError::NotFound);
    }
    let windows: Vec<i64> = entrants
        .iter()
        .filter(|(e, _)| !e.is_staff())
        .map(|(e, _)| e.id())
        .collect();
    let staff: Vec<i64> = entrants
        .iter()
        .filter(|(e, _)| e.is_staff())
        .map(|(e, _)| e.id())
        .collect();
    let rows =
        db::assessment::records::of_entrants(&mut conn, user.center_id, &windows, &staff, SHOWN)
            .await?;
    drop(conn);
    let page = MinePage {
        layout: Layout::new("考核记录", Some(&user), super::MINE),
        month_label: month_label(&month),
        breakdowns: entrants
            .iter()
            .map(|(e, name)| (name.clone(), breakdown_url(&month, *e)))
            .collect(),
        records: rows.iter().map(RecordView::of).collect(),
        head: user.window_id.is_some(),
    };
    Ok(page::ok(&page))
}
