//! The demo's county center, 青山县, which runs the monthly and annual awards instead of the
//! quarterly one: every month of 2026 to October published (two ties at the boundary
//! decided by the group leader, one veto), November open with its scores half entered, and
//! the 2025 annual comprehensive evaluation published with its ballots and ratings. Its
//! accounts carry the prefix `qs-`. Loaded once; loading again changes nothing.

use sqlx::{PgConnection, PgPool};

use crate::db::{self, Actor, org::Catalog};
use crate::demo::{DEMO_PASSWORD, POSITIONS, person_name};
use crate::demo_rounds::{
    Org, Rng, actor, confirm, decide_and_publish, imported, open_period, org, vote_and_rate,
};
use crate::domain::ids::{CenterId, Entrant, StaffId, WindowId};
use crate::domain::period::PeriodKind;
use crate::domain::veto::VetoCode;

pub const CODE: &str = "shifan-qingshan";
pub const PREFIX: &str = "qs-";
/// The months published, and the month still open.
pub const LAST_PUBLISHED: &str = "2026-10";
pub const OPEN: &str = "2026-11";
/// Months whose window award had a tie at the boundary for the group leader to decide.
const TIED_MONTHS: [usize; 2] = [2, 6];

/// (department, business area, windows)
const DEPARTMENTS: &[(&str, &str, &[&str])] = &[
    ("县公安局", "公安户政", &["户籍"]),
    ("县税务局", "税务", &["办税综合"]),
    ("县市场监管局", "企业开办", &["企业登记"]),
    ("县不动产登记中心", "不动产", &["不动产登记"]),
    ("县人力资源和社会保障局", "社保医保", &["社保参保"]),
    ("县医疗保障局", "社保医保", &["医保经办"]),
    ("县民政局", "民生服务", &["婚姻登记"]),
    ("县政务服务中心", "综合受理", &["综合受理"]),
];

/// Builds the county's departments, windows, staff and accounts.
async fn build(conn: &mut PgConnection, center_id: CenterId) -> anyhow::Result<()> {
    let a = Actor {
        center_id: Some(center_id),
        account_id: None,
        name: "演示数据".to_string(),
        ip: String::new(),
    };
    db::scheme::ensure_default_schemes(conn, &a, center_id).await?;
    // The county runs the monthly and annual awards, not the quarterly one.
    for s in db::scheme::schemes(conn, center_id).await? {
        if s.period_kind == PeriodKind::Quarter {
            db::scheme::set_active(conn, &a, center_id, s.scheme_id, false).await?;
        }
    }
    let hash = crate::password::hash(DEMO_PASSWORD.to_string()).await?;
    let mut areas: Vec<(&str, i64)> = Vec::new();
    let mut heads = Vec::new();
    let mut staff = Vec::new();
    let mut person = 400;
    for (d, (dept, area, windows)) in DEPARTMENTS.iter().enumerate() {
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
            let number = heads.len() + 1;
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
            for s in 0..4 + number % 3 {
                person += 1;
                let position = if s == 0 {
                    "窗口负责人"
                } else {
                    POSITIONS[(person + s) % POSITIONS.len()]
                };
                let name = person_name(person);
                let id = db::org::staff_create(
                    conn,
                    &a,
                    center_id,
                    &db::org::StaffInput {
                        name: name.clone(),
                        employee_no: format!("QS{person:04}"),
                        window_id,
                        position: position.to_string(),
                    },
                )
                .await?;
                if s == 0 {
                    heads.push((number, window_id, name.clone()));
                }
                staff.push((id, name));
            }
        }
    }
    let mut create = async |username: String,
                            display: &str,
                            role: &str,
                            window: Option<WindowId>,
                            staff: Option<StaffId>,
                            leader: bool| {
        let input = db::account::AccountInput {
            username: format!("{PREFIX}{username}"),
            display_name: display.to_string(),
            role: role.to_string(),
            window_id: window,
            staff_id: staff,
            is_group_leader: leader,
        };
        db::account::create(conn, &a, center_id, &input, &hash, false).await
    };
    create(
        "admin".into(),
        "县中心系统管理员",
        "admin",
        None,
        None,
        false,
    )
    .await?;
    create(
        "ducha".into(),
        "县中心督查股 姚丽",
        "supervision",
        None,
        None,
        false,
    )
    .await?;
    for (username, name, leader) in [
        ("zuzhang", "县中心主任 邓志刚", true),
        ("fuzuzhang", "县中心副主任 蒋雯", false),
        ("duchagu", "督查股股长 石磊", false),
    ] {
        create(username.into(), name, "leadership", None, None, leader).await?;
    }
    for (number, window_id, name) in &heads {
        create(
            format!("head{number:02}"),
            name,
            "window_head",
            Some(*window_id),
            None,
            false,
        )
        .await?;
    }
    let (id, name) = &staff[1];
    create("staff002".into(), name, "staff", None, Some(*id), false).await?;
    Ok(())
}

/// Scores of `month` (index `m` in its year): the month's three leading windows and two
/// leading staff are clear, except in the tied months, where the third window ties the
/// second.
async fn month_scores(
    conn: &mut PgConnection,
    org: &Org,
    month: &str,
    m: usize,
    rng: &mut Rng,
    staff_too: bool,
) -> sqlx::Result<()> {
    let n = org.windows.len();
    let (first, second, third) = (m % n, (m + 3) % n, (m + 5) % n);
    let windows: Vec<(i64, i64)> = org
        .windows
        .iter()
        .enumerate()
        .map(|(i, (id, _))| {
            let v = if i == first {
                9900
            } else if i == second || (i == third && TIED_MONTHS.contains(&m)) {
                9800
            } else if i == third {
                9700
            } else {
                9000 + 50 * rng.below(12) as i64
            };
            (*id, v)
        })
        .collect();
    let k = org.staff.len();
    let staff: Vec<(i64, i64)> = org
        .staff
        .iter()
        .enumerate()
        .map(|(i, (id, _))| {
            let v = if i == (m * 7) % k {
                9950
            } else if i == (m * 7 + 3) % k {
                9900
            } else {
                9000 + 50 * rng.below(18) as i64
            };
            (*id, v)
        })
        .collect();
    let mut kinds = vec![("window_id", windows)];
    if staff_too {
        kinds.push(("staff_id", staff));
    }
    for (column, rows) in kinds {
        let (ids, values): (Vec<i64>, Vec<i64>) = rows.into_iter().unzip();
        sqlx::query(&format!(
            "insert into monthly_score (center_id, month, {column}, score, updated_by)
             select $1, $2, unnest($3::bigint[]), unnest($4::bigint[]) / 100.0, $5"
        ))
        .bind(org.center_id)
        .bind(month)
        .bind(&ids)
        .bind(&values)
        .bind(org.ducha)
        .execute(&mut *conn)
        .await?;
        imported(conn, org, "monthly_score", month, ids.len()).await?;
    }
    Ok(())
}

/// A monthly award from its scores to publication, on the 8th of the next month.
async fn month_award(
    conn: &mut PgConnection,
    org: &Org,
    month: &str,
    veto: Option<Entrant>,
) -> anyhow::Result<()> {
    let p = open_period(conn, org, month).await?;
    let ducha = actor(org, org.ducha, "督查股");
    if let Some(entrant) = veto {
        db::veto::veto_create(
            conn,
            &ducha,
            org.center_id,
            p.period_id,
            &db::veto::VetoInput {
                entrant,
                code: VetoCode::OverdueCase,
                occurred_on: time::Date::from_calendar_date(2026, time::Month::May, 19)?,
                description: "5月19日一件社保关系转移超期1个工作日办结，经核实系窗口原因".into(),
                evidence: "督查股办件监察记录".into(),
            },
        )
        .await?;
    }
    confirm(conn, org, &p, "review").await?;
    let next = crate::domain::period::shift_month(month, 1);
    let (y, mo) = (next[..4].parse::<i32>()?, next[5..].parse::<u8>()?);
    let date = time::Date::from_calendar_date(y, time::Month::try_from(mo)?, 8)?;
    let at = date
        .with_hms(10, 0, 0)?
        .assume_offset(time::macros::offset!(+8));
    decide_and_publish(
        conn,
        org,
        &p,
        "领导小组审定：两窗口本月考核同分，选定群众表扬更多的窗口",
        at,
    )
    .await
}

/// Loads the county's organisation and rounds unless they are there.
pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(727102)")
        .execute(&mut *tx)
        .await?;
    let center_id: CenterId = sqlx::query_scalar("select center_id from center where code = $1")
        .bind(CODE)
        .fetch_one(&mut *tx)
        .await?;
    let built: bool =
        sqlx::query_scalar("select exists(select 1 from service_window where center_id = $1)")
            .bind(center_id)
            .fetch_one(&mut *tx)
            .await?;
    if built {
        tx.commit().await?;
        return Ok(());
    }
    build(&mut tx, center_id).await?;
    let org = org(&mut tx, center_id, PREFIX).await?;
    let mut rng = Rng(13);

    // 2025: twelve months scored, the annual evaluation with its ballots and ratings.
    let months_2025: Vec<String> = (1..=12).map(|m| format!("2025-{m:02}")).collect();
    for (m, month) in months_2025.iter().enumerate() {
        month_scores(&mut tx, &org, month, m, &mut rng, true).await?;
    }
    let year = open_period(&mut tx, &org, "2025").await?;
    let (ids, days): (Vec<i64>, Vec<i32>) = org
        .staff
        .iter()
        .enumerate()
        .map(|(i, (id, _))| {
            (
                *id,
                if i == 5 {
                    221
                } else {
                    242 + rng.below(8) as i32
                },
            )
        })
        .unzip();
    sqlx::query(
        "insert into duty_days (center_id, period_id, staff_id, days, updated_by)
         select $1, $2, unnest($3::bigint[]), unnest($4::int[]), $5",
    )
    .bind(center_id)
    .bind(year.period_id)
    .bind(&ids)
    .bind(&days)
    .bind(org.ducha)
    .execute(&mut *tx)
    .await?;
    imported(&mut tx, &org, "duty_days", "2025", ids.len()).await?;
    let snapshot = confirm(&mut tx, &org, &year, "voting").await?;
    vote_and_rate(&mut tx, &org, &year, &snapshot, 13).await?;
    decide_and_publish(
        &mut tx,
        &org,
        &year,
        "领导小组审定：结合全年群众评价选定",
        time::macros::datetime!(2026-01-20 10:00 +8),
    )
    .await?;

    // 2026: each month to October scored and awarded; May's leading window vetoed.
    let mut month = "2026-01".to_string();
    let mut m = 0;
    while month.as_str() <= LAST_PUBLISHED {
        month_scores(&mut tx, &org, &month, m, &mut rng, true).await?;
        let veto = (month == "2026-05").then(|| {
            let (id, _) = org.windows[m % org.windows.len()];
            Entrant::Window(WindowId(id))
        });
        month_award(&mut tx, &org, &month, veto).await?;
        month = crate::domain::period::shift_month(&month, 1);
        m += 1;
    }
    // November: open, the windows scored, the staff not yet.
    month_scores(&mut tx, &org, OPEN, m, &mut rng, false).await?;
    open_period(&mut tx, &org, OPEN).await?;
    tx.commit().await?;
    tracing::info!("demo county loaded: {LAST_PUBLISHED} published, {OPEN} open");
    Ok(())
}
