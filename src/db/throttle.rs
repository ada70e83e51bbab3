//! Sign-in throttling, per username (whether or not it exists, so that unknown users and
//! wrong passwords answer alike) and per client address. An attempt is counted *before*
//! the password is checked, so concurrent guesses cannot slip past the limit.

use sqlx::PgConnection;

/// What [`admit`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Evaluate the attempt.
    Allowed,
    /// This attempt reached the limit and locked the key (the moment worth auditing).
    NewlyLocked,
    /// The key was locked already.
    Locked,
}

/// Counts one attempt against `key` and says whether it may be evaluated.
pub async fn admit(
    conn: &mut PgConnection,
    key: &str,
    max_failures: i32,
    window_secs: f64,
    lock_secs: f64,
) -> sqlx::Result<Admission> {
    let row = sqlx::query!(
        r#"insert into login_throttle as t (throttle_key, failures, window_started_at)
           values ($1, 1, now())
           on conflict (throttle_key) do update set
             failures = case when t.window_started_at < now() - make_interval(secs => $2)
                              and (t.locked_until is null or t.locked_until < now())
                             then 1 else t.failures + 1 end,
             window_started_at = case when t.window_started_at < now() - make_interval(secs => $2)
                              and (t.locked_until is null or t.locked_until < now())
                             then now() else t.window_started_at end,
             locked_until = case when t.locked_until < now() then null else t.locked_until end
           returning failures, coalesce(locked_until > now(), false) as "locked!""#,
        key,
        window_secs
    )
    .fetch_one(&mut *conn)
    .await?;
    if row.locked {
        return Ok(Admission::Locked);
    }
    if row.failures > max_failures {
        sqlx::query!(
            "update login_throttle set locked_until = now() + make_interval(secs => $2)
             where throttle_key = $1",
            key,
            lock_secs
        )
        .execute(conn)
        .await?;
        return Ok(Admission::NewlyLocked);
    }
    Ok(Admission::Allowed)
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

/// A successful sign-in: the attempt counted by [`admit`] was not a failure.
pub async fn succeeded(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update login_throttle set failures = greatest(failures - 1, 0) where throttle_key = $1",
        key
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets the failures of a key (a successful sign-in of that username, or a reset).
pub async fn clear(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query!("delete from login_throttle where throttle_key = $1", key)
        .execute(conn)
        .await?;
    Ok(())
}
