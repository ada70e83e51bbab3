//! The public notice (公示) and its feedback: the nominees shown, feedback from the public
//! (within flood limits that an office behind one address does not hit) or recorded by the
//! office, each answered on the record; and a nominee's disqualification with its reason.

use rand::Rng;
use serde_json::json;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};

use super::Round;
use crate::db::audit::{self, Actor, Change};
use crate::domain::citywide::{FeedbackAnswer, FeedbackSource, RoundPhase};
use crate::scoring::Kind;

/// A nominee as the public notice shows it.
#[derive(Clone, Debug)]
pub struct Nominee {
    pub nomination_id: i64,
    pub kind: Kind,
    pub county: String,
    pub name: String,
    /// The window (staff) and the department.
    pub window: String,
    pub department: String,
    pub brief: String,
    /// `/photos/{id}?v=…` of a person with a photo.
    pub photo: Option<String>,
}

/// The nominees of the notice: accepted and not disqualified, by county, windows first.
pub async fn nominees(conn: &mut PgConnection, round: i64) -> sqlx::Result<Vec<Nominee>> {
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        Option<i64>,
        Option<OffsetDateTime>,
    );
    let rows: Vec<Row> =
        sqlx::query_as(
            "select n.nomination_id, n.kind, c.name,
                    case when n.kind = 'window' then w.number || '号窗口 ' || w.name else s.name end,
                    case when n.kind = 'window' then w.number || '号窗口 ' || w.name
                         else sw.number || '号窗口 ' || sw.name end,
                    coalesce(d.name, sd.name),
                    n.brief, s.staff_id, case when s.photo is not null then s.photo_updated_at end
             from nomination n
             join center c on c.center_id = n.county_center_id
             left join service_window w on w.window_id = n.window_id and w.center_id = n.county_center_id
             left join department d on d.department_id = w.department_id and d.center_id = w.center_id
             left join staff s on s.staff_id = n.staff_id and s.center_id = n.county_center_id
             left join service_window sw on sw.window_id = s.window_id and sw.center_id = s.center_id
             left join department sd on sd.department_id = sw.department_id and sd.center_id = sw.center_id
             where n.citywide_round_id = $1 and n.status = 'accepted' and n.disqualified_at is null
             order by c.code, n.kind desc, n.nomination_id",
        )
        .bind(round)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, kind, county, name, window, department, brief, staff, photo_at)| Nominee {
                nomination_id: id,
                kind: Kind::parse(&kind).unwrap_or(Kind::Window),
                county,
                name,
                window,
                department,
                brief,
                photo: staff
                    .zip(photo_at)
                    .map(|(id, at)| format!("/photos/{id}?v={}", at.unix_timestamp())),
            },
        )
        .collect())
}

/// Whether the notice is open for feedback on `today`.
pub fn open_on(round: &Round, dates: Option<(Date, Date)>, today: Date) -> bool {
    round.phase == RoundPhase::Notice && dates.is_some_and(|(s, e)| s <= today && today <= e)
}

/// Flood limits of the public form.
pub const PER_ADDRESS: (i64, i64) = (30, 600);
pub const PER_TELEPHONE: (i64, i64) = (10, 86400);
pub const OVERALL: (i64, i64) = (3000, 60);

/// Why a public submission was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flood {
    Address,
    Telephone,
    Overall,
}

/// What someone sends.
#[derive(Clone, Debug)]
pub struct FeedbackInput {
    pub nomination_id: i64,
    pub body: String,
    pub real_name: String,
    pub telephone: String,
}

fn receipt(year: i32) -> String {
    const DIGITS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..8)
        .map(|_| DIGITS[rng.gen_range(0..DIGITS.len())] as char)
        .collect();
    format!("GS{year}-{tail}")
}

/// Takes a piece of feedback from the notice's form, unless a flood limit says no; returns
/// its receipt number. `None` when the nominee is not one of the notice's.
pub async fn submit_public(
    conn: &mut PgConnection,
    round: &Round,
    input: &FeedbackInput,
    ip: &str,
    now: OffsetDateTime,
) -> sqlx::Result<Option<Result<String, Flood>>> {
    let limits: (i64, i64, i64) = sqlx::query_as(
        "select
           (select count(*) from notice_feedback where client_ip = $1 and received_at > $3 - make_interval(secs => $4)),
           (select count(*) from notice_feedback where telephone = $2 and source = 'public' and received_at > $3 - make_interval(secs => $5)),
           (select count(*) from notice_feedback where received_at > $3 - make_interval(secs => $6))",
    )
    .bind(ip)
    .bind(&input.telephone)
        .bind(now)
    .bind(PER_ADDRESS.1 as f64)
    .bind(PER_TELEPHONE.1 as f64)
    .bind(OVERALL.1 as f64)
    .fetch_one(&mut *conn)
    .await?;
    if limits.0 >= PER_ADDRESS.0 {
        return Ok(Some(Err(Flood::Address)));
    }
    if limits.1 >= PER_TELEPHONE.0 {
        return Ok(Some(Err(Flood::Telephone)));
    }
    if limits.2 >= OVERALL.0 {
        return Ok(Some(Err(Flood::Overall)));
    }
    let number = receipt(round.year);
    let done = sqlx::query(
        "insert into notice_feedback (citywide_round_id, nomination_id, receipt, source, body,
             real_name, telephone, client_ip, received_at)
         select $1, n.nomination_id, $3, 'public', $4, $5, $6, $7, $8 from nomination n
         where n.nomination_id = $2 and n.citywide_round_id = $1 and n.status = 'accepted'
           and n.disqualified_at is null",
    )
    .bind(round.id)
    .bind(input.nomination_id)
    .bind(&number)
    .bind(&input.body)
    .bind(&input.real_name)
    .bind(&input.telephone)
    .bind(ip)
    .bind(now)
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(Ok(number)))
}

/// Records feedback that came by letter, telephone or the media, audited.
pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    round: &Round,
    source: FeedbackSource,
    source_detail: &str,
    input: &FeedbackInput,
) -> sqlx::Result<Option<String>> {
    let number = receipt(round.year);
    let id: Option<i64> = sqlx::query_scalar(
        "insert into notice_feedback (citywide_round_id, nomination_id, receipt, source, source_detail,
             body, real_name, telephone, recorded_by)
         select $1, n.nomination_id, $3, $4, $5, $6, $7, $8, $9 from nomination n
         where n.nomination_id = $2 and n.citywide_round_id = $1 and n.status = 'accepted'
         returning notice_feedback_id",
    )
    .bind(round.id)
    .bind(input.nomination_id)
    .bind(&number)
    .bind(source.as_str())
    .bind(source_detail)
    .bind(&input.body)
    .bind(&input.real_name)
    .bind(&input.telephone)
    .bind(actor.account_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(None) };
    audit::record(
        conn,
        actor,
        Change {
            action: "notice_feedback.create",
            entity: "notice_feedback",
            entity_id: id.to_string(),
            before: None,
            after: Some(json!({
                "receipt": number, "nomination": input.nomination_id, "source": source.as_str(),
                "source_detail": source_detail, "body": input.body,
            })),
        },
    )
    .await?;
    Ok(Some(number))
}

/// A piece of feedback as the office sees it.
#[derive(Clone, Debug)]
pub struct FeedbackRow {
    pub id: i64,
    pub nomination_id: i64,
    pub receipt: String,
    pub source: FeedbackSource,
    pub source_detail: String,
    pub body: String,
    pub real_name: String,
    pub telephone: String,
    pub received_at: OffsetDateTime,
    pub answer: Option<FeedbackAnswer>,
    pub answer_note: String,
    pub answered_at: Option<OffsetDateTime>,
}

/// Every piece of feedback of a round, by nominee, in the order it came.
pub async fn list(conn: &mut PgConnection, round: i64) -> sqlx::Result<Vec<FeedbackRow>> {
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        OffsetDateTime,
        Option<String>,
        Option<String>,
        Option<OffsetDateTime>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "select notice_feedback_id, nomination_id, receipt, source, source_detail, body, real_name,
                telephone, received_at, answer, answer_note, answered_at
         from notice_feedback where citywide_round_id = $1
         order by nomination_id, received_at, notice_feedback_id",
    )
    .bind(round)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| FeedbackRow {
            id: r.0,
            nomination_id: r.1,
            receipt: r.2,
            source: FeedbackSource::parse(&r.3).unwrap_or(FeedbackSource::Other),
            source_detail: r.4,
            body: r.5,
            real_name: r.6,
            telephone: r.7,
            received_at: r.8,
            answer: r.9.as_deref().and_then(FeedbackAnswer::parse),
            answer_note: r.10.unwrap_or_default(),
            answered_at: r.11,
        })
        .collect())
}

/// Answers a piece of feedback (or changes the answer), audited with what it was before.
pub async fn answer(
    conn: &mut PgConnection,
    actor: &Actor,
    round: i64,
    id: i64,
    answer: FeedbackAnswer,
    note: &str,
) -> sqlx::Result<bool> {
    let before: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "select answer, answer_note from notice_feedback
         where notice_feedback_id = $1 and citywide_round_id = $2 for update",
    )
    .bind(id)
    .bind(round)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before else {
        return Ok(false);
    };
    sqlx::query(
        "update notice_feedback set answer = $2, answer_note = $3, answered_at = now(), answered_by = $4
         where notice_feedback_id = $1",
    )
    .bind(id)
    .bind(answer.as_str())
    .bind(note)
    .bind(actor.account_id)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "notice_feedback.answer",
            entity: "notice_feedback",
            entity_id: id.to_string(),
            before: Some(json!({"answer": before.0, "answer_note": before.1})),
            after: Some(json!({"answer": answer.as_str(), "answer_note": note})),
        },
    )
    .await?;
    Ok(true)
}

/// Disqualifies an accepted nominee with a written reason (取消评选资格), during the notice
/// or the confirmation; the notice's pages change at once on every server.
pub async fn disqualify(
    conn: &mut PgConnection,
    actor: &Actor,
    round: &Round,
    nomination: i64,
    reason: &str,
) -> sqlx::Result<Result<(), RoundPhase>> {
    let phase = super::lock_phase(conn, round.id).await?;
    if !matches!(phase, RoundPhase::Notice | RoundPhase::Confirmation) {
        return Ok(Err(phase));
    }
    let done = sqlx::query(
        "update nomination set disqualified_at = now(), disqualified_reason = $3,
                version = version + 1, updated_at = now()
         where nomination_id = $1 and citywide_round_id = $2 and status = 'accepted'
           and disqualified_at is null",
    )
    .bind(nomination)
    .bind(round.id)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(Err(phase));
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "nomination.disqualify",
            entity: "nomination",
            entity_id: nomination.to_string(),
            before: Some(json!({"disqualified": false})),
            after: Some(json!({"disqualified": true, "reason": reason})),
        },
    )
    .await?;
    crate::db::honor::notify(conn, round.center_id).await?;
    Ok(Ok(()))
}

/// The disqualified nominees of a round with their reasons.
pub async fn disqualified(conn: &mut PgConnection, round: i64) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query_as(
        "select nomination_id, disqualified_reason from nomination
         where citywide_round_id = $1 and disqualified_at is not null",
    )
    .bind(round)
    .fetch_all(conn)
    .await
}
