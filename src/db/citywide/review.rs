//! The city's review (资格审核, SPEC.md §3 step 3) and the round's phases: each condition of
//! a nomination verified or rejected with a reason; a nomination accepted, rejected with a
//! reason, or returned to its county (退回补正) with a reason and a deadline of its own.

use serde_json::json;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};

use super::Round;
use super::nomination::{self, Nomination};
use crate::db::audit::{self, Actor, Change};
use crate::domain::citywide::{NominationStatus, RoundPhase};

/// The city's decision on a nomination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Reject(String),
    Return {
        reason: String,
        deadline: OffsetDateTime,
    },
}

/// A condition as reviewed: verified, or rejected with its reason; `None` not yet.
pub type ConditionReview = (i64, Option<Result<(), String>>);

/// Why a review was refused; nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewRefusal {
    /// The round is not in review.
    Phase(RoundPhase),
    /// Only a submitted (or already decided) nomination is reviewed.
    Status(NominationStatus),
    /// Accepting needs every condition verified.
    Unverified,
    /// Someone else decided it in between.
    Stale,
}

/// The nominations the city reviews: everything but drafts.
pub async fn under_review(conn: &mut PgConnection, round: i64) -> sqlx::Result<Vec<Nomination>> {
    Ok(nomination::all_in_round(conn, round)
        .await?
        .into_iter()
        .filter(|n| n.status != NominationStatus::Draft)
        .collect())
}

/// Each condition's review of a nomination: (condition, review, reason).
pub async fn condition_reviews(
    conn: &mut PgConnection,
    nomination: i64,
) -> sqlx::Result<Vec<(i64, Option<String>, Option<String>)>> {
    sqlx::query_as(
        "select citywide_condition_id, review, review_reason from nomination_condition
         where nomination_id = $1",
    )
    .bind(nomination)
    .fetch_all(conn)
    .await
}

/// Records the city's review of a nomination in one transaction, audited.
pub async fn review(
    conn: &mut PgConnection,
    actor: &Actor,
    round: &Round,
    id: i64,
    version: i32,
    conditions: &[ConditionReview],
    decision: Option<&Decision>,
) -> sqlx::Result<Result<(), ReviewRefusal>> {
    let phase = super::lock_phase(conn, round.id).await?;
    // The city may look at what has come in before the deadline, and return it early.
    if !matches!(phase, RoundPhase::Nomination | RoundPhase::Review) {
        return Ok(Err(ReviewRefusal::Phase(phase)));
    }
    sqlx::query("select 1 from nomination where nomination_id = $1 for update")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let Some(n) = nomination::find_in_round(conn, round.id, id).await? else {
        return Ok(Err(ReviewRefusal::Status(NominationStatus::Draft)));
    };
    if n.status == NominationStatus::Draft {
        return Ok(Err(ReviewRefusal::Status(n.status)));
    }
    if n.version != version {
        return Ok(Err(ReviewRefusal::Stale));
    }
    for (condition, review) in conditions {
        let (code, reason) = match review {
            None => (None, None),
            Some(Ok(())) => (Some("verified"), None),
            Some(Err(reason)) => (Some("rejected"), Some(reason.as_str())),
        };
        sqlx::query(
            "insert into nomination_condition (nomination_id, citywide_condition_id, review, review_reason)
             select $1, citywide_condition_id, $3, $4 from citywide_condition
             where citywide_condition_id = $2 and citywide_round_id = $5 and kind = $6
             on conflict (nomination_id, citywide_condition_id)
             do update set review = excluded.review, review_reason = excluded.review_reason",
        )
        .bind(n.id)
        .bind(condition)
        .bind(code)
        .bind(reason)
        .bind(round.id)
        .bind(n.kind.as_str())
        .execute(&mut *conn)
        .await?;
    }
    if decision == Some(&Decision::Accept) {
        let unverified: i64 = sqlx::query_scalar(
            "select count(*) from citywide_condition c
             left join nomination_condition nc
               on nc.citywide_condition_id = c.citywide_condition_id and nc.nomination_id = $1
             where c.citywide_round_id = $2 and c.kind = $3 and nc.review is distinct from 'verified'",
        )
        .bind(n.id)
        .bind(round.id)
        .bind(n.kind.as_str())
        .fetch_one(&mut *conn)
        .await?;
        if unverified > 0 {
            return Ok(Err(ReviewRefusal::Unverified));
        }
    }
    let (status, reason, deadline) = match decision {
        None => (n.status, None, None),
        Some(Decision::Accept) => (NominationStatus::Accepted, None, None),
        Some(Decision::Reject(r)) => (NominationStatus::Rejected, Some(r.clone()), None),
        Some(Decision::Return { reason, deadline }) => (
            NominationStatus::Returned,
            Some(reason.clone()),
            Some(*deadline),
        ),
    };
    sqlx::query(
        "update nomination set status = $2,
                decision_reason = case when $2 = 'rejected' then $3 else null end,
                return_reason = case when $2 = 'returned' then $3 else return_reason end,
                return_deadline = case when $2 = 'returned' then $4 else return_deadline end,
                version = version + 1, updated_at = now()
         where nomination_id = $1",
    )
    .bind(n.id)
    .bind(status.as_str())
    .bind(&reason)
    .bind(deadline)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "nomination.review",
            entity: "nomination",
            entity_id: n.id.to_string(),
            before: Some(json!({"status": n.status.as_str()})),
            after: Some(json!({
                "status": status.as_str(),
                "reason": reason,
                "return_deadline": deadline.map(|d| crate::domain::format_datetime(Some(d))),
                "conditions": conditions.iter().map(|(c, r)| json!({
                    "condition": c,
                    "review": match r { None => "", Some(Ok(())) => "verified", Some(Err(_)) => "rejected" },
                    "reason": r.as_ref().and_then(|r| r.as_ref().err()),
                })).collect::<Vec<_>>(),
            })),
        },
    )
    .await?;
    Ok(Ok(()))
}

/// Why a phase change was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhaseRefusal {
    /// Someone else moved the round in between.
    Moved,
    /// Nominations are still open.
    BeforeDeadline,
    /// Submitted nominations still await a decision, or returned ones their resubmission.
    Undecided(i64),
    /// The notice still runs.
    NoticeRunning(Date),
}

/// How many nominations still wait for the city's decision, or for their county's
/// correction within its deadline (a returned one whose deadline has passed is out).
pub async fn waiting(
    conn: &mut PgConnection,
    round: i64,
    now: OffsetDateTime,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from nomination where citywide_round_id = $1
           and (status = 'submitted' or (status = 'returned' and return_deadline > $2))",
    )
    .bind(round)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Moves the round from `from` to the next phase, checking what that step needs; the
/// notice's dates are set when the notice starts.
pub async fn advance(
    conn: &mut PgConnection,
    actor: &Actor,
    round: &Round,
    from: RoundPhase,
    now: OffsetDateTime,
    notice: Option<(Date, Date)>,
) -> sqlx::Result<Result<RoundPhase, PhaseRefusal>> {
    if super::lock_phase(conn, round.id).await? != from {
        return Ok(Err(PhaseRefusal::Moved));
    }
    let to = match from {
        RoundPhase::Nomination => {
            if now < round.deadline {
                return Ok(Err(PhaseRefusal::BeforeDeadline));
            }
            RoundPhase::Review
        }
        RoundPhase::Review => {
            let waiting = waiting(conn, round.id, now).await?;
            if waiting > 0 {
                return Ok(Err(PhaseRefusal::Undecided(waiting)));
            }
            RoundPhase::Notice
        }
        RoundPhase::Notice => {
            let ends: Option<Date> = sqlx::query_scalar(
                "select notice_ends from citywide_round where citywide_round_id = $1",
            )
            .bind(round.id)
            .fetch_one(&mut *conn)
            .await?;
            let today = crate::clock::china_date(now);
            if let Some(ends) = ends.filter(|e| today <= *e) {
                return Ok(Err(PhaseRefusal::NoticeRunning(ends)));
            }
            RoundPhase::Confirmation
        }
        RoundPhase::Confirmation | RoundPhase::Published => return Ok(Err(PhaseRefusal::Moved)),
    };
    sqlx::query(
        "update citywide_round set phase = $2,
                notice_starts = coalesce($3, notice_starts), notice_ends = coalesce($4, notice_ends)
         where citywide_round_id = $1",
    )
    .bind(round.id)
    .bind(to.as_str())
    .bind(notice.map(|n| n.0))
    .bind(notice.map(|n| n.1))
    .execute(&mut *conn)
    .await?;
    // The public notice and the honor rolls change with the phase, on every server.
    crate::db::honor::notify(conn, round.center_id).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "citywide_round.phase",
            entity: "citywide_round",
            entity_id: round.id.to_string(),
            before: Some(json!({"phase": from.as_str()})),
            after: Some(json!({
                "phase": to.as_str(),
                "notice_starts": notice.map(|n| n.0.to_string()),
                "notice_ends": notice.map(|n| n.1.to_string()),
            })),
        },
    )
    .await?;
    Ok(Ok(to))
}

/// Working days (Monday to Friday) from `from` to `to`, both included.
pub fn working_days(from: Date, to: Date) -> i64 {
    let mut n = 0;
    let mut d = from;
    while d <= to {
        if !matches!(d.weekday(), time::Weekday::Saturday | time::Weekday::Sunday) {
            n += 1;
        }
        match d.next_day() {
            Some(next) => d = next,
            None => break,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::working_days;
    use time::macros::date;

    #[test]
    fn working_days_leave_out_weekends() {
        // Monday 2026-12-21 to Friday 2026-12-25.
        assert_eq!(
            working_days(date!(2026 - 12 - 21), date!(2026 - 12 - 25)),
            5
        );
        // Thursday to Wednesday: Thu, Fri, Mon, Tue, Wed.
        assert_eq!(
            working_days(date!(2026 - 12 - 24), date!(2026 - 12 - 30)),
            5
        );
        assert_eq!(
            working_days(date!(2026 - 12 - 26), date!(2026 - 12 - 27)),
            0
        );
        assert_eq!(
            working_days(date!(2026 - 12 - 25), date!(2026 - 12 - 24)),
            0
        );
    }
}
