//! Centers (中心): looked up by code for the command line and the public pages.

use sqlx::PgConnection;

use crate::domain::ids::CenterId;

/// The centers with `code`, or every center when `code` is `None`, as (id, code) in id order.
pub async fn by_code(
    conn: &mut PgConnection,
    code: Option<&str>,
) -> sqlx::Result<Vec<(CenterId, String)>> {
    sqlx::query_as(
        "select center_id, code from center where $1::text is null or code = $1 order by center_id",
    )
    .bind(code)
    .fetch_all(conn)
    .await
}

/// The center with `code`, created with `name` when there is none.
pub async fn find_or_create(
    conn: &mut PgConnection,
    code: &str,
    name: &str,
) -> sqlx::Result<CenterId> {
    let found: Option<CenterId> =
        sqlx::query_scalar("select center_id from center where code = $1")
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
    match found {
        Some(id) => Ok(id),
        None => {
            sqlx::query_scalar(
                "insert into center (code, name) values ($1, $2) returning center_id",
            )
            .bind(code)
            .bind(name)
            .fetch_one(conn)
            .await
        }
    }
}

/// The center whose public pages are shown: the one with `code`, or the first top-level
/// center when `code` is `None`; as (id, name).
pub async fn public(
    conn: &mut PgConnection,
    code: Option<&str>,
) -> sqlx::Result<Option<(CenterId, String)>> {
    sqlx::query_as(
        "select center_id, name from center
         where ($1::text is null and parent_center_id is null) or code = $1
         order by center_id limit 1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await
}
