//! A window's or a person's year (年度档案): the monthly scores with the months not
//! assessed, the duty days, the results of every published period of the year and the
//! honors won; and the whole center's year as one workbook.

use std::collections::HashMap;

use sqlx::PgConnection;

use crate::domain::ids::{CenterId, Entrant};

/// One month of the year: its score (hundredths) or why there is none, and its place
/// among the center's scores of that kind that month.
pub struct MonthRow {
    pub month: String,
    pub score: Option<i32>,
    pub not_assessed: Option<String>,
    /// Ties share the better rank.
    pub rank: Option<i64>,
}

/// A veto recorded in a period of the year (revoked ones with the reason).
pub struct VetoRow {
    pub code: String,
    pub veto: String,
    pub occurred_on: time::Date,
    pub description: String,
    pub revoked_reason: Option<String>,
}

/// A published period of the year in which the entrant took part.
pub struct ResultRow {
    pub code: String,
    /// The period's award title of the entrant's kind.
    pub title: String,
    /// The entrant's entry in the period's results (SPEC.md §5).
    pub entry: serde_json::Value,
    pub min_days: String,
}

/// An honor of the year, revoked or not.
pub struct HonorRow {
    pub code: String,
    pub title: String,
    pub certificate_no: String,
    pub revoked_reason: Option<String>,
}

pub struct Year {
    pub months: Vec<MonthRow>,
    /// (period code, days), staff only.
    pub duty_days: Vec<(String, i32)>,
    pub results: Vec<ResultRow>,
    pub honors: Vec<HonorRow>,
    pub vetoes: Vec<VetoRow>,
}

/// The twelve months of `year`: `2026-01` … `2026-12`.
pub fn months_of(year: &str) -> Vec<String> {
    (1..=12).map(|m| format!("{year}-{m:02}")).collect()
}

pub async fn year(
    conn: &mut PgConnection,
    center_id: CenterId,
    entrant: Entrant,
    year: &str,
) -> sqlx::Result<Year> {
    let (window_id, staff_id) = entrant.columns();
    let months = months_of(year);
    // The rank sums the counts of the month's better scores of the same kind.
    let kind = if entrant.is_staff() {
        "staff"
    } else {
        "window"
    };
    let month_rows = sqlx::query!(
        r#"select m.month as "month!", (s.score * 100)::int as score, n.reason as "not_assessed?",
                  (select coalesce(sum(c.entrants), 0) + 1 from month_score_count c
                    where c.center_id = $1 and c.month = m.month and c.kind = $5
                      and c.score > s.score)::bigint as "rank!"
           from unnest($4::text[]) m(month)
           left join monthly_score s on s.center_id = $1 and s.month = m.month
                and (s.window_id = $2 or s.staff_id = $3)
           left join not_assessed n on n.center_id = $1 and n.month = m.month
                and (n.window_id = $2 or n.staff_id = $3)
           order by m.month"#,
        center_id.0,
        window_id,
        staff_id,
        &months,
        kind
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| MonthRow {
        month: r.month,
        score: r.score,
        not_assessed: r.not_assessed,
        rank: r.score.map(|_| r.rank),
    })
    .collect();
    let duty_days = sqlx::query!(
        "select p.code, d.days from duty_days d join period p on p.period_id = d.period_id
         where d.center_id = $1 and d.staff_id = $2 and left(p.code, 4) = $3 order by p.code",
        center_id.0,
        staff_id,
        year
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.code, r.days))
    .collect();
    let kind = if entrant.is_staff() {
        "staff"
    } else {
        "window"
    };
    let results = sqlx::query!(
        r#"select p.code, case when $4 = 'staff' then p.staff_title else p.window_title end as "title!",
                  r.entry as e, p.rules ->> 'min_duty_days' as "min_days!"
           from result_entry r join period p on p.period_id = r.period_id
           where r.entrant = $3 and p.center_id = $1 and p.phase = 'published'
             and left(p.code, 4) = $2
           order by p.code"#,
        center_id.0,
        year,
        entrant.recount_id(),
        kind
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| ResultRow {
        code: r.code,
        title: r.title,
        entry: r.e,
        min_days: r.min_days,
    })
    .collect();
    let honors = sqlx::query!(
        r#"select p.code, case when h.kind = 'staff' then p.staff_title else p.window_title end as "title!",
                  h.certificate_no, h.revoked_reason
           from honor h join period p on p.period_id = h.period_id
           where h.center_id = $1 and left(p.code, 4) = $2 and (h.window_id = $3 or h.staff_id = $4)
           order by p.code, h.issued_at"#,
        center_id.0,
        year,
        window_id,
        staff_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| HonorRow {
        code: r.code,
        title: r.title,
        certificate_no: r.certificate_no,
        revoked_reason: r.revoked_reason,
    })
    .collect();
    let vetoes = sqlx::query!(
        "select p.code, v.code as veto, v.occurred_on, v.description, v.revoked_reason
         from veto v join period p on p.period_id = v.period_id
         where v.center_id = $1 and left(p.code, 4) = $2 and (v.window_id = $3 or v.staff_id = $4)
         order by v.occurred_on, v.veto_id",
        center_id.0,
        year,
        window_id,
        staff_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| VetoRow {
        code: r.code,
        veto: r.veto,
        occurred_on: r.occurred_on,
        description: r.description,
        revoked_reason: r.revoked_reason,
    })
    .collect();
    Ok(Year {
        vetoes,
        months: month_rows,
        duty_days,
        results,
        honors,
    })
}

/// One row of the center's year workbook.
pub struct WorkbookRow {
    pub key: String,
    pub name: String,
    pub detail: String,
    /// By month index 0–11: the score in hundredths, or the reason it was not assessed.
    pub months: Vec<Option<Result<i32, String>>>,
    /// Current honors by the kind of their period: months, quarters, the year
    /// ("2026年3月文明服务窗口").
    pub honors: [Vec<String>; 3],
    /// Vetoes in force: "2026年5月 超期办件".
    pub vetoes: Vec<String>,
}

/// Every window (`staff` false) or staff member of the center (of one department, when
/// given: a staff member's is its window's) that was active or has a score in `year`, with
/// its months, honors and vetoes.
pub async fn workbook(
    conn: &mut PgConnection,
    center_id: CenterId,
    year: &str,
    staff: bool,
    department: Option<i64>,
) -> sqlx::Result<Vec<WorkbookRow>> {
    let months = months_of(year);
    let people = sqlx::query!(
        r#"select id as "id!", key as "key!", name as "name!", detail as "detail!" from (
             select w.window_id as id, w.number as key, w.name, d.name as detail,
                    length(w.number) as o1, w.number as o2, w.active, w.department_id
               from service_window w join department d on d.department_id = w.department_id and d.center_id = w.center_id
              where w.center_id = $1 and not $2
             union all
             select s.staff_id, s.employee_no, s.name, ww.number || '号窗口 ' || ww.name,
                    length(ww.number), ww.number || ' ' || s.employee_no, s.active, ww.department_id
               from staff s join service_window ww on ww.window_id = s.window_id and ww.center_id = s.center_id
              where s.center_id = $1 and $2) e
           where ($4::bigint is null or e.department_id = $4)
             and (e.active or exists (
             select 1 from monthly_score m where m.center_id = $1 and m.month = any($3)
               and (case when $2 then m.staff_id else m.window_id end) = e.id))
           order by o1, o2"#,
        center_id.0,
        staff,
        &months,
        department
    )
    .fetch_all(&mut *conn)
    .await?;
    let scores = sqlx::query!(
        r#"select case when $2 then staff_id else window_id end as "id!", month, (score * 100)::int as "h!"
           from monthly_score
           where center_id = $1 and month = any($3) and (case when $2 then staff_id else window_id end) is not null"#,
        center_id.0,
        staff,
        &months
    )
    .fetch_all(&mut *conn)
    .await?;
    let marks = sqlx::query!(
        r#"select case when $2 then staff_id else window_id end as "id!", month, reason
           from not_assessed
           where center_id = $1 and month = any($3) and (case when $2 then staff_id else window_id end) is not null"#,
        center_id.0,
        staff,
        &months
    )
    .fetch_all(&mut *conn)
    .await?;
    let honors = sqlx::query!(
        r#"select case when $2 then h.staff_id else h.window_id end as "id!", p.code,
                  case when $2 then p.staff_title else p.window_title end as "title!"
           from honor h join period p on p.period_id = h.period_id
           where h.center_id = $1 and left(p.code, 4) = $3 and h.revoked_at is null
             and h.kind = case when $2 then 'staff' else 'window' end
           order by p.code"#,
        center_id.0,
        staff,
        year
    )
    .fetch_all(&mut *conn)
    .await?;
    let vetoes = sqlx::query!(
        r#"select case when $2 then v.staff_id else v.window_id end as "id!", p.code, v.code as veto
           from veto v join period p on p.period_id = v.period_id
           where v.center_id = $1 and left(p.code, 4) = $3 and v.revoked_at is null
             and (case when $2 then v.staff_id else v.window_id end) is not null
           order by v.occurred_on"#,
        center_id.0,
        staff,
        year
    )
    .fetch_all(conn)
    .await?;
    let index = |month: &str| months.iter().position(|m| m == month);
    let mut by_id: HashMap<i64, WorkbookRow> = people
        .iter()
        .map(|p| {
            (
                p.id,
                WorkbookRow {
                    key: p.key.clone(),
                    name: p.name.clone(),
                    detail: p.detail.clone(),
                    months: vec![None; 12],
                    honors: Default::default(),
                    vetoes: Vec::new(),
                },
            )
        })
        .collect();
    for s in scores {
        if let (Some(row), Some(i)) = (by_id.get_mut(&s.id), index(&s.month)) {
            row.months[i] = Some(Ok(s.h));
        }
    }
    for m in marks {
        if let (Some(row), Some(i)) = (by_id.get_mut(&m.id), index(&m.month)) {
            row.months[i].get_or_insert(Err(m.reason));
        }
    }
    for h in honors {
        if let Some(row) = by_id.get_mut(&h.id) {
            // Months (2026-03), quarters (2026-Q1), the year (2026).
            let scheme = if h.code.len() == 4 {
                2
            } else {
                usize::from(h.code.contains('Q'))
            };
            row.honors[scheme].push(format!(
                "{}{}",
                crate::domain::period::period_label(&h.code),
                h.title
            ));
        }
    }
    for v in vetoes {
        if let Some(row) = by_id.get_mut(&v.id) {
            row.vetoes.push(format!(
                "{} {}",
                crate::domain::period::period_label(&v.code),
                crate::domain::veto::VetoCode::label_of(&v.veto)
            ));
        }
    }
    Ok(people.iter().filter_map(|p| by_id.remove(&p.id)).collect())
}
