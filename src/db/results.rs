//! A period's round and results: the confirmed candidates, the recount input, tie
//! decisions, publication and the stored results.

use super::audit::{self, Actor, Change};
use super::period::{EntrantNames, PeriodRow, load_input, period_by_code};
use crate::domain::ids::{CenterId, PeriodId};
use serde_json::Value;
use sqlx::PgConnection;

/// Confirms the candidates: stores the scoring module's result as the period's snapshot and
/// creates a zero counter for every candidate, so that each ballot only increments counters
/// that exist already (no insert whose order could tell anything).
pub async fn confirm_candidates(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period: &PeriodRow,
    input: &crate::scoring::PeriodInput,
    names: &EntrantNames,
    result: &crate::scoring::PeriodResult,
) -> sqlx::Result<()> {
    let snapshot = serde_json::to_value(result).expect("results serialise");
    let frozen = serde_json::to_value(input).expect("input serialises");
    let names = serde_json::to_value(names).expect("names serialise");
    sqlx::query!(
        "update period set candidates = $3, frozen_input = $4, entrant_names = $5, updated_at = now()
         where center_id = $1 and period_id = $2",
        center_id.0,
        period.period_id.0,
        snapshot,
        frozen,
        names
    )
    .execute(&mut *conn)
    .await?;
    let ids = |list: &[String], prefix: char| -> Vec<i64> {
        list.iter()
            .filter_map(|id| id.strip_prefix(prefix)?.parse().ok())
            .collect()
    };
    let windows = ids(&result.window.candidates, 'W');
    let staff = ids(&result.staff.candidates, 'S');
    sqlx::query!(
        "insert into ballot_tally (center_id, period_id, window_id)
         select $1, $2, unnest($3::bigint[]) on conflict do nothing",
        center_id.0,
        period.period_id.0,
        &windows
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into ballot_tally (center_id, period_id, staff_id)
         select $1, $2, unnest($3::bigint[]) on conflict do nothing",
        center_id.0,
        period.period_id.0,
        &staff
    )
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "period.candidates",
            entity: "period",
            entity_id: period.code.clone(),
            before: None,
            after: Some(serde_json::json!({
                "window_candidates": result.window.candidates,
                "staff_candidates": result.staff.candidates,
            })),
        },
    )
    .await
}

/// The leadership group's tie decisions in the recount format.
pub async fn decisions(
    conn: &mut PgConnection,
    period_id: PeriodId,
) -> sqlx::Result<Vec<crate::scoring::DecisionInput>> {
    Ok(sqlx::query!(
        "select kind, chosen, reason from tie_decision where period_id = $1 order by kind",
        period_id.0
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|d| {
        let prefix = if d.kind == "window" { "W" } else { "S" };
        crate::scoring::DecisionInput {
            chosen: d.chosen.iter().map(|id| format!("{prefix}{id}")).collect(),
            kind: d.kind,
            reason: d.reason,
        }
    })
    .collect())
}

/// Everything the results are computed from, in the recount format: the period's data with
/// the democratic recommendation as tallies (never ballots), the ratings (raters as opaque
/// ids) and the tie decisions.
pub async fn recount_input(
    conn: &mut PgConnection,
    center_id: CenterId,
    period: &PeriodRow,
) -> sqlx::Result<(crate::scoring::PeriodInput, EntrantNames)> {
    let (mut input, names) = round_input(conn, center_id, period).await?;
    input.tallies = super::ballot::tallies(conn, period.period_id).await?;
    input.ratings = super::rating::all(conn, period.period_id).await?;
    input.decisions = decisions(conn, period.period_id).await?;
    Ok((input, names))
}

/// The stored recount input and results of a published period.
pub async fn published(
    conn: &mut PgConnection,
    period_id: PeriodId,
) -> sqlx::Result<Option<(Value, Value)>> {
    Ok(sqlx::query!(
        "select recount, results from period where period_id = $1 and phase = 'published'",
        period_id.0
    )
    .fetch_optional(conn)
    .await?
    .and_then(|r| Some((r.recount?, r.results?))))
}

/// Publishes: stores the recount input and the results computed from it, and locks.
pub async fn publish(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period: &PeriodRow,
    recount: &crate::scoring::PeriodInput,
    results: &crate::scoring::PeriodResult,
    issued_at: Option<time::OffsetDateTime>,
) -> sqlx::Result<()> {
    let recount = serde_json::to_value(recount).expect("input serialises");
    let results_json = serde_json::to_value(results).expect("results serialise");
    sqlx::query!(
        "update period set recount = $3, results = $4, updated_at = now() where center_id = $1 and period_id = $2",
        center_id.0,
        period.period_id.0,
        recount,
        results_json
    )
    .execute(&mut *conn)
    .await?;
    super::honor::issue(
        conn,
        center_id,
        period.period_id,
        &period.code,
        results,
        issued_at,
    )
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "period.publish",
            entity: "period",
            entity_id: period.code.clone(),
            before: None,
            after: Some(serde_json::json!({"window_winners": results.window.winners, "staff_winners": results.staff.winners})),
        },
    )
    .await
}

/// Records the group leader's decision of a tie (the caller checked it with the scoring
/// module); false when the kind already has one.
pub async fn decide(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period: &PeriodRow,
    kind: crate::scoring::Kind,
    chosen: &[i64],
    reason: &str,
) -> sqlx::Result<bool> {
    let decided_by = actor
        .account_id
        .ok_or_else(|| sqlx::Error::Protocol("a decision needs its leader".into()))?;
    let inserted = sqlx::query!(
        "insert into tie_decision (center_id, period_id, kind, chosen, reason, decided_by)
         values ($1, $2, $3, $4, $5, $6) on conflict (period_id, kind) do nothing",
        center_id.0,
        period.period_id.0,
        kind.as_str(),
        chosen,
        reason,
        decided_by.0
    )
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "tie_decision.create",
            entity: "tie_decision",
            entity_id: format!("{} {}", period.code, kind.as_str()),
            before: None,
            after: Some(serde_json::json!({"chosen": chosen, "reason": reason})),
        },
    )
    .await?;
    Ok(true)
}

/// Why a period's results cannot be had.
#[derive(Debug)]
pub enum ResultsError {
    /// Not yet in review: no results exist.
    NotReady,
    Db(sqlx::Error),
    /// Stored data the scoring module refuses (a bug or a manual edit).
    Invalid(String),
}

impl From<sqlx::Error> for ResultsError {
    fn from(e: sqlx::Error) -> Self {
        ResultsError::Db(e)
    }
}

/// The recount input and results of a period in review (computed from its locked data) or
/// published (as stored at publication, so that the export never changes afterwards).
pub async fn results_of(
    conn: &mut PgConnection,
    center_id: CenterId,
    period: &PeriodRow,
) -> Result<
    (
        crate::scoring::PeriodInput,
        crate::scoring::PeriodResult,
        EntrantNames,
    ),
    ResultsError,
> {
    use crate::domain::period::Phase;
    if period.phase < Phase::Review {
        return Err(ResultsError::NotReady);
    }
    if let Some((recount, results)) = published(conn, period.period_id).await? {
        // Published: the stored files; only the names come from the frozen round.
        let (_, names) = round_input(conn, center_id, period).await?;
        let input = serde_json::from_str(&recount.to_string())
            .map_err(|e| ResultsError::Invalid(e.to_string()))?;
        let result =
            serde_json::from_value(results).map_err(|e| ResultsError::Invalid(e.to_string()))?;
        return Ok((input, result, names));
    }
    let (live, names) = recount_input(conn, center_id, period).await?;
    let result = crate::scoring::compute(&live).map_err(|r| ResultsError::Invalid(r.0))?;
    Ok((live, result, names))
}

/// The latest published period of the center.
pub async fn latest_published(
    conn: &mut PgConnection,
    center_id: CenterId,
) -> sqlx::Result<Option<PeriodRow>> {
    let code = sqlx::query_scalar!(
        "select code from period where center_id = $1 and phase = 'published' order by published_at desc limit 1",
        center_id.0
    )
    .fetch_optional(&mut *conn)
    .await?;
    match code {
        Some(code) => period_by_code(conn, center_id, &code).await,
        None => Ok(None),
    }
}

/// The entrants and their data for a period's round: as frozen when the candidates were
/// confirmed (from voting on), or as they are now (before). Ballots, ratings and decisions
/// are not part of it.
pub async fn round_input(
    conn: &mut PgConnection,
    center_id: CenterId,
    period: &PeriodRow,
) -> sqlx::Result<(crate::scoring::PeriodInput, EntrantNames)> {
    let frozen = sqlx::query!(
        "select frozen_input, entrant_names from period where center_id = $1 and period_id = $2",
        center_id.0,
        period.period_id.0
    )
    .fetch_one(&mut *conn)
    .await?;
    match (frozen.frozen_input, frozen.entrant_names) {
        (Some(input), Some(names)) => {
            let bad = |e: serde_json::Error| {
                sqlx::Error::Decode(
                    format!("period {}: frozen data unreadable: {e}", period.code).into(),
                )
            };
            let input = serde_json::from_str(&input.to_string()).map_err(bad)?;
            let names = serde_json::from_value(names).map_err(bad)?;
            Ok((input, names))
        }
        _ => load_input(conn, center_id, period).await,
    }
}

/// The version of the period row ([`super::snapshot::version`]) when its input is frozen
/// (candidates confirmed): the round computed from it stays the same while the row does.
pub async fn frozen_version(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "select xmin::text::bigint from period
         where center_id = $1 and period_id = $2 and frozen_input is not null",
    )
    .bind(center_id.0)
    .bind(period_id.0)
    .fetch_optional(conn)
    .await
}

/// The candidates a period confirmed, as (window candidates, staff candidates).
pub async fn confirmed_candidates(
    conn: &mut PgConnection,
    period_id: PeriodId,
) -> sqlx::Result<(Vec<String>, Vec<String>)> {
    let c = sqlx::query_scalar!(
        "select candidates from period where period_id = $1",
        period_id.0
    )
    .fetch_one(conn)
    .await?
    .unwrap_or_default();
    let list = |k: &str| -> Vec<String> {
        c[k]["candidates"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok((list("window"), list("staff")))
}
