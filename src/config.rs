//! Settings: command-line flags and environment variables, with defaults that run on a
//! developer's machine. Secrets never appear in `Debug` output.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

/// Settings shared by `serve` and `demo`.
#[derive(Args, Clone)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, env = "PINGXUAN_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    /// Mark cookies `Secure` (set when the server is reached over HTTPS).
    #[arg(long, env = "PINGXUAN_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Take the client's address from the last entry of `X-Forwarded-For`, the one your proxy
    /// appended (only behind a reverse proxy you run; earlier entries are the client's own).
    #[arg(long, env = "PINGXUAN_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,
    /// Minutes without a request after which a session ends.
    #[arg(long, env = "PINGXUAN_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u32,
    /// Hours after sign-in after which a session ends, however active.
    #[arg(long, env = "PINGXUAN_SESSION_ABSOLUTE_HOURS", default_value_t = 12)]
    pub session_absolute_hours: u32,
    /// Code of the center whose honor roll `/honor-roll` shows (default: the first top-level
    /// center).
    #[arg(long, env = "PINGXUAN_PUBLIC_CENTER")]
    pub public_center: Option<String>,
    /// Address the public reaches this server at, e.g. `https://pingxuan.example.gov.cn`; used
    /// in the certificates' QR codes. Certificates are printed only once it is set (`demo`
    /// sets it to its own listening address).
    #[arg(long, env = "PINGXUAN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Issuer printed on certificates (default: the center's name).
    #[arg(long, env = "PINGXUAN_CERTIFICATE_ISSUER")]
    pub certificate_issuer: Option<String>,
    /// Host names that show one center's public pages, as `host=center-code` separated by
    /// commas: `/honor-roll` and `/verify` on that host are the center's own.
    #[arg(long, env = "PINGXUAN_PUBLIC_HOSTS", default_value = "")]
    pub public_hosts: String,
    /// Address of a second listener answering `GET /metrics` (Prometheus text format);
    /// without it, no metrics are served.
    #[arg(long, env = "PINGXUAN_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

/// Parses `PINGXUAN_PUBLIC_HOSTS`: `host=code` pairs separated by commas, host names
/// compared in lower case without a port.
pub fn parse_public_hosts(raw: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((host, code)) = pair.split_once('=') else {
            return Err(format!(
                "PINGXUAN_PUBLIC_HOSTS: {pair:?} is not host=center-code"
            ));
        };
        let (host, code) = (host.trim().to_ascii_lowercase(), code.trim());
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !host_ok || !crate::domain::is_center_code(code) {
            return Err(format!(
                "PINGXUAN_PUBLIC_HOSTS: {pair:?} is not host=center-code"
            ));
        }
        out.push((host, code.to_string()));
    }
    Ok(out)
}

/// Where the database is.
#[derive(Args, Clone)]
pub struct DbArgs {
    /// PostgreSQL URL; when unset, the local server (or a private cluster under ./var/postgres).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Largest number of pooled database connections.
    #[arg(long, env = "PINGXUAN_DB_POOL", default_value_t = 16)]
    pub db_pool: u32,
}

impl fmt::Debug for DbArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbArgs")
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("db_pool", &self.db_pool)
            .finish()
    }
}

/// Replaces the password of a URL with `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The settings the running application reads.
#[derive(Clone, Debug)]
pub struct Config {
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// Failed sign-ins for one username within `login_window` before it is locked.
    pub login_max_failures_per_user: i32,
    /// Failed sign-ins from one address within `login_window` before it is locked: high,
    /// since a whole office may sign in from behind one address.
    pub login_max_failures_per_ip: i32,
    pub login_window: Duration,
    pub login_lock: Duration,
    pub request_timeout: Duration,
    pub header_read_timeout: Duration,
    /// Largest accepted request body.
    pub body_limit: usize,
    /// Largest accepted upload (photos, spreadsheets).
    pub upload_limit: usize,
    pub public_center: Option<String>,
    pub public_url: Option<String>,
    pub certificate_issuer: Option<String>,
    /// Host names mapped to the center whose public pages they show.
    pub public_hosts: Vec<(String, String)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            trust_proxy: false,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            login_max_failures_per_user: 5,
            login_max_failures_per_ip: 300,
            login_window: Duration::from_secs(15 * 60),
            login_lock: Duration::from_secs(15 * 60),
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            body_limit: 64 * 1024,
            upload_limit: 10 * 1024 * 1024,
            public_center: None,
            public_url: None,
            certificate_issuer: None,
            public_hosts: Vec::new(),
        }
    }
}

impl Config {
    pub fn from_args(args: &ServerArgs) -> Config {
        Config {
            secure_cookies: args.secure_cookies,
            trust_proxy: args.trust_proxy,
            session_idle: Duration::from_secs(u64::from(args.session_idle_minutes.max(1)) * 60),
            session_absolute: Duration::from_secs(
                u64::from(args.session_absolute_hours.max(1)) * 3600,
            ),
            public_center: args.public_center.clone(),
            public_url: args
                .public_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_string()),
            certificate_issuer: args.certificate_issuer.clone(),
            // Checked at start-up (`cli::serve`), so a bad value never reaches here.
            public_hosts: parse_public_hosts(&args.public_hosts).unwrap_or_default(),
            ..Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/pingxuan"),
            "postgres://app:***@db:5432/pingxuan"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
    }
}
