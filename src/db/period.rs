//! Periods (评选周期): opening one copies its scheme's rules onto it; phases move under the
//! period row's lock, each move audited; the period's data in the recount format.

use sqlx::PgConnection;
use time::OffsetDateTime;

use super::audit::{self, Actor, Change};
use crate::domain::ids::{CenterId, PeriodId, SchemeId};
use crate::domain::period::{PeriodKind, Phase};
use crate::scoring::RulesInput;
use sqlx::types::Json;

/// A period as read: its phase and rules decoded, so that a value this version does not
/// know fails the read instead of passing as a default.
#[derive(Debug, Clone)]
pub struct PeriodRow {
    pub period_id: PeriodId,
    pub code: String,
    pub scheme_name: String,
    pub phase: Phase,
    pub months: Vec<String>,
    pub rules: Json<RulesInput>,
    pub created_at: OffsetDateTime,
    pub published_at: Option<OffsetDateTime>,
    /// The award titles, copied from the scheme when the period opened.
    pub window_title: String,
    pub staff_title: String,
}

impl PeriodRow {
    /// The title this period awards to one kind (文明服务窗口, 优秀服务标兵, …).
    pub fn title(&self, kind: crate::scoring::Kind) -> &str {
        match kind {
            crate::scoring::Kind::Window => &self.window_title,
            crate::scoring::Kind::Staff => &self.staff_title,
        }
    }
}

pub async fn periods(conn: &mut PgConnection, center_id: CenterId) -> sqlx::Result<Vec<PeriodRow>> {
    sqlx::query_as!(
        PeriodRow,
        r#"select p.period_id, p.code, s.name as scheme_name, p.phase as "phase: Phase", p.months, p.rules as "rules: Json<RulesInput>", p.created_at, p.published_at, p.window_title, p.staff_title
         from period p join scheme s on s.scheme_id = p.scheme_id
         where p.center_id = $1 order by p.code desc"#,
        center_id.0
    )
    .fetch_all(conn)
    .await
}

pub async fn period_by_code(
    conn: &mut PgConnection,
    center_id: CenterId,
    code: &str,
) -> sqlx::Result<Option<PeriodRow>> {
    sqlx::query_as!(
        PeriodRow,
        r#"select p.period_id, p.code, s.name as scheme_name, p.phase as "phase: Phase", p.months, p.rules as "rules: Json<RulesInput>", p.created_at, p.published_at, p.window_title, p.staff_title
         from period p join scheme s on s.scheme_id = p.scheme_id
         where p.center_id = $1 and p.code = $2"#,
        center_id.0,
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
    center_id: CenterId,
    code: &str,
    months: &[String],
    kind: PeriodKind,
    scheme_id: SchemeId,
) -> sqlx::Result<Option<i64>> {
    let id = sqlx::query_scalar!(
        "insert into period (center_id, code, scheme_id, rules, months, window_title, staff_title)
         select $1, $2, s.scheme_id, s.rules, $4, s.window_title, s.staff_title from scheme s
         where s.center_id = $1 and s.scheme_id = $3 and s.active and s.period_kind = $5
         returning period_id",
        center_id.0,
        code,
        scheme_id.0,
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
    center_id: CenterId,
    period_id: PeriodId,
) -> sqlx::Result<Option<Phase>> {
    sqlx::query_scalar!(
        r#"select phase as "phase: Phase" from period where center_id = $1 and period_id = $2 for update"#,
        center_id.0,
        period_id as _
    )
    .fetch_optional(conn)
    .await
}

/// Moves a period from `from` to `to` (the caller holds the row lock and checked the move).
pub async fn set_phase(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period_id: PeriodId,
    code: &str,
    from: &str,
    to: &str,
) -> sqlx::Result<()> {
    set_phase_at(conn, actor, center_id, period_id, code, from, to, None).await
}

/// [`set_phase`], with the publication dated `published_at` rather than now (the demo's
/// past quarter).
#[allow(clippy::too_many_arguments)]
pub async fn set_phase_at(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period_id: PeriodId,
    code: &str,
    from: &str,
    to: &str,
    published_at: Option<OffsetDateTime>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update period set phase = $3, updated_at = now(),
                published_at = case when $3 = 'published' then coalesce($4, now()) else published_at end
         where center_id = $1 and period_id = $2",
        center_id.0,
        period_id.0,
        to,
        published_at
    )
    .execute(&mut *conn)
    .await?;
    // Who votes or rates is fixed as the round opens.
    match to {
        "voting" => {
            super::round::fix(conn, center_id, period_id, super::round::Duty::Voter).await?
        }
        "rating" => {
            super::round::fix(conn, center_id, period_id, super::round::Duty::Rater).await?
        }
        _ => {}
    }
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

/// The periods using `month` whose candidates are confirmed (their scores are locked), as
/// the pages show it. Writers lock the rows instead (`correction::lock_locking_periods`),
/// so that no phase moves while they write.
pub async fn locking_periods(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
) -> sqlx::Result<Vec<String>> {
    let rows = sqlx::query!(
        r#"select code, phase as "phase: Phase" from period where center_id = $1 and $2 = any(months) order by code"#,
        center_id.0,
        month
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.phase.scores_locked())
        .map(|r| r.code)
        .collect())
}

/// What is still missing before candidates can be computed: the months with active
/// entrants that have neither a score nor a "not assessed" mark (a month locks only when it
/// has none), and staff without duty days.
pub struct Missing {
    /// The months that are not complete (a confirmation would lock them), in order.
    pub incomplete: Vec<IncompleteMonth>,
    pub staff_without_duty_days: i64,
}

/// A month that is not complete: how many active windows and staff have neither a score nor
/// a "not assessed" mark.
pub struct IncompleteMonth {
    pub month: String,
    pub windows: i64,
    pub staff: i64,
}

pub async fn missing(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    months: &[String],
    totals: Option<[i64; 2]>,
) -> sqlx::Result<Missing> {
    let mut incomplete = Vec::new();
    for month in months {
        if let Some(gap) = month_gaps(conn, center_id, month, totals).await? {
            incomplete.push(gap);
        }
    }
    let staff_without_duty_days = sqlx::query_scalar!(
        r#"select count(*) as "n!" from staff s where s.center_id = $1 and s.active
           and not exists (select 1 from duty_days d where d.staff_id = s.staff_id and d.period_id = $2)"#,
        center_id.0,
        period_id.0
    )
    .fetch_one(conn)
    .await?;
    Ok(Missing {
        incomplete,
        staff_without_duty_days,
    })
}

/// How many active windows and staff of the center have neither a score nor a "not
/// assessed" mark for `month`; `None` when the month is complete. `totals`: as
/// [`super::not_assessed::month_counts`] takes them.
pub async fn month_gaps(
    conn: &mut PgConnection,
    center_id: CenterId,
    month: &str,
    totals: Option<[i64; 2]>,
) -> sqlx::Result<Option<IncompleteMonth>> {
    // Those without a score and without a mark: counted as the not-assessed page counts
    // them (from the month's histogram of scores), not by looking up every entrant.
    let c = super::not_assessed::month_counts(conn, center_id, month, totals).await?;
    let gap = |k: usize| (c.total[k] - c.scored[k] - c.marked[k]).max(0);
    let (w, s) = (gap(0), gap(1));
    Ok((w > 0 || s > 0).then(|| IncompleteMonth {
        month: month.to_string(),
        windows: w,
        staff: s,
    }))
}

/// Whether another period of the center is in `phase` (one rating round at a time, as the
/// unique index guarantees; votes of several periods may run at once). The caller holds this
/// period's row lock; the index is the guarantee against two moves at once.
pub async fn other_in_phase(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    phase: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from period where center_id = $1 and period_id <> $2 and phase = $3) as "e!""#,
        center_id.0,
        period_id.0,
        phase
    )
    .fetch_one(conn)
    .await
}

/// The other periods of the center that use any of these months, with the months they
/// share: (code, shared months). Confirming candidates locks the months for all of them.
pub async fn sharing_months(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    months: &[String],
) -> sqlx::Result<Vec<(String, Vec<String>)>> {
    Ok(sqlx::query!(
        r#"select code, array(select m from unnest(months) m where m = any($3) order by m) as "shared!"
           from period where center_id = $1 and period_id <> $2 and months && $3
           order by code"#,
        center_id.0,
        period_id.0,
        months
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.shared))
    .collect())
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
    center_id: CenterId,
    period: &PeriodRow,
) -> sqlx::Result<(crate::scoring::PeriodInput, EntrantNames)> {
    use crate::scoring::{Entries, Number, PeriodInput, StaffInput, WindowInput};
    use std::collections::HashMap;

    let rules = period.rules.0.clone();
    let windows = sqlx::query!(
        r#"select w.window_id, w.number || '号窗口 ' || w.name as "label!", d.name as department, b.name as area
           from service_window w join department d on d.department_id = w.department_id and d.center_id = w.center_id
           join business_area b on b.business_area_id = w.business_area_id and b.center_id = w.center_id
           where w.center_id = $1 and w.active order by w.window_id"#,
        center_id.0
    )
    .fetch_all(&mut *conn)
    .await?;
    #[derive(sqlx::FromRow)]
    struct StaffRow {
        staff_id: i64,
        name: String,
        employee_no: String,
        position: String,
        window_id: i64,
        window_label: String,
        days: i32,
    }
    // The window join names the center: without it the planner reads every window of the
    // province to find one center's.
    let staff: Vec<StaffRow> = sqlx::query_as(
        "select s.staff_id, s.name, s.employee_no, s.position, s.window_id,
                w.number || '号窗口 ' || w.name as window_label, coalesce(dd.days, 0) as days
         from staff s join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
         left join duty_days dd on dd.staff_id = s.staff_id and dd.period_id = $2
         where s.center_id = $1 and s.active and w.active order by s.staff_id",
    )
    .bind(center_id.0)
    .bind(period.period_id.0)
    .fetch_all(&mut *conn)
    .await?;
    let scores = sqlx::query!(
        r#"select month, window_id, staff_id, (score * 100)::int as "h!" from monthly_score
           where center_id = $1 and month = any($2)"#,
        center_id.0,
        &period.months
    )
    .fetch_all(&mut *conn)
    .await?;
    let vetoes = sqlx::query!(
        "select window_id, staff_id, code from veto where period_id = $1 and revoked_at is null",
        period.period_id.0
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut window_scores: HashMap<i64, Vec<(crate::scoring::Text, Number)>> = HashMap::new();
    let mut staff_scores: HashMap<i64, Vec<(crate::scoring::Text, Number)>> = HashMap::new();
    for s in scores {
        let entry = (s.month.into(), Number::from_hundredths(i64::from(s.h)));
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
