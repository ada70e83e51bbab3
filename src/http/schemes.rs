//! The admin's evaluation schemes (评选方案): weights, counts and thresholds. A period copies
//! its scheme's rules when it opens, so an edit here never changes a period already open.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::{ClientIp, CurrentUser};
use super::form::{Errors, Fields, FormData};
use super::page::{self, Layout};
use super::routes::{ADMIN, Access, Routes};
use super::urls;
use crate::db;
use crate::domain::ids::SchemeId;
use crate::scoring::{self, KindRulesInput, Number, RulesInput, WeightsInput};

const A: Access = Access::Roles(ADMIN);

pub fn routes(r: Routes) -> Routes {
    r.get(urls::SCHEMES, A, list)
        .get("/admin/schemes/{id}", A, edit)
        .post("/admin/schemes/{id}", A, save)
        .post("/admin/schemes/{id}/enable", A, enable)
        .post("/admin/schemes/{id}/disable", A, disable)
}

/// The fields of the form: (name, label, path in the rules object).
const FIELDS: [(&str, &str, &str, &str); 11] = [
    ("w_a", "考核权重（%）", "weights", "assessment"),
    ("w_d", "民主推荐权重（%）", "weights", "democratic"),
    ("w_c", "综合评定权重（%）", "weights", "comprehensive"),
    ("min_days", "最少在岗天数", "min_duty_days", ""),
    (
        "trim",
        "评分达到几个时去掉最高最低分（0 为不去掉）",
        "trim_extremes_from",
        "",
    ),
    ("wc", "候选窗口数", "window", "candidates"),
    ("ww", "窗口当选名额", "window", "winners"),
    (
        "wm",
        "每张票最多推荐窗口数",
        "window",
        "max_recommendations",
    ),
    ("sc", "候选工作人员数", "staff", "candidates"),
    ("sw", "工作人员当选名额", "staff", "winners"),
    (
        "sm",
        "每张票最多推荐工作人员数",
        "staff",
        "max_recommendations",
    ),
];

pub struct SchemeItem {
    pub name: String,
    pub kind: &'static str,
    pub url: String,
    /// The award titles, the counts and weights, and the phases they make, in words.
    pub titles: String,
    pub counts: String,
    pub phases: String,
    /// The center runs it.
    pub active: bool,
}

#[derive(Template)]
#[template(path = "schemes/list.html")]
struct ListPage {
    layout: Layout,
    schemes: Vec<SchemeItem>,
    /// How this month's 百分考核 is made, per kind: every scheme's assessment score A is
    /// the mean of these monthly scores.
    assessment: Vec<(&'static str, &'static str)>,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let schemes = db::scheme::schemes(&mut conn, user.center_id)
        .await?
        .into_iter()
        .map(|s| {
            let rules: Option<RulesInput> = serde_json::from_str(&s.rules.to_string()).ok();
            SchemeItem {
                kind: s.period_kind.label(),
                url: urls::item(urls::SCHEMES, s.scheme_id),
                titles: format!("{} / {}", s.window_title, s.staff_title),
                counts: rules
                    .as_ref()
                    .map(|r| {
                        format!(
                            "窗口 {} 个、工作人员 {} 人；权重 考核 {}%、民主推荐 {}%、综合评定 {}%",
                            r.window.winners.raw(),
                            r.staff.winners.raw(),
                            r.weights.assessment.raw(),
                            r.weights.democratic.raw(),
                            r.weights.comprehensive.raw()
                        )
                    })
                    .unwrap_or_default(),
                phases: rules
                    .as_ref()
                    .map(|r| {
                        crate::domain::period::Phase::of(r)
                            .iter()
                            .map(|p| p.label())
                            .collect::<Vec<_>>()
                            .join(" → ")
                    })
                    .unwrap_or_default(),
                name: s.name,
                active: s.active,
            }
        })
        .collect();
    let month = crate::http::assessment::month_of(state.clock.today());
    let mut assessment = Vec::new();
    for kind in crate::scoring::Kind::BOTH {
        let mode = db::assessment::rules::mode(&mut conn, user.center_id, kind, &month).await?;
        assessment.push((crate::http::assessment::kind_label(kind), mode.label()));
    }
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    Ok(page::ok(&ListPage {
        layout: Layout::new("评选方案", Some(&user), urls::SCHEMES).with_notice(&q),
        schemes,
        assessment,
    }))
}

pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "schemes/form.html")]
struct FormPage {
    layout: Layout,
    name: String,
    action: String,
    /// The award titles as typed (窗口, 工作人员).
    window_title: String,
    staff_title: String,
    fields: Vec<FieldView>,
    errors: Errors,
}

async fn load(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<db::scheme::SchemeRow> {
    let id: SchemeId = super::extract::path_id(id)?;
    let mut conn = state.db.acquire().await?;
    db::scheme::schemes(&mut conn, user.center_id)
        .await?
        .into_iter()
        .find(|s| s.scheme_id == id)
        .ok_or(AppError::NotFound)
}

fn form_page(
    user: &CurrentUser,
    scheme: &db::scheme::SchemeRow,
    titles: (String, String),
    values: Vec<String>,
    errors: Errors,
) -> FormPage {
    FormPage {
        layout: Layout::new(
            format!("编辑评选方案：{}", scheme.name),
            Some(user),
            urls::SCHEMES,
        ),
        name: scheme.name.clone(),
        action: urls::item(urls::SCHEMES, scheme.scheme_id),
        window_title: titles.0,
        staff_title: titles.1,
        fields: FIELDS
            .iter()
            .zip(values)
            .map(|((name, label, _, _), value)| FieldView { name, label, value })
            .collect(),
        errors,
    }
}

async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let scheme = load(&state, &user, &id).await?;
    let values = FIELDS
        .iter()
        .map(|(_, _, a, b)| {
            let v = if b.is_empty() {
                &scheme.rules[*a]
            } else {
                &scheme.rules[*a][*b]
            };
            v.to_string()
        })
        .collect();
    let titles = (scheme.window_title.clone(), scheme.staff_title.clone());
    Ok(page::ok(&form_page(
        &user,
        &scheme,
        titles,
        values,
        Errors::default(),
    )))
}

async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let scheme = load(&state, &user, &id).await?;
    let mut f = Fields::new(&form);
    let (typed_window_title, window_title) = f.read("window_title", |raw| {
        Ok(crate::domain::text::required(raw, 20)?)
    });
    let (typed_staff_title, staff_title) = f.read("staff_title", |raw| {
        Ok(crate::domain::text::required(raw, 20)?)
    });
    let numbers: Vec<Option<i64>> = FIELDS
        .iter()
        .map(|(name, ..)| f.integer(name, 0, 10_000))
        .collect();
    let mut errors = f.errors;
    let values: Vec<String> = FIELDS.iter().map(|(name, ..)| form.echo(name)).collect();
    if errors.is_empty() {
        let n = |i: usize| Number::from_integer(numbers[i].unwrap_or(0));
        let kind = |a: usize| KindRulesInput {
            candidates: n(a),
            winners: n(a + 1),
            max_recommendations: n(a + 2),
        };
        let rules = RulesInput {
            weights: WeightsInput {
                assessment: n(0),
                democratic: n(1),
                comprehensive: n(2),
            },
            min_duty_days: n(3),
            trim_extremes_from: n(4),
            window: kind(5),
            staff: kind(8),
        };
        // The scoring module judges the rules as it will judge every period opened with them.
        match scoring::validate_rules(&rules) {
            Err(refusal) => {
                let msg = if refusal.0.contains("weights sum") {
                    "三项权重之和应为 100"
                } else if refusal.0.contains("trim_extremes_from") {
                    "去掉最高最低分的评分个数应为 0 或至少 3"
                } else {
                    "方案数值有误，请检查"
                };
                errors.add("_form", msg);
            }
            Ok(()) => {
                let json =
                    serde_json::to_value(&rules).map_err(|e| AppError::Internal(e.into()))?;
                let mut tx = state.db.begin().await?;
                if !db::scheme::scheme_update(
                    &mut tx,
                    &user.actor(&ip),
                    user.center_id,
                    scheme.scheme_id,
                    &json,
                    (
                        window_title.as_deref().unwrap_or_default(),
                        staff_title.as_deref().unwrap_or_default(),
                    ),
                )
                .await?
                {
                    return Err(AppError::NotFound);
                }
                tx.commit().await?;
                return Ok(Redirect::to(&format!("{}?notice=saved", urls::SCHEMES)).into_response());
            }
        }
    }
    Ok(page::invalid(&form_page(
        &user,
        &scheme,
        (typed_window_title, typed_staff_title),
        values,
        errors,
    )))
}

/// The center starts running a scheme: periods of its kind open with it.
async fn enable(
    state: State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    id: Path<String>,
) -> AppResult<Response> {
    set_active(state, user, ip, id, true).await
}

/// The center stops running a scheme: no period of its kind opens with it; periods opened
/// already keep their copy and go on.
async fn disable(
    state: State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    id: Path<String>,
) -> AppResult<Response> {
    set_active(state, user, ip, id, false).await
}

async fn set_active(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    active: bool,
) -> AppResult<Response> {
    let scheme = load(&state, &user, &id).await?;
    let mut tx = state.db.begin().await?;
    db::scheme::set_active(
        &mut tx,
        &user.actor(&ip),
        user.center_id,
        scheme.scheme_id,
        active,
    )
    .await?;
    tx.commit().await?;
    let notice = if active { "enabled" } else { "disabled" };
    Ok(Redirect::to(&format!("{}?notice={notice}", urls::SCHEMES)).into_response())
}
