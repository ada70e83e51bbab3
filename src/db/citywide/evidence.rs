//! Conditions the system checks from its own records (SPEC.md §3, step 1): honors won in
//! the county's published periods, tenure at the window, being active, the public's
//! satisfaction rate (好差评) since a year; each with the
//! records it rests on, so that a reviewer sees why.

use sqlx::PgConnection;
use time::Date;

use crate::domain::citywide::ConditionRule;
use crate::domain::ids::CenterId;
use crate::domain::period::period_label;
use crate::scoring::Kind;

/// One record a check rests on: an honor with its certificate, a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub label: String,
    /// Where to see it (a certificate's verification page), when it has one.
    pub certificate: Option<String>,
}

/// The outcome of a checked condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub met: bool,
    /// What was found, in the office's words.
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// Checks `rule` for a county's window or staff member on `today` (China Standard Time).
pub async fn check(
    conn: &mut PgConnection,
    county: CenterId,
    kind: Kind,
    entrant: i64,
    rule: ConditionRule,
    today: Date,
) -> sqlx::Result<Check> {
    match rule {
        ConditionRule::Honors {
            min_count,
            since_year,
        } => {
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "select p.code,
                        case when h.kind = 'window' then p.window_title else p.staff_title end,
                        h.certificate_no
                 from honor h join period p on p.period_id = h.period_id
                 where h.center_id = $1 and h.revoked_at is null and p.phase = 'published'
                   and left(p.code, 4)::int >= $2
                   and (case when $3 then h.window_id else h.staff_id end) = $4
                 order by p.code",
            )
            .bind(county)
            .bind(since_year)
            .bind(kind == Kind::Window)
            .bind(entrant)
            .fetch_all(conn)
            .await?;
            let n = rows.len();
            let evidence: Vec<Evidence> = rows
                .into_iter()
                .map(|(code, title, number)| Evidence {
                    label: format!("{}{title}", period_label(&code)),
                    certificate: Some(number),
                })
                .collect();
            Ok(Check {
                met: n >= usize::try_from(min_count).unwrap_or(usize::MAX),
                summary: if n == 0 {
                    format!("{since_year}年以来本系统中没有获评记录")
                } else {
                    format!("{since_year}年以来获评 {n} 次")
                },
                evidence,
            })
        }
        ConditionRule::Tenure { years } => {
            if kind != Kind::Staff {
                return Ok(Check {
                    met: false,
                    summary: "在岗年限只适用于个人".to_string(),
                    evidence: Vec::new(),
                });
            }
            let posted: Option<Option<Date>> = sqlx::query_scalar(
                "select posted_on from staff where center_id = $1 and staff_id = $2",
            )
            .bind(county)
            .bind(entrant)
            .fetch_optional(conn)
            .await?;
            let Some(posted) = posted.flatten() else {
                return Ok(Check {
                    met: false,
                    summary: "系统中没有到岗日期，请说明或上传证明".to_string(),
                    evidence: Vec::new(),
                });
            };
            let full = whole_years(posted, today);
            Ok(Check {
                met: full >= years,
                summary: format!(
                    "{}年{}月{}日到岗，已满 {full} 年",
                    posted.year(),
                    u8::from(posted.month()),
                    posted.day()
                ),
                evidence: Vec::new(),
            })
        }
        ConditionRule::Satisfaction {
            min_percent,
            since_year,
        } => {
            let row: (Option<i64>, Option<i64>, i64) = sqlx::query_as(
                "select sum(very_satisfied + satisfied + basically_satisfied)::int8,
                        sum(very_satisfied + satisfied + basically_satisfied + dissatisfied + very_dissatisfied)::int8,
                        count(*)
                 from satisfaction_figure
                 where center_id = $1 and month >= $2 || '-01'
                   and (case when $3 then window_id else staff_id end) = $4",
            )
            .bind(county)
            .bind(since_year.to_string())
            .bind(kind == Kind::Window)
            .bind(entrant)
            .fetch_one(conn)
            .await?;
            let (good, total, months) = (row.0.unwrap_or(0), row.1.unwrap_or(0), row.2);
            if total == 0 {
                return Ok(Check {
                    met: false,
                    summary: format!("{since_year}年以来系统中没有好差评数据，请说明或上传证明"),
                    evidence: Vec::new(),
                });
            }
            let rate = crate::scoring::number::div_round_half_up(
                i128::from(good) * 10_000,
                i128::from(total),
            ) as i64;
            Ok(Check {
                // Compared exactly, not after rounding the rate shown.
                met: i128::from(good) * 100 >= i128::from(min_percent) * i128::from(total),
                summary: format!(
                    "{since_year}年以来 {months} 个月好差评 {total} 次，满意率 {}",
                    crate::domain::assessment::satisfaction::rate_text(rate)
                ),
                evidence: Vec::new(),
            })
        }
        ConditionRule::Active => {
            let sql = match kind {
                Kind::Window => {
                    "select w.active, w.number || '号窗口 ' || w.name from service_window w
                     where w.center_id = $1 and w.window_id = $2"
                }
                Kind::Staff => {
                    "select s.active and w.active, w.number || '号窗口 ' || w.name
                     from staff s join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
                     where s.center_id = $1 and s.staff_id = $2"
                }
            };
            let row: Option<(bool, String)> = sqlx::query_as(sql)
                .bind(county)
                .bind(entrant)
                .fetch_optional(conn)
                .await?;
            let (met, window) = row.unwrap_or((false, String::new()));
            Ok(Check {
                met,
                summary: if met {
                    format!("目前在岗（{window}）")
                } else {
                    "系统中已停用".to_string()
                },
                evidence: Vec::new(),
            })
        }
    }
}

/// Whole years from `from` to `to`.
fn whole_years(from: Date, to: Date) -> i32 {
    let mut years = to.year() - from.year();
    if (u8::from(to.month()), to.day()) < (u8::from(from.month()), from.day()) {
        years -= 1;
    }
    years.max(0)
}

#[cfg(test)]
mod tests {
    use super::whole_years;
    use time::macros::date;

    #[test]
    fn whole_years_count_the_anniversary_itself() {
        assert_eq!(whole_years(date!(2024 - 12 - 01), date!(2026 - 12 - 01)), 2);
        assert_eq!(whole_years(date!(2024 - 12 - 02), date!(2026 - 12 - 01)), 1);
        assert_eq!(whole_years(date!(2024 - 02 - 29), date!(2026 - 02 - 28)), 1);
        assert_eq!(whole_years(date!(2027 - 01 - 01), date!(2026 - 12 - 01)), 0);
    }
}
