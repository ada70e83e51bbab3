//! The demo center's evaluation rounds: the previous quarter fully evaluated and published
//! (scores, duty days, two vetoes, every ballot, every rating, one tie decided by the group
//! leader) and the current quarter open in the voting phase with some heads already voted,
//! so that a newcomer can try every role at once. Loaded once; loading again changes
//! nothing.

use crate::domain::ids::{AccountId, CenterId, Entrant, PeriodId, WindowId};
use crate::domain::veto::VetoCode;
use std::collections::HashMap;

use sqlx::{PgConnection, PgPool};

use crate::db::{self, Actor};
use crate::domain::period::PeriodCode;
use crate::scoring;

/// The published quarter and the quarter in voting.
pub const PUBLISHED: &str = "2026-Q2";
pub const VOTING: &str = "2026-Q3";

/// A small deterministic generator, so that the demo is the same everywhere.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

pub struct Org {
    pub center_id: CenterId,
    /// (id, number) of the active windows, by number.
    pub windows: Vec<(i64, String)>,
    /// (staff id, window id) of the active staff, by id.
    pub staff: Vec<(i64, i64)>,
    /// (account, window) of every window head.
    heads: Vec<(AccountId, WindowId)>,
    leaders: Vec<AccountId>,
    pub ducha: AccountId,
    /// The supervision office's display name, as the audit log names it.
    ducha_name: String,
    zuzhang: AccountId,
    /// The group leader's display name, as the audit log names them.
    zuzhang_name: String,
}

/// The center's organisation as the rounds need it; `prefix` is its accounts' username
/// prefix (empty for the city center, `qs-` for 青山县).
pub async fn org(conn: &mut PgConnection, center_id: CenterId, prefix: &str) -> sqlx::Result<Org> {
    let windows = sqlx::query_as("select window_id, number from service_window where center_id = $1 and active order by length(number), number")
        .bind(center_id)
        .fetch_all(&mut *conn)
        .await?;
    let staff = sqlx::query_as(
        "select staff_id, window_id from staff where center_id = $1 and active order by staff_id",
    )
    .bind(center_id)
    .fetch_all(&mut *conn)
    .await?;
    let heads = sqlx::query_as("select account_id, window_id from account where center_id = $1 and role = 'window_head' and active order by username")
        .bind(center_id)
        .fetch_all(&mut *conn)
        .await?;
    let leaders = sqlx::query_scalar("select account_id from account where center_id = $1 and role = 'leadership' and active order by username")
        .bind(center_id)
        .fetch_all(&mut *conn)
        .await?;
    let (ducha, ducha_name) = sqlx::query_as(
        "select account_id, display_name from account where center_id = $1 and username = $2 || 'ducha'",
    )
    .bind(center_id)
    .bind(prefix)
    .fetch_one(&mut *conn)
    .await?;
    let (zuzhang, zuzhang_name) = sqlx::query_as(
        "select account_id, display_name from account where center_id = $1 and is_group_leader and active",
    )
    .bind(center_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Org {
        center_id,
        windows,
        staff,
        heads,
        leaders,
        ducha,
        ducha_name,
        zuzhang,
        zuzhang_name,
    })
}

pub fn actor(org: &Org, account_id: AccountId, name: &str) -> Actor {
    Actor {
        center_id: Some(org.center_id),
        account_id: Some(account_id),
        name: format!("{name}（演示数据）"),
        ip: String::new(),
    }
}

/// Monthly scores as DEMO.md describes them: mostly 90-99 in half points, a few in the 80s.
/// Windows 1-4 lead, windows 5 and 6 are level (so that the published quarter has a tie to
/// decide), windows 7 and 8 follow.
fn window_score(number: &str, month: usize, rng: &mut Rng) -> i64 {
    let n: i64 = number.parse().unwrap_or(99);
    match n {
        1..=4 => 9900 - 50 * (n - 1) - 50 * (month as i64 % 2),
        5 | 6 => 9650,
        7 => 9600,
        8 => 9550,
        _ => 8800 + 50 * rng.below(12) as i64,
    }
}

async fn scores(
    conn: &mut PgConnection,
    org: &Org,
    months: &[String],
    seed: u64,
) -> sqlx::Result<()> {
    let mut rng = Rng(seed);
    for (m, month) in months.iter().enumerate() {
        let (ids, values): (Vec<i64>, Vec<i64>) = org
            .windows
            .iter()
            .map(|(id, number)| (*id, window_score(number, m, &mut rng)))
            .unzip();
        sqlx::query(
            "insert into monthly_score (center_id, month, window_id, score, updated_by)
             select $1, $2, unnest($3::bigint[]), unnest($4::bigint[]) / 100.0, $5",
        )
        .bind(org.center_id)
        .bind(month)
        .bind(&ids)
        .bind(&values)
        .bind(org.ducha)
        .execute(&mut *conn)
        .await?;
        let (ids, values): (Vec<i64>, Vec<i64>) = org
            .staff
            .iter()
            .map(|(id, _)| {
                let v = if rng.below(15) == 0 {
                    8500 + 50 * rng.below(10) as i64
                } else {
                    9000 + 50 * rng.below(19) as i64
                };
                (*id, v)
            })
            .unzip();
        sqlx::query(
            "insert into monthly_score (center_id, month, staff_id, score, updated_by)
             select $1, $2, unnest($3::bigint[]), unnest($4::bigint[]) / 100.0, $5",
        )
        .bind(org.center_id)
        .bind(month)
        .bind(&ids)
        .bind(&values)
        .bind(org.ducha)
        .execute(&mut *conn)
        .await?;
        imported(
            conn,
            org,
            "monthly_score",
            month,
            org.windows.len() + org.staff.len(),
        )
        .await?;
    }
    Ok(())
}

/// One audit row for each bulk load of the demo, so that the log says where the rows came
/// from (the grids audit every cell; the demo loads whole months at once).
pub(crate) async fn imported(
    conn: &mut PgConnection,
    org: &Org,
    entity: &str,
    what: &str,
    rows: usize,
) -> sqlx::Result<()> {
    let action = format!("{entity}.import");
    db::audit::record(
        conn,
        &actor(org, org.ducha, "督查科"),
        db::audit::Change {
            action: &action,
            entity,
            entity_id: what.to_string(),
            before: None,
            after: Some(serde_json::json!({"rows": rows, "source": "演示数据"})),
        },
    )
    .await
}

async fn duty_days(
    conn: &mut PgConnection,
    org: &Org,
    period_id: PeriodId,
    seed: u64,
) -> sqlx::Result<()> {
    let mut rng = Rng(seed);
    let (ids, days): (Vec<i64>, Vec<i32>) = org
        .staff
        .iter()
        .map(|(id, _)| {
            (
                *id,
                if rng.below(30) == 0 {
                    35 + rng.below(20) as i32
                } else {
                    60 + rng.below(7) as i32
                },
            )
        })
        .unzip();
    sqlx::query(
        "insert into duty_days (center_id, period_id, staff_id, days, updated_by)
         select $1, $2, unnest($3::bigint[]), unnest($4::int[]), $5",
    )
    .bind(org.center_id)
    .bind(period_id)
    .bind(&ids)
    .bind(&days)
    .bind(org.ducha)
    .execute(&mut *conn)
    .await?;
    imported(conn, org, "duty_days", &period_id.to_string(), ids.len()).await
}

pub async fn open_period(
    conn: &mut PgConnection,
    org: &Org,
    code: &str,
) -> anyhow::Result<db::period::PeriodRow> {
    let c = PeriodCode::parse(code).expect("demo period codes are valid");
    let a = actor(org, org.ducha, "督查科");
    let scheme = db::scheme::schemes_for(conn, org.center_id, c.kind)
        .await?
        .into_iter()
        .next()
        .expect("default schemes exist");
    db::period::period_create(
        conn,
        &a,
        org.center_id,
        code,
        &c.months(),
        c.kind,
        scheme.scheme_id,
    )
    .await?;
    Ok(db::period::period_by_code(conn, org.center_id, code)
        .await?
        .expect("just created"))
}

pub async fn move_to(
    conn: &mut PgConnection,
    org: &Org,
    p: &db::period::PeriodRow,
    from: &str,
    to: &str,
) -> sqlx::Result<()> {
    db::period::set_phase(
        conn,
        &actor(org, org.ducha, "督查科"),
        org.center_id,
        p.period_id,
        &p.code,
        from,
        to,
    )
    .await
}

/// How many a ballot of this kind may recommend under the period's rules.
fn cap(rules: &scoring::KindRulesInput) -> usize {
    usize::try_from(rules.max_recommendations.whole().unwrap_or(0)).unwrap_or(0)
}

/// Heads recommend unevenly: the leading candidates most, a few others sometimes.
pub(crate) async fn vote(
    conn: &mut PgConnection,
    org: &Org,
    p: &db::period::PeriodRow,
    snapshot: &scoring::PeriodResult,
    every: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let mut rng = Rng(seed);
    let staff_window: HashMap<i64, i64> = org.staff.iter().copied().collect();
    let w_cands: Vec<i64> = snapshot
        .window
        .candidates
        .iter()
        .filter_map(|c| c[1..].parse().ok())
        .collect();
    let s_cands: Vec<i64> = snapshot
        .staff
        .candidates
        .iter()
        .filter_map(|c| c[1..].parse().ok())
        .collect();
    // Every `every`-th head votes (all of them with 1): with 3, a third of the heads, spread
    // over the windows, so that some who have not voted lead a candidate window and see it
    // as 回避 on their ballot.
    for (i, (head, window)) in org.heads.iter().enumerate() {
        if i % every.max(1) != 0 {
            continue;
        }
        let a = actor(org, *head, "窗口负责人");
        let (own, window) = (*window, &window.0);
        // Windows: the four leaders (the tied pair 5 and 6 only recommend each other, so that
        // they stay level), at most five.
        let mut windows: Vec<i64> = w_cands
            .iter()
            .take(4)
            .copied()
            .filter(|w| w != window && rng.below(5) != 0)
            .collect();
        if let (Some(a5), Some(a6)) = (w_cands.get(4), w_cands.get(5)) {
            if window == a5 {
                windows.push(*a6);
            } else if window == a6 {
                windows.push(*a5);
            }
        }
        windows.truncate(cap(&p.rules.window));
        let mut staff: Vec<i64> = s_cands
            .iter()
            .enumerate()
            .filter(|(k, s)| {
                staff_window.get(s) != Some(window) && rng.below(10) < if *k < 8 { 7 } else { 3 }
            })
            .map(|(_, s)| *s)
            .collect();
        staff.truncate(cap(&p.rules.staff));
        for (kind, ids) in [
            (scoring::Kind::Window, &windows),
            (scoring::Kind::Staff, &staff),
        ] {
            let cast = db::ballot::cast(
                conn,
                &a,
                org.center_id,
                p.period_id,
                &p.code,
                kind,
                own,
                ids,
            )
            .await?;
            cast.map_err(|r| anyhow::anyhow!("demo ballot refused: {r:?}"))?;
        }
    }
    Ok(())
}

pub(crate) async fn rate(
    conn: &mut PgConnection,
    org: &Org,
    p: &db::period::PeriodRow,
    snapshot: &scoring::PeriodResult,
    seed: u64,
) -> sqlx::Result<()> {
    let mut rng = Rng(seed);
    let tied: Vec<&String> = snapshot.window.candidates.iter().skip(4).take(2).collect();
    for leader in &org.leaders {
        let a = actor(org, *leader, "领导小组");
        let pair = 9000 + 50 * rng.below(10) as i32;
        for c in snapshot
            .window
            .candidates
            .iter()
            .chain(&snapshot.staff.candidates)
        {
            // Between 85 and 98 with the odd outlier; the tied pair rated alike.
            let score = if tied.contains(&c) {
                pair
            } else if rng.below(12) == 0 {
                7500 + 100 * rng.below(10) as i32
            } else {
                8500 + 50 * rng.below(27) as i32
            };
            db::rating::set(
                conn,
                &a,
                org.center_id,
                p.period_id,
                &p.code,
                c,
                None,
                Some(score),
            )
            .await?;
        }
    }
    Ok(())
}

/// Loads both quarters unless they are there.
pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(727101)")
        .execute(&mut *tx)
        .await?;
    let center_id: CenterId = sqlx::query_scalar("select center_id from center where code = $1")
        .bind(crate::demo::CENTER_CODE)
        .fetch_one(&mut *tx)
        .await?;
    let exists: Option<i64> =
        sqlx::query_scalar("select period_id from period where center_id = $1 and code = $2")
            .bind(center_id)
            .bind(PUBLISHED)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_some() {
        tx.commit().await?;
        return Ok(());
    }
    let org = org(&mut tx, center_id, "").await?;

    // The previous quarter, from the first score to publication.
    // The center's rules (考核细则) from January, then every score explained by records.
    let rules = crate::demo_assessment::rules(&mut tx, &org).await?;
    let p = open_period(&mut tx, &org, PUBLISHED).await?;
    scores(&mut tx, &org, &p.months, 2).await?;
    crate::demo_assessment::explain(&mut tx, &org, &rules, &p.months, 2).await?;
    duty_days(&mut tx, &org, p.period_id, 2).await?;
    let ducha = actor(&org, org.ducha, "督查科");
    let veto = |window: Option<i64>, staff: Option<i64>, code: VetoCode, day: u8, text: &str| {
        db::veto::VetoInput {
            entrant: Entrant::from_columns(window, staff).expect("a window or a staff member"),
            code,
            occurred_on: time::Date::from_calendar_date(2026, time::Month::May, day)
                .expect("a May date"),
            description: text.to_string(),
            evidence: "督查科检查记录".to_string(),
        }
    };
    let w12 = org.windows.iter().find(|(_, n)| n == "12").map(|w| w.0);
    db::veto::veto_create(
        &mut tx,
        &ducha,
        center_id,
        p.period_id,
        &veto(
            w12,
            None,
            VetoCode::OverdueCase,
            12,
            "5月12日一件不动产转移登记超期2个工作日办结，经核实系窗口原因",
        ),
    )
    .await?;
    let s40 = org.staff.get(40).map(|s| s.0);
    db::veto::veto_create(
        &mut tx,
        &ducha,
        center_id,
        p.period_id,
        &veto(
            None,
            s40,
            VetoCode::VerifiedComplaint,
            20,
            "群众投诉办事态度生硬，经查证属实，造成不良影响",
        ),
    )
    .await?;
    let snapshot = confirm(&mut tx, &org, &p, "voting").await?;
    vote_and_rate(&mut tx, &org, &p, &snapshot, 2).await?;
    // The group leader settles every tie at the boundary (the first of the tied pair) and
    // publishes, as on the results page, dated when a second quarter's results would have
    // been published: mid-July, after the review meeting.
    decide_and_publish(
        &mut tx,
        &org,
        &p,
        "领导小组审定：综合考虑本季度群众评价和窗口服务创新，选定该对象",
        time::macros::datetime!(2026-07-10 10:00 +8),
    )
    .await?;

    // The current quarter: scores in, candidates confirmed, a third of the heads voted.
    let q = open_period(&mut tx, &org, VOTING).await?;
    scores(&mut tx, &org, &q.months, 3).await?;
    crate::demo_assessment::explain(&mut tx, &org, &rules, &q.months, 3).await?;
    crate::demo_assessment::appeals(&mut tx, &org, &rules.1).await?;
    duty_days(&mut tx, &org, q.period_id, 3).await?;
    let w3 = org.windows.iter().find(|(_, n)| n == "21").map(|w| w.0);
    db::veto::veto_create(
        &mut tx,
        &ducha,
        center_id,
        q.period_id,
        &db::veto::VetoInput {
            occurred_on: time::Date::from_calendar_date(2026, time::Month::August, 6)
                .expect("an August date"),
            ..veto(
                w3,
                None,
                VetoCode::Disciplinary,
                1,
                "8月6日窗口人员工作时间脱岗，被中心通报批评",
            )
        },
    )
    .await?;
    let snapshot = confirm(&mut tx, &org, &q, "voting").await?;
    vote(&mut tx, &org, &q, &snapshot, 3, 3).await?;
    tx.commit().await?;
    tracing::info!("demo quarters loaded: {PUBLISHED} published, {VOTING} in voting");
    Ok(())
}

/// Confirms the period's candidates as the supervision office does (考核录入 → 候选确定 →
/// `next`), returning the snapshot the round goes on with.
pub async fn confirm(
    tx: &mut PgConnection,
    org: &Org,
    p: &db::period::PeriodRow,
    next: &str,
) -> anyhow::Result<scoring::PeriodResult> {
    move_to(tx, org, p, "entry", "candidates").await?;
    let (input, names) = db::period::load_input(tx, org.center_id, p).await?;
    let snapshot =
        scoring::compute(&input).map_err(|r| anyhow::anyhow!("demo {} refused: {r}", p.code))?;
    let ducha = actor(org, org.ducha, &org.ducha_name);
    db::results::confirm_candidates(tx, &ducha, org.center_id, p, &input, &names, &snapshot)
        .await?;
    move_to(tx, org, p, "candidates", next).await?;
    Ok(snapshot)
}

/// Every head votes and every leader rates, then the period goes to 审定.
pub async fn vote_and_rate(
    tx: &mut PgConnection,
    org: &Org,
    p: &db::period::PeriodRow,
    snapshot: &scoring::PeriodResult,
    seed: u64,
) -> anyhow::Result<()> {
    vote(tx, org, p, snapshot, 1, seed).await?;
    move_to(tx, org, p, "voting", "rating").await?;
    rate(tx, org, p, snapshot, seed).await?;
    move_to(tx, org, p, "rating", "review").await?;
    Ok(())
}

/// The group leader settles every tie at the boundary (the first of the tied, with
/// `reason`), then publishes the period in review, dated `published_at`.
pub async fn decide_and_publish(
    tx: &mut PgConnection,
    org: &Org,
    p: &db::period::PeriodRow,
    reason: &str,
    published_at: time::OffsetDateTime,
) -> anyhow::Result<()> {
    let center_id = org.center_id;
    let (input, _) = db::results::recount_input(tx, center_id, p).await?;
    let result =
        scoring::compute(&input).map_err(|r| anyhow::anyhow!("demo period refused: {r}"))?;
    let leader = actor(org, org.zuzhang, &org.zuzhang_name);
    for kind in scoring::Kind::BOTH {
        let k = result.kind(kind);
        if k.unresolved_tie.is_empty() {
            continue;
        }
        let rules = match kind {
            scoring::Kind::Window => &p.rules.window,
            scoring::Kind::Staff => &p.rules.staff,
        };
        let places = usize::try_from(rules.winners.whole().unwrap_or(0)).unwrap_or(0);
        let left = places.saturating_sub(k.winners.len());
        let chosen: Vec<i64> = k
            .unresolved_tie
            .iter()
            .take(left)
            .filter_map(|c| c[1..].parse().ok())
            .collect();
        db::results::decide(tx, &leader, center_id, p, kind, &chosen, reason).await?;
    }
    let (input, _) = db::results::recount_input(tx, center_id, p).await?;
    let result =
        scoring::compute(&input).map_err(|r| anyhow::anyhow!("demo period refused: {r}"))?;
    let published_at = Some(published_at);
    db::results::publish(tx, &leader, center_id, p, &input, &result, published_at).await?;
    db::period::set_phase_at(
        tx,
        &leader,
        center_id,
        p.period_id,
        &p.code,
        "review",
        "published",
        published_at,
    )
    .await?;
    Ok(())
}
