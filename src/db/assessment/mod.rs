//! The itemized monthly assessment: rules versions, records, appeals and the public's
//! ratings, and a month's score computed from them.

pub mod records;
pub mod rules;

use sqlx::PgConnection;

use crate::domain::assessment::{Breakdown, Counts, compute};
use crate::domain::ids::{CenterId, Entrant};
use crate::scoring::Kind;
pub use rules::{Mode, Rules};

/// Serializes the writes of one center's assessment of one kind (a new version of the
/// rules, a record, an appeal's decision, an import of ratings) until the end of the
/// transaction, so that a record is never made under a version being replaced and two
/// writes of one month's score do not cross.
pub async fn lock(conn: &mut PgConnection, center_id: CenterId, kind: Kind) -> sqlx::Result<()> {
    super::advisory_lock(conn, &format!("assessment {center_id} {}", kind.as_str())).await
}

/// The public's-rating counts of an entrant in a month, when they were imported.
pub async fn ratings(
    conn: &mut PgConnection,
    center_id: CenterId,
    entrant: Entrant,
    month: &str,
) -> sqlx::Result<Option<Counts>> {
    let (w, s) = entrant.columns();
    let row: Option<(i32, i32, i32, i32, i32)> = sqlx::query_as(
        "select very_satisfied, satisfied, basically_satisfied, dissatisfied, very_dissatisfied
         from satisfaction_figure where center_id = $1 and month = $2
           and window_id is not distinct from $3 and staff_id is not distinct from $4",
    )
    .bind(center_id.0)
    .bind(month)
    .bind(w)
    .bind(s)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(a, b, c, d, e)| Counts {
        very_satisfied: a.into(),
        satisfied: b.into(),
        basically_satisfied: c.into(),
        dissatisfied: d.into(),
        very_dissatisfied: e.into(),
    }))
}

/// An entrant's month under the rules in force: the version and the breakdown of its score.
/// `None` when the month's scores of its kind are typed directly.
pub async fn breakdown(
    conn: &mut PgConnection,
    center_id: CenterId,
    entrant: Entrant,
    month: &str,
) -> sqlx::Result<Option<(Rules, Breakdown)>> {
    let Some(rules) = rules::in_force(conn, center_id, entrant.kind(), month).await? else {
        return Ok(None);
    };
    if rules.mode != Mode::Records {
        return Ok(None);
    }
    let counts = records::counts(conn, center_id, entrant, month).await?;
    let ratings = ratings(conn, center_id, entrant, month).await?;
    let b = compute(&rules.items, &counts, ratings.as_ref());
    Ok(Some((rules, b)))
}
