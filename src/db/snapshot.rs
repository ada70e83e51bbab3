//! The candidates a period's vote and rating offer, as the confirmed snapshot has them.
//!
//! `period.candidates` holds the scoring module's whole result when the candidates were
//! confirmed: every entrant of the center with its months and flags, megabytes for a
//! province's largest center. A head's home and ballot pages need only the two candidate
//! lists, so each process decodes a period's snapshot once per version of the period row
//! (its `xmin`, which changes with every update of the row, a correction included) and
//! keeps the two short lists.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::PgConnection;
use sqlx::types::Json;

use crate::domain::ids::PeriodId;
use crate::scoring::{Kind, PeriodResult};

/// The candidates of one period in assessment-rank order: recount id (`W12`, `S45`) and
/// the assessment as pages show it.
#[derive(Debug, Default)]
pub struct Candidates {
    pub window: Vec<(String, String)>,
    pub staff: Vec<(String, String)>,
}

impl Candidates {
    pub fn of(snapshot: &PeriodResult) -> Candidates {
        let list = |kind| {
            snapshot
                .kind(kind)
                .candidates_with_assessment()
                .into_iter()
                .map(|(id, a)| (id.to_string(), a))
                .collect()
        };
        Candidates {
            window: list(Kind::Window),
            staff: list(Kind::Staff),
        }
    }

    pub fn kind(&self, kind: Kind) -> &[(String, String)] {
        match kind {
            Kind::Window => &self.window,
            Kind::Staff => &self.staff,
        }
    }

    /// Candidates of both kinds.
    pub fn len(&self) -> usize {
        self.window.len() + self.staff.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What this process has decoded of some periods, by period, each with the version of the
/// period row (`xmin`) it was read at (or of some centers, by center, each with its
/// `org_revision`: [`crate::db::org::roster`]). When full, the entry used longest ago goes.
pub struct VersionedCache<V, K = PeriodId> {
    map: Mutex<Entries<K, V>>,
    most: usize,
    /// One lock per key being read, held while its missing value is read, so that the
    /// requests that find it missing at once (a process just started, 64 of them) read and
    /// decode it once, not each, while the other keys' requests go on.
    loading: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

struct Entries<K, V> {
    map: HashMap<K, Entry<V>>,
    /// Counts the uses of this cache: an entry's `used` is the count at its last use.
    uses: u64,
}

struct Entry<V> {
    version: i64,
    value: Arc<V>,
    /// When it was last stored or found, in uses of this cache.
    used: u64,
}

impl<V, K: Copy + Eq + std::hash::Hash> VersionedCache<V, K> {
    pub fn new(most: usize) -> VersionedCache<V, K> {
        VersionedCache {
            map: Mutex::new(Entries {
                map: HashMap::new(),
                uses: 0,
            }),
            most: most.max(1),
            loading: Mutex::new(HashMap::new()),
        }
    }

    /// Taken before reading a missing value of `key` (then [`VersionedCache::get`] again:
    /// another request may have stored it meanwhile).
    pub async fn loading(&self, key: K) -> LoadingGuard<'_, V, K> {
        let lock = {
            let mut loading = self.loading.lock().unwrap_or_else(|e| e.into_inner());
            loading.entry(key).or_default().clone()
        };
        let guard = lock.clone().lock_owned().await;
        LoadingGuard {
            cache: self,
            key,
            _guard: guard,
        }
    }

    /// The value of `key` as it stood at `version`.
    pub fn get(&self, key: K, version: i64) -> Option<Arc<V>> {
        let mut entries = self.lock();
        entries.uses += 1;
        let now = entries.uses;
        let e = entries.map.get_mut(&key).filter(|e| e.version == version)?;
        e.used = now;
        Some(e.value.clone())
    }

    /// The value of `key` as it stood at `version`: kept, or else made by `load` and
    /// kept. The requests that miss at once wait for one of them to load it
    /// ([`VersionedCache::loading`]).
    pub async fn get_or_load<E>(
        &self,
        key: K,
        version: i64,
        load: impl AsyncFnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        if let Some(found) = self.get(key, version) {
            return Ok(found);
        }
        let _loading = self.loading(key).await;
        if let Some(found) = self.get(key, version) {
            return Ok(found);
        }
        let value = Arc::new(load().await?);
        self.put(key, version, value.clone());
        Ok(value)
    }

    pub fn put(&self, key: K, version: i64, value: Arc<V>) {
        let mut entries = self.lock();
        entries.uses += 1;
        let used = entries.uses;
        if entries.map.len() >= self.most && !entries.map.contains_key(&key) {
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                entries.map.remove(&k);
            }
        }
        entries.map.insert(
            key,
            Entry {
                version,
                value,
                used,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        // A panic while the lock was held leaves nothing half-written: entries are whole.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Held while a key's missing value is read; the key's lock is forgotten when nobody else
/// waits for it.
pub struct LoadingGuard<'a, V, K: Copy + Eq + std::hash::Hash> {
    cache: &'a VersionedCache<V, K>,
    key: K,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl<V, K: Copy + Eq + std::hash::Hash> Drop for LoadingGuard<'_, V, K> {
    fn drop(&mut self) {
        let mut loading = self.cache.loading.lock().unwrap_or_else(|e| e.into_inner());
        // Held by the map and by this guard only: nobody waits for it.
        if loading
            .get(&self.key)
            .is_some_and(|lock| Arc::strong_count(lock) <= 2)
        {
            loading.remove(&self.key);
        }
    }
}

/// The version of a period's row: changes with every update of the row.
pub async fn version(conn: &mut PgConnection, period_id: PeriodId) -> sqlx::Result<i64> {
    sqlx::query_scalar("select xmin::text::bigint from period where period_id = $1")
        .bind(period_id.0)
        .fetch_one(conn)
        .await
}

/// The candidates of the periods voting or rating. Only those come here, so the cache is
/// as large as the number of centers of a province voting at once.
pub struct CandidateCache(VersionedCache<Candidates>);

impl Default for CandidateCache {
    fn default() -> Self {
        CandidateCache(VersionedCache::new(1024))
    }
}

impl CandidateCache {
    /// The candidates of `period_id` as its row stood at `version` (or later).
    pub async fn get(
        &self,
        conn: &mut PgConnection,
        period_id: PeriodId,
        version: i64,
    ) -> sqlx::Result<Arc<Candidates>> {
        if let Some(c) = self.0.get(period_id, version) {
            return Ok(c);
        }
        let _loading = self.0.loading(period_id).await;
        if let Some(c) = self.0.get(period_id, version) {
            return Ok(c);
        }
        let (snapshot, read_at): (Option<Json<PeriodResult>>, i64) = sqlx::query_as(
            "select candidates, xmin::text::bigint from period where period_id = $1",
        )
        .bind(period_id.0)
        .fetch_one(conn)
        .await?;
        let candidates = Arc::new(snapshot.map(|s| Candidates::of(&s.0)).unwrap_or_default());
        self.0.put(period_id, read_at, candidates.clone());
        Ok(candidates)
    }
}
