//! The `pingxuan` command: parses the command line and calls into the library.

use clap::{Parser, Subcommand};
use pingxuan::cli::{self, CreateAdminArgs, DemoArgs, ExportArgs, GrantArgs};
use pingxuan::config::{DbArgs, ServerArgs};
use pingxuan::db;
use tracing_subscriber::EnvFilter;

/// mimalloc: the recount of a province's file makes hundreds of thousands of small
/// allocations, which it serves markedly faster than the system allocator
/// (docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "pingxuan",
    version,
    about = "评选: service awards for government service centers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve(ServerArgs),
    /// Load the demo center (once) and run the web server.
    Demo(DemoArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Grant an existing login role what the running server needs and nothing more (run as
    /// the tables' owner; then serve with that role in DATABASE_URL).
    GrantAppRole(GrantArgs),
    /// Create an administrator account (password from PINGXUAN_ADMIN_PASSWORD or standard input).
    CreateAdmin(CreateAdminArgs),
    /// Export a period's recount input or results (SPEC.md §5) as JSON on standard output.
    Export(ExportArgs),
    /// Recount a period: read its data (JSON, SPEC.md §5) from FILE or `-` (standard input),
    /// print its results as JSON. Refused input: exit status 2 and one line on standard error.
    Compute {
        /// The period's data, or `-` for standard input.
        file: String,
    },
}

fn init_logging() {
    let filter = EnvFilter::try_from_env("PINGXUAN_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Colours only on a terminal: a log file or journal gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    if std::env::var("PINGXUAN_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() {
    let cli = Cli::parse();
    // The recount needs neither logging nor a runtime: plain input, plain output.
    if let Command::Compute { file } = &cli.command {
        std::process::exit(cli::compute(file));
    }
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pingxuan: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    runtime.block_on(run_server_command(cli));
}

async fn run_server_command(cli: Cli) {
    if let Err(e) = run(cli).await {
        eprintln!("pingxuan: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => cli::serve(args, false, false).await,
        Command::Demo(args) => cli::serve(args.server, true, args.load_only).await,
        Command::Migrate(args) => {
            let pool = db::connect(args.database_url.as_deref(), 2).await?;
            db::migrate(&pool).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::GrantAppRole(args) => {
            let pool = db::connect(args.db.database_url.as_deref(), 2).await?;
            db::migrate(&pool).await?;
            db::grant_app_role(&pool, &args.role).await?;
            println!("granted {} what the server needs", args.role);
            Ok(())
        }
        Command::CreateAdmin(args) => cli::create_admin(args).await,
        Command::Export(args) => cli::export(args).await,
        Command::Compute { .. } => unreachable!("handled before the runtime starts"),
    }
}
