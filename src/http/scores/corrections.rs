//! What a score correction does to the rounds of the periods that use its month.

use crate::db::audit::Actor;
use crate::db::{self};
use crate::domain::ids::Entrant;
use crate::http::error::AppResult;
use crate::http::extract::CurrentUser;
use crate::scoring::Fixed2;

/// How a score correction changes one period's round.
struct CorrectionPlan {
    pub(super) period: db::period::PeriodRow,
    pub(super) frozen: crate::scoring::PeriodInput,
    pub(super) change: serde_json::Value,
    pub(super) outcome: Outcome,
}

enum Outcome {
    /// Published: recomputed, and the change of winners recorded as a correction.
    Published {
        recount: Box<crate::scoring::PeriodInput>,
        results: Box<crate::scoring::PeriodResult>,
    },
    /// Voting, rating or review: the same candidates with corrected assessment scores.
    Open {
        snapshot: Box<crate::scoring::PeriodResult>,
    },
}

/// Applies the corrected scores to the round of every locking period that has the entrant,
/// and checks that each round still holds: a published one is recomputed (and must still
/// fit its tie decisions); one still under way must keep its candidates, since ballots or
/// ratings were cast for them. `Err` is the message to show; nothing has been written.
async fn plan_corrections(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    month: &str,
    kind: crate::scoring::Kind,
    corrected: &[(i64, Option<i32>, i32)],
    locking: &[db::period::PeriodRow],
) -> AppResult<Result<Vec<CorrectionPlan>, String>> {
    use crate::domain::period::Phase;
    use crate::scoring::Number;
    let mut plans = Vec::new();
    for period in locking {
        let label = crate::domain::period::period_label(&period.code);
        let (mut frozen, names) = db::results::round_input(tx, user.center_id, period).await?;
        let mut touched = Vec::new();
        for (id, before, after) in corrected {
            let key = Entrant::of(kind, *id).recount_id();
            let entries = match kind {
                crate::scoring::Kind::Window => frozen
                    .windows
                    .iter_mut()
                    .find(|e| e.id == key)
                    .map(|e| &mut e.scores),
                crate::scoring::Kind::Staff => frozen
                    .staff
                    .iter_mut()
                    .find(|e| e.id == key)
                    .map(|e| &mut e.scores),
            };
            let Some(entries) = entries else { continue };
            let value = Number::from_hundredths(i64::from(*after));
            match entries.0.iter_mut().find(|(m, _)| m == month) {
                Some(entry) => entry.1 = value,
                None => entries.0.push((month.into(), value)),
            }
            touched.push(serde_json::json!({
                "entrant": key,
                "month": month,
                "before": before.map(|h| Fixed2(i64::from(h)).to_string()),
                "after": Fixed2(i64::from(*after)).to_string(),
            }));
        }
        if touched.is_empty() {
            continue;
        }
        let change = serde_json::json!({ "scores": touched });
        let phase = period.phase;
        let outcome = if phase == Phase::Published {
            let Some((recount, results)) =
                db::correction::recount_corrected(tx, period.period_id, &frozen).await?
            else {
                return Ok(Err(format!(
                    "此更正后 {label} 的结果无法重新计算（通常是并列情况发生变化，原有的领导小组审定不再适用）：请联系系统管理员处理。尚未保存任何分数。"
                )));
            };
            Outcome::Published {
                recount: Box::new(recount),
                results: Box::new(results),
            }
        } else {
            let Ok(snapshot) = crate::scoring::compute(&frozen) else {
                return Ok(Err(format!(
                    "此更正使 {label} 的数据无法计算，请核对后再试。尚未保存任何分数。"
                )));
            };
            let (windows, staff_now) =
                db::results::confirmed_candidates(tx, period.period_id).await?;
            let same = |a: &[String], b: &[String]| {
                let mut a = a.to_vec();
                let mut b = b.to_vec();
                a.sort();
                b.sort();
                a == b
            };
            if !same(&snapshot.window.candidates, &windows)
                || !same(&snapshot.staff.candidates, &staff_now)
            {
                let mut moved: Vec<String> = Vec::new();
                for (new, old) in [
                    (&snapshot.window.candidates, &windows),
                    (&snapshot.staff.candidates, &staff_now),
                ] {
                    for id in new.iter().filter(|i| !old.contains(i)) {
                        moved.push(format!("{}将成为候选对象", names.label(id)));
                    }
                    for id in old.iter().filter(|i| !new.contains(i)) {
                        moved.push(format!("{}将不再是候选对象", names.label(id)));
                    }
                }
                return Ok(Err(format!(
                    "此更正会改变 {label} 的候选对象（{}），而该周期已进入“{}”阶段，推荐票和评分都是按已确认的候选对象进行的，不能在此时更正。请在结果发布后再登记此更正。尚未保存任何分数。",
                    moved.join("；"),
                    phase.label()
                )));
            }
            // The ballots, ratings and tie decisions already made must still fit the
            // corrected round, or the period could no longer be reviewed or published.
            let mut recount = frozen.clone();
            recount.tallies = db::ballot::tallies(tx, period.period_id).await?;
            recount.ratings = db::rating::all(tx, period.period_id).await?;
            recount.decisions = db::results::decisions(tx, period.period_id).await?;
            if crate::scoring::compute(&recount).is_err() {
                return Ok(Err(format!(
                    "此更正会改变 {label} 的并列情况，与领导小组已作出的审定不再一致，不能在此时更正。请联系系统管理员处理。尚未保存任何分数。"
                )));
            }
            Outcome::Open {
                snapshot: Box::new(snapshot),
            }
        };
        plans.push(CorrectionPlan {
            period: period.clone(),
            frozen,
            change,
            outcome,
        });
    }
    Ok(Ok(plans))
}

/// Corrects scores of a locked month (`corrected`: id, before, after): every round using
/// the month is planned first, and only when each still holds are the corrections, the
/// scores and the rounds written. `Ok(n)`: the number of periods whose round changed;
/// `Err` is the message to show, with nothing written.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_correction(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    actor: &Actor,
    month: &str,
    kind: crate::scoring::Kind,
    corrected: &[(i64, Option<i32>, i32)],
    locking: &[db::period::PeriodRow],
    reason: &str,
) -> AppResult<Result<usize, String>> {
    let plans = match plan_corrections(tx, user, month, kind, corrected, locking).await? {
        Ok(plans) => plans,
        Err(msg) => return Ok(Err(msg)),
    };
    let codes: Vec<String> = plans.iter().map(|p| p.period.code.clone()).collect();
    for (id, before, after) in corrected {
        let entrant = Entrant::of(kind, *id);
        db::score::record_correction(
            tx,
            actor,
            user.center_id,
            month,
            entrant,
            *before,
            *after,
            reason,
            &codes,
        )
        .await?;
        db::score::set(
            tx,
            actor,
            user.center_id,
            month,
            entrant,
            *before,
            Some(*after),
            Some(reason),
        )
        .await?;
    }
    for plan in &plans {
        match &plan.outcome {
            Outcome::Published { recount, results } => {
                db::correction::correct(
                    tx,
                    actor,
                    user.center_id,
                    &plan.period,
                    &plan.frozen,
                    recount,
                    results,
                    &plan.change,
                    reason,
                )
                .await?;
            }
            Outcome::Open { snapshot } => {
                db::correction::round_corrected(
                    tx,
                    actor,
                    user.center_id,
                    &plan.period,
                    &plan.frozen,
                    snapshot,
                    &plan.change,
                )
                .await?;
            }
        }
    }
    Ok(Ok(plans.len()))
}
