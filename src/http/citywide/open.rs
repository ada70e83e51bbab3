//! The city's supervision office opens a round (通知): title, year, deadline, quotas per
//! county, limits and the conditions per kind; and follows it county by county.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use super::{Side, side, year_of};
use crate::db::{self, citywide::RoundInput};
use crate::domain::citywide::{ConditionRule, NominationStatus};
use crate::domain::ids::CenterId;
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, FieldError, Fields, FormData, one_of_values};
use crate::http::page::{self, Layout};
use crate::http::urls;
use crate::scoring::Kind;

/// Condition rows offered per kind.
const CONDITION_ROWS: usize = 6;

/// One condition row of the form, as typed.
#[derive(Clone, Default)]
pub struct ConditionValues {
    pub text: String,
    /// "", honors, tenure or active.
    pub rule: String,
    pub count: String,
    pub since: String,
}

/// A county's quota row, as typed.
pub struct QuotaValues {
    pub county: CenterId,
    pub name: String,
    pub windows: String,
    pub staff: String,
}

pub struct RoundValues {
    pub title: String,
    pub year: String,
    pub deadline_date: String,
    pub deadline_time: String,
    pub window_brief: String,
    pub window_full: String,
    pub staff_brief: String,
    pub staff_full: String,
    pub file_count: String,
    pub file_size_mb: String,
    pub objection_contact: String,
    pub window_title: String,
    pub staff_title: String,
    pub quotas: Vec<QuotaValues>,
    pub window_conditions: Vec<ConditionValues>,
    pub staff_conditions: Vec<ConditionValues>,
}

fn condition(text: &str, rule: &str, count: &str, since: &str) -> ConditionValues {
    ConditionValues {
        text: text.to_string(),
        rule: rule.to_string(),
        count: count.to_string(),
        since: since.to_string(),
    }
}

fn padded(mut rows: Vec<ConditionValues>) -> Vec<ConditionValues> {
    rows.resize(CONDITION_ROWS, ConditionValues::default());
    rows
}

impl RoundValues {
    /// The form as it opens: next year's round... this year's, with SPEC.md's seed
    /// conditions and 2 + 2 places per county.
    fn seed(year: i32, counties: &[(CenterId, String)]) -> RoundValues {
        let since = (year - 2).to_string();
        RoundValues {
            title: format!("{year}年度全市政务服务优质服务窗口和服务标兵评选"),
            year: year.to_string(),
            deadline_date: String::new(),
            deadline_time: "17:30".to_string(),
            window_brief: "200".to_string(),
            window_full: "3000".to_string(),
            staff_brief: "100".to_string(),
            staff_full: "1500".to_string(),
            file_count: "10".to_string(),
            file_size_mb: "5".to_string(),
            objection_contact: String::new(),
            window_title: "全市优质服务窗口".to_string(),
            staff_title: "全市优秀服务标兵".to_string(),
            quotas: counties
                .iter()
                .map(|(id, name)| QuotaValues {
                    county: *id,
                    name: name.clone(),
                    windows: "2".to_string(),
                    staff: "2".to_string(),
                })
                .collect(),
            window_conditions: padded(vec![
                condition(
                    "在所属中心年度考核中两次以上被评为优秀窗口单位",
                    "honors",
                    "2",
                    &since,
                ),
                condition("群众评价满意率99%以上", "satisfaction", "99", &since),
                condition("符合全市评选标准", "", "", ""),
            ]),
            staff_conditions: padded(vec![
                condition("两次以上被评为优秀等次", "honors", "2", &since),
                condition("由中心统一选派到窗口工作", "", "", ""),
                condition("在窗口工作两年以上", "tenure", "2", ""),
                condition("目前仍在窗口工作", "active", "", ""),
                condition("符合全市评选标准", "", "", ""),
            ]),
        }
    }

    /// The form, each field read once: what was typed, and the round when all is valid.
    fn read(
        form: &FormData,
        counties: &[(CenterId, String)],
        now: OffsetDateTime,
    ) -> (RoundValues, Option<RoundInput>, Errors) {
        let mut f = Fields::new(form);
        let (title_typed, title) = f.read("title", |raw| Ok(text::required(raw, 200)?));
        let (year_typed, year) = f.read("year", |raw| Ok(text::integer(raw, 2000, 2100)?));
        let (date_typed, date) = f.read("deadline_date", |raw| {
            Date::parse(
                raw.trim(),
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| FieldError::Message("请按 2026-12-20 的格式填写日期".to_string()))
        });
        let (time_typed, at) = f.read("deadline_time", |raw| {
            Time::parse(
                raw.trim(),
                time::macros::format_description!("[hour]:[minute]"),
            )
            .map_err(|_| FieldError::Message("请按 17:30 的格式填写时间".to_string()))
        });
        let deadline = match (date, at) {
            (Some(d), Some(t)) => {
                let deadline =
                    PrimitiveDateTime::new(d, t).assume_offset(time::macros::offset!(+8));
                if deadline <= now {
                    f.errors
                        .add("deadline_date", "截止时间须晚于现在（以服务器时间为准）");
                    None
                } else {
                    Some(deadline)
                }
            }
            _ => None,
        };
        let mut limit = |name: &str, max: i64| f.read(name, |raw| Ok(text::integer(raw, 1, max)?));
        let (wb_typed, wb) = limit("window_brief", 10000);
        let (wf_typed, wf) = limit("window_full", 50000);
        let (sb_typed, sb) = limit("staff_brief", 10000);
        let (sf_typed, sf) = limit("staff_full", 50000);
        let (fc_typed, fc) = f.read("file_count", |raw| Ok(text::integer(raw, 0, 50)?));
        let (fs_typed, fs) = f.read("file_size_mb", |raw| Ok(text::integer(raw, 1, 10)?));
        let (contact_typed, contact) =
            f.read("objection_contact", |raw| Ok(text::optional(raw, 1000)?));
        let (wt_typed, window_title) = f.read("window_title", |raw| Ok(text::required(raw, 50)?));
        let (st_typed, staff_title) = f.read("staff_title", |raw| Ok(text::required(raw, 50)?));
        let mut quotas = Vec::new();
        let mut quota_values = Vec::new();
        for (county, name) in counties {
            let w_name = format!("quota_w_{county}");
            let s_name = format!("quota_s_{county}");
            let (w_typed, w) = f.read(&w_name, |raw| Ok(text::integer(raw, 0, 50)?));
            let (s_typed, s) = f.read(&s_name, |raw| Ok(text::integer(raw, 0, 50)?));
            if let (Some(w), Some(s)) = (w, s) {
                quotas.push((*county, w as i32, s as i32));
            }
            quota_values.push(QuotaValues {
                county: *county,
                name: name.clone(),
                windows: w_typed,
                staff: s_typed,
            });
        }
        let mut conditions = Vec::new();
        let mut rows = |kind: Kind, f: &mut Fields| {
            let mut typed = Vec::new();
            for i in 1..=CONDITION_ROWS {
                let key = |what: &str| format!("cond_{}_{i}_{what}", kind.as_str());
                let (text_typed, text) = f.read(&key("text"), |raw| Ok(text::optional(raw, 500)?));
                let rule_typed = f.form.echo(&key("rule"));
                let rule_ok = f
                    .read(
                        &key("rule"),
                        one_of_values(&["", "honors", "tenure", "active", "satisfaction"]),
                    )
                    .1
                    .is_some();
                let (count_typed, count) = f.read(&key("count"), |raw| {
                    if raw.trim().is_empty() {
                        Ok(None)
                    } else {
                        Ok(Some(text::integer(raw, 1, 100)? as i32))
                    }
                });
                let (since_typed, since) = f.read(&key("since"), |raw| {
                    if raw.trim().is_empty() {
                        Ok(None)
                    } else {
                        Ok(Some(text::integer(raw, 2000, 2100)? as i32))
                    }
                });
                if let Some(text) = text.filter(|t| !t.is_empty() && rule_ok) {
                    let rule = match (rule_typed.as_str(), count.flatten(), since.flatten()) {
                        ("", _, _) => Ok(None),
                        ("honors", Some(min_count), Some(since_year)) => {
                            Ok(Some(ConditionRule::Honors {
                                min_count,
                                since_year,
                            }))
                        }
                        ("honors", _, _) => Err("请填写次数和起始年份"),
                        ("tenure", Some(years), _) if kind == Kind::Staff => {
                            Ok(Some(ConditionRule::Tenure { years }))
                        }
                        ("tenure", _, _) if kind == Kind::Staff => Err("请填写年限"),
                        ("active", _, _) => Ok(Some(ConditionRule::Active)),
                        ("satisfaction", Some(min_percent), Some(since_year)) => {
                            Ok(Some(ConditionRule::Satisfaction {
                                min_percent,
                                since_year,
                            }))
                        }
                        ("satisfaction", _, _) => Err("请填写满意率（%）和起始年份"),
                        _ => Err("请选择核对方式"),
                    };
                    match rule {
                        Ok(rule) => conditions.push((kind, text, rule)),
                        Err(msg) => f.errors.add(&key("rule"), msg),
                    }
                }
                typed.push(ConditionValues {
                    text: text_typed,
                    rule: rule_typed,
                    count: count_typed,
                    since: since_typed,
                });
            }
            typed
        };
        let window_conditions = rows(Kind::Window, &mut f);
        let staff_conditions = rows(Kind::Staff, &mut f);
        let values = RoundValues {
            title: title_typed,
            year: year_typed,
            deadline_date: date_typed,
            deadline_time: time_typed,
            window_brief: wb_typed,
            window_full: wf_typed,
            staff_brief: sb_typed,
            staff_full: sf_typed,
            file_count: fc_typed,
            file_size_mb: fs_typed,
            objection_contact: contact_typed,
            window_title: wt_typed,
            staff_title: st_typed,
            quotas: quota_values,
            window_conditions,
            staff_conditions,
        };
        let input = match (
            title,
            year,
            deadline,
            wb,
            wf,
            sb,
            sf,
            fc,
            fs,
            contact,
            window_title.zip(staff_title),
        ) {
            (
                Some(title),
                Some(year),
                Some(deadline),
                Some(wb),
                Some(wf),
                Some(sb),
                Some(sf),
                Some(fc),
                Some(fs),
                Some(objection_contact),
                Some((window_title, staff_title)),
            ) if f.ok() => Some(RoundInput {
                year: year as i32,
                title,
                deadline,
                window_brief_limit: wb as i32,
                window_full_limit: wf as i32,
                staff_brief_limit: sb as i32,
                staff_full_limit: sf as i32,
                file_count_limit: fc as i32,
                file_size_limit: (fs as i32) * 1024 * 1024,
                objection_contact,
                window_title,
                staff_title,
                quotas,
                conditions,
            }),
            _ => None,
        };
        (values, input, f.errors)
    }
}

#[derive(Template)]
#[template(path = "citywide/open.html")]
struct OpenPage {
    layout: Layout,
    values: RoundValues,
    errors: Errors,
}

impl OpenPage {
    fn condition_sections(&self) -> Vec<(&'static str, &'static str, &[ConditionValues])> {
        vec![
            ("window", "窗口申报条件", &self.values.window_conditions),
            ("staff", "个人申报条件", &self.values.staff_conditions),
        ]
    }

    fn rule_options(&self) -> [(&'static str, &'static str); 5] {
        [
            ("", "申报单位提供材料或说明"),
            ("honors", "系统核对获评表彰次数"),
            ("tenure", "系统核对在岗年限（个人）"),
            ("active", "系统核对目前在岗"),
            ("satisfaction", "系统核对好差评满意率（%）"),
        ]
    }
}

async fn city_counties(state: &AppState, user: &CurrentUser) -> AppResult<Vec<(CenterId, String)>> {
    if !matches!(side(state, user.center_id).await?, Side::City) {
        return Err(AppError::NotFound);
    }
    let mut conn = state.db.acquire().await?;
    let counties = db::citywide::counties(&mut conn, user.center_id).await?;
    if counties.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(counties)
}

/// `/citywide/new`: the notice form, seeded.
pub(super) async fn form(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    let counties = city_counties(&state, &user).await?;
    let year = state
        .clock
        .now()
        .to_offset(time::macros::offset!(+8))
        .year();
    Ok(page::ok(&OpenPage {
        layout: Layout::new("发布全市评选通知", Some(&user), urls::CITYWIDE),
        values: RoundValues::seed(year, &counties),
        errors: Errors::default(),
    }))
}

/// `POST /citywide`: opens the round, or the form again with what is wrong.
pub(super) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    let counties = city_counties(&state, &user).await?;
    let (values, input, mut errors) = RoundValues::read(&form, &counties, state.clock.now());
    let again = |values, errors| {
        page::invalid(&OpenPage {
            layout: Layout::new("发布全市评选通知", Some(&user), urls::CITYWIDE),
            values,
            errors,
        })
    };
    let Some(input) = input else {
        return Ok(again(values, errors));
    };
    let mut tx = state.db.begin().await?;
    let opened = db::citywide::open(&mut tx, &user.actor(&ip), user.center_id, &input).await?;
    if opened.is_none() {
        errors.add(
            "year",
            format!("{}年度的全市评选已发布，不能重复发布", input.year),
        );
        return Ok(again(values, errors));
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?notice=saved", urls::citywide(input.year))).into_response())
}

/// A county's row of the overview.
pub struct CountyRow {
    pub name: String,
    pub windows: String,
    pub staff: String,
    pub drafts: i64,
}

#[derive(Template)]
#[template(path = "citywide/overview.html")]
struct OverviewPage {
    layout: Layout,
    round: db::citywide::Round,
    deadline: String,
    rows: Vec<CountyRow>,
    review_url: String,
    phase_url: String,
    /// The deadline has passed (by the server's clock).
    closed: bool,
    notice_dates: String,
    /// Why the last step was refused.
    error: Option<String>,
    notice_starts: String,
    notice_ends: String,
}

/// `/citywide/{year}` for the city: each county's places and how many it has submitted.
pub(super) async fn overview(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let year = year_of(&year)?;
    let round = {
        let mut conn = state.db.acquire().await?;
        db::citywide::round_by_year(&mut conn, user.center_id, year)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    let mut page = overview_page(&state, &user, round, None, None).await?;
    page.layout = page.layout.with_notice(&q);
    Ok(page::ok(&page))
}

/// The overview again, saying why a step was refused, with the notice dates as typed.
pub(super) async fn overview_with(
    state: &AppState,
    user: &CurrentUser,
    round: db::citywide::Round,
    error: Option<String>,
    typed: Option<(String, String)>,
) -> AppResult<Response> {
    let page = overview_page(state, user, round, error, typed).await?;
    Ok(page::invalid(&page))
}

async fn overview_page(
    state: &AppState,
    user: &CurrentUser,
    round: db::citywide::Round,
    error: Option<String>,
    typed: Option<(String, String)>,
) -> AppResult<OverviewPage> {
    let mut conn = state.db.acquire().await?;
    let counts = db::citywide::nomination::counts(&mut conn, round.id).await?;
    let rows = db::citywide::quotas(&mut conn, round.id)
        .await?
        .into_iter()
        .map(|(county, name, w, s)| {
            let held = |kind: Kind| {
                counts
                    .iter()
                    .filter(|c| c.0 == county && c.1 == kind && c.2.holds_place())
                    .map(|c| c.3)
                    .sum::<i64>()
            };
            CountyRow {
                name,
                windows: format!("{} / {w}", held(Kind::Window)),
                staff: format!("{} / {s}", held(Kind::Staff)),
                drafts: counts
                    .iter()
                    .filter(|c| c.0 == county && c.2 == NominationStatus::Draft)
                    .map(|c| c.3)
                    .sum(),
            }
        })
        .collect();
    let dates = db::citywide::notice_dates(&mut conn, round.id).await?;
    let (notice_starts, notice_ends) = typed.unwrap_or_default();
    Ok(OverviewPage {
        layout: Layout::new(round.title.clone(), Some(user), urls::CITYWIDE),
        deadline: crate::domain::format_datetime(Some(round.deadline)),
        closed: state.clock.now() >= round.deadline,
        review_url: format!("{}/review", urls::citywide(round.year)),
        phase_url: format!("{}/phase", urls::citywide(round.year)),
        notice_dates: dates
            .map(|(s, e)| {
                format!(
                    "{}年{}月{}日至{}年{}月{}日",
                    s.year(),
                    u8::from(s.month()),
                    s.day(),
                    e.year(),
                    u8::from(e.month()),
                    e.day()
                )
            })
            .unwrap_or_default(),
        round,
        rows,
        error,
        notice_starts,
        notice_ends,
    })
}
