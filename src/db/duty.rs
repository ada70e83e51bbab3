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
           join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
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

/// The rows of [`duty_grid`] of `staff` (id, label, window: one page of the center's
/// roster), in their order, each with its duty days in the period looked up.
pub async fn duty_rows(
    conn: &mut PgConnection,
    period_id: PeriodId,
    staff: Vec<(i64, String, String)>,
) -> sqlx::Result<Vec<super::score::GridRow>> {
    let ids: Vec<i64> = staff.iter().map(|s| s.0).collect();
    let found: Vec<(i64, i32, i32)> = sqlx::query_as(
        "select staff_id, days, version from duty_days where period_id = $1 and staff_id = any($2)",
    )
    .bind(period_id.0)
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    let mut found: std::collections::HashMap<i64, (i32, i32)> = found
        .into_iter()
        .map(|(id, days, version)| (id, (days, version)))
        .collect();
    Ok(staff
        .into_iter()
        .map(|(id, label, detail)| {
            let (score, version) = match found.remove(&id) {
                Some((days, version)) => (Some(days), version),
                None => (None, 0),
            };
            super::score::GridRow {
                id,
                label,
                detail,
                score,
                version,
                note: None,
            }
        })
        .collect())
}

/// How many of the active staff [`duty_grid`] lists (all, or a window's) have duty days
/// in the period. For the whole center, from an index-only count less the few inactive
/// staff with days, instead of joining the center's staff to the days.
pub async fn filled_count(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    window_id: Option<WindowId>,
) -> sqlx::Result<i64> {
    match window_id {
        None => {
            sqlx::query_scalar(
                // The period's rows as counted by migration 0026's trigger, less those of
                // inactive staff (few, by the partial index on them).
                "select coalesce((select filled from duty_days_count where period_id = $2), 0)
                    - (select count(*) from staff s
                         join duty_days d on d.period_id = $2 and d.staff_id = s.staff_id
                        where s.center_id = $1 and not s.active)",
            )
            .bind(center_id.0)
            .bind(period_id.0)
            .fetch_one(conn)
            .await
        }
        Some(window) => {
            sqlx::query_scalar(
                "select count(*) from staff s
                   join duty_days d on d.period_id = $2 and d.staff_id = s.staff_id
                  where s.center_id = $1 and s.active and s.window_id = $3",
            )
            .bind(center_id.0)
            .bind(period_id.0)
            .bind(window.0)
            .fetch_one(conn)
            .await
        }
    }
}

/// The active staff of [`duty_grid`] (all, or a window's) without duty days in the period.
pub async fn without_days(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    window_id: Option<WindowId>,
) -> sqlx::Result<Vec<i64>> {
    // Each filter written only when it applies: a generic plan of `($3 is null or …)`
    // took three times as long for the whole center.
    let mut b = sqlx::QueryBuilder::new("select s.staff_id from staff s where s.center_id = ");
    b.push_bind(center_id.0).push(" and s.active");
    if let Some(window) = window_id {
        b.push(" and s.window_id = ").push_bind(window.0);
    }
    b.push(" and not exists (select 1 from duty_days d where d.period_id = ")
        .push_bind(period_id.0)
        .push(" and d.staff_id = s.staff_id) order by s.staff_id");
    b.build_query_scalar().fetch_all(conn).await
}

/// Whether the period spans shorter periods of the center (a quarter's months, a year's
/// quarters) whose duty days can be summed into it: see [`parts`].
pub async fn has_parts(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    months: &[String],
) -> sqlx::Result<bool> {
    if months.len() < 2 {
        return Ok(false);
    }
    sqlx::query_scalar(
        "select exists(select 1 from period p
                        where p.center_id = $1 and p.period_id <> $2 and p.months <@ $3
                          and cardinality(p.months) < cardinality($3)
                          and exists(select 1 from duty_days d where d.period_id = p.period_id))",
    )
    .bind(center_id.0)
    .bind(period_id.0)
    .bind(months)
    .fetch_one(conn)
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
           where s.center_id = $1 and s.active and s.staff_id = any($3)"#,
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

/// Sets (or, with `None`, removes) one staff member's duty days, with its audit row (and
/// the reason, when one was given: a value that differs from the sum of its parts).
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
    reason: Option<&str>,
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
            after: after.map(|d| match reason {
                Some(r) => serde_json::json!({"days": d, "reason": r}),
                None => serde_json::json!({"days": d}),
            }),
        },
    )
    .await
}

/// A staff member's duty days in a period as the sum of the shorter periods inside it
/// (the quarters of a year, the months of a quarter) that have them recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    pub sum: i32,
    /// (period code, days) of each part used, in month order.
    pub parts: Vec<(String, i32)>,
    /// The months of the period no recorded part covers.
    pub missing: Vec<String>,
}

impl Parts {
    /// Every month is covered: the sum is the period's duty days.
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// The sum, when every month is covered.
    pub fn complete_sum(&self) -> Option<i32> {
        self.complete().then_some(self.sum)
    }

    /// `days` is not the complete sum (a value that needs a reason).
    pub fn differs(&self, days: i32) -> bool {
        self.complete_sum().is_some_and(|sum| sum != days)
    }
}

/// The parts of each staff member (by id) that has any, from the duty days recorded in
/// the center's other periods whose months all lie inside `months`. The longest parts are
/// taken first (a quarter before its months), none overlapping another. A period of one
/// month has none.
pub async fn parts(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    months: &[String],
) -> sqlx::Result<std::collections::HashMap<i64, Parts>> {
    parts_among(conn, center_id, period_id, months, None).await
}

/// [`parts`] of the staff members `staff` only.
pub async fn parts_of(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    months: &[String],
    staff: &[i64],
) -> sqlx::Result<std::collections::HashMap<i64, Parts>> {
    if staff.is_empty() {
        return Ok(Default::default());
    }
    parts_among(conn, center_id, period_id, months, Some(staff)).await
}

async fn parts_among(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    months: &[String],
    staff: Option<&[i64]>,
) -> sqlx::Result<std::collections::HashMap<i64, Parts>> {
    if months.len() < 2 {
        return Ok(Default::default());
    }
    // The shorter periods first (a handful), longest first; then only the days of each
    // staff member in them, without repeating each period's code and months per row.
    let shorter: Vec<(i64, String, Vec<String>)> = sqlx::query_as(
        "select period_id, code, months from period
          where center_id = $1 and period_id <> $2 and months <@ $3
            and cardinality(months) < cardinality($3)
          order by cardinality(months) desc, code",
    )
    .bind(center_id.0)
    .bind(period_id.0)
    .bind(months)
    .fetch_all(&mut *conn)
    .await?;
    if shorter.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<i64> = shorter.iter().map(|p| p.0).collect();
    let days: Vec<(i64, i64, i32)> = sqlx::query_as(
        "select staff_id, period_id, days from duty_days
          where center_id = $1 and period_id = any($2) and ($3::bigint[] is null or staff_id = any($3))",
    )
    .bind(center_id.0)
    .bind(&ids)
    .bind(staff)
    .fetch_all(conn)
    .await?;
    let order: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut by_staff: std::collections::HashMap<i64, Vec<(usize, i32)>> =
        std::collections::HashMap::new();
    for (staff_id, period, days) in days {
        if let Some(&at) = order.get(&period) {
            by_staff.entry(staff_id).or_default().push((at, days));
        }
    }
    Ok(by_staff
        .into_iter()
        .map(|(id, mut recorded)| {
            recorded.sort_unstable();
            let recorded = recorded
                .into_iter()
                .map(|(at, days)| (shorter[at].1.clone(), shorter[at].2.clone(), days))
                .collect();
            (id, sum_parts(months, recorded))
        })
        .collect())
}

/// Picks non-overlapping parts, longest first (`recorded` comes sorted so), and sums them.
fn sum_parts(months: &[String], recorded: Vec<(String, Vec<String>, i32)>) -> Parts {
    let mut covered: Vec<&String> = Vec::new();
    let mut parts = Vec::new();
    for (code, part_months, days) in &recorded {
        if part_months.iter().any(|m| covered.contains(&m)) {
            continue;
        }
        covered.extend(part_months.iter());
        parts.push((
            part_months.first().cloned().unwrap_or_default(),
            code.clone(),
            *days,
        ));
    }
    parts.sort();
    Parts {
        sum: parts.iter().map(|p| p.2).sum(),
        parts: parts
            .into_iter()
            .map(|(_, code, days)| (code, days))
            .collect(),
        missing: months
            .iter()
            .filter(|m| !covered.contains(m))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(list: &[&str]) -> Vec<String> {
        list.iter().map(|m| m.to_string()).collect()
    }

    #[test]
    fn a_year_sums_its_quarters_and_fills_a_gap_with_months() {
        let year: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}")).collect();
        let recorded = vec![
            (
                "2026-Q1".to_string(),
                ms(&["2026-01", "2026-02", "2026-03"]),
                60,
            ),
            (
                "2026-Q2".to_string(),
                ms(&["2026-04", "2026-05", "2026-06"]),
                58,
            ),
            (
                "2026-Q3".to_string(),
                ms(&["2026-07", "2026-08", "2026-09"]),
                61,
            ),
            ("2026-01".to_string(), ms(&["2026-01"]), 20),
            ("2026-10".to_string(), ms(&["2026-10"]), 21),
            ("2026-11".to_string(), ms(&["2026-11"]), 19),
        ];
        let p = sum_parts(&year, recorded);
        assert_eq!(p.sum, 60 + 58 + 61 + 21 + 19);
        assert_eq!(
            p.parts,
            vec![
                ("2026-Q1".to_string(), 60),
                ("2026-Q2".to_string(), 58),
                ("2026-Q3".to_string(), 61),
                ("2026-10".to_string(), 21),
                ("2026-11".to_string(), 19),
            ]
        );
        assert_eq!(p.missing, ms(&["2026-12"]));
        assert!(!p.complete());
    }

    #[test]
    fn a_quarter_of_three_recorded_months_is_complete() {
        let q = ms(&["2026-04", "2026-05", "2026-06"]);
        let recorded = vec![
            ("2026-04".to_string(), ms(&["2026-04"]), 22),
            ("2026-05".to_string(), ms(&["2026-05"]), 19),
            ("2026-06".to_string(), ms(&["2026-06"]), 21),
        ];
        let p = sum_parts(&q, recorded);
        assert_eq!((p.sum, p.complete()), (62, true));
    }
}
