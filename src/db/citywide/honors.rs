//! The city-wide round's announcement (通报表彰, SPEC.md §3 step 6): the group leader
//! publishes the final list, which locks the round and issues each honoree a certificate in
//! the city's name; a later disqualification is a correction with a reason that revokes it.

use rand::Rng;
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::Round;
use crate::db::audit::{self, Actor, Change};
use crate::domain::citywide::RoundPhase;
use crate::domain::ids::CenterId;
use crate::scoring::Kind;

/// An honoree as listed, printed and verified.
#[derive(Clone, Debug)]
pub struct CityHonor {
    pub id: i64,
    pub round: i64,
    pub year: i32,
    pub kind: Kind,
    pub title: String,
    pub name: String,
    pub window_label: String,
    pub department: String,
    pub county: String,
    pub county_id: CenterId,
    pub staff_id: Option<i64>,
    pub certificate_no: String,
    pub issued_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub city: String,
}

/// A certificate number of a city-wide round: `2026CW-W01-K7Q2ZP`.
fn certificate_no(year: i32, kind: Kind, n: usize) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let suffix: String = (0..6)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    let k = if kind == Kind::Window { 'W' } else { 'S' };
    format!("{year}CW-{k}{n:02}-{suffix}")
}

/// Why publishing was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublishRefusal {
    Phase(RoundPhase),
    /// Feedback still unanswered.
    Unanswered(i64),
}

/// Publishes the round: every accepted, not disqualified nominee becomes an honoree with a
/// certificate, the round is locked, and every server's honor rolls and notice change.
pub async fn publish(
    conn: &mut PgConnection,
    actor: &Actor,
    round: &Round,
) -> sqlx::Result<Result<usize, PublishRefusal>> {
    let phase = super::lock_phase(conn, round.id).await?;
    if phase != RoundPhase::Confirmation {
        return Ok(Err(PublishRefusal::Phase(phase)));
    }
    let unanswered: i64 = sqlx::query_scalar(
        "select count(*) from notice_feedback where citywide_round_id = $1 and answer is null",
    )
    .bind(round.id)
    .fetch_one(&mut *conn)
    .await?;
    if unanswered > 0 {
        return Ok(Err(PublishRefusal::Unanswered(unanswered)));
    }
    let nominees = super::feedback::nominees(conn, round.id).await?;
    let mut counts = [0usize; 2];
    for n in &nominees {
        let at = &mut counts[usize::from(n.kind == Kind::Staff)];
        *at += 1;
        let number = certificate_no(round.year, n.kind, *at);
        sqlx::query(
            "insert into citywide_honor (citywide_round_id, nomination_id, county_center_id, kind,
                 window_id, staff_id, name, window_label, department, county, certificate_no)
             select $1, n.nomination_id, n.county_center_id, n.kind, n.window_id, n.staff_id,
                    $3, $4, $5, c.name, $6
             from nomination n join center c on c.center_id = n.county_center_id
             where n.nomination_id = $2",
        )
        .bind(round.id)
        .bind(n.nomination_id)
        .bind(&n.name)
        .bind(&n.window)
        .bind(&n.department)
        .bind(&number)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "update citywide_round set phase = 'published', published_at = now()
         where citywide_round_id = $1",
    )
    .bind(round.id)
    .execute(&mut *conn)
    .await?;
    crate::db::honor::notify(conn, round.center_id).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "citywide_round.publish",
            entity: "citywide_round",
            entity_id: round.id.to_string(),
            before: Some(json!({"phase": "confirmation"})),
            after: Some(json!({
                "phase": "published",
                "honorees": nominees.iter().map(|n| n.nomination_id).collect::<Vec<_>>(),
            })),
        },
    )
    .await?;
    Ok(Ok(nominees.len()))
}

const SELECT: &str = "select h.citywide_honor_id, h.citywide_round_id, r.year, h.kind,
        case when h.kind = 'window' then r.window_title else r.staff_title end,
        h.name, h.window_label, h.department, h.county, h.county_center_id, h.staff_id,
        h.certificate_no, h.issued_at, h.revoked_at, city.name
    from citywide_honor h join citywide_round r using (citywide_round_id)
    join center city on city.center_id = r.center_id";

type Row = (
    i64,
    i64,
    i32,
    String,
    String,
    String,
    String,
    String,
    String,
    CenterId,
    Option<i64>,
    String,
    OffsetDateTime,
    Option<OffsetDateTime>,
    String,
);

fn honor_of(r: Row) -> CityHonor {
    CityHonor {
        id: r.0,
        round: r.1,
        year: r.2,
        kind: Kind::parse(&r.3).unwrap_or(Kind::Window),
        title: r.4,
        name: r.5,
        window_label: r.6,
        department: r.7,
        county: r.8,
        county_id: r.9,
        staff_id: r.10,
        certificate_no: r.11,
        issued_at: r.12,
        revoked_at: r.13,
        city: r.14,
    }
}

/// The honorees of a round, by county, windows first (revoked ones too).
pub async fn of_round(conn: &mut PgConnection, round: i64) -> sqlx::Result<Vec<CityHonor>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} join center c on c.center_id = h.county_center_id
         where h.citywide_round_id = $1 order by c.code, h.kind desc, h.citywide_honor_id"
    ))
    .bind(round)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(honor_of).collect())
}

/// A county's valid honorees of its city's latest published round.
pub async fn of_county(conn: &mut PgConnection, county: CenterId) -> sqlx::Result<Vec<CityHonor>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} where h.county_center_id = $1 and h.revoked_at is null
           and r.citywide_round_id = (select max(citywide_round_id) from citywide_round x
                                      where x.center_id = r.center_id and x.phase = 'published')
         order by h.kind desc, h.citywide_honor_id"
    ))
    .bind(county)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(honor_of).collect())
}

/// The honor with this certificate number, valid or revoked.
pub async fn by_certificate(
    conn: &mut PgConnection,
    number: &str,
) -> sqlx::Result<Option<CityHonor>> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} where h.certificate_no = $1"))
        .bind(number)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(honor_of))
}

/// Revokes an honoree after publication (a correction with its reason): the certificate
/// stops being valid and the honor leaves the honor rolls, on every server.
pub async fn revoke(
    conn: &mut PgConnection,
    actor: &Actor,
    round: &Round,
    honor: i64,
    reason: &str,
) -> sqlx::Result<bool> {
    let done: Option<(i64, String)> = sqlx::query_as(
        "update citywide_honor set revoked_at = now(), revoked_reason = $3
         where citywide_honor_id = $1 and citywide_round_id = $2 and revoked_at is null
         returning nomination_id, certificate_no",
    )
    .bind(honor)
    .bind(round.id)
    .bind(reason)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((nomination, number)) = done else {
        return Ok(false);
    };
    sqlx::query(
        "update nomination set disqualified_at = now(), disqualified_reason = $2
         where nomination_id = $1 and disqualified_at is null",
    )
    .bind(nomination)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    crate::db::honor::notify(conn, round.center_id).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "citywide_honor.revoke",
            entity: "citywide_honor",
            entity_id: honor.to_string(),
            before: Some(json!({"certificate_no": number, "revoked": false})),
            after: Some(json!({"revoked": true, "reason": reason})),
        },
    )
    .await?;
    Ok(true)
}
