//! Appeals (申诉) against records and the office's review (复核) of them.

use sqlx::{FromRow, PgConnection};

use crate::db::audit::{self, Actor, Change};
use crate::domain::ids::{AppealId, CenterId, RecordId};

/// What the office decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// 维持: the record stands.
    Upheld,
    /// 撤销: the record is cancelled.
    Cancelled,
    /// 改变: the record counts another number of times.
    Changed,
    /// 关闭: closed without a review, with a reason, so that the month can lock.
    Closed,
}

impl Decision {
    pub const ALL: [Decision; 4] = [
        Decision::Upheld,
        Decision::Cancelled,
        Decision::Changed,
        Decision::Closed,
    ];

    pub fn parse(s: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Upheld => "upheld",
            Decision::Cancelled => "cancelled",
            Decision::Changed => "changed",
            Decision::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Upheld => "维持原记录",
            Decision::Cancelled => "撤销记录",
            Decision::Changed => "改变次数",
            Decision::Closed => "不予复核，关闭申诉",
        }
    }
}

/// An appeal as its pages show it.
#[derive(Clone, Debug, FromRow)]
pub struct AppealRow {
    pub assessment_appeal_id: i64,
    pub assessment_record_id: i64,
    pub month: String,
    pub target: String,
    pub filed_by: String,
    pub reason: String,
    pub file_name: Option<String>,
    pub filed_at: time::OffsetDateTime,
    pub status: String,
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<time::OffsetDateTime>,
}

impl AppealRow {
    pub fn id(&self) -> AppealId {
        AppealId(self.assessment_appeal_id)
    }

    pub fn open(&self) -> bool {
        self.status == "open"
    }

    /// The state in words.
    pub fn status_label(&self) -> &'static str {
        match Decision::parse(&self.status) {
            Some(d) => d.label(),
            None => "待复核",
        }
    }
}

const SELECT: &str = r#"
    select ap.assessment_appeal_id, ap.assessment_record_id, r.month,
           coalesce(w.number || '号窗口 ' || w.name, s.name || '（' || s.employee_no || '）') as target,
           f.display_name as filed_by, ap.reason, ap.file_name, ap.filed_at, ap.status, ap.decision,
           d.display_name as decided_by, ap.decided_at
    from assessment_appeal ap
    join assessment_record r using (assessment_record_id)
    left join service_window w on w.window_id = r.window_id and w.center_id = r.center_id
    left join staff s on s.staff_id = r.staff_id and s.center_id = r.center_id
    join account f on f.account_id = ap.filed_by
    left join account d on d.account_id = ap.decided_by
"#;

/// The appeals of a record, the latest first.
pub async fn of_record(
    conn: &mut PgConnection,
    center_id: CenterId,
    record: RecordId,
) -> sqlx::Result<Vec<AppealRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where r.center_id = $1 and ap.assessment_record_id = $2
         order by ap.filed_at desc, ap.assessment_appeal_id desc"
    ))
    .bind(center_id.0)
    .bind(record.0)
    .fetch_all(conn)
    .await
}

/// The center's appeals, open ones first, then the latest decided.
pub async fn list(
    conn: &mut PgConnection,
    center_id: CenterId,
    limit: i64,
) -> sqlx::Result<Vec<AppealRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where r.center_id = $1
         order by ap.status <> 'open', ap.filed_at desc, ap.assessment_appeal_id desc limit $2"
    ))
    .bind(center_id.0)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// How many appeals are open in any of `months`.
pub async fn open_in(
    conn: &mut PgConnection,
    center_id: CenterId,
    months: &[String],
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from assessment_appeal ap join assessment_record r using (assessment_record_id)
         where r.center_id = $1 and r.month = any($2) and ap.status = 'open'",
    )
    .bind(center_id.0)
    .bind(months)
    .fetch_one(conn)
    .await
}

/// How many of the center's appeals wait for a review.
pub async fn open_count(conn: &mut PgConnection, center_id: CenterId) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from assessment_appeal ap join assessment_record r using (assessment_record_id)
         where r.center_id = $1 and ap.status = 'open'",
    )
    .bind(center_id.0)
    .fetch_one(conn)
    .await
}

/// A supporting file as stored.
pub struct AppealFile<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub data: &'a [u8],
}

/// Files an appeal against a record (the caller has checked who and when).
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    record: RecordId,
    reason: &str,
    file: Option<AppealFile<'_>>,
    at: time::OffsetDateTime,
) -> sqlx::Result<AppealId> {
    let filed_by = actor
        .account_id
        .ok_or_else(|| sqlx::Error::Protocol("an appeal needs its author".into()))?;
    let id: i64 = sqlx::query_scalar(
        "insert into assessment_appeal (assessment_record_id, filed_by, reason, file_name, file_type, file_data, filed_at)
         values ($1, $2, $3, $4, $5, $6, $7) returning assessment_appeal_id",
    )
    .bind(record.0)
    .bind(filed_by.0)
    .bind(reason)
    .bind(file.as_ref().map(|f| f.name))
    .bind(file.as_ref().map(|f| f.content_type))
    .bind(file.as_ref().map(|f| f.data))
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "assessment_appeal.create",
            entity: "assessment_appeal",
            entity_id: id.to_string(),
            before: None,
            after: Some(serde_json::json!({
                "record": record.0,
                "reason": reason,
                "file": file.as_ref().map(|f| f.name),
            })),
        },
    )
    .await?;
    Ok(AppealId(id))
}

/// Locks an appeal of the center: its record and whether it is still open.
pub async fn lock(
    conn: &mut PgConnection,
    center_id: CenterId,
    id: AppealId,
) -> sqlx::Result<Option<(RecordId, bool)>> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "select ap.assessment_record_id, ap.status from assessment_appeal ap
         join assessment_record r using (assessment_record_id)
         where r.center_id = $1 and ap.assessment_appeal_id = $2 for update of ap",
    )
    .bind(center_id.0)
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(r, s)| (RecordId(r), s == "open")))
}

/// Records the office's decision of an open appeal.
pub async fn decide(
    conn: &mut PgConnection,
    actor: &Actor,
    id: AppealId,
    decision: Decision,
    reason: &str,
    at: time::OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query(
        "update assessment_appeal set status = $2, decision = $3, decided_by = $4, decided_at = $5
         where assessment_appeal_id = $1 and status = 'open'",
    )
    .bind(id.0)
    .bind(decision.as_str())
    .bind(reason)
    .bind(actor.account_id.map(|a| a.0))
    .bind(at)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "assessment_appeal.decide",
            entity: "assessment_appeal",
            entity_id: id.0.to_string(),
            before: Some(serde_json::json!({"status": "open"})),
            after: Some(serde_json::json!({"status": decision.as_str(), "reason": reason})),
        },
    )
    .await
}

/// An appeal's supporting file, with the record it belongs to.
#[derive(FromRow)]
pub struct StoredFile {
    pub assessment_record_id: i64,
    pub file_name: String,
    pub file_type: String,
    pub file_data: Vec<u8>,
}

impl StoredFile {
    pub fn record(&self) -> RecordId {
        RecordId(self.assessment_record_id)
    }
}

/// An appeal's supporting file, when it has one.
pub async fn file(
    conn: &mut PgConnection,
    center_id: CenterId,
    id: AppealId,
) -> sqlx::Result<Option<StoredFile>> {
    sqlx::query_as(
        "select ap.assessment_record_id, ap.file_name, ap.file_type, ap.file_data
         from assessment_appeal ap join assessment_record r using (assessment_record_id)
         where r.center_id = $1 and ap.assessment_appeal_id = $2 and ap.file_data is not null",
    )
    .bind(center_id.0)
    .bind(id.0)
    .fetch_optional(conn)
    .await
}
