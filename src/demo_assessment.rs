//! The demo city's itemized assessment: its rules (考核细则) from January 2026, and every
//! monthly score of the demo quarters explained by records that add up to it exactly under
//! those rules; the 好差评 figures of July to September; and two appeals of September, one
//! upheld and one that cancelled its record.

use sqlx::PgConnection;

use crate::db::{self, assessment::Rules};
use crate::demo_rounds::{Org, Rng, actor, imported};
use crate::domain::assessment::{Counts, Item, compute, rules_text};
use crate::domain::ids::{Entrant, RecordId};
use crate::scoring::Kind;

/// The months whose 好差评 figures the demo imported.
pub const RATED_MONTHS: [&str; 3] = ["2026-07", "2026-08", "2026-09"];

/// What the office wrote in a record, by standard.
fn note(standard: &str, rng: &mut Rng) -> &'static str {
    let pick =
        |options: &[&'static str], rng: &mut Rng| options[rng.below(options.len() as u64) as usize];
    match standard {
        "迟到早退" => pick(&["8:41 到岗", "17:20 提前离岗", "13:36 到岗"], rng),
        "着装不规范" => pick(&["未佩戴工作牌", "未按规定着工装"], rng),
        "擅自离岗" => pick(&["巡查时离岗约20分钟，未登记", "午间未安排人员值守"], rng),
        "工作时间玩手机" => {
            pick(&["视频巡查发现工作时间使用手机", "现场巡查发现玩手机"], rng)
        }
        "未使用文明用语" => pick(
            &["未使用“您好”“请稍等”等文明用语", "回答群众询问语气生硬"],
            rng,
        ),
        "与群众发生争执" => "与办事群众发生争执，经调看监控属实",
        "表扬信" => pick(&["收到办事群众表扬信一封", "群众送锦旗一面"], rng),
        "超期办件" => "一件业务超承诺时限办结",
        "一次性告知不到位" => "群众反映材料未一次性告知，需二次跑动",
        "桌面不整洁" => pick(&["桌面材料堆放杂乱", "窗口台面有私人物品"], rng),
        "差评经核实" => "群众差评，经回访核实系窗口原因",
        _ => "督查科巡查记录",
    }
}

/// Records (standard id, occurrences) that take exactly `loss` (hundredths, a multiple of
/// 50) from full marks under `items`, with now and then a praise letter balanced by a
/// lapse in the same item. Every standard stays within its cap and every item above 0.
fn records_for(items: &[Item], loss: i64, rng: &mut Rng) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    let mut lost = vec![0i64; items.len()];
    let mut used: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    let mut left = loss;
    let deductions: Vec<(usize, &crate::domain::assessment::Standard)> = items
        .iter()
        .enumerate()
        .flat_map(|(i, item)| item.standards.iter().map(move |s| (i, s)))
        .filter(|(_, s)| s.points < 0)
        .collect();
    // A half point first, by the first half-point standard; then whole points only, so
    // that what is left can always be taken by a one-point standard.
    if left % 100 != 0
        && let Some((i, s)) = deductions.iter().find(|(_, s)| -s.points == left % 100)
    {
        *used.entry(s.id).or_default() -= s.points;
        lost[*i] -= s.points;
        left += s.points;
        out.push((s.id, 1));
    }
    let mut guard = 0;
    while left > 0 && guard < 200 {
        guard += 1;
        let (i, s) = deductions[rng.below(deductions.len() as u64) as usize];
        let p = -s.points;
        if p % 100 != 0 {
            continue;
        }
        let room_cap = s
            .cap
            .map_or(i64::MAX, |c| c - used.get(&s.id).copied().unwrap_or(0));
        let room_item = items[i].max - lost[i];
        if p > left || p > room_cap || p > room_item || (items[i].steps.is_some()) {
            continue;
        }
        *used.entry(s.id).or_default() += p;
        lost[i] += p;
        left -= p;
        match out.iter_mut().find(|(id, _)| *id == s.id) {
            Some(r) => r.1 += 1,
            None => out.push((s.id, 1)),
        }
    }
    // What random picks left over (only ever a half point or a point), by the smallest
    // standards that still have room.
    for (i, s) in &deductions {
        while left > 0
            && -s.points <= left
            && s.cap
                .is_none_or(|c| used.get(&s.id).copied().unwrap_or(0) - s.points <= c)
            && lost[*i] - s.points <= items[*i].max
            && items[*i].steps.is_none()
        {
            *used.entry(s.id).or_default() -= s.points;
            lost[*i] -= s.points;
            left += s.points;
            match out.iter_mut().find(|(id, _)| *id == s.id) {
                Some(r) => r.1 += 1,
                None => out.push((s.id, 1)),
            }
        }
    }
    // A praise letter now and then, with a lapse of the same item that it makes good.
    if rng.below(6) == 0
        && let Some((i, bonus)) = items
            .iter()
            .enumerate()
            .find_map(|(i, it)| it.standards.iter().find(|s| s.points > 0).map(|s| (i, s)))
        && let Some(lapse) = items[i].standards.iter().find(|s| {
            s.points == -bonus.points
                && s.cap
                    .is_none_or(|c| used.get(&s.id).copied().unwrap_or(0) + bonus.points <= c)
        })
        && lost[i] + bonus.points <= items[i].max
    {
        for id in [lapse.id, bonus.id] {
            match out.iter_mut().find(|(x, _)| *x == id) {
                Some(r) => r.1 += 1,
                None => out.push((id, 1)),
            }
        }
    }
    out
}

/// 好差评 counts whose satisfaction rate is at least 99% (`high`) or between 98% and 99%.
fn ratings(kind: Kind, high: bool, rng: &mut Rng) -> Counts {
    let total = match kind {
        Kind::Window => 300 + rng.below(400) as i64,
        Kind::Staff => 100 + rng.below(120) as i64,
    };
    let bad = if high {
        rng.below(2) as i64
    } else {
        // 98.x%: between 1% and 2% of the ratings.
        total / 100 + 1 + rng.below((total / 200).max(1) as u64) as i64
    };
    let basically = rng.below(4) as i64;
    let satisfied = total / 10 + rng.below(10) as i64;
    Counts {
        very_satisfied: total - bad - basically - satisfied,
        satisfied,
        basically_satisfied: basically,
        dissatisfied: bad - bad / 3,
        very_dissatisfied: bad / 3,
    }
}

/// Saves the demo's rules (from January 2026, both kinds) and returns them as stored.
pub async fn rules(conn: &mut PgConnection, org: &Org) -> anyhow::Result<(Rules, Rules)> {
    let ducha = actor(org, org.ducha, "督查科");
    let items = rules_text::parse(rules_text::STARTING_SHEET)
        .map_err(|e| anyhow::anyhow!("demo rules: {e:?}"))?;
    let mut out = Vec::new();
    for kind in Kind::BOTH {
        db::assessment::rules::save(
            conn,
            &ducha,
            org.center_id,
            &db::assessment::rules::NewRules {
                kind,
                effective_from: "2026-01",
                mode: db::assessment::Mode::Records,
                appeal_days: 3,
                items: &items,
            },
        )
        .await?
        .map_err(|e| anyhow::anyhow!("demo rules: {e}"))?;
        out.push(
            db::assessment::rules::in_force(conn, org.center_id, kind, "2026-01")
                .await?
                .ok_or_else(|| anyhow::anyhow!("demo rules not stored"))?,
        );
    }
    let staff = out.pop().expect("two kinds");
    let windows = out.pop().expect("two kinds");
    Ok((windows, staff))
}

/// A record to load: window, staff member, standard, occurrences, day, note, recorder.
type Row = (
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    time::Date,
    &'static str,
    i64,
);

/// The records (and, in the rated months, the 好差评 figures) behind every score of
/// `months`, as loaded by the demo's quarters.
pub async fn explain(
    conn: &mut PgConnection,
    org: &Org,
    rules: &(Rules, Rules),
    months: &[String],
    seed: u64,
) -> anyhow::Result<()> {
    let mut rng = Rng(seed);
    let recorders: Vec<i64> = sqlx::query_scalar(
        "select account_id from account where center_id = $1 and role = 'supervision' and active order by username",
    )
    .bind(org.center_id)
    .fetch_all(&mut *conn)
    .await?;
    for month in months {
        let rated = RATED_MONTHS.contains(&month.as_str());
        let scores: Vec<(Option<i64>, Option<i64>, i64)> = sqlx::query_as(
            "select window_id, staff_id, (score * 100)::int8 from monthly_score
             where center_id = $1 and month = $2 order by window_id nulls last, staff_id",
        )
        .bind(org.center_id)
        .bind(month)
        .fetch_all(&mut *conn)
        .await?;
        let (year, m): (i32, u8) = (month[..4].parse()?, month[5..].parse()?);
        let mut rows: Vec<Row> = Vec::new();
        let mut figures: Vec<(Option<i64>, Option<i64>, Counts)> = Vec::new();
        for (w, s, score) in scores {
            let entrant = Entrant::from_columns(w, s).expect("a window or a staff member");
            let r = match entrant.kind() {
                Kind::Window => &rules.0,
                Kind::Staff => &rules.1,
            };
            let mut loss = 10_000 - score;
            let mut counts = None;
            if rated {
                // A 98.x% month costs the 群众评价 item 2 points where the score allows.
                let high = loss <= 200 || rng.below(3) != 0;
                let c = ratings(entrant.kind(), high, &mut rng);
                let base = compute(&r.items, &[], Some(&c)).total;
                loss -= 10_000 - base;
                counts = Some(c);
            }
            let records = records_for(&r.items, loss, &mut rng);
            let check = compute(&r.items, &records, counts.as_ref()).total;
            anyhow::ensure!(
                check == score,
                "demo records of {month} {entrant:?} give {check}, not {score}"
            );
            if let Some(c) = counts {
                figures.push((w, s, c));
            }
            for (standard, n) in records {
                let day = loop {
                    let d = time::Date::from_calendar_date(
                        year,
                        time::Month::try_from(m)?,
                        1 + rng.below(28) as u8,
                    )?;
                    if !matches!(d.weekday(), time::Weekday::Saturday | time::Weekday::Sunday) {
                        break d;
                    }
                };
                let name = r
                    .standard(standard)
                    .map(|(_, s)| s.name.clone())
                    .unwrap_or_default();
                let by = recorders[rng.below(recorders.len() as u64) as usize];
                rows.push((w, s, standard, n, day, note(&name, &mut rng), by));
            }
        }
        sqlx::query(
            "insert into assessment_record (center_id, month, window_id, staff_id, assessment_standard_id,
                 occurrences, occurred_on, note, recorded_by, recorded_at)
             select $1, $2, w, s, st, n, d, note, by, d + time '10:30' - interval '8 hours'
             from unnest($3::int8[], $4::int8[], $5::int8[], $6::int4[], $7::date[], $8::text[], $9::int8[])
                  as t(w, s, st, n, d, note, by)",
        )
        .bind(org.center_id)
        .bind(month)
        .bind(rows.iter().map(|r| r.0).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.1).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.2).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.3 as i32).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.4).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.5).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.6).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
        imported(conn, org, "assessment_record", month, rows.len()).await?;
        if !figures.is_empty() {
            let five = |f: fn(&Counts) -> i64| {
                figures
                    .iter()
                    .map(|(_, _, c)| f(c) as i32)
                    .collect::<Vec<_>>()
            };
            sqlx::query(
                "insert into satisfaction_figure (center_id, month, window_id, staff_id, very_satisfied, satisfied,
                     basically_satisfied, dissatisfied, very_dissatisfied, imported_by, imported_at)
                 select $1, $2, w, s, a, b, c, d, e, $10, ($2 || '-01')::date + interval '1 month 3 days'
                 from unnest($3::int8[], $4::int8[], $5::int4[], $6::int4[], $7::int4[], $8::int4[], $9::int4[])
                      as t(w, s, a, b, c, d, e)",
            )
            .bind(org.center_id)
            .bind(month)
            .bind(figures.iter().map(|f| f.0).collect::<Vec<_>>())
            .bind(figures.iter().map(|f| f.1).collect::<Vec<_>>())
            .bind(five(|c| c.very_satisfied))
            .bind(five(|c| c.satisfied))
            .bind(five(|c| c.basically_satisfied))
            .bind(five(|c| c.dissatisfied))
            .bind(five(|c| c.very_dissatisfied))
            .bind(org.ducha)
            .execute(&mut *conn)
            .await?;
            imported(conn, org, "satisfaction_figure", month, figures.len()).await?;
        }
    }
    Ok(())
}

/// Two appeals of September, by the demo's staff member `staff002` and the head of their
/// window: one against a record that stood (upheld), one against a record the office then
/// cancelled (a lapse recorded in error: it never counted in the month's score).
pub async fn appeals(conn: &mut PgConnection, org: &Org, rules: &Rules) -> anyhow::Result<()> {
    let (staff, person, person_name): (i64, crate::domain::ids::AccountId, String) = sqlx::query_as(
        "select staff_id, account_id, display_name from account where center_id = $1 and username = 'staff002'",
    )
    .bind(org.center_id)
    .fetch_one(&mut *conn)
    .await?;
    let (head, head_name): (crate::domain::ids::AccountId, String) = sqlx::query_as(
        "select a.account_id, a.display_name from account a join staff s on s.window_id = a.window_id
         where s.staff_id = $1 and a.role = 'window_head'",
    )
    .bind(staff)
    .fetch_one(&mut *conn)
    .await?;
    let ducha = actor(org, org.ducha, "督查科");
    let at = |d: u8, h: u8| -> anyhow::Result<time::OffsetDateTime> {
        Ok(time::PrimitiveDateTime::new(
            time::Date::from_calendar_date(2026, time::Month::September, d)?,
            time::Time::from_hms(h, 0, 0)?,
        )
        .assume_offset(time::macros::offset!(+8)))
    };
    // The first: a record of the month as loaded (it counts), upheld.
    let standing: Option<i64> = sqlx::query_scalar(
        "select assessment_record_id from assessment_record
         where staff_id = $1 and month = '2026-09' and status = 'active'
         order by occurred_on, assessment_record_id limit 1",
    )
    .bind(staff)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(record) = standing {
        let recorded: time::Date = sqlx::query_scalar(
            "select occurred_on from assessment_record where assessment_record_id = $1",
        )
        .bind(record)
        .fetch_one(&mut *conn)
        .await?;
        let filed = time::PrimitiveDateTime::new(
            recorded.next_day().unwrap_or(recorded),
            time::Time::from_hms(9, 30, 0)?,
        )
        .assume_offset(time::macros::offset!(+8));
        let appeal = db::assessment::appeals::create(
            conn,
            &actor(org, person, &person_name),
            RecordId(record),
            "当天系按中心安排在后台整理档案，并非擅离或迟到，请复核。",
            None,
            filed,
        )
        .await?;
        db::assessment::appeals::decide(
            conn,
            &ducha,
            appeal,
            db::assessment::appeals::Decision::Upheld,
            "经调阅考勤记录和监控，当天未经登记，维持原记录。",
            filed + time::Duration::days(1),
        )
        .await?;
    }
    // The second: a lapse recorded against the wrong person, cancelled on appeal.
    let absent = rules
        .items
        .iter()
        .flat_map(|i| &i.standards)
        .find(|s| s.name == "擅自离岗")
        .map(|s| s.id)
        .ok_or_else(|| anyhow::anyhow!("demo rules have 擅自离岗"))?;
    let record: i64 = sqlx::query_scalar(
        "insert into assessment_record (center_id, month, staff_id, assessment_standard_id, occurrences,
             occurred_on, note, status, recorded_by, recorded_at)
         values ($1, '2026-09', $2, $3, 1, '2026-09-15', '巡查时窗口无人，未登记去向', 'cancelled', $4, $5)
         returning assessment_record_id",
    )
    .bind(org.center_id)
    .bind(staff)
    .bind(absent)
    .bind(org.ducha)
    .bind(at(15, 10)?)
    .fetch_one(&mut *conn)
    .await?;
    let appeal = db::assessment::appeals::create(
        conn,
        &actor(org, head, &head_name),
        RecordId(record),
        "9月15日上午该同志经批准到不动产登记中心参加业务培训，附培训通知。巡查时在岗的是同窗口另一名工作人员。",
        None,
        at(16, 9)?,
    )
    .await?;
    db::assessment::appeals::decide(
        conn,
        &ducha,
        appeal,
        db::assessment::appeals::Decision::Cancelled,
        "经核实培训通知属实，系记录有误，撤销该记录，不扣分。",
        at(17, 15)?,
    )
    .await?;
    imported(conn, org, "assessment_appeal", "2026-09", 2).await?;
    Ok(())
}
