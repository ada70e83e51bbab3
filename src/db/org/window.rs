//! Windows (窗口) of a center, each with its department and business area.

use crate::db::audit::{self, Actor, Change};
use crate::domain::ids::{CenterId, WindowId};
use serde_json::Value;
use sqlx::PgConnection;

#[derive(Debug, Clone)]
pub struct WindowRow {
    pub window_id: WindowId,
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
    center_id: CenterId,
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
           join department d on d.department_id = w.department_id and d.center_id = w.center_id
           join business_area b on b.business_area_id = w.business_area_id and b.center_id = w.center_id
           where w.center_id = $1
             and ($2::bigint is null or w.department_id = $2)
             and (w.name ilike $3 or w.number ilike $3 or d.name ilike $3)
           order by w.active desc, length(w.number), w.number
           limit $4 offset $5"#,
        center_id.0,
        department_id,
        pattern,
        limit,
        offset
    )
    .fetch_all(&mut *conn)
    .await?;
    let total = sqlx::query_scalar!(
        r#"select count(*) as "n!" from service_window w
           join department d on d.department_id = w.department_id and d.center_id = w.center_id
           where w.center_id = $1
             and ($2::bigint is null or w.department_id = $2)
             and (w.name ilike $3 or w.number ilike $3 or d.name ilike $3)"#,
        center_id.0,
        department_id,
        pattern
    )
    .fetch_one(conn)
    .await?;
    Ok((rows, total))
}

pub async fn window_get(
    conn: &mut PgConnection,
    center_id: CenterId,
    window_id: WindowId,
) -> sqlx::Result<Option<WindowRow>> {
    sqlx::query_as!(
        WindowRow,
        r#"select w.window_id, w.number, w.name, w.department_id, d.name as department_name,
                  w.business_area_id, b.name as business_area_name, w.active,
                  (select count(*) from staff s where s.window_id = w.window_id and s.active) as "staff_count!"
           from service_window w
           join department d on d.department_id = w.department_id and d.center_id = w.center_id
           join business_area b on b.business_area_id = w.business_area_id and b.center_id = w.center_id
           where w.center_id = $1 and w.window_id = $2"#,
        center_id.0,
        window_id.0
    )
    .fetch_optional(conn)
    .await
}

/// Active windows for a select box: (id, "12号窗口 不动产登记"), plus `keep` as in
/// [`catalog_options`].
pub async fn window_options(
    conn: &mut PgConnection,
    center_id: CenterId,
    keep: Option<WindowId>,
) -> sqlx::Result<Vec<(i64, String)>> {
    department_window_options(conn, center_id, None, keep).await
}

/// The active windows of one department (or of the whole center) as select options, with
/// `keep` among them even when deactivated or elsewhere.
pub async fn department_window_options(
    conn: &mut PgConnection,
    center_id: CenterId,
    department_id: Option<i64>,
    keep: Option<WindowId>,
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"select window_id,
                  number || '号窗口 ' || name || case when active then '' else '（已停用）' end as "label!"
           from service_window
           where center_id = $1
             and ((active and ($3::bigint is null or department_id = $3)) or window_id = $2)
           order by length(number), number"#,
        center_id.0,
        keep.map(|v| v.0),
        department_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.window_id, r.label)).collect())
}

async fn window_snapshot(
    conn: &mut PgConnection,
    center_id: CenterId,
    id: WindowId,
) -> sqlx::Result<Option<Value>> {
    sqlx::query_scalar!(
        r#"select to_jsonb(w) as "j!" from service_window w where center_id = $1 and window_id = $2 for update"#,
        center_id.0,
        id.0
    )
    .fetch_optional(conn)
    .await
}

pub async fn window_create(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    input: &WindowInput,
) -> sqlx::Result<WindowId> {
    let id = sqlx::query_scalar!(
        r#"insert into service_window (center_id, number, name, department_id, business_area_id)
         values ($1, $2, $3, $4, $5) returning window_id as "window_id: WindowId""#,
        center_id.0,
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
    center_id: CenterId,
    id: WindowId,
    input: &WindowInput,
) -> sqlx::Result<bool> {
    let Some(before) = window_snapshot(conn, center_id, id).await? else {
        return Ok(false);
    };
    sqlx::query!(
        "update service_window set number = $3, name = $4, department_id = $5,
                business_area_id = $6, updated_at = now()
         where center_id = $1 and window_id = $2",
        center_id.0,
        id.0,
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
    center_id: CenterId,
    id: WindowId,
    active: bool,
) -> sqlx::Result<bool> {
    let Some(before) = window_snapshot(conn, center_id, id).await? else {
        return Ok(false);
    };
    sqlx::query!(
        "update service_window set active = $3, updated_at = now() where center_id = $1 and window_id = $2",
        center_id.0,
        id.0,
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
