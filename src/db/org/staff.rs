//! Staff (工作人员) of a center, each with a window.

use crate::db::audit::{self, Actor, Change};
use crate::domain::ids::{CenterId, StaffId, WindowId};
use serde_json::Value;
use sqlx::PgConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRow {
    pub staff_id: StaffId,
    pub name: String,
    pub employee_no: String,
    pub window_id: WindowId,
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
    pub window_id: WindowId,
    pub position: String,
}

pub async fn staff_list(
    conn: &mut PgConnection,
    center_id: CenterId,
    q: &str,
    window_id: Option<WindowId>,
    limit: i64,
    offset: i64,
    known_total: Option<i64>,
) -> sqlx::Result<(Vec<StaffRow>, i64)> {
    let pattern = format!("%{}%", audit::like_escape(q));
    // Each filter is written only when it applies (a province's largest center has 6,000
    // staff: three `ilike` on each of them for an empty search was most of the page).
    let filters = |b: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>| {
        b.push(" where s.center_id = ").push_bind(center_id.0);
        if let Some(window) = window_id {
            b.push(" and s.window_id = ").push_bind(window.0);
        }
        if !q.is_empty() {
            b.push(" and (s.name ilike ")
                .push_bind(pattern.clone())
                .push(" or s.employee_no ilike ")
                .push_bind(pattern.clone())
                .push(" or s.position ilike ")
                .push_bind(pattern.clone())
                .push(")");
        }
    };
    // The joins name the center: without it the planner reads every window of the province
    // to find one center's. The active staff and the others are each read in window order
    // and only as far as the page needs: the active ones walk the windows by the index
    // (center, number) of migration 0022 instead of sorting the center's 6,000 staff.
    let branch = |b: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, active: bool| {
        b.push(
            "(select s.staff_id, s.name, s.employee_no, s.window_id,
                    w.number || '号窗口 ' || w.name as window_label, d.name as department_name,
                    s.position, s.active, s.photo is not null as has_photo,
                    length(w.number) as o1, w.number as o2, s.employee_no as o3
             from service_window w
             join staff s on s.window_id = w.window_id and s.center_id = w.center_id
             join department d on d.department_id = w.department_id and d.center_id = w.center_id",
        );
        filters(b);
        b.push(if active {
            " and s.active"
        } else {
            " and not s.active"
        });
        b.push(" and w.center_id = ").push_bind(center_id.0);
        b.push(" order by length(w.number), w.number, s.employee_no limit ")
            .push_bind(limit.saturating_add(offset.max(0)))
            .push(")");
    };
    let mut b = sqlx::QueryBuilder::new("select * from (");
    branch(&mut b, true);
    b.push(" union all ");
    branch(&mut b, false);
    b.push(") p order by p.active desc, p.o1, p.o2, p.o3 limit ")
        .push_bind(limit)
        .push(" offset ")
        .push_bind(offset);
    let rows: Vec<StaffRow> = b.build_query_as().fetch_all(&mut *conn).await?;
    let total = match known_total {
        Some(n) => n,
        None => {
            let mut b = sqlx::QueryBuilder::new("select count(*) from staff s");
            filters(&mut b);
            b.build_query_scalar().fetch_one(conn).await?
        }
    };
    Ok((rows, total))
}

/// A page of the active staff (all, or a window's) without a search, from the center's
/// roster in its order (the list's order: the active first, by window, then employee
/// number), with only whether each has a photo read: the list's statement, planned anew for
/// every request, was most of the page's time in PostgreSQL. `None` when the page reaches
/// past the active staff into the inactive ones, which the roster does not hold.
pub async fn staff_page_of_roster(
    conn: &mut PgConnection,
    center_id: CenterId,
    roster: &super::Roster,
    window_id: Option<WindowId>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Option<Vec<StaffRow>>> {
    let active = roster.staff_of(None, window_id).count() as i64;
    let all = roster.all_staff(window_id);
    if offset.saturating_add(limit) > active && all > active {
        return Ok(None);
    }
    let page: Vec<&super::roster::RosterStaff> = roster
        .staff_of(None, window_id)
        .skip(offset.max(0) as usize)
        .take(limit.max(0) as usize)
        .collect();
    let ids: Vec<i64> = page.iter().map(|s| s.staff_id).collect();
    let with_photo: std::collections::HashSet<i64> = sqlx::query_scalar(
        "select staff_id from staff where center_id = $1 and staff_id = any($2) and photo is not null",
    )
    .bind(center_id.0)
    .bind(&ids)
    .fetch_all(conn)
    .await?
    .into_iter()
    .collect();
    Ok(Some(
        page.into_iter()
            .map(|s| StaffRow {
                staff_id: StaffId(s.staff_id),
                name: s.name.clone(),
                employee_no: s.employee_no.clone(),
                window_id: WindowId(s.window_id),
                window_label: s.detail.clone(),
                department_name: roster
                    .department_name(s.department_id)
                    .unwrap_or_default()
                    .to_string(),
                position: s.position.clone(),
                active: true,
                has_photo: with_photo.contains(&s.staff_id),
            })
            .collect(),
    ))
}

pub async fn staff_get(
    conn: &mut PgConnection,
    center_id: CenterId,
    id: StaffId,
) -> sqlx::Result<Option<StaffRow>> {
    sqlx::query_as!(
        StaffRow,
        r#"select s.staff_id, s.name, s.employee_no, s.window_id,
                  w.number || '号窗口 ' || w.name as "window_label!", d.name as department_name,
                  s.position, s.active, s.photo is not null as "has_photo!"
           from staff s
           join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
           join department d on d.department_id = w.department_id and d.center_id = w.center_id
           where s.center_id = $1 and s.staff_id = $2"#,
        center_id.0,
        id.0
    )
    .fetch_optional(conn)
    .await
}

/// Active staff for a select box: (id, "王芳（A0123）"), plus `keep` as in
/// [`catalog_options`].
pub async fn staff_options(
    conn: &mut PgConnection,
    center_id: CenterId,
    keep: Option<StaffId>,
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"select staff_id,
                  name || '（' || employee_no || '）' || case when active then '' else '（已停用）' end as "label!"
           from staff
           where center_id = $1 and (active or staff_id = $2) order by employee_no"#,
        center_id.0,
        keep.map(|v| v.0)
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.staff_id, r.label)).collect())
}

/// The active staff of a window: (id, name with employee number), by employee number.
pub async fn window_staff(
    conn: &mut PgConnection,
    center_id: CenterId,
    window_id: WindowId,
) -> sqlx::Result<Vec<(StaffId, String)>> {
    Ok(sqlx::query!(
        r#"select staff_id, name || '（' || employee_no || '）' as "label!" from staff
           where center_id = $1 and window_id = $2 and active order by employee_no"#,
        center_id.0,
        window_id.0
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (StaffId(r.staff_id), r.label))
    .collect())
}

async fn staff_snapshot(
    conn: &mut PgConnection,
    center_id: CenterId,
    id: StaffId,
) -> sqlx::Result<Option<Value>> {
    sqlx::query_scalar!(
        r#"select to_jsonb(s) - 'photo' as "j!" from staff s where center_id = $1 and staff_id = $2 for update"#,
        center_id.0,
        id.0
    )
    .fetch_optional(conn)
    .await
}

pub async fn staff_create(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    input: &StaffInput,
) -> sqlx::Result<StaffId> {
    let id = sqlx::query_scalar!(
        r#"insert into staff (center_id, name, employee_no, window_id, position)
         values ($1, $2, $3, $4, $5) returning staff_id as "staff_id: StaffId""#,
        center_id.0,
        input.name,
        input.employee_no,
        input.window_id.0,
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
    center_id: CenterId,
    id: StaffId,
    input: &StaffInput,
) -> sqlx::Result<bool> {
    let Some(before) = staff_snapshot(conn, center_id, id).await? else {
        return Ok(false);
    };
    sqlx::query!(
        "update staff set name = $3, employee_no = $4, window_id = $5, position = $6, updated_at = now()
         where center_id = $1 and staff_id = $2",
        center_id.0,
        id.0,
        input.name,
        input.employee_no,
        input.window_id.0,
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
    center_id: CenterId,
    id: StaffId,
    active: bool,
) -> sqlx::Result<bool> {
    let Some(before) = staff_snapshot(conn, center_id, id).await? else {
        return Ok(false);
    };
    sqlx::query!(
        "update staff set active = $3, updated_at = now() where center_id = $1 and staff_id = $2",
        center_id.0,
        id.0,
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

/// The day a person started at their window (到岗日期), when recorded.
pub async fn staff_posted_on(
    conn: &mut PgConnection,
    center_id: CenterId,
    id: StaffId,
) -> sqlx::Result<Option<time::Date>> {
    let d: Option<Option<time::Date>> =
        sqlx::query_scalar("select posted_on from staff where center_id = $1 and staff_id = $2")
            .bind(center_id)
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(d.flatten())
}

/// Records the day a person started at their window, audited when it changes.
pub async fn set_staff_posted_on(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    id: StaffId,
    posted_on: Option<time::Date>,
) -> sqlx::Result<()> {
    let before = staff_posted_on(conn, center_id, id).await?;
    if before == posted_on {
        return Ok(());
    }
    sqlx::query("update staff set posted_on = $3, updated_at = now() where center_id = $1 and staff_id = $2")
        .bind(center_id)
        .bind(id)
        .bind(posted_on)
        .execute(&mut *conn)
        .await?;
    let day = |d: Option<time::Date>| serde_json::json!(d.map(|d| d.to_string()));
    audit::record(
        conn,
        actor,
        Change {
            action: "staff.update",
            entity: "staff",
            entity_id: id.to_string(),
            before: Some(serde_json::json!({ "posted_on": day(before) })),
            after: Some(serde_json::json!({ "posted_on": day(posted_on) })),
        },
    )
    .await
}
