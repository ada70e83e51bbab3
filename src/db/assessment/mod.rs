//! The itemized monthly assessment: rules versions, records, appeals and the public's
//! ratings, and a month's score computed from them.

pub mod appeals;
pub mod ratings;
pub mod records;
pub mod rules;

use sqlx::PgConnection;

use crate::domain::assessment::{Breakdown, compute};
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
    let b = explain(conn, center_id, &rules, entrant, month).await?;
    Ok(Some((rules, b)))
}

/// An entrant's month under `rules` (those in force for it, read once for many entrants).
pub async fn explain(
    conn: &mut PgConnection,
    center_id: CenterId,
    rules: &Rules,
    entrant: Entrant,
    month: &str,
) -> sqlx::Result<Breakdown> {
    let counts = records::counts(conn, center_id, entrant, month).await?;
    let ratings = ratings::of_entrant(conn, center_id, entrant, month).await?;
    Ok(compute(&rules.items, &counts, ratings.as_ref()))
}

/// Active windows and staff of the center matching what the office typed: a window by its
/// number or name, a staff member by name or employee number, or the staff of a window by
/// its number. At most `limit` of each kind.
pub async fn find(
    conn: &mut PgConnection,
    center_id: CenterId,
    typed: &str,
    limit: i64,
) -> sqlx::Result<Vec<(Entrant, String)>> {
    let q = typed
        .trim()
        .trim_end_matches("号窗口")
        .trim_end_matches('号');
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let windows: Vec<(i64, String)> = sqlx::query_as(
        "select window_id, number || '号窗口 ' || name from service_window
         where center_id = $1 and active and (number = $2 or strpos(name, $2) > 0)
         order by length(number), number limit $3",
    )
    .bind(center_id.0)
    .bind(q)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let staff: Vec<(i64, String)> = sqlx::query_as(
        "select s.staff_id, s.name || '（' || s.employee_no || '）' || w.number || '号窗口 ' || s.position
         from staff s join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
         where s.center_id = $1 and s.active
           and (strpos(s.name, $2) > 0 or lower(s.employee_no) = lower($2) or w.number = $2)
         order by length(w.number), w.number, s.name limit $3",
    )
    .bind(center_id.0)
    .bind(q)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(windows
        .into_iter()
        .map(|(id, l)| (Entrant::Window(crate::domain::ids::WindowId(id)), l))
        .chain(
            staff
                .into_iter()
                .map(|(id, l)| (Entrant::Staff(crate::domain::ids::StaffId(id)), l)),
        )
        .collect())
}

/// The name of an active window or staff member of the center, as the record form shows it.
pub async fn label(
    conn: &mut PgConnection,
    center_id: CenterId,
    entrant: Entrant,
) -> sqlx::Result<Option<String>> {
    let (w, s) = entrant.columns();
    sqlx::query_scalar(
        "select coalesce(
             (select number || '号窗口 ' || name from service_window
              where center_id = $1 and active and window_id = $2),
             (select s.name || '（' || s.employee_no || '）' || w.number || '号窗口 ' || s.position
              from staff s join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
              where s.center_id = $1 and s.active and s.staff_id = $3))",
    )
    .bind(center_id.0)
    .bind(w)
    .bind(s)
    .fetch_one(conn)
    .await
}

/// The ids of the center's active windows or staff.
pub async fn active_entrants(
    conn: &mut PgConnection,
    center_id: CenterId,
    kind: Kind,
) -> sqlx::Result<Vec<i64>> {
    let sql = match kind {
        Kind::Window => {
            "select window_id from service_window where center_id = $1 and active order by window_id"
        }
        Kind::Staff => {
            "select staff_id from staff where center_id = $1 and active order by staff_id"
        }
    };
    sqlx::query_scalar(sql)
        .bind(center_id.0)
        .fetch_all(conn)
        .await
}
