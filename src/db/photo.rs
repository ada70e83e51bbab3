//! Staff photos, stored in PostgreSQL beside the person (re-encoded by the server before
//! they get here). A change is audited by its size and digest, never its bytes, and tells
//! every server process to drop its cached honor roll.

use crate::domain::ids::{CenterId, StaffId};
use sqlx::PgConnection;

use super::audit::{self, Actor, Change};

/// The photo of a staff member of the center, for the admin: (bytes, type).
pub async fn get(
    conn: &mut PgConnection,
    center_id: CenterId,
    staff_id: StaffId,
) -> sqlx::Result<Option<(Vec<u8>, String)>> {
    Ok(sqlx::query!(
        r#"select photo as "photo!", photo_type as "photo_type!" from staff
           where center_id = $1 and staff_id = $2 and photo is not null"#,
        center_id.0,
        staff_id.0
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.photo, r.photo_type)))
}

/// The staff member's name and whether a photo is on file; `None` when not of this center.
pub async fn owner(
    conn: &mut PgConnection,
    center_id: CenterId,
    staff_id: StaffId,
) -> sqlx::Result<Option<(String, Option<i64>)>> {
    Ok(sqlx::query!(
        r#"select name, case when photo is not null then (extract(epoch from photo_updated_at) * 1000)::bigint end as version
           from staff where center_id = $1 and staff_id = $2"#,
        center_id.0,
        staff_id.0
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.name, r.version)))
}

fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Replaces (or with `None`, removes) the photo, with its audit row. False when the person
/// is not of this center.
pub async fn set(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    staff_id: StaffId,
    photo: Option<(&[u8], &str)>,
) -> sqlx::Result<bool> {
    let before = sqlx::query!(
        r#"select octet_length(photo) as size, sha256(photo) as digest from staff
           where center_id = $1 and staff_id = $2 for update"#,
        center_id.0,
        staff_id.0
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before else {
        return Ok(false);
    };
    let (bytes, kind) = match photo {
        Some((b, k)) => (Some(b), Some(k)),
        None => (None, None),
    };
    sqlx::query!(
        "update staff set photo = $3, photo_type = $4,
                photo_updated_at = case when $3::bytea is null then null else clock_timestamp() end,
                updated_at = now()
         where center_id = $1 and staff_id = $2",
        center_id.0,
        staff_id.0,
        bytes,
        kind
    )
    .execute(&mut *conn)
    .await?;
    let show_before = before.size.map(|size| {
        serde_json::json!({
            "photo_bytes": size,
            "photo_sha256": before.digest.map(|d| d.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        })
    });
    let show_after =
        bytes.map(|b| serde_json::json!({"photo_bytes": b.len(), "photo_sha256": digest(b)}));
    audit::record(
        conn,
        actor,
        Change {
            action: if bytes.is_some() {
                "staff.photo"
            } else {
                "staff.photo_removed"
            },
            entity: "staff",
            entity_id: staff_id.to_string(),
            before: show_before,
            after: show_after,
        },
    )
    .await?;
    super::honor::notify(conn, center_id).await?;
    Ok(true)
}
