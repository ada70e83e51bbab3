//! The leadership group's comprehensive ratings (综合评定): each member rates every
//! candidate, may change a rating until the rating phase closes, and every change is
//! audited.

use crate::domain::ids::{AccountId, CenterId, PeriodId};
use sqlx::PgConnection;

use super::audit::{self, Actor, Change};
use super::snapshot::{CandidateCache, Candidates};
use crate::scoring::RulesInput;
use sqlx::types::Json;
use std::sync::Arc;

pub struct OpenRating {
    pub period_id: PeriodId,
    pub code: String,
    /// The candidates when they were confirmed.
    pub candidates: Arc<Candidates>,
    pub rules: Json<RulesInput>,
    pub months: Vec<String>,
}

/// The center's period in the rating phase, with its candidates from this process's cache.
pub async fn open_rating(
    conn: &mut PgConnection,
    cache: &CandidateCache,
    center_id: CenterId,
) -> sqlx::Result<Option<OpenRating>> {
    type Row = (i64, String, i64, Json<RulesInput>, Vec<String>);
    let row: Option<Row> = sqlx::query_as(
        "select period_id, code, xmin::text::bigint, rules, months from period
         where center_id = $1 and phase = 'rating' and candidates is not null
         order by code desc limit 1",
    )
    .bind(center_id.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((period_id, code, version, rules, months)) = row else {
        return Ok(None);
    };
    let period_id = PeriodId(period_id);
    Ok(Some(OpenRating {
        period_id,
        code,
        candidates: cache.get(conn, period_id, version).await?,
        rules,
        months,
    }))
}

/// A member's ratings in the period: recount id (`W12`, `S45`) → hundredths.
pub async fn mine(
    conn: &mut PgConnection,
    period_id: PeriodId,
    account_id: AccountId,
) -> sqlx::Result<Vec<(String, i32)>> {
    Ok(sqlx::query!(
        r#"select window_id, staff_id, (score * 100)::int as "h!" from rating where period_id = $1 and account_id = $2"#,
        period_id.0,
        account_id.0
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .filter_map(|r| match (r.window_id, r.staff_id) {
        (Some(w), _) => Some((format!("W{w}"), r.h)),
        (_, Some(s)) => Some((format!("S{s}"), r.h)),
        _ => None,
    })
    .collect())
}

/// Every rating of the period in the recount format.
pub async fn all(
    conn: &mut PgConnection,
    period_id: PeriodId,
) -> sqlx::Result<Vec<crate::scoring::RatingInput>> {
    Ok(sqlx::query!(
        r#"select account_id, window_id, staff_id, (score * 100)::int as "h!" from rating
           where period_id = $1 order by account_id, window_id, staff_id"#,
        period_id.0
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .filter_map(|r| {
        let subject = match (r.window_id, r.staff_id) {
            (Some(w), _) => format!("W{w}"),
            (_, Some(s)) => format!("S{s}"),
            _ => return None,
        };
        Some(crate::scoring::RatingInput {
            rater: format!("L{}", r.account_id),
            subject,
            score: crate::scoring::Number::from_hundredths(i64::from(r.h)),
        })
    })
    .collect())
}

/// Whether the period is still in the rating phase, with its row share-locked so that the
/// phase cannot close while ratings are written.
pub async fn lock_open(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
) -> sqlx::Result<bool> {
    let phase = sqlx::query_scalar!(
        "select phase from period where center_id = $1 and period_id = $2 for share",
        center_id.0,
        period_id.0
    )
    .fetch_optional(conn)
    .await?;
    Ok(phase.as_deref() == Some("rating"))
}

/// Sets (or, with `None`, removes) one rating, with its audit row. `subject` is a recount
/// id of a candidate of the period (the caller checked it against the snapshot).
#[allow(clippy::too_many_arguments)]
pub async fn set(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period_id: PeriodId,
    code: &str,
    subject: &str,
    before: Option<i32>,
    after: Option<i32>,
) -> sqlx::Result<()> {
    let id: i64 = subject[1..]
        .parse()
        .map_err(|_| sqlx::Error::Protocol("bad subject".into()))?;
    let (window_id, staff_id) = if subject.starts_with('W') {
        (Some(id), None)
    } else {
        (None, Some(id))
    };
    let account_id = actor
        .account_id
        .ok_or_else(|| sqlx::Error::Protocol("a rating needs a rater".into()))?;
    sqlx::query(
        "delete from rating where period_id = $1 and account_id = $2
           and (window_id = $3 or staff_id = $4)",
    )
    .bind(period_id.0)
    .bind(account_id.0)
    .bind(window_id)
    .bind(staff_id)
    .execute(&mut *conn)
    .await?;
    if let Some(h) = after {
        sqlx::query!(
            "insert into rating (center_id, period_id, account_id, window_id, staff_id, score)
             values ($1, $2, $3, $4, $5, $6::int / 100.0)",
            center_id.0,
            period_id.0,
            account_id.0,
            window_id,
            staff_id,
            h
        )
        .execute(&mut *conn)
        .await?;
    }
    let show = |v: Option<i32>| {
        v.map(|h| serde_json::json!({"score": crate::scoring::Fixed2(i64::from(h)).to_string()}))
    };
    audit::record(
        conn,
        actor,
        Change {
            action: "rating.update",
            entity: "rating",
            entity_id: format!("{code} {subject}"),
            before: show(before),
            after: show(after),
        },
    )
    .await
}

/// How far each leadership member is: (name, is group leader, ratings given).
pub async fn progress(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
) -> sqlx::Result<Vec<(String, bool, i64)>> {
    Ok(sqlx::query!(
        r#"select a.display_name, a.is_group_leader,
                  (select count(*) from rating r where r.period_id = $2 and r.account_id = a.account_id) as "n!"
           from round_member m join account a on a.account_id = m.account_id
           where m.center_id = $1 and m.period_id = $2 and m.duty = 'rater'
           order by a.is_group_leader desc, a.username"#,
        center_id.0,
        period_id.0
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.display_name, r.is_group_leader, r.n))
    .collect())
}
