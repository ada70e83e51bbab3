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

#[derive(Debug)]
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

/// One page of the center's audit log, newest first, with the total count.
pub async fn list(
    conn: &mut PgConnection,
    center_id: CenterId,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<AuditRow>, i64)> {
    let pattern = format!("%{}%", like_escape(&filter.q));
    let rows = sqlx::query_as!(
        AuditRow,
        r#"select audit_id, actor_name, at, action, entity, entity_id, before, after, ip
           from audit_log
           where center_id = $1
             and ($2 = '' or entity = $2)
             and (actor_name ilike $3 or action ilike $3 or entity_id ilike $3 or action = any($6))
           order by audit_id desc
           limit $4 offset $5"#,
        center_id.0,
        filter.entity,
        pattern,
        limit,
        offset,
        &filter.actions
    )
    .fetch_all(&mut *conn)
    .await?;
    let total = sqlx::query_scalar!(
        r#"select count(*) as "n!" from audit_log
           where center_id = $1 and ($2 = '' or entity = $2)
             and (actor_name ilike $3 or action ilike $3 or entity_id ilike $3 or action = any($4))"#,
        center_id.0,
        filter.entity,
        pattern,
        &filter.actions
    )
    .fetch_one(conn)
    .await?;
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

pub async fn names(conn: &mut PgConnection, center_id: CenterId) -> sqlx::Result<Names> {
    // One round trip: every table's (id, name), tagged with what it names.
    let rows = sqlx::query!(
        r#"select 'department' as "what!", department_id as "id!", name as "name!" from department where center_id = $1
           union all select 'business_area', business_area_id, name from business_area where center_id = $1
           union all select 'window', window_id, number || '号窗口 ' || name from service_window where center_id = $1
           union all select 'staff', staff_id, name || '（' || employee_no || '）' from staff where center_id = $1
           union all select 'account', account_id, display_name || '（' || username || '）' from account where center_id = $1
           union all select 'scheme', scheme_id, name from scheme where center_id = $1"#,
        center_id.0
    )
    .fetch_all(conn)
    .await?;
    let mut names = Names::default();
    for r in rows {
        let table = match r.what.as_str() {
            "department" => &mut names.departments,
            "business_area" => &mut names.business_areas,
            "window" => &mut names.windows,
            "staff" => &mut names.staff,
            "account" => &mut names.accounts,
            _ => &mut names.schemes,
        };
        table.insert(r.id, r.name);
    }
    Ok(names)
}
