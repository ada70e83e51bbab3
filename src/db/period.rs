//! Schemes and periods: opening a period copies its scheme's rules onto it; phases move
//! under the period row's lock, each move audited.

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::audit::{self, Actor, Change};
use crate::domain::period::{PeriodKind, default_rules, default_scheme_name};

#[derive(Debug, Clone)]
pub struct SchemeRow {
    pub scheme_id: i64,
    pub name: String,
    pub period_kind: String,
    pub rules: Value,
}

/// Creates the default schemes (quarterly, monthly, annual) a center does not have yet.
pub async fn ensure_default_schemes(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
) -> sqlx::Result<()> {
    for kind in [PeriodKind::Quarter, PeriodKind::Month, PeriodKind::Year] {
        let exists = sqlx::query_scalar!(
            r#"select exists(select 1 from scheme where center_id = $1 and period_kind = $2) as "e!""#,
            center_id,
            kind.as_str()
        )
        .fetch_one(&mut *conn)
        .await?;
        if exists {
            continue;
        }
        let rules = serde_json::to_value(default_rules(kind)).expect("rules serialise");
        let id = sqlx::query_scalar!(
            "insert into scheme (center_id, name, period_kind, rules) values ($1, $2, $3, $4)
             on conflict (center_id, name) do nothing returning scheme_id",
            center_id,
            default_scheme_name(kind),
            kind.as_str(),
            rules
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
    center_id: i64,
    kind: PeriodKind,
) -> sqlx::Result<Vec<SchemeRow>> {
    sqlx::query_as!(
        SchemeRow,
        "select scheme_id, name, period_kind, rules from scheme
         where center_id = $1 and period_kind = $2 and active order by scheme_id",
        center_id,
        kind.as_str()
    )
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone)]
pub struct PeriodRow {
    pub period_id: i64,
    pub code: String,
    pub scheme_name: String,
    pub phase: String,
    pub months: Vec<String>,
    pub rules: Value,
    pub created_at: OffsetDateTime,
    pub published_at: Option<OffsetDateTime>,
}

pub async fn periods(conn: &mut PgConnection, center_id: i64) -> sqlx::Result<Vec<PeriodRow>> {
    sqlx::query_as!(
        PeriodRow,
        "select p.period_id, p.code, s.name as scheme_name, p.phase, p.months, p.rules, p.created_at, p.published_at
         from period p join scheme s on s.scheme_id = p.scheme_id
         where p.center_id = $1 order by p.code desc",
        center_id
    )
    .fetch_all(conn)
    .await
}

pub async fn period_by_code(
    conn: &mut PgConnection,
    center_id: i64,
    code: &str,
) -> sqlx::Result<Option<PeriodRow>> {
    sqlx::query_as!(
        PeriodRow,
        "select p.period_id, p.code, s.name as scheme_name, p.phase, p.months, p.rules, p.created_at, p.published_at
         from period p join scheme s on s.scheme_id = p.scheme_id
         where p.center_id = $1 and p.code = $2",
        center_id,
        code
    )
    .fetch_optional(conn)
    .await
}

/// Opens a period with a copy of its scheme's rules. `None` when the scheme is not this
/// center's active scheme of the right kind.
pub async fn period_create(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    code: &str,
    months: &[String],
    kind: PeriodKind,
    scheme_id: i64,
) -> sqlx::Result<Option<i64>> {
    let id = sqlx::query_scalar!(
        "insert into period (center_id, code, scheme_id, rules, months)
         select $1, $2, s.scheme_id, s.rules, $4 from scheme s
         where s.center_id = $1 and s.scheme_id = $3 and s.active and s.period_kind = $5
         returning period_id",
        center_id,
        code,
        scheme_id,
        months,
        kind.as_str()
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = id {
        let after = sqlx::query_scalar!(
            r#"select to_jsonb(p) - 'candidates' - 'results' as "j!" from period p where period_id = $1"#,
            id
        )
        .fetch_one(&mut *conn)
        .await?;
        audit::record(
            conn,
            actor,
            Change {
                action: "period.create",
                entity: "period",
                entity_id: code.to_string(),
                before: None,
                after: Some(after),
            },
        )
        .await?;
    }
    Ok(id)
}

/// The period's phase, with its row locked for the rest of the transaction (phase moves and
/// every phase-checked write take this lock, so they cannot interleave).
pub async fn lock_phase(
    conn: &mut PgConnection,
    center_id: i64,
    period_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "select phase from period where center_id = $1 and period_id = $2 for update",
        center_id,
        period_id
    )
    .fetch_optional(conn)
    .await
}

/// Moves a period from `from` to `to` (the caller holds the row lock and checked the move).
pub async fn set_phase(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    period_id: i64,
    code: &str,
    from: &str,
    to: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update period set phase = $3, updated_at = now(),
                published_at = case when $3 = 'published' then now() else published_at end
         where center_id = $1 and period_id = $2",
        center_id,
        period_id,
        to
    )
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "period.phase",
            entity: "period",
            entity_id: code.to_string(),
            before: Some(serde_json::json!({"phase": from})),
            after: Some(serde_json::json!({"phase": to})),
        },
    )
    .await
}

/// The periods using `month` whose candidates are confirmed (their scores are locked), with
/// a share lock so that no phase moves while scores are written.
pub async fn locking_periods(
    conn: &mut PgConnection,
    center_id: i64,
    month: &str,
) -> sqlx::Result<Vec<String>> {
    let rows = sqlx::query!(
        "select code, phase from period where center_id = $1 and $2 = any(months) order by code for share",
        center_id,
        month
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            crate::domain::period::Phase::parse(&r.phase).is_some_and(|p| p.scores_locked())
        })
        .map(|r| r.code)
        .collect())
}

/// What is still missing before candidates can be computed: entrants without a score for
/// each month, staff without duty days.
pub struct Missing {
    pub windows_without_score: Vec<(String, i64)>,
    pub staff_without_score: Vec<(String, i64)>,
    pub staff_without_duty_days: i64,
}

pub async fn missing(
    conn: &mut PgConnection,
    center_id: i64,
    period_id: i64,
    months: &[String],
) -> sqlx::Result<Missing> {
    let mut windows_without_score = Vec::new();
    let mut staff_without_score = Vec::new();
    for month in months {
        let w = sqlx::query_scalar!(
            r#"select count(*) as "n!" from service_window w where w.center_id = $1 and w.active
               and not exists (select 1 from monthly_score m where m.window_id = w.window_id and m.month = $2)"#,
            center_id,
            month
        )
        .fetch_one(&mut *conn)
        .await?;
        let s = sqlx::query_scalar!(
            r#"select count(*) as "n!" from staff s where s.center_id = $1 and s.active
               and not exists (select 1 from monthly_score m where m.staff_id = s.staff_id and m.month = $2)"#,
            center_id,
            month
        )
        .fetch_one(&mut *conn)
        .await?;
        windows_without_score.push((month.clone(), w));
        staff_without_score.push((month.clone(), s));
    }
    let staff_without_duty_days = sqlx::query_scalar!(
        r#"select count(*) as "n!" from staff s where s.center_id = $1 and s.active
           and not exists (select 1 from duty_days d where d.staff_id = s.staff_id and d.period_id = $2)"#,
        center_id,
        period_id
    )
    .fetch_one(conn)
    .await?;
    Ok(Missing {
        windows_without_score,
        staff_without_score,
        staff_without_duty_days,
    })
}

/// The center's active staff with their duty days in the period.
pub async fn duty_grid(
    conn: &mut PgConnection,
    center_id: i64,
    period_id: i64,
    window_id: Option<i64>,
) -> sqlx::Result<Vec<super::score::GridRow>> {
    sqlx::query_as!(
        super::score::GridRow,
        r#"select s.staff_id as "id!", s.name || '（' || s.employee_no || '）' as "label!",
                  w.number || '号窗口 ' || w.name as "detail!",
                  d.days as "score?", coalesce(d.version, 0) as "version!"
           from staff s
           join service_window w on w.window_id = s.window_id
           left join duty_days d on d.staff_id = s.staff_id and d.period_id = $2
           where s.center_id = $1 and s.active and ($3::bigint is null or s.window_id = $3)
           order by length(w.number), w.number, s.employee_no"#,
        center_id,
        period_id,
        window_id
    )
    .fetch_all(conn)
    .await
}

/// Current duty days of `staff` in the period, locked: (id, days, version, by whom).
pub async fn lock_duty(
    conn: &mut PgConnection,
    center_id: i64,
    period_id: i64,
    staff: &[i64],
) -> sqlx::Result<Vec<(i64, Option<i32>, i32, Option<String>)>> {
    sqlx::query!(
        "select duty_days_id from duty_days where period_id = $1 and staff_id = any($2) for update",
        period_id,
        staff
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(sqlx::query!(
        r#"select s.staff_id as "id!", d.days as "days?", coalesce(d.version, 0) as "version!", a.display_name as "by?"
           from staff s
           left join duty_days d on d.staff_id = s.staff_id and d.period_id = $2
           left join account a on a.account_id = d.updated_by
           where s.center_id = $1 and s.staff_id = any($3)"#,
        center_id,
        period_id,
        staff
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.id, r.days, r.version, r.by))
    .collect())
}

/// Sets (or, with `None`, removes) one staff member's duty days, with its audit row.
#[allow(clippy::too_many_arguments)]
pub async fn set_duty(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    period_id: i64,
    code: &str,
    staff_id: i64,
    before: Option<i32>,
    after: Option<i32>,
) -> sqlx::Result<()> {
    match after {
        Some(days) => {
            sqlx::query!(
                "insert into duty_days (center_id, period_id, staff_id, days, updated_by) values ($1, $2, $3, $4, $5)
                 on conflict (period_id, staff_id) do update
                 set days = excluded.days, version = duty_days.version + 1,
                     updated_by = excluded.updated_by, updated_at = now()",
                center_id,
                period_id,
                staff_id,
                days,
                actor.account_id
            )
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query!(
                "delete from duty_days where period_id = $1 and staff_id = $2",
                period_id,
                staff_id
            )
            .execute(&mut *conn)
            .await?;
        }
    }
    audit::record(
        conn,
        actor,
        Change {
            action: if after.is_none() {
                "duty_days.delete"
            } else if before.is_none() {
                "duty_days.create"
            } else {
                "duty_days.update"
            },
            entity: "duty_days",
            entity_id: format!("{code} staff {staff_id}"),
            before: before.map(|d| serde_json::json!({"days": d})),
            after: after.map(|d| serde_json::json!({"days": d})),
        },
    )
    .await
}

/// Names of the entrants of a computed period, by their recount ids (`W<id>`, `S<id>`).
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct EntrantNames {
    /// id → (name, department or window, business area or position)
    pub names: std::collections::HashMap<String, (String, String, String)>,
}

impl EntrantNames {
    /// The entrant's name, or its id when the name is unknown.
    pub fn label(&self, id: &str) -> String {
        self.names
            .get(id)
            .map(|n| n.0.clone())
            .unwrap_or_else(|| id.to_string())
    }
}

/// The period's data in the recount format, from the database: every active window and the
/// active staff of active windows, their scores for the period's months, unrevoked vetoes,
/// duty days (0 when not entered). Ballots and ratings are not part of it yet.
pub async fn load_input(
    conn: &mut PgConnection,
    center_id: i64,
    period: &PeriodRow,
) -> sqlx::Result<(crate::scoring::PeriodInput, EntrantNames)> {
    use crate::scoring::{Entries, Number, PeriodInput, StaffInput, WindowInput};
    use std::collections::HashMap;

    let rules = serde_json::from_str(&period.rules.to_string()).map_err(|e| {
        sqlx::Error::Decode(format!("period {} has unreadable rules: {e}", period.code).into())
    })?;
    let windows = sqlx::query!(
        r#"select w.window_id, w.number || '号窗口 ' || w.name as "label!", d.name as department, b.name as area
           from service_window w join department d on d.department_id = w.department_id
           join business_area b on b.business_area_id = w.business_area_id
           where w.center_id = $1 and w.active order by w.window_id"#,
        center_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let staff = sqlx::query!(
        r#"select s.staff_id, s.name, s.employee_no, s.position, s.window_id, w.number || '号窗口 ' || w.name as "window_label!",
                  coalesce(dd.days, 0) as "days!"
           from staff s join service_window w on w.window_id = s.window_id
           left join duty_days dd on dd.staff_id = s.staff_id and dd.period_id = $2
           where s.center_id = $1 and s.active and w.active order by s.staff_id"#,
        center_id,
        period.period_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let scores = sqlx::query!(
        r#"select month, window_id, staff_id, (score * 100)::int as "h!" from monthly_score
           where center_id = $1 and month = any($2)"#,
        center_id,
        &period.months
    )
    .fetch_all(&mut *conn)
    .await?;
    let vetoes = sqlx::query!(
        "select window_id, staff_id, code from veto where period_id = $1 and revoked_at is null",
        period.period_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut window_scores: HashMap<i64, Vec<(String, Number)>> = HashMap::new();
    let mut staff_scores: HashMap<i64, Vec<(String, Number)>> = HashMap::new();
    for s in scores {
        let entry = (s.month, Number::from_hundredths(i64::from(s.h)));
        match (s.window_id, s.staff_id) {
            (Some(w), _) => window_scores.entry(w).or_default().push(entry),
            (_, Some(st)) => staff_scores.entry(st).or_default().push(entry),
            _ => {}
        }
    }
    let mut window_vetoes: HashMap<i64, Vec<String>> = HashMap::new();
    let mut staff_vetoes: HashMap<i64, Vec<String>> = HashMap::new();
    for v in vetoes {
        match (v.window_id, v.staff_id) {
            (Some(w), _) => window_vetoes.entry(w).or_default().push(v.code),
            (_, Some(s)) => staff_vetoes.entry(s).or_default().push(v.code),
            _ => {}
        }
    }
    let mut names = EntrantNames::default();
    let windows = windows
        .into_iter()
        .map(|w| {
            let id = format!("W{}", w.window_id);
            names
                .names
                .insert(id.clone(), (w.label, w.department, w.area));
            WindowInput {
                id,
                scores: Entries(window_scores.remove(&w.window_id).unwrap_or_default()),
                vetoes: window_vetoes.remove(&w.window_id).unwrap_or_default(),
            }
        })
        .collect();
    let staff = staff
        .into_iter()
        .map(|s| {
            let id = format!("S{}", s.staff_id);
            names.names.insert(
                id.clone(),
                (
                    format!("{}（{}）", s.name, s.employee_no),
                    s.window_label,
                    s.position,
                ),
            );
            StaffInput {
                id,
                window: format!("W{}", s.window_id),
                duty_days: Some(Number::from_integer(i64::from(s.days))),
                scores: Entries(staff_scores.remove(&s.staff_id).unwrap_or_default()),
                vetoes: staff_vetoes.remove(&s.staff_id).unwrap_or_default(),
            }
        })
        .collect();
    let input = PeriodInput {
        rules,
        months: period.months.clone(),
        windows,
        staff,
        ballots: Vec::new(),
        tallies: Vec::new(),
        ratings: Vec::new(),
        decisions: Vec::new(),
    };
    Ok((input, names))
}

#[derive(Debug, Clone)]
pub struct VetoRow {
    pub veto_id: i64,
    pub target: String,
    pub code: String,
    pub occurred_on: time::Date,
    pub description: String,
    pub evidence: String,
    pub created_by: String,
    pub revoked_reason: Option<String>,
    pub revoked_by: Option<String>,
}

pub async fn vetoes(
    conn: &mut PgConnection,
    center_id: i64,
    period_id: i64,
) -> sqlx::Result<Vec<VetoRow>> {
    sqlx::query_as!(
        VetoRow,
        r#"select v.veto_id,
                  coalesce(w.number || '号窗口 ' || w.name, s.name || '（' || s.employee_no || '）') as "target!",
                  v.code, v.occurred_on, v.description, v.evidence, c.display_name as created_by,
                  v.revoked_reason, r.display_name as "revoked_by?"
           from veto v
           left join service_window w on w.window_id = v.window_id
           left join staff s on s.staff_id = v.staff_id
           join account c on c.account_id = v.created_by
           left join account r on r.account_id = v.revoked_by
           where v.center_id = $1 and v.period_id = $2
           order by v.revoked_at is not null, v.occurred_on, v.veto_id"#,
        center_id,
        period_id
    )
    .fetch_all(conn)
    .await
}

/// What a new veto says.
pub struct VetoInput {
    pub window_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub code: String,
    pub occurred_on: time::Date,
    pub description: String,
    pub evidence: String,
}

pub async fn veto_create(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    period_id: i64,
    input: &VetoInput,
) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        "insert into veto (center_id, period_id, window_id, staff_id, code, occurred_on, description, evidence, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning veto_id",
        center_id,
        period_id,
        input.window_id,
        input.staff_id,
        input.code,
        input.occurred_on,
        input.description,
        input.evidence,
        actor.account_id
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
    center_id: i64,
    period_id: i64,
    veto_id: i64,
    reason: &str,
) -> sqlx::Result<bool> {
    let before = sqlx::query_scalar!(
        r#"select to_jsonb(v) as "j!" from veto v
           where center_id = $1 and period_id = $2 and veto_id = $3 and revoked_at is null for update"#,
        center_id,
        period_id,
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
        actor.account_id,
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

/// Confirms the candidates: stores the scoring module's result as the period's snapshot and
/// creates a zero counter for every candidate, so that each ballot only increments counters
/// that exist already (no insert whose order could tell anything).
pub async fn confirm_candidates(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    period: &PeriodRow,
    input: &crate::scoring::PeriodInput,
    names: &EntrantNames,
    result: &crate::scoring::PeriodResult,
) -> sqlx::Result<()> {
    let snapshot = serde_json::to_value(result).expect("results serialise");
    let frozen = serde_json::to_value(input).expect("input serialises");
    let names = serde_json::to_value(names).expect("names serialise");
    sqlx::query!(
        "update period set candidates = $3, frozen_input = $4, entrant_names = $5, updated_at = now()
         where center_id = $1 and period_id = $2",
        center_id,
        period.period_id,
        snapshot,
        frozen,
        names
    )
    .execute(&mut *conn)
    .await?;
    let ids = |list: &[String], prefix: char| -> Vec<i64> {
        list.iter()
            .filter_map(|id| id.strip_prefix(prefix)?.parse().ok())
            .collect()
    };
    let windows = ids(&result.window.candidates, 'W');
    let staff = ids(&result.staff.candidates, 'S');
    sqlx::query!(
        "insert into ballot_tally (center_id, period_id, window_id)
         select $1, $2, unnest($3::bigint[]) on conflict do nothing",
        center_id,
        period.period_id,
        &windows
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into ballot_tally (center_id, period_id, staff_id)
         select $1, $2, unnest($3::bigint[]) on conflict do nothing",
        center_id,
        period.period_id,
        &staff
    )
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "period.candidates",
            entity: "period",
            entity_id: period.code.clone(),
            before: None,
            after: Some(serde_json::json!({
                "window_candidates": result.window.candidates,
                "staff_candidates": result.staff.candidates,
            })),
        },
    )
    .await
}

/// The leadership group's tie decisions in the recount format.
pub async fn decisions(
    conn: &mut PgConnection,
    period_id: i64,
) -> sqlx::Result<Vec<crate::scoring::DecisionInput>> {
    Ok(sqlx::query!(
        "select kind, chosen, reason from tie_decision where period_id = $1 order by kind",
        period_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|d| {
        let prefix = if d.kind == "window" { "W" } else { "S" };
        crate::scoring::DecisionInput {
            chosen: d.chosen.iter().map(|id| format!("{prefix}{id}")).collect(),
            kind: d.kind,
            reason: d.reason,
        }
    })
    .collect())
}

/// Everything the results are computed from, in the recount format: the period's data with
/// the democratic recommendation as tallies (never ballots), the ratings (raters as opaque
/// ids) and the tie decisions.
pub async fn recount_input(
    conn: &mut PgConnection,
    center_id: i64,
    period: &PeriodRow,
) -> sqlx::Result<(crate::scoring::PeriodInput, EntrantNames)> {
    let (mut input, names) = round_input(conn, center_id, period).await?;
    input.tallies = super::ballot::tallies(conn, period.period_id).await?;
    input.ratings = super::rating::all(conn, period.period_id).await?;
    input.decisions = decisions(conn, period.period_id).await?;
    Ok((input, names))
}

/// The stored recount input and results of a published period.
pub async fn published(
    conn: &mut PgConnection,
    period_id: i64,
) -> sqlx::Result<Option<(Value, Value)>> {
    Ok(sqlx::query!(
        "select recount, results from period where period_id = $1 and phase = 'published'",
        period_id
    )
    .fetch_optional(conn)
    .await?
    .and_then(|r| Some((r.recount?, r.results?))))
}

/// Publishes: stores the recount input and the results computed from it, and locks.
pub async fn publish(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    period: &PeriodRow,
    recount: &crate::scoring::PeriodInput,
    results: &crate::scoring::PeriodResult,
) -> sqlx::Result<()> {
    let recount = serde_json::to_value(recount).expect("input serialises");
    let results_json = serde_json::to_value(results).expect("results serialise");
    sqlx::query!(
        "update period set recount = $3, results = $4, updated_at = now() where center_id = $1 and period_id = $2",
        center_id,
        period.period_id,
        recount,
        results_json
    )
    .execute(&mut *conn)
    .await?;
    super::honor::issue(conn, center_id, period.period_id, &period.code, results).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "period.publish",
            entity: "period",
            entity_id: period.code.clone(),
            before: None,
            after: Some(serde_json::json!({"window_winners": results.window.winners, "staff_winners": results.staff.winners})),
        },
    )
    .await
}

/// Records the group leader's decision of a tie (the caller checked it with the scoring
/// module); false when the kind already has one.
pub async fn decide(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    period: &PeriodRow,
    kind: &str,
    chosen: &[i64],
    reason: &str,
) -> sqlx::Result<bool> {
    let decided_by = actor
        .account_id
        .ok_or_else(|| sqlx::Error::Protocol("a decision needs its leader".into()))?;
    let inserted = sqlx::query!(
        "insert into tie_decision (center_id, period_id, kind, chosen, reason, decided_by)
         values ($1, $2, $3, $4, $5, $6) on conflict (period_id, kind) do nothing",
        center_id,
        period.period_id,
        kind,
        chosen,
        reason,
        decided_by
    )
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "tie_decision.create",
            entity: "tie_decision",
            entity_id: format!("{} {kind}", period.code),
            before: None,
            after: Some(serde_json::json!({"chosen": chosen, "reason": reason})),
        },
    )
    .await?;
    Ok(true)
}

/// Why a period's results cannot be had.
#[derive(Debug)]
pub enum ResultsError {
    /// Not yet in review: no results exist.
    NotReady,
    Db(sqlx::Error),
    /// Stored data the scoring module refuses (a bug or a manual edit).
    Invalid(String),
}

impl From<sqlx::Error> for ResultsError {
    fn from(e: sqlx::Error) -> Self {
        ResultsError::Db(e)
    }
}

/// The recount input and results of a period in review (computed from its locked data) or
/// published (as stored at publication, so that the export never changes afterwards).
pub async fn results_of(
    conn: &mut PgConnection,
    center_id: i64,
    period: &PeriodRow,
) -> Result<
    (
        crate::scoring::PeriodInput,
        crate::scoring::PeriodResult,
        EntrantNames,
    ),
    ResultsError,
> {
    use crate::domain::period::Phase;
    if Phase::parse(&period.phase).unwrap_or(Phase::Entry) < Phase::Review {
        return Err(ResultsError::NotReady);
    }
    if let Some((recount, results)) = published(conn, period.period_id).await? {
        // Published: the stored files; only the names come from the frozen round.
        let (_, names) = round_input(conn, center_id, period).await?;
        let input = serde_json::from_str(&recount.to_string())
            .map_err(|e| ResultsError::Invalid(e.to_string()))?;
        let result =
            serde_json::from_value(results).map_err(|e| ResultsError::Invalid(e.to_string()))?;
        return Ok((input, result, names));
    }
    let (live, names) = recount_input(conn, center_id, period).await?;
    let result = crate::scoring::compute(&live).map_err(|r| ResultsError::Invalid(r.0))?;
    Ok((live, result, names))
}

/// The latest published period of the center.
pub async fn latest_published(
    conn: &mut PgConnection,
    center_id: i64,
) -> sqlx::Result<Option<PeriodRow>> {
    let code = sqlx::query_scalar!(
        "select code from period where center_id = $1 and phase = 'published' order by published_at desc limit 1",
        center_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match code {
        Some(code) => period_by_code(conn, center_id, &code).await,
        None => Ok(None),
    }
}

/// The entrants and their data for a period's round: as frozen when the candidates were
/// confirmed (from voting on), or as they are now (before). Ballots, ratings and decisions
/// are not part of it.
pub async fn round_input(
    conn: &mut PgConnection,
    center_id: i64,
    period: &PeriodRow,
) -> sqlx::Result<(crate::scoring::PeriodInput, EntrantNames)> {
    let frozen = sqlx::query!(
        "select frozen_input, entrant_names from period where center_id = $1 and period_id = $2",
        center_id,
        period.period_id
    )
    .fetch_one(&mut *conn)
    .await?;
    match (frozen.frozen_input, frozen.entrant_names) {
        (Some(input), Some(names)) => {
            let bad = |e: serde_json::Error| {
                sqlx::Error::Decode(
                    format!("period {}: frozen data unreadable: {e}", period.code).into(),
                )
            };
            let input = serde_json::from_str(&input.to_string()).map_err(bad)?;
            let names = serde_json::from_value(names).map_err(bad)?;
            Ok((input, names))
        }
        _ => load_input(conn, center_id, period).await,
    }
}

/// Whether another period of the center is in `phase` (one vote and one rating round at a
/// time, as the unique indexes guarantee). The caller holds this period's row lock; the
/// index is the guarantee against two moves at once.
pub async fn other_in_phase(
    conn: &mut PgConnection,
    center_id: i64,
    period_id: i64,
    phase: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from period where center_id = $1 and period_id <> $2 and phase = $3) as "e!""#,
        center_id,
        period_id,
        phase
    )
    .fetch_one(conn)
    .await
}

/// Every scheme of the center, for the admin.
pub async fn schemes(conn: &mut PgConnection, center_id: i64) -> sqlx::Result<Vec<SchemeRow>> {
    sqlx::query_as!(
        SchemeRow,
        "select scheme_id, name, period_kind, rules from scheme where center_id = $1 order by scheme_id",
        center_id
    )
    .fetch_all(conn)
    .await
}

/// Replaces a scheme's rules (checked by the caller with the scoring module). Periods
/// already opened keep their copy.
pub async fn scheme_update(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    scheme_id: i64,
    rules: &Value,
) -> sqlx::Result<bool> {
    let before = sqlx::query_scalar!(
        "select rules from scheme where center_id = $1 and scheme_id = $2 for update",
        center_id,
        scheme_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before else {
        return Ok(false);
    };
    sqlx::query!(
        "update scheme set rules = $3, updated_at = now() where center_id = $1 and scheme_id = $2",
        center_id,
        scheme_id,
        rules
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
            before: Some(serde_json::json!({ "rules": before })),
            after: Some(serde_json::json!({ "rules": rules })),
        },
    )
    .await?;
    Ok(true)
}

/// A correction of a published period as listed on its results page.
pub struct CorrectionRow {
    pub reason: String,
    pub change: Value,
    pub winners_before: Value,
    pub winners_after: Value,
    pub made_by: String,
    pub made_at: time::OffsetDateTime,
}

pub async fn corrections(
    conn: &mut PgConnection,
    period_id: i64,
) -> sqlx::Result<Vec<CorrectionRow>> {
    sqlx::query_as!(
        CorrectionRow,
        r#"select c.reason, c.change, c.winners_before, c.winners_after, a.display_name as made_by, c.made_at
           from period_correction c join account a on a.account_id = c.made_by
           where c.period_id = $1 order by c.made_at"#,
        period_id
    )
    .fetch_all(conn)
    .await
}

/// Records a correction of a published period: the new round input and recount, the results
/// recomputed from them, the correction with its reason and the winners it changed, and the
/// audit row. The caller holds the period row lock and computed `results` from `recount`.
/// A veto that comes with the correction is recorded after it.
#[allow(clippy::too_many_arguments)]
pub async fn correct(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    period: &PeriodRow,
    frozen: &crate::scoring::PeriodInput,
    recount: &crate::scoring::PeriodInput,
    results: &crate::scoring::PeriodResult,
    change: &Value,
    reason: &str,
) -> sqlx::Result<()> {
    let made_by = actor
        .account_id
        .ok_or_else(|| sqlx::Error::Protocol("a correction needs its author".into()))?;
    // The winners as published until now (the caller holds the period row lock).
    let winners_before = published(conn, period.period_id)
        .await?
        .map(|(_, r)| serde_json::json!({"window": r["window"]["winners"], "staff": r["staff"]["winners"]}))
        .unwrap_or_default();
    let winners_before = &winners_before;
    let winners_after =
        serde_json::json!({"window": results.window.winners, "staff": results.staff.winners});
    // The correction first: the database lets a published period change only together
    // with a correction recorded in the same transaction.
    sqlx::query!(
        "insert into period_correction (center_id, period_id, reason, change, winners_before, winners_after, made_by)
         values ($1, $2, $3, $4, $5, $6, $7)",
        center_id,
        period.period_id,
        reason,
        change,
        winners_before,
        winners_after,
        made_by
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update period set frozen_input = $3, recount = $4, results = $5, updated_at = now()
         where center_id = $1 and period_id = $2",
        center_id,
        period.period_id,
        serde_json::to_value(frozen).expect("input serialises"),
        serde_json::to_value(recount).expect("input serialises"),
        serde_json::to_value(results).expect("results serialise")
    )
    .execute(&mut *conn)
    .await?;
    super::honor::reconcile(
        conn,
        center_id,
        period.period_id,
        &period.code,
        results,
        reason,
    )
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "period.correction",
            entity: "period",
            entity_id: period.code.clone(),
            before: Some(serde_json::json!({"winners": winners_before})),
            after: Some(
                serde_json::json!({"winners": winners_after, "reason": reason, "change": change}),
            ),
        },
    )
    .await
}

/// The periods of the center using `month` whose candidates are confirmed, locked for update
/// in id order (a score correction changes their round).
pub async fn lock_locking_periods(
    conn: &mut PgConnection,
    center_id: i64,
    month: &str,
) -> sqlx::Result<Vec<PeriodRow>> {
    let rows = sqlx::query_as!(
        PeriodRow,
        "select p.period_id, p.code, s.name as scheme_name, p.phase, p.months, p.rules, p.created_at, p.published_at
         from period p join scheme s on s.scheme_id = p.scheme_id
         where p.center_id = $1 and $2 = any(p.months) order by p.period_id for update of p",
        center_id,
        month
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            crate::domain::period::Phase::parse(&r.phase).is_some_and(|p| p.scores_locked())
        })
        .collect())
}

/// The candidates a period confirmed, as (window candidates, staff candidates).
pub async fn confirmed_candidates(
    conn: &mut PgConnection,
    period_id: i64,
) -> sqlx::Result<(Vec<String>, Vec<String>)> {
    let c = sqlx::query_scalar!(
        "select candidates from period where period_id = $1",
        period_id
    )
    .fetch_one(conn)
    .await?
    .unwrap_or_default();
    let list = |k: &str| -> Vec<String> {
        c[k]["candidates"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok((list("window"), list("staff")))
}

/// A published round recomputed from its corrected entrants (`frozen`): an entrant who is
/// no longer a candidate leaves the round, with the recommendations and ratings it had; one
/// who becomes a candidate enters without any, as the rules then say. `None` when the
/// corrected round no longer fits the leadership group's tie decisions.
pub async fn recount_corrected(
    conn: &mut PgConnection,
    period_id: i64,
    frozen: &crate::scoring::PeriodInput,
) -> sqlx::Result<Option<(crate::scoring::PeriodInput, crate::scoring::PeriodResult)>> {
    let candidates: std::collections::HashSet<String> = match crate::scoring::compute(frozen) {
        Ok(r) => r
            .window
            .candidates
            .into_iter()
            .chain(r.staff.candidates)
            .collect(),
        Err(_) => return Ok(None),
    };
    let mut recount = frozen.clone();
    recount.tallies = super::ballot::tallies(conn, period_id).await?;
    for t in &mut recount.tallies {
        t.recommendations
            .0
            .retain(|(id, _)| candidates.contains(id));
    }
    recount.ratings = super::rating::all(conn, period_id).await?;
    recount.ratings.retain(|r| candidates.contains(&r.subject));
    recount.decisions = decisions(conn, period_id).await?;
    Ok(crate::scoring::compute(&recount)
        .ok()
        .map(|results| (recount, results)))
}

/// Stores the corrected round of a period that has confirmed its candidates but is not yet
/// published (the candidates stay the same; their assessment scores change), with its audit
/// row. The caller holds the period row lock and recorded the score correction.
pub async fn round_corrected(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: i64,
    period: &PeriodRow,
    frozen: &crate::scoring::PeriodInput,
    snapshot: &crate::scoring::PeriodResult,
    change: &Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update period set frozen_input = $3, candidates = $4, updated_at = now()
         where center_id = $1 and period_id = $2",
        center_id,
        period.period_id,
        serde_json::to_value(frozen).expect("input serialises"),
        serde_json::to_value(snapshot).expect("results serialise")
    )
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "period.round_corrected",
            entity: "period",
            entity_id: period.code.clone(),
            before: None,
            after: Some(change.clone()),
        },
    )
    .await
}
