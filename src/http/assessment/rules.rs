//! 考核细则: a kind's rules in force and their versions, and a new version typed as the
//! paper sheet is written.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{kind_label, month_of, rules_url};
use crate::db::{self, assessment::Mode};
use crate::domain::assessment::rules_text::{self, STARTING_SHEET};
use crate::domain::assessment::{Item, points_text, satisfaction::rate_text};
use crate::domain::period::{is_month, month_label, shift_month};
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{FieldError, Fields, FormData, one_of_values};
use crate::http::page::{self, Layout};
use crate::scoring::Kind;

/// A version as the page shows it.
pub struct VersionView {
    pub from: String,
    pub mode: &'static str,
    pub appeal_days: i64,
    pub by: String,
    pub items: Vec<ItemView>,
}

pub struct ItemView {
    pub name: String,
    pub max: String,
    pub steps: String,
    pub standards: Vec<(String, String, String)>,
}

pub fn item_views(items: &[Item]) -> Vec<ItemView> {
    items
        .iter()
        .map(|i| ItemView {
            name: i.name.clone(),
            max: points_text(i.max, false),
            steps: i
                .steps
                .as_ref()
                .map(|steps| {
                    let mut words: Vec<String> = steps
                        .iter()
                        .map(|s| {
                            format!(
                                "满意率 ≥ {} 得 {} 分",
                                rate_text(s.min_rate),
                                points_text(s.points, false)
                            )
                        })
                        .collect();
                    words.push("更低得 0 分；当月无评价得满分".into());
                    words.join("；")
                })
                .unwrap_or_default(),
            standards: i
                .standards
                .iter()
                .map(|s| {
                    (
                        s.name.clone(),
                        points_text(s.points, true),
                        s.cap
                            .map(|c| format!("每月最多 {} 分", points_text(c, false)))
                            .unwrap_or_default(),
                    )
                })
                .collect(),
        })
        .collect()
}

/// The form as typed.
pub struct RulesValues {
    pub effective_from: String,
    pub mode: String,
    pub appeal_days: String,
    pub sheet: String,
}

#[derive(Template)]
#[template(path = "assessment/rules.html")]
struct RulesPage {
    layout: Layout,
    kind_label: &'static str,
    other_url: String,
    other_label: &'static str,
    action: String,
    versions: Vec<VersionView>,
    values: RulesValues,
    sheet_errors: Vec<String>,
    errors: crate::http::form::Errors,
}

fn parse_kind(raw: &str) -> AppResult<Kind> {
    Kind::parse(raw).ok_or(AppError::NotFound)
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    kind: Kind,
    values: Option<RulesValues>,
    errors: crate::http::form::Errors,
    sheet_errors: Vec<String>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let versions = db::assessment::rules::versions(&mut conn, user.center_id, kind).await?;
    drop(conn);
    let next_month = shift_month(&month_of(state.clock.today()), 1);
    let values = values.unwrap_or_else(|| {
        let current = versions.first();
        RulesValues {
            effective_from: next_month,
            mode: "records".into(),
            appeal_days: current.map_or(3, |v| v.appeal_days).to_string(),
            sheet: current
                .filter(|v| v.mode == Mode::Records)
                .map(|v| rules_text::format(&v.items))
                .unwrap_or_else(|| STARTING_SHEET.to_string()),
        }
    });
    let other = match kind {
        Kind::Window => Kind::Staff,
        Kind::Staff => Kind::Window,
    };
    let invalid = !errors.is_empty() || !sheet_errors.is_empty();
    let page = RulesPage {
        layout: Layout::new(
            format!("{}考核细则", kind_label(kind)),
            Some(user),
            super::ASSESSMENT,
        )
        .with_notice_of(notice),
        kind_label: kind_label(kind),
        other_url: rules_url(other),
        other_label: kind_label(other),
        action: rules_url(kind),
        versions: versions
            .iter()
            .map(|v| VersionView {
                from: month_label(&v.effective_from),
                mode: v.mode.label(),
                appeal_days: v.appeal_days,
                by: v.created_by.clone().unwrap_or_default(),
                items: item_views(&v.items),
            })
            .collect(),
        values,
        sheet_errors,
        errors,
    };
    Ok(page::ok_or_invalid(!invalid, &page))
}

pub(super) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(kind): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let kind = parse_kind(&kind)?;
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    render(
        &state,
        &user,
        kind,
        None,
        Default::default(),
        Vec::new(),
        Some(&q),
    )
    .await
}

pub(super) async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(kind): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let kind = parse_kind(&kind)?;
    let mut f = Fields::new(&form);
    let (from_typed, from) = f.read("effective_from", |raw| {
        let raw = raw.trim();
        if is_month(raw) {
            Ok(raw.to_string())
        } else {
            Err(FieldError::Message("月份应如 2026-07".into()))
        }
    });
    let (mode_typed, mode) = f.read("mode", |raw| {
        one_of_values(&["direct", "records"])(raw).map(|m| Mode::parse(&m))
    });
    let (days_typed, days) = f.read("appeal_days", |raw| {
        Ok(crate::domain::text::integer(raw, 1, 30)?)
    });
    let (sheet_typed, sheet) = f.read("sheet", |raw| Ok(raw.to_string()));
    let mut errors = f.errors;
    let values = RulesValues {
        effective_from: from_typed,
        mode: mode_typed,
        appeal_days: days_typed,
        sheet: sheet_typed,
    };
    let mut sheet_errors = Vec::new();
    let items = match (&mode, &sheet) {
        (Some(Some(Mode::Records)), Some(sheet)) => match rules_text::parse(sheet) {
            Ok(items) => Some(items),
            Err(e) => {
                sheet_errors = e;
                errors.add("sheet", "细则有误，见上方说明");
                None
            }
        },
        _ => Some(Vec::new()),
    };
    if let (Some(from), Some(Some(mode)), Some(days), Some(items)) = (from, mode, days, items)
        && errors.is_empty()
    {
        let actor = user.actor(&ip);
        let mut tx = state.db.begin().await?;
        db::assessment::lock(&mut tx, user.center_id, kind).await?;
        let new = db::assessment::rules::NewRules {
            kind,
            effective_from: &from,
            mode,
            appeal_days: days,
            items: &items,
        };
        match db::assessment::rules::save(&mut tx, &actor, user.center_id, &new).await? {
            Ok(_) => {
                tx.commit().await?;
                return Ok(
                    Redirect::to(&format!("{}?notice=saved", rules_url(kind))).into_response()
                );
            }
            Err(msg) => errors.add("effective_from", msg),
        }
    }
    render(
        &state,
        &user,
        kind,
        Some(values),
        errors,
        sheet_errors,
        None,
    )
    .await
}
