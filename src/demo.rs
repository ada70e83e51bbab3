//! The demo center: a believable 市民之家 with its departments, windows, staff and an
//! account for every role, ready to use. Loading it twice changes nothing.

use crate::domain::ids::{CenterId, StaffId, WindowId};
use sqlx::PgPool;

use crate::db::{self, Actor, org::Catalog};

/// The one password of every demo account (demo only; printed at start-up).
pub const DEMO_PASSWORD: &str = "pingxuan2026";
pub const CENTER_CODE: &str = "shifan";
const CENTER_NAME: &str = "示范市政务服务中心";
const COUNTY_CENTERS: &[(&str, &str)] = &[
    ("shifan-dongcheng", "示范市东城区政务服务中心"),
    ("shifan-xicheng", "示范市西城区政务服务中心"),
    ("shifan-qingshan", "示范市青山县政务服务中心"),
];

const AREAS: &[&str] = &[
    "企业开办",
    "不动产",
    "社保医保",
    "公安户政",
    "税务",
    "工程建设",
    "民生服务",
    "综合受理",
];

/// (department, business area, window names)
const DEPARTMENTS: &[(&str, &str, &[&str])] = &[
    ("公安局", "公安户政", &["户籍", "出入境", "交管车驾管"]),
    ("税务局", "税务", &["办税综合", "办税综合", "发票领用"]),
    (
        "市场监管局",
        "企业开办",
        &["企业登记", "企业登记", "食品经营许可"],
    ),
    (
        "不动产登记中心",
        "不动产",
        &["不动产登记", "不动产登记", "不动产登记"],
    ),
    (
        "人力资源和社会保障局",
        "社保医保",
        &["社保参保", "就业创业"],
    ),
    ("医疗保障局", "社保医保", &["医保经办", "医保经办"]),
    (
        "住房公积金管理中心",
        "民生服务",
        &["公积金提取", "公积金贷款"],
    ),
    ("民政局", "民生服务", &["婚姻登记"]),
    ("住房和城乡建设局", "工程建设", &["施工许可"]),
    ("交通运输局", "工程建设", &["道路运输"]),
    ("卫生健康委", "民生服务", &["医师执业"]),
    ("自然资源和规划局", "工程建设", &["规划许可"]),
    (
        "综合受理",
        "综合受理",
        &[
            "综合受理",
            "综合受理",
            "综合受理",
            "综合受理",
            "咨询导办",
            "帮办代办",
        ],
    ),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高",
];
const GIVEN: &[&str] = &[
    "芳", "静", "伟", "敏", "磊", "丽", "强", "洁", "军", "婷", "晓燕", "建华", "志勇", "海燕",
    "秀英", "国庆", "春梅", "文博", "子涵", "雨欣", "思远", "佳怡", "明轩", "欣然", "浩然", "晨曦",
    "立新", "红霞", "玉兰", "俊杰", "慧敏", "振华", "桂芳", "宏伟", "雪梅", "凯", "琳", "鹏", "倩",
    "涛",
];
pub(crate) const POSITIONS: &[&str] = &["综合受理员", "审批员", "收件员", "出件员", "综合受理员"];

/// A demo account as printed at start-up.
pub struct DemoAccount {
    pub role: &'static str,
    pub username: String,
    pub display_name: String,
    pub note: String,
}

/// The i-th plausible name: surname and given name cycled so that no two repeat.
pub(crate) fn person_name(i: usize) -> String {
    let s = SURNAMES[i % SURNAMES.len()];
    let g = GIVEN[(i * 7 + i / SURNAMES.len()) % GIVEN.len()];
    format!("{s}{g}")
}

/// Loads the demo center unless it is there already; returns the accounts to print.
pub async fn load(pool: &PgPool) -> anyhow::Result<Vec<DemoAccount>> {
    let mut tx = pool.begin().await?;
    // Serialise concurrent loaders: the second waits and then finds the center.
    sqlx::query("select pg_advisory_xact_lock(727100)")
        .execute(&mut *tx)
        .await?;
    let existing: Option<i64> = sqlx::query_scalar("select center_id from center where code = $1")
        .bind(CENTER_CODE)
        .fetch_optional(&mut *tx)
        .await?;
    if existing.is_some() {
        tx.commit().await?;
        return accounts(pool).await;
    }
    let center_id: CenterId =
        sqlx::query_scalar("insert into center (code, name) values ($1, $2) returning center_id")
            .bind(CENTER_CODE)
            .bind(CENTER_NAME)
            .fetch_one(&mut *tx)
            .await?;
    for (code, name) in COUNTY_CENTERS {
        sqlx::query("insert into center (code, name, parent_center_id) values ($1, $2, $3)")
            .bind(code)
            .bind(name)
            .bind(center_id)
            .execute(&mut *tx)
            .await?;
    }
    let actor = Actor {
        center_id: Some(center_id),
        account_id: None,
        name: "演示数据".to_string(),
        ip: String::new(),
    };
    db::scheme::ensure_default_schemes(&mut tx, &actor, center_id).await?;
    let hash = crate::password::hash(DEMO_PASSWORD.to_string()).await?;

    let mut area_ids = Vec::new();
    for (i, name) in AREAS.iter().enumerate() {
        let input = db::org::CatalogInput {
            name: (*name).to_string(),
            sort_order: (i as i32 + 1) * 10,
        };
        area_ids.push((
            *name,
            db::org::catalog_create(&mut tx, Catalog::BusinessArea, &actor, center_id, &input)
                .await?,
        ));
    }
    let mut number = 0;
    let mut person = 0;
    let mut heads = Vec::new();
    let mut staff_ids = Vec::new();
    for (d, (dept, area, windows)) in DEPARTMENTS.iter().enumerate() {
        let input = db::org::CatalogInput {
            name: (*dept).to_string(),
            sort_order: (d as i32 + 1) * 10,
        };
        let department_id =
            db::org::catalog_create(&mut tx, Catalog::Department, &actor, center_id, &input)
                .await?;
        let business_area_id = area_ids
            .iter()
            .find(|(n, _)| n == area)
            .map(|(_, id)| *id)
            .expect("area listed");
        let same_name = windows.iter().filter(|w| **w == windows[0]).count() > 1;
        for (k, wname) in windows.iter().enumerate() {
            number += 1;
            let repeated = windows.iter().filter(|w| *w == wname).count() > 1;
            let name = if repeated || (same_name && k == 0) {
                let nth = windows[..=k].iter().filter(|w| *w == wname).count();
                format!("{wname}{nth}号")
            } else {
                (*wname).to_string()
            };
            let window_id = db::org::window_create(
                &mut tx,
                &actor,
                center_id,
                &db::org::WindowInput {
                    number: number.to_string(),
                    name,
                    department_id,
                    business_area_id,
                },
            )
            .await?;
            // Four to six people a window; the first is the window head.
            let size = 4 + (number % 3);
            for s in 0..size {
                person += 1;
                let position = if s == 0 {
                    "窗口负责人"
                } else if s == 1 && number % 4 == 0 {
                    "首席代表"
                } else if wname.contains("咨询") {
                    "咨询导办员"
                } else if wname.contains("帮办") {
                    "帮办代办员"
                } else {
                    POSITIONS[(person + s) % POSITIONS.len()]
                };
                let name = person_name(person);
                let staff_id = db::org::staff_create(
                    &mut tx,
                    &actor,
                    center_id,
                    &db::org::StaffInput {
                        name: name.clone(),
                        employee_no: format!("SF{:04}", person),
                        window_id,
                        position: position.to_string(),
                    },
                )
                .await?;
                if s == 0 {
                    heads.push((number, window_id, name.clone()));
                }
                staff_ids.push((staff_id, name));
            }
        }
    }

    let mut create = async |username: String,
                            display: String,
                            role: &str,
                            window: Option<WindowId>,
                            staff: Option<StaffId>,
                            leader: bool| {
        let input = db::account::AccountInput {
            username,
            display_name: display,
            role: role.to_string(),
            window_id: window,
            staff_id: staff,
            is_group_leader: leader,
        };
        db::account::create(&mut tx, &actor, center_id, &input, &hash, false).await
    };
    create(
        "admin".into(),
        "系统管理员".into(),
        "admin",
        None,
        None,
        false,
    )
    .await?;
    create(
        "ducha".into(),
        "督查科 郑晓敏".into(),
        "supervision",
        None,
        None,
        false,
    )
    .await?;
    create(
        "ducha2".into(),
        "督查科 冯立".into(),
        "supervision",
        None,
        None,
        false,
    )
    .await?;
    let leaders = [
        ("zuzhang", "中心主任 韩明远", true),
        ("fuzuzhang1", "副主任 唐文静（分管业务科）", false),
        ("fuzuzhang2", "副主任 曹建军（分管督查科）", false),
        ("yewuke", "业务科科长 许慧", false),
        ("duchake", "督查科科长 彭志强", false),
        ("bangongshi", "办公室主任 袁丽华", false),
    ];
    for (username, name, leader) in leaders {
        create(
            username.into(),
            name.into(),
            "leadership",
            None,
            None,
            leader,
        )
        .await?;
    }
    for (number, window_id, name) in &heads {
        create(
            format!("head{number:02}"),
            name.clone(),
            "window_head",
            Some(*window_id),
            None,
            false,
        )
        .await?;
    }
    for (i, (staff_id, name)) in staff_ids
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 15 == 1)
        .take(6)
    {
        create(
            format!("staff{:03}", i + 1),
            name.clone(),
            "staff",
            None,
            Some(*staff_id),
            false,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(windows = number, staff = person, "demo center loaded");
    accounts(pool).await
}

/// The demo's accounts, for the start-up table: the city center's, then any county's.
pub async fn accounts(pool: &PgPool) -> anyhow::Result<Vec<DemoAccount>> {
    let rows: Vec<(String, String, String, bool, Option<String>)> = sqlx::query_as(
        "select a.username, a.display_name, a.role, a.is_group_leader,
                case when c.code <> $1 then c.name || ' ' else '' end || coalesce(w.number || '号窗口 ' || w.name, '')
         from account a join center c on c.center_id = a.center_id
         left join service_window w on w.window_id = a.window_id
         where (c.code = $1 or c.code like $1 || '-%') and a.active
         order by c.code <> $1, c.code,
                  case a.role when 'admin' then 1 when 'supervision' then 2 when 'leadership' then 3
                  when 'window_head' then 4 else 5 end, a.username",
    )
    .bind(CENTER_CODE)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(username, display_name, role, leader, window)| DemoAccount {
                role: crate::domain::Role::parse(&role)
                    .map(|r| r.label())
                    .unwrap_or("?"),
                note: match (leader, window) {
                    (true, Some(w)) if !w.is_empty() => format!("{w}领导小组组长"),
                    (true, _) => "领导小组组长".to_string(),
                    (_, Some(w)) => w,
                    _ => String::new(),
                },
                username,
                display_name,
            },
        )
        .collect())
}
