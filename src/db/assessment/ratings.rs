//! The public's ratings (好差评) per month and entrant, and their import batches.

use std::collections::HashMap;

use sqlx::PgConnection;

use crate::db::audit::{self, Actor, Change};
use crate::domain::assessment::Counts;
use crate::domain::ids::{AccountId, CenterId, Entrant};
use crate::scoring::Kind;

/// The five counts in the order of the export's columns.
pub type Five = [i64; 5];

pub fn five(c: &Counts) -> Five {
    [
        c.very_satisfied,
        c.satisfied,
        c.basically_satisfied,
        c.dissatisfied,
        c.very_dissatisfied,
    ]
}

pub fn counts(f: &Five) -> Counts {
    Counts {
        very_satisfied: f[0],
        satisfied: f[1],
        basically_satisfied: f[2],
        dissatisfied: f[3],
        very_dissatisfied: f[4],
    }
}

/// One entrant's counts as an import would change them.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RatingChange {
    pub id: i64,
    pub before: Option<Five>,
    pub after: Five,
}

fn batch_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Window => "window_ratings",
        Kind::Staff => "staff_ratings",
    }
}

pub async fn create_batch(
    conn: &mut PgConnection,
    center_id: CenterId,
    account_id: AccountId,
    kind: Kind,
    month: &str,
    file_name: &str,
    changes: &[RatingChange],
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "insert into import_batch (center_id, kind, month, file_name, changes, created_by)
         values ($1, $2, $3, $4, $5, $6) returning import_batch_id",
    )
    .bind(center_id.0)
    .bind(batch_kind(kind))
    .bind(month)
    .bind(file_name)
    .bind(serde_json::to_value(changes).unwrap_or_default())
    .bind(account_id.0)
    .fetch_one(conn)
    .await
}

/// A ratings batch between preview and confirmation.
pub struct Batch {
    pub kind: Kind,
    pub month: String,
    pub changes: Vec<RatingChange>,
    pub applied: bool,
}

/// The uploader's own recent ratings batch, locked for its confirmation.
pub async fn lock_batch(
    conn: &mut PgConnection,
    center_id: CenterId,
    account_id: AccountId,
    id: i64,
) -> sqlx::Result<Option<Batch>> {
    let row: Option<(String, Option<String>, serde_json::Value, bool)> = sqlx::query_as(
        "select kind, month, changes, applied_at is not null from import_batch
         where import_batch_id = $1 and center_id = $2 and created_by = $3
           and kind in ('window_ratings', 'staff_ratings') and created_at > now() - interval '12 hours'
         for update",
    )
    .bind(id)
    .bind(center_id.0)
    .bind(account_id.0)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(kind, month, changes, applied)| {
        Some(Batch {
            kind: if kind == "staff_ratings" {
                Kind::Staff
            } else {
                Kind::Window
            },
            month: month?,
            changes: serde_json::from_value(changes).ok()?,
            applied,
        })
    }))
}

/// The month's counts of one kind, by entrant id.
pub async fn of_month(
    conn: &mut PgConnection,
    center_id: CenterId,
    kind: Kind,
    month: &str,
) -> sqlx::Result<HashMap<i64, Five>> {
    let rows: Vec<(i64, i32, i32, i32, i32, i32)> = sqlx::query_as(
        "select coalesce(window_id, staff_id), very_satisfied, satisfied, basically_satisfied,
                dissatisfied, very_dissatisfied
         from satisfaction_figure
         where center_id = $1 and month = $2 and (case when $3 then staff_id else window_id end) is not null",
    )
    .bind(center_id.0)
    .bind(month)
    .bind(kind == Kind::Staff)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, a, b, c, d, e)| (id, [a.into(), b.into(), c.into(), d.into(), e.into()]))
        .collect())
}

/// Sets an entrant's counts of a month, with its audit row.
#[allow(clippy::too_many_arguments)]
pub async fn set(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    month: &str,
    entrant: Entrant,
    before: Option<Five>,
    after: Five,
    at: time::OffsetDateTime,
) -> sqlx::Result<()> {
    let (w, s) = entrant.columns();
    let updated = sqlx::query(
        "update satisfaction_figure set very_satisfied = $5, satisfied = $6, basically_satisfied = $7,
                dissatisfied = $8, very_dissatisfied = $9, imported_by = $10, imported_at = $11
         where center_id = $1 and month = $2 and (window_id = $3 or staff_id = $4)",
    )
    .bind(center_id.0)
    .bind(month)
    .bind(w)
    .bind(s)
    .bind(after[0] as i32)
    .bind(after[1] as i32)
    .bind(after[2] as i32)
    .bind(after[3] as i32)
    .bind(after[4] as i32)
    .bind(actor.account_id.map(|a| a.0))
    .bind(at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        sqlx::query(
            "insert into satisfaction_figure (center_id, month, window_id, staff_id, very_satisfied, satisfied,
                 basically_satisfied, dissatisfied, very_dissatisfied, imported_by, imported_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(center_id.0)
        .bind(month)
        .bind(w)
        .bind(s)
        .bind(after[0] as i32)
        .bind(after[1] as i32)
        .bind(after[2] as i32)
        .bind(after[3] as i32)
        .bind(after[4] as i32)
        .bind(actor.account_id.map(|a| a.0))
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "satisfaction_figure.import",
            entity: "satisfaction_figure",
            entity_id: format!("{month} {}", entrant.recount_id()),
            before: before.map(|b| serde_json::json!({ "counts": b })),
            after: Some(serde_json::json!({ "counts": after })),
        },
    )
    .await
}

/// An entrant's counts summed over the months of a year that have them; `None` without any.
pub async fn of_year(
    conn: &mut PgConnection,
    center_id: CenterId,
    entrant: Entrant,
    year: i32,
) -> sqlx::Result<Option<(Counts, i64)>> {
    let (w, s) = entrant.columns();
    let row: YearSums = sqlx::query_as(
        "select sum(very_satisfied)::int8 as a, sum(satisfied)::int8 as b, sum(basically_satisfied)::int8 as c,
                sum(dissatisfied)::int8 as d, sum(very_dissatisfied)::int8 as e, count(*) as months
         from satisfaction_figure
         where center_id = $1 and month like $2 || '-%'
           and (window_id = $3 or staff_id = $4)",
    )
    .bind(center_id.0)
    .bind(year.to_string())
    .bind(w)
    .bind(s)
    .fetch_one(conn)
    .await?;
    Ok((row.months > 0).then(|| {
        (
            Counts {
                very_satisfied: row.a.unwrap_or(0),
                satisfied: row.b.unwrap_or(0),
                basically_satisfied: row.c.unwrap_or(0),
                dissatisfied: row.d.unwrap_or(0),
                very_dissatisfied: row.e.unwrap_or(0),
            },
            row.months,
        )
    }))
}

#[derive(sqlx::FromRow)]
struct YearSums {
    a: Option<i64>,
    b: Option<i64>,
    c: Option<i64>,
    d: Option<i64>,
    e: Option<i64>,
    months: i64,
}

/// The public's-rating counts of an entrant in a month, when they were imported.
pub async fn of_entrant(
    conn: &mut PgConnection,
    center_id: CenterId,
    entrant: Entrant,
    month: &str,
) -> sqlx::Result<Option<Counts>> {
    let (w, s) = entrant.columns();
    let row: Option<(i32, i32, i32, i32, i32)> = sqlx::query_as(
        "select very_satisfied, satisfied, basically_satisfied, dissatisfied, very_dissatisfied
         from satisfaction_figure where center_id = $1 and month = $2
           and (window_id = $3 or staff_id = $4)",
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
