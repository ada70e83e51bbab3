//! The commands behind `pingxuan`'s command line: serving, the demo, the recount, exports
//! and the first administrator. `main.rs` parses the arguments and calls these.

use std::io::BufRead;

use anyhow::Context;
use clap::Args;

use crate::config::{Config, DbArgs, ServerArgs};
use crate::{AppState, app, db, demo, server};

#[derive(Args)]
pub struct GrantArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The role the server will connect as.
    pub role: String,
}

#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Load the demo center and exit without serving.
    #[arg(long)]
    pub load_only: bool,
}

#[derive(Args)]
pub struct ExportArgs {
    /// recount (the input, democratic recommendation as tallies) or results.
    #[arg(value_parser = ["recount", "results"])]
    pub what: String,
    /// The period, e.g. 2026-Q1, or `latest` for the latest published one.
    #[arg(long)]
    pub period: String,
    /// The center's code; may be left out when only one center has such a period.
    #[arg(long)]
    pub center: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Args)]
pub struct CreateAdminArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Sign-in name (3-32 of a-z 0-9 _ . -).
    #[arg(long)]
    pub username: String,
    /// Name shown on pages and in the audit log.
    #[arg(long, default_value = "系统管理员")]
    pub display_name: String,
    /// Code of the center the admin belongs to (created when missing).
    #[arg(long, default_value = "center")]
    pub center_code: String,
    /// Name of the center, used when it is created.
    #[arg(long, default_value = "政务服务中心")]
    pub center_name: String,
}

/// `pingxuan compute`: 0 with the results on standard output, 2 with one line on standard
/// error for refused input (1 when the file cannot be read or written).
pub fn compute(file: &str) -> i32 {
    use std::io::{Read, Write};
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_string(&mut text))
    };
    if let Err(e) = read {
        let code = if e.kind() == std::io::ErrorKind::InvalidData {
            2
        } else {
            1
        };
        let what = if code == 2 {
            "malformed input: not UTF-8 text"
        } else {
            "cannot read the input"
        };
        eprintln!("{what}: {file}: {e}");
        return code;
    }
    let computed = match serde_json::from_str::<crate::scoring::PeriodInput>(&text) {
        Ok(input) => {
            let result = crate::scoring::compute(&input);
            std::mem::forget(input);
            result
        }
        Err(e) => Err(crate::scoring::Refusal(format!("malformed input: {e}"))),
    };
    // The process ends right after: its memory goes back whole, without freeing each of the
    // hundreds of thousands of small allocations one by one.
    std::mem::forget(text);
    match computed {
        Ok(result) => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let written = crate::scoring::pretty::to_writer(&mut out, &result)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush());
            std::mem::forget(result);
            match written {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("cannot write the results: {e}");
                    1
                }
            }
        }
        Err(refusal) => {
            eprintln!("{}", refusal.0.replace(['\n', '\r'], " "));
            2
        }
    }
}

pub async fn serve(args: ServerArgs, with_demo: bool, load_only: bool) -> anyhow::Result<()> {
    crate::config::parse_public_hosts(&args.public_hosts).map_err(anyhow::Error::msg)?;
    let pool = db::connect(args.db.database_url.as_deref(), args.db.db_pool).await?;
    db::migrate(&pool).await?;
    if with_demo {
        demo::load(&pool).await?;
        crate::demo_rounds::load(&pool).await?;
        crate::demo_county::load(&pool).await?;
        crate::demo_citywide::load(&pool).await?;
        let accounts = demo::accounts(&pool).await?;
        if load_only {
            println!(
                "demo center loaded ({} accounts; password {})",
                accounts.len(),
                demo::DEMO_PASSWORD
            );
            return Ok(());
        }
        print_demo_accounts(&accounts, &args);
    }
    let mut config = Config::from_args(&args);
    if with_demo && config.public_url.is_none() {
        // The demo's certificates point at the demo itself.
        config.public_url = Some(format!("http://{}", args.addr));
    }
    let header_read_timeout = config.header_read_timeout;
    let state = AppState::new(pool.clone(), config.clone());
    let state_pool = pool.clone();
    tokio::spawn(purge_sessions(pool, config));
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    tracing::info!(addr = %listener.local_addr()?, "pingxuan is listening");
    let mut router = app(state);
    // Request spans and timings only when asked for (PINGXUAN_LOG=debug): they cost
    // throughput (docs/PERFORMANCE.md), and server errors are logged in any case.
    if tracing::enabled!(target: "tower_http::trace::on_response", tracing::Level::DEBUG) {
        router = router.layer(tower_http::trace::TraceLayer::new_for_http());
    }
    // Metrics on a listener of their own, so that the public address never serves them
    // (recorded since AppState::new installed the recorder).
    if let Some(addr) = args.metrics_addr {
        let metrics_listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for metrics on {addr}"))?;
        tracing::info!(addr = %addr, "metrics at /metrics");
        let metrics_app = crate::metrics::router(state_pool.clone());
        tokio::spawn(async move {
            let stop = std::future::pending::<()>();
            if let Err(e) =
                server::serve(metrics_listener, metrics_app, header_read_timeout, stop).await
            {
                tracing::warn!(error = %e, "metrics listener stopped");
            }
        });
    }
    server::serve(
        listener,
        router,
        header_read_timeout,
        server::shutdown_signal(),
    )
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Removes dead sessions and spent throttling counters every ten minutes.
async fn purge_sessions(pool: sqlx::PgPool, config: Config) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        let done = async {
            let mut conn = pool.acquire().await?;
            db::throttle::purge_expired(&mut conn, config.login_window.as_secs_f64()).await?;
            db::session::purge_expired(
                &mut conn,
                config.session_idle.as_secs_f64(),
                config.session_absolute.as_secs_f64(),
            )
            .await
        }
        .await;
        match done {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
    }
}

fn print_demo_accounts(accounts: &[demo::DemoAccount], args: &ServerArgs) {
    println!();
    println!(
        "示范市政务服务中心 (demo) — every account's password: {}",
        demo::DEMO_PASSWORD
    );
    println!("{:<14} {:<16} name", "role", "username");
    for a in accounts {
        let note = if a.note.is_empty() {
            String::new()
        } else {
            format!("  [{}]", a.note)
        };
        println!(
            "{:<14} {:<16} {}{}",
            a.role, a.username, a.display_name, note
        );
    }
    println!();
    println!("Open http://{}/login", args.addr);
    println!();
}

pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let pool = db::connect(args.db.database_url.as_deref(), 2).await?;
    db::migrate(&pool).await?;
    let mut conn = pool.acquire().await?;
    // The centers to look in: the one named, or every center.
    let centers = db::center::by_code(&mut conn, args.center.as_deref()).await?;
    if centers.is_empty() {
        anyhow::bail!("no center {:?}", args.center.unwrap_or_default());
    }
    let mut found = Vec::new();
    for (center_id, code) in &centers {
        let period = if args.period == "latest" {
            db::results::latest_published(&mut conn, *center_id).await?
        } else {
            db::period::period_by_code(&mut conn, *center_id, &args.period).await?
        };
        if let Some(p) = period {
            found.push((*center_id, code.clone(), p));
        }
    }
    let (center_id, _, period) = match found.len() {
        0 => anyhow::bail!(
            "no period {} (published, for `latest`) in {}",
            args.period,
            if args.center.is_some() {
                "that center"
            } else {
                "any center"
            }
        ),
        1 => found.remove(0),
        _ => anyhow::bail!(
            "period {} exists in several centers ({}): name one with --center",
            args.period,
            found
                .iter()
                .map(|f| f.1.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let (input, result, _) = match db::results::results_of(&mut conn, center_id, &period).await {
        Ok(r) => r,
        Err(db::results::ResultsError::NotReady) => anyhow::bail!(
            "period {} has no results yet (phase {})",
            period.code,
            period.phase.as_str()
        ),
        Err(db::results::ResultsError::Db(e)) => return Err(e.into()),
        Err(db::results::ResultsError::Invalid(msg)) => {
            anyhow::bail!("period {}: stored data refused: {msg}", period.code)
        }
    };
    let json = if args.what == "recount" {
        serde_json::to_string_pretty(&input)?
    } else {
        serde_json::to_string_pretty(&result)?
    };
    println!("{json}");
    Ok(())
}

pub async fn create_admin(args: CreateAdminArgs) -> anyhow::Result<()> {
    use crate::domain::text;
    let username =
        text::username(&args.username).map_err(|e| anyhow::anyhow!("username: {}", e.message()))?;
    let password = match std::env::var("PINGXUAN_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!(
                "Password for {username} (8-128 characters of at least three kinds: capitals, small letters, digits, symbols; not the username, not a common password), then Enter:"
            );
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let password = text::strong_password(&password, &username)
        .map_err(|e| anyhow::anyhow!("password: {}", e.message()))?;
    let pool = db::connect(args.db.database_url.as_deref(), 2).await?;
    db::migrate(&pool).await?;
    let hash = crate::password::hash(password).await?;
    let mut tx = pool.begin().await?;
    let center_id = db::center::find_or_create(&mut tx, &args.center_code, &args.center_name)
        .await
        .context("cannot create the center (code: 1-32 of a-z 0-9 -)")?;
    let actor = db::Actor {
        center_id: Some(center_id),
        account_id: None,
        name: "命令行 create-admin".into(),
        ip: String::new(),
    };
    let input = db::account::AccountInput {
        username: username.clone(),
        display_name: args.display_name,
        role: "admin".into(),
        window_id: None,
        staff_id: None,
        is_group_leader: false,
    };
    db::scheme::ensure_default_schemes(&mut tx, &actor, center_id).await?;
    db::account::create(&mut tx, &actor, center_id, &input, &hash, false)
        .await
        .context("cannot create the account (is the username taken?)")?;
    tx.commit().await?;
    println!("admin account {username} created");
    Ok(())
}
