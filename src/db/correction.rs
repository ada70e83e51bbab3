//! Corrections (更正) of a period after its candidates are confirmed or its results published.

use super::audit::{self, Actor, Change};
use super::period::PeriodRow;
use super::results::{decisions, published};
use crate::domain::ids::{CenterId, PeriodId};
use crate::domain::period::Phase;
use crate::scoring::RulesInput;
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;

/// A correction of a published period as listed on its results page.
pub struct CorrectionRow {
    pub reason: String,
    pub change: Value,
    pub winners_before: Value,
    pub winners_after: Value,
    pub made_by: String,
    pub made_at: time::OffsetDateTime,
}

pub async fn corrections(
    conn: &mut PgConnection,
    period_id: PeriodId,
) -> sqlx::Result<Vec<CorrectionRow>> {
    sqlx::query_as!(
        CorrectionRow,
        r#"select c.reason, c.change, c.winners_before, c.winners_after, a.display_name as made_by, c.made_at
           from period_correction c join account a on a.account_id = c.made_by
           where c.period_id = $1 order by c.made_at"#,
        period_id.0
    )
    .fetch_all(conn)
    .await
}

/// Records a correction of a published period: the new round input and recount, the results
/// recomputed from them, the correction with its reason and the winners it changed, and the
/// audit row. The caller holds the period row lock and computed `results` from `recount`.
/// A veto that comes with the correction is recorded after it.
#[allow(clippy::too_many_arguments)]
pub async fn correct(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period: &PeriodRow,
    frozen: &crate::scoring::PeriodInput,
    recount: &crate::scoring::PeriodInput,
    results: &crate::scoring::PeriodResult,
    change: &Value,
    reason: &str,
) -> sqlx::Result<()> {
    let made_by = actor
        .account_id
        .ok_or_else(|| sqlx::Error::Protocol("a correction needs its author".into()))?;
    // The winners as published until now (the caller holds the period row lock).
    let winners_before = published(conn, period.period_id)
        .await?
        .map(|(_, r)| serde_json::json!({"window": r["window"]["winners"], "staff": r["staff"]["winners"]}))
        .unwrap_or_default();
    let winners_before = &winners_before;
    let winners_after =
        serde_json::json!({"window": results.window.winners, "staff": results.staff.winners});
    // The correction first: the database lets a published period change only together
    // with a correction recorded in the same transaction.
    sqlx::query!(
        "insert into period_correction (center_id, period_id, reason, change, winners_before, winners_after, made_by)
         values ($1, $2, $3, $4, $5, $6, $7)",
        center_id.0,
        period.period_id.0,
        reason,
        change,
        winners_before,
        winners_after,
        made_by.0
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update period set frozen_input = $3, recount = $4, results = $5, updated_at = now()
         where center_id = $1 and period_id = $2",
        center_id.0,
        period.period_id.0,
        serde_json::to_value(frozen).expect("input serialises"),
        serde_json::to_value(recount).expect("input serialises"),
        serde_json::to_value(results).expect("results serialise")
    )
    .execute(&mut *conn)
    .await?;
    super::honor::reconcile(
        conn,
        center_id,
        period.period_id,
        &period.code,
        results,
        reason,
    )
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "period.correction",
            entity: "period",
            entity_id: period.code.clone(),
            before: Some(serde_json::json!({"winners": winners_before})),
            after: Some(
                serde_json::json!({"winners": winners_after, "reason": reason, "change": change}),
            ),
        },
    )
    .await
}

/// The periods of the center using `month` whose candidates are confirmed, locked for update
/// in id order (a score correction changes their round).
pub async fn lock_locking_periods(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
) -> sqlx::Result<Vec<PeriodRow>> {
    let rows = sqlx::query_as!(
        PeriodRow,
        r#"select p.period_id, p.code, s.name as scheme_name, p.phase as "phase: Phase", p.months, p.rules as "rules: Json<RulesInput>", p.created_at, p.published_at, p.window_title, p.staff_title
         from period p join scheme s on s.scheme_id = p.scheme_id
         where p.center_id = $1 and $2 = any(p.months) order by p.period_id for update of p"#,
        center_id.0,
        month
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.phase.scores_locked())
        .collect())
}

/// A published round recomputed from its corrected entrants (`frozen`): an entrant who is
/// no longer a candidate leaves the round, with the recommendations and ratings it had; one
/// who becomes a candidate enters without any, as the rules then say. `None` when the
/// corrected round no longer fits the leadership group's tie decisions.
pub async fn recount_corrected(
    conn: &mut PgConnection,
    period_id: PeriodId,
    frozen: &crate::scoring::PeriodInput,
) -> sqlx::Result<Option<(crate::scoring::PeriodInput, crate::scoring::PeriodResult)>> {
    let candidates: std::collections::HashSet<String> = match crate::scoring::compute(frozen) {
        Ok(r) => r
            .window
            .candidates
            .into_iter()
            .chain(r.staff.candidates)
            .collect(),
        Err(_) => return Ok(None),
    };
    let mut recount = frozen.clone();
    recount.tallies = super::ballot::tallies(conn, period_id).await?;
    for t in &mut recount.tallies {
        t.recommendations
            .0
            .retain(|(id, _)| candidates.contains(id.as_str()));
    }
    recount.ratings = super::rating::all(conn, period_id).await?;
    recount.ratings.retain(|r| candidates.contains(&r.subject));
    recount.decisions = decisions(conn, period_id).await?;
    Ok(crate::scoring::compute(&recount)
        .ok()
        .map(|results| (recount, results)))
}

/// Stores the corrected round of a period that has confirmed its candidates but is not yet
/// published (the candidates stay the same; their assessment scores change), with its audit
/// row. The caller holds the period row lock and recorded the score correction.
pub async fn round_corrected(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period: &PeriodRow,
    frozen: &crate::scoring::PeriodInput,
    snapshot: &crate::scoring::PeriodResult,
    change: &Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update period set frozen_input = $3, candidates = $4, updated_at = now()
         where center_id = $1 and period_id = $2",
        center_id.0,
        period.period_id.0,
        serde_json::to_value(frozen).expect("input serialises"),
        serde_json::to_value(snapshot).expect("results serialise")
    )
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "period.round_corrected",
            entity: "period",
            entity_id: period.code.clone(),
            before: None,
            after: Some(change.clone()),
        },
    )
    .await
}
