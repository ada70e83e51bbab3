//! Score sheets uploaded from Excel: the entrants' keys as a sheet names them, and the
//! batch that carries a preview to its confirmation.

use crate::domain::ids::{AccountId, CenterId, PeriodId};
use crate::scoring::Kind;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

/// An entrant as a score sheet names it: window number or employee number.
pub struct Keyed {
    pub key: String,
    pub id: i64,
    pub name: String,
    pub detail: String,
}

/// The center's active windows (by number) or staff (by employee number).
pub async fn keys(
    conn: &mut PgConnection,
    center_id: CenterId,
    kind: Kind,
) -> sqlx::Result<Vec<Keyed>> {
    if kind == Kind::Staff {
        sqlx::query_as!(
            Keyed,
            r#"select s.employee_no as key, s.staff_id as id, s.name, w.number || '号窗口 ' || w.name as "detail!"
               from staff s join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
               where s.center_id = $1 and s.active
               order by length(w.number), w.number, s.employee_no"#,
            center_id.0
        )
        .fetch_all(conn)
        .await
    } else {
        sqlx::query_as!(
            Keyed,
            r#"select w.number as key, w.window_id as id, w.name, d.name as detail
               from service_window w join department d on d.department_id = w.department_id and d.center_id = w.center_id
               where w.center_id = $1 and w.active
               order by length(w.number), w.number"#,
            center_id.0
        )
        .fetch_all(conn)
        .await
    }
}

/// One change of a batch, as previewed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub before: Option<i32>,
    pub version: i32,
    pub after: i32,
}

pub struct Batch {
    pub kind: Kind,
    pub month: String,
    pub changes: Vec<Change>,
    pub applied: bool,
}

pub async fn create(
    conn: &mut PgConnection,
    center_id: CenterId,
    account_id: AccountId,
    kind: Kind,
    month: &str,
    file_name: &str,
    changes: &[Change],
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into import_batch (center_id, kind, month, file_name, changes, created_by)
         values ($1, $2, $3, $4, $5, $6) returning import_batch_id",
        center_id.0,
        match kind {
            Kind::Window => "window_scores",
            Kind::Staff => "staff_scores",
        },
        month,
        file_name,
        serde_json::to_value(changes).expect("changes serialise"),
        account_id.0
    )
    .fetch_one(conn)
    .await
}

/// The uploader's own recent batch, locked for its confirmation.
pub async fn lock(
    conn: &mut PgConnection,
    center_id: CenterId,
    account_id: AccountId,
    batch_id: i64,
) -> sqlx::Result<Option<Batch>> {
    let row = sqlx::query!(
        "select kind, month, changes, applied_at from import_batch
         where import_batch_id = $1 and center_id = $2 and created_by = $3 and kind in ('window_scores', 'staff_scores')
           and created_at > now() - interval '12 hours'
         for update",
        batch_id,
        center_id.0,
        account_id.0
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|r| {
        Some(Batch {
            kind: if r.kind == "staff_scores" {
                Kind::Staff
            } else {
                Kind::Window
            },
            month: r.month.unwrap_or_default(),
            changes: serde_json::from_value(r.changes).ok()?,
            applied: r.applied_at.is_some(),
        })
    }))
}

/// A batch of a period's duty days (`Change` in days), between preview and confirmation.
pub async fn create_duty(
    conn: &mut PgConnection,
    center_id: CenterId,
    account_id: AccountId,
    period_id: PeriodId,
    file_name: &str,
    changes: &[Change],
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into import_batch (center_id, kind, period_id, file_name, changes, created_by)
         values ($1, 'duty_days', $2, $3, $4, $5) returning import_batch_id",
        center_id.0,
        period_id.0,
        file_name,
        serde_json::to_value(changes).expect("changes serialise"),
        account_id.0
    )
    .fetch_one(conn)
    .await
}

/// The uploader's own recent duty-days batch, locked for its confirmation: its period's
/// code, its changes, and whether it was applied already.
pub async fn lock_duty(
    conn: &mut PgConnection,
    center_id: CenterId,
    account_id: AccountId,
    batch_id: i64,
) -> sqlx::Result<Option<(String, Vec<Change>, bool)>> {
    let row = sqlx::query!(
        "select p.code, b.changes, b.applied_at from import_batch b join period p on p.period_id = b.period_id
         where b.import_batch_id = $1 and b.center_id = $2 and b.created_by = $3 and b.kind = 'duty_days'
           and b.created_at > now() - interval '12 hours'
         for update of b",
        batch_id,
        center_id.0,
        account_id.0
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|r| {
        let changes = serde_json::from_value(r.changes).ok()?;
        Some((r.code, changes, r.applied_at.is_some()))
    }))
}

pub async fn mark_applied(conn: &mut PgConnection, batch_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update import_batch set applied_at = now() where import_batch_id = $1",
        batch_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps an uploaded roster (the rows read and the actions previewed) for its confirmation.
pub async fn create_roster(
    conn: &mut PgConnection,
    center_id: CenterId,
    account_id: AccountId,
    file_name: &str,
    payload: &serde_json::Value,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into import_batch (center_id, kind, file_name, changes, created_by)
         values ($1, 'roster', $2, $3, $4) returning import_batch_id",
        center_id.0,
        file_name,
        payload,
        account_id.0
    )
    .fetch_one(conn)
    .await
}

/// The uploader's own recent roster, locked: (payload, already applied).
pub async fn lock_roster(
    conn: &mut PgConnection,
    center_id: CenterId,
    account_id: AccountId,
    batch_id: i64,
) -> sqlx::Result<Option<(serde_json::Value, bool)>> {
    Ok(sqlx::query!(
        "select changes, applied_at from import_batch
         where import_batch_id = $1 and center_id = $2 and created_by = $3 and kind = 'roster'
           and created_at > now() - interval '12 hours'
         for update",
        batch_id,
        center_id.0,
        account_id.0
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.changes, r.applied_at.is_some())))
}
