//! Vetoes (一票否决) recorded against a window or a staff member in a period.

use super::audit::{self, Actor, Change};
use crate::domain::ids::{CenterId, Entrant, PeriodId, VetoId};
use crate::domain::veto::VetoCode;
use sqlx::PgConnection;

#[derive(Debug, Clone)]
pub struct VetoRow {
    pub veto_id: VetoId,
    pub target: String,
    pub code: VetoCode,
    pub occurred_on: time::Date,
    pub description: String,
    pub evidence: String,
    pub created_by: String,
    pub revoked_reason: Option<String>,
    pub revoked_by: Option<String>,
}

pub async fn vetoes(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
) -> sqlx::Result<Vec<VetoRow>> {
    sqlx::query_as!(
        VetoRow,
        r#"select v.veto_id,
                  coalesce(w.number || '号窗口 ' || w.name, s.name || '（' || s.employee_no || '）') as "target!",
                  v.code as "code: VetoCode", v.occurred_on, v.description, v.evidence, c.display_name as created_by,
                  v.revoked_reason, r.display_name as "revoked_by?"
           from veto v
           left join service_window w on w.window_id = v.window_id and w.center_id = v.center_id
           left join staff s on s.staff_id = v.staff_id and s.center_id = v.center_id
           join account c on c.account_id = v.created_by
           left join account r on r.account_id = v.revoked_by
           where v.center_id = $1 and v.period_id = $2
           order by v.revoked_at is not null, v.occurred_on, v.veto_id"#,
        center_id.0,
        period_id.0
    )
    .fetch_all(conn)
    .await
}

/// What a new veto says.
pub struct VetoInput {
    pub entrant: Entrant,
    pub code: VetoCode,
    pub occurred_on: time::Date,
    pub description: String,
    pub evidence: String,
}

pub async fn veto_create(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period_id: PeriodId,
    input: &VetoInput,
) -> sqlx::Result<i64> {
    let (window_id, staff_id) = input.entrant.columns();
    let id = sqlx::query_scalar!(
        "insert into veto (center_id, period_id, window_id, staff_id, code, occurred_on, description, evidence, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning veto_id",
        center_id.0,
        period_id.0,
        window_id,
        staff_id,
        input.code.as_str(),
        input.occurred_on,
        input.description,
        input.evidence,
        actor.account_id.map(|v| v.0)
    )
    .fetch_one(&mut *conn)
    .await?;
    let after = sqlx::query_scalar!(
        r#"select to_jsonb(v) as "j!" from veto v where veto_id = $1"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "veto.create",
            entity: "veto",
            entity_id: id.to_string(),
            before: None,
            after: Some(after),
        },
    )
    .await?;
    Ok(id)
}

/// Revokes a veto of the period with a reason; false when there is no such unrevoked veto.
pub async fn veto_revoke(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period_id: PeriodId,
    veto_id: i64,
    reason: &str,
) -> sqlx::Result<bool> {
    let before = sqlx::query_scalar!(
        r#"select to_jsonb(v) as "j!" from veto v
           where center_id = $1 and period_id = $2 and veto_id = $3 and revoked_at is null for update"#,
        center_id.0,
        period_id.0,
        veto_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before else {
        return Ok(false);
    };
    sqlx::query!(
        "update veto set revoked_at = now(), revoked_by = $2, revoked_reason = $3 where veto_id = $1",
        veto_id,
        actor.account_id.map(|v| v.0),
        reason
    )
    .execute(&mut *conn)
    .await?;
    let after = sqlx::query_scalar!(
        r#"select to_jsonb(v) as "j!" from veto v where veto_id = $1"#,
        veto_id
    )
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "veto.revoke",
            entity: "veto",
            entity_id: veto_id.to_string(),
            before: Some(before),
            after: Some(after),
        },
    )
    .await?;
    Ok(true)
}
