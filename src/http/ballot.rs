//! The window head's secret ballot (民主推荐): two ballots, windows and staff, among the
//! confirmed candidates; the head's own window and its staff are shown as 回避 and cannot
//! be chosen; a confirmation page lists the choices; a submitted ballot is final and leaves
//! a receipt with its time, never its choices.

use std::collections::{HashMap, HashSet};

use crate::scoring::Kind;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::{ClientIp, CurrentUser};
use super::form::FormData;
use super::page::{self, Layout};
use super::routes::{Access, Routes, WINDOW_HEAD};
use super::urls;
use crate::db::{self, ballot::OpenVote, round::Duty};
use crate::domain::ids::WindowId;
use crate::domain::period::period_label;

const H: Access = Access::Roles(WINDOW_HEAD);

pub fn routes(r: Routes) -> Routes {
    r.get(urls::BALLOT, H, ballot_page)
        .post(urls::BALLOT_REVIEW, H, review)
        .post(urls::BALLOT, H, submit)
}

/// One candidate on a ballot.
pub struct BallotChoice {
    pub id: String,
    pub label: String,
    pub detail: String,
    pub assessment: String,
    pub recused: bool,
    pub checked: bool,
}

/// One of the two ballots.
pub struct BallotView {
    pub kind: &'static str,
    pub title: String,
    pub noun: &'static str,
    pub cap: i64,
    pub options: Vec<BallotChoice>,
    pub cast_at: Option<String>,
    pub error: Option<String>,
}

/// One open vote on the ballot page: its period and its two ballots.
struct VoteView {
    period: String,
    code: String,
    /// Prefix of the ballots' section ids: none for the first vote (`#window`), the period
    /// code for the others (`#p2026-window`), so that every id is unique on the page.
    prefix: String,
    ballots: Vec<BallotView>,
}

impl VoteView {
    fn of(vote: &OpenVote, ballots: Vec<BallotView>, first: bool) -> VoteView {
        VoteView {
            period: period_label(&vote.code),
            code: vote.code.clone(),
            prefix: if first {
                String::new()
            } else {
                format!("p{}-", vote.code)
            },
            ballots,
        }
    }
}

/// A ballot's title (the period's award title) and the noun of its cap.
fn kind_title(vote: &OpenVote, kind: Kind) -> (String, &'static str) {
    match kind {
        Kind::Window => (format!("{}推荐票", vote.window_title), "个窗口"),
        Kind::Staff => (format!("{}推荐票", vote.staff_title), "名工作人员"),
    }
}

/// The candidates of a kind as the snapshot has them, in assessment-rank order.
fn snapshot_candidates(vote: &OpenVote, kind: Kind) -> &[(String, String)] {
    vote.candidates.kind(kind)
}

/// The most candidates one ballot of a kind may recommend.
fn cap_of(vote: &OpenVote, kind: Kind) -> i64 {
    let rules = match kind {
        Kind::Window => &vote.rules.window,
        Kind::Staff => &vote.rules.staff,
    };
    rules.max_recommendations.whole().unwrap_or(0)
}

fn numeric_ids(list: &[(String, String)], prefix: char) -> Vec<i64> {
    list.iter()
        .filter_map(|(id, _)| id.strip_prefix(prefix)?.parse().ok())
        .collect()
}

/// The head's window as fixed when voting opened; `None` when the head is not in this
/// round's electorate (an account created, re-enabled or made head since).
async fn voter_window(
    state: &AppState,
    user: &CurrentUser,
    vote: &OpenVote,
) -> AppResult<Option<WindowId>> {
    let mut conn = state.db.acquire().await?;
    Ok(
        db::round::membership(&mut conn, vote.period_id, Duty::Voter, user.account_id)
            .await?
            .flatten(),
    )
}

const NOT_A_VOTER: &str = "您的账号不在本轮民主推荐的投票人名单中：名单在开始民主推荐时按当时各窗口的负责人确定，之后新建、启用或调整的账号不参加本轮投票。如有疑问，请联系督查科。";

/// The ballot page of a head outside the electorate: no ballot, and why.
fn not_a_voter(user: &CurrentUser, vote: &OpenVote, status: axum::http::StatusCode) -> Response {
    let mut layout = Layout::new("民主推荐", Some(user), urls::BALLOT);
    layout.notice = Some(NOT_A_VOTER);
    page::render(
        status,
        &BallotPage {
            layout,
            votes: vec![VoteView::of(vote, Vec::new(), true)],
            review: urls::BALLOT_REVIEW,
            warnings: Vec::new(),
        },
    )
}

async fn build(
    state: &AppState,
    user: &CurrentUser,
    vote: &OpenVote,
    head_window: WindowId,
    selected: Option<(Kind, &HashSet<String>, String)>,
) -> AppResult<Vec<BallotView>> {
    let windows = snapshot_candidates(vote, Kind::Window);
    let staff = snapshot_candidates(vote, Kind::Staff);
    let mut conn = state.db.acquire().await?;
    let roster = state.roster(&mut conn, user).await?;
    let described = db::ballot::describe(
        &mut conn,
        user.center_id,
        &roster,
        &numeric_ids(windows, 'W'),
        &numeric_ids(staff, 'S'),
    )
    .await?;
    let receipts = db::ballot::receipts(&mut conn, vote.period_id, user.account_id).await?;
    drop(conn);
    let described: HashMap<&str, &(String, String, String, WindowId)> =
        described.iter().map(|d| (d.0.as_str(), d)).collect();
    let mut views = Vec::new();
    for (kind, list) in [(Kind::Window, &windows), (Kind::Staff, &staff)] {
        let (title, noun) = kind_title(vote, kind);
        let options = list
            .iter()
            .filter_map(|(id, a)| {
                let (_, label, detail, window) = described.get(id.as_str())?;
                Some(BallotChoice {
                    id: id.to_string(),
                    label: label.clone(),
                    detail: detail.clone(),
                    assessment: a.clone(),
                    recused: *window == head_window,
                    checked: selected
                        .as_ref()
                        .is_some_and(|(k, s, _)| *k == kind && s.contains(id)),
                })
            })
            .collect();
        views.push(BallotView {
            kind: kind.as_str(),
            title,
            noun,
            cap: cap_of(vote, kind),
            options,
            cast_at: receipts
                .iter()
                .find(|(k, _)| k == kind.as_str())
                .map(|(_, t)| crate::domain::format_datetime(Some(*t))),
            error: selected
                .as_ref()
                .filter(|(k, _, _)| *k == kind)
                .map(|(_, _, e)| e.clone())
                .filter(|e| !e.is_empty()),
        });
    }
    Ok(views)
}

#[derive(Template)]
#[template(path = "ballot/ballot.html")]
struct BallotPage {
    layout: Layout,
    /// Each open vote the head takes part in, latest first: a head may have two (say the
    /// quarter's and the year's), each clearly named.
    votes: Vec<VoteView>,
    review: &'static str,
    /// Password resets made to this account during the vote.
    warnings: Vec<String>,
}

async fn ballot_page(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let open = {
        let mut conn = state.db.acquire().await?;
        db::ballot::open_votes(&mut conn, &state.candidates, user.center_id).await?
    };
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    let layout = Layout::new("民主推荐", Some(&user), urls::BALLOT).with_notice(&q);
    let mut votes = Vec::new();
    for vote in &open {
        if let Some(head_window) = voter_window(&state, &user, vote).await? {
            let ballots = build(&state, &user, vote, head_window, None).await?;
            votes.push(VoteView::of(vote, ballots, votes.is_empty()));
        }
    }
    if votes.is_empty()
        && let Some(vote) = open.first()
    {
        return Ok(not_a_voter(&user, vote, axum::http::StatusCode::OK));
    }
    let warnings = super::extract::reset_warnings(&state, &user).await?;
    Ok(page::ok(&BallotPage {
        layout,
        votes,
        review: urls::BALLOT_REVIEW,
        warnings,
    }))
}

/// The choices of a submitted form, checked against the snapshot: recusal, the cap, no
/// repeats, candidates of the right kind only. Server-side, whatever the form says.
fn check_choices(
    vote: &OpenVote,
    kind: Kind,
    chosen: &[String],
    described: &[(String, String, String, WindowId)],
    head_window: WindowId,
) -> Result<Vec<i64>, String> {
    let candidates = snapshot_candidates(vote, kind);
    let cap = cap_of(vote, kind);
    let (_, noun) = kind_title(vote, kind);
    if chosen.len() as i64 > cap {
        return Err(format!(
            "最多推荐 {cap} {noun}，您选择了 {} 个，请减少后再提交。",
            chosen.len()
        ));
    }
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for id in chosen {
        if !seen.insert(id) || !candidates.iter().any(|(c, _)| c == id) {
            return Err("推荐票中有不在候选名单内的对象，请重新选择。".to_string());
        }
        let Some((_, _, _, window)) = described.iter().find(|d| &d.0 == id) else {
            return Err("推荐票中有不在候选名单内的对象，请重新选择。".to_string());
        };
        if *window == head_window {
            return Err("本窗口及本窗口工作人员须回避，不能推荐。".to_string());
        }
        ids.push(
            id[1..]
                .parse::<i64>()
                .map_err(|_| "推荐票内容有误，请重新选择。".to_string())?,
        );
    }
    Ok(ids)
}

/// Reads the kind and the chosen candidates of a ballot form.
fn read_ballot(form: &FormData) -> Result<(Kind, Vec<String>), AppError> {
    let kind = form
        .raw("kind")
        .ok()
        .and_then(Kind::parse)
        .ok_or(AppError::BadRequest)?;
    let chosen = form.all_utf8("c").map_err(|_| AppError::BadRequest)?;
    Ok((
        kind,
        chosen
            .into_iter()
            .map(|c| c.chars().take(24).collect())
            .collect(),
    ))
}

#[derive(Template)]
#[template(path = "ballot/review.html")]
struct ReviewPage {
    layout: Layout,
    period: String,
    code: String,
    title: String,
    kind: &'static str,
    chosen: Vec<BallotChoice>,
    action: &'static str,
    back: &'static str,
}

/// The open vote a form was filled in for (its `period` field), with its candidates
/// described; `None` when that period's vote is not open.
async fn with_vote(
    state: &AppState,
    user: &CurrentUser,
    form: &FormData,
) -> AppResult<Option<(OpenVote, Vec<(String, String, String, WindowId)>)>> {
    let Ok(code) = form.raw("period") else {
        return Ok(None);
    };
    let mut conn = state.db.acquire().await?;
    let Some(vote) = db::ballot::open_votes(&mut conn, &state.candidates, user.center_id)
        .await?
        .into_iter()
        .find(|v| v.code == code)
    else {
        return Ok(None);
    };
    let w = snapshot_candidates(&vote, Kind::Window);
    let s = snapshot_candidates(&vote, Kind::Staff);
    let roster = state.roster(&mut conn, user).await?;
    let described = db::ballot::describe(
        &mut conn,
        user.center_id,
        &roster,
        &numeric_ids(w, 'W'),
        &numeric_ids(s, 'S'),
    )
    .await?;
    Ok(Some((vote, described)))
}

async fn closed(user: &CurrentUser) -> Response {
    let mut layout = Layout::new("民主推荐", Some(user), urls::BALLOT);
    layout.notice = Some("民主推荐已结束或尚未开始，推荐票未被接收。");
    page::render(
        axum::http::StatusCode::CONFLICT,
        &BallotPage {
            layout,
            votes: Vec::new(),
            review: urls::BALLOT_REVIEW,
            warnings: Vec::new(),
        },
    )
}

async fn invalid(
    state: &AppState,
    user: &CurrentUser,
    vote: &OpenVote,
    head_window: WindowId,
    kind: Kind,
    chosen: &[String],
    msg: String,
) -> AppResult<Response> {
    let set: HashSet<String> = chosen.iter().cloned().collect();
    let ballots = build(state, user, vote, head_window, Some((kind, &set, msg))).await?;
    Ok(page::invalid(&BallotPage {
        layout: Layout::new("民主推荐", Some(user), urls::BALLOT),
        votes: vec![VoteView::of(vote, ballots, true)],
        review: urls::BALLOT_REVIEW,
        warnings: Vec::new(),
    }))
}

async fn review(
    State(state): State<AppState>,
    user: CurrentUser,
    form: FormData,
) -> AppResult<Response> {
    let (kind, chosen) = read_ballot(&form)?;
    let Some((vote, described)) = with_vote(&state, &user, &form).await? else {
        return Ok(closed(&user).await);
    };
    if form.raw("period") != Ok(vote.code.as_str()) {
        return Ok(closed(&user).await);
    }
    let Some(head_window) = voter_window(&state, &user, &vote).await? else {
        return Ok(not_a_voter(&user, &vote, axum::http::StatusCode::FORBIDDEN));
    };
    if let Err(msg) = check_choices(&vote, kind, &chosen, &described, head_window) {
        return invalid(&state, &user, &vote, head_window, kind, &chosen, msg).await;
    }
    let (title, _) = kind_title(&vote, kind);
    let chosen = chosen
        .iter()
        .filter_map(|id| {
            let (_, label, detail, _) = described.iter().find(|d| &d.0 == id)?;
            Some(BallotChoice {
                id: id.clone(),
                label: label.clone(),
                detail: detail.clone(),
                assessment: String::new(),
                recused: false,
                checked: true,
            })
        })
        .collect();
    Ok(page::ok(&ReviewPage {
        layout: Layout::new("确认推荐票", Some(&user), urls::BALLOT),
        period: period_label(&vote.code),
        code: vote.code.clone(),
        title,
        kind: kind.as_str(),
        chosen,
        action: urls::BALLOT,
        back: urls::BALLOT,
    }))
}

async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    let (kind, chosen) = read_ballot(&form)?;
    let Some((vote, described)) = with_vote(&state, &user, &form).await? else {
        return Ok(closed(&user).await);
    };
    // The ballot is for the period it was filled in for, or for none.
    if form.raw("period") != Ok(vote.code.as_str()) {
        return Ok(closed(&user).await);
    }
    let Some(head_window) = voter_window(&state, &user, &vote).await? else {
        return Ok(not_a_voter(&user, &vote, axum::http::StatusCode::FORBIDDEN));
    };
    let ids = match check_choices(&vote, kind, &chosen, &described, head_window) {
        Ok(ids) => ids,
        Err(msg) => {
            return invalid(&state, &user, &vote, head_window, kind, &chosen, msg).await;
        }
    };
    // This process's turn to store a ballot (see `ballot_turns`), taken before a pooled
    // connection is.
    let _turn = state
        .ballots
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = state.db.begin().await?;
    let cast = db::ballot::cast(
        &mut tx,
        &user.actor(&ip),
        user.center_id,
        vote.period_id,
        &vote.code,
        kind,
        head_window,
        &ids,
    )
    .await?;
    match cast {
        Ok(_) => {
            tx.commit().await?;
            metrics::counter!(crate::metrics::BALLOTS, "kind" => kind.as_str()).increment(1);
            Ok(Redirect::to(&format!("{}?notice=voted", urls::BALLOT)).into_response())
        }
        Err(db::ballot::Refused::AlreadyVoted) => {
            drop(tx);
            Ok(Redirect::to(&format!("{}?notice=already_voted", urls::BALLOT)).into_response())
        }
        Err(db::ballot::Refused::VotingClosed) => {
            drop(tx);
            Ok(closed(&user).await)
        }
        Err(db::ballot::Refused::NotAVoter) => {
            drop(tx);
            Ok(not_a_voter(&user, &vote, axum::http::StatusCode::FORBIDDEN))
        }
    }
}
