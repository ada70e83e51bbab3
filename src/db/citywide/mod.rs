//! The city-wide round (全市评选, SPEC.md §3): a city center's yearly round over its county
//! centers. This file holds the round itself, its quotas and its conditions; nominations
//! are in [`nomination`].

pub mod evidence;
pub mod feedback;
pub mod files;
pub mod honors;
pub mod nomination;
pub mod review;

use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::audit::{self, Actor, Change};
use crate::domain::citywide::{ConditionRule, RoundPhase};
use crate::domain::ids::CenterId;
use crate::scoring::Kind;

/// A round as stored.
#[derive(Clone, Debug)]
pub struct Round {
    pub id: i64,
    pub center_id: CenterId,
    pub year: i32,
    pub title: String,
    pub deadline: OffsetDateTime,
    pub window_brief_limit: i32,
    pub window_full_limit: i32,
    pub staff_brief_limit: i32,
    pub staff_full_limit: i32,
    pub file_count_limit: i32,
    pub file_size_limit: i32,
    pub phase: RoundPhase,
    pub objection_contact: String,
    pub window_title: String,
    pub staff_title: String,
}

impl Round {
    /// The most 字数 of a brief and of a full account of `kind`.
    pub fn limits(&self, kind: Kind) -> (usize, usize) {
        let (brief, full) = match kind {
            Kind::Window => (self.window_brief_limit, self.window_full_limit),
            Kind::Staff => (self.staff_brief_limit, self.staff_full_limit),
        };
        (
            usize::try_from(brief).unwrap_or(0),
            usize::try_from(full).unwrap_or(0),
        )
    }
}

/// A condition of a round, for one kind.
#[derive(Clone, Debug)]
pub struct Condition {
    pub id: i64,
    pub kind: Kind,
    pub text: String,
    pub rule: Option<ConditionRule>,
}

/// What the city office types when it opens a round.
#[derive(Clone, Debug)]
pub struct RoundInput {
    pub year: i32,
    pub title: String,
    pub deadline: OffsetDateTime,
    pub window_brief_limit: i32,
    pub window_full_limit: i32,
    pub staff_brief_limit: i32,
    pub staff_full_limit: i32,
    pub file_count_limit: i32,
    pub file_size_limit: i32,
    pub objection_contact: String,
    /// The honors a window and a person receive.
    pub window_title: String,
    pub staff_title: String,
    /// Per county: (county, windows, staff).
    pub quotas: Vec<(CenterId, i32, i32)>,
    /// Per kind, in order: the text and how the system checks it.
    pub conditions: Vec<(Kind, String, Option<ConditionRule>)>,
}

/// The county centers under `city`, in code order, as (id, name).
pub async fn counties(
    conn: &mut PgConnection,
    city: CenterId,
) -> sqlx::Result<Vec<(CenterId, String)>> {
    sqlx::query_as(
        "select center_id, name from center where parent_center_id = $1 order by code, center_id",
    )
    .bind(city)
    .fetch_all(conn)
    .await
}

/// The city center above `center`, if it is a county center.
pub async fn city_of(conn: &mut PgConnection, center: CenterId) -> sqlx::Result<Option<CenterId>> {
    sqlx::query_scalar("select parent_center_id from center where center_id = $1")
        .bind(center)
        .fetch_optional(conn)
        .await
        .map(Option::flatten)
}

/// Opens a round with its quotas and conditions, audited. `None` when the city already
/// has a round of that year.
pub async fn open(
    conn: &mut PgConnection,
    actor: &Actor,
    city: CenterId,
    input: &RoundInput,
) -> sqlx::Result<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "insert into citywide_round (center_id, year, title, deadline, window_brief_limit,
             window_full_limit, staff_brief_limit, staff_full_limit, file_count_limit,
             file_size_limit, objection_contact, window_title, staff_title)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         on conflict (center_id, year) do nothing
         returning citywide_round_id",
    )
    .bind(city)
    .bind(input.year)
    .bind(&input.title)
    .bind(input.deadline)
    .bind(input.window_brief_limit)
    .bind(input.window_full_limit)
    .bind(input.staff_brief_limit)
    .bind(input.staff_full_limit)
    .bind(input.file_count_limit)
    .bind(input.file_size_limit)
    .bind(&input.objection_contact)
    .bind(&input.window_title)
    .bind(&input.staff_title)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    for (county, windows, staff) in &input.quotas {
        for (kind, quota) in [(Kind::Window, windows), (Kind::Staff, staff)] {
            sqlx::query(
                "insert into citywide_quota (citywide_round_id, county_center_id, kind, quota)
                 select $1, center_id, $3, $4 from center where center_id = $2 and parent_center_id = $5",
            )
            .bind(id)
            .bind(county)
            .bind(kind.as_str())
            .bind(quota)
            .bind(city)
            .execute(&mut *conn)
            .await?;
        }
    }
    let mut positions = [0; 2];
    for (kind, text, rule) in &input.conditions {
        let at = &mut positions[usize::from(*kind == Kind::Staff)];
        *at += 1;
        let (code, min_count, since_year) = rule.map_or((None, None, None), |r| r.columns());
        sqlx::query(
            "insert into citywide_condition (citywide_round_id, kind, position, text, rule, min_count, since_year)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(kind.as_str())
        .bind(*at)
        .bind(text)
        .bind(code)
        .bind(min_count)
        .bind(since_year)
        .execute(&mut *conn)
        .await?;
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "citywide_round.create",
            entity: "citywide_round",
            entity_id: id.to_string(),
            before: None,
            after: Some(json!({
                "year": input.year,
                "title": input.title,
                "deadline": crate::domain::format_datetime(Some(input.deadline)),
                "quotas": input.quotas.iter().map(|(c, w, s)| json!({"center_id": c, "window": w, "staff": s})).collect::<Vec<_>>(),
                "conditions": input.conditions.len(),
            })),
        },
    )
    .await?;
    Ok(Some(id))
}

type RoundRow = (
    i64,
    CenterId,
    i32,
    String,
    OffsetDateTime,
    i32,
    i32,
    i32,
    i32,
    i32,
    i32,
    String,
    String,
    String,
    String,
);

const ROUND_COLUMNS: &str =
    "citywide_round_id, center_id, year, title, deadline, window_brief_limit,
    window_full_limit, staff_brief_limit, staff_full_limit, file_count_limit, file_size_limit,
    phase, objection_contact, window_title, staff_title";

fn round_of(r: RoundRow) -> Round {
    Round {
        id: r.0,
        center_id: r.1,
        year: r.2,
        title: r.3,
        deadline: r.4,
        window_brief_limit: r.5,
        window_full_limit: r.6,
        staff_brief_limit: r.7,
        staff_full_limit: r.8,
        file_count_limit: r.9,
        file_size_limit: r.10,
        phase: RoundPhase::parse(&r.11).unwrap_or(RoundPhase::Nomination),
        objection_contact: r.12,
        window_title: r.13,
        staff_title: r.14,
    }
}

/// The city's round of `year`.
pub async fn round_by_year(
    conn: &mut PgConnection,
    city: CenterId,
    year: i32,
) -> sqlx::Result<Option<Round>> {
    let row: Option<RoundRow> = sqlx::query_as(&format!(
        "select {ROUND_COLUMNS} from citywide_round where center_id = $1 and year = $2"
    ))
    .bind(city)
    .bind(year)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(round_of))
}

/// The city's rounds, the latest year first.
pub async fn rounds(conn: &mut PgConnection, city: CenterId) -> sqlx::Result<Vec<Round>> {
    let rows: Vec<RoundRow> = sqlx::query_as(&format!(
        "select {ROUND_COLUMNS} from citywide_round where center_id = $1 order by year desc"
    ))
    .bind(city)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(round_of).collect())
}

/// A county's quota of `kind` in a round (0 when the county has none).
pub async fn quota(
    conn: &mut PgConnection,
    round: i64,
    county: CenterId,
    kind: Kind,
) -> sqlx::Result<i32> {
    let q: Option<i32> = sqlx::query_scalar(
        "select quota from citywide_quota
         where citywide_round_id = $1 and county_center_id = $2 and kind = $3",
    )
    .bind(round)
    .bind(county)
    .bind(kind.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(q.unwrap_or(0))
}

/// The quotas of a round per county: (county, name, windows, staff).
pub async fn quotas(
    conn: &mut PgConnection,
    round: i64,
) -> sqlx::Result<Vec<(CenterId, String, i32, i32)>> {
    sqlx::query_as(
        "select c.center_id, c.name,
                coalesce(sum(q.quota) filter (where q.kind = 'window'), 0)::int,
                coalesce(sum(q.quota) filter (where q.kind = 'staff'), 0)::int
         from citywide_quota q join center c on c.center_id = q.county_center_id
         where q.citywide_round_id = $1
         group by c.center_id, c.name, c.code order by c.code, c.center_id",
    )
    .bind(round)
    .fetch_all(conn)
    .await
}

/// (id, text, rule, min_count, since_year).
type ConditionRow = (i64, String, Option<String>, Option<i32>, Option<i32>);

/// The conditions of a round for `kind`, in order.
pub async fn conditions(
    conn: &mut PgConnection,
    round: i64,
    kind: Kind,
) -> sqlx::Result<Vec<Condition>> {
    let rows: Vec<ConditionRow> = sqlx::query_as(
        "select citywide_condition_id, text, rule, min_count, since_year from citywide_condition
         where citywide_round_id = $1 and kind = $2 order by position",
    )
    .bind(round)
    .bind(kind.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, text, rule, min_count, since_year)| Condition {
            id,
            kind,
            text,
            rule: rule.and_then(|r| ConditionRule::from_columns(&r, min_count, since_year)),
        })
        .collect())
}

/// The notice's first and last days, once set.
pub async fn notice_dates(
    conn: &mut PgConnection,
    round: i64,
) -> sqlx::Result<Option<(time::Date, time::Date)>> {
    let row: Option<(Option<time::Date>, Option<time::Date>)> = sqlx::query_as(
        "select notice_starts, notice_ends from citywide_round where citywide_round_id = $1",
    )
    .bind(round)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(s, e)| Some((s?, e?))))
}

/// The round's phase, its row locked until the end of the transaction: a step that depends
/// on the phase and a change of the phase wait for each other.
pub async fn lock_phase(conn: &mut PgConnection, round: i64) -> sqlx::Result<RoundPhase> {
    let phase: String = sqlx::query_scalar(
        "select phase from citywide_round where citywide_round_id = $1 for update",
    )
    .bind(round)
    .fetch_one(conn)
    .await?;
    Ok(RoundPhase::parse(&phase).unwrap_or(RoundPhase::Nomination))
}
