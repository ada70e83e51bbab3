//! The city's review (资格审核) and the round's steps: by county and kind, each nomination
//! with its accounts, files and checklist side by side; each condition verified or
//! rejected with a reason; the nomination accepted, rejected with a reason or returned for
//! correction with a deadline of its own. The same page prints as the review sheet.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use time::{Date, PrimitiveDateTime, Time};

use super::nominate::{CheckView, FileView, check_views};
use super::{Side, side, year_of};
use crate::db;
use crate::db::citywide::Round;
use crate::db::citywide::review::{Decision, PhaseRefusal, ReviewRefusal};
use crate::domain::citywide::RoundPhase;
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, FieldError, Fields, FormData, one_of_values};
use crate::http::page::{self, Choice, Layout};
use crate::http::routes::{Access, Routes, SUPERVISION};
use crate::http::urls;
use crate::scoring::Kind;

pub(super) fn routes(r: Routes) -> Routes {
    let a = Access::Roles(SUPERVISION);
    r.get("/citywide/{year}/review", a, page)
        .post("/citywide/{year}/review/{id}", a, decide)
        .post("/citywide/{year}/phase", a, advance)
}

/// The city's round of that year; not found for a county or an unknown year.
pub(super) async fn city_round(
    state: &AppState,
    user: &CurrentUser,
    year: &str,
) -> AppResult<Round> {
    if !matches!(side(state, user.center_id).await?, Side::City) {
        return Err(AppError::NotFound);
    }
    let year = year_of(year)?;
    let mut conn = state.db.acquire().await?;
    db::citywide::round_by_year(&mut conn, user.center_id, year)
        .await?
        .ok_or(AppError::NotFound)
}

/// A condition of a nomination under review.
pub struct ConditionRow {
    pub id: i64,
    pub text: String,
    pub how: String,
    pub note: String,
    pub check: Option<CheckView>,
    /// "", verified or rejected.
    pub review: String,
    pub reason: String,
}

/// A nomination as the reviewer sees it.
pub struct ReviewCard {
    pub id: i64,
    pub county: String,
    pub entrant: String,
    pub detail: String,
    pub status: &'static str,
    pub submitted: String,
    pub brief: String,
    pub full_text: String,
    pub files: Vec<FileView>,
    pub conditions: Vec<ConditionRow>,
    pub version: i32,
    pub action: String,
    pub return_reason: Option<String>,
    pub decision_reason: Option<String>,
    pub return_deadline: String,
    /// What was typed, when a decision came back with errors.
    pub typed: Option<Typed>,
    pub errors: Errors,
}

/// A decision as typed.
#[derive(Clone, Default)]
pub struct Typed {
    pub decision: String,
    pub reason: String,
    pub deadline_date: String,
    pub deadline_time: String,
}

/// A decision that came back with errors: for which nomination, what was typed (the
/// decision, and each condition's review and reason) and what is wrong.
pub struct Failed {
    id: i64,
    typed: Typed,
    conditions: Vec<(i64, String, String)>,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "citywide/review.html")]
struct ReviewPage {
    layout: Layout,
    round: Round,
    reviewing: bool,
    counties: Vec<Choice>,
    kind: Kind,
    windows_tab: String,
    staff_tab: String,
    cards: Vec<ReviewCard>,
}

fn filter(query: Option<&str>) -> (Option<i64>, Kind) {
    let q = FormData::parse_query(query.unwrap_or(""));
    let county = q.first_utf8("county").and_then(|c| c.parse().ok());
    let kind = match q.first_utf8("kind") {
        Some("staff") => Kind::Staff,
        _ => Kind::Window,
    };
    (county, kind)
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    round: Round,
    county: Option<i64>,
    kind: Kind,
    failed: Option<Failed>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let counties = db::citywide::counties(&mut conn, round.center_id).await?;
    let conditions = db::citywide::conditions(&mut conn, round.id, kind).await?;
    let now = state.clock.now();
    let mut cards = Vec::new();
    for n in db::citywide::review::under_review(&mut conn, round.id).await? {
        if n.kind != kind || county.is_some_and(|c| n.county.0 != c) {
            continue;
        }
        let notes = db::citywide::nomination::notes(&mut conn, n.id).await?;
        let reviews = db::citywide::review::condition_reviews(&mut conn, n.id).await?;
        let mut checks = check_views(&mut conn, &n, &conditions, now).await?;
        let failed_here = failed.as_ref().filter(|f| f.id == n.id);
        let text = |c: i64| {
            conditions
                .iter()
                .find(|x| x.id == c)
                .map(|x| x.text.clone())
        };
        let files = FileView::of_nomination(&mut conn, round.year, n.id, text, false).await?;
        let rows = conditions
            .iter()
            .map(|c| {
                let stored = reviews.iter().find(|r| r.0 == c.id);
                let (review, reason) =
                    match failed_here.and_then(|f| f.conditions.iter().find(|t| t.0 == c.id)) {
                        Some((_, r, why)) => (r.clone(), why.clone()),
                        None => (
                            stored.and_then(|r| r.1.clone()).unwrap_or_default(),
                            stored.and_then(|r| r.2.clone()).unwrap_or_default(),
                        ),
                    };
                ConditionRow {
                    id: c.id,
                    text: c.text.clone(),
                    how: c.rule.map_or("申报单位说明或提供材料".to_string(), |r| {
                        r.describe()
                    }),
                    note: notes
                        .iter()
                        .find(|(id, _)| *id == c.id)
                        .map(|(_, t)| t.clone())
                        .unwrap_or_default(),
                    check: checks.remove(&c.id),
                    review,
                    reason,
                }
            })
            .collect();
        let county_name = counties
            .iter()
            .find(|(id, _)| *id == n.county)
            .map(|(_, name)| name.clone())
            .unwrap_or_default();
        cards.push(ReviewCard {
            id: n.id,
            county: county_name,
            status: n.status.label(),
            submitted: crate::domain::format_datetime(n.submitted_at).replace("从未登录", ""),
            action: format!("{}/review/{}", urls::citywide(round.year), n.id),
            return_deadline: crate::domain::format_datetime(n.return_deadline)
                .replace("从未登录", ""),
            typed: failed_here.map(|f| f.typed.clone()),
            errors: failed_here.map(|f| f.errors.clone()).unwrap_or_default(),
            entrant: n.entrant,
            detail: n.detail,
            brief: n.brief,
            full_text: n.full_text,
            files,
            conditions: rows,
            version: n.version,
            return_reason: n.return_reason,
            decision_reason: n.decision_reason,
        });
    }
    let base = format!("{}/review", urls::citywide(round.year));
    let county_q = county.map(|c| format!("&county={c}")).unwrap_or_default();
    let layout = Layout::new(
        format!("资格审核 · {}", round.title),
        Some(user),
        urls::CITYWIDE,
    )
    .with_notice_of(notice);
    let invalid = failed.is_some();
    let page = ReviewPage {
        layout,
        reviewing: matches!(round.phase, RoundPhase::Nomination | RoundPhase::Review),
        counties: counties
            .iter()
            .map(|(id, name)| Choice {
                value: id.to_string(),
                label: name.clone(),
                selected: county == Some(id.0),
            })
            .collect(),
        kind,
        windows_tab: format!("{base}?kind=window{county_q}"),
        staff_tab: format!("{base}?kind=staff{county_q}"),
        cards,
        round,
    };
    Ok(page::ok_or_invalid(!invalid, &page))
}

/// `/citywide/{year}/review?county=&kind=`.
async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let (county, kind) = filter(query.as_deref());
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    render(&state, &user, round, county, kind, None, Some(&q)).await
}

fn deadline_of(date: &str, at: &str) -> Option<time::OffsetDateTime> {
    let d = Date::parse(
        date.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    let t = Time::parse(
        at.trim(),
        time::macros::format_description!("[hour]:[minute]"),
    )
    .ok()?;
    Some(PrimitiveDateTime::new(d, t).assume_offset(time::macros::offset!(+8)))
}

/// `POST /citywide/{year}/review/{id}`: the conditions' reviews and the decision.
async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path((year, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    form: FormData,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let n = {
        let mut conn = state.db.acquire().await?;
        db::citywide::nomination::find_in_round(&mut conn, round.id, id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let (county, _) = filter(query.as_deref());
    let kind = n.kind;
    let conditions = {
        let mut conn = state.db.acquire().await?;
        db::citywide::conditions(&mut conn, round.id, kind).await?
    };
    let mut f = Fields::new(&form);
    let mut reviews = Vec::new();
    let mut typed_conditions = Vec::new();
    for c in &conditions {
        let key = format!("review_{}", c.id);
        let review = form.echo(&key);
        f.with(&key, one_of_values(&["", "verified", "rejected"]));
        let reason_key = format!("review_{}_reason", c.id);
        let (reason_typed, reason) = f.read(&reason_key, |raw| Ok(text::optional(raw, 1000)?));
        let r = match (review.as_str(), reason) {
            ("verified", _) => Some(Ok(())),
            ("rejected", Some(why)) if !why.is_empty() => Some(Err(why)),
            ("rejected", Some(_)) => {
                f.errors.add(&reason_key, "不符合的条件须写明理由");
                None
            }
            _ => None,
        };
        reviews.push((c.id, r));
        typed_conditions.push((c.id, review, reason_typed));
    }
    let typed = Typed {
        decision: form.echo("decision"),
        reason: form.echo("reason"),
        deadline_date: form.echo("deadline_date"),
        deadline_time: form.echo("deadline_time"),
    };
    let reason = f.with("reason", |raw| {
        Ok(text::optional(&raw.replace(['\r', '\n'], " "), 1000)?)
    });
    // Every field is read whatever the decision, so that nothing malformed passes unseen.
    let decided = f.with(
        "decision",
        one_of_values(&["", "accept", "reject", "return"]),
    );
    let date_ok = f
        .with("deadline_date", |raw| {
            let raw = raw.trim();
            if raw.is_empty()
                || Date::parse(
                    raw,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .is_ok()
            {
                Ok(())
            } else {
                Err(FieldError::Message(
                    "请按 2026-12-28 的格式填写日期".to_string(),
                ))
            }
        })
        .is_some();
    let time_ok = f
        .with("deadline_time", |raw| {
            let raw = raw.trim();
            if raw.is_empty()
                || Time::parse(raw, time::macros::format_description!("[hour]:[minute]")).is_ok()
            {
                Ok(())
            } else {
                Err(FieldError::Message("请按 17:30 的格式填写时刻".to_string()))
            }
        })
        .is_some();
    let decision = match (decided.as_deref().unwrap_or(""), reason) {
        _ if !(date_ok && time_ok) => None,
        ("accept", _) => Some(Decision::Accept),
        ("reject", Some(r)) if !r.is_empty() => Some(Decision::Reject(r)),
        ("return", Some(r)) if !r.is_empty() => {
            match deadline_of(&typed.deadline_date, &typed.deadline_time) {
                Some(deadline) if deadline > state.clock.now() => Some(Decision::Return {
                    reason: r,
                    deadline,
                }),
                _ => {
                    f.errors.add(
                        "deadline_date",
                        "请填写补正截止时间（如 2026-12-28 和 17:30），须晚于现在",
                    );
                    None
                }
            }
        }
        ("reject" | "return", Some(_)) => {
            f.errors.add("reason", "不通过或退回补正须写明理由");
            None
        }
        _ => None,
    };
    let version = form.raw("version").ok().and_then(|v| v.parse::<i32>().ok());
    let Some(version) = version.filter(|_| f.ok()) else {
        if version.is_none() {
            f.errors.add("_form", "页面已过期，请刷新后再审核。");
        }
        return render(
            &state,
            &user,
            round,
            county,
            kind,
            Some(Failed {
                id,
                typed,
                conditions: typed_conditions,
                errors: f.errors,
            }),
            None,
        )
        .await;
    };
    let mut tx = state.db.begin().await?;
    let done = db::citywide::review::review(
        &mut tx,
        &user.actor(&ip),
        &round,
        id,
        version,
        &reviews,
        decision.as_ref(),
    )
    .await?;
    if let Err(r) = done {
        drop(tx);
        let mut errors = Errors::default();
        errors.add(
            "_form",
            match r {
                ReviewRefusal::Phase(p) => format!("本轮评选当前为“{}”阶段，不能审核。", p.label()),
                ReviewRefusal::Status(s) => format!("该推荐为“{}”，不能审核。", s.label()),
                ReviewRefusal::Unverified => {
                    "审核通过前，须逐条核实全部申报条件（本次未保存任何内容）。".to_string()
                }
                ReviewRefusal::Stale => {
                    "在您审核期间，该推荐已被修改或审核。请刷新后重新审核（本次未保存）。"
                        .to_string()
                }
            },
        );
        return render(
            &state,
            &user,
            round,
            county,
            kind,
            Some(Failed {
                id,
                typed,
                conditions: typed_conditions,
                errors,
            }),
            None,
        )
        .await;
    }
    tx.commit().await?;
    let county_q = county.map(|c| format!("&county={c}")).unwrap_or_default();
    Ok(Redirect::to(&format!(
        "{}/review?kind={}{county_q}&notice=saved#n{id}",
        urls::citywide(round.year),
        kind.as_str()
    ))
    .into_response())
}

/// `POST /citywide/{year}/phase`: the round's next step.
async fn advance(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(year): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let Some(from) = form.raw("from").ok().and_then(RoundPhase::parse) else {
        return super::open::overview_with(
            &state,
            &user,
            round,
            Some("页面已过期，请刷新后再操作。".to_string()),
            None,
        )
        .await;
    };
    let mut notice = None;
    if from == RoundPhase::Review {
        let mut f = Fields::new(&form);
        let day = |raw: &str| {
            Date::parse(
                raw.trim(),
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| FieldError::Message("请按 2026-12-21 的格式填写日期".to_string()))
        };
        let starts = f.with("notice_starts", day);
        let ends = f.with("notice_ends", day);
        match (starts, ends) {
            (Some(s), Some(e)) if s <= e => {
                let short = db::citywide::review::working_days(s, e) < 5;
                // What blocks the step is said first; a short notice only needs a yes.
                let waiting = {
                    let mut conn = state.db.acquire().await?;
                    db::citywide::review::waiting(&mut conn, round.id, state.clock.now()).await?
                };
                if short && waiting == 0 && !form.checked("short_ok") {
                    return super::open::overview_with(
                        &state,
                        &user,
                        round,
                        Some(format!(
                            "公示期只有 {} 个工作日，少于 5 个工作日。如确需如此，请勾选“公示期不足 5 个工作日，仍然开始公示”后再提交。",
                            db::citywide::review::working_days(s, e)
                        )),
                        Some((form.echo("notice_starts"), form.echo("notice_ends"))),
                    )
                    .await;
                }
                notice = Some((s, e));
            }
            _ => {
                return super::open::overview_with(
                    &state,
                    &user,
                    round,
                    Some(
                        "请填写公示的起止日期（如 2026-12-21 至 2026-12-25），结束不能早于开始。"
                            .to_string(),
                    ),
                    Some((form.echo("notice_starts"), form.echo("notice_ends"))),
                )
                .await;
            }
        }
    }
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    match db::citywide::review::advance(&mut tx, &user.actor(&ip), &round, from, now, notice)
        .await?
    {
        Ok(_) => {
            tx.commit().await?;
            Ok(
                Redirect::to(&format!("{}?notice=phase", urls::citywide(round.year)))
                    .into_response(),
            )
        }
        Err(r) => {
            drop(tx);
            let why = match r {
                PhaseRefusal::Moved => "本轮评选的阶段已由他人变更，请刷新后再操作。".to_string(),
                PhaseRefusal::BeforeDeadline => {
                    "申报尚未截止（以服务器时间为准），截止后才能开始资格审核。".to_string()
                }
                PhaseRefusal::Undecided(n) => format!(
                    "还有 {n} 份推荐未审核完毕（已提交待审核，或退回补正尚在补正期内），全部审核后才能开始公示。"
                ),
                PhaseRefusal::NoticeRunning(ends) => format!(
                    "公示期至 {}年{}月{}日，公示期满后才能进行审核确认。",
                    ends.year(),
                    u8::from(ends.month()),
                    ends.day()
                ),
            };
            super::open::overview_with(&state, &user, round, Some(why), None).await
        }
    }
}
