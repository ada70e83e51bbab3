//! A county's nominations (申报推荐) in a city-wide round: drafts, submission, withdrawal.
//! Every query names the county, so that one county never reaches another's nominations;
//! deadlines and quotas are checked inside the writing transaction, after its locks, by the
//! server's clock.

use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::Round;
use crate::clock::Clock;
use crate::db::audit::{self, Actor, Change};
use crate::domain::citywide::{NominationStatus, RoundPhase};
use crate::domain::ids::CenterId;
use crate::scoring::Kind;

/// A nomination with its entrant as the pages show it.
#[derive(Clone, Debug)]
pub struct Nomination {
    pub id: i64,
    pub county: CenterId,
    pub kind: Kind,
    pub entrant_id: i64,
    /// 张三（A001） or 12号窗口 不动产登记.
    pub entrant: String,
    /// The window and department (staff) or the department (windows).
    pub detail: String,
    pub brief: String,
    pub full_text: String,
    pub status: NominationStatus,
    pub submitted_at: Option<OffsetDateTime>,
    pub return_reason: Option<String>,
    pub return_deadline: Option<OffsetDateTime>,
    pub decision_reason: Option<String>,
    pub version: i32,
}

impl Nomination {
    /// Until when the county may still change or submit it, if at all in this phase.
    pub fn open_until(&self, round: &Round) -> Option<OffsetDateTime> {
        match self.status {
            NominationStatus::Draft | NominationStatus::Submitted
                if round.phase == RoundPhase::Nomination =>
            {
                Some(round.deadline)
            }
            NominationStatus::Returned
                if matches!(round.phase, RoundPhase::Nomination | RoundPhase::Review) =>
            {
                self.return_deadline
            }
            _ => None,
        }
    }

    /// Whether the county may change it now.
    pub fn editable(&self, round: &Round, now: OffsetDateTime) -> bool {
        matches!(
            self.status,
            NominationStatus::Draft | NominationStatus::Returned
        ) && self.open_until(round).is_some_and(|t| now < t)
    }
}

/// Why a write was refused; nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The deadline has passed, or the round has moved on.
    Closed,
    /// Its status does not allow it (submitted: withdraw first; reviewed: final).
    Status(NominationStatus),
    /// Someone else saved it in between.
    Stale,
    /// The window or person is not an active one of the county.
    NotEntrant,
    /// The window or person is nominated already.
    Taken,
    /// The county's places of this kind are all taken.
    QuotaFull(i32),
}

/// What the county types.
#[derive(Clone, Debug)]
pub struct NominationInput {
    pub brief: String,
    pub full_text: String,
    /// Per declared condition: what the county says of it.
    pub notes: Vec<(i64, String)>,
}

const SELECT: &str = "select n.nomination_id, n.county_center_id, n.kind,
        coalesce(n.window_id, n.staff_id),
        case when n.kind = 'window' then w.number || '号窗口 ' || w.name
             else s.name || '（' || s.employee_no || '）' end,
        case when n.kind = 'window' then d.name
             else sw.number || '号窗口 ' || sw.name || ' · ' || sd.name end,
        n.brief, n.full_text, n.status, n.submitted_at, n.return_reason, n.return_deadline,
        n.decision_reason, n.version
    from nomination n
    left join service_window w on w.window_id = n.window_id and w.center_id = n.county_center_id
    left join department d on d.department_id = w.department_id and d.center_id = w.center_id
    left join staff s on s.staff_id = n.staff_id and s.center_id = n.county_center_id
    left join service_window sw on sw.window_id = s.window_id and sw.center_id = s.center_id
    left join department sd on sd.department_id = sw.department_id and sd.center_id = sw.center_id";

type Row = (
    i64,
    CenterId,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<OffsetDateTime>,
    Option<String>,
    Option<OffsetDateTime>,
    Option<String>,
    i32,
);

fn nomination_of(r: Row) -> Nomination {
    Nomination {
        id: r.0,
        county: r.1,
        kind: Kind::parse(&r.2).unwrap_or(Kind::Window),
        entrant_id: r.3,
        entrant: r.4,
        detail: r.5,
        brief: r.6,
        full_text: r.7,
        status: NominationStatus::parse(&r.8).unwrap_or(NominationStatus::Draft),
        submitted_at: r.9,
        return_reason: r.10,
        return_deadline: r.11,
        decision_reason: r.12,
        version: r.13,
    }
}

/// A county's nominations in a round, windows first, in the order they were started.
pub async fn list(
    conn: &mut PgConnection,
    round: i64,
    county: CenterId,
) -> sqlx::Result<Vec<Nomination>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} where n.citywide_round_id = $1 and n.county_center_id = $2
         order by n.kind desc, n.nomination_id"
    ))
    .bind(round)
    .bind(county)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(nomination_of).collect())
}

/// One of a county's nominations; `None` for another county's or an unknown id.
pub async fn find(
    conn: &mut PgConnection,
    round: i64,
    county: CenterId,
    id: i64,
) -> sqlx::Result<Option<Nomination>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} where n.citywide_round_id = $1 and n.county_center_id = $2 and n.nomination_id = $3"
    ))
    .bind(round)
    .bind(county)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(nomination_of))
}

/// A nomination of the round, whichever county made it (for the city).
pub async fn find_in_round(
    conn: &mut PgConnection,
    round: i64,
    id: i64,
) -> sqlx::Result<Option<Nomination>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} where n.citywide_round_id = $1 and n.nomination_id = $2"
    ))
    .bind(round)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(nomination_of))
}

/// Every nomination of a round, by county (in code order) and kind, windows first.
pub async fn all_in_round(conn: &mut PgConnection, round: i64) -> sqlx::Result<Vec<Nomination>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} join center c on c.center_id = n.county_center_id
         where n.citywide_round_id = $1 order by c.code, n.kind desc, n.nomination_id"
    ))
    .bind(round)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(nomination_of).collect())
}

/// What the county said of each declared condition: (condition, note).
pub async fn notes(conn: &mut PgConnection, id: i64) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "select citywide_condition_id, note from nomination_condition where nomination_id = $1",
    )
    .bind(id)
    .fetch_all(conn)
    .await
}

/// The county's active windows or staff not yet nominated in the round, as (id, label).
pub async fn nominable(
    conn: &mut PgConnection,
    round: i64,
    county: CenterId,
    kind: Kind,
) -> sqlx::Result<Vec<(i64, String)>> {
    let sql = match kind {
        Kind::Window => {
            "select w.window_id, w.number || '号窗口 ' || w.name || '（' || d.name || '）'
             from service_window w join department d on d.department_id = w.department_id and d.center_id = w.center_id
             where w.center_id = $2 and w.active
               and not exists (select 1 from nomination n where n.citywide_round_id = $1 and n.window_id = w.window_id)
             order by length(w.number), w.number"
        }
        Kind::Staff => {
            "select s.staff_id, s.name || '（' || s.employee_no || '，' || w.number || '号窗口 ' || w.name || '）'
             from staff s join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
             where s.center_id = $2 and s.active
               and not exists (select 1 from nomination n where n.citywide_round_id = $1 and n.staff_id = s.staff_id)
             order by length(w.number), w.number, s.employee_no"
        }
    };
    sqlx::query_as(sql)
        .bind(round)
        .bind(county)
        .fetch_all(conn)
        .await
}

async fn write_notes(
    conn: &mut PgConnection,
    round: i64,
    id: i64,
    notes: &[(i64, String)],
) -> sqlx::Result<()> {
    for (condition, note) in notes {
        sqlx::query(
            "insert into nomination_condition (nomination_id, citywide_condition_id, note)
             select $1, citywide_condition_id, $3 from citywide_condition
             where citywide_condition_id = $2 and citywide_round_id = $4
             on conflict (nomination_id, citywide_condition_id) do update set note = excluded.note",
        )
        .bind(id)
        .bind(condition)
        .bind(note)
        .bind(round)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Starts a nomination of one of the county's active windows or staff, as a draft.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    clock: &Clock,
    round: &Round,
    county: CenterId,
    kind: Kind,
    entrant: i64,
    input: &NominationInput,
) -> sqlx::Result<Result<i64, Refusal>> {
    lock_round(conn, round.id).await?;
    if round.phase != RoundPhase::Nomination || clock.now() >= round.deadline {
        return Ok(Err(Refusal::Closed));
    }
    let taken: bool = sqlx::query_scalar(
        "select exists (select 1 from nomination where citywide_round_id = $1
                          and (window_id = $2 and $3 or staff_id = $2 and not $3))",
    )
    .bind(round.id)
    .bind(entrant)
    .bind(kind == Kind::Window)
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Ok(Err(Refusal::Taken));
    }
    let id: Option<i64> = sqlx::query_scalar(
        "insert into nomination (citywide_round_id, county_center_id, kind, window_id, staff_id, brief, full_text)
         select $1, $2, $3, case when $3 = 'window' then $4 end, case when $3 = 'staff' then $4 end, $5, $6
         where case when $3 = 'window'
                    then exists (select 1 from service_window where center_id = $2 and window_id = $4 and active)
                    else exists (select 1 from staff where center_id = $2 and staff_id = $4 and active) end
         returning nomination_id",
    )
    .bind(round.id)
    .bind(county)
    .bind(kind.as_str())
    .bind(entrant)
    .bind(&input.brief)
    .bind(&input.full_text)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(Err(Refusal::NotEntrant));
    };
    write_notes(conn, round.id, id, &input.notes).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "nomination.create",
            entity: "nomination",
            entity_id: id.to_string(),
            before: None,
            after: Some(json!({
                "round": round.year, "kind": kind.as_str(), "entrant": entrant,
                "brief": input.brief, "full_text": input.full_text,
            })),
        },
    )
    .await?;
    Ok(Ok(id))
}

/// The round's row, locked: every write of a nomination of the round waits for the one
/// before it, so that a deadline or phase read under it holds until commit.
async fn lock_round(conn: &mut PgConnection, round: i64) -> sqlx::Result<()> {
    sqlx::query("select 1 from citywide_round where citywide_round_id = $1 for share")
        .bind(round)
        .execute(conn)
        .await?;
    Ok(())
}

/// The nomination locked for a change by the county.
async fn lock(
    conn: &mut PgConnection,
    round: i64,
    county: CenterId,
    id: i64,
) -> sqlx::Result<Option<Nomination>> {
    sqlx::query("select 1 from nomination where nomination_id = $1 for update")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    find(conn, round, county, id).await
}

/// The nomination locked, when the county may change it now (a draft or returned one,
/// before its deadline, in its phase).
pub async fn lock_editable(
    conn: &mut PgConnection,
    clock: &Clock,
    round: &Round,
    county: CenterId,
    id: i64,
) -> sqlx::Result<Result<Nomination, Refusal>> {
    lock_round(conn, round.id).await?;
    let Some(n) = lock(conn, round.id, county, id).await? else {
        return Ok(Err(Refusal::NotEntrant));
    };
    Ok(may_change(&n, round, clock.now(), n.version).map(|()| n))
}

/// Saves what the county typed into its draft or returned nomination.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    clock: &Clock,
    round: &Round,
    county: CenterId,
    id: i64,
    version: i32,
    input: &NominationInput,
) -> sqlx::Result<Result<(), Refusal>> {
    lock_round(conn, round.id).await?;
    let Some(n) = lock(conn, round.id, county, id).await? else {
        return Ok(Err(Refusal::NotEntrant));
    };
    if let Err(r) = may_change(&n, round, clock.now(), version) {
        return Ok(Err(r));
    }
    sqlx::query(
        "update nomination set brief = $2, full_text = $3, version = version + 1, updated_at = now()
         where nomination_id = $1",
    )
    .bind(id)
    .bind(&input.brief)
    .bind(&input.full_text)
    .execute(&mut *conn)
    .await?;
    write_notes(conn, round.id, id, &input.notes).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "nomination.update",
            entity: "nomination",
            entity_id: id.to_string(),
            before: Some(json!({"brief": n.brief, "full_text": n.full_text})),
            after: Some(json!({"brief": input.brief, "full_text": input.full_text})),
        },
    )
    .await?;
    Ok(Ok(()))
}

fn may_change(
    n: &Nomination,
    round: &Round,
    now: OffsetDateTime,
    version: i32,
) -> Result<(), Refusal> {
    if !matches!(
        n.status,
        NominationStatus::Draft | NominationStatus::Returned
    ) {
        return Err(Refusal::Status(n.status));
    }
    if !n.editable(round, now) {
        return Err(Refusal::Closed);
    }
    if n.version != version {
        return Err(Refusal::Stale);
    }
    Ok(())
}

/// Submits a draft or a returned nomination: before its deadline, within the county's
/// quota. Two submissions of one county wait for each other on the quota row.
pub async fn submit(
    conn: &mut PgConnection,
    actor: &Actor,
    clock: &Clock,
    round: &Round,
    county: CenterId,
    id: i64,
    version: i32,
) -> sqlx::Result<Result<(), Refusal>> {
    lock_round(conn, round.id).await?;
    let kind: Option<String> = sqlx::query_scalar(
        "select kind from nomination where nomination_id = $1 and county_center_id = $2",
    )
    .bind(id)
    .bind(county)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(kind) = kind.as_deref().and_then(Kind::parse) else {
        return Ok(Err(Refusal::NotEntrant));
    };
    let quota: i32 = sqlx::query_scalar(
        "select quota from citywide_quota
         where citywide_round_id = $1 and county_center_id = $2 and kind = $3 for update",
    )
    .bind(round.id)
    .bind(county)
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or(0);
    let Some(n) = lock(conn, round.id, county, id).await? else {
        return Ok(Err(Refusal::NotEntrant));
    };
    // The time of the submission is read after every lock is held: what commits is
    // wholly before the deadline, or refused.
    let now = clock.now();
    if let Err(r) = may_change(&n, round, now, version) {
        return Ok(Err(r));
    }
    if n.status == NominationStatus::Draft {
        let held: i64 = sqlx::query_scalar(
            "select count(*) from nomination
             where citywide_round_id = $1 and county_center_id = $2 and kind = $3
               and status in ('submitted', 'returned', 'accepted') and nomination_id <> $4",
        )
        .bind(round.id)
        .bind(county)
        .bind(kind.as_str())
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        if held >= i64::from(quota) {
            return Ok(Err(Refusal::QuotaFull(quota)));
        }
    }
    sqlx::query(
        "update nomination set status = 'submitted', submitted_at = $2, version = version + 1,
                updated_at = now()
         where nomination_id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "nomination.submit",
            entity: "nomination",
            entity_id: id.to_string(),
            before: Some(json!({"status": n.status.as_str()})),
            after: Some(json!({
                "status": "submitted",
                "submitted_at": crate::domain::format_datetime(Some(now)),
            })),
        },
    )
    .await?;
    Ok(Ok(()))
}

/// Takes a submitted nomination back to a draft, before the deadline.
pub async fn withdraw(
    conn: &mut PgConnection,
    actor: &Actor,
    clock: &Clock,
    round: &Round,
    county: CenterId,
    id: i64,
) -> sqlx::Result<Result<(), Refusal>> {
    lock_round(conn, round.id).await?;
    let Some(n) = lock(conn, round.id, county, id).await? else {
        return Ok(Err(Refusal::NotEntrant));
    };
    if n.status != NominationStatus::Submitted {
        return Ok(Err(Refusal::Status(n.status)));
    }
    if n.open_until(round).is_none_or(|t| clock.now() >= t) {
        return Ok(Err(Refusal::Closed));
    }
    sqlx::query(
        "update nomination set status = 'draft', submitted_at = null, version = version + 1,
                updated_at = now()
         where nomination_id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "nomination.withdraw",
            entity: "nomination",
            entity_id: id.to_string(),
            before: Some(json!({"status": "submitted"})),
            after: Some(json!({"status": "draft"})),
        },
    )
    .await?;
    Ok(Ok(()))
}

/// How many nominations each county has in each status: (county, kind, status, count).
pub async fn counts(
    conn: &mut PgConnection,
    round: i64,
) -> sqlx::Result<Vec<(CenterId, Kind, NominationStatus, i64)>> {
    let rows: Vec<(CenterId, String, String, i64)> = sqlx::query_as(
        "select county_center_id, kind, status, count(*) from nomination
         where citywide_round_id = $1 group by county_center_id, kind, status",
    )
    .bind(round)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, k, s, n)| Some((c, Kind::parse(&k)?, NominationStatus::parse(&s)?, n)))
        .collect())
}
