//! Why a month's score is what it is: the items of the rules in force, each standard that
//! applied with its count and cap, the public's-rating step, and the records behind them.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::breakdown_url;
use super::records::RecordView;
use crate::db;
use crate::domain::Role;
use crate::domain::assessment::{ItemLine, points_text, satisfaction::rate_text};
use crate::domain::period::{is_month, month_label, shift_month};
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::CurrentUser;
use crate::http::page::{self, Layout};
use crate::http::records::{parse_entrant, visible};
use crate::scoring::Fixed2;

pub struct LineView {
    pub item: String,
    pub max: String,
    pub base: String,
    pub rate: String,
    pub standards: Vec<String>,
    pub points: String,
    pub lost: bool,
}

fn line_view(l: &ItemLine) -> LineView {
    LineView {
        item: l.name.clone(),
        max: points_text(l.max, false),
        base: points_text(l.base, false),
        rate: l.rate.map(rate_text).unwrap_or_default(),
        standards: l
            .standards
            .iter()
            .map(|s| {
                let mut words = format!(
                    "{} {} × {} 次 = {}",
                    s.name,
                    points_text(s.points, true),
                    s.occurrences,
                    points_text(s.raw, true)
                );
                if s.counted != s.raw {
                    words.push_str(&format!("，按每月上限计 {}", points_text(s.counted, true)));
                }
                words
            })
            .collect(),
        points: points_text(l.points, false),
        lost: l.points < l.max,
    }
}

#[derive(Template)]
#[template(path = "assessment/breakdown.html")]
struct BreakdownPage {
    layout: Layout,
    name: String,
    detail: String,
    month_label: String,
    prev: String,
    next: String,
    by_records: bool,
    from: String,
    lines: Vec<LineView>,
    total: String,
    stored: String,
    /// The grid's score differs from what the records give (not yet generated).
    differs: bool,
    records: Vec<RecordView>,
    year_url: String,
}

pub(super) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((month, entrant)): Path<(String, String)>,
) -> AppResult<Response> {
    let (true, Some(entrant)) = (is_month(&month), parse_entrant(&entrant)) else {
        return Err(AppError::NotFound);
    };
    let mut conn = state.db.acquire().await?;
    let Some((name, detail)) = visible(&mut conn, &user, entrant).await? else {
        return Err(AppError::NotFound);
    };
    let computed = db::assessment::breakdown(&mut conn, user.center_id, entrant, &month).await?;
    let stored = db::score::stored(&mut conn, user.center_id, entrant, &month).await?;
    let rows =
        db::assessment::records::of_month(&mut conn, user.center_id, &month, Some(entrant)).await?;
    drop(conn);
    let current = if matches!(user.role, Role::WindowHead | Role::Staff) {
        super::MINE
    } else {
        super::ASSESSMENT
    };
    let stored_text = stored.map_or_else(
        || "未录入".to_string(),
        |h| Fixed2(i64::from(h)).to_string(),
    );
    let page = BreakdownPage {
        layout: Layout::new(
            format!("{name} {} 考核得分", month_label(&month)),
            Some(&user),
            current,
        ),
        name,
        detail,
        month_label: month_label(&month),
        prev: breakdown_url(&shift_month(&month, -1), entrant),
        next: breakdown_url(&shift_month(&month, 1), entrant),
        by_records: computed.is_some(),
        from: computed
            .as_ref()
            .map(|(r, _)| month_label(&r.effective_from))
            .unwrap_or_default(),
        lines: computed
            .as_ref()
            .map(|(_, b)| b.items.iter().map(line_view).collect())
            .unwrap_or_default(),
        total: computed
            .as_ref()
            .map(|(_, b)| Fixed2(b.total).to_string())
            .unwrap_or_default(),
        differs: computed
            .as_ref()
            .is_some_and(|(_, b)| stored.map(i64::from) != Some(b.total)),
        stored: stored_text,
        records: rows.iter().map(RecordView::of).collect(),
        year_url: crate::http::records::url(&month[..4], entrant),
    };
    Ok(page::ok(&page))
}
