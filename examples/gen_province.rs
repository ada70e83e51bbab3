//! A province in one database, for load tests (benches/province.sh): 16 city centers, each
//! with 10 county centers (176 in all), 30,000 windows and 150,000 staff, a window head
//! account for every window, 24 months of scores for everyone (2025-01 to 2026-12), a
//! published 2026-Q2 in every city (ballots and ratings included), 2026-Q3 open for voting
//! in the largest city, and 1,000,000 audit-log rows in that city's office.
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/pingxuan_province \
//!     cargo run --release --example gen_province
//! ```
//!
//! Rows are written with SQL in bulk (this is load-test data, not a test of the forms); the
//! periods go through the same functions as the demo's. Every account's password is
//! `pingxuan2026`. The largest city is `p01` (1,200 windows, 6,000 staff); its office signs
//! in as `p01-ducha`, its heads as `p01-h1` … `p01-h1200`.

use pingxuan::db;
use pingxuan::db::audit::Actor;
use pingxuan::domain::ids::CenterId;
use std::time::Instant;

const CITIES: &[&str] = &[
    "江城", "临海", "青州", "云阳", "安平", "东平", "西林", "南川", "北山", "长宁", "永和", "清河",
    "宁远", "丰泽", "华阳", "定远",
];

/// Windows of each center: the capital 1,200, the other cities 500, the counties the rest
/// (133 or 134), 30,000 in all.
fn windows_of(city: usize, county: Option<usize>) -> i64 {
    match county {
        None if city == 0 => 1200,
        None => 500,
        Some(k) => 133 + i64::from(city * 10 + k < 20),
    }
}

async fn exec(conn: &mut sqlx::PgConnection, what: &str, sql: &str) -> anyhow::Result<()> {
    let t = Instant::now();
    let done = sqlx::query(sql).execute(conn).await?;
    println!(
        "{what}: {} rows in {:.1} s",
        done.rows_affected(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/pingxuan_province".into());
    let pool = db::connect(Some(&url), 4).await?;
    db::migrate(&pool).await?;
    let centers: i64 = sqlx::query_scalar("select count(*) from center")
        .fetch_one(&pool)
        .await?;
    if centers > 0 {
        anyhow::bail!("the database already holds {centers} centers; give an empty one");
    }
    let started = Instant::now();
    let hash = pingxuan::password::hash_blocking(pingxuan::demo::DEMO_PASSWORD)?;

    // Centers, with their default schemes.
    let mut ids: Vec<(CenterId, String)> = Vec::new();
    for (c, city) in CITIES.iter().enumerate() {
        let code = format!("p{:02}", c + 1);
        let id: CenterId = sqlx::query_scalar(
            "insert into center (code, name) values ($1, $2) returning center_id",
        )
        .bind(&code)
        .bind(format!("{city}市政务服务中心"))
        .fetch_one(&pool)
        .await?;
        ids.push((id, code.clone()));
        for k in 0..10 {
            let county = format!("{code}-{:02}", k + 1);
            let kid: CenterId = sqlx::query_scalar(
                "insert into center (code, name, parent_center_id) values ($1, $2, $3)
                 returning center_id",
            )
            .bind(&county)
            .bind(format!("{city}市第{}县政务服务中心", k + 1))
            .bind(id)
            .fetch_one(&pool)
            .await?;
            ids.push((kid, county));
        }
    }
    // One connection for everything, without the server's statement timeout.
    let mut conn = pool.acquire().await?;
    sqlx::query("set statement_timeout = 0")
        .execute(&mut *conn)
        .await?;
    for (id, _) in &ids {
        let actor = Actor {
            center_id: Some(*id),
            account_id: None,
            name: "省级数据生成".into(),
            ip: String::new(),
        };
        db::scheme::ensure_default_schemes(&mut conn, &actor, *id).await?;
    }
    let sizes: Vec<String> = ids
        .iter()
        .map(|(id, code)| {
            let city = code[1..3].parse::<usize>().unwrap_or(1) - 1;
            let county = code
                .get(4..)
                .and_then(|k| k.parse::<usize>().ok())
                .map(|k| k - 1);
            format!("({}, {})", id.0, windows_of(city, county))
        })
        .collect();
    let sizes = sizes.join(",");
    println!("{} centers", ids.len());

    exec(
        &mut conn,
        "departments",
        "insert into department (center_id, name, sort_order)
         select c.center_id, '进驻单位' || d, d from center c, generate_series(1, 12) d",
    )
    .await?;
    exec(
        &mut conn,
        "business areas",
        "insert into business_area (center_id, name, sort_order)
         select c.center_id, '业务范围' || b, b from center c, generate_series(1, 8) b",
    )
    .await?;
    exec(
        &mut conn,
        "windows",
        &format!(
            "insert into service_window (center_id, number, name, department_id, business_area_id)
             select s.id, n::text, '综合受理' || n || '号窗口',
                    (select department_id from department d where d.center_id = s.id
                      order by sort_order offset (n % 12) limit 1),
                    (select business_area_id from business_area b where b.center_id = s.id
                      order by sort_order offset (n % 8) limit 1)
               from (values {sizes}) s(id, n_windows), generate_series(1, s.n_windows) n"
        ),
    )
    .await?;
    exec(
        &mut conn,
        "staff",
        "insert into staff (center_id, name, employee_no, window_id, position)
         select w.center_id,
                (array['王','李','张','刘','陈','杨','赵','黄','周','吴'])[1 + (w.window_id * 5 + k) % 10]
                  || (array['明','华','芳','静','磊','洋','艳','勇','军','敏','杰','娟'])[1 + (w.window_id + k * 7) % 12]
                  || (array['','丽','强','伟','霞'])[1 + k % 5],
                'E' || lpad((w.number::int * 5 + k)::text, 6, '0'), w.window_id,
                case when k = 0 then '窗口负责人' else '窗口工作人员' end
           from service_window w, generate_series(0, 4) k",
    )
    .await?;
    // Accounts: per center an administrator, the supervision office and a leadership group
    // of six (the first its leader); a head for every window.
    let accounts = format!(
        "insert into account (center_id, username, display_name, password_hash, role,
                              is_group_leader, must_change_password)
         select c.center_id, c.code || '-admin', '系统管理员', '{hash}', 'admin', false, false
           from center c
         union all
         select c.center_id, c.code || '-ducha', '督查科', '{hash}', 'supervision', false, false
           from center c
         union all
         select c.center_id, c.code || '-ld' || g, '领导小组成员' || g, '{hash}', 'leadership',
                g = 1, false
           from center c, generate_series(1, 6) g"
    );
    exec(&mut conn, "office and leadership accounts", &accounts).await?;
    exec(
        &mut conn,
        "window head accounts",
        &format!(
            "insert into account (center_id, username, display_name, password_hash, role,
                                  window_id, must_change_password)
             select w.center_id, c.code || '-h' || w.number, w.number || '号窗口负责人', '{hash}',
                    'window_head', w.window_id, false
               from service_window w join center c using (center_id)"
        ),
    )
    .await?;
    // 24 months of scores: windows between 80 and 99.75, staff between 85 and 99.5.
    exec(
        &mut conn,
        "window scores",
        "insert into monthly_score (center_id, month, window_id, score)
         select w.center_id, to_char(date '2025-01-01' + (m || ' month')::interval, 'YYYY-MM'),
                w.window_id, 80 + (w.window_id * 7 + m * 13) % 20 + ((w.window_id + m) % 4) * 0.25
           from service_window w, generate_series(0, 23) m",
    )
    .await?;
    exec(
        &mut conn,
        "staff scores",
        "insert into monthly_score (center_id, month, staff_id, score)
         select s.center_id, to_char(date '2025-01-01' + (m || ' month')::interval, 'YYYY-MM'),
                s.staff_id, 85 + (s.staff_id * 11 + m * 7) % 14 + ((s.staff_id + m) % 2) * 0.5
           from staff s, generate_series(0, 23) m",
    )
    .await?;

    // Every city publishes 2026-Q2 (every head votes, every member rates); the capital
    // also opens 2026-Q3 for voting, with nobody voted yet.
    for (id, code) in ids.iter().filter(|(_, c)| c.len() == 3) {
        let t = Instant::now();
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let org = pingxuan::demo_rounds::org(&mut tx, *id, &format!("{code}-")).await?;
        let periods: &[&str] = if code == "p01" {
            &["2026-Q2", "2026-Q3"]
        } else {
            &["2026-Q2"]
        };
        for period in periods {
            let p = pingxuan::demo_rounds::open_period(&mut tx, &org, period).await?;
            sqlx::query(
                "insert into duty_days (center_id, period_id, staff_id, days)
                 select center_id, $2, staff_id, 55 + staff_id % 9 from staff where center_id = $1",
            )
            .bind(id)
            .bind(p.period_id)
            .execute(&mut *tx)
            .await?;
            let snapshot = pingxuan::demo_rounds::confirm(&mut tx, &org, &p, "voting").await?;
            if *period == "2026-Q2" {
                pingxuan::demo_rounds::vote_and_rate(&mut tx, &org, &p, &snapshot, 7).await?;
                pingxuan::demo_rounds::decide_and_publish(
                    &mut tx,
                    &org,
                    &p,
                    "领导小组审定：综合考虑群众评价，选定该对象",
                    time::macros::datetime!(2026-07-10 10:00 +8),
                )
                .await?;
            }
        }
        tx.commit().await?;
        println!("{code}: {periods:?} in {:.1} s", t.elapsed().as_secs_f64());
    }

    // The capital's audit log: a million rows of an office's ordinary work over two years.
    exec(
        &mut conn,
        "audit log of p01",
        "insert into audit_log (center_id, actor_account_id, actor_name, at, action, entity,
                                entity_id, before, after, ip)
         select c.center_id, a.account_id, '督查科',
                timestamptz '2025-01-02 09:00+08' + (g * interval '55 seconds'),
                (array['score.update','score.update','score.update','duty_days.update',
                       'login.success','veto.create'])[1 + g % 6],
                (array['monthly_score','monthly_score','monthly_score','duty_days','account',
                       'veto'])[1 + g % 6],
                (g % 6000)::text,
                jsonb_build_object('score', 90 + g % 10), jsonb_build_object('score', 91 + g % 9),
                '10.1.' || (g % 250) || '.' || (g % 200)
           from center c join account a on a.center_id = c.center_id and a.role = 'supervision',
                generate_series(1, 1000000) g
          where c.code = 'p01'",
    )
    .await?;
    // As autovacuum leaves a database that has run for a while: statistics, and the
    // visibility map that lets index-only scans skip the heap.
    exec(&mut conn, "vacuum analyze", "vacuum analyze").await?;
    let size: String =
        sqlx::query_scalar("select pg_size_pretty(pg_database_size(current_database()))")
            .fetch_one(&mut *conn)
            .await?;
    println!(
        "province generated in {:.0} s; database size {size}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
