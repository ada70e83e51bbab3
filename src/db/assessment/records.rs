//! Assessment records (考核记录): a deduction or bonus against a window or a staff member,
//! recorded on the day, with photos; cancelled or changed only with a reason.

use sqlx::{FromRow, PgConnection};

use crate::db::audit::{self, Actor, Change};
use crate::domain::assessment::points_text;
use crate::domain::ids::{CenterId, Entrant, RecordId, StandardId};

/// A record as its pages list it.
#[derive(Clone, Debug, FromRow)]
pub struct RecordRow {
    pub assessment_record_id: i64,
    pub month: String,
    pub window_id: Option<i64>,
    pub staff_id: Option<i64>,
    /// `12号窗口 不动产登记` or `王芳（A017）12号窗口`.
    pub target: String,
    pub assessment_standard_id: i64,
    pub item: String,
    pub standard: String,
    /// Points per occurrence, hundredths.
    pub points: i64,
    pub occurrences: i32,
    pub occurred_on: time::Date,
    pub note: String,
    pub status: String,
    pub recorded_by: Option<String>,
    pub recorded_at: time::OffsetDateTime,
    pub photos: i64,
    /// The latest appeal's status, if it was appealed.
    pub appeal: Option<String>,
    pub appeal_id: Option<i64>,
}

impl RecordRow {
    pub fn id(&self) -> RecordId {
        RecordId(self.assessment_record_id)
    }

    pub fn entrant(&self) -> Option<Entrant> {
        Entrant::from_columns(self.window_id, self.staff_id)
    }

    pub fn active(&self) -> bool {
        self.status == "active"
    }

    /// `-0.5 × 2 = -1`
    pub fn points_words(&self) -> String {
        let each = points_text(self.points, true);
        if self.occurrences == 1 {
            each
        } else {
            format!(
                "{each} × {} = {}",
                self.occurrences,
                points_text(self.points * i64::from(self.occurrences), true)
            )
        }
    }
}

const SELECT: &str = r#"
    select r.assessment_record_id, r.month, r.window_id, r.staff_id,
           coalesce(w.number || '号窗口 ' || w.name, s.name || '（' || s.employee_no || '）' || sw.number || '号窗口') as target,
           r.assessment_standard_id, i.name as item, st.name as standard, (st.points * 100)::int8 as points,
           r.occurrences, r.occurred_on, r.note, r.status, a.display_name as recorded_by, r.recorded_at,
           (select count(*) from assessment_record_photo p where p.assessment_record_id = r.assessment_record_id) as photos,
           ap.status as appeal, ap.assessment_appeal_id as appeal_id
    from assessment_record r
    join assessment_standard st using (assessment_standard_id)
    join assessment_item i using (assessment_item_id)
    left join service_window w on w.window_id = r.window_id and w.center_id = r.center_id
    left join staff s on s.staff_id = r.staff_id and s.center_id = r.center_id
    left join service_window sw on sw.window_id = s.window_id and sw.center_id = s.center_id
    left join account a on a.account_id = r.recorded_by
    left join lateral (select status, assessment_appeal_id from assessment_appeal x
                       where x.assessment_record_id = r.assessment_record_id
                       order by x.filed_at desc, x.assessment_appeal_id desc limit 1) ap on true
"#;

/// A month's records of the center, the latest first; with `entrant`, only its own.
pub async fn of_month(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
    entrant: Option<Entrant>,
) -> sqlx::Result<Vec<RecordRow>> {
    let (w, s) = entrant.map(Entrant::columns).unwrap_or((None, None));
    sqlx::query_as(&format!(
        "{SELECT} where r.center_id = $1 and r.month = $2
           and ($3::int8 is null or r.window_id = $3) and ($4::int8 is null or r.staff_id = $4)
         order by r.occurred_on desc, r.assessment_record_id desc"
    ))
    .bind(center_id.0)
    .bind(month)
    .bind(w)
    .bind(s)
    .fetch_all(conn)
    .await
}

/// The records of any of `entrants` (a person, or a window and its staff), the latest
/// first, at most `limit`.
pub async fn of_entrants(
    conn: &mut PgConnection,
    center_id: CenterId,
    windows: &[i64],
    staff: &[i64],
    limit: i64,
) -> sqlx::Result<Vec<RecordRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where r.center_id = $1 and (r.window_id = any($2) or r.staff_id = any($3))
         order by r.occurred_on desc, r.assessment_record_id desc limit $4"
    ))
    .bind(center_id.0)
    .bind(windows)
    .bind(staff)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One record of the center.
pub async fn get(
    conn: &mut PgConnection,
    center_id: CenterId,
    id: RecordId,
) -> sqlx::Result<Option<RecordRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where r.center_id = $1 and r.assessment_record_id = $2"
    ))
    .bind(center_id.0)
    .bind(id.0)
    .fetch_optional(conn)
    .await
}

/// The (standard, occurrences) of an entrant's active records in a month.
pub async fn counts(
    conn: &mut PgConnection,
    center_id: CenterId,
    entrant: Entrant,
    month: &str,
) -> sqlx::Result<Vec<(i64, i64)>> {
    let (w, s) = entrant.columns();
    sqlx::query_as(
        "select assessment_standard_id, sum(occurrences)::int8 from assessment_record
         where center_id = $1 and month = $2 and status = 'active'
           and (window_id = $3 or staff_id = $4)
         group by assessment_standard_id",
    )
    .bind(center_id.0)
    .bind(month)
    .bind(w)
    .bind(s)
    .fetch_all(conn)
    .await
}

/// What a new record says.
pub struct NewRecord<'a> {
    pub entrant: Entrant,
    pub standard: StandardId,
    pub standard_words: &'a str,
    pub occurrences: i32,
    pub occurred_on: time::Date,
    pub note: &'a str,
    /// The server clock's time: the appeal time limit runs from its day.
    pub recorded_at: time::OffsetDateTime,
}

/// Stores a record and its photos (already re-encoded), with its audit row.
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    new: &NewRecord<'_>,
    photos: &[Vec<u8>],
) -> sqlx::Result<RecordId> {
    let (w, s) = new.entrant.columns();
    let month = format!(
        "{:04}-{:02}",
        new.occurred_on.year(),
        u8::from(new.occurred_on.month())
    );
    let id: i64 = sqlx::query_scalar(
        "insert into assessment_record (center_id, month, window_id, staff_id, assessment_standard_id,
                                        occurrences, occurred_on, note, recorded_by, recorded_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning assessment_record_id",
    )
    .bind(center_id.0)
    .bind(&month)
    .bind(w)
    .bind(s)
    .bind(new.standard.0)
    .bind(new.occurrences)
    .bind(new.occurred_on)
    .bind(new.note)
    .bind(actor.account_id.map(|a| a.0))
    .bind(new.recorded_at)
    .fetch_one(&mut *conn)
    .await?;
    for photo in photos {
        sqlx::query(
            "insert into assessment_record_photo (assessment_record_id, content_type, data) values ($1, 'image/jpeg', $2)",
        )
        .bind(id)
        .bind(photo)
        .execute(&mut *conn)
        .await?;
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "assessment_record.create",
            entity: "assessment_record",
            entity_id: id.to_string(),
            before: None,
            after: Some(serde_json::json!({
                "entrant": new.entrant.recount_id(),
                "standard": new.standard_words,
                "occurrences": new.occurrences,
                "occurred_on": new.occurred_on.to_string(),
                "note": new.note,
                "photos": photos.len(),
            })),
        },
    )
    .await?;
    Ok(RecordId(id))
}

/// Locks a record of the center against a concurrent change; its status.
pub async fn lock(
    conn: &mut PgConnection,
    center_id: CenterId,
    id: RecordId,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "select status from assessment_record where center_id = $1 and assessment_record_id = $2 for update",
    )
    .bind(center_id.0)
    .bind(id.0)
    .fetch_optional(conn)
    .await
}

/// Cancels a record (it then counts nothing), with the reason in its audit row.
pub async fn cancel(
    conn: &mut PgConnection,
    actor: &Actor,
    id: RecordId,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update assessment_record set status = 'cancelled' where assessment_record_id = $1",
    )
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "assessment_record.cancel",
            entity: "assessment_record",
            entity_id: id.to_string(),
            before: Some(serde_json::json!({"status": "active"})),
            after: Some(serde_json::json!({"status": "cancelled", "reason": reason})),
        },
    )
    .await
}

/// Changes how many times a record counts.
pub async fn change_occurrences(
    conn: &mut PgConnection,
    actor: &Actor,
    id: RecordId,
    before: i32,
    after: i32,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query("update assessment_record set occurrences = $2 where assessment_record_id = $1")
        .bind(id.0)
        .bind(after)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "assessment_record.change",
            entity: "assessment_record",
            entity_id: id.to_string(),
            before: Some(serde_json::json!({"occurrences": before})),
            after: Some(serde_json::json!({"occurrences": after, "reason": reason})),
        },
    )
    .await
}

/// A record's photo, by its place (from 1) among the record's photos.
pub async fn photo(
    conn: &mut PgConnection,
    center_id: CenterId,
    id: RecordId,
    n: i64,
) -> sqlx::Result<Option<(String, Vec<u8>)>> {
    sqlx::query_as(
        "select p.content_type, p.data from assessment_record_photo p
         join assessment_record r using (assessment_record_id)
         where r.center_id = $1 and r.assessment_record_id = $2
         order by p.assessment_record_photo_id offset $3 limit 1",
    )
    .bind(center_id.0)
    .bind(id.0)
    .bind(n - 1)
    .fetch_optional(conn)
    .await
}
