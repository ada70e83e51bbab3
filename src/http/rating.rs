//! The leadership group's comprehensive ratings (综合评定): every candidate rated 0-100 in
//! one form, saved as a draft and changeable until the phase closes; the democratic results
//! are shown, voting being closed; the group leader sees who has finished.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::AppResult;
use super::extract::{ClientIp, CurrentUser};
use super::form::FormData;
use super::page::{self, Layout};
use super::routes::{Access, LEADERSHIP, Routes};
use super::urls;
use crate::db::snapshot::Candidates;
use crate::db::{self, round::Duty};
use crate::domain::text;
use crate::scoring::{Fixed2, Kind};

const NOT_A_RATER: &str = "您的账号不在本轮综合评定的评分人名单中：名单在开始综合评定时按当时的领导小组成员确定，之后新建、启用或调整的账号不参加本轮评分。如有疑问，请联系督查科。";

pub fn routes(r: Routes) -> Routes {
    r.get(urls::RATINGS, Access::Roles(LEADERSHIP), ratings_page)
        .post(urls::RATINGS, Access::Roles(LEADERSHIP), save)
}

pub struct RatingRow {
    pub id: String,
    pub label: String,
    pub detail: String,
    pub assessment: String,
    pub democratic: String,
    pub value: String,
    pub error: Option<String>,
    /// The candidate's year (annual evaluation only).
    pub record: Option<super::results::RecordView>,
}

pub struct RatingTable {
    pub title: &'static str,
    pub rows: Vec<RatingRow>,
}

#[derive(Template)]
#[template(path = "rating/ratings.html")]
struct RatingsPage {
    layout: Layout,
    period: Option<String>,
    tables: Vec<RatingTable>,
    rated: usize,
    total: usize,
    progress: Vec<(String, bool, i64)>,
    leader: bool,
    /// The annual evaluation: each candidate's honors and monthly scores are shown.
    yearly: bool,
    messages: Vec<String>,
    action: &'static str,
    /// Password resets made to this account during the rating.
    warnings: Vec<String>,
}

fn candidate_ids(candidates: &Candidates, kind: Kind) -> Vec<(String, String)> {
    candidates.kind(kind).to_vec()
}

/// D of each candidate, from the closed vote's counts (by the scoring module).
async fn democratic(
    conn: &mut sqlx::PgConnection,
    user: &CurrentUser,
    period: &db::period::PeriodRow,
) -> AppResult<HashMap<String, Fixed2>> {
    let (mut input, _) = db::results::round_input(conn, user.center_id, period).await?;
    input.tallies = db::ballot::tallies(conn, period.period_id).await?;
    Ok(match crate::scoring::compute(&input) {
        Ok(r) => r
            .window
            .entrants
            .iter()
            .chain(&r.staff.entrants)
            .filter_map(|e| Some((e.id.clone(), e.democratic?)))
            .collect(),
        Err(refusal) => {
            tracing::error!(period = %period.code, %refusal, "democratic results could not be computed");
            HashMap::new()
        }
    })
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    typed: Option<&HashMap<String, (String, Option<String>)>>,
    messages: Vec<String>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut layout = Layout::new("综合评定", Some(user), urls::RATINGS);
    if let Some(q) = notice {
        layout = layout.with_notice(q);
    }
    let mut conn = state.db.acquire().await?;
    let Some(open) = db::rating::open_rating(&mut conn, &state.candidates, user.center_id).await?
    else {
        let page_ = RatingsPage {
            layout,
            period: None,
            tables: Vec::new(),
            rated: 0,
            total: 0,
            progress: Vec::new(),
            leader: user.is_group_leader,
            yearly: false,
            messages: messages.clone(),
            action: urls::RATINGS,
            warnings: Vec::new(),
        };
        return Ok(page::ok_or_invalid(messages.is_empty(), &page_));
    };
    let rater = db::round::membership(&mut conn, open.period_id, Duty::Rater, user.account_id)
        .await?
        .is_some();
    if !rater {
        layout.notice = Some(NOT_A_RATER);
        return Ok(page::ok(&RatingsPage {
            layout,
            period: Some(crate::domain::period::period_label(&open.code)),
            tables: Vec::new(),
            rated: 0,
            total: 0,
            progress: Vec::new(),
            leader: user.is_group_leader,
            yearly: false,
            messages: Vec::new(),
            action: urls::RATINGS,
            warnings: Vec::new(),
        }));
    }
    let windows = candidate_ids(&open.candidates, Kind::Window);
    let staff = candidate_ids(&open.candidates, Kind::Staff);
    let num = |list: &[(String, String)]| -> Vec<i64> {
        list.iter()
            .filter_map(|(id, _)| id[1..].parse().ok())
            .collect()
    };
    let roster = state.roster(&mut conn, user).await?;
    let described = db::ballot::describe(
        &mut conn,
        user.center_id,
        &roster,
        &num(&windows),
        &num(&staff),
    )
    .await?;
    let mine: HashMap<String, i32> = db::rating::mine(&mut conn, open.period_id, user.account_id)
        .await?
        .into_iter()
        .collect();
    let yearly = open.code.len() == 4;
    let (d, records) = match db::period::period_by_code(&mut conn, user.center_id, &open.code)
        .await?
    {
        Some(period) => {
            let ids: Vec<String> = windows.iter().chain(&staff).map(|c| c.0.clone()).collect();
            (
                democratic(&mut conn, user, &period).await?,
                super::results::candidate_records(&mut conn, user.center_id, &period, &ids).await?,
            )
        }
        None => (HashMap::new(), HashMap::new()),
    };
    let progress = if user.is_group_leader {
        db::rating::progress(&mut conn, user.center_id, open.period_id).await?
    } else {
        Vec::new()
    };
    drop(conn);
    let total = windows.len() + staff.len();
    let rated = windows
        .iter()
        .chain(&staff)
        .filter(|(id, _)| mine.contains_key(id))
        .count();
    let table = |title: &'static str, list: &[(String, String)]| RatingTable {
        title,
        rows: list
            .iter()
            .map(|(id, a)| {
                let (label, detail) = described
                    .iter()
                    .find(|x| &x.0 == id)
                    .map(|x| (x.1.clone(), x.2.clone()))
                    .unwrap_or_else(|| (id.clone(), String::new()));
                let saved = mine
                    .get(id)
                    .map(|h| Fixed2(i64::from(*h)).to_string())
                    .unwrap_or_default();
                let (value, error) = match typed.and_then(|t| t.get(id)) {
                    Some((v, e)) => (v.clone(), e.clone()),
                    None => (saved, None),
                };
                RatingRow {
                    id: id.clone(),
                    label,
                    detail,
                    assessment: a.clone(),
                    democratic: d
                        .get(id)
                        .map(ToString::to_string)
                        .unwrap_or_else(|| "—".to_string()),
                    value,
                    error,
                    record: yearly.then(|| super::results::RecordView::of(records.get(id))),
                }
            })
            .collect(),
    };
    let page_ = RatingsPage {
        layout,
        period: Some(crate::domain::period::period_label(&open.code)),
        tables: vec![table("窗口", &windows), table("工作人员", &staff)],
        rated,
        total,
        progress,
        leader: user.is_group_leader,
        yearly,
        messages: messages.clone(),
        action: urls::RATINGS,
        warnings: super::extract::reset_warnings(state, user).await?,
    };
    Ok(page::ok_or_invalid(messages.is_empty(), &page_))
}

async fn ratings_page(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    render(&state, &user, None, Vec::new(), Some(&q)).await
}

async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    let open = {
        let mut conn = state.db.acquire().await?;
        db::rating::open_rating(&mut conn, &state.candidates, user.center_id).await?
    };
    let Some(open) = open else {
        return render(
            &state,
            &user,
            None,
            vec!["综合评定已结束或尚未开始，评分未被保存。".to_string()],
            None,
        )
        .await;
    };
    let candidates: Vec<String> = candidate_ids(&open.candidates, Kind::Window)
        .into_iter()
        .chain(candidate_ids(&open.candidates, Kind::Staff))
        .map(|(id, _)| id)
        .collect();
    let mut typed = HashMap::new();
    let mut values = Vec::new();
    let mut bad = 0;
    for id in &candidates {
        let raw = match form.raw(&format!("r{id}")) {
            Ok(v) => v,
            Err(super::form::FieldError::Missing) => continue,
            Err(e) => {
                bad += 1;
                typed.insert(
                    id.clone(),
                    (form.echo(&format!("r{id}")), Some(e.message())),
                );
                continue;
            }
        };
        match text::score(raw) {
            Ok(v) => {
                typed.insert(id.clone(), (raw.chars().take(20).collect(), None));
                values.push((id.clone(), v));
            }
            Err(msg) => {
                bad += 1;
                typed.insert(
                    id.clone(),
                    (raw.chars().take(20).collect(), Some(msg.to_string())),
                );
            }
        }
    }
    if bad > 0 {
        let msg = format!(
            "有 {bad} 个评分需要修改：评分应在 0 到 100 之间，最多两位小数。尚未保存任何评分。"
        );
        return render(&state, &user, Some(&typed), vec![msg], None).await;
    }
    let mut tx = state.db.begin().await?;
    if !db::rating::lock_open(&mut tx, user.center_id, open.period_id).await? {
        drop(tx);
        return render(
            &state,
            &user,
            Some(&typed),
            vec!["综合评定已结束，评分未被保存。".to_string()],
            None,
        )
        .await;
    }
    if db::round::membership(&mut tx, open.period_id, Duty::Rater, user.account_id)
        .await?
        .is_none()
    {
        drop(tx);
        return render(&state, &user, None, Vec::new(), None).await;
    }
    db::advisory_lock(
        &mut tx,
        &format!("rating {} {}", open.period_id, user.account_id),
    )
    .await?;
    let mine: HashMap<String, i32> = db::rating::mine(&mut tx, open.period_id, user.account_id)
        .await?
        .into_iter()
        .collect();
    let actor = user.actor(&ip);
    for (id, new) in values {
        let before = mine.get(&id).copied();
        if before != new {
            db::rating::set(
                &mut tx,
                &actor,
                user.center_id,
                open.period_id,
                &open.code,
                &id,
                before,
                new,
            )
            .await?;
        }
    }
    tx.commit().await?;
    metrics::counter!(crate::metrics::RATINGS).increment(1);
    Ok(Redirect::to(&format!("{}?notice=saved", urls::RATINGS)).into_response())
}
