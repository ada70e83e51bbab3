//! The demo city's city-wide rounds (全市评选) over its three county centers: 2025's round
//! published with its certificates, 2026's open with the deadline a few days ahead — 青山县
//! and 东城区 have submitted (one of 东城区's returned for correction), 西城区 is still
//! drafting. 东城区 and 西城区 get a small roster and office accounts (`dc-`, `xc-`). Loaded
//! once, after the county's own demo; loading again changes nothing.

use sqlx::{PgConnection, PgPool};
use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::db::citywide::feedback::FeedbackInput;
use crate::db::citywide::nomination::{self, NominationInput};
use crate::db::citywide::review::Decision;
use crate::db::citywide::{self, Round, RoundInput};
use crate::db::{self, Actor, org::Catalog};
use crate::demo::{DEMO_PASSWORD, POSITIONS, person_name};
use crate::domain::citywide::{ConditionRule, FeedbackAnswer, FeedbackSource, RoundPhase};
use crate::domain::ids::CenterId;
use crate::scoring::Kind;

/// (department, business area, windows)
type Department = (&'static str, &'static str, &'static [&'static str]);

/// (county code, account prefix, departments)
const COUNTIES: &[(&str, &str, &[Department])] = &[
    (
        "shifan-dongcheng",
        "dc-",
        &[
            ("东城区公安分局", "公安户政", &["户籍", "出入境"]),
            ("东城区市场监管局", "企业开办", &["企业登记"]),
            ("东城区不动产登记中心", "不动产", &["不动产登记"]),
            ("东城区政务服务中心", "综合受理", &["综合受理"]),
        ],
    ),
    (
        "shifan-xicheng",
        "xc-",
        &[
            ("西城区税务局", "税务", &["办税综合"]),
            ("西城区人力资源和社会保障局", "社保医保", &["社保参保"]),
            ("西城区民政局", "民生服务", &["婚姻登记"]),
            ("西城区政务服务中心", "综合受理", &["综合受理", "帮办代办"]),
        ],
    ),
];

const WINDOW_BRIEFS: &[&str] = &[
    "该窗口推行“一窗通办”，全年办件1.2万件，按期办结率100%，群众满意率99.9%。",
    "该窗口推出“午间不打烊”和预约延时服务，全年接待群众8600余人次，零差评、零投诉。",
    "该窗口将企业开办压缩至半个工作日，全年帮办代办320件，收到锦旗12面。",
    "该窗口率先实现“跨省通办”，全年办理异地业务2100余件，按期办结率100%。",
];

const STAFF_BRIEFS: &[&str] = &[
    "该同志扎根窗口六年，全年受理业务4100余件，无一差错，多次获群众书面表扬。",
    "该同志主动为老年人、残疾人上门办理业务46次，被群众称为“贴心办事员”。",
    "该同志熟悉二十余项业务，带教新人5名，全年群众满意率100%。",
    "该同志牵头梳理办事指南80余项，推动“一次告知”落到实处。",
];

/// A full account (正版事迹) of a few hundred characters, built from the brief.
fn full_account(brief: &str, name: &str) -> String {
    format!(
        "{brief}\n\n一、坚持群众至上。{name}始终把群众满意作为第一标准，严格落实首问负责、\
一次性告知和限时办结制度，对群众反映的问题件件有回音、事事有着落。\n\n二、坚持改革创新。\
围绕“高效办成一件事”，主动梳理办事流程，精简申请材料，推行容缺受理和帮办代办，\
让群众和企业少跑腿、好办事。\n\n三、坚持廉洁自律。严守各项纪律规定，全年无违规办件、\
无有效投诉，在历次明察暗访中表现良好，树立了政务服务窗口的良好形象。"
    )
}

/// Builds a county's small roster and its office accounts; returns the county's id.
async fn build_county(
    conn: &mut PgConnection,
    code: &str,
    prefix: &str,
    departments: &[Department],
    hash: &str,
    person: &mut usize,
) -> anyhow::Result<CenterId> {
    let center_id: CenterId = sqlx::query_scalar("select center_id from center where code = $1")
        .bind(code)
        .fetch_one(&mut *conn)
        .await?;
    let a = Actor {
        center_id: Some(center_id),
        account_id: None,
        name: "演示数据".to_string(),
        ip: String::new(),
    };
    db::scheme::ensure_default_schemes(conn, &a, center_id).await?;
    let mut areas: Vec<(&str, i64)> = Vec::new();
    let mut number = 0;
    for (d, (dept, area, windows)) in departments.iter().enumerate() {
        let area_id = match areas.iter().find(|(n, _)| n == area) {
            Some((_, id)) => *id,
            None => {
                let input = db::org::CatalogInput {
                    name: (*area).to_string(),
                    sort_order: (areas.len() as i32 + 1) * 10,
                };
                let id =
                    db::org::catalog_create(conn, Catalog::BusinessArea, &a, center_id, &input)
                        .await?;
                areas.push((area, id));
                id
            }
        };
        let input = db::org::CatalogInput {
            name: (*dept).to_string(),
            sort_order: (d as i32 + 1) * 10,
        };
        let department_id =
            db::org::catalog_create(conn, Catalog::Department, &a, center_id, &input).await?;
        for name in *windows {
            number += 1;
            let window_id = db::org::window_create(
                conn,
                &a,
                center_id,
                &db::org::WindowInput {
                    number: number.to_string(),
                    name: (*name).to_string(),
                    department_id,
                    business_area_id: area_id,
                },
            )
            .await?;
            for s in 0..3 {
                *person += 1;
                let position = if s == 0 {
                    "窗口负责人"
                } else {
                    POSITIONS[(*person + s) % POSITIONS.len()]
                };
                let id = db::org::staff_create(
                    conn,
                    &a,
                    center_id,
                    &db::org::StaffInput {
                        name: person_name(*person),
                        employee_no: format!(
                            "{}{:04}",
                            prefix.trim_end_matches('-').to_uppercase(),
                            *person
                        ),
                        window_id,
                        position: position.to_string(),
                    },
                )
                .await?;
                // Posted some years ago: the tenure condition has something to check.
                let posted = time::Date::from_calendar_date(
                    2015 + (*person % 9) as i32,
                    time::Month::March,
                    1,
                )?;
                db::org::set_staff_posted_on(conn, &a, center_id, id, Some(posted)).await?;
            }
        }
    }
    let district = if prefix == "dc-" {
        "东城区"
    } else {
        "西城区"
    };
    for (username, display, role) in [
        ("admin", format!("{district}中心系统管理员"), "admin"),
        (
            "ducha",
            format!("{district}中心督查股 {}", person_name(*person + 7)),
            "supervision",
        ),
    ] {
        let input = db::account::AccountInput {
            username: format!("{prefix}{username}"),
            display_name: display,
            role: role.to_string(),
            window_id: None,
            staff_id: None,
            is_group_leader: false,
        };
        db::account::create(conn, &a, center_id, &input, hash, false).await?;
    }
    Ok(center_id)
}

/// The city's round of `year` with SPEC.md's seed conditions and 2 + 2 places a county.
fn round_input(year: i32, deadline: OffsetDateTime, counties: &[(CenterId, String)]) -> RoundInput {
    RoundInput {
        year,
        title: format!("{year}年度全市政务服务优质服务窗口和服务标兵评选"),
        deadline,
        window_brief_limit: 200,
        window_full_limit: 3000,
        staff_brief_limit: 100,
        staff_full_limit: 1500,
        file_count_limit: 10,
        file_size_limit: 5 * 1024 * 1024,
        objection_contact:
            "来信请寄示范市政务服务中心督查科（示范市人民路1号），电话 0000-12345678。".to_string(),
        window_title: "全市优质服务窗口".to_string(),
        staff_title: "全市优秀服务标兵".to_string(),
        quotas: counties.iter().map(|(c, _)| (*c, 2, 2)).collect(),
        conditions: vec![
            (
                Kind::Window,
                "在所属中心年度考核中两次以上被评为优秀窗口单位".to_string(),
                Some(ConditionRule::Honors {
                    min_count: 2,
                    since_year: year - 2,
                }),
            ),
            (Kind::Window, "符合全市评选标准".to_string(), None),
            (
                Kind::Staff,
                "两次以上被评为优秀等次".to_string(),
                Some(ConditionRule::Honors {
                    min_count: 2,
                    since_year: year - 2,
                }),
            ),
            (Kind::Staff, "由中心统一选派到窗口工作".to_string(), None),
            (
                Kind::Staff,
                "在窗口工作两年以上".to_string(),
                Some(ConditionRule::Tenure { years: 2 }),
            ),
            (
                Kind::Staff,
                "目前仍在窗口工作".to_string(),
                Some(ConditionRule::Active),
            ),
            (Kind::Staff, "符合全市评选标准".to_string(), None),
        ],
    }
}

/// The county's first `n` active windows or staff.
async fn entrants(
    conn: &mut PgConnection,
    county: CenterId,
    kind: Kind,
    n: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    let sql = match kind {
        Kind::Window => {
            "select window_id, name from service_window where center_id = $1 and active
             order by length(number), number limit $2"
        }
        Kind::Staff => {
            "select s.staff_id, s.name from staff s where s.center_id = $1 and s.active
               and s.position <> '窗口负责人' order by s.staff_id limit $2"
        }
    };
    sqlx::query_as(sql)
        .bind(county)
        .bind(n)
        .fetch_all(conn)
        .await
}

/// Nominates `n` of each kind of a county: drafted, and submitted when `submit`.
#[allow(clippy::too_many_arguments)]
async fn nominate(
    conn: &mut PgConnection,
    clock: &Clock,
    round: &Round,
    county: CenterId,
    who: &Actor,
    n: i64,
    submit: bool,
    seed: usize,
) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::new();
    for kind in [Kind::Window, Kind::Staff] {
        let conditions = citywide::conditions(conn, round.id, kind).await?;
        for (i, (entrant, name)) in entrants(conn, county, kind, n)
            .await?
            .into_iter()
            .enumerate()
        {
            let briefs = if kind == Kind::Window {
                WINDOW_BRIEFS
            } else {
                STAFF_BRIEFS
            };
            let brief = briefs[(seed + i) % briefs.len()].to_string();
            let input = NominationInput {
                full_text: full_account(&brief, &name),
                brief,
                notes: conditions
                    .iter()
                    .filter(|c| c.rule.is_none())
                    .map(|c| (c.id, format!("经中心审核，{}，详见证明材料。", c.text)))
                    .collect(),
            };
            let id =
                match nomination::create(conn, who, clock, round, county, kind, entrant, &input)
                    .await?
                {
                    Ok(id) => id,
                    Err(r) => anyhow::bail!("demo nomination refused: {r:?}"),
                };
            if submit
                && let Err(r) = nomination::submit(conn, who, clock, round, county, id, 1).await?
            {
                anyhow::bail!("demo submission refused: {r:?}");
            }
            ids.push(id);
        }
    }
    Ok(ids)
}

async fn office(conn: &mut PgConnection, username: &str) -> sqlx::Result<Actor> {
    let (center, id, name): (CenterId, crate::domain::ids::AccountId, String) = sqlx::query_as(
        "select center_id, account_id, display_name from account where username = $1",
    )
    .bind(username)
    .fetch_one(conn)
    .await?;
    Ok(Actor {
        center_id: Some(center),
        account_id: Some(id),
        name: format!("{name}（演示数据）"),
        ip: String::new(),
    })
}

/// Verifies every condition of a nomination and decides it.
async fn review(
    conn: &mut PgConnection,
    city: &Actor,
    round: &Round,
    id: i64,
    decision: &Decision,
) -> anyhow::Result<()> {
    let version: i32 =
        sqlx::query_scalar("select version from nomination where nomination_id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let kind: String = sqlx::query_scalar("select kind from nomination where nomination_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let conditions =
        citywide::conditions(conn, round.id, Kind::parse(&kind).unwrap_or(Kind::Window)).await?;
    let reviews: Vec<_> = conditions.iter().map(|c| (c.id, Some(Ok(())))).collect();
    if let Err(r) =
        citywide::review::review(conn, city, round, id, version, &reviews, Some(decision)).await?
    {
        anyhow::bail!("demo review refused: {r:?}");
    }
    Ok(())
}

async fn reload(conn: &mut PgConnection, city: CenterId, year: i32) -> anyhow::Result<Round> {
    citywide::round_by_year(conn, city, year)
        .await?
        .ok_or_else(|| anyhow::anyhow!("round {year} not found"))
}

/// Loads the city-wide rounds unless they are there.
pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(727103)")
        .execute(&mut *tx)
        .await?;
    let city: CenterId = sqlx::query_scalar("select center_id from center where code = $1")
        .bind(crate::demo::CENTER_CODE)
        .fetch_one(&mut *tx)
        .await?;
    if !citywide::rounds(&mut tx, city).await?.is_empty() {
        tx.commit().await?;
        return Ok(());
    }
    let hash = crate::password::hash(DEMO_PASSWORD.to_string()).await?;
    let mut person = 700;
    for (code, prefix, departments) in COUNTIES {
        build_county(&mut tx, code, prefix, departments, &hash, &mut person).await?;
    }
    let counties = citywide::counties(&mut tx, city).await?;
    let by_code = |code: &str| -> anyhow::Result<CenterId> {
        counties
            .iter()
            .find(|(_, name)| name.contains(code))
            .map(|(id, _)| *id)
            .ok_or_else(|| anyhow::anyhow!("county {code}"))
    };
    let (qingshan, dongcheng, xicheng) = (by_code("青山")?, by_code("东城")?, by_code("西城")?);
    // The county's people were posted some years ago: tenure conditions have a date to read.
    sqlx::query(
        "update staff set posted_on = make_date(2014 + (staff_id % 8)::int, 1 + (staff_id % 12)::int, 1)
         where center_id = $1 and posted_on is null",
    )
    .bind(qingshan)
    .execute(&mut *tx)
    .await?;
    let ducha = office(&mut tx, "ducha").await?;
    let leader = office(&mut tx, "zuzhang").await?;
    let clock = Clock::default();

    // 2025: published. Nominated in November, reviewed, noticed and announced in December.
    let at = |s: &str| -> anyhow::Result<OffsetDateTime> {
        Ok(OffsetDateTime::parse(
            s,
            &time::format_description::well_known::Rfc3339,
        )?)
    };
    clock.set(at("2025-11-10T09:00:00+08:00")?);
    let input = round_input(2025, at("2025-11-28T17:30:00+08:00")?, &counties);
    citywide::open(&mut tx, &ducha, city, &input).await?;
    let round = reload(&mut tx, city, 2025).await?;
    let mut accepted = Vec::new();
    for (county, user, seed) in [
        (qingshan, "qs-ducha", 0),
        (dongcheng, "dc-ducha", 1),
        (xicheng, "xc-ducha", 2),
    ] {
        let who = office(&mut tx, user).await?;
        accepted.extend(nominate(&mut tx, &clock, &round, county, &who, 1, true, seed).await?);
    }
    clock.set(at("2025-12-01T09:00:00+08:00")?);
    citywide::review::advance(
        &mut tx,
        &ducha,
        &round,
        RoundPhase::Nomination,
        clock.now(),
        None,
    )
    .await?
    .map_err(|r| anyhow::anyhow!("{r:?}"))?;
    let round = reload(&mut tx, city, 2025).await?;
    for id in &accepted {
        review(&mut tx, &ducha, &round, *id, &Decision::Accept).await?;
    }
    let notice = (
        time::Date::from_calendar_date(2025, time::Month::December, 8)?,
        time::Date::from_calendar_date(2025, time::Month::December, 12)?,
    );
    citywide::review::advance(
        &mut tx,
        &ducha,
        &round,
        RoundPhase::Review,
        clock.now(),
        Some(notice),
    )
    .await?
    .map_err(|r| anyhow::anyhow!("{r:?}"))?;
    let round = reload(&mut tx, city, 2025).await?;
    clock.set(at("2025-12-09T10:20:00+08:00")?);
    let praise = FeedbackInput {
        nomination_id: accepted[0],
        body: "我在这个窗口办过户口迁移，工作人员耐心细致，一次就办好了。".to_string(),
        real_name: "周建国".to_string(),
        telephone: "13900000001".to_string(),
    };
    citywide::feedback::submit_public(&mut tx, &round, &praise, "10.20.3.15", clock.now()).await?;
    let complaint = FeedbackInput {
        nomination_id: accepted[1],
        body: "反映该同志上月曾让我跑了两趟。".to_string(),
        real_name: "孙丽".to_string(),
        telephone: "13700000002".to_string(),
    };
    citywide::feedback::submit_public(&mut tx, &round, &complaint, "10.20.7.41", clock.now())
        .await?;
    let letter = FeedbackInput {
        nomination_id: accepted[2],
        body: "来信表扬该窗口延时服务，为企业解决了急事。".to_string(),
        real_name: String::new(),
        telephone: String::new(),
    };
    citywide::feedback::record(
        &mut tx,
        &ducha,
        &round,
        FeedbackSource::Letter,
        "市长信箱转来",
        &letter,
    )
    .await?;
    for (i, f) in citywide::feedback::list(&mut tx, round.id)
        .await?
        .iter()
        .enumerate()
    {
        let (answer, note) = if i == 1 {
            (
                FeedbackAnswer::Unfounded,
                "经调阅办件记录和监控，当日系群众材料不全，窗口已一次性告知，不存在推诿，反映不实。",
            )
        } else {
            (
                FeedbackAnswer::Unrelated,
                "表扬意见，已转该中心，与评选资格无关。",
            )
        };
        citywide::feedback::answer(&mut tx, &ducha, round.id, f.id, answer, note).await?;
    }
    clock.set(at("2025-12-15T09:00:00+08:00")?);
    citywide::review::advance(
        &mut tx,
        &ducha,
        &round,
        RoundPhase::Notice,
        clock.now(),
        None,
    )
    .await?
    .map_err(|r| anyhow::anyhow!("{r:?}"))?;
    let round = reload(&mut tx, city, 2025).await?;
    citywide::honors::publish(&mut tx, &leader, &round)
        .await?
        .map_err(|r| anyhow::anyhow!("{r:?}"))?;

    // 2026: open, the deadline five days ahead (by the real clock).
    let now = OffsetDateTime::now_utc();
    clock.set(now - Duration::days(10));
    let deadline = (now + Duration::days(5))
        .to_offset(time::macros::offset!(+8))
        .replace_time(time::macros::time!(17:30));
    let input = round_input(
        now.to_offset(time::macros::offset!(+8)).year(),
        deadline,
        &counties,
    );
    let year = input.year;
    citywide::open(&mut tx, &ducha, city, &input).await?;
    let round = reload(&mut tx, city, year).await?;
    let qs = office(&mut tx, "qs-ducha").await?;
    nominate(&mut tx, &clock, &round, qingshan, &qs, 2, true, 0).await?;
    let dc = office(&mut tx, "dc-ducha").await?;
    let dongcheng_ids = nominate(&mut tx, &clock, &round, dongcheng, &dc, 2, true, 1).await?;
    let xc = office(&mut tx, "xc-ducha").await?;
    nominate(&mut tx, &clock, &round, xicheng, &xc, 1, false, 2).await?;
    // The city looked at 东城区's early and sent one back, with a later deadline of its own.
    review(
        &mut tx,
        &ducha,
        &round,
        dongcheng_ids[0],
        &Decision::Return {
            reason: "正版事迹中“全年办件”数据未注明来源，请补充统计口径后重新提交。".to_string(),
            deadline: deadline + Duration::days(2),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
