//! Turnout (投票情况): who has voted, never how

use crate::db;
use crate::domain::period::period_label as label_of;
use crate::http::AppState;
use crate::http::error::AppResult;
use crate::http::extract::PeriodCtx;
use crate::http::page::{self, Layout};
use crate::http::urls;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

pub struct TurnoutRow {
    pub name: String,
    pub active: bool,
    pub window: String,
    pub window_ballot: String,
    pub staff_ballot: String,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "periods/turnout.html")]
struct TurnoutPage<'a> {
    layout: Layout,
    label: String,
    period_url: String,
    /// One page of the electorate.
    rows: Vec<TurnoutRow>,
    /// The whole electorate.
    total: usize,
    paging: crate::http::page::Paging,
    voted: usize,
    disabled: usize,
    /// Those who have not cast both ballots: (window, name).
    reminders: Vec<(&'a str, &'a str)>,
    changes: Vec<ChangeView>,
}

/// A change to the account of a voter or rater made while the round was open.
pub struct ChangeView {
    pub at: String,
    pub by: String,
    pub what: &'static str,
    pub account: String,
}

/// What changed, in words.
fn change_label(action: &str) -> &'static str {
    match action {
        "account.password_reset" => "重置密码",
        "account.disable" => "停用账号",
        "account.enable" => "启用账号",
        "account.create" => "新建账号",
        _ => "修改账号（角色、窗口或姓名等）",
    }
}

/// The changes made during the period's rounds to the accounts taking part in them, with
/// who made them and when: listed wherever the round's outcome is read.
pub async fn member_changes(
    conn: &mut sqlx::PgConnection,
    center_id: crate::domain::ids::CenterId,
    period_id: crate::domain::ids::PeriodId,
) -> sqlx::Result<Vec<ChangeView>> {
    Ok(db::round::member_changes(conn, center_id, period_id)
        .await?
        .into_iter()
        .map(|c| ChangeView {
            at: crate::domain::format_datetime(Some(c.at)),
            by: c.actor_name,
            what: change_label(&c.action),
            account: c.account,
        })
        .collect())
}

/// Heads listed on one page of the turnout (a province's largest center has 1,200).
pub const TURNOUT_PAGE: i64 = 100;

pub(super) async fn turnout(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    if !crate::domain::period::Phase::of(&p.rules).contains(&crate::domain::period::Phase::Voting) {
        return Err(crate::http::error::AppError::Refused {
            field: "",
            message: "本周期的评选方案不进行民主推荐（民主推荐权重为 0），没有投票情况。",
        });
    }
    let mut conn = state.db.acquire().await?;
    let heads = state.electorate(&mut conn, &user, p.period_id).await?;
    let rows = db::ballot::turnout(&mut conn, p.period_id, &heads).await?;
    let changes = member_changes(&mut conn, user.center_id, p.period_id).await?;
    drop(conn);
    let done = |r: &db::ballot::Turnout| r.window_ballot.is_some() && r.staff_ballot.is_some();
    let reminders = rows
        .iter()
        .filter(|r| !done(r))
        .map(|r| (r.window_label, r.display_name))
        .collect();
    let total = rows.len() as i64;
    let at = page::PageOf::new(
        rows.len(),
        TURNOUT_PAGE as usize,
        page::ListQuery::parse(query.as_deref()).page,
    );
    let paging = page::Paging::sized(
        &format!("{}/turnout", urls::period(&p.code)),
        &[],
        at.page,
        total,
        TURNOUT_PAGE,
    );
    let voted = rows.iter().filter(|r| done(r)).count();
    let disabled = rows.iter().filter(|r| !r.active).count();
    // Only the page's rows have their times written out.
    let when = |t: Option<time::OffsetDateTime>| {
        t.map(|t| crate::domain::format_datetime(Some(t)))
            .unwrap_or_else(|| "未投".to_string())
    };
    let rows: Vec<TurnoutRow> = rows
        .iter()
        .skip(at.skipped)
        .take(at.shown)
        .map(|r| TurnoutRow {
            done: done(r),
            active: r.active,
            name: r.display_name.to_string(),
            window: r.window_label.to_string(),
            window_ballot: when(r.window_ballot),
            staff_ballot: when(r.staff_ballot),
        })
        .collect();
    Ok(page::ok(&TurnoutPage {
        layout: Layout::new(
            format!("{} 投票情况", label_of(&p.code)),
            Some(&user),
            urls::PERIODS,
        ),
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        voted,
        disabled,
        total: total as usize,
        paging,
        rows,
        reminders,
        changes,
    }))
}
