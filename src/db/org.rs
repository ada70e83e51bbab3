//! The organisation of a center: departments (进驻单位), business areas (业务范围), windows
//! and staff. Rows are deactivated, never deleted, because scores and results refer to them.

use serde_json::Value;
use sqlx::{FromRow, PgConnection};

use super::audit::{self, Actor, Change};

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
    center_id: i64,
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
    center_id: i64,
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
    center_id: i64,
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
    center_id: i64,
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
    center_id: i64,
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
    center_id: i64,
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
    center_id: i64,
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

// ---------------------------------------------------------------------------------------
// Windows

#[derive(Debug, Clone)]
pub struct WindowRow {
    pub window_id: i64,
    pub number: String,
    pub name: String,
    pub department_id: i64,
    pub department_name: String,
    pub business_area_id: i64,
    pub business_area_name: String,
    pub active: bool,
    pub staff_count: i64,
}

#[derive(Debug, Clone)]
pub struct WindowInput {
    pub number: String,
    pub name: String,
    pub department_id: i64,
    pub business_area_id: i64,
}

pub async fn window_list(
    conn: &mut PgConnection,
    center_id: i64,
    q: &str,
    department_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<WindowRow>, i64)> {
    let pattern = format!("%{}%", audit::like_escape(q));
    let rows = sqlx::query_as!(
        WindowRow,
        r#"select w.window_id, w.number, w.name, w.department_id, d.name as department_name,
                  w.business_area_id, b.name as business_area_name, w.active,
                  (select count(*) from staff s where s.window_id = w.window_id and s.active) as "staff_count!"
           from service_window w
           join department d on d.department_id = w.department_id
           join business_area b on b.business_area_id = w.business_area_id
           where w.center_id = $1
             and ($2::bigint is null or w.department_id = $2)
             and (w.name ilike $3 or w.number ilike $3 or d.name ilike $3)
           order by w.active desc, length(w.number), w.number
           limit $4 offset $5"#,
        center_id,
        department_id,
        pattern,
        limit,
        offset
    )
    .fetch_all(&mut *conn)
    .await?;
    let total = sqlx::query_scalar!(
        r#"select count(*) as "n!" from service_window w
           join department d on d.department_id = w.department_id
           where w.center_id = $1
             and ($2::bigint is null or w.department_id = $2)
             and (w.name ilike $3 or w.number ilike $3 or d.name ilike $3)"#,
        center_id,
        department_id,
        pattern
    )
    .fetch_one(conn)
    .await?;
    Ok((rows, total))
}

pub async fn window_get(
    conn: &mut PgConnection,
    center_id: i64,
    window_id: i64,
) -> sqlx::Result<Option<WindowRow>> {
    sqlx::query_as!(
        WindowRow,
        r#"select w.window_id, w.number, w.name, w.department_id, d.name as department_name,
                  w.business_area_id, b.name as business_area_name, w.active,
                  (select count(*) from staff s where s.window_id = w.window_id and s.active) as "staff_count!"
           from service_window w
           join department d on d.department_id = w.department_id
           join business_area b on b.business_area_id = w.business_area_id
           where w.center_id = $1 and w.window_id = $2"#,
        center_id,
        window_id
    )
    .fetch_optional(conn)
    .await
}

/// Active windows for a select box: (id, "12号窗口 不动产登记"), plus `keep` as in
/// [`catalog_options`].
pub async fn window_options(
    conn: &mut PgConnection,
    center_id: i64,
    keep: Option<i64>,
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"select window_id,
                  number || '号窗口 ' || name || case when active then '' else '（已停用）' end as "label!"
           from service_window
           where center_id = $1 and (active or window_id = $2) order by length(number), number"#,
        center_id,
        keep
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.window_id, r.label)).collect())
}

async fn window_snapshot(
    conn: &mut PgConnection,
    center_id: i64,
    id: i64,
) -> sqlx::Result<Option<Value>> {
    sqlx::query_scalar!(
        r#"select to_jsonb(w) as "j!" from service_window w where center_id = $1 and window_id = $2 for update"#,
        center_id,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn window_create(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    input: &WindowInput,
) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        "insert into service_window (center_id, number, name, department_id, business_area_id)
         values ($1, $2, $3, $4, $5) returning window_id",
        center_id,
        input.number,
        input.name,
        input.department_id,
        input.business_area_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let after = window_snapshot(conn, center_id, id).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "service_window.create",
            entity: "service_window",
            entity_id: id.to_string(),
            before: None,
            after,
        },
    )
    .await?;
    Ok(id)
}

pub async fn window_update(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    id: i64,
    input: &WindowInput,
) -> sqlx::Result<bool> {
    let Some(before) = window_snapshot(conn, center_id, id).await? else {
        return Ok(false);
    };
    sqlx::query!(
        "update service_window set number = $3, name = $4, department_id = $5,
                business_area_id = $6, updated_at = now()
         where center_id = $1 and window_id = $2",
        center_id,
        id,
        input.number,
        input.name,
        input.department_id,
        input.business_area_id
    )
    .execute(&mut *conn)
    .await?;
    let after = window_snapshot(conn, center_id, id).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "service_window.update",
            entity: "service_window",
            entity_id: id.to_string(),
            before: Some(before),
            after,
        },
    )
    .await?;
    Ok(true)
}

pub async fn window_set_active(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    id: i64,
    active: bool,
) -> sqlx::Result<bool> {
    let Some(before) = window_snapshot(conn, center_id, id).await? else {
        return Ok(false);
    };
    sqlx::query!(
        "update service_window set active = $3, updated_at = now() where center_id = $1 and window_id = $2",
        center_id,
        id,
        active
    )
    .execute(&mut *conn)
    .await?;
    let after = window_snapshot(conn, center_id, id).await?;
    let action = if active {
        "service_window.enable"
    } else {
        "service_window.disable"
    };
    audit::record(
        conn,
        actor,
        Change {
            action,
            entity: "service_window",
            entity_id: id.to_string(),
            before: Some(before),
            after,
        },
    )
    .await?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// Staff

#[derive(Debug, Clone)]
pub struct StaffRow {
    pub staff_id: i64,
    pub name: String,
    pub employee_no: String,
    pub window_id: i64,
    pub window_label: String,
    pub department_name: String,
    pub position: String,
    pub active: bool,
    pub has_photo: bool,
}

#[derive(Debug, Clone)]
pub struct StaffInput {
    pub name: String,
    pub employee_no: String,
    pub window_id: i64,
    pub position: String,
}

pub async fn staff_list(
    conn: &mut PgConnection,
    center_id: i64,
    q: &str,
    window_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<StaffRow>, i64)> {
    let pattern = format!("%{}%", audit::like_escape(q));
    let rows = sqlx::query_as!(
        StaffRow,
        r#"select s.staff_id, s.name, s.employee_no, s.window_id,
                  w.number || '号窗口 ' || w.name as "window_label!", d.name as department_name,
                  s.position, s.active, s.photo is not null as "has_photo!"
           from staff s
           join service_window w on w.window_id = s.window_id
           join department d on d.department_id = w.department_id
           where s.center_id = $1
             and ($2::bigint is null or s.window_id = $2)
             and (s.name ilike $3 or s.employee_no ilike $3 or s.position ilike $3)
           order by s.active desc, length(w.number), w.number, s.employee_no
           limit $4 offset $5"#,
        center_id,
        window_id,
        pattern,
        limit,
        offset
    )
    .fetch_all(&mut *conn)
    .await?;
    let total = sqlx::query_scalar!(
        r#"select count(*) as "n!" from staff s
           where s.center_id = $1
             and ($2::bigint is null or s.window_id = $2)
             and (s.name ilike $3 or s.employee_no ilike $3 or s.position ilike $3)"#,
        center_id,
        window_id,
        pattern
    )
    .fetch_one(conn)
    .await?;
    Ok((rows, total))
}

pub async fn staff_get(
    conn: &mut PgConnection,
    center_id: i64,
    id: i64,
) -> sqlx::Result<Option<StaffRow>> {
    sqlx::query_as!(
        StaffRow,
        r#"select s.staff_id, s.name, s.employee_no, s.window_id,
                  w.number || '号窗口 ' || w.name as "window_label!", d.name as department_name,
                  s.position, s.active, s.photo is not null as "has_photo!"
           from staff s
           join service_window w on w.window_id = s.window_id
           join department d on d.department_id = w.department_id
           where s.center_id = $1 and s.staff_id = $2"#,
        center_id,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Active staff for a select box: (id, "王芳（A0123）"), plus `keep` as in
/// [`catalog_options`].
pub async fn staff_options(
    conn: &mut PgConnection,
    center_id: i64,
    keep: Option<i64>,
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"select staff_id,
                  name || '（' || employee_no || '）' || case when active then '' else '（已停用）' end as "label!"
           from staff
           where center_id = $1 and (active or staff_id = $2) order by employee_no"#,
        center_id,
        keep
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.staff_id, r.label)).collect())
}

async fn staff_snapshot(
    conn: &mut PgConnection,
    center_id: i64,
    id: i64,
) -> sqlx::Result<Option<Value>> {
    sqlx::query_scalar!(
        r#"select to_jsonb(s) - 'photo' as "j!" from staff s where center_id = $1 and staff_id = $2 for update"#,
        center_id,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn staff_create(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    input: &StaffInput,
) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        "insert into staff (center_id, name, employee_no, window_id, position)
         values ($1, $2, $3, $4, $5) returning staff_id",
        center_id,
        input.name,
        input.employee_no,
        input.window_id,
        input.position
    )
    .fetch_one(&mut *conn)
    .await?;
    let after = staff_snapshot(conn, center_id, id).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "staff.create",
            entity: "staff",
            entity_id: id.to_string(),
            before: None,
            after,
        },
    )
    .await?;
    Ok(id)
}

pub async fn staff_update(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    id: i64,
    input: &StaffInput,
) -> sqlx::Result<bool> {
    let Some(before) = staff_snapshot(conn, center_id, id).await? else {
        return Ok(false);
    };
    sqlx::query!(
        "update staff set name = $3, employee_no = $4, window_id = $5, position = $6, updated_at = now()
         where center_id = $1 and staff_id = $2",
        center_id,
        id,
        input.name,
        input.employee_no,
        input.window_id,
        input.position
    )
    .execute(&mut *conn)
    .await?;
    let after = staff_snapshot(conn, center_id, id).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "staff.update",
            entity: "staff",
            entity_id: id.to_string(),
            before: Some(before),
            after,
        },
    )
    .await?;
    Ok(true)
}

pub async fn staff_set_active(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    id: i64,
    active: bool,
) -> sqlx::Result<bool> {
    let Some(before) = staff_snapshot(conn, center_id, id).await? else {
        return Ok(false);
    };
    sqlx::query!(
        "update staff set active = $3, updated_at = now() where center_id = $1 and staff_id = $2",
        center_id,
        id,
        active
    )
    .execute(&mut *conn)
    .await?;
    let after = staff_snapshot(conn, center_id, id).await?;
    let action = if active {
        "staff.enable"
    } else {
        "staff.disable"
    };
    audit::record(
        conn,
        actor,
        Change {
            action,
            entity: "staff",
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

pub async fn counts(conn: &mut PgConnection, center_id: i64) -> sqlx::Result<CenterCounts> {
    sqlx::query_as!(
        CenterCounts,
        r#"select
             (select count(*) from department where center_id = $1 and active) as "departments!",
             (select count(*) from business_area where center_id = $1 and active) as "business_areas!",
             (select count(*) from service_window where center_id = $1 and active) as "windows!",
             (select count(*) from staff where center_id = $1 and active) as "staff!",
             (select count(*) from account where center_id = $1 and active) as "accounts!""#,
        center_id
    )
    .fetch_one(conn)
    .await
}
