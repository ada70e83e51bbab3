//! Sign-in throttling. Only failures are counted, under these keys:
//! - `user:<username>`: failures from browsers that never signed in to the account (the
//!   username need not exist, so that unknown users and wrong passwords answer alike);
//! - `ua:<username>|<address>`: the same account from one address, with delays that grow
//!   with each failure;
//! - `device:<account>:<device>`: one trusted browser's own failures;
//! - `ip:<address>`: one address, with a limit high enough for an office behind one NAT.
//!
//! The caller checks and counts the keys of one username one attempt at a time
//! ([`crate::http::signin::Gate`]), so concurrent guesses cannot slip past a limit, while
//! correct passwords add nothing.

use sqlx::PgConnection;
use time::OffsetDateTime;

/// How failures under a key turn into a lock.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// Failures within the window before the key locks.
    pub max_failures: i32,
    pub window_secs: f64,
    /// How long a lock lasts (the longest, with growing delays).
    pub lock_secs: f64,
    /// From the limit on, each failure locks for 5 s, 10 s, 20 s, … up to `lock_secs`.
    pub growing: bool,
}

/// When the key's lock ends, if it is locked now.
pub async fn locked_until(
    conn: &mut PgConnection,
    key: &str,
) -> sqlx::Result<Option<OffsetDateTime>> {
    Ok(sqlx::query_scalar!(
        "select locked_until from login_throttle where throttle_key = $1 and locked_until > now()",
        key
    )
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// Counts one failure against `key`; true when this failure locked it.
pub async fn fail(conn: &mut PgConnection, key: &str, limit: Limit) -> sqlx::Result<bool> {
    let failures = sqlx::query_scalar!(
        r#"insert into login_throttle as t (throttle_key, failures, window_started_at)
           values ($1, 1, now())
           on conflict (throttle_key) do update set
             failures = case when t.window_started_at < now() - make_interval(secs => $2)
                              and (t.locked_until is null or t.locked_until < now())
                             then 1 else t.failures + 1 end,
             window_started_at = case when t.window_started_at < now() - make_interval(secs => $2)
                              and (t.locked_until is null or t.locked_until < now())
                             then now() else t.window_started_at end
           returning failures"#,
        key,
        limit.window_secs
    )
    .fetch_one(&mut *conn)
    .await?;
    if failures < limit.max_failures {
        return Ok(false);
    }
    let secs = if limit.growing {
        let steps = (failures - limit.max_failures).clamp(0, 20);
        (5.0 * f64::from(1u32 << steps)).min(limit.lock_secs)
    } else {
        limit.lock_secs
    };
    sqlx::query!(
        "update login_throttle set locked_until = now() + make_interval(secs => $2)
         where throttle_key = $1",
        key,
        secs
    )
    .execute(conn)
    .await?;
    Ok(true)
}

/// Forgets keys whose counting window and lock have both run out.
pub async fn purge_expired(conn: &mut PgConnection, window_secs: f64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from login_throttle
         where window_started_at < now() - make_interval(secs => $1)
           and (locked_until is null or locked_until < now())",
        window_secs
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Forgets the failures of a key (a successful sign-in, a reset, a lock lifted).
pub async fn clear(conn: &mut PgConnection, key: &str) -> sqlx::Result<u64> {
    Ok(
        sqlx::query!("delete from login_throttle where throttle_key = $1", key)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// A lock in force, as the administrator sees it.
pub struct Lock {
    pub key: String,
    pub failures: i32,
    pub locked_until: OffsetDateTime,
}

/// Whether `token_hash` is a browser that has signed in to the account before.
pub async fn trusted(
    conn: &mut PgConnection,
    token_hash: &str,
    account_id: crate::domain::ids::AccountId,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from trusted_device where token_hash = $1 and account_id = $2
                           and last_seen_at > now() - interval '180 days') as "x!""#,
        token_hash,
        account_id.0
    )
    .fetch_one(conn)
    .await
}

/// Remembers that this browser signed in to the account.
pub async fn trust(
    conn: &mut PgConnection,
    token_hash: &str,
    account_id: crate::domain::ids::AccountId,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into trusted_device (token_hash, account_id) values ($1, $2)
         on conflict (token_hash, account_id) do update set last_seen_at = now()",
        token_hash,
        account_id.0
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The locks in force that concern a center: its accounts' keys, and the addresses its
/// people have used in the last 30 days (an address lock reaches everyone behind it; another
/// center's office address is not this administrator's to see). The latest first.
pub async fn locks_of_center(
    conn: &mut PgConnection,
    center_id: crate::domain::ids::CenterId,
) -> sqlx::Result<Vec<Lock>> {
    sqlx::query_as!(
        Lock,
        r#"select t.throttle_key as key, t.failures, t.locked_until as "locked_until!"
           from login_throttle t
           where t.locked_until > now()
             and ((starts_with(t.throttle_key, 'ip:')
                   and exists (select 1 from audit_log l
                               where l.center_id = $1 and l.ip = substr(t.throttle_key, 4)
                                 and l.at > now() - interval '30 days'))
                  or exists (select 1 from account a where a.center_id = $1
                               and (t.throttle_key = 'user:' || a.username
                                    or starts_with(t.throttle_key, 'ua:' || a.username || '|')
                                    or starts_with(t.throttle_key, 'device:' || a.account_id || ':')
                                    or t.throttle_key = 'password:' || a.account_id)))
           order by t.locked_until desc, t.throttle_key limit 500"#,
        center_id.0
    )
    .fetch_all(conn)
    .await
}
