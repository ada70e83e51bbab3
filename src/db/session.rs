//! Server-side sessions. The cookie carries a random 128-bit id; the table keeps only its
//! SHA-256, so a leaked table cannot be replayed. A request costs one indexed lookup, and
//! `last_seen_at` is written at most once a minute.

use crate::domain::Role;
use crate::domain::ids::{AccountId, CenterId, StaffId, WindowId};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use time::OffsetDateTime;

/// The signed-in account behind a session, as every page needs it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionUser {
    pub account_id: AccountId,
    pub center_id: CenterId,
    pub center_name: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub window_id: Option<WindowId>,
    pub staff_id: Option<StaffId>,
    pub is_group_leader: bool,
    pub must_change_password: bool,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    /// `last_seen_at` is more than a minute old and should be refreshed.
    pub stale: bool,
    /// For a window head, the window: number, name, department, business area. Loaded with
    /// the session so that the head's pages cost no second query.
    pub window_number: Option<String>,
    pub window_name: Option<String>,
    pub department_name: Option<String>,
    pub business_area_name: Option<String>,
    /// The revision of the center's organization (`org_revision`, migration 0025).
    pub org_revision: i64,
}

/// A new random session id (hex) and its hash.
pub fn new_id() -> (String, Vec<u8>) {
    let id = random_hex(16);
    let hash = hash_id(&id);
    (id, hash)
}

pub fn hash_id(id: &str) -> Vec<u8> {
    Sha256::digest(id.as_bytes()).to_vec()
}

pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// The live session with this hash, or `None` when it is unknown, timed out, or its
/// account is disabled.
pub async fn load(
    conn: &mut PgConnection,
    hash: &[u8],
    idle_secs: f64,
    absolute_secs: f64,
) -> sqlx::Result<Option<SessionUser>> {
    // The center's `org_revision` comes with the session, so that the pages listing the
    // center's organization learn whether their kept roster is current without asking.
    sqlx::query_as(
        "select a.account_id, a.center_id, c.name as center_name, a.username, a.display_name,
                a.role, a.window_id, a.staff_id, a.is_group_leader, a.must_change_password,
                s.csrf_token, s.created_at,
                (s.last_seen_at < now() - interval '60 seconds') as stale,
                w.number as window_number, w.name as window_name,
                d.name as department_name, b.name as business_area_name,
                coalesce((select r.revision from org_revision r where r.center_id = a.center_id), 0) as org_revision
         from session s
         join account a on a.account_id = s.account_id
         join center c on c.center_id = a.center_id
         left join service_window w on w.window_id = a.window_id
         left join department d on d.department_id = w.department_id
         left join business_area b on b.business_area_id = w.business_area_id
         where s.session_hash = $1
           and a.active
           and s.last_seen_at > now() - make_interval(secs => $2)
           and s.created_at > now() - make_interval(secs => $3)",
    )
    .bind(hash)
    .bind(idle_secs)
    .bind(absolute_secs)
    .fetch_optional(conn)
    .await
}

pub async fn touch(conn: &mut PgConnection, hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!(
        "update session set last_seen_at = now() where session_hash = $1",
        hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn create(
    conn: &mut PgConnection,
    hash: &[u8],
    account_id: AccountId,
    csrf_token: &str,
    ip: &str,
    user_agent: &str,
) -> sqlx::Result<()> {
    let user_agent: String = user_agent.chars().take(200).collect();
    sqlx::query!(
        "insert into session (session_hash, account_id, csrf_token, ip, user_agent)
         values ($1, $2, $3, $4, $5)",
        hash,
        account_id.0,
        csrf_token,
        ip,
        user_agent
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut PgConnection, hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!("delete from session where session_hash = $1", hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of an account (disabled, password reset or changed).
pub async fn delete_for_account(
    conn: &mut PgConnection,
    account_id: AccountId,
) -> sqlx::Result<u64> {
    let done = sqlx::query!("delete from session where account_id = $1", account_id.0)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Removes sessions that can no longer be used.
pub async fn purge_expired(
    conn: &mut PgConnection,
    idle_secs: f64,
    absolute_secs: f64,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from session
         where last_seen_at < now() - make_interval(secs => $1)
            or created_at < now() - make_interval(secs => $2)",
        idle_secs,
        absolute_secs
    )
    .execute(&mut *conn)
    .await?;
    // A generated password nobody came to see is not kept past its ten minutes.
    sqlx::query!(
        "update session set handover = null
         where handover is not null
           and coalesce((handover ->> 'at')::bigint, 0) < extract(epoch from now())::bigint - $1",
        HANDOVER_SECS
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// How long a generated password waits for the page that shows it, in seconds.
pub const HANDOVER_SECS: i64 = 600;

/// Keeps a generated password for the one page that shows it to this session.
pub async fn set_handover(
    conn: &mut PgConnection,
    hash: &[u8],
    handover: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update session set handover = $2 where session_hash = $1",
        hash,
        handover
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes (and clears) the password kept for this session, when it is at most 10 minutes
/// old.
pub async fn take_handover(
    conn: &mut PgConnection,
    hash: &[u8],
) -> sqlx::Result<Option<serde_json::Value>> {
    // One statement: two tabs opening the page at once cannot both take it.
    let old = sqlx::query_scalar!(
        r#"update session s set handover = null
           from (select session_hash, handover from session where session_hash = $1 for update) old
           where s.session_hash = old.session_hash and old.handover is not null
           returning old.handover as "handover!""#,
        hash
    )
    .fetch_optional(conn)
    .await?;
    let fresh = |v: &serde_json::Value| {
        v.get("at")
            .and_then(serde_json::Value::as_i64)
            .is_some_and(|at| {
                time::OffsetDateTime::now_utc().unix_timestamp() - at <= HANDOVER_SECS
            })
    };
    Ok(old.filter(fresh))
}
