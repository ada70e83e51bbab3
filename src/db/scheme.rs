//! Evaluation schemes (评选方案): the rules a period copies when it is opened.

use super::audit::{self, Actor, Change};
use crate::domain::ids::{CenterId, SchemeId};
use crate::domain::period::{PeriodKind, default_rules, default_scheme_name};
use serde_json::Value;
use sqlx::PgConnection;

#[derive(Debug, Clone)]
pub struct SchemeRow {
    pub scheme_id: SchemeId,
    pub name: String,
    pub period_kind: PeriodKind,
    pub rules: Value,
    /// The titles the scheme awards (文明服务窗口 / 文明服务标兵, …).
    pub window_title: String,
    pub staff_title: String,
    /// The center runs it: periods of its kind open with it.
    pub active: bool,
}

/// Creates the default schemes (quarterly, monthly, annual) a center does not have yet.
pub async fn ensure_default_schemes(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
) -> sqlx::Result<()> {
    for kind in [PeriodKind::Quarter, PeriodKind::Month, PeriodKind::Year] {
        let exists = sqlx::query_scalar!(
            r#"select exists(select 1 from scheme where center_id = $1 and period_kind = $2) as "e!""#,
            center_id.0,
            kind.as_str()
        )
        .fetch_one(&mut *conn)
        .await?;
        if exists {
            continue;
        }
        let rules = serde_json::to_value(default_rules(kind)).expect("rules serialise");
        let id = sqlx::query_scalar!(
            "insert into scheme (center_id, name, period_kind, rules, window_title, staff_title)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (center_id, name) do nothing returning scheme_id",
            center_id.0,
            default_scheme_name(kind),
            kind.as_str(),
            rules,
            kind.default_titles().0,
            kind.default_titles().1
        )
        .fetch_optional(&mut *conn)
        .await?;
        // Created by a concurrent request in the meantime.
        let Some(id) = id else { continue };
        audit::record(
            conn,
            actor,
            Change {
                action: "scheme.create",
                entity: "scheme",
                entity_id: id.to_string(),
                before: None,
                after: Some(serde_json::json!({"name": default_scheme_name(kind), "period_kind": kind.as_str(), "rules": rules})),
            },
        )
        .await?;
    }
    Ok(())
}

/// The active schemes for periods of `kind`.
pub async fn schemes_for(
    conn: &mut PgConnection,
    center_id: CenterId,
    kind: PeriodKind,
) -> sqlx::Result<Vec<SchemeRow>> {
    sqlx::query_as!(
        SchemeRow,
        r#"select scheme_id, name, period_kind as "period_kind: PeriodKind", rules, window_title, staff_title, active from scheme
         where center_id = $1 and period_kind = $2 and active order by scheme_id"#,
        center_id.0,
        kind.as_str()
    )
    .fetch_all(conn)
    .await
}

/// Every scheme of the center, for the admin.
pub async fn schemes(conn: &mut PgConnection, center_id: CenterId) -> sqlx::Result<Vec<SchemeRow>> {
    sqlx::query_as!(
        SchemeRow,
        r#"select scheme_id, name, period_kind as "period_kind: PeriodKind", rules, window_title, staff_title, active from scheme where center_id = $1 order by scheme_id"#,
        center_id.0
    )
    .fetch_all(conn)
    .await
}

/// Starts or stops using a scheme (the center runs the schemes that are active); `false`
/// when the center has no such scheme or it already is so.
pub async fn set_active(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    scheme_id: SchemeId,
    active: bool,
) -> sqlx::Result<bool> {
    let changed = sqlx::query_scalar!(
        "update scheme set active = $3, updated_at = now()
         where center_id = $1 and scheme_id = $2 and active <> $3 returning name",
        center_id.0,
        scheme_id.0,
        active
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(name) = changed else {
        return Ok(false);
    };
    audit::record(
        conn,
        actor,
        Change {
            action: if active {
                "scheme.enable"
            } else {
                "scheme.disable"
            },
            entity: "scheme",
            entity_id: scheme_id.to_string(),
            before: Some(serde_json::json!({ "name": name, "active": !active })),
            after: Some(serde_json::json!({ "name": name, "active": active })),
        },
    )
    .await?;
    Ok(true)
}

/// Replaces a scheme's rules (checked by the caller with the scoring module). Periods
/// already opened keep their copy.
pub async fn scheme_update(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    scheme_id: SchemeId,
    rules: &Value,
    titles: (&str, &str),
) -> sqlx::Result<bool> {
    let before = sqlx::query!(
        "select rules, window_title, staff_title from scheme where center_id = $1 and scheme_id = $2 for update",
        center_id.0,
        scheme_id.0
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before else {
        return Ok(false);
    };
    sqlx::query!(
        "update scheme set rules = $3, window_title = $4, staff_title = $5, updated_at = now()
         where center_id = $1 and scheme_id = $2",
        center_id.0,
        scheme_id.0,
        rules,
        titles.0,
        titles.1
    )
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "scheme.update",
            entity: "scheme",
            entity_id: scheme_id.to_string(),
            before: Some(serde_json::json!({
                "rules": before.rules,
                "window_title": before.window_title,
                "staff_title": before.staff_title,
            })),
            after: Some(serde_json::json!({
                "rules": rules,
                "window_title": titles.0,
                "staff_title": titles.1,
            })),
        },
    )
    .await?;
    Ok(true)
}
