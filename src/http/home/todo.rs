//! Each role's to-do list, at the top of its home page: what is waiting for this person now,
//! each with the link that does it.

use crate::db::{self, round::Duty};
use crate::domain::period::{
    PeriodKind, Phase, current_month, month_label, period_label, shift_month,
};
use crate::http::AppState;
use crate::http::error::AppResult;
use crate::http::extract::CurrentUser;
use crate::http::scores::gap_words;
use crate::http::urls;
use crate::scoring::Kind;

/// One line of a to-do list.
pub struct Todo {
    pub text: String,
    pub href: String,
    /// The button's words ("去投票"); empty for a line that only informs.
    pub action: &'static str,
    /// Already done (shown as such, for the record).
    pub done: bool,
}

impl Todo {
    fn open(text: String, href: String, action: &'static str) -> Todo {
        Todo {
            text,
            href,
            action,
            done: false,
        }
    }

    fn done(text: String) -> Todo {
        Todo {
            text,
            href: String::new(),
            action: "",
            done: true,
        }
    }
}

/// A month with active windows or staff that have neither a score nor a "not assessed" mark.
fn scores_missing(gap: &db::period::IncompleteMonth) -> Todo {
    Todo::open(
        format!(
            "{}：{}还没有考核分数（或未登记未参加考核）",
            month_label(&gap.month),
            gap_words(gap)
        ),
        urls::scores(&gap.month),
        "录入分数",
    )
}

/// When the center runs the monthly award and last month has no period yet: the award once
/// the month is complete, or what is still missing.
/// `totals`: the center's active windows and staff, from its roster.
async fn month_award(
    conn: &mut sqlx::PgConnection,
    user: &CurrentUser,
    totals: [i64; 2],
) -> AppResult<Vec<Todo>> {
    let Some(scheme) = db::scheme::schemes_for(conn, user.center_id, PeriodKind::Month)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(Vec::new());
    };
    let month = shift_month(&current_month(), -1);
    if db::period::period_by_code(conn, user.center_id, &month)
        .await?
        .is_some()
    {
        return Ok(Vec::new());
    }
    Ok(vec![
        match db::period::month_gaps(conn, user.center_id, &month, Some(totals)).await? {
            Some(gap) => scores_missing(&gap),
            None => Todo::open(
                format!(
                    "{}的考核已录入完整：可以评选本月{}和{}",
                    month_label(&month),
                    scheme.window_title,
                    scheme.staff_title
                ),
                format!("{}?code={month}", urls::NEW_PERIOD),
                "开始月度评选",
            ),
        },
    ])
}

/// The supervision office: months with scores missing, periods waiting for it, vetoes to
/// check before candidates are confirmed, and rounds under way.
pub async fn supervision(state: &AppState, user: &CurrentUser) -> AppResult<Vec<Todo>> {
    let mut conn = state.db.acquire().await?;
    // The totals a month's assessment is counted against, from the center's roster.
    let totals = state.roster(&mut conn, user).await?.entrant_totals();
    let mut out = month_award(&mut conn, user, totals).await?;
    let appeals = db::assessment::appeals::open_count(&mut conn, user.center_id).await?;
    if appeals > 0 {
        out.push(Todo::open(
            format!("有 {appeals} 项考核申诉待复核（有待复核申诉的月份不能锁定）"),
            format!("{}/appeals", urls::ASSESSMENT),
            "去复核",
        ));
    }
    out.extend(citywide(&mut conn, state.clock.now(), user.center_id).await?);
    for p in db::period::periods(&mut conn, user.center_id).await? {
        let label = period_label(&p.code);
        let page = urls::period(&p.code);
        match p.phase {
            Phase::Entry | Phase::Candidates => {
                let m = db::period::missing(
                    &mut conn,
                    user.center_id,
                    p.period_id,
                    &p.months,
                    Some(totals),
                )
                .await?;
                out.extend(m.incomplete.iter().map(scores_missing));
                if m.staff_without_duty_days > 0 {
                    out.push(Todo::open(
                        format!(
                            "{label}：{} 名工作人员还没有登记在岗天数",
                            m.staff_without_duty_days
                        ),
                        format!("{page}/duty-days"),
                        "登记在岗天数",
                    ));
                }
                let vetoes = db::veto::vetoes(&mut conn, user.center_id, p.period_id)
                    .await?
                    .iter()
                    .filter(|v| v.revoked_reason.is_none())
                    .count();
                if vetoes > 0 {
                    out.push(Todo::open(
                        format!("{label}：已登记 {vetoes} 项一票否决，确认候选对象前请再核对一次"),
                        format!("{page}/vetoes"),
                        "核对一票否决",
                    ));
                }
                out.push(Todo::open(
                    if p.phase == Phase::Entry {
                        format!("{label}处于考核录入阶段：各月分数录齐后，进入候选确定")
                    } else {
                        let next = p.phase.next_for(&p.rules).unwrap_or(Phase::Review);
                        format!(
                            "{label}处于候选确定阶段：核对候选对象，确认后进入{}",
                            next.label()
                        )
                    },
                    page,
                    "查看评选周期",
                ));
            }
            Phase::Voting => {
                // The electorate as the turnout page lists it (kept per revision).
                let heads = state.electorate(&mut conn, user, p.period_id).await?.len();
                let voted = db::ballot::voted_count(&mut conn, user.center_id, p.period_id).await?;
                out.push(Todo::open(
                    format!(
                        "{label}民主推荐进行中：{voted} / {heads} 名窗口负责人已投完；投完或到期后结束民主推荐"
                    ),
                    format!("{page}/turnout"),
                    "查看投票情况",
                ));
            }
            Phase::Rating => out.push(Todo::open(
                format!("{label}综合评定进行中：领导小组评完后结束综合评定"),
                page,
                "查看评选周期",
            )),
            Phase::Review => out.push(Todo::done(format!(
                "{label}已计算总分，等待领导小组组长审定并发布"
            ))),
            Phase::Published => {}
        }
    }
    Ok(out)
}

/// A window head: each open vote's two ballots, cast or not, named by the period's titles.
pub async fn window_head(state: &AppState, user: &CurrentUser) -> AppResult<Vec<Todo>> {
    let mut conn = state.db.acquire().await?;
    let mut out = Vec::new();
    for vote in db::ballot::open_votes(&mut conn, &state.candidates, user.center_id).await? {
        let label = period_label(&vote.code);
        let Some(receipts) =
            db::ballot::voter_receipts(&mut conn, vote.period_id, user.account_id).await?
        else {
            out.push(Todo::done(format!(
                "{label}民主推荐进行中；您的账号不在本轮投票人名单中（名单在开始民主推荐时确定）"
            )));
            continue;
        };
        for kind in Kind::BOTH {
            let what = match kind {
                Kind::Window => format!("{}推荐票", vote.window_title),
                Kind::Staff => format!("{}推荐票", vote.staff_title),
            };
            out.push(match receipts.iter().find(|(k, _)| k == kind.as_str()) {
                Some((_, at)) => Todo::done(format!(
                    "{label}{what}：您已于 {} 提交",
                    crate::domain::format_datetime(Some(*at))
                )),
                None => Todo::open(
                    format!("{label}{what}：尚未提交"),
                    urls::BALLOT.to_string(),
                    "去投票",
                ),
            });
        }
    }
    Ok(out)
}

/// A leadership member: the ratings left; the group leader also ties to decide and
/// results to publish.
pub async fn leadership(state: &AppState, user: &CurrentUser) -> AppResult<Vec<Todo>> {
    let mut out = Vec::new();
    {
        let mut conn = state.db.acquire().await?;
        if let Some(open) =
            db::rating::open_rating(&mut conn, &state.candidates, user.center_id).await?
        {
            let label = period_label(&open.code);
            let rater =
                db::round::membership(&mut conn, open.period_id, Duty::Rater, user.account_id)
                    .await?
                    .is_some();
            if rater {
                let c = &open.candidates;
                let total = c.len();
                let mine = db::rating::mine(&mut conn, open.period_id, user.account_id)
                    .await?
                    .len();
                out.push(if mine >= total {
                    Todo::done(format!(
                        "{label}综合评定：{total} 个候选对象已全部评分（结束前仍可修改）"
                    ))
                } else {
                    Todo::open(
                        format!("{label}综合评定：已评 {mine} / {total} 个候选对象"),
                        urls::RATINGS.to_string(),
                        "去评分",
                    )
                });
            } else {
                out.push(Todo::done(format!(
                    "{label}综合评定进行中；您的账号不在本轮评分人名单中"
                )));
            }
        }
    }
    if !user.is_group_leader {
        return Ok(out);
    }
    // The city's rounds waiting for the group leader's confirmation.
    {
        let mut conn = state.db.acquire().await?;
        for r in db::citywide::rounds(&mut conn, user.center_id).await? {
            if r.phase == crate::domain::citywide::RoundPhase::Confirmation {
                out.push(Todo::open(
                    format!("{}：公示期满，待确认最终名单并发布", r.title),
                    format!("{}/confirm", urls::citywide(r.year)),
                    "去确认",
                ));
            }
        }
    }
    let periods = {
        let mut conn = state.db.acquire().await?;
        db::period::periods(&mut conn, user.center_id).await?
    };
    for p in periods.iter().filter(|p| p.phase == Phase::Review) {
        let label = period_label(&p.code);
        let (_, result, _) = crate::http::results::period_results(state, user.center_id, p).await?;
        let ties: Vec<String> = Kind::BOTH
            .iter()
            .filter(|k| !result.kind(**k).unresolved_tie.is_empty())
            .map(|k| {
                format!(
                    "{}有 {} 个并列",
                    k.noun(),
                    result.kind(*k).unresolved_tie.len()
                )
            })
            .collect();
        out.push(if ties.is_empty() {
            Todo::open(
                format!("{label}评选结果已计算完成，请核对后发布"),
                format!("{}/{}/publish", urls::RESULTS, p.code),
                "核对并发布",
            )
        } else {
            Todo::open(
                format!("{label}：名额线上{}，请选定并写明理由", ties.join("，")),
                format!("{}/{}", urls::RESULTS, p.code),
                "审定并列",
            )
        });
    }
    Ok(out)
}

/// A staff member: the latest score (the list is newest first) and the honors won.
pub fn staff(latest: Option<&(String, String)>, honors: &[String]) -> Vec<Todo> {
    let mut out = Vec::new();
    if let Some((month, score)) = latest {
        out.push(Todo::done(format!("最近一次月度考核：{month} {score} 分")));
    }
    out.extend(honors.iter().map(|h| Todo::done(format!("荣获{h}"))));
    out
}

/// The sign-in locks in force, for the administrator.
pub async fn admin(state: &AppState, user: &CurrentUser) -> AppResult<Vec<Todo>> {
    let mut conn = state.db.acquire().await?;
    let locks = db::throttle::locks_of_center(&mut conn, user.center_id)
        .await?
        .len();
    Ok(if locks > 0 {
        vec![Todo::open(
            format!("目前有 {locks} 项登录锁定：如有人反映无法登录，可核实后解除"),
            urls::SIGN_IN_LOCKS.to_string(),
            "查看登录锁定",
        )]
    } else {
        Vec::new()
    })
}

/// The city-wide rounds as a county's office meets them on its home page: the notice with
/// its deadline and the county's places, and what is returned to it for correction; as the
/// city's office, the round's next step.
async fn citywide(
    conn: &mut sqlx::PgConnection,
    now: time::OffsetDateTime,
    center: crate::domain::ids::CenterId,
) -> AppResult<Vec<Todo>> {
    use crate::domain::citywide::{NominationStatus, RoundPhase};
    let mut out = Vec::new();
    let Some(city) = db::citywide::city_of(conn, center).await? else {
        for r in db::citywide::rounds(conn, center).await? {
            let next = match r.phase {
                RoundPhase::Nomination if now >= r.deadline => "申报已截止，可以开始资格审核",
                RoundPhase::Review => "资格审核中",
                RoundPhase::Notice => "公示中，处理反映意见",
                _ => continue,
            };
            out.push(Todo::open(
                format!("{}：{next}", r.title),
                urls::citywide(r.year),
                "查看",
            ));
        }
        return Ok(out);
    };
    for r in db::citywide::rounds(conn, city).await? {
        let mine = db::citywide::nomination::list(conn, r.id, center).await?;
        for n in mine
            .iter()
            .filter(|n| n.status == NominationStatus::Returned)
        {
            if n.return_deadline.is_some_and(|d| now < d) {
                out.push(Todo::open(
                    format!(
                        "{}：{}被退回补正，请在 {} 前修改后重新提交",
                        r.title,
                        n.entrant,
                        crate::domain::format_datetime(n.return_deadline)
                    ),
                    urls::nomination(r.year, n.id),
                    "补正",
                ));
            }
        }
        if r.phase != RoundPhase::Nomination || now >= r.deadline {
            continue;
        }
        let held = mine.iter().filter(|n| n.status.holds_place()).count();
        let places = db::citywide::quota(conn, r.id, center, crate::scoring::Kind::Window).await?
            + db::citywide::quota(conn, r.id, center, crate::scoring::Kind::Staff).await?;
        out.push(Todo::open(
            format!(
                "{}：申报截止 {}，本中心已提交 {held} / {places}",
                r.title,
                crate::domain::format_datetime(Some(r.deadline))
            ),
            urls::citywide(r.year),
            "申报推荐",
        ));
    }
    Ok(out)
}
