//! A nomination's supporting files (证明材料). Their type is what their first bytes say;
//! the county adds and removes them while it may change the nomination, audited.

use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::Round;
use super::nomination::{self, Refusal};
use crate::clock::Clock;
use crate::db::audit::{self, Actor, Change};
use crate::domain::ids::CenterId;

/// A file as listed (without its bytes).
#[derive(Clone, Debug)]
pub struct FileInfo {
    pub id: i64,
    pub condition: Option<i64>,
    pub name: String,
    pub content_type: String,
    pub size: i32,
    pub uploaded_at: OffsetDateTime,
}

/// The type a file's first bytes say it is, if it is one that is accepted.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// A nomination's files, in the order they came.
pub async fn list(conn: &mut PgConnection, nomination: i64) -> sqlx::Result<Vec<FileInfo>> {
    let rows: Vec<(i64, Option<i64>, String, String, i32, OffsetDateTime)> = sqlx::query_as(
        "select nomination_file_id, citywide_condition_id, file_name, content_type, size, uploaded_at
         from nomination_file where nomination_id = $1 order by nomination_file_id",
    )
    .bind(nomination)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, condition, name, content_type, size, uploaded_at)| FileInfo {
                id,
                condition,
                name,
                content_type,
                size,
                uploaded_at,
            },
        )
        .collect())
}

/// One file's name, type and bytes, of that nomination only.
pub async fn content(
    conn: &mut PgConnection,
    nomination: i64,
    file: i64,
) -> sqlx::Result<Option<(String, String, Vec<u8>)>> {
    sqlx::query_as(
        "select file_name, content_type, data from nomination_file
         where nomination_id = $1 and nomination_file_id = $2",
    )
    .bind(nomination)
    .bind(file)
    .fetch_optional(conn)
    .await
}

/// Why a file was not added.
#[derive(Debug, PartialEq, Eq)]
pub enum FileRefusal {
    Nomination(Refusal),
    /// The nomination has as many files as the round allows.
    TooMany(i32),
}

/// Adds a file the county uploaded (its type already sniffed, its size already checked),
/// while the county may change the nomination and below the round's count.
#[allow(clippy::too_many_arguments)]
pub async fn add(
    conn: &mut PgConnection,
    actor: &Actor,
    clock: &Clock,
    round: &Round,
    county: CenterId,
    nomination_id: i64,
    condition: Option<i64>,
    name: &str,
    content_type: &str,
    data: &[u8],
) -> sqlx::Result<Result<i64, FileRefusal>> {
    let n = match nomination::lock_editable(conn, clock, round, county, nomination_id).await? {
        Ok(n) => n,
        Err(r) => return Ok(Err(FileRefusal::Nomination(r))),
    };
    let count: i64 =
        sqlx::query_scalar("select count(*) from nomination_file where nomination_id = $1")
            .bind(n.id)
            .fetch_one(&mut *conn)
            .await?;
    if count >= i64::from(round.file_count_limit) {
        return Ok(Err(FileRefusal::TooMany(round.file_count_limit)));
    }
    let size = i32::try_from(data.len()).unwrap_or(i32::MAX);
    let id: i64 = sqlx::query_scalar(
        "insert into nomination_file (nomination_id, citywide_condition_id, file_name, content_type, size, data)
         values ($1, (select citywide_condition_id from citywide_condition
                      where citywide_condition_id = $2 and citywide_round_id = $3),
                 $4, $5, $6, $7)
         returning nomination_file_id",
    )
    .bind(n.id)
    .bind(condition)
    .bind(round.id)
    .bind(name)
    .bind(content_type)
    .bind(size)
    .bind(data)
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "nomination_file.create",
            entity: "nomination",
            entity_id: n.id.to_string(),
            before: None,
            after: Some(json!({
                "file": id, "name": name, "content_type": content_type, "size": size,
                "condition": condition,
            })),
        },
    )
    .await?;
    Ok(Ok(id))
}

/// Removes a file while the county may change the nomination; the audit row keeps its name.
pub async fn remove(
    conn: &mut PgConnection,
    actor: &Actor,
    clock: &Clock,
    round: &Round,
    county: CenterId,
    nomination_id: i64,
    file: i64,
) -> sqlx::Result<Result<bool, Refusal>> {
    let n = match nomination::lock_editable(conn, clock, round, county, nomination_id).await? {
        Ok(n) => n,
        Err(r) => return Ok(Err(r)),
    };
    let removed: Option<(String, i32)> = sqlx::query_as(
        "delete from nomination_file where nomination_id = $1 and nomination_file_id = $2
         returning file_name, size",
    )
    .bind(n.id)
    .bind(file)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((name, size)) = removed else {
        return Ok(Ok(false));
    };
    audit::record(
        conn,
        actor,
        Change {
            action: "nomination_file.delete",
            entity: "nomination",
            entity_id: n.id.to_string(),
            before: Some(json!({"file": file, "name": name, "size": size})),
            after: None,
        },
    )
    .await?;
    Ok(Ok(true))
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn the_type_is_what_the_bytes_say() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nIHDR"), Some("image/png"));
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
    }
}
