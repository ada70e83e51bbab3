//! 记一条考核记录: find the window or person (by name, window number or employee number),
//! then the standard, how many times, the day, a note and photos; from a phone at the
//! counter as from a desk. The month's score follows at once.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use time::Date;

use super::score::{Refused, follow_records};
use super::{kind_label, month_of, record_url, rules_url};
use crate::db::{self, assessment::Mode};
use crate::domain::assessment::points_text;
use crate::domain::ids::{Entrant, StandardId};
use crate::domain::photo;
use crate::http::AppState;
use crate::http::error::AppResult;
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, FieldError, Fields, FormData, form_with_files};
use crate::http::page::{self, Layout};

/// Photos one record may carry.
pub const MAX_PHOTOS: usize = 3;
/// The address of the form.
pub const NEW: &str = "/assessment/records/new";

/// The form as typed.
#[derive(Default)]
pub struct Values {
    pub target: String,
    pub standard: String,
    pub occurrences: String,
    pub occurred_on: String,
    pub note: String,
    pub reason: String,
}

/// A group of standards in the select box: an item and its standards (id, words).
pub struct StandardGroup {
    pub item: String,
    pub options: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "assessment/record_form.html")]
struct FormPage {
    layout: Layout,
    q: String,
    found: Vec<(String, String)>,
    searched: bool,
    target_label: Option<String>,
    /// Why no record can be made for the target this month (direct entry, no rules).
    unavailable: Option<(String, String)>,
    groups: Vec<StandardGroup>,
    values: Values,
    errors: Errors,
    max_photos: usize,
    action: &'static str,
}

/// The standards of the rules in force for `entrant` on `day`, grouped by item; `Err` the
/// reason there are none (the month is typed directly) and where the rules are.
async fn standards(
    conn: &mut sqlx::PgConnection,
    user: &CurrentUser,
    entrant: Entrant,
    day: Date,
) -> AppResult<Result<db::assessment::Rules, (String, String)>> {
    let month = month_of(day);
    let rules =
        db::assessment::rules::in_force(conn, user.center_id, entrant.kind(), &month).await?;
    Ok(match rules {
        Some(r) if r.mode == Mode::Records => Ok(r),
        _ => Err((
            format!(
                "{}的{}考核为直接录入月度总分，没有考核细则，不能逐条记录。",
                crate::domain::period::month_label(&month),
                kind_label(entrant.kind())
            ),
            rules_url(entrant.kind()),
        )),
    })
}

fn groups(rules: &db::assessment::Rules) -> Vec<StandardGroup> {
    rules
        .items
        .iter()
        .filter(|i| !i.standards.is_empty())
        .map(|i| StandardGroup {
            item: i.name.clone(),
            options: i
                .standards
                .iter()
                .map(|s| {
                    let cap = s
                        .cap
                        .map(|c| format!("，每月最多 {} 分", points_text(c, false)))
                        .unwrap_or_default();
                    (
                        s.id.to_string(),
                        format!("{}（{} 分/次{cap}）", s.name, points_text(s.points, true)),
                    )
                })
                .collect(),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    user: &CurrentUser,
    q: String,
    entrant: Option<Entrant>,
    values: Values,
    errors: Errors,
) -> AppResult<Response> {
    let today = state.clock.today();
    let mut conn = state.db.acquire().await?;
    let found = db::assessment::find(&mut conn, user.center_id, &q, 30)
        .await?
        .into_iter()
        .map(|(e, label)| (format!("{NEW}?target={}", e.choice_value()), label))
        .collect();
    let mut target_label = None;
    let mut unavailable = None;
    let mut group_list = Vec::new();
    if let Some(e) = entrant {
        target_label = db::assessment::label(&mut conn, user.center_id, e).await?;
        if target_label.is_some() {
            // The standards of the day typed; when that month has none (its error is
            // beside the date), today's.
            let typed = crate::http::form::date(&values.occurred_on).unwrap_or(today);
            let rules = match standards(&mut conn, user, e, typed).await? {
                Ok(rules) => Ok(rules),
                Err(_) if typed != today => standards(&mut conn, user, e, today).await?,
                Err(why) => Err(why),
            };
            match rules {
                Ok(rules) => group_list = groups(&rules),
                Err(why) => unavailable = Some(why),
            }
        }
    }
    drop(conn);
    let invalid = !errors.is_empty();
    let page = FormPage {
        layout: Layout::new("记录考核", Some(user), super::ASSESSMENT),
        searched: !q.trim().is_empty(),
        q,
        found,
        target_label,
        unavailable,
        groups: group_list,
        values,
        errors,
        max_photos: MAX_PHOTOS,
        action: NEW,
    };
    Ok(page::ok_or_invalid(!invalid, &page))
}

/// `GET /assessment/records/new?q=…` finds; `?target=w12` opens the form for it.
pub(super) async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let query = FormData::parse_query(query.as_deref().unwrap_or(""));
    let q: String = query.echo("q").chars().take(30).collect();
    let target = query.echo("target");
    let entrant = Entrant::parse_choice(&target);
    let values = Values {
        target,
        occurrences: "1".into(),
        occurred_on: state.clock.today().to_string(),
        ..Values::default()
    };
    render(&state, &user, q, entrant, values, Errors::default()).await
}

/// `POST /assessment/records/new`: the record, its photos, and the month's score.
pub(super) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let (parts, form) = match form_with_files(&headers, body).await {
        Ok(read) => read,
        Err(_) => {
            let mut errors = Errors::default();
            errors.add("_form", "表单没有完整收到，请重新填写后提交。");
            return render(
                &state,
                &user,
                String::new(),
                None,
                Values::default(),
                errors,
            )
            .await;
        }
    };
    let today = state.clock.today();
    let mut f = Fields::new(&form);
    let (target, entrant) = f.read("target", |raw| {
        Entrant::parse_choice(raw.trim())
            .ok_or_else(|| FieldError::Message("请先查找并选择窗口或工作人员".into()))
    });
    let (standard_typed, standard) = f.read("standard", |raw| {
        StandardId::parse(raw.trim())
            .ok_or_else(|| FieldError::Message("请选择扣分（加分）标准".into()))
    });
    let (occ_typed, occurrences) = f.read("occurrences", |raw| {
        Ok(crate::domain::text::integer(raw, 1, 99)?)
    });
    let (day_typed, day) = f.read("occurred_on", |raw| {
        let day = crate::http::form::date(raw)?;
        if day > today {
            return Err(FieldError::Message("不能记录今天以后的日期".into()));
        }
        Ok(day)
    });
    let (note_typed, note) = f.read("note", |raw| Ok(crate::domain::text::optional(raw, 500)?));
    let (reason_typed, reason) = f.read("reason", |raw| {
        Ok(crate::domain::text::optional(raw, 1000)?)
    });
    let mut errors = f.errors;
    let values = Values {
        target,
        standard: standard_typed,
        occurrences: occ_typed,
        occurred_on: day_typed,
        note: note_typed,
        reason: reason_typed,
    };
    let files: Vec<&Bytes> = parts
        .iter()
        .filter(|p| p.name == "photo" && p.file_name.is_some() && !p.data.is_empty())
        .map(|p| &p.data)
        .collect();
    if files.len() > MAX_PHOTOS {
        errors.add("photo", format!("每条记录最多 {MAX_PHOTOS} 张照片"));
    }
    let mut photos = Vec::new();
    if errors.is_empty() {
        for file in files {
            match photo::evidence_in_turn(file.clone()).await? {
                Ok(jpeg) => photos.push(jpeg),
                Err(e) => {
                    errors.add("photo", e.message());
                    break;
                }
            }
        }
    }
    let again = async |values: Values, errors: Errors| {
        render(&state, &user, String::new(), entrant, values, errors).await
    };
    let (Some(entrant), Some(standard), Some(occurrences), Some(day), Some(note), Some(reason)) =
        (entrant, standard, occurrences, day, note, reason)
    else {
        return again(values, errors).await;
    };
    if !errors.is_empty() {
        return again(values, errors).await;
    }
    let actor = user.actor(&ip);
    let month = month_of(day);
    let mut tx = state.db.begin().await?;
    db::assessment::lock(&mut tx, user.center_id, entrant.kind()).await?;
    if db::assessment::label(&mut tx, user.center_id, entrant)
        .await?
        .is_none()
    {
        drop(tx);
        errors.add("target", "所选对象不存在或已停用，请重新查找");
        return again(values, errors).await;
    }
    let rules = match standards(&mut tx, &user, entrant, day).await? {
        Ok(r) => r,
        Err((why, _)) => {
            drop(tx);
            errors.add("occurred_on", why);
            return again(values, errors).await;
        }
    };
    let Some((item, s)) = rules.standard(standard.0) else {
        drop(tx);
        errors.add(
            "standard",
            format!(
                "所选标准不属于{}施行的考核细则，请重新选择",
                crate::domain::period::month_label(&month)
            ),
        );
        return again(values, errors).await;
    };
    let words = format!(
        "{} · {}（{}）",
        item.name,
        s.name,
        points_text(s.points, true)
    );
    let new = db::assessment::records::NewRecord {
        entrant,
        standard,
        standard_words: &words,
        occurrences: occurrences as i32,
        occurred_on: day,
        note: &note,
        recorded_at: state.clock.now(),
    };
    let id =
        db::assessment::records::create(&mut tx, &actor, user.center_id, &new, &photos).await?;
    let reason = (!reason.is_empty()).then_some(reason.as_str());
    match follow_records(&mut tx, &user, &actor, &month, &[entrant], reason).await? {
        Ok(()) => {}
        Err(refused) => {
            drop(tx);
            let field = match refused {
                Refused::NeedsReason(_) => "reason",
                Refused::Round(_) => "_form",
            };
            errors.add(field, refused.message());
            return again(values, errors).await;
        }
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?notice=created", record_url(id))).into_response())
}
