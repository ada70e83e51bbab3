//! The append-only audit log. Every change writes its row through [`record`] inside the
//! same transaction as the change itself.

use crate::domain::ids::{AccountId, CenterId};
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;

/// Who is acting, as the audit log names them.
#[derive(Clone, Debug)]
pub struct Actor {
    pub center_id: Option<CenterId>,
    pub account_id: Option<AccountId>,
    pub name: String,
    pub ip: String,
}

/// One change to record.
pub struct Change<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    change: Change<'_>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into audit_log (center_id, actor_account_id, actor_name, action, entity, entity_id, before, after, ip)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        actor.center_id.map(|c| c.0),
        actor.account_id.map(|v| v.0),
        actor.name,
        change.action,
        change.entity,
        change.entity_id,
        change.before,
        change.after,
        actor.ip,
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub audit_id: i64,
    pub actor_name: String,
    pub at: OffsetDateTime,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: String,
}

/// Filters of the audit page.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Matches the actor's name, the action, the entity or its id (substring).
    pub q: String,
    pub entity: String,
    /// Actions whose Chinese names the search words are part of.
    pub actions: Vec<String>,
}

/// The most rows the audit page counts: past it the page says "more than" and a narrower
/// search finds the older ones (a center's log grows by about a million rows in a busy
/// year, and counting them all would be the slowest thing on the page).
pub const COUNT_CAP: i64 = 10_000;

/// The center's rows that match the filter, as the `where` of a query on `audit_log`.
fn matching<'a>(
    b: &mut sqlx::QueryBuilder<'a, sqlx::Postgres>,
    center_id: CenterId,
    filter: &'a AuditFilter,
) {
    b.push(" where center_id = ").push_bind(center_id.0);
    if !filter.entity.is_empty() {
        b.push(" and entity = ").push_bind(&filter.entity);
    }
    if !filter.q.is_empty() {
        let pattern = format!("%{}%", like_escape(&filter.q));
        b.push(" and (actor_name ilike ")
            .push_bind(pattern.clone())
            .push(" or action ilike ")
            .push_bind(pattern.clone())
            .push(" or entity_id ilike ")
            .push_bind(pattern)
            .push(" or action = any(")
            .push_bind(&filter.actions)
            .push("))");
    }
}

/// The unsearched lists (a center's whole log, or one entity's) known to hold more than
/// [`COUNT_CAP`] rows. The log is append-only (a trigger refuses updates and deletes), so a
/// list past the cap stays past it and is not counted again: with a million rows, counting
/// to the cap was most of the page's time.
#[derive(Default)]
pub struct PastCap(std::sync::Mutex<std::collections::HashSet<(CenterId, String)>>);

impl PastCap {
    fn key(center_id: CenterId, filter: &AuditFilter) -> Option<(CenterId, String)> {
        filter
            .q
            .is_empty()
            .then(|| (center_id, filter.entity.clone()))
    }

    fn contains(&self, key: &(CenterId, String)) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(key)
    }

    fn insert(&self, key: (CenterId, String)) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key);
    }
}

/// From this many rows into an unsearched list, its pages are found through the ids it
/// keeps ([`NewestIds`]) instead of by skipping index entries.
pub const DEEP: i64 = 1_000;

/// How long the kept ids of a list are added to before they are read again whole: a row
/// whose transaction began before a newer row's and committed after it (its id lower than
/// ids already kept) is listed on the deep pages within this time.
pub const REREAD: std::time::Duration = std::time::Duration::from_secs(10);

/// How many lists' ids are kept (80 KB each).
const NEWEST_KEPT: usize = 64;

/// The ids of the newest [`COUNT_CAP`] rows of unsearched lists (a center's whole log, or
/// one entity's), newest first. A page deep in such a list skipped up to 10,000 index
/// entries under every request (with 64 at once, 3.5 ms of PostgreSQL's time each); the
/// log is append-only, so the ids kept stay right and only the newer ones are read
/// (usually none), with the whole read again after [`REREAD`].
#[derive(Default)]
pub struct NewestIds(std::sync::Mutex<std::collections::HashMap<(CenterId, String), KeptIds>>);

#[derive(Clone)]
struct KeptIds {
    ids: std::sync::Arc<Vec<i64>>,
    read_at: std::time::Instant,
}

impl NewestIds {
    fn get(&self, key: &(CenterId, String)) -> Option<KeptIds> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(key)
            .filter(|k| k.read_at.elapsed() < REREAD)
            .cloned()
    }

    fn put(&self, key: (CenterId, String), value: KeptIds) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= NEWEST_KEPT
            && !kept.contains_key(&key)
            && let Some(oldest) = kept
                .iter()
                .min_by_key(|(_, k)| k.read_at)
                .map(|(k, _)| k.clone())
        {
            kept.remove(&oldest);
        }
        kept.insert(key, value);
    }
}

/// The audit page's lists kept by a process: which are past the count, and the newest
/// ids of those read deep.
#[derive(Default)]
pub struct ListsKept {
    pub past_cap: PastCap,
    pub newest: NewestIds,
}

/// The ids of the newest [`COUNT_CAP`] rows of the unsearched list `key`, newest first.
async fn newest_ids(
    conn: &mut PgConnection,
    kept: &NewestIds,
    key: &(CenterId, String),
    filter: &AuditFilter,
) -> sqlx::Result<std::sync::Arc<Vec<i64>>> {
    let (center_id, _) = *key;
    let found = kept.get(key);
    let mut b = sqlx::QueryBuilder::new("select audit_id from audit_log");
    matching(&mut b, center_id, filter);
    if let Some(top) = found.as_ref().and_then(|k| k.ids.first()) {
        b.push(" and audit_id > ").push_bind(*top);
    }
    b.push(" order by audit_id desc limit ")
        .push_bind(COUNT_CAP);
    let newer: Vec<i64> = b.build_query_scalar().fetch_all(&mut *conn).await?;
    let ids = match found {
        Some(k) if newer.is_empty() => return Ok(k.ids),
        Some(k) => {
            let mut ids = newer;
            // At most COUNT_CAP newer ids were read.
            ids.extend(k.ids.iter().take(COUNT_CAP as usize - ids.len()));
            KeptIds {
                ids: std::sync::Arc::new(ids),
                read_at: k.read_at,
            }
        }
        None => KeptIds {
            ids: std::sync::Arc::new(newer),
            read_at: std::time::Instant::now(),
        },
    };
    kept.put(key.clone(), ids.clone());
    Ok(ids.ids)
}

/// One page of the center's audit log, newest first, with the number of matching rows
/// counted up to [`COUNT_CAP`] (`COUNT_CAP + 1` means more).
pub async fn list(
    conn: &mut PgConnection,
    kept: &ListsKept,
    center_id: CenterId,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<AuditRow>, i64)> {
    let key = PastCap::key(center_id, filter);
    let past_cap = &kept.past_cap;
    let rows = match &key {
        Some(key) if (DEEP..COUNT_CAP).contains(&offset) => {
            let ids = newest_ids(conn, &kept.newest, key, filter).await?;
            let page: Vec<i64> = ids
                .iter()
                .skip(offset as usize)
                .take(limit.max(0) as usize)
                .copied()
                .collect();
            sqlx::query_as::<_, AuditRow>(
                "select audit_id, actor_name, at, action, entity, entity_id, before, after, ip
                   from audit_log where audit_id = any($1) order by audit_id desc",
            )
            .bind(page)
            .fetch_all(&mut *conn)
            .await?
        }
        _ => {
            // The page's ids first (from the index alone when nothing narrows the list),
            // then their rows: a page deep in a million rows skips index entries, not rows.
            let mut b = sqlx::QueryBuilder::new(
                "select audit_id, actor_name, at, action, entity, entity_id, before, after, ip from audit_log
                 where audit_id in (select audit_id from audit_log",
            );
            matching(&mut b, center_id, filter);
            b.push(" order by audit_id desc limit ")
                .push_bind(limit)
                .push(" offset ")
                .push_bind(offset)
                .push(") order by audit_id desc");
            b.build_query_as::<AuditRow>().fetch_all(&mut *conn).await?
        }
    };
    if key.as_ref().is_some_and(|k| past_cap.contains(k)) {
        return Ok((rows, COUNT_CAP + 1));
    }
    let mut b = sqlx::QueryBuilder::new("select count(*) from (select 1 from audit_log");
    matching(&mut b, center_id, filter);
    b.push(" limit ").push_bind(COUNT_CAP + 1).push(") t");
    let total: i64 = b.build_query_scalar().fetch_one(conn).await?;
    if total > COUNT_CAP
        && let Some(key) = key
    {
        past_cap.insert(key);
    }
    Ok((rows, total))
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Every name an audit row may refer to by id, for one center: ids are shown as names.
#[derive(Default)]
pub struct Names {
    pub departments: std::collections::HashMap<i64, String>,
    pub business_areas: std::collections::HashMap<i64, String>,
    pub windows: std::collections::HashMap<i64, String>,
    pub staff: std::collections::HashMap<i64, String>,
    pub accounts: std::collections::HashMap<i64, String>,
    pub schemes: std::collections::HashMap<i64, String>,
}

/// Every number a page of rows mentions (in entity ids such as `W12`, and anywhere in the
/// before and after values): the ids whose names the page may show.
pub fn mentioned_ids(rows: &[AuditRow]) -> Vec<i64> {
    fn walk(v: &Value, out: &mut Vec<i64>) {
        match v {
            Value::Number(n) => out.extend(n.as_i64()),
            Value::String(s) => digits(s, out),
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            Value::Object(o) => o.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    fn digits(s: &str, out: &mut Vec<i64>) {
        out.extend(
            s.split(|c: char| !c.is_ascii_digit())
                .filter_map(|d| d.parse::<i64>().ok()),
        );
    }
    let mut out = Vec::new();
    for r in rows {
        digits(&r.entity_id, &mut out);
        for v in [&r.before, &r.after].into_iter().flatten() {
            walk(v, &mut out);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The names of the center's departments, areas, windows, staff, accounts and schemes
/// among `ids` (a page's [`mentioned_ids`]): ids are shown as names.
pub async fn names(
    conn: &mut PgConnection,
    center_id: CenterId,
    ids: &[i64],
) -> sqlx::Result<Names> {
    // One round trip: every table's (id, name), tagged with what it names.
    let rows: Vec<(String, i64, String)> = sqlx::query_as(
        "select 'department', department_id, name from department where center_id = $1 and department_id = any($2)
         union all select 'business_area', business_area_id, name from business_area where center_id = $1 and business_area_id = any($2)
         union all select 'window', window_id, number || '号窗口 ' || name from service_window where center_id = $1 and window_id = any($2)
         union all select 'staff', staff_id, name || '（' || employee_no || '）' from staff where center_id = $1 and staff_id = any($2)
         union all select 'account', account_id, display_name || '（' || username || '）' from account where center_id = $1 and account_id = any($2)
         union all select 'scheme', scheme_id, name from scheme where center_id = $1 and scheme_id = any($2)",
    )
    .bind(center_id.0)
    .bind(ids)
    .fetch_all(conn)
    .await?;
    let mut names = Names::default();
    for (what, id, name) in rows {
        let table = match what.as_str() {
            "department" => &mut names.departments,
            "business_area" => &mut names.business_areas,
            "window" => &mut names.windows,
            "staff" => &mut names.staff,
            "account" => &mut names.accounts,
            _ => &mut names.schemes,
        };
        table.insert(id, name);
    }
    Ok(names)
}
