//! The page each role lands on after signing in.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::AppState;
use super::error::AppResult;
use super::extract::CurrentUser;
use super::extract::WindowInfo;
use super::form::FormData;
use super::page::{self, Layout};
use super::records;
use super::results::EntryView;
use super::routes::{ADMIN, Access, LEADERSHIP, Routes, STAFF, SUPERVISION, WINDOW_HEAD};
use super::urls;
use crate::db::{self, org::CenterCounts, org::StaffRow};
use crate::domain::ids::{Entrant, StaffId};
use crate::domain::period::month_label;
use crate::scoring::Fixed2;

mod todo;
use todo::Todo;

pub fn routes(r: Routes) -> Routes {
    r.get(urls::ADMIN_HOME, Access::Roles(ADMIN), admin_home)
        .get(
            urls::SUPERVISION_HOME,
            Access::Roles(SUPERVISION),
            supervision_home,
        )
        .get(
            urls::WINDOW_HEAD_HOME,
            Access::Roles(WINDOW_HEAD),
            window_head_home,
        )
        .get(
            urls::LEADERSHIP_HOME,
            Access::Roles(LEADERSHIP),
            leadership_home,
        )
        .get(urls::STAFF_HOME, Access::Roles(STAFF), staff_home)
}

/// A link tile on a home page.
pub struct Tile {
    pub href: &'static str,
    pub label: &'static str,
    pub count: Option<i64>,
    pub note: &'static str,
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    layout: Layout,
    heading: String,
    intro: &'static str,
    tiles: Vec<Tile>,
    window: Option<WindowInfo>,
    staff: Option<StaffRow>,
    record: Option<OwnRecordView>,
    steps: &'static [&'static str],
    /// What waits for this person now (`None`: the role has no list).
    todos: Option<Vec<Todo>>,
    /// Password resets made to this account during an open round it takes part in.
    warnings: Vec<String>,
    /// Year pages (年度档案) this person may open: (whose, address).
    records: Vec<(String, String)>,
}

fn home_page(user: &CurrentUser, path: &str, query: Option<&str>, intro: &'static str) -> HomePage {
    HomePage {
        layout: Layout::new("首页", Some(user), path)
            .with_notice(&FormData::parse_query(query.unwrap_or(""))),
        heading: format!("{}，您好", user.display_name),
        intro,
        tiles: Vec::new(),
        window: None,
        staff: None,
        record: None,
        steps: &[],
        todos: None,
        warnings: Vec::new(),
        records: Vec::new(),
    }
}

/// This year in China Standard Time, for the year pages.
fn current_year() -> String {
    crate::domain::period::current_month()[..4].to_string()
}

const ROUND_STEPS: &[&str] = &[
    "考核录入：督查科每月对窗口和工作人员进行百分考核",
    "候选确定：按季度考核平均分确定候选对象",
    "民主推荐：各窗口负责人无记名推荐（回避本窗口）",
    "综合评定：领导小组对候选对象评分",
    "审定与公示：按 80%、10%、10% 计算总分，确定并公布结果",
];

async fn admin_home(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let CenterCounts {
        departments,
        business_areas,
        windows,
        staff,
        accounts,
    } = {
        let roster = state.roster(&mut conn, &user).await?;
        db::org::counts(&mut conn, user.center_id, &roster).await?
    };
    let mut page = home_page(
        &user,
        urls::ADMIN_HOME,
        q.as_deref(),
        "在这里维护中心的进驻单位、业务范围、窗口、工作人员和账号。所有修改都会记入操作日志。",
    );
    drop(conn);
    page.todos = Some(todo::admin(&state, &user).await?);
    page.tiles = vec![
        Tile {
            href: urls::DEPARTMENTS,
            label: "进驻单位",
            count: Some(departments),
            note: "个在用",
        },
        Tile {
            href: urls::BUSINESS_AREAS,
            label: "业务范围",
            count: Some(business_areas),
            note: "个在用",
        },
        Tile {
            href: urls::WINDOWS,
            label: "窗口",
            count: Some(windows),
            note: "个在用",
        },
        Tile {
            href: urls::STAFF,
            label: "工作人员",
            count: Some(staff),
            note: "人在岗",
        },
        Tile {
            href: urls::ACCOUNTS,
            label: "账号",
            count: Some(accounts),
            note: "个启用",
        },
        Tile {
            href: urls::AUDIT,
            label: "操作日志",
            count: None,
            note: "查看全部修改记录",
        },
        Tile {
            href: "/imports/roster",
            label: "导入名单",
            count: None,
            note: "从 Excel 批量导入进驻单位、窗口和工作人员",
        },
    ];
    Ok(page::ok(&page))
}

async fn supervision_home(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let mut page = home_page(
        &user,
        urls::SUPERVISION_HOME,
        q.as_deref(),
        "督查科负责月度考核录入、在岗天数、一票否决情形登记，并推进各评选阶段。",
    );
    page.tiles = vec![Tile {
        href: urls::AUDIT,
        label: "操作日志",
        count: None,
        note: "查看全部修改记录",
    }];
    page.steps = ROUND_STEPS;
    page.todos = Some(todo::supervision(&state, &user).await?);
    Ok(page::ok(&page))
}

async fn window_head_home(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let mut page = home_page(
        &user,
        urls::WINDOW_HEAD_HOME,
        q.as_deref(),
        "民主推荐开始后，您可以在这里进行无记名推荐。本窗口及其工作人员须回避，不能推荐。",
    );
    page.window = user.window.clone();
    if let Some(w) = user.window_id {
        let year = current_year();
        let mut conn = state.db.acquire().await?;
        let roster = state.roster(&mut conn, &user).await?;
        page.records
            .push(("本窗口".into(), records::url(&year, Entrant::Window(w))));
        page.records.extend(roster.staff_of(None, Some(w)).map(|s| {
            (
                s.label.clone(),
                records::url(&year, Entrant::Staff(StaffId(s.staff_id))),
            )
        }));
    }
    page.steps = ROUND_STEPS;
    page.todos = Some(todo::window_head(&state, &user).await?);
    page.warnings = super::extract::reset_warnings(&state, &user).await?;
    Ok(page::ok(&page))
}

async fn leadership_home(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let intro = if user.is_group_leader {
        "您是评选活动领导小组组长。综合评定开始后，可在这里为候选对象评分，并查看各成员的完成情况。"
    } else {
        "您是评选活动领导小组成员。综合评定开始后，可在这里为候选对象评分。"
    };
    let mut page = home_page(&user, urls::LEADERSHIP_HOME, q.as_deref(), intro);
    page.steps = ROUND_STEPS;
    page.todos = Some(todo::leadership(&state, &user).await?);
    page.warnings = super::extract::reset_warnings(&state, &user).await?;
    Ok(page::ok(&page))
}

/// A staff member's own record as shown.
pub struct OwnRecordView {
    pub scores: Vec<(String, String)>,
    pub duty_days: Vec<(String, String)>,
    pub results: Vec<EntryView>,
}

async fn staff_home(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let (staff, record) = match user.staff_id {
        Some(id) => (
            db::org::staff_get(&mut conn, user.center_id, id).await?,
            Some(db::score::own_record(&mut conn, user.center_id, id).await?),
        ),
        None => (None, None),
    };
    drop(conn);
    let mut page = home_page(
        &user,
        urls::STAFF_HOME,
        q.as_deref(),
        "您可以在这里查看本人的月度考核、在岗天数和已发布的评选结果。",
    );
    page.staff = staff;
    if let Some(id) = user.staff_id {
        let url = records::url(&current_year(), Entrant::Staff(id));
        page.records.push(("本人".into(), url));
    }
    let label = crate::domain::period::period_label;
    // The latest month with a score (a month not assessed is no score).
    let latest = record.as_ref().and_then(|r| {
        r.scores.iter().find_map(|(m, h)| {
            h.as_ref()
                .ok()
                .map(|h| (month_label(m), Fixed2(i64::from(*h)).to_string()))
        })
    });
    page.record = record.map(|r| OwnRecordView {
        scores: r
            .scores
            .into_iter()
            .map(|(m, h)| {
                let shown = match h {
                    Ok(h) => Fixed2(i64::from(h)).to_string(),
                    Err(reason) => format!("未参加考核（{reason}）"),
                };
                (month_label(&m), shown)
            })
            .collect(),
        duty_days: r
            .duty_days
            .into_iter()
            .map(|(c, d)| (label(&c), format!("{d} 天")))
            .collect(),
        results: r
            .results
            .into_iter()
            .map(|(code, title, e, min_days)| EntryView::of(&code, &title, &e, &min_days))
            .collect(),
    });
    if let Some(r) = &page.record {
        let honors: Vec<String> = r
            .results
            .iter()
            .filter(|x| x.won)
            .map(|x| format!("{}{}", x.period, x.outcome))
            .collect();
        page.todos = Some(todo::staff(latest.as_ref(), &honors));
    }
    Ok(page::ok(&page))
}
