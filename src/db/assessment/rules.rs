//! Versions of the assessment rules (考核细则): which is in force in a month, the list of
//! versions, and saving a new one.

use sqlx::{PgConnection, Row};

use crate::db::audit::{self, Actor, Change};
use crate::domain::assessment::{Item, Standard, Step, rules_text};
use crate::domain::ids::{CenterId, RulesId};
use crate::scoring::Kind;

/// How a month's scores of one kind are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The office types the totals (the grid, the import).
    Direct,
    /// Computed from the records under the version's items.
    Records,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "direct" => Some(Mode::Direct),
            "records" => Some(Mode::Records),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Direct => "direct",
            Mode::Records => "records",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Direct => "直接录入月度总分",
            Mode::Records => "按考核细则逐条记录、自动计算",
        }
    }
}

/// A version of the rules with its items and their standards (standard ids are row ids).
#[derive(Clone, Debug)]
pub struct Rules {
    pub id: RulesId,
    pub kind: Kind,
    pub effective_from: String,
    pub mode: Mode,
    pub appeal_days: i64,
    pub created_by: Option<String>,
    pub created_at: time::OffsetDateTime,
    pub items: Vec<Item>,
}

impl Rules {
    /// The standard of this version with row id `id`, with its item's name.
    pub fn standard(&self, id: i64) -> Option<(&Item, &Standard)> {
        self.items
            .iter()
            .find_map(|i| i.standards.iter().find(|s| s.id == id).map(|s| (i, s)))
    }
}

fn kind_of(raw: &str) -> Result<Kind, sqlx::Error> {
    Kind::parse(raw).ok_or_else(|| sqlx::Error::Decode(format!("unknown kind {raw:?}").into()))
}

/// Reads versions by the `where` of `filter` (with `$1` the center), items included.
async fn read(
    conn: &mut PgConnection,
    filter: &str,
    center_id: CenterId,
    kind: Kind,
    month: Option<&str>,
) -> sqlx::Result<Vec<Rules>> {
    let rows = sqlx::query(&format!(
        "select r.assessment_rules_id, r.kind, r.effective_from, r.mode, r.appeal_days::int8 as appeal_days,
                a.display_name as created_by, r.created_at
         from assessment_rules r left join account a on a.account_id = r.created_by
         where r.center_id = $1 and r.kind = $2 and {filter}
         order by r.effective_from desc"
    ))
    .bind(center_id.0)
    .bind(kind.as_str())
    .bind(month)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let mode: String = row.try_get("mode")?;
        let id = RulesId(row.try_get("assessment_rules_id")?);
        out.push(Rules {
            id,
            kind: kind_of(row.try_get("kind")?)?,
            effective_from: row.try_get("effective_from")?,
            mode: Mode::parse(&mode)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown mode {mode:?}").into()))?,
            appeal_days: row.try_get("appeal_days")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
            items: items(conn, id).await?,
        });
    }
    Ok(out)
}

async fn items(conn: &mut PgConnection, id: RulesId) -> sqlx::Result<Vec<Item>> {
    let rows = sqlx::query(
        "select i.assessment_item_id, i.name, (i.max_points * 100)::int8 as max, i.satisfaction_steps,
                s.assessment_standard_id, s.name as standard, (s.points * 100)::int8 as points,
                (s.monthly_cap * 100)::int8 as cap
         from assessment_item i
         left join assessment_standard s on s.assessment_item_id = i.assessment_item_id
         where i.assessment_rules_id = $1
         order by i.position, s.position",
    )
    .bind(id.0)
    .fetch_all(conn)
    .await?;
    let mut items: Vec<(i64, Item)> = Vec::new();
    for row in rows {
        let item_id: i64 = row.try_get("assessment_item_id")?;
        if items.last().is_none_or(|(id, _)| *id != item_id) {
            let steps: Option<serde_json::Value> = row.try_get("satisfaction_steps")?;
            let steps = steps
                .map(serde_json::from_value::<Vec<Step>>)
                .transpose()
                .map_err(|e| sqlx::Error::Decode(e.into()))?;
            items.push((
                item_id,
                Item {
                    name: row.try_get("name")?,
                    max: row.try_get("max")?,
                    steps,
                    standards: Vec::new(),
                },
            ));
        }
        if let Some(sid) = row.try_get::<Option<i64>, _>("assessment_standard_id")?
            && let Some((_, item)) = items.last_mut()
        {
            item.standards.push(Standard {
                id: sid,
                name: row.try_get("standard")?,
                points: row.try_get("points")?,
                cap: row.try_get("cap")?,
            });
        }
    }
    Ok(items.into_iter().map(|(_, i)| i).collect())
}

/// The version in force in `month` (the latest taking effect by then), if any.
pub async fn in_force(
    conn: &mut PgConnection,
    center_id: CenterId,
    kind: Kind,
    month: &str,
) -> sqlx::Result<Option<Rules>> {
    let mut v = read(
        conn,
        "r.effective_from = (select max(effective_from) from assessment_rules
                             where center_id = $1 and kind = $2 and effective_from <= $3)",
        center_id,
        kind,
        Some(month),
    )
    .await?;
    Ok(v.pop())
}

/// Every version of one kind, the latest first.
pub async fn versions(
    conn: &mut PgConnection,
    center_id: CenterId,
    kind: Kind,
) -> sqlx::Result<Vec<Rules>> {
    read(conn, "$3::text is null", center_id, kind, None).await
}

/// How a month's scores of one kind are made.
pub async fn mode(
    conn: &mut PgConnection,
    center_id: CenterId,
    kind: Kind,
    month: &str,
) -> sqlx::Result<Mode> {
    let mode: Option<String> = sqlx::query_scalar(
        "select mode from assessment_rules
         where center_id = $1 and kind = $2 and effective_from <= $3
         order by effective_from desc limit 1",
    )
    .bind(center_id.0)
    .bind(kind.as_str())
    .bind(month)
    .fetch_optional(conn)
    .await?;
    Ok(mode
        .as_deref()
        .and_then(Mode::parse)
        .unwrap_or(Mode::Direct))
}

/// A new version as the form gives it.
pub struct NewRules<'a> {
    pub kind: Kind,
    pub effective_from: &'a str,
    pub mode: Mode,
    pub appeal_days: i64,
    pub items: &'a [Item],
}

/// Saves a version. A version taking effect in a month already locked, in a month whose
/// records were made under another version, or in a month that already has scores of the
/// kind, would change a month's rules after the fact: refused with the message to show. A version of the same month without records is
/// replaced. Call with the center's assessment lock held (`super::lock`).
pub async fn save(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    new: &NewRules<'_>,
) -> sqlx::Result<Result<RulesId, String>> {
    let locked: Option<String> = sqlx::query_scalar(
        "select m from period p, unnest(p.months) m
         where p.center_id = $1 and m >= $2 and p.phase <> 'entry'
         order by m limit 1",
    )
    .bind(center_id.0)
    .bind(new.effective_from)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(m) = locked {
        return Ok(Err(format!(
            "{} 的考核已锁定（已有评选周期确认了候选对象），新细则只能从之后的月份起施行",
            crate::domain::period::month_label(&m)
        )));
    }
    let recorded: Option<String> = sqlx::query_scalar(
        "select r.month from assessment_record r
         join assessment_standard s using (assessment_standard_id)
         join assessment_item i using (assessment_item_id)
         join assessment_rules v using (assessment_rules_id)
         where r.center_id = $1 and v.kind = $2 and r.month >= $3
         order by r.month limit 1",
    )
    .bind(center_id.0)
    .bind(new.kind.as_str())
    .bind(new.effective_from)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(m) = recorded {
        return Ok(Err(format!(
            "{} 已按现行细则作了考核记录，新细则只能从没有记录的月份起施行（月份的考核按记录时的细则计算）",
            crate::domain::period::month_label(&m)
        )));
    }
    let scored: Option<String> = sqlx::query_scalar(
        "select month from monthly_score
         where center_id = $1 and month >= $2 and (case when $3 then staff_id else window_id end) is not null
         order by month limit 1",
    )
    .bind(center_id.0)
    .bind(new.effective_from)
    .bind(new.kind == Kind::Staff)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(m) = scored {
        return Ok(Err(format!(
            "{} 已有月度分数，新细则只能从还没有分数的月份起施行（已有的分数是按当时的方式得出的）",
            crate::domain::period::month_label(&m)
        )));
    }
    let old: Option<i64> = sqlx::query_scalar(
        "select assessment_rules_id from assessment_rules where center_id = $1 and kind = $2 and effective_from = $3",
    )
    .bind(center_id.0)
    .bind(new.kind.as_str())
    .bind(new.effective_from)
    .fetch_optional(&mut *conn)
    .await?;
    let before = match old {
        Some(id) => {
            let before = read(
                conn,
                "r.assessment_rules_id::text = $3",
                center_id,
                new.kind,
                Some(&id.to_string()),
            )
            .await?
            .pop()
            .map(|r| describe(&r.mode, r.appeal_days, &r.items));
            sqlx::query(
                "delete from assessment_standard where assessment_item_id in
                   (select assessment_item_id from assessment_item where assessment_rules_id = $1)",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
            sqlx::query("delete from assessment_item where assessment_rules_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("delete from assessment_rules where assessment_rules_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            before
        }
        None => None,
    };
    let id: i64 = sqlx::query_scalar(
        "insert into assessment_rules (center_id, kind, effective_from, mode, appeal_days, created_by)
         values ($1, $2, $3, $4, $5, $6) returning assessment_rules_id",
    )
    .bind(center_id.0)
    .bind(new.kind.as_str())
    .bind(new.effective_from)
    .bind(new.mode.as_str())
    .bind(new.appeal_days as i32)
    .bind(actor.account_id.map(|a| a.0))
    .fetch_one(&mut *conn)
    .await?;
    let items: &[Item] = if new.mode == Mode::Records {
        new.items
    } else {
        &[]
    };
    for (n, item) in items.iter().enumerate() {
        let steps = item
            .steps
            .as_ref()
            .map(|s| serde_json::to_value(s).unwrap_or_default());
        let item_id: i64 = sqlx::query_scalar(
            "insert into assessment_item (assessment_rules_id, position, name, max_points, satisfaction_steps)
             values ($1, $2, $3, $4::int8 / 100.0, $5) returning assessment_item_id",
        )
        .bind(id)
        .bind(n as i32 + 1)
        .bind(&item.name)
        .bind(item.max)
        .bind(steps)
        .fetch_one(&mut *conn)
        .await?;
        for (m, s) in item.standards.iter().enumerate() {
            sqlx::query(
                "insert into assessment_standard (assessment_item_id, position, name, points, monthly_cap)
                 values ($1, $2, $3, $4::int8 / 100.0, $5::int8 / 100.0)",
            )
            .bind(item_id)
            .bind(m as i32 + 1)
            .bind(&s.name)
            .bind(s.points)
            .bind(s.cap)
            .execute(&mut *conn)
            .await?;
        }
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "assessment_rules.save",
            entity: "assessment_rules",
            entity_id: format!("{} {}", new.kind.as_str(), new.effective_from),
            before,
            after: Some(describe(&new.mode, new.appeal_days, items)),
        },
    )
    .await?;
    Ok(Ok(RulesId(id)))
}

/// A version as the audit log keeps it: the mode, the appeal days and the sheet as typed.
fn describe(mode: &Mode, appeal_days: i64, items: &[Item]) -> serde_json::Value {
    serde_json::json!({
        "mode": mode.as_str(),
        "appeal_days": appeal_days,
        "items": rules_text::format(items),
    })
}
