//! Who may try a password now: one attempt per username at a time (so that concurrent
//! guesses cannot slip past a limit while correct passwords add nothing), the browsers an
//! account has signed in from before (device cookies, as OWASP recommends against lockout
//! abuse), and the throttle keys an attempt is checked and counted under.

use std::sync::Arc;

use axum::http::HeaderMap;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::extract::cookie;
use crate::config::Config;
use crate::db::{self, throttle::Limit};
use crate::domain::ids::AccountId;

/// The cookie that lets a browser be recognised as one that signed in before.
pub const DEVICE_COOKIE: &str = "pingxuan_device";
/// How long a browser stays trusted after its latest sign-in.
pub const DEVICE_DAYS: u64 = 180;

/// Attempts on the same username are checked, evaluated and counted one at a time, in this
/// process; the striping bounds memory whatever usernames are tried.
pub struct Gate {
    stripes: Vec<Arc<tokio::sync::Mutex<()>>>,
}

impl Default for Gate {
    fn default() -> Gate {
        Gate {
            stripes: (0..1024)
                .map(|_| Arc::new(tokio::sync::Mutex::new(())))
                .collect(),
        }
    }
}

impl Gate {
    /// Waits for the other attempts on `key` (holding no database connection meanwhile).
    pub async fn enter(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        let i = (h.finish() % self.stripes.len() as u64) as usize;
        self.stripes[i].clone().lock_owned().await
    }
}

/// The device cookie's value, when the browser sent a well-formed one.
pub fn device_token(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, DEVICE_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The hash under which a device token is stored.
pub fn device_hash(token: &str) -> String {
    hex::encode(db::session::hash_id(token))
}

/// Failures one account may have within the window before it locks: under the account's
/// key for unknown browsers, a trusted browser's own key, and the check of the current
/// password when it is changed.
pub fn account_limit(cfg: &Config) -> Limit {
    Limit {
        max_failures: cfg.login_max_failures_per_user,
        window_secs: cfg.login_window.as_secs_f64(),
        lock_secs: cfg.login_lock.as_secs_f64(),
        growing: false,
    }
}

/// The keys one attempt is checked and counted under.
pub struct Keys {
    pub ip: String,
    /// A trusted browser's own key, or the account's keys for unknown browsers.
    pub account: Vec<(String, Limit)>,
    pub trusted: bool,
}

impl Keys {
    pub async fn of(
        conn: &mut PgConnection,
        cfg: &Config,
        username: &str,
        account: Option<AccountId>,
        address: &str,
        device: Option<&str>,
    ) -> sqlx::Result<Keys> {
        let trusted_hash = match (account, device) {
            (Some(a), Some(token)) => {
                let hash = device_hash(token);
                db::throttle::trusted(conn, &hash, a)
                    .await?
                    .then_some((a, hash))
            }
            _ => None,
        };
        let account_keys = match &trusted_hash {
            Some((a, hash)) => vec![(format!("device:{a}:{}", &hash[..16]), account_limit(cfg))],
            None => vec![
                (format!("user:{username}"), account_limit(cfg)),
                (
                    format!("ua:{username}|{address}"),
                    Limit {
                        max_failures: 3,
                        growing: true,
                        ..account_limit(cfg)
                    },
                ),
            ],
        };
        Ok(Keys {
            ip: format!("ip:{address}"),
            account: account_keys,
            trusted: trusted_hash.is_some(),
        })
    }

    /// The queue the attempt waits its turn in: its own browser's key when the browser has
    /// signed in to the account before (so that a flood of guesses at the username does not
    /// hold up its owner), else the username's.
    pub fn queue(&self) -> &str {
        &self.account[0].0
    }

    /// The latest end of the locks that refuse this attempt now, if any. A trusted browser
    /// answers only to its own failures: neither the account's nor the address's lock,
    /// both of which others can cause, refuses it.
    pub async fn locked(&self, conn: &mut PgConnection) -> sqlx::Result<Option<OffsetDateTime>> {
        let mut until: Option<OffsetDateTime> = None;
        let ip = (!self.trusted).then_some(self.ip.as_str());
        for key in self.account.iter().map(|(k, _)| k.as_str()).chain(ip) {
            if let Some(t) = db::throttle::locked_until(conn, key).await? {
                until = Some(until.map_or(t, |u| u.max(t)));
            }
        }
        Ok(until)
    }

    /// Counts a failure under every key; true when it locked one of them.
    pub async fn fail(&self, conn: &mut PgConnection, cfg: &Config) -> sqlx::Result<bool> {
        let mut newly = db::throttle::fail(
            conn,
            &self.ip,
            Limit {
                max_failures: cfg.login_max_failures_per_ip,
                ..account_limit(cfg)
            },
        )
        .await?;
        for (key, limit) in &self.account {
            newly |= db::throttle::fail(conn, key, *limit).await?;
        }
        Ok(newly)
    }

    /// A correct password: the failures of this browser or this address on the account are
    /// forgotten (the account's count from unknown browsers runs out on its own, so that a
    /// guesser cannot reset it by also knowing when the owner signs in).
    pub async fn succeeded(&self, conn: &mut PgConnection) -> sqlx::Result<()> {
        for (key, _) in &self.account {
            if !key.starts_with("user:") {
                db::throttle::clear(conn, key).await?;
            }
        }
        Ok(())
    }
}
