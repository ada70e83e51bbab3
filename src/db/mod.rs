//! Database access: the pool, migrations, the local-PostgreSQL fallback, and one module per
//! group of tables. Every function that changes data takes a connection inside the caller's
//! transaction and writes its audit row there too.

pub mod account;
pub mod assessment;
pub mod audit;
pub mod ballot;
pub mod center;
pub mod citywide;
pub mod correction;
pub mod duty;
pub mod honor;
pub mod imports;
pub mod local;
pub mod not_assessed;
pub mod org;
pub mod period;
pub mod photo;
pub mod rating;
pub mod records;
pub mod results;
pub mod round;
pub mod scheme;
pub mod score;
pub mod session;
pub mod snapshot;
pub mod throttle;
pub mod veto;

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

pub use audit::Actor;

/// Used when `DATABASE_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/pingxuan";

/// Embedded migrations (`migrations/`), run at start-up.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a request waits for a pooled connection before it is answered with 503.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A pooled connection idle this long is pinged before it is handed out.
pub const PING_WHEN_IDLE: Duration = Duration::from_secs(5);

/// Connects to the configured database (creating it when missing), falling back to a
/// private cluster under `./var/postgres` when no URL is configured and nothing answers.
pub async fn connect(url: Option<&str>, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = match url {
        Some(url) => {
            let options = PgConnectOptions::from_str(url)
                .context("DATABASE_URL is not a valid PostgreSQL URL")?;
            ensure_database(&options).await.with_context(|| {
                format!(
                    "cannot reach PostgreSQL at {}",
                    crate::config::redact_url(url)
                )
            })?;
            options
        }
        None => {
            let options = PgConnectOptions::from_str(DEFAULT_URL)?;
            match ensure_database(&options).await {
                Ok(()) => options,
                Err(e) if is_unreachable(&e) => {
                    tracing::info!("nothing answers at {DEFAULT_URL}; trying a private cluster");
                    let options = local::start_private_cluster().await?;
                    ensure_database(&options).await?;
                    options
                }
                Err(e) => return Err(e).context(format!("cannot use PostgreSQL at {DEFAULT_URL}")),
            }
        }
    };
    let pool = PgPoolOptions::new()
        .max_connections(max_connections.max(2))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // sqlx pings every connection it hands out and again when it takes it back: two
        // round trips per acquire, several per page. The ping on the way back stays (it
        // drops a broken connection); one on the way out only after a quiet spell, when the
        // database may have restarted meanwhile.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(
            options
                .log_statements(tracing::log::LevelFilter::Trace)
                // A database that stops answering must not hold a request for longer than
                // this: the statement is cancelled and the page says 503.
                .options([
                    ("statement_timeout", "10s"),
                    ("idle_in_transaction_session_timeout", "30s"),
                ]),
        )
        .await
        .context("cannot open the database pool")?;
    Ok(pool)
}

/// Runs the embedded migrations, after checking the database stores text as UTF-8 (the
/// length checks count characters, and names may use any Chinese character).
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    let encoding: String = sqlx::query_scalar("show server_encoding")
        .fetch_one(pool)
        .await?;
    if encoding != "UTF8" {
        bail!(
            "the database's encoding is {encoding}: pingxuan needs a UTF8 database \
             (create database … encoding 'UTF8' template template0)"
        );
    }
    if up_to_date(pool).await? {
        // Nothing to apply: a role that may not create tables (the application's own, see
        // `grant_app_role`) starts as well as the owner.
        return Ok(());
    }
    MIGRATOR.run(pool).await.context(
        "database migration failed (a role without the right to create tables cannot \
         migrate: run `pingxuan migrate` with the owner's DATABASE_URL first)",
    )
}

/// Whether every embedded migration is applied, unchanged.
async fn up_to_date(pool: &PgPool) -> anyhow::Result<bool> {
    let exists: bool = sqlx::query_scalar("select to_regclass('_sqlx_migrations') is not null")
        .fetch_one(pool)
        .await?;
    if !exists {
        return Ok(false);
    }
    let applied: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("select version, checksum from _sqlx_migrations where success")
            .fetch_all(pool)
            .await?;
    let embedded = |v: i64| MIGRATOR.iter().any(|m| m.version == v);
    // Every embedded migration applied unchanged, and nothing applied that this binary does
    // not know (an older binary on a newer schema): otherwise the migrator decides, and says.
    Ok(MIGRATOR.iter().all(|m| {
        applied
            .iter()
            .any(|(v, c)| *v == m.version && c.as_slice() == m.checksum.as_ref())
    }) && applied.iter().all(|(v, _)| embedded(*v)))
}

/// The tables whose rows are never changed or removed once written.
const APPEND_ONLY: &[&str] = &["audit_log", "score_correction", "period_correction"];

/// Gives `role` (an existing login role that owns nothing) what the running application
/// needs and nothing more: to read and write rows, never to change the schema, disable a
/// trigger, truncate, or update or delete a row of an append-only table. Run as the owner
/// of the tables (the role that migrates), and again after each upgrade: later tables get
/// the grants by default, but only this applies the append-only revocations to them.
pub async fn grant_app_role(pool: &PgPool, role: &str) -> anyhow::Result<()> {
    let valid = role.len() <= 63
        && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && role
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        bail!("role name {role:?}: use a-z, 0-9 and _ only");
    }
    // A role the grants would not restrict, or the owner itself, is refused.
    let found: Option<(bool, bool, bool, bool, bool, bool)> = sqlx::query_as(
        "select r.rolsuper, r.rolbypassrls, r.rolcanlogin, r.rolname = current_user,
                pg_has_role(r.oid, current_user, 'MEMBER'),
                exists (select 1 from pg_class c where c.relowner = r.oid)
                  or exists (select 1 from pg_namespace n where n.nspowner = r.oid)
         from pg_roles r where r.rolname = $1",
    )
    .bind(role)
    .fetch_optional(pool)
    .await?;
    match found {
        None => bail!(
            "role {role} does not exist: create it first (create role {role} login password '…')"
        ),
        Some((true, ..)) | Some((_, true, ..)) => {
            bail!(
                "role {role} is a superuser or bypasses row security: grants would not restrict it"
            )
        }
        Some((_, _, false, ..)) => bail!("role {role} cannot log in"),
        Some((_, _, _, true, ..)) | Some((_, _, _, _, true, _)) => bail!(
            "role {role} is the role running this command, or a member of it: \
             run it as the tables' owner for a separate role that owns nothing"
        ),
        Some((_, _, _, _, _, true)) => {
            bail!("role {role} owns objects: use a role that owns nothing")
        }
        Some(_) => {}
    }
    // Every table must be the owner's: the grants for later tables follow the owner.
    let foreign: i64 = sqlx::query_scalar(
        "select count(*) from pg_tables where schemaname = 'public' and tableowner <> current_user",
    )
    .fetch_one(pool)
    .await?;
    if foreign > 0 {
        bail!(
            "{foreign} tables of schema public belong to another role: run this as the tables' owner"
        );
    }
    let database: String = sqlx::query_scalar("select current_database()::text")
        .fetch_one(pool)
        .await?;
    let mut tx = pool.begin().await?;
    let mut statements = vec![
        format!(
            "grant connect on database \"{}\" to {role}",
            database.replace('"', "\"\"")
        ),
        format!("grant usage on schema public to {role}"),
        format!("grant select, insert, update, delete on all tables in schema public to {role}"),
        format!("grant usage, select on all sequences in schema public to {role}"),
        format!(
            "alter default privileges in schema public grant select, insert, update, delete on tables to {role}"
        ),
        format!(
            "alter default privileges in schema public grant usage, select on sequences to {role}"
        ),
        format!("revoke insert, update, delete on _sqlx_migrations from {role}"),
    ];
    for table in APPEND_ONLY {
        statements.push(format!("revoke update, delete on {table} from {role}"));
    }
    for sql in statements {
        sqlx::query(&sql)
            .execute(&mut *tx)
            .await
            .with_context(|| sql.clone())?;
    }
    // PostgreSQL 14 and older let everyone create tables in schema public.
    let can_create: bool =
        sqlx::query_scalar("select has_schema_privilege($1, 'public', 'CREATE')")
            .bind(role)
            .fetch_one(&mut *tx)
            .await?;
    if can_create {
        bail!(
            "role {role} may create tables in schema public (PostgreSQL before 15 allows it to \
             everyone): run `revoke create on schema public from public` as the owner, then this again"
        );
    }
    tx.commit().await?;
    Ok(())
}

fn is_unreachable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<sqlx::Error>()
            .is_some_and(|e| matches!(e, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut))
            || cause.downcast_ref::<std::io::Error>().is_some()
    })
}

/// Creates the database named in `options` when the server does not have it yet.
async fn ensure_database(options: &PgConnectOptions) -> anyhow::Result<()> {
    let name = options.get_database().unwrap_or("postgres").to_string();
    let admin = options.clone().database("postgres");
    let mut conn = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect_with(&admin))
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)??;
    let exists: Option<i32> = sqlx::query_scalar("select 1 from pg_database where datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await?;
    if exists.is_none() {
        if name.contains('"') || name.contains('\0') {
            bail!("unusable database name {name:?}");
        }
        tracing::info!(database = %name, "creating database");
        let created = sqlx::raw_sql(&format!(
            "create database \"{name}\" encoding 'UTF8' template template0"
        ))
        .execute(&mut conn)
        .await;
        // Two servers starting at once may both try; the loser finds it there.
        if let Err(e) = created {
            // 42P04 duplicate_database, or 23505 when both inserts race in pg_database.
            let duplicate = e
                .as_database_error()
                .is_some_and(|d| d.is_unique_violation() || d.code().as_deref() == Some("42P04"));
            if !duplicate {
                return Err(e.into());
            }
        }
    }
    conn.close().await.ok();
    Ok(())
}

/// True when the error says the database cannot be reached right now (answer 503).
pub fn is_outage(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
    ) || e.as_database_error().is_some_and(|d| {
        // query_canceled (statement timeout), admin_shutdown, crash_shutdown, cannot_connect_now
        matches!(
            d.code().as_deref(),
            Some("57014" | "57P01" | "57P02" | "57P03")
        )
    })
}

/// Serialises the transactions that name the same `key` until they end: two first saves of
/// an empty grid cell (nothing to lock yet), or two ballots that rewrite the same counters
/// (which would otherwise deadlock).
pub async fn advisory_lock(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtextextended($1, 7271))",
        key
    )
    .execute(conn)
    .await?;
    Ok(())
}
