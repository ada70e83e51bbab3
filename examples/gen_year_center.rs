//! The center of `benches/year_pages.sh`: 300 windows and 1,000 staff with two years of
//! monthly scores (2025-01 to 2026-12, from 85 to 99.5 in half points, as offices deduct),
//! every month's award published, and accounts
//! `bench-ducha` (supervision office), `bench-zuzhang` (group leader) and `bench-staff`
//! (the first staff member). Loads once into `DATABASE_URL`.
//!
//! `cargo run --release --example gen_year_center`

use pingxuan::db::{self, Actor};
use pingxuan::domain::ids::CenterId;
use pingxuan::domain::period::shift_month;
use sqlx::PgPool;

const CODE: &str = "bench";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").ok();
    let pool = db::connect(url.as_deref(), 4).await?;
    db::migrate(&pool).await?;
    if sqlx::query_scalar::<_, i64>("select count(*) from center where code = $1")
        .bind(CODE)
        .fetch_one(&pool)
        .await?
        > 0
    {
        println!("center {CODE} is there already");
        return Ok(());
    }
    let started = std::time::Instant::now();
    org(&pool).await?;
    let center_id: CenterId = sqlx::query_scalar("select center_id from center where code = $1")
        .bind(CODE)
        .fetch_one(&pool)
        .await?;
    let mut month = "2025-01".to_string();
    while month.as_str() <= "2026-12" {
        award(&pool, center_id, &month).await?;
        month = shift_month(&month, 1);
    }
    println!(
        "center {CODE}: 300 windows, 1000 staff, 24 months published in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The organisation and the scores, in bulk.
async fn org(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let center_id: CenterId = sqlx::query_scalar(
        "insert into center (code, name) values ($1, '基准测试政务服务中心') returning center_id",
    )
    .bind(CODE)
    .fetch_one(&mut *tx)
    .await?;
    let actor = Actor {
        center_id: Some(center_id),
        account_id: None,
        name: "基准测试数据".into(),
        ip: String::new(),
    };
    db::scheme::ensure_default_schemes(&mut tx, &actor, center_id).await?;
    for sql in [
        "insert into business_area (center_id, name, sort_order) select $1, '业务范围' || n, n from generate_series(1, 8) n",
        "insert into department (center_id, name, sort_order) select $1, '进驻单位' || n, n from generate_series(1, 30) n",
        "insert into service_window (center_id, number, name, department_id, business_area_id)
         select $1, n::text, '窗口' || n,
                (select department_id from department where center_id = $1 order by department_id offset (n % 30) limit 1),
                (select business_area_id from business_area where center_id = $1 order by business_area_id offset (n % 8) limit 1)
         from generate_series(1, 300) n",
        "insert into staff (center_id, name, employee_no, window_id, position)
         select $1, '工作人员' || n, 'B' || lpad(n::text, 5, '0'),
                (select window_id from service_window where center_id = $1 order by window_id offset ((n - 1) % 300) limit 1),
                '综合受理员'
         from generate_series(1, 1000) n",
        "insert into monthly_score (center_id, month, window_id, score)
         select $1, to_char(date '2025-01-01' + make_interval(months => m), 'YYYY-MM'), w.window_id,
                85 + ((w.window_id * 7 + m * 13) % 30) / 2.0
         from service_window w, generate_series(0, 23) m where w.center_id = $1",
        "insert into monthly_score (center_id, month, staff_id, score)
         select $1, to_char(date '2025-01-01' + make_interval(months => m), 'YYYY-MM'), s.staff_id,
                85 + ((s.staff_id * 11 + m * 17) % 30) / 2.0
         from staff s, generate_series(0, 23) m where s.center_id = $1",
    ] {
        sqlx::query(sql).bind(center_id).execute(&mut *tx).await?;
    }
    let hash = pingxuan::password::hash(pingxuan::demo::DEMO_PASSWORD.to_string()).await?;
    let first_staff: i64 =
        sqlx::query_scalar("select min(staff_id) from staff where center_id = $1")
            .bind(center_id)
            .fetch_one(&mut *tx)
            .await?;
    for (username, role, staff, leader) in [
        ("bench-ducha", "supervision", None, false),
        ("bench-zuzhang", "leadership", None, true),
        ("bench-staff", "staff", Some(first_staff), false),
    ] {
        let input = db::account::AccountInput {
            username: username.into(),
            display_name: username.into(),
            role: role.into(),
            window_id: None,
            staff_id: staff.map(pingxuan::domain::ids::StaffId),
            is_group_leader: leader,
        };
        db::account::create(&mut tx, &actor, center_id, &input, &hash, false).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One month's award, from its scores to publication.
async fn award(pool: &PgPool, center_id: CenterId, month: &str) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let org = pingxuan::demo_rounds::org(&mut tx, center_id, "bench-").await?;
    let p = pingxuan::demo_rounds::open_period(&mut tx, &org, month).await?;
    pingxuan::demo_rounds::confirm(&mut tx, &org, &p, "review").await?;
    pingxuan::demo_rounds::decide_and_publish(
        &mut tx,
        &org,
        &p,
        "基准测试：并列时取第一个",
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
