//! Password hashing with argon2id (the crate's defaults), always off the async threads and
//! never on every core at once.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// At most this many argon2 computations run at once: one core less than the machine has
/// (at least one), so that a flood of sign-ins queues for its turn instead of taking every
/// core from the pages everyone else is reading.
fn gate() -> &'static tokio::sync::Semaphore {
    static GATE: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    GATE.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    })
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _turn = gate().acquire().await?;
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

/// Checks a password against a stored hash. With `None` (unknown user) a dummy hash is
/// checked instead, so that unknown users and wrong passwords take the same time.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    let Ok(_turn) = gate().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        let dummy;
        let hash = match &stored {
            Some(h) => h.as_str(),
            None => {
                dummy = dummy_hash();
                dummy
            }
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok();
        ok && stored.is_some()
    })
    .await
    .unwrap_or(false)
}

/// Computes the dummy hash now, so that the first unknown-user sign-in after a start is not
/// slower than a wrong password.
pub fn warm_up() {
    dummy_hash();
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking("pingxuan-no-such-account").expect("argon2 hashes a constant")
    })
}

/// A random password for a reset: 12 characters that are easy to read aloud and type.
pub fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    // Drawn again until it has small letters, capitals and digits (as the policy asks of
    // every password); about one draw in five is drawn again.
    loop {
        let p: String = (0..12)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        if crate::domain::text::strong_password(&p, "").is_ok() {
            return p;
        }
    }
}
