//! Moving a period through its phases: the confirmation page that says what the step does
//! and what is missing, and the move itself under the period row's lock.

use crate::db;
use crate::domain::period::period_label as label_of;
use crate::domain::period::{Phase, month_label};
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::PeriodCtx;
use crate::http::form::FormData;
use crate::http::page::{self, Layout};
use crate::http::scores::{gap_words, not_assessed_url};
use crate::http::urls;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "periods/phase.html")]
struct ConfirmPage {
    layout: Layout,
    label: String,
    from: &'static str,
    to: &'static str,
    to_code: &'static str,
    effects: Vec<String>,
    missing: Vec<String>,
    /// Months with active entrants that have neither a score nor a "not assessed" mark.
    incomplete: Vec<IncompleteView>,
    /// The move confirms candidates, and so locks the months: it needs them complete.
    confirms: bool,
    /// The move computes or confirms candidates: what is missing weighs on them.
    about_candidates: bool,
    /// Other periods using the months this confirmation locks, with those months.
    shared: Vec<String>,
    /// What the confirmation confirms: the candidates of each kind as computed now.
    candidates: Vec<super::candidates::CandidateTable>,
    candidates_url: String,
    available: bool,
    action: String,
    cancel: String,
}

/// An incomplete month as the confirmation page lists it, with where to complete it.
pub struct IncompleteView {
    pub text: String,
    pub url: String,
}

/// What a move does, in words.
fn effects(from: Phase, to: Phase) -> Vec<String> {
    match (from, to) {
        (Phase::Entry, Phase::Candidates) => vec![
            "结束考核录入，进入候选确定阶段。".into(),
            "系统将按本周期各月考核分数、在岗天数和一票否决情形计算候选对象，供督查科核对。".into(),
            "在确认候选对象之前，仍可修改考核分数，也可退回考核录入阶段。".into(),
        ],
        (Phase::Candidates, Phase::Entry) => vec!["退回考核录入阶段，候选对象待重新确定。".into()],
        (_, Phase::Voting) => vec![
            "确认候选对象并开始民主推荐；确认后本周期各月考核分数锁定，修改须作为更正并说明理由。"
                .into(),
        ],
        (Phase::Candidates, Phase::Rating) => vec![
            "确认候选对象并开始综合评定（本周期不进行民主推荐）；确认后本周期各月考核分数锁定，修改须作为更正并说明理由。"
                .into(),
        ],
        (Phase::Candidates, Phase::Review) => vec![
            "确认候选对象，并按本周期方案的权重计算总分、排出名次（本周期不进行民主推荐和综合评定）。".into(),
            "确认后本周期各月考核分数锁定，修改须作为更正并说明理由。".into(),
            "进入审定：名额线上并列的由组长选定并写明理由，然后由组长发布。".into(),
        ],
        (Phase::Voting, Phase::Review) => vec![
            "结束民主推荐：尚未投票的窗口负责人将不能再投票，已提交的推荐票全部计入。".into(),
            "系统按本周期方案的权重计算总分并排出名次，供领导小组审定（本周期不进行综合评定）。".into(),
        ],
        (Phase::Voting, Phase::Rating) => vec![
            "结束民主推荐：尚未投票的窗口负责人将不能再投票，已提交的推荐票全部计入。".into(),
            "进入综合评定，领导小组成员开始评分，并可查看民主推荐结果。".into(),
        ],
        (Phase::Rating, Phase::Review) => vec![
            "结束综合评定：评分不能再修改。".into(),
            "系统按 考核、民主推荐、综合评定 的权重计算总分并排出名次，供领导小组审定；并列待定的由组长选定并写明理由。".into(),
        ],
        (_, to) => vec![format!("进入{}阶段。", to.label())],
    }
}

/// The moves this version carries out.
fn available(from: Phase, to: Phase) -> bool {
    matches!(
        (from, to),
        (Phase::Entry, Phase::Candidates)
            | (Phase::Candidates, Phase::Entry)
            | (Phase::Candidates, Phase::Voting)
            | (Phase::Candidates, Phase::Rating)
            | (Phase::Candidates, Phase::Review)
            | (Phase::Voting, Phase::Rating)
            | (Phase::Voting, Phase::Review)
            | (Phase::Rating, Phase::Review)
    )
}

pub(super) async fn confirm_page(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let from = p.phase;
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    let to = match q.first_utf8("to").and_then(Phase::parse) {
        // The group leader publishes, on the results page.
        Some(Phase::Published) => {
            return Ok(Redirect::to(&format!("/results/{}", p.code)).into_response());
        }
        Some(to) if Some(to) == from.next_for(&p.rules) || Some(to) == from.back() => to,
        _ => return Ok(Redirect::to(&urls::period(&p.code)).into_response()),
    };
    let mut missing = Vec::new();
    if from == Phase::Voting {
        // Exactly who, by name: the group can still remind them before closing.
        let mut conn = state.db.acquire().await?;
        let heads = state.electorate(&mut conn, &user, p.period_id).await?;
        let rows = db::ballot::turnout(&mut conn, p.period_id, &heads).await?;
        let not_voted = rows
            .iter()
            .filter(|r| r.window_ballot.is_none() || r.staff_ballot.is_none())
            .count();
        if not_voted > 0 {
            missing.push(format!("{not_voted} 名窗口负责人尚未投完两张推荐票"));
        }
        for r in &rows {
            let unset: Vec<&str> = [
                (r.window_ballot.is_none(), "窗口推荐票"),
                (r.staff_ballot.is_none(), "工作人员推荐票"),
            ]
            .into_iter()
            .filter_map(|(missing, what)| missing.then_some(what))
            .collect();
            if !unset.is_empty() {
                missing.push(format!(
                    "{} {}{}：尚未投{}",
                    r.window_label,
                    r.display_name,
                    if r.active {
                        ""
                    } else {
                        "（账号已停用）"
                    },
                    unset.join("、")
                ));
            }
        }
    }
    if from == Phase::Rating {
        let mut conn = state.db.acquire().await?;
        let total =
            match db::rating::open_rating(&mut conn, &state.candidates, user.center_id).await? {
                Some(open) if open.period_id == p.period_id => {
                    let c = &open.candidates;
                    (c.len()) as i64
                }
                _ => 0,
            };
        for (name, _, n) in db::rating::progress(&mut conn, user.center_id, p.period_id).await? {
            if n < total {
                missing.push(format!("{name}：已评 {n} / {total} 个候选对象"));
            }
        }
    }
    let confirms = from == Phase::Candidates && to != Phase::Entry;
    // The months this confirmation locks are locked for every period that uses them.
    let mut shared = Vec::new();
    if confirms {
        let mut conn = state.db.acquire().await?;
        for (code, months) in
            db::period::sharing_months(&mut conn, user.center_id, p.period_id, &p.months).await?
        {
            shared.push(format!(
                "{}（{}）",
                label_of(&code),
                months
                    .iter()
                    .map(|m| month_label(m))
                    .collect::<Vec<_>>()
                    .join("、")
            ));
        }
    }
    let candidates = if confirms {
        super::candidates::candidate_tables(&state, &user, &p, None)
            .await?
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut incomplete = Vec::new();
    if from == Phase::Entry || confirms {
        let mut conn = state.db.acquire().await?;
        let m =
            db::period::missing(&mut conn, user.center_id, p.period_id, &p.months, None).await?;
        for i in &m.incomplete {
            incomplete.push(IncompleteView {
                text: format!(
                    "{}：{}既没有考核分数，也未登记未参加考核",
                    month_label(&i.month),
                    gap_words(i)
                ),
                url: not_assessed_url(&i.month),
            });
        }
        if m.staff_without_duty_days > 0 {
            missing.push(format!(
                "{} 名工作人员没有登记在岗天数",
                m.staff_without_duty_days
            ));
        }
    }
    Ok(page::ok(&ConfirmPage {
        layout: Layout::new(
            format!("{}：{}", label_of(&p.code), to.label()),
            Some(&user),
            urls::PERIODS,
        )
        .with_notice(&q),
        label: label_of(&p.code),
        from: from.label(),
        to: to.label(),
        to_code: to.as_str(),
        effects: effects(from, to),
        missing,
        incomplete,
        confirms,
        about_candidates: from == Phase::Entry || confirms,
        shared,
        candidates,
        candidates_url: format!("{}/candidates", urls::period(&p.code)),
        available: available(from, to),
        action: format!("{}/phase", urls::period(&p.code)),
        cancel: urls::period(&p.code),
    }))
}

pub(super) async fn change_phase(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    form: FormData,
) -> AppResult<Response> {
    let PeriodCtx {
        user,
        period: p,
        actor,
    } = ctx;
    let Some(to) = form.raw("to").ok().and_then(Phase::parse) else {
        return Err(AppError::BadRequest);
    };
    let mut tx = state.db.begin().await?;
    let from = db::period::lock_phase(&mut tx, user.center_id, p.period_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The move is checked against the phase as it is now, under the lock: a second click,
    // or a colleague who moved it first, changes nothing.
    let allowed =
        (Some(to) == from.next_for(&p.rules) || Some(to) == from.back()) && available(from, to);
    if !allowed {
        drop(tx);
        return Ok(
            Redirect::to(&format!("{}?notice=phase_unchanged", urls::period(&p.code)))
                .into_response(),
        );
    }
    // Leaving 候选确定 forward confirms the candidates, whichever phase comes next.
    if from == Phase::Candidates && to != Phase::Entry {
        // It locks the period's months, which only complete months may be: a score save
        // or a "not assessed" mark holds the rows of the periods using its month, so this
        // count cannot miss one in flight.
        let m = db::period::missing(&mut tx, user.center_id, p.period_id, &p.months, None).await?;
        if !m.incomplete.is_empty() {
            drop(tx);
            return Ok(Redirect::to(&format!(
                "{}/phase?to={}&notice=incomplete",
                urls::period(&p.code),
                to.as_str()
            ))
            .into_response());
        }
        // Nor months with an appeal still open: its review may change a score. Filing an
        // appeal locks the periods using its month, so none is missed.
        if db::assessment::appeals::open_in(&mut tx, user.center_id, &p.months).await? > 0 {
            drop(tx);
            return Ok(
                Redirect::to(&format!("{}?notice=open_appeals", urls::period(&p.code)))
                    .into_response(),
            );
        }
        // Computed inside the transaction that holds the period row: no score, duty day or
        // veto can change between this computation and the lock it brings.
        let (input, names) = db::period::load_input(&mut tx, user.center_id, &p).await?;
        let result = crate::scoring::compute(&input).map_err(|r| {
            AppError::Internal(anyhow::anyhow!(
                "period {} refused by the scoring module: {r}",
                p.code
            ))
        })?;
        db::results::confirm_candidates(
            &mut tx,
            &actor,
            user.center_id,
            &p,
            &input,
            &names,
            &result,
        )
        .await?;
    }
    // Votes of several periods may run at once (a head sees each ballot named by its
    // period); the leadership group rates one period at a time.
    if to == Phase::Rating
        && db::period::other_in_phase(&mut tx, user.center_id, p.period_id, to.as_str()).await?
    {
        drop(tx);
        return Ok(
            Redirect::to(&format!("{}?notice=other_round", urls::period(&p.code))).into_response(),
        );
    }
    db::period::set_phase(
        &mut tx,
        &actor,
        user.center_id,
        p.period_id,
        &p.code,
        from.as_str(),
        to.as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?notice=phase", urls::period(&p.code))).into_response())
}
