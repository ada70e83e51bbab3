//! Evaluation periods (评选周期): opening one, its overview, and moving it through its
//! phases with a confirmation page that says what the step does and what is missing.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::{ClientIp, CurrentUser};
use super::form::{Errors, FormData};
use super::page::{self, Layout};
use super::routes::{Access, Routes, SUPERVISION};
use super::urls;
use crate::db;
use crate::domain::period::period_label as label_of;
use crate::domain::period::{PeriodCode, Phase, month_label};

const S: Access = Access::Roles(SUPERVISION);

pub fn routes(r: Routes) -> Routes {
    r.get(urls::PERIODS, S, list)
        .post(urls::PERIODS, S, create)
        .get("/periods/{code}", S, show)
        .get("/periods/{code}/phase", S, confirm_page)
        .post("/periods/{code}/phase", S, change_phase)
        .get("/periods/{code}/candidates", S, candidates)
        .get("/periods/{code}/turnout", S, turnout)
        .get("/periods/{code}/vetoes", S, vetoes_page)
        .post("/periods/{code}/vetoes", S, veto_create)
        .post("/periods/{code}/vetoes/{id}/revoke", S, veto_revoke)
        .get("/periods/{code}/corrections", S, correction_page)
        .post("/periods/{code}/corrections", S, correction_save)
        .get("/periods/{code}/duty-days", S, duty_page)
        .post("/periods/{code}/duty-days", S, duty_save)
}

pub struct PeriodItem {
    pub code: String,
    pub label: String,
    pub scheme: String,
    pub phase: &'static str,
    pub url: String,
}

fn phase_of(p: &db::period::PeriodRow) -> Phase {
    Phase::parse(&p.phase).unwrap_or(Phase::Entry)
}

#[derive(Template)]
#[template(path = "periods/list.html")]
struct ListPage {
    layout: Layout,
    periods: Vec<PeriodItem>,
    code: String,
    errors: Errors,
    action: &'static str,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    code: String,
    errors: Errors,
    query: Option<&FormData>,
) -> AppResult<ListPage> {
    let mut conn = state.db.acquire().await?;
    let periods = db::period::periods(&mut conn, user.center_id)
        .await?
        .into_iter()
        .map(|p| PeriodItem {
            label: label_of(&p.code),
            url: urls::period(&p.code),
            phase: phase_of(&p).label(),
            scheme: p.scheme_name,
            code: p.code,
        })
        .collect();
    let mut layout = Layout::new("评选周期", Some(user), urls::PERIODS);
    if let Some(q) = query {
        layout = layout.with_notice(q);
    }
    Ok(ListPage {
        layout,
        periods,
        code,
        errors,
        action: urls::PERIODS,
    })
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    Ok(page::ok(
        &list_page(&state, &user, String::new(), Errors::default(), Some(&q)).await?,
    ))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    let typed = form.echo("code");
    let mut errors = Errors::default();
    let code = match form.raw("code").ok().and_then(PeriodCode::parse) {
        Some(c) => Some(c),
        None => {
            errors.add(
                "code",
                "周期编号应如 2026-Q1（季度）、2026-03（月度）或 2026（年度）",
            );
            None
        }
    };
    if let Some(code) = code {
        let actor = user.actor(&ip);
        let mut tx = state.db.begin().await?;
        db::period::ensure_default_schemes(&mut tx, &actor, user.center_id).await?;
        let scheme = db::period::schemes_for(&mut tx, user.center_id, code.kind)
            .await?
            .into_iter()
            .next();
        let Some(scheme) = scheme else {
            errors.add(
                "code",
                "本中心没有可用于此类周期的评选方案，请联系系统管理员",
            );
            drop(tx);
            return Ok(page::invalid(
                &list_page(&state, &user, typed, errors, None).await?,
            ));
        };
        let exists = db::period::period_by_code(&mut tx, user.center_id, &code.code())
            .await?
            .is_some();
        if exists {
            errors.add("code", "该评选周期已存在");
        } else {
            let created = db::period::period_create(
                &mut tx,
                &actor,
                user.center_id,
                &code.code(),
                &code.months(),
                code.kind,
                scheme.scheme_id,
            )
            .await;
            match created {
                // Opened by a colleague in the same moment.
                Err(e)
                    if e.as_database_error()
                        .is_some_and(|d| d.code().as_deref() == Some("23505")) =>
                {
                    errors.add("code", "该评选周期已存在");
                    drop(tx);
                    return Ok(page::invalid(
                        &list_page(&state, &user, typed, errors, None).await?,
                    ));
                }
                other => {
                    other?;
                }
            }
            tx.commit().await?;
            return Ok(
                Redirect::to(&format!("{}?notice=created", urls::period(&code.code())))
                    .into_response(),
            );
        }
    }
    Ok(page::invalid(
        &list_page(&state, &user, typed, errors, None).await?,
    ))
}

pub struct MonthLink {
    pub label: String,
    pub url: String,
}

pub struct PhaseStep {
    pub label: &'static str,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "periods/show.html")]
struct ShowPage {
    layout: Layout,
    code: String,
    label: String,
    scheme: String,
    phase: &'static str,
    steps: Vec<PhaseStep>,
    months: Vec<MonthLink>,
    rules: Vec<(&'static str, String)>,
    duty_url: String,
    candidates_url: String,
    vetoes_url: String,
    turnout_url: String,
    results_url: Option<String>,
    correction_url: Option<String>,
    next: Option<(&'static str, &'static str)>,
    back: Option<(&'static str, &'static str)>,
    /// In review: the group leader publishes on the results page.
    awaiting_publication: bool,
    phase_url: String,
}

fn steps(current: Phase) -> Vec<PhaseStep> {
    Phase::ALL
        .iter()
        .map(|p| PhaseStep {
            label: p.label(),
            state: if *p < current {
                "done"
            } else if *p == current {
                "current"
            } else {
                "todo"
            },
        })
        .collect()
}

/// The rules as the offices read them.
fn describe_rules(rules: &serde_json::Value) -> Vec<(&'static str, String)> {
    let n = |path: &[&str]| {
        let mut v = rules;
        for p in path {
            v = &v[*p];
        }
        v.to_string()
    };
    vec![
        (
            "权重",
            format!(
                "考核 {}%、民主推荐 {}%、综合评定 {}%",
                n(&["weights", "assessment"]),
                n(&["weights", "democratic"]),
                n(&["weights", "comprehensive"])
            ),
        ),
        (
            "候选对象",
            format!(
                "窗口 {} 个、工作人员 {} 人",
                n(&["window", "candidates"]),
                n(&["staff", "candidates"])
            ),
        ),
        (
            "评选名额",
            format!(
                "优质服务窗口 {} 个、优秀服务标兵 {} 人",
                n(&["window", "winners"]),
                n(&["staff", "winners"])
            ),
        ),
        (
            "推荐上限",
            format!(
                "每张票最多推荐 {} 个窗口、{} 名工作人员",
                n(&["window", "max_recommendations"]),
                n(&["staff", "max_recommendations"])
            ),
        ),
        (
            "在岗天数",
            format!("工作人员在岗不少于 {} 天", n(&["min_duty_days"])),
        ),
        (
            "去掉最高最低分",
            match n(&["trim_extremes_from"]).as_str() {
                "0" => "不去掉".to_string(),
                k => format!("评分达到 {k} 个时，去掉一个最高分和一个最低分"),
            },
        ),
    ]
}

async fn load(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
) -> AppResult<db::period::PeriodRow> {
    let mut conn = state.db.acquire().await?;
    db::period::period_by_code(&mut conn, user.center_id, code)
        .await?
        .ok_or(AppError::NotFound)
}

async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    let phase = phase_of(&p);
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    Ok(page::ok(&ShowPage {
        layout: Layout::new(label_of(&p.code), Some(&user), urls::PERIODS).with_notice(&q),
        label: label_of(&p.code),
        scheme: p.scheme_name.clone(),
        phase: phase.label(),
        steps: steps(phase),
        months: p
            .months
            .iter()
            .map(|m| MonthLink {
                label: month_label(m),
                url: urls::scores(m),
            })
            .collect(),
        rules: describe_rules(&p.rules),
        // Publication is the group leader's, on the results page.
        next: phase
            .next()
            .filter(|n| *n != Phase::Published)
            .map(|p| (p.as_str(), p.label())),
        awaiting_publication: phase == Phase::Review,
        back: phase.back().map(|p| (p.as_str(), p.label())),
        phase_url: format!("{}/phase", urls::period(&p.code)),
        duty_url: format!("{}/duty-days", urls::period(&p.code)),
        candidates_url: format!("{}/candidates", urls::period(&p.code)),
        vetoes_url: format!("{}/vetoes", urls::period(&p.code)),
        turnout_url: format!("{}/turnout", urls::period(&p.code)),
        results_url: (phase >= Phase::Review).then(|| format!("/results/{}", p.code)),
        correction_url: (phase == Phase::Published)
            .then(|| format!("{}/corrections", urls::period(&p.code))),
        code: p.code,
    }))
}

#[derive(Template)]
#[template(path = "periods/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    label: String,
    from: &'static str,
    to: &'static str,
    to_code: &'static str,
    effects: Vec<String>,
    missing: Vec<String>,
    available: bool,
    action: String,
    cancel: String,
}

/// What a move does, in words.
fn effects(from: Phase, to: Phase) -> Vec<String> {
    match (from, to) {
        (Phase::Entry, Phase::Candidates) => vec![
            "结束考核录入，进入候选确定阶段。".into(),
            "系统将按本周期各月考核分数、在岗天数和一票否决情形计算候选对象，供督查科核对。".into(),
            "在确认候选对象之前，仍可修改考核分数，也可退回考核录入阶段。".into(),
        ],
        (Phase::Candidates, Phase::Entry) => vec!["退回考核录入阶段，候选对象待重新确定。".into()],
        (_, Phase::Voting) => vec![
            "确认候选对象并开始民主推荐；确认后本周期各月考核分数锁定，修改须作为更正并说明理由。"
                .into(),
        ],
        (Phase::Voting, Phase::Rating) => vec![
            "结束民主推荐：尚未投票的窗口负责人将不能再投票，已提交的推荐票全部计入。".into(),
            "进入综合评定，领导小组成员开始评分，并可查看民主推荐结果。".into(),
        ],
        (Phase::Rating, Phase::Review) => vec![
            "结束综合评定：评分不能再修改。".into(),
            "系统按 考核、民主推荐、综合评定 的权重计算总分并排出名次，供领导小组审定；并列待定的由组长选定并写明理由。".into(),
        ],
        (_, to) => vec![format!("进入{}阶段。", to.label())],
    }
}

/// The moves this version carries out.
fn available(from: Phase, to: Phase) -> bool {
    matches!(
        (from, to),
        (Phase::Entry, Phase::Candidates)
            | (Phase::Candidates, Phase::Entry)
            | (Phase::Candidates, Phase::Voting)
            | (Phase::Voting, Phase::Rating)
            | (Phase::Rating, Phase::Review)
    )
}

async fn confirm_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    let from = phase_of(&p);
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    let to = match q.first_utf8("to").and_then(Phase::parse) {
        // The group leader publishes, on the results page.
        Some(Phase::Published) => {
            return Ok(Redirect::to(&format!("/results/{}", p.code)).into_response());
        }
        Some(to) if Some(to) == from.next() || Some(to) == from.back() => to,
        _ => return Ok(Redirect::to(&urls::period(&p.code)).into_response()),
    };
    let mut missing = Vec::new();
    if from == Phase::Voting {
        let mut conn = state.db.acquire().await?;
        let rows = db::ballot::turnout(&mut conn, user.center_id, p.period_id).await?;
        let not_voted = rows
            .iter()
            .filter(|r| r.window_ballot.is_none() || r.staff_ballot.is_none())
            .count();
        if not_voted > 0 {
            missing.push(format!("{not_voted} 名窗口负责人尚未投完两张推荐票"));
        }
    }
    if from == Phase::Entry || to == Phase::Voting {
        let mut conn = state.db.acquire().await?;
        let m = db::period::missing(&mut conn, user.center_id, p.period_id, &p.months).await?;
        for (month, n) in m.windows_without_score.iter().filter(|(_, n)| *n > 0) {
            missing.push(format!(
                "{} 个窗口没有 {} 的考核分数",
                n,
                month_label(month)
            ));
        }
        for (month, n) in m.staff_without_score.iter().filter(|(_, n)| *n > 0) {
            missing.push(format!(
                "{} 名工作人员没有 {} 的考核分数",
                n,
                month_label(month)
            ));
        }
        if m.staff_without_duty_days > 0 {
            missing.push(format!(
                "{} 名工作人员没有登记在岗天数",
                m.staff_without_duty_days
            ));
        }
    }
    Ok(page::ok(&ConfirmPage {
        layout: Layout::new(
            format!("{}：{}", label_of(&p.code), to.label()),
            Some(&user),
            urls::PERIODS,
        ),
        label: label_of(&p.code),
        from: from.label(),
        to: to.label(),
        to_code: to.as_str(),
        effects: effects(from, to),
        missing,
        available: available(from, to),
        action: format!("{}/phase", urls::period(&p.code)),
        cancel: urls::period(&p.code),
    }))
}

async fn change_phase(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(code): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    let Some(to) = form.raw("to").ok().and_then(Phase::parse) else {
        return Err(AppError::BadRequest);
    };
    let mut tx = state.db.begin().await?;
    let from = db::period::lock_phase(&mut tx, user.center_id, p.period_id)
        .await?
        .and_then(|s| Phase::parse(&s))
        .ok_or(AppError::NotFound)?;
    // The move is checked against the phase as it is now, under the lock: a second click,
    // or a colleague who moved it first, changes nothing.
    let allowed = (Some(to) == from.next() || Some(to) == from.back()) && available(from, to);
    if !allowed {
        drop(tx);
        return Ok(
            Redirect::to(&format!("{}?notice=phase_unchanged", urls::period(&p.code)))
                .into_response(),
        );
    }
    let actor = user.actor(&ip);
    if (from, to) == (Phase::Candidates, Phase::Voting) {
        // Computed inside the transaction that holds the period row: no score, duty day or
        // veto can change between this computation and the lock it brings.
        let (input, names) = db::period::load_input(&mut tx, user.center_id, &p).await?;
        let result = crate::scoring::compute(&input).map_err(|r| {
            AppError::Internal(anyhow::anyhow!(
                "period {} refused by the scoring module: {r}",
                p.code
            ))
        })?;
        db::period::confirm_candidates(
            &mut tx,
            &actor,
            user.center_id,
            &p,
            &input,
            &names,
            &result,
        )
        .await?;
    }
    if matches!(to, Phase::Voting | Phase::Rating)
        && db::period::other_in_phase(&mut tx, user.center_id, p.period_id, to.as_str()).await?
    {
        drop(tx);
        return Ok(
            Redirect::to(&format!("{}?notice=other_round", urls::period(&p.code))).into_response(),
        );
    }
    db::period::set_phase(
        &mut tx,
        &actor,
        user.center_id,
        p.period_id,
        &p.code,
        from.as_str(),
        to.as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?notice=phase", urls::period(&p.code))).into_response())
}

// ----------------------------------------------------------------------------------------
// Duty days (在岗天数)

#[derive(Template)]
#[template(path = "periods/duty_days.html")]
struct DutyPage {
    layout: Layout,
    label: String,
    period_url: String,
    action: String,
    windows: Vec<super::page::Choice>,
    cells: Vec<super::scores::Cell>,
    filled: usize,
    min_days: String,
    locked: bool,
    messages: Vec<String>,
}

fn window_filter(query: Option<&str>) -> Option<i64> {
    FormData::parse_query(query.unwrap_or(""))
        .first_utf8("window")
        .and_then(|v| v.parse().ok())
}

async fn render_duty(
    state: &AppState,
    user: &CurrentUser,
    p: &db::period::PeriodRow,
    window: Option<i64>,
    typed: Option<&std::collections::BTreeMap<i64, (String, Option<String>)>>,
    messages: Vec<String>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let rows = db::period::duty_grid(&mut conn, user.center_id, p.period_id, window).await?;
    let windows = db::org::window_options(&mut conn, user.center_id, None).await?;
    drop(conn);
    let filled = rows.iter().filter(|r| r.score.is_some()).count();
    let cells = rows
        .into_iter()
        .map(|r| {
            let shown = r.score.map(|d| d.to_string()).unwrap_or_default();
            let (value, error) = match typed.and_then(|t| t.get(&r.id)) {
                Some((v, e)) => (v.clone(), e.clone()),
                None => (shown.clone(), None),
            };
            super::scores::Cell {
                id: r.id,
                label: r.label,
                detail: r.detail,
                value,
                original: shown,
                version: r.version,
                error,
            }
        })
        .collect();
    let mut layout = Layout::new(
        format!("{} 在岗天数", label_of(&p.code)),
        Some(user),
        urls::PERIODS,
    );
    if let Some(q) = notice {
        layout = layout.with_notice(q);
    }
    let query = window.map(|w| format!("?window={w}")).unwrap_or_default();
    let page = DutyPage {
        layout,
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        action: format!("{}/duty-days{query}", urls::period(&p.code)),
        windows: super::page::choices(&windows, &window.map(|w| w.to_string()).unwrap_or_default()),
        cells,
        filled,
        min_days: p.rules["min_duty_days"].to_string(),
        locked: phase_of(p).scores_locked(),
        messages: messages.clone(),
    };
    Ok(page::ok_or_invalid(messages.is_empty(), &page))
}

async fn duty_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    let notice = FormData::parse_query(q.as_deref().unwrap_or(""));
    render_duty(
        &state,
        &user,
        &p,
        window_filter(q.as_deref()),
        None,
        Vec::new(),
        Some(&notice),
    )
    .await
}

async fn duty_save(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
    form: FormData,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    let window = window_filter(q.as_deref());
    let back = format!(
        "{}/duty-days?{}notice=saved",
        urls::period(&p.code),
        window.map(|w| format!("window={w}&")).unwrap_or_default()
    );
    let cells = match super::grid::read_cells(&form, crate::domain::text::days) {
        Ok(c) => c,
        Err(msg) => return render_duty(&state, &user, &p, window, None, vec![msg], None).await,
    };
    // The grid again, with everything typed and why nothing was saved.
    let typed = super::grid::typed(&cells);
    let again = async |messages: Vec<String>| {
        render_duty(&state, &user, &p, window, Some(&typed), messages, None).await
    };
    let bad = super::grid::bad(&cells);
    if bad > 0 {
        let msg =
            format!("有 {bad} 项在岗天数需要修改：应为 0 到 366 之间的整数。尚未保存任何数据。");
        return again(vec![msg]).await;
    }
    let changed = super::grid::changed(&cells);
    if changed.is_empty() {
        return Ok(Redirect::to(&back).into_response());
    }
    let mut tx = state.db.begin().await?;
    let phase = db::period::lock_phase(&mut tx, user.center_id, p.period_id)
        .await?
        .and_then(|s| Phase::parse(&s))
        .ok_or(AppError::NotFound)?;
    if phase.scores_locked() {
        drop(tx);
        let msg = format!(
            "{}已确认候选对象，在岗天数已锁定。尚未保存任何数据。",
            label_of(&p.code)
        );
        return again(vec![msg]).await;
    }
    db::advisory_lock(&mut tx, &format!("duty {}", p.period_id)).await?;
    let ids: Vec<i64> = changed.iter().map(|c| c.0).collect();
    let current = db::period::lock_duty(&mut tx, user.center_id, p.period_id, &ids)
        .await?
        .into_iter()
        .map(|(id, days, version, by)| (id, (days, version, by)))
        .collect();
    let writes = match super::grid::plan(&changed, &current) {
        super::grid::Plan::Write(w) => w,
        super::grid::Plan::Unknown => {
            drop(tx);
            return again(vec![super::grid::STALE.to_string()]).await;
        }
        super::grid::Plan::Conflicts(conflicts) => {
            drop(tx);
            let msg = format!(
                "有 {} 名工作人员的在岗天数在您打开本页后已被他人修改，为避免覆盖，本次未保存任何数据。确认您填写的无误后再次保存即以您填写的为准。",
                conflicts.len()
            );
            return again(vec![msg]).await;
        }
    };
    let actor = user.actor(&ip);
    for (id, before, after) in writes {
        db::period::set_duty(
            &mut tx,
            &actor,
            user.center_id,
            p.period_id,
            &p.code,
            id,
            before,
            after,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&back).into_response())
}

// ----------------------------------------------------------------------------------------
// Candidates (候选对象), computed by the scoring module

pub struct CandidateRow {
    pub rank: String,
    pub name: String,
    pub detail: String,
    pub assessment: String,
    pub status: &'static str,
    pub reasons: String,
    pub candidate: bool,
    pub tied: bool,
}

pub struct CandidateTable {
    pub title: &'static str,
    pub quota: String,
    pub note: String,
    pub rows: Vec<CandidateRow>,
}

#[derive(Template)]
#[template(path = "periods/candidates.html")]
struct CandidatesPage {
    layout: Layout,
    label: String,
    period_url: String,
    phase: &'static str,
    tables: Vec<CandidateTable>,
    problem: Option<String>,
}

fn reason_label(r: crate::scoring::Reason, min_days: &str) -> String {
    match r {
        crate::scoring::Reason::Vetoed => "一票否决".to_string(),
        crate::scoring::Reason::InsufficientDutyDays => format!("在岗不足 {min_days} 天"),
        crate::scoring::Reason::NoAssessment => "无考核分数".to_string(),
    }
}

fn candidate_table(
    title: &'static str,
    count: &serde_json::Value,
    k: &crate::scoring::KindResult,
    names: &db::period::EntrantNames,
    min_days: &str,
) -> CandidateTable {
    let mut ranked: Vec<&crate::scoring::EntrantResult> = k.entrants.iter().collect();
    ranked.sort_by_key(|e| (e.assessment_rank.is_none(), e.assessment_rank, !e.eligible));
    let rank_count = |r: Option<u32>| {
        k.entrants
            .iter()
            .filter(|e| r.is_some() && e.assessment_rank == r)
            .count()
    };
    let rows = ranked
        .into_iter()
        .map(|e| {
            let (name, detail, _) = names
                .names
                .get(&e.id)
                .cloned()
                .unwrap_or_else(|| (e.id.clone(), String::new(), String::new()));
            CandidateRow {
                rank: e
                    .assessment_rank
                    .map(|r| format!("第{r}名"))
                    .unwrap_or_else(|| "—".to_string()),
                name,
                detail,
                assessment: e
                    .assessment
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "—".to_string()),
                status: if e.candidate {
                    "候选对象"
                } else if e.eligible {
                    "未入围"
                } else {
                    "不符合条件"
                },
                reasons: e
                    .reasons
                    .iter()
                    .map(|r| reason_label(*r, min_days))
                    .collect::<Vec<_>>()
                    .join("、"),
                candidate: e.candidate,
                tied: rank_count(e.assessment_rank) > 1,
            }
        })
        .collect();
    let quota: i64 = count.as_i64().unwrap_or(0);
    let note = if k.candidates.len() as i64 > quota {
        format!(
            "名额 {quota} 个；因分数并列，候选对象共 {} 个。",
            k.candidates.len()
        )
    } else {
        format!("名额 {quota} 个，候选对象 {} 个。", k.candidates.len())
    };
    CandidateTable {
        title,
        quota: quota.to_string(),
        note,
        rows,
    }
}

async fn candidates(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    let (input, names) = {
        let mut conn = state.db.acquire().await?;
        db::period::round_input(&mut conn, user.center_id, &p).await?
    };
    let min_days = p.rules["min_duty_days"].to_string();
    let (tables, problem) = match crate::scoring::compute(&input) {
        Ok(result) => (
            vec![
                candidate_table(
                    "窗口",
                    &p.rules["window"]["candidates"],
                    &result.window,
                    &names,
                    &min_days,
                ),
                candidate_table(
                    "工作人员",
                    &p.rules["staff"]["candidates"],
                    &result.staff,
                    &names,
                    &min_days,
                ),
            ],
            None,
        ),
        Err(refusal) => {
            tracing::error!(period = %p.code, refusal = %refusal, "period data refused by the scoring module");
            (
                Vec::new(),
                Some("本周期数据有误，暂时无法计算候选对象，请联系系统管理员。".to_string()),
            )
        }
    };
    Ok(page::ok(&CandidatesPage {
        layout: Layout::new(
            format!("{} 候选对象", label_of(&p.code)),
            Some(&user),
            urls::PERIODS,
        ),
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        phase: phase_of(&p).label(),
        tables,
        problem,
    }))
}

// ----------------------------------------------------------------------------------------
// Vetoes (一票否决)

/// The six vetoes of SPEC.md §2 with their wording.
pub const VETOES: [(&str, &str); 6] = [
    ("reform_violation", "违反行政审批制度改革等有关规定"),
    (
        "disciplinary",
        "违规违纪被中心或上级部门通报批评、被新闻媒体曝光",
    ),
    (
        "verified_complaint",
        "被群众举报投诉且经查证属实、造成不良影响",
    ),
    ("corruption", "吃、拿、卡、要等不廉洁行为经查证属实"),
    ("major_incident", "发生安全责任、维稳等其他方面的重大事件"),
    ("overdue_case", "由于窗口原因导致有超期办件"),
];

pub fn veto_label(code: &str) -> &'static str {
    VETOES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("未知情形")
}

pub struct VetoView {
    pub row: db::period::VetoRow,
    pub label: &'static str,
    pub occurred: String,
    pub revoke_action: String,
}

#[derive(Default)]
struct VetoValues {
    target: String,
    code: String,
    occurred_on: String,
    description: String,
    evidence: String,
}

#[derive(Template)]
#[template(path = "periods/vetoes.html")]
struct VetoPage {
    layout: Layout,
    label: String,
    period_url: String,
    action: String,
    vetoes: Vec<VetoView>,
    choices: VetoChoices,
    values: VetoValues,
    errors: Errors,
    editable: bool,
}

async fn render_vetoes(
    state: &AppState,
    user: &CurrentUser,
    p: &db::period::PeriodRow,
    values: VetoValues,
    errors: Errors,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let vetoes = db::period::vetoes(&mut conn, user.center_id, p.period_id).await?;
    drop(conn);
    let choices = veto_choices(state, user, &values).await?;
    let mut layout = Layout::new(
        format!("{} 一票否决", label_of(&p.code)),
        Some(user),
        urls::PERIODS,
    );
    if let Some(q) = notice {
        layout = layout.with_notice(q);
    }
    let invalid = !errors.is_empty();
    let page = VetoPage {
        layout,
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        action: format!("{}/vetoes", urls::period(&p.code)),
        vetoes: vetoes
            .into_iter()
            .map(|row| VetoView {
                label: veto_label(&row.code),
                occurred: format!(
                    "{}年{}月{}日",
                    row.occurred_on.year(),
                    u8::from(row.occurred_on.month()),
                    row.occurred_on.day()
                ),
                revoke_action: format!("{}/vetoes/{}/revoke", urls::period(&p.code), row.veto_id),
                row,
            })
            .collect(),
        choices,
        values,
        errors,
        editable: !phase_of(p).scores_locked(),
    };
    Ok(page::ok_or_invalid(!invalid, &page))
}

async fn vetoes_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    render_vetoes(
        &state,
        &user,
        &p,
        VetoValues::default(),
        Errors::default(),
        Some(&q),
    )
    .await
}

/// `w12` (window 12) or `s34` (staff member 34) from a target select box.
fn parse_target(raw: &str) -> Result<(Option<i64>, Option<i64>), super::form::FieldError> {
    let id = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
    match (
        raw.strip_prefix('w').and_then(id),
        raw.strip_prefix('s').and_then(id),
    ) {
        (Some(w), _) => Ok((Some(w), None)),
        (_, Some(s)) => Ok((None, Some(s))),
        _ => Err(super::form::FieldError::Message(
            "请选择窗口或工作人员".to_string(),
        )),
    }
}

/// One of the six veto codes.
fn parse_veto_code(raw: &str) -> Result<String, super::form::FieldError> {
    VETOES
        .iter()
        .find(|(c, _)| *c == raw)
        .map(|(c, _)| (*c).to_string())
        .ok_or_else(|| super::form::FieldError::Message("请选择一票否决情形".to_string()))
}

/// The select boxes of a veto form (windows, staff, codes), the typed choice selected.
pub struct VetoChoices {
    pub windows: Vec<super::page::Choice>,
    pub staff: Vec<super::page::Choice>,
    pub codes: Vec<super::page::Choice>,
}

async fn veto_choices(
    state: &AppState,
    user: &CurrentUser,
    values: &VetoValues,
) -> AppResult<VetoChoices> {
    let mut conn = state.db.acquire().await?;
    let windows = db::org::window_options(&mut conn, user.center_id, None).await?;
    let staff = db::org::staff_options(&mut conn, user.center_id, None).await?;
    let choice = |prefix: char, (id, label): &(i64, String)| super::page::Choice {
        value: format!("{prefix}{id}"),
        label: label.clone(),
        selected: values.target == format!("{prefix}{id}"),
    };
    Ok(VetoChoices {
        windows: windows.iter().map(|w| choice('w', w)).collect(),
        staff: staff.iter().map(|s| choice('s', s)).collect(),
        codes: VETOES
            .iter()
            .map(|(c, l)| super::page::Choice {
                value: (*c).to_string(),
                label: (*l).to_string(),
                selected: values.code == *c,
            })
            .collect(),
    })
}

fn parse_date(raw: &str) -> Result<time::Date, super::form::FieldError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw.trim(), &fmt)
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| super::form::FieldError::Message("日期应如 2026-03-12".to_string()))
}

/// Moves that change vetoes must happen before candidates are confirmed; the period row is
/// locked for the rest of the transaction. `Err` carries the message for the page.
async fn lock_open_period(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    p: &db::period::PeriodRow,
) -> AppResult<Result<(), String>> {
    let phase = db::period::lock_phase(tx, user.center_id, p.period_id)
        .await?
        .and_then(|s| Phase::parse(&s))
        .ok_or(AppError::NotFound)?;
    Ok(if phase.scores_locked() {
        Err(format!(
            "{}已确认候选对象（当前阶段：{}），不能再登记或撤销一票否决；之后的更改须作为更正处理。",
            label_of(&p.code),
            phase.label()
        ))
    } else {
        Ok(())
    })
}

async fn veto_create(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(code): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    let mut f = super::form::Fields::new(&form);
    let target = f.with("target", parse_target);
    let veto_code = f.with("code", parse_veto_code);
    let occurred_on = f.with("occurred_on", parse_date);
    let description = f.paragraph("description", 1000);
    let evidence = f.with("evidence", |raw| {
        Ok(crate::domain::text::optional(raw, 1000)?)
    });
    let mut errors = f.errors;
    let values = VetoValues {
        target: form.echo("target"),
        code: form.echo("code"),
        occurred_on: form.echo("occurred_on"),
        description: form.echo("description"),
        evidence: form.echo("evidence"),
    };
    if let (
        Some((window_id, staff_id)),
        Some(code),
        Some(occurred_on),
        Some(description),
        Some(evidence),
    ) = (target, veto_code, occurred_on, description, evidence)
        && errors.is_empty()
    {
        let mut tx = state.db.begin().await?;
        match lock_open_period(&mut tx, &user, &p).await? {
            Err(msg) => errors.add("_form", msg),
            Ok(()) => {
                let input = db::period::VetoInput {
                    window_id,
                    staff_id,
                    code,
                    occurred_on,
                    description,
                    evidence,
                };
                match db::period::veto_create(
                    &mut tx,
                    &user.actor(&ip),
                    user.center_id,
                    p.period_id,
                    &input,
                )
                .await
                {
                    Ok(_) => {
                        tx.commit().await?;
                        return Ok(Redirect::to(&format!(
                            "{}/vetoes?notice=created",
                            urls::period(&p.code)
                        ))
                        .into_response());
                    }
                    // A window or person of another center (or none at all).
                    Err(e)
                        if e.as_database_error()
                            .is_some_and(|d| d.code().as_deref() == Some("23503")) =>
                    {
                        errors.add("target", "所选对象不存在，请重新选择");
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    render_vetoes(&state, &user, &p, values, errors, None).await
}

async fn veto_revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path((code, id)): Path<(String, String)>,
    form: FormData,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    let id = super::extract::path_id(&id)?;
    let mut f = super::form::Fields::new(&form);
    let reason = f.text("reason", 1000);
    let mut errors = f.errors;
    if let Some(reason) = reason
        && errors.is_empty()
    {
        let mut tx = state.db.begin().await?;
        match lock_open_period(&mut tx, &user, &p).await? {
            Err(msg) => errors.add("_form", msg),
            Ok(()) => {
                if !db::period::veto_revoke(
                    &mut tx,
                    &user.actor(&ip),
                    user.center_id,
                    p.period_id,
                    id,
                    &reason,
                )
                .await?
                {
                    return Err(AppError::NotFound);
                }
                tx.commit().await?;
                return Ok(
                    Redirect::to(&format!("{}/vetoes?notice=saved", urls::period(&p.code)))
                        .into_response(),
                );
            }
        }
    } else {
        errors = Errors::default();
        errors.add("_form", "撤销一票否决须填写理由");
    }
    render_vetoes(&state, &user, &p, VetoValues::default(), errors, None).await
}

// ----------------------------------------------------------------------------------------
// Turnout (投票情况): who has voted, never how

pub struct TurnoutRow {
    pub name: String,
    pub window: String,
    pub window_ballot: String,
    pub staff_ballot: String,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "periods/turnout.html")]
struct TurnoutPage {
    layout: Layout,
    label: String,
    period_url: String,
    rows: Vec<TurnoutRow>,
    voted: usize,
    reminders: Vec<String>,
}

async fn turnout(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    let rows = {
        let mut conn = state.db.acquire().await?;
        db::ballot::turnout(&mut conn, user.center_id, p.period_id).await?
    };
    let when = |t: Option<time::OffsetDateTime>| {
        t.map(|t| crate::domain::format_datetime(Some(t)))
            .unwrap_or_else(|| "未投".to_string())
    };
    let rows: Vec<TurnoutRow> = rows
        .into_iter()
        .map(|r| TurnoutRow {
            done: r.window_ballot.is_some() && r.staff_ballot.is_some(),
            name: r.display_name,
            window: r.window_label,
            window_ballot: when(r.window_ballot),
            staff_ballot: when(r.staff_ballot),
        })
        .collect();
    let reminders = rows
        .iter()
        .filter(|r| !r.done)
        .map(|r| format!("{} {}", r.window, r.name))
        .collect();
    Ok(page::ok(&TurnoutPage {
        layout: Layout::new(
            format!("{} 投票情况", label_of(&p.code)),
            Some(&user),
            urls::PERIODS,
        ),
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        voted: rows.iter().filter(|r| r.done).count(),
        rows,
        reminders,
    }))
}

// ----------------------------------------------------------------------------------------
// Corrections after publication (更正)

#[derive(Template)]
#[template(path = "periods/correction.html")]
struct CorrectionPage {
    layout: Layout,
    label: String,
    period_url: String,
    action: String,
    choices: VetoChoices,
    values: VetoValues,
    reason: String,
    errors: Errors,
}

async fn render_correction(
    state: &AppState,
    user: &CurrentUser,
    p: &db::period::PeriodRow,
    values: VetoValues,
    reason: String,
    errors: Errors,
) -> AppResult<Response> {
    let choices = veto_choices(state, user, &values).await?;
    let valid = errors.is_empty();
    let page_ = CorrectionPage {
        layout: Layout::new(
            format!("{} 更正", label_of(&p.code)),
            Some(user),
            urls::PERIODS,
        ),
        label: label_of(&p.code),
        period_url: urls::period(&p.code),
        action: format!("{}/corrections", urls::period(&p.code)),
        choices,
        values,
        reason,
        errors,
    };
    Ok(page::ok_or_invalid(valid, &page_))
}

async fn correction_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    if phase_of(&p) != Phase::Published {
        return Err(AppError::NotFound);
    }
    render_correction(
        &state,
        &user,
        &p,
        VetoValues::default(),
        String::new(),
        Errors::default(),
    )
    .await
}

/// A veto found after publication: recorded with its reason, the results recomputed from
/// the frozen round, and the change of outcome kept with the correction.
async fn correction_save(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(code): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let p = load(&state, &user, &code).await?;
    if phase_of(&p) != Phase::Published {
        return Err(AppError::NotFound);
    }
    let mut f = super::form::Fields::new(&form);
    let target = f.with("target", parse_target);
    let veto_code = f.with("code", parse_veto_code);
    let occurred_on = f.with("occurred_on", parse_date);
    let description = f.paragraph("description", 1000);
    let reason = f.paragraph("reason", 1000);
    let mut errors = f.errors;
    let values = VetoValues {
        target: form.echo("target"),
        code: form.echo("code"),
        occurred_on: form.echo("occurred_on"),
        description: form.echo("description"),
        evidence: String::new(),
    };
    let typed_reason = form.echo("reason");
    if let (
        Some((window_id, staff_id)),
        Some(code),
        Some(occurred_on),
        Some(description),
        Some(reason),
    ) = (target, veto_code, occurred_on, description, reason)
        && errors.is_empty()
    {
        let mut tx = state.db.begin().await?;
        let phase = db::period::lock_phase(&mut tx, user.center_id, p.period_id).await?;
        if phase.as_deref() != Some("published") {
            return Err(AppError::NotFound);
        }
        let recount_id = match (window_id, staff_id) {
            (Some(w), _) => format!("W{w}"),
            (_, Some(s)) => format!("S{s}"),
            _ => unreachable!("one of the two is set"),
        };
        let (mut frozen, _) = db::period::round_input(&mut tx, user.center_id, &p).await?;
        let vetoes = frozen
            .windows
            .iter_mut()
            .find(|w| w.id == recount_id)
            .map(|w| &mut w.vetoes)
            .or_else(|| {
                frozen
                    .staff
                    .iter_mut()
                    .find(|s| s.id == recount_id)
                    .map(|s| &mut s.vetoes)
            });
        match vetoes {
            None => errors.add("target", "该对象不在本周期评选范围内"),
            Some(v) => {
                v.push(code.clone());
                match db::period::recount_corrected(&mut tx, p.period_id, &frozen).await? {
                    None => errors.add(
                        "_form",
                        "更正后并列情况发生变化，原有的领导小组审定不再适用：请联系系统管理员处理。本次未作任何更改。",
                    ),
                    Some((recount, results)) => {
                        let actor = user.actor(&ip);
                        let change = serde_json::json!({"veto": {"entrant": recount_id, "code": code, "description": description}});
                        db::period::correct(&mut tx, &actor, user.center_id, &p, &frozen, &recount, &results, &change, &reason)
                            .await?;
                        let input = db::period::VetoInput {
                            window_id,
                            staff_id,
                            code: code.clone(),
                            occurred_on,
                            description: description.clone(),
                            evidence: String::new(),
                        };
                        db::period::veto_create(&mut tx, &actor, user.center_id, p.period_id, &input).await?;
                        tx.commit().await?;
                        return Ok(Redirect::to(&format!("/results/{}?notice=corrected", p.code)).into_response());
                    }
                }
            }
        }
    }
    render_correction(&state, &user, &p, values, typed_reason, errors).await
}
