//! Entrants not assessed in a month (未参加考核), with the reason. A month is complete when
//! every active window and staff member has a score or such a mark; a score written later
//! replaces the mark (see `score::set`).

use sqlx::PgConnection;

use super::audit::{self, Actor, Change};
use crate::domain::ids::{CenterId, Entrant};

/// An active entrant of the month without a score, marked or not.
pub struct MonthEntrant {
    pub entrant: Entrant,
    pub label: String,
    pub detail: String,
    /// The mark's reason, who recorded it and when.
    pub mark: Option<(String, String, time::OffsetDateTime)>,
}

/// A month's active entrants by kind (`[windows, staff]`): how many there are, how many
/// have a score, and how many of those without one are marked not assessed.
pub struct MonthCounts {
    pub total: [i64; 2],
    pub scored: [i64; 2],
    pub marked: [i64; 2],
}

/// Counted without reading every entrant: the scores from the month's histogram
/// (`month_score_count`) less those of inactive entrants (few, by migration 0023's indexes).
///
/// `totals`, when given, are the active windows and staff as the center's roster holds
/// them ([`crate::db::org::Roster::entrant_totals`]): counting a large center's 6,000 staff
/// was most of the statement's time. Without them they are counted here, in the
/// statement's snapshot (as a phase change, in its transaction, needs).
pub async fn month_counts(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
    totals: Option<[i64; 2]>,
) -> sqlx::Result<MonthCounts> {
    const COUNTED: &str =
        "(select count(*) from service_window w where w.center_id = $1 and w.active),
           (select count(*) from staff s where s.center_id = $1 and s.active),";
    const GIVEN: &str = "$3::int8, $4::int8,";
    let [windows, staff] = totals.unwrap_or_default();
    let sql = format!(
        "select {}
           (select coalesce(sum(entrants), 0)::bigint from month_score_count
             where center_id = $1 and month = $2 and kind = 'window')
             - (select count(*) from service_window w
                  join monthly_score m on m.center_id = w.center_id and m.month = $2 and m.window_id = w.window_id
                 where w.center_id = $1 and not w.active),
           (select coalesce(sum(entrants), 0)::bigint from month_score_count
             where center_id = $1 and month = $2 and kind = 'staff')
             - (select count(*) from staff s
                  join monthly_score m on m.center_id = s.center_id and m.month = $2 and m.staff_id = s.staff_id
                 where s.center_id = $1 and not s.active),
           (select count(*) from not_assessed n
              join service_window w on w.center_id = n.center_id and w.window_id = n.window_id
             where n.center_id = $1 and n.month = $2 and w.active
               and not exists (select 1 from monthly_score m where m.center_id = n.center_id and m.month = $2 and m.window_id = n.window_id)),
           (select count(*) from not_assessed n
              join staff s on s.center_id = n.center_id and s.staff_id = n.staff_id
             where n.center_id = $1 and n.month = $2 and s.active
               and not exists (select 1 from monthly_score m where m.center_id = n.center_id and m.month = $2 and m.staff_id = n.staff_id))",
        if totals.is_some() { GIVEN } else { COUNTED }
    );
    let mut query = sqlx::query_as(&sql).bind(center_id.0).bind(month);
    if totals.is_some() {
        query = query.bind(windows).bind(staff);
    }
    let r: (i64, i64, i64, i64, i64, i64) = query.fetch_one(conn).await?;
    Ok(MonthCounts {
        total: [r.0, r.1],
        scored: [r.2, r.3],
        marked: [r.4, r.5],
    })
}

/// The active windows and staff members of the center without a score for `month`,
/// windows first, in the score grid's order: `limit` of them after skipping `offset`.
pub async fn month_unscored(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<MonthEntrant>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        window_id: Option<i64>,
        staff_id: Option<i64>,
        label: String,
        detail: String,
        reason: Option<String>,
        by: Option<String>,
        at: Option<time::OffsetDateTime>,
    }
    // Every join names the center: without it the planner reads every window of the
    // province to find one center's.
    let rows: Vec<Row> = sqlx::query_as(
        "select window_id, staff_id, label, detail, reason, by, at from (
         select w.window_id, null::bigint as staff_id,
                w.number || '号窗口 ' || w.name as label, d.name as detail,
                n.reason, a.display_name as by, n.created_at as at,
                0 as k, length(w.number) as l, w.number as o
         from service_window w
         join department d on d.department_id = w.department_id and d.center_id = w.center_id
         left join not_assessed n on n.center_id = w.center_id and n.month = $2 and n.window_id = w.window_id
         left join account a on a.account_id = n.created_by
         where w.center_id = $1 and w.active
           and not exists(select 1 from monthly_score m where m.center_id = w.center_id and m.month = $2 and m.window_id = w.window_id)
         union all
         select null, s.staff_id, s.name || '（' || s.employee_no || '）', w.number || '号窗口 ' || w.name,
                n.reason, a.display_name, n.created_at,
                1, length(w.number), w.number || ' ' || s.employee_no
         from staff s
         join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
         left join not_assessed n on n.center_id = s.center_id and n.month = $2 and n.staff_id = s.staff_id
         left join account a on a.account_id = n.created_by
         where s.center_id = $1 and s.active
           and not exists(select 1 from monthly_score m where m.center_id = s.center_id and m.month = $2 and m.staff_id = s.staff_id)
         ) e
         order by k, l, o
         limit $3 offset $4",
    )
    .bind(center_id.0)
    .bind(month)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let entrant = Entrant::from_columns(r.window_id, r.staff_id)?;
            let mark = match (r.reason, r.at) {
                (Some(reason), Some(at)) => Some((reason, r.by.unwrap_or_default(), at)),
                _ => None,
            };
            Some(MonthEntrant {
                entrant,
                label: r.label,
                detail: r.detail,
                mark,
            })
        })
        .collect())
}

/// Marks an active entrant of the center without a score as not assessed in `month`.
/// `false` (nothing written) when it is unknown, inactive, already scored or already marked.
pub async fn mark(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    month: &str,
    entrant: Entrant,
    reason: &str,
) -> sqlx::Result<bool> {
    let (window_id, staff_id) = entrant.columns();
    let inserted = sqlx::query_scalar!(
        r#"insert into not_assessed (center_id, month, window_id, staff_id, reason, created_by)
           select $1, $2, $3, $4, $5, $6
           where (exists(select 1 from service_window where center_id = $1 and window_id = $3 and active)
                  or exists(select 1 from staff where center_id = $1 and staff_id = $4 and active))
             and not exists(select 1 from monthly_score m where m.center_id = $1 and m.month = $2
                            and (m.window_id = $3 or m.staff_id = $4))
           on conflict do nothing
           returning not_assessed_id"#,
        center_id.0,
        month,
        window_id,
        staff_id,
        reason,
        actor.account_id.map(|v| v.0)
    )
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Ok(false);
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "not_assessed.create",
            entity: "not_assessed",
            entity_id: entity_id(month, entrant),
            before: None,
            after: Some(serde_json::json!({ "reason": reason })),
        },
    )
    .await?;
    Ok(true)
}

/// Removes the mark of `entrant` in `month`, if there is one (with its audit row). Called
/// when the office takes a mark back, and when a score is written for the entrant.
pub async fn unmark(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    month: &str,
    entrant: Entrant,
) -> sqlx::Result<bool> {
    let (window_id, staff_id) = entrant.columns();
    let removed = sqlx::query_scalar!(
        "delete from not_assessed where center_id = $1 and month = $2
           and (window_id = $3 or staff_id = $4) returning reason",
        center_id.0,
        month,
        window_id,
        staff_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(reason) = removed else {
        return Ok(false);
    };
    audit::record(
        conn,
        actor,
        Change {
            action: "not_assessed.delete",
            entity: "not_assessed",
            entity_id: entity_id(month, entrant),
            before: Some(serde_json::json!({ "reason": reason })),
            after: None,
        },
    )
    .await?;
    Ok(true)
}

/// As the score's audit rows name it: `2026-10 staff 34`.
fn entity_id(month: &str, entrant: Entrant) -> String {
    let kind = if entrant.is_staff() {
        "staff"
    } else {
        "window"
    };
    format!("{month} {kind} {}", entrant.id())
}

/// The months among `months` in which `entrant` was marked not assessed, with the reasons.
pub async fn reasons(
    conn: &mut PgConnection,
    center_id: CenterId,
    entrant: Entrant,
    months: &[String],
) -> sqlx::Result<Vec<(String, String)>> {
    let (window_id, staff_id) = entrant.columns();
    Ok(sqlx::query!(
        "select month, reason from not_assessed
         where center_id = $1 and (window_id = $2 or staff_id = $3) and month = any($4)
         order by month",
        center_id.0,
        window_id,
        staff_id,
        months
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.month, r.reason))
    .collect())
}

/// The entrants marked 未参加考核 in a month.
pub async fn marked(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
) -> sqlx::Result<std::collections::HashSet<Entrant>> {
    let rows: Vec<(Option<i64>, Option<i64>)> = sqlx::query_as(
        "select window_id, staff_id from not_assessed where center_id = $1 and month = $2",
    )
    .bind(center_id.0)
    .bind(month)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(w, s)| Entrant::from_columns(w, s))
        .collect())
}
