//! The organisation of a center: departments (进驻单位), business areas (业务范围), windows
//! and staff. Rows are deactivated, never deleted, because scores and results refer to them.

use crate::domain::ids::CenterId;
use serde_json::Value;
use sqlx::{FromRow, PgConnection};

use super::audit::{self, Actor, Change};

pub mod roster;
mod staff;
mod window;

pub use roster::Roster;
pub use staff::*;
pub use window::*;

/// Departments and business areas have the same shape (a name and an order), so one set of
/// functions serves both; the table name is a constant, never user input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Catalog {
    Department,
    BusinessArea,
}

impl Catalog {
    pub fn table(self) -> &'static str {
        match self {
            Catalog::Department => "department",
            Catalog::BusinessArea => "business_area",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Catalog::Department => "department_id",
            Catalog::BusinessArea => "business_area_id",
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct CatalogRow {
    pub id: i64,
    pub name: String,
    pub sort_order: i32,
    pub active: bool,
    /// Windows that refer to this row.
    pub window_count: i64,
}

#[derive(Debug, Clone)]
pub struct CatalogInput {
    pub name: String,
    pub sort_order: i32,
}

pub async fn catalog_list(
    conn: &mut PgConnection,
    catalog: Catalog,
    center_id: CenterId,
    q: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<CatalogRow>, i64)> {
    let (table, key) = (catalog.table(), catalog.key());
    let pattern = format!("%{}%", audit::like_escape(q));
    let rows = sqlx::query_as::<_, CatalogRow>(&format!(
        "select t.{key} as id, t.name, t.sort_order, t.active,
                (select count(*) from service_window w where w.{key} = t.{key}) as window_count
         from {table} t
         where t.center_id = $1 and t.name ilike $2
         order by t.active desc, t.sort_order, t.name
         limit $3 offset $4"
    ))
    .bind(center_id)
    .bind(&pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!(
        "select count(*) from {table} where center_id = $1 and name ilike $2"
    ))
    .bind(center_id)
    .bind(&pattern)
    .fetch_one(conn)
    .await?;
    Ok((rows, total))
}

pub async fn catalog_get(
    conn: &mut PgConnection,
    catalog: Catalog,
    center_id: CenterId,
    id: i64,
) -> sqlx::Result<Option<CatalogRow>> {
    let (table, key) = (catalog.table(), catalog.key());
    sqlx::query_as::<_, CatalogRow>(&format!(
        "select t.{key} as id, t.name, t.sort_order, t.active,
                (select count(*) from service_window w where w.{key} = t.{key}) as window_count
         from {table} t where t.center_id = $1 and t.{key} = $2"
    ))
    .bind(center_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Active rows for a select box, in display order, plus `keep` (the row already chosen)
/// even when it has been deactivated, so that the form that shows it can still be saved.
pub async fn catalog_options(
    conn: &mut PgConnection,
    catalog: Catalog,
    center_id: CenterId,
    keep: Option<i64>,
) -> sqlx::Result<Vec<(i64, String)>> {
    let (table, key) = (catalog.table(), catalog.key());
    sqlx::query_as(&format!(
        "select {key}, case when active then name else name || '（已停用）' end from {table}
         where center_id = $1 and (active or {key} = $2) order by sort_order, name"
    ))
    .bind(center_id)
    .bind(keep)
    .fetch_all(conn)
    .await
}

async fn catalog_snapshot(
    conn: &mut PgConnection,
    catalog: Catalog,
    center_id: CenterId,
    id: i64,
) -> sqlx::Result<Option<Value>> {
    let (table, key) = (catalog.table(), catalog.key());
    sqlx::query_scalar(&format!(
        "select to_jsonb(t) from {table} t where center_id = $1 and {key} = $2 for update"
    ))
    .bind(center_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn catalog_create(
    conn: &mut PgConnection,
    catalog: Catalog,
    actor: &Actor,
    center_id: CenterId,
    input: &CatalogInput,
) -> sqlx::Result<i64> {
    let (table, key) = (catalog.table(), catalog.key());
    let id: i64 = sqlx::query_scalar(&format!(
        "insert into {table} (center_id, name, sort_order) values ($1, $2, $3) returning {key}"
    ))
    .bind(center_id)
    .bind(&input.name)
    .bind(input.sort_order)
    .fetch_one(&mut *conn)
    .await?;
    let after = catalog_snapshot(conn, catalog, center_id, id).await?;
    let action = format!("{table}.create");
    audit::record(
        conn,
        actor,
        Change {
            action: &action,
            entity: table,
            entity_id: id.to_string(),
            before: None,
            after,
        },
    )
    .await?;
    Ok(id)
}

/// Changes the name and order; false when the row is not in this center.
pub async fn catalog_update(
    conn: &mut PgConnection,
    catalog: Catalog,
    actor: &Actor,
    center_id: CenterId,
    id: i64,
    input: &CatalogInput,
) -> sqlx::Result<bool> {
    let (table, key) = (catalog.table(), catalog.key());
    let Some(before) = catalog_snapshot(conn, catalog, center_id, id).await? else {
        return Ok(false);
    };
    sqlx::query(&format!(
        "update {table} set name = $3, sort_order = $4, updated_at = now()
         where center_id = $1 and {key} = $2"
    ))
    .bind(center_id)
    .bind(id)
    .bind(&input.name)
    .bind(input.sort_order)
    .execute(&mut *conn)
    .await?;
    let after = catalog_snapshot(conn, catalog, center_id, id).await?;
    let action = format!("{table}.update");
    audit::record(
        conn,
        actor,
        Change {
            action: &action,
            entity: table,
            entity_id: id.to_string(),
            before: Some(before),
            after,
        },
    )
    .await?;
    Ok(true)
}

pub async fn catalog_set_active(
    conn: &mut PgConnection,
    catalog: Catalog,
    actor: &Actor,
    center_id: CenterId,
    id: i64,
    active: bool,
) -> sqlx::Result<bool> {
    let (table, key) = (catalog.table(), catalog.key());
    let Some(before) = catalog_snapshot(conn, catalog, center_id, id).await? else {
        return Ok(false);
    };
    sqlx::query(&format!(
        "update {table} set active = $3, updated_at = now() where center_id = $1 and {key} = $2"
    ))
    .bind(center_id)
    .bind(id)
    .bind(active)
    .execute(&mut *conn)
    .await?;
    let after = catalog_snapshot(conn, catalog, center_id, id).await?;
    let action = format!("{table}.{}", if active { "enable" } else { "disable" });
    audit::record(
        conn,
        actor,
        Change {
            action: &action,
            entity: table,
            entity_id: id.to_string(),
            before: Some(before),
            after,
        },
    )
    .await?;
    Ok(true)
}

/// Counts for the admin's home page.
pub struct CenterCounts {
    pub departments: i64,
    pub business_areas: i64,
    pub windows: i64,
    pub staff: i64,
    pub accounts: i64,
}

/// The departments, windows and staff are counted from the center's `roster` (a large
/// center's 6,000 staff counted for every visit of the admin's home were most of its time);
/// business areas and accounts, which the roster does not hold, here.
pub async fn counts(
    conn: &mut PgConnection,
    center_id: CenterId,
    roster: &Roster,
) -> sqlx::Result<CenterCounts> {
    let (business_areas, accounts): (i64, i64) = sqlx::query_as(
        "select (select count(*) from business_area where center_id = $1 and active),
                (select count(*) from account where center_id = $1 and active)",
    )
    .bind(center_id.0)
    .fetch_one(conn)
    .await?;
    let [windows, staff] = roster.entrant_totals();
    Ok(CenterCounts {
        departments: roster.departments.iter().filter(|d| d.active).count() as i64,
        business_areas,
        windows,
        staff,
        accounts,
    })
}
