//! The private-cluster fallback: when no database URL is configured and nothing answers on
//! the default port, start PostgreSQL from its installed binaries with its data under
//! `./var/postgres`, listening on 127.0.0.1:54329.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use anyhow::{Context, bail};
use sqlx::postgres::PgConnectOptions;

const PORT: u16 = 54329;

pub async fn start_private_cluster() -> anyhow::Result<PgConnectOptions> {
    tokio::task::spawn_blocking(start_blocking).await?
}

fn start_blocking() -> anyhow::Result<PgConnectOptions> {
    let Some(bin) = find_bin_dir() else {
        bail!(
            "PostgreSQL is not reachable at {} and its programs (initdb, pg_ctl) are not installed: \
             install PostgreSQL (apt-get install postgresql) or set DATABASE_URL",
            super::DEFAULT_URL
        );
    };
    let data = std::env::current_dir()?.join("var/postgres");
    let as_root = is_root();
    if !data.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&data).context("cannot create ./var/postgres")?;
        if as_root {
            run(
                Command::new("chown")
                    .arg("-R")
                    .arg("postgres:postgres")
                    .arg(&data),
                false,
            )?;
        }
        tracing::info!(dir = %data.display(), "initialising a private PostgreSQL cluster");
        run(
            Command::new(bin.join("initdb")).arg("-D").arg(&data).args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ]),
            as_root,
        )?;
    }
    let status = cmd_status(
        Command::new(bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("status"),
        as_root,
    );
    if !status {
        tracing::info!(port = PORT, "starting the private PostgreSQL cluster");
        run(
            Command::new(bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(data.join("server.log"))
                .arg("-o")
                .arg(format!("-p {PORT} -h 127.0.0.1 -k {}", data.display()))
                .args(["-w", "start"]),
            as_root,
        )?;
    }
    Ok(PgConnectOptions::from_str(&format!(
        "postgres://postgres@127.0.0.1:{PORT}/pingxuan"
    ))?)
}

fn find_bin_dir() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PostgreSQL refuses to run as root: run its programs as the `postgres` user then.
fn wrap(cmd: &mut Command, as_postgres: bool) -> Command {
    if !as_postgres {
        let mut c = Command::new(cmd.get_program());
        c.args(cmd.get_args());
        return c;
    }
    let mut c = Command::new("runuser");
    c.args(["-u", "postgres", "--"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    c.current_dir(Path::new("/"));
    c
}

fn run(cmd: &mut Command, as_postgres: bool) -> anyhow::Result<()> {
    let mut c = wrap(cmd, as_postgres);
    let out = c
        .output()
        .with_context(|| format!("cannot run {:?}", c.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} failed: {}",
            c,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn cmd_status(cmd: &mut Command, as_postgres: bool) -> bool {
    wrap(cmd, as_postgres)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
