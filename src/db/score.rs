//! Monthly scores (百分考核). Scores belong to months, not periods; they are stored as
//! numeric(5,2) and handled in Rust as integer hundredths, like the scoring module does.

use crate::domain::ids::{CenterId, Entrant, StaffId, WindowId};
use sqlx::PgConnection;

use super::audit::{self, Actor, Change};
use crate::scoring::Fixed2;

/// One row of the score grid.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GridRow {
    pub id: i64,
    pub label: String,
    pub detail: String,
    pub score: Option<i32>,
    pub version: i32,
    /// A note shown under the row's detail (in the score grid: 未参加考核 and its reason).
    pub note: Option<String>,
}

/// A department (进驻单位) as a section of the score grid, with how many active entrants of
/// the grid's kind it holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GridSection {
    pub department_id: i64,
    pub name: String,
    pub entrants: i64,
}

/// The center's active windows with their score for `month`.
pub async fn window_grid(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
    department_id: Option<i64>,
) -> sqlx::Result<Vec<GridRow>> {
    sqlx::query_as!(
        GridRow,
        r#"select w.window_id as "id!", w.number || '号窗口 ' || w.name as "label!", d.name as "detail!",
                  (m.score * 100)::int as score, coalesce(m.version, 0) as "version!",
                  '未参加考核：' || n.reason as "note?"
           from service_window w
           join department d on d.department_id = w.department_id and d.center_id = w.center_id
           left join monthly_score m on m.center_id = w.center_id and m.month = $2 and m.window_id = w.window_id
           left join not_assessed n on n.center_id = w.center_id and n.month = $2 and n.window_id = w.window_id
           where w.center_id = $1 and w.active and ($3::bigint is null or w.department_id = $3)
           order by length(w.number), w.number"#,
        center_id.0,
        month,
        department_id
    )
    .fetch_all(conn)
    .await
}

/// The center's active staff (of a department, of a window) with their score for `month`,
/// in the grid's order. (The grid's pages take their staff from the center's roster and
/// read only their scores: [`grid_rows`].)
pub async fn staff_grid(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
    department_id: Option<i64>,
    window_id: Option<WindowId>,
) -> sqlx::Result<Vec<GridRow>> {
    let mut b = sqlx::QueryBuilder::new(
        "select p.staff_id as id, p.label, p.detail,
                (m.score * 100)::int as score, coalesce(m.version, 0) as version,
                '未参加考核：' || n.reason as note
         from ",
    );
    push_staff_in_order(&mut b, center_id, department_id, window_id);
    b.push(" left join monthly_score m on m.center_id = p.center_id and m.month = ")
        .push_bind(month)
        .push(
            " and m.staff_id = p.staff_id
         left join not_assessed n on n.center_id = p.center_id and n.month = ",
        )
        .push_bind(month)
        .push(
            " and n.staff_id = p.staff_id
         order by p.o1, p.o2, p.o3",
        );
    b.build_query_as().fetch_all(conn).await
}

/// Pushes `(select …) p`: the center's active staff (of a department, of a window) in the
/// grid's order, each with its label, window (`detail`) and the order's keys (`o1`, `o2`,
/// `o3`). Each filter is written only when it applies, so that each form of the query
/// keeps a plan that walks the windows in order by the index (center, department, number)
/// or (center, number) (migration 0022). The window join names the center: without it the
/// planner reads every window of the province to find one center's.
fn push_staff_in_order(
    b: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>,
    center_id: CenterId,
    department_id: Option<i64>,
    window_id: Option<WindowId>,
) {
    b.push(
        "(select s.staff_id, s.center_id, s.name || '（' || s.employee_no || '）' as label,
                 w.number || '号窗口 ' || w.name as detail,
                 length(w.number) as o1, w.number as o2, s.employee_no as o3
            from service_window w
            join staff s on s.center_id = w.center_id and s.window_id = w.window_id and s.active
           where w.center_id = ",
    );
    b.push_bind(center_id.0);
    if let Some(department) = department_id {
        b.push(" and w.department_id = ").push_bind(department);
    }
    if let Some(window) = window_id {
        b.push(" and w.window_id = ").push_bind(window.0);
    }
    b.push(" order by length(w.number), w.number, s.employee_no) p");
}

/// The grid's rows of `entrants` (windows or staff of this center: id, label, detail), in
/// their order, each with its score for `month`, the score's version and the month's "not
/// assessed" note: one page of the grid, its entrants taken from the center's roster.
pub async fn grid_rows(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
    kind: crate::scoring::Kind,
    entrants: Vec<(i64, String, String)>,
) -> sqlx::Result<Vec<GridRow>> {
    // The kind's own column, so that the partial unique indexes find the rows.
    let column = match kind {
        crate::scoring::Kind::Staff => "staff_id",
        crate::scoring::Kind::Window => "window_id",
    };
    let ids: Vec<i64> = entrants.iter().map(|e| e.0).collect();
    let found: Vec<(i64, Option<i32>, i32, Option<String>)> = sqlx::query_as(&format!(
        "select e.id, (m.score * 100)::int, coalesce(m.version, 0), '未参加考核：' || n.reason
           from unnest($3::bigint[]) e(id)
           left join monthly_score m on m.center_id = $1 and m.month = $2 and m.{column} = e.id
           left join not_assessed n on n.center_id = $1 and n.month = $2 and n.{column} = e.id"
    ))
    .bind(center_id.0)
    .bind(month)
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    let mut found: std::collections::HashMap<i64, (Option<i32>, i32, Option<String>)> = found
        .into_iter()
        .map(|(id, score, version, note)| (id, (score, version, note)))
        .collect();
    Ok(entrants
        .into_iter()
        .map(|(id, label, detail)| {
            let (score, version, note) = found.remove(&id).unwrap_or((None, 0, None));
            GridRow {
                id,
                label,
                detail,
                score,
                version,
                note,
            }
        })
        .collect())
}

/// The current score of each of `ids` (active windows or staff of this center), locked
/// until the end of the transaction. Ids of another center, deactivated or unknown ids are
/// left out.
pub async fn lock_current(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
    kind: crate::scoring::Kind,
    ids: &[i64],
) -> sqlx::Result<Vec<(i64, Option<i32>, i32, Option<String>)>> {
    let staff = kind == crate::scoring::Kind::Staff;
    // Lock the existing score rows first, then read them with the entrants.
    // The kind's own column, so that its index finds the rows (a `case` over both columns
    // read the center's whole month).
    let column = if staff { "staff_id" } else { "window_id" };
    sqlx::query(&format!(
        "select monthly_score_id from monthly_score
         where center_id = $1 and month = $2 and {column} = any($3)
         for update"
    ))
    .bind(center_id.0)
    .bind(month)
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let rows = if staff {
        sqlx::query!(
            r#"select s.staff_id as "id!", (m.score * 100)::int as score, coalesce(m.version, 0) as "version!", a.display_name as "by?"
               from staff s left join monthly_score m on m.center_id = s.center_id and m.month = $2 and m.staff_id = s.staff_id
               left join account a on a.account_id = m.updated_by
               where s.center_id = $1 and s.active and s.staff_id = any($3)"#,
            center_id.0,
            month,
            ids
        )
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.score, r.version, r.by))
        .collect()
    } else {
        sqlx::query!(
            r#"select w.window_id as "id!", (m.score * 100)::int as score, coalesce(m.version, 0) as "version!", a.display_name as "by?"
               from service_window w left join monthly_score m on m.center_id = w.center_id and m.month = $2 and m.window_id = w.window_id
               left join account a on a.account_id = m.updated_by
               where w.center_id = $1 and w.active and w.window_id = any($3)"#,
            center_id.0,
            month,
            ids
        )
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.score, r.version, r.by))
        .collect()
    };
    Ok(rows)
}

/// Sets (or, with `None`, removes) one score, with its audit row.
#[allow(clippy::too_many_arguments)]
pub async fn set(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    month: &str,
    entrant: Entrant,
    before: Option<i32>,
    after: Option<i32>,
    correction: Option<&str>,
) -> sqlx::Result<()> {
    let (staff, id) = (entrant.is_staff(), entrant.id());
    let (window_id, staff_id) = entrant.columns();
    // One query per kind, so that the partial unique indexes serve the lookup.
    let existing = if staff {
        sqlx::query_scalar!(
            "select monthly_score_id from monthly_score where center_id = $1 and month = $2 and staff_id = $3",
            center_id.0,
            month,
            id
        )
        .fetch_optional(&mut *conn)
        .await?
    } else {
        sqlx::query_scalar!(
            "select monthly_score_id from monthly_score where center_id = $1 and month = $2 and window_id = $3",
            center_id.0,
            month,
            id
        )
        .fetch_optional(&mut *conn)
        .await?
    };
    match (existing, after) {
        (Some(row), Some(h)) => {
            sqlx::query!(
                "update monthly_score set score = $2::int / 100.0, version = version + 1, updated_by = $3, updated_at = now()
                 where monthly_score_id = $1",
                row,
                h,
                actor.account_id.map(|v| v.0)
            )
            .execute(&mut *conn)
            .await?;
        }
        (None, Some(h)) => {
            sqlx::query!(
                "insert into monthly_score (center_id, month, window_id, staff_id, score, updated_by)
                 values ($1, $2, $3, $4, $5::int / 100.0, $6)",
                center_id.0,
                month,
                window_id,
                staff_id,
                h,
                actor.account_id.map(|v| v.0)
            )
            .execute(&mut *conn)
            .await?;
        }
        (Some(row), None) => {
            sqlx::query!("delete from monthly_score where monthly_score_id = $1", row)
                .execute(&mut *conn)
                .await?;
        }
        (None, None) => {}
    }
    if after.is_some() {
        // A score replaces the month's "not assessed" mark.
        super::not_assessed::unmark(conn, actor, center_id, month, entrant).await?;
    }
    let show =
        |v: Option<i32>| v.map(|h| serde_json::json!({"score": Fixed2(i64::from(h)).to_string()}));
    let mut after_json = show(after);
    if let (Some(reason), Some(serde_json::Value::Object(m))) = (correction, after_json.as_mut()) {
        m.insert("reason".into(), reason.into());
    }
    audit::record(
        conn,
        actor,
        Change {
            action: if correction.is_some() {
                "monthly_score.correction"
            } else if after.is_none() {
                "monthly_score.delete"
            } else if before.is_none() {
                "monthly_score.create"
            } else {
                "monthly_score.update"
            },
            entity: "monthly_score",
            entity_id: format!("{month} {} {id}", if staff { "staff" } else { "window" }),
            before: show(before),
            after: after_json,
        },
    )
    .await
}

/// Records the correction of one score of a locked month (before the score itself changes:
/// the database accepts the change only with its correction in the same transaction).
#[allow(clippy::too_many_arguments)]
pub async fn record_correction(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    month: &str,
    entrant: Entrant,
    before: Option<i32>,
    after: i32,
    reason: &str,
    periods: &[String],
) -> sqlx::Result<()> {
    let made_by = actor
        .account_id
        .ok_or_else(|| sqlx::Error::Protocol("a correction needs its author".into()))?;
    let (window_id, staff_id) = entrant.columns();
    sqlx::query!(
        "insert into score_correction (center_id, month, window_id, staff_id, score_before, score_after, reason, periods, made_by)
         values ($1, $2, $3, $4, $5::int / 100.0, $6::int / 100.0, $7, $8, $9)",
        center_id.0,
        month,
        window_id,
        staff_id,
        before,
        after,
        reason,
        periods,
        made_by.0
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A score correction as the grid page lists it.
pub struct CorrectionRow {
    pub label: String,
    pub before: Option<i32>,
    pub after: i32,
    pub reason: String,
    pub periods: Vec<String>,
    pub made_by: String,
    pub made_at: time::OffsetDateTime,
}

/// The score corrections of a month, latest first.
pub async fn corrections(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
) -> sqlx::Result<Vec<CorrectionRow>> {
    sqlx::query_as!(
        CorrectionRow,
        r#"select coalesce(w.number || '号窗口 ' || w.name, s.name || '（' || s.employee_no || '）') as "label!",
                  (c.score_before * 100)::int as before, (c.score_after * 100)::int as "after!",
                  c.reason, c.periods, a.display_name as made_by, c.made_at
           from score_correction c
           join account a on a.account_id = c.made_by
           left join service_window w on w.window_id = c.window_id and w.center_id = c.center_id
           left join staff s on s.staff_id = c.staff_id and s.center_id = c.center_id
           where c.center_id = $1 and c.month = $2
           order by c.made_at desc, c.score_correction_id desc"#,
        center_id.0,
        month
    )
    .fetch_all(conn)
    .await
}

/// A staff member's own record: monthly scores (latest first), duty days by period, and
/// their entry in each published period's results. Nothing about anyone else.
pub struct OwnRecord {
    /// (month, its score in hundredths or the reason it was not assessed), latest first.
    pub scores: Vec<(String, Result<i32, String>)>,
    pub duty_days: Vec<(String, i32)>,
    /// (period code, the period's staff award title, the entry in its results, the
    /// period's duty-day minimum)
    pub results: Vec<(String, String, serde_json::Value, String)>,
}

pub async fn own_record(
    conn: &mut PgConnection,
    center_id: CenterId,
    staff_id: StaffId,
) -> sqlx::Result<OwnRecord> {
    // The last twelve months with a score or a "not assessed" mark.
    let scores = sqlx::query!(
        r#"select month as "month!", h, reason from (
             select month, (score * 100)::int as h, null::text as reason from monthly_score
              where center_id = $1 and staff_id = $2
             union all
             select month, null, reason from not_assessed
              where center_id = $1 and staff_id = $2) m
           order by month desc limit 12"#,
        center_id.0,
        staff_id.0
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.month, r.h.ok_or(r.reason.unwrap_or_default())))
    .collect();
    let duty_days = sqlx::query!(
        "select p.code, d.days from duty_days d join period p on p.period_id = d.period_id
         where d.center_id = $1 and d.staff_id = $2 order by p.code desc",
        center_id.0,
        staff_id.0
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.days))
    .collect();
    let id = format!("S{staff_id}");
    let results = sqlx::query!(
        r#"select p.code, p.staff_title, r.entry as e, p.rules ->> 'min_duty_days' as "min_days!"
           from result_entry r join period p on p.period_id = r.period_id
           where r.entrant = $2 and p.center_id = $1 and p.phase = 'published'
           order by p.code desc"#,
        center_id.0,
        id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.staff_title, r.e, r.min_days))
    .collect();
    Ok(OwnRecord {
        scores,
        duty_days,
        results,
    })
}

/// One month of an entrant's history: its score and the median of its kind (windows or
/// staff) in the center, both in hundredths.
#[derive(sqlx::FromRow)]
pub struct HistoryRow {
    pub month: String,
    pub own: Option<i32>,
    pub median: Option<i32>,
}

/// An entrant's scores over `months` beside the center's median of the same kind.
pub async fn history(
    conn: &mut PgConnection,
    center_id: CenterId,
    entrant: Entrant,
    months: &[String],
) -> sqlx::Result<Vec<HistoryRow>> {
    let (staff, id) = (entrant.is_staff(), entrant.id());
    // The median is read from the month's histogram of scores (`month_score_count`, kept
    // by a trigger) instead of sorting every score of the kind: the middle two scores are
    // the first whose running count passes (n - 1) / 2 and n / 2, and their mean is taken
    // in double precision exactly as `percentile_cont(0.5)` does.
    sqlx::query_as(
        "with h as (
             select month, score,
                    sum(entrants) over (partition by month order by score) as upto,
                    sum(entrants) over (partition by month) as n
             from month_score_count
             where center_id = $1 and kind = $2 and month = any($4) and entrants > 0
         ),
         mid as (
             select month,
                    min(score) filter (where upto > (n - 1) / 2) as lo,
                    min(score) filter (where upto > n / 2) as hi
             from h group by month
         )
         select m.month,
                coalesce(
                    (select (s.score * 100)::int from monthly_score s
                      where $2 = 'staff' and s.center_id = $1 and s.month = m.month and s.staff_id = $3),
                    (select (s.score * 100)::int from monthly_score s
                      where $2 = 'window' and s.center_id = $1 and s.month = m.month and s.window_id = $3)
                ) as own,
                ((mid.lo::float8 + (mid.hi::float8 - mid.lo::float8) * 0.5) * 100)::int as median
         from unnest($4::text[]) with ordinality m(month, n)
         left join mid on mid.month = m.month
         order by m.n",
    )
    .bind(center_id.0)
    .bind(if staff { "staff" } else { "window" })
    .bind(id)
    .bind(months)
    .fetch_all(conn)
    .await
}

/// An entrant's stored score of a month, hundredths.
pub async fn stored(
    conn: &mut PgConnection,
    center_id: CenterId,
    entrant: Entrant,
    month: &str,
) -> sqlx::Result<Option<i32>> {
    let (w, s) = entrant.columns();
    sqlx::query_scalar(
        "select (score * 100)::int4 from monthly_score where center_id = $1 and month = $2
           and (window_id = $3 or staff_id = $4)",
    )
    .bind(center_id.0)
    .bind(month)
    .bind(w)
    .bind(s)
    .fetch_optional(conn)
    .await
}
