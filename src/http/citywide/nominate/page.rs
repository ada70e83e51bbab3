//! The nomination page: the form, its files and what may still be done, for a new
//! nomination or one already started.

use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};

use super::values::{NominationValues, check_views};
use crate::db;
use crate::db::citywide::nomination::{self as nom, Nomination};
use crate::db::citywide::{self, Round};
use crate::domain::citywide::NominationStatus;
use crate::domain::ids::CenterId;
use crate::http::AppState;
use crate::http::error::AppResult;
use crate::http::extract::CurrentUser;
use crate::http::form::{Errors, FormData};
use crate::http::page::{self, Choice, Layout, choices};
use crate::http::urls;
use crate::scoring::Kind;

#[derive(Template)]
#[template(path = "citywide/nomination.html")]
struct NominationPage {
    layout: Layout,
    round_url: String,
    action: String,
    /// Set for a nomination already started: who it is.
    existing: Option<Nomination>,
    entrants: Vec<Choice>,
    values: NominationValues,
    errors: Errors,
    brief_limit: usize,
    full_limit: usize,
    editable: bool,
    /// Why it cannot be changed, when it cannot.
    why_not: Option<String>,
    open_until: String,
    withdraw_url: Option<String>,
    files: Vec<FileView>,
    /// Where files are uploaded to, once the nomination exists and may change.
    upload_url: Option<String>,
    file_count_limit: i32,
    file_size_mb: i32,
    /// The conditions a file may be evidence for: (id, text).
    file_conditions: Vec<Choice>,
}

/// A supporting file as listed.
pub struct FileView {
    pub name: String,
    pub size: String,
    pub condition: String,
    pub url: String,
    pub remove_url: Option<String>,
}

impl FileView {
    /// A nomination's files as listed: each with the condition it is evidence for (by
    /// `condition_text`), and a way to remove it when the nomination may still change.
    pub(crate) async fn of_nomination(
        conn: &mut sqlx::PgConnection,
        year: i32,
        nomination: i64,
        condition_text: impl Fn(i64) -> Option<String>,
        removable: bool,
    ) -> AppResult<Vec<FileView>> {
        let base = urls::nomination(year, nomination);
        Ok(db::citywide::files::list(conn, nomination)
            .await?
            .into_iter()
            .map(|f| FileView {
                condition: f
                    .condition
                    .and_then(&condition_text)
                    .unwrap_or_else(|| "整体材料".to_string()),
                size: size_label(f.size),
                url: format!("{base}/files/{}", f.id),
                remove_url: removable.then(|| format!("{base}/files/{}/remove", f.id)),
                name: f.name,
            })
            .collect())
    }
}

/// A size as people read it.
pub fn size_label(bytes: i32) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", f64::from(bytes) / 1048576.0)
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

pub(crate) fn kind_of(query: Option<&str>) -> Kind {
    let q = FormData::parse_query(query.unwrap_or(""));
    match q.first_utf8("kind") {
        Some("staff") => Kind::Staff,
        _ => Kind::Window,
    }
}

/// Who asks, for which county and round.
pub(crate) struct Ctx<'a> {
    pub state: &'a AppState,
    pub user: &'a CurrentUser,
    pub county: CenterId,
    pub round: &'a Round,
}

impl<'a> Ctx<'a> {
    pub(crate) fn of(
        state: &'a AppState,
        user: &'a CurrentUser,
        county: CenterId,
        round: &'a Round,
    ) -> Ctx<'a> {
        Ctx {
            state,
            user,
            county,
            round,
        }
    }

    /// A nomination's page again, with what was typed and what is wrong.
    pub(crate) async fn existing(
        &self,
        n: Nomination,
        values: NominationValues,
        errors: Errors,
    ) -> AppResult<Response> {
        render(self, n.kind, Some(n), values, errors, None).await
    }

    /// The new nomination's form again.
    pub(crate) async fn fresh(
        &self,
        kind: Kind,
        values: NominationValues,
        errors: Errors,
    ) -> AppResult<Response> {
        render(self, kind, None, values, errors, None).await
    }
}

/// Back to a nomination's page, saying what was done.
pub(crate) fn to_nomination(round: &Round, id: i64, notice: &str) -> Response {
    Redirect::to(&format!(
        "{}?notice={notice}",
        urls::nomination(round.year, id)
    ))
    .into_response()
}

pub(crate) async fn render(
    ctx: &Ctx<'_>,
    kind: Kind,
    existing: Option<Nomination>,
    mut values: NominationValues,
    errors: Errors,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let Ctx {
        state,
        user,
        county,
        round,
    } = *ctx;
    let mut conn = state.db.acquire().await?;
    let entrants = if existing.is_none() {
        choices(
            &nom::nominable(&mut conn, round.id, county, kind).await?,
            &values.entrant,
        )
    } else {
        Vec::new()
    };
    let now = state.clock.now();
    let (editable, why_not, open_until) = match &existing {
        None => {
            let open = round.phase == crate::domain::citywide::RoundPhase::Nomination
                && now < round.deadline;
            (
                open,
                (!open).then(|| "申报已截止，不能再新增推荐对象。".to_string()),
                crate::domain::format_datetime(Some(round.deadline)),
            )
        }
        Some(n) => {
            let editable = n.editable(round, now);
            let why = if editable {
                None
            } else {
                Some(match n.status {
                    NominationStatus::Submitted if n.open_until(round).is_some_and(|t| now < t) => {
                        "已提交。如需修改，请先撤回（截止前可撤回后重新提交）。".to_string()
                    }
                    NominationStatus::Accepted | NominationStatus::Rejected => {
                        format!("市级已审核（{}），不能再修改。", n.status.label())
                    }
                    _ => "申报已截止，不能再修改或提交（以服务器时间为准）。".to_string(),
                })
            };
            (
                editable,
                why,
                crate::domain::format_datetime(n.open_until(round)).replace("从未登录", ""),
            )
        }
    };
    let withdraw_url = existing.as_ref().and_then(|n| {
        (n.status == NominationStatus::Submitted && n.open_until(round).is_some_and(|t| now < t))
            .then(|| format!("{}/withdraw", urls::nomination(round.year, n.id)))
    });
    if let Some(n) = &existing {
        let conditions = citywide::conditions(&mut conn, round.id, n.kind).await?;
        let mut checks = check_views(&mut conn, n, &conditions, now).await?;
        for row in values.notes.iter_mut() {
            row.check = checks.remove(&row.id);
        }
    }
    let (files, upload_url) = match &existing {
        Some(n) => {
            let base = urls::nomination(round.year, n.id);
            let text = |c: i64| {
                values
                    .notes
                    .iter()
                    .find(|v| v.id == c)
                    .map(|v| v.text.clone())
            };
            let files =
                FileView::of_nomination(&mut conn, round.year, n.id, text, editable).await?;
            (files, editable.then(|| format!("{base}/files")))
        }
        None => (Vec::new(), None),
    };
    let file_conditions = values
        .notes
        .iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: c.text.clone(),
            selected: false,
        })
        .collect();
    let (brief_limit, full_limit) = round.limits(kind);
    let title = match &existing {
        Some(n) => format!("{}：{}", kind.noun(), n.entrant),
        None => format!("推荐{}", kind.noun()),
    };
    let action = match &existing {
        Some(n) => urls::nomination(round.year, n.id),
        None => format!(
            "{}/nominations?kind={}",
            urls::citywide(round.year),
            kind.as_str()
        ),
    };
    let page = NominationPage {
        layout: Layout::new(title, Some(user), urls::CITYWIDE).with_notice_of(notice),
        round_url: urls::citywide(round.year),
        action,
        existing,
        entrants,
        values,
        brief_limit,
        full_limit,
        editable,
        why_not,
        open_until,
        withdraw_url,
        errors,
        files,
        upload_url,
        file_count_limit: round.file_count_limit,
        file_size_mb: round.file_size_limit / (1024 * 1024),
        file_conditions,
    };
    Ok(page::ok_or_invalid(page.errors.is_empty(), &page))
}
