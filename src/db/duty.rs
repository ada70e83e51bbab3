//! Duty days (在岗天数) of the staff in a period, each change audited.

use super::audit::{self, Actor, Change};
use crate::domain::ids::{CenterId, PeriodId, StaffId, WindowId};
use sqlx::PgConnection;

/// The center's active staff with their duty days in the period.
pub async fn duty_grid(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    window_id: Option<WindowId>,
) -> sqlx::Result<Vec<super::score::GridRow>> {
    sqlx::query_as!(
        super::score::GridRow,
        r#"select s.staff_id as "id!", s.name || '（' || s.employee_no || '）' as "label!",
                  w.number || '号窗口 ' || w.name as "detail!",
                  d.days as "score?", coalesce(d.version, 0) as "version!",
                  null::text as "note?"
           from staff s
           join service_window w on w.window_id = s.window_id
           left join duty_days d on d.staff_id = s.staff_id and d.period_id = $2
           where s.center_id = $1 and s.active and ($3::bigint is null or s.window_id = $3)
           order by length(w.number), w.number, s.employee_no"#,
        center_id.0,
        period_id.0,
        window_id.map(|v| v.0)
    )
    .fetch_all(conn)
    .await
}

/// Current duty days of `staff` in the period, locked: (id, days, version, by whom).
pub async fn lock_duty(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    staff: &[i64],
) -> sqlx::Result<Vec<(i64, Option<i32>, i32, Option<String>)>> {
    sqlx::query!(
        "select duty_days_id from duty_days where period_id = $1 and staff_id = any($2) for update",
        period_id.0,
        staff
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(sqlx::query!(
        r#"select s.staff_id as "id!", d.days as "days?", coalesce(d.version, 0) as "version!", a.display_name as "by?"
           from staff s
           left join duty_days d on d.staff_id = s.staff_id and d.period_id = $2
           left join account a on a.account_id = d.updated_by
           where s.center_id = $1 and s.staff_id = any($3)"#,
        center_id.0,
        period_id.0,
        staff
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.id, r.days, r.version, r.by))
    .collect())
}

/// Sets (or, with `None`, removes) one staff member's duty days, with its audit row.
#[allow(clippy::too_many_arguments)]
pub async fn set_duty(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period_id: PeriodId,
    code: &str,
    staff_id: StaffId,
    before: Option<i32>,
    after: Option<i32>,
) -> sqlx::Result<()> {
    match after {
        Some(days) => {
            sqlx::query!(
                "insert into duty_days (center_id, period_id, staff_id, days, updated_by) values ($1, $2, $3, $4, $5)
                 on conflict (period_id, staff_id) do update
                 set days = excluded.days, version = duty_days.version + 1,
                     updated_by = excluded.updated_by, updated_at = now()",
                center_id.0,
                period_id.0,
                staff_id.0,
                days,
                actor.account_id.map(|v| v.0)
            )
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query!(
                "delete from duty_days where period_id = $1 and staff_id = $2",
                period_id.0,
                staff_id.0
            )
            .execute(&mut *conn)
            .await?;
        }
    }
    audit::record(
        conn,
        actor,
        Change {
            action: if after.is_none() {
                "duty_days.delete"
            } else if before.is_none() {
                "duty_days.create"
            } else {
                "duty_days.update"
            },
            entity: "duty_days",
            entity_id: format!("{code} staff {staff_id}"),
            before: before.map(|d| serde_json::json!({"days": d})),
            after: after.map(|d| serde_json::json!({"days": d})),
        },
    )
    .await
}
