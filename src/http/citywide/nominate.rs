//! A county's supervision office (or admin) nominates from its own center: the notice with
//! its places and conditions, a form per nomination with the accounts counted in 字, save a
//! draft, submit, withdraw. The server's clock decides every deadline.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{COUNTY_OFFICE, Side, side, year_of};
use crate::db;
use crate::db::citywide::nomination::{self as nom, Nomination, NominationInput, Refusal};
use crate::db::citywide::{self, Condition, Round};
use crate::domain::citywide::NominationStatus;
use crate::domain::ids::CenterId;
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, Fields, FormData, one_of};
use crate::http::page::{self, Choice, Layout, choices};
use crate::http::routes::{Access, Routes};
use crate::http::urls;
use crate::scoring::Kind;

/// The longest an account may be in characters, whatever its limit in 字 (the columns'
/// own limits).
const MAX_BRIEF_CHARS: usize = 20000;
const MAX_FULL_CHARS: usize = 100000;

/// The most characters an account of `limit` 字 may have: ten a 字 (a long English word
/// is one 字, a run of 10,000 letters is not an account).
fn chars_for(limit: usize, max: usize) -> usize {
    (limit * 10).clamp(100, max)
}

pub(super) fn routes(r: Routes) -> Routes {
    let a = Access::Roles(COUNTY_OFFICE);
    r.get("/citywide/{year}/nominations/new", a, new_form)
        .post("/citywide/{year}/nominations", a, create)
        .get("/citywide/{year}/nominations/{id}", a, edit_form)
        .post("/citywide/{year}/nominations/{id}", a, update)
        .post("/citywide/{year}/nominations/{id}/withdraw", a, withdraw)
}

/// The county's round: its city's round of that year. Not found for a city or another year.
async fn county_round_of(
    state: &AppState,
    user: &CurrentUser,
    year: &str,
) -> AppResult<(CenterId, Round)> {
    let Side::County { city } = side(state, user.center_id).await? else {
        return Err(AppError::NotFound);
    };
    let year = year_of(year)?;
    let mut conn = state.db.acquire().await?;
    let round = citywide::round_by_year(&mut conn, city, year)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((user.center_id, round))
}

/// A nomination of the county's as listed.
pub struct NominationItem {
    pub entrant: String,
    pub detail: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub submitted: String,
    pub url: String,
}

/// A condition as the county reads it.
pub struct ConditionItem {
    pub text: String,
    pub how: String,
}

#[derive(Template)]
#[template(path = "citywide/county.html")]
struct CountyPage {
    layout: Layout,
    round: Round,
    deadline: String,
    closed: bool,
    windows_quota: i32,
    staff_quota: i32,
    windows_held: usize,
    staff_held: usize,
    window_conditions: Vec<ConditionItem>,
    staff_conditions: Vec<ConditionItem>,
    nominations: Vec<NominationItem>,
    new_window: String,
    new_staff: String,
}

fn condition_items(conditions: Vec<Condition>) -> Vec<ConditionItem> {
    conditions
        .into_iter()
        .map(|c| ConditionItem {
            how: c
                .rule
                .map_or("申报单位提供证明材料或说明".to_string(), |r| {
                    r.describe()
                }),
            text: c.text,
        })
        .collect()
}

/// `/citywide/{year}` for a county: the notice, its places and its nominations.
pub(super) async fn county_round(
    State(state): State<AppState>,
    user: CurrentUser,
    _city: CenterId,
    Path(year): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let (county, round) = county_round_of(&state, &user, &year).await?;
    let mut conn = state.db.acquire().await?;
    let list = nom::list(&mut conn, round.id, county).await?;
    let held = |kind: Kind| {
        list.iter()
            .filter(|n| n.kind == kind && n.status.holds_place())
            .count()
    };
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    let page = CountyPage {
        layout: Layout::new(round.title.clone(), Some(&user), urls::CITYWIDE).with_notice(&q),
        deadline: crate::domain::format_datetime(Some(round.deadline)),
        closed: state.clock.now() >= round.deadline,
        windows_quota: citywide::quota(&mut conn, round.id, county, Kind::Window).await?,
        staff_quota: citywide::quota(&mut conn, round.id, county, Kind::Staff).await?,
        windows_held: held(Kind::Window),
        staff_held: held(Kind::Staff),
        window_conditions: condition_items(
            citywide::conditions(&mut conn, round.id, Kind::Window).await?,
        ),
        staff_conditions: condition_items(
            citywide::conditions(&mut conn, round.id, Kind::Staff).await?,
        ),
        nominations: list
            .iter()
            .map(|n| NominationItem {
                entrant: n.entrant.clone(),
                detail: n.detail.clone(),
                kind: n.kind.noun(),
                status: n.status.label(),
                submitted: crate::domain::format_datetime(n.submitted_at).replace("从未登录", ""),
                url: urls::nomination(round.year, n.id),
            })
            .collect(),
        new_window: format!("{}/nominations/new?kind=window", urls::citywide(round.year)),
        new_staff: format!("{}/nominations/new?kind=staff", urls::citywide(round.year)),
        round,
    };
    Ok(page::ok(&page))
}

/// A declared condition's row of the form.
pub struct NoteValues {
    pub id: i64,
    pub text: String,
    pub how: String,
    pub declared: bool,
    pub note: String,
    /// What the records say, for a checked condition of a nomination already started.
    pub check: Option<CheckView>,
}

/// What the records say of each checked condition of a nomination, by condition.
pub(super) async fn check_views(
    conn: &mut sqlx::PgConnection,
    n: &Nomination,
    conditions: &[Condition],
    now: time::OffsetDateTime,
) -> AppResult<std::collections::HashMap<i64, CheckView>> {
    let today = db::citywide::evidence::today(now);
    let mut out = std::collections::HashMap::new();
    for c in conditions {
        let Some(rule) = c.rule else { continue };
        let k = db::citywide::evidence::check(conn, n.county, n.kind, n.entrant_id, rule, today)
            .await?;
        out.insert(
            c.id,
            CheckView {
                met: k.met,
                summary: k.summary,
                evidence: k
                    .evidence
                    .into_iter()
                    .map(|e| {
                        (
                            e.label,
                            e.certificate.map(|no| format!("{}/{no}", urls::VERIFY)),
                        )
                    })
                    .collect(),
            },
        );
    }
    Ok(out)
}

/// A checked condition's outcome as shown.
pub struct CheckView {
    pub met: bool,
    pub summary: String,
    /// (label, certificate verification page).
    pub evidence: Vec<(String, Option<String>)>,
}

/// The nomination form as typed.
pub(super) struct NominationValues {
    pub entrant: String,
    pub brief: String,
    pub full_text: String,
    pub version: String,
    pub notes: Vec<NoteValues>,
}

impl NominationValues {
    fn empty(conditions: &[Condition]) -> NominationValues {
        NominationValues {
            entrant: String::new(),
            brief: String::new(),
            full_text: String::new(),
            version: String::new(),
            notes: note_rows(conditions, &[]),
        }
    }

    pub(super) fn of(
        n: &Nomination,
        conditions: &[Condition],
        notes: &[(i64, String)],
    ) -> NominationValues {
        NominationValues {
            entrant: n.entrant_id.to_string(),
            brief: n.brief.clone(),
            full_text: n.full_text.clone(),
            version: n.version.to_string(),
            notes: note_rows(conditions, notes),
        }
    }

    /// The form, each field read once. A submission also needs both accounts and a note
    /// for each declared condition; a draft may lack them.
    fn read(
        form: &FormData,
        round: &Round,
        kind: Kind,
        conditions: &[Condition],
        submitting: bool,
        evidenced: &[i64],
    ) -> (NominationValues, Option<NominationInput>, Errors) {
        let (brief_limit, full_limit) = round.limits(kind);
        let mut f = Fields::new(form);
        let (brief_typed, brief) = f.read("brief", |raw| {
            let t = text::account(raw, brief_limit, chars_for(brief_limit, MAX_BRIEF_CHARS))?;
            if submitting && t.is_empty() {
                return Err(text::TextError::Empty.into());
            }
            Ok(t)
        });
        let (full_typed, full_text) = f.read("full_text", |raw| {
            let t = text::account(raw, full_limit, chars_for(full_limit, MAX_FULL_CHARS))?;
            if submitting && t.is_empty() {
                return Err(text::TextError::Empty.into());
            }
            Ok(t)
        });
        let mut notes = Vec::new();
        let mut rows = Vec::new();
        for c in conditions {
            let name = format!("note_{}", c.id);
            let declared = c.rule.is_none();
            let (typed, note) = f.read(&name, |raw| {
                let t = text::account(raw, 2000, 2000)?;
                if submitting && declared && t.is_empty() && !evidenced.contains(&c.id) {
                    return Err(crate::http::form::FieldError::Message(
                        "提交前请说明本条件的情况（或上传证明材料后注明）".to_string(),
                    ));
                }
                Ok(t)
            });
            if let Some(note) = note {
                notes.push((c.id, note));
            }
            rows.push(NoteValues {
                id: c.id,
                text: c.text.clone(),
                how: c.rule.map_or("须说明或提供证明材料".to_string(), |r| {
                    r.describe()
                }),
                declared,
                note: typed,
                check: None,
            });
        }
        let values = NominationValues {
            entrant: form.echo("entrant"),
            brief: brief_typed,
            full_text: full_typed,
            version: form.echo("version"),
            notes: rows,
        };
        let input = match (brief, full_text) {
            (Some(brief), Some(full_text)) if f.ok() => Some(NominationInput {
                brief,
                full_text,
                notes,
            }),
            _ => None,
        };
        (values, input, f.errors)
    }
}

fn note_rows(conditions: &[Condition], notes: &[(i64, String)]) -> Vec<NoteValues> {
    conditions
        .iter()
        .map(|c| NoteValues {
            id: c.id,
            text: c.text.clone(),
            how: c.rule.map_or("须说明或提供证明材料".to_string(), |r| {
                r.describe()
            }),
            declared: c.rule.is_none(),
            note: notes
                .iter()
                .find(|(id, _)| *id == c.id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            check: None,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "citywide/nomination.html")]
struct NominationPage {
    layout: Layout,
    round_url: String,
    action: String,
    /// Set for a nomination already started: who it is.
    existing: Option<Nomination>,
    entrants: Vec<Choice>,
    values: NominationValues,
    errors: Errors,
    brief_limit: usize,
    full_limit: usize,
    editable: bool,
    /// Why it cannot be changed, when it cannot.
    why_not: Option<String>,
    open_until: String,
    withdraw_url: Option<String>,
    files: Vec<FileView>,
    /// Where files are uploaded to, once the nomination exists and may change.
    upload_url: Option<String>,
    file_count_limit: i32,
    file_size_mb: i32,
    /// The conditions a file may be evidence for: (id, text).
    file_conditions: Vec<Choice>,
}

/// A supporting file as listed.
pub struct FileView {
    pub name: String,
    pub size: String,
    pub condition: String,
    pub url: String,
    pub remove_url: Option<String>,
}

/// A size as people read it.
pub fn size_label(bytes: i32) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", f64::from(bytes) / 1048576.0)
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

fn kind_of(query: Option<&str>) -> Kind {
    let q = FormData::parse_query(query.unwrap_or(""));
    match q.first_utf8("kind") {
        Some("staff") => Kind::Staff,
        _ => Kind::Window,
    }
}

/// Who asks, for which county and round.
pub(super) struct Ctx<'a> {
    pub state: &'a AppState,
    pub user: &'a CurrentUser,
    pub county: CenterId,
    pub round: &'a Round,
}

impl<'a> Ctx<'a> {
    pub(super) fn of(
        state: &'a AppState,
        user: &'a CurrentUser,
        county: CenterId,
        round: &'a Round,
    ) -> Ctx<'a> {
        Ctx {
            state,
            user,
            county,
            round,
        }
    }

    /// A nomination's page again, with what was typed and what is wrong.
    pub(super) async fn existing(
        &self,
        n: Nomination,
        values: NominationValues,
        errors: Errors,
    ) -> AppResult<Response> {
        render(self, n.kind, Some(n), values, errors, None).await
    }

    /// The new nomination's form again.
    async fn fresh(
        &self,
        kind: Kind,
        values: NominationValues,
        errors: Errors,
    ) -> AppResult<Response> {
        render(self, kind, None, values, errors, None).await
    }
}

/// Back to a nomination's page, saying what was done.
pub(super) fn to_nomination(round: &Round, id: i64, notice: &str) -> Response {
    Redirect::to(&format!(
        "{}?notice={notice}",
        urls::nomination(round.year, id)
    ))
    .into_response()
}

pub(super) async fn render(
    ctx: &Ctx<'_>,
    kind: Kind,
    existing: Option<Nomination>,
    mut values: NominationValues,
    errors: Errors,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let Ctx {
        state,
        user,
        county,
        round,
    } = *ctx;
    let mut conn = state.db.acquire().await?;
    let entrants = if existing.is_none() {
        choices(
            &nom::nominable(&mut conn, round.id, county, kind).await?,
            &values.entrant,
        )
    } else {
        Vec::new()
    };
    let now = state.clock.now();
    let (editable, why_not, open_until) = match &existing {
        None => {
            let open = round.phase == crate::domain::citywide::RoundPhase::Nomination
                && now < round.deadline;
            (
                open,
                (!open).then(|| "申报已截止，不能再新增推荐对象。".to_string()),
                crate::domain::format_datetime(Some(round.deadline)),
            )
        }
        Some(n) => {
            let editable = n.editable(round, now);
            let why = if editable {
                None
            } else {
                Some(match n.status {
                    NominationStatus::Submitted if n.open_until(round).is_some_and(|t| now < t) => {
                        "已提交。如需修改，请先撤回（截止前可撤回后重新提交）。".to_string()
                    }
                    NominationStatus::Accepted | NominationStatus::Rejected => {
                        format!("市级已审核（{}），不能再修改。", n.status.label())
                    }
                    _ => "申报已截止，不能再修改或提交（以服务器时间为准）。".to_string(),
                })
            };
            (
                editable,
                why,
                crate::domain::format_datetime(n.open_until(round)).replace("从未登录", ""),
            )
        }
    };
    let withdraw_url = existing.as_ref().and_then(|n| {
        (n.status == NominationStatus::Submitted && n.open_until(round).is_some_and(|t| now < t))
            .then(|| format!("{}/withdraw", urls::nomination(round.year, n.id)))
    });
    if let Some(n) = &existing {
        let conditions = citywide::conditions(&mut conn, round.id, n.kind).await?;
        let mut checks = check_views(&mut conn, n, &conditions, now).await?;
        for row in values.notes.iter_mut() {
            row.check = checks.remove(&row.id);
        }
    }
    let (files, upload_url) = match &existing {
        Some(n) => {
            let base = urls::nomination(round.year, n.id);
            let files = db::citywide::files::list(&mut conn, n.id)
                .await?
                .into_iter()
                .map(|f| FileView {
                    condition: f
                        .condition
                        .and_then(|c| values.notes.iter().find(|v| v.id == c))
                        .map(|v| v.text.clone())
                        .unwrap_or_else(|| "整体材料".to_string()),
                    size: size_label(f.size),
                    url: format!("{base}/files/{}", f.id),
                    remove_url: editable.then(|| format!("{base}/files/{}/remove", f.id)),
                    name: f.name,
                })
                .collect();
            (files, editable.then(|| format!("{base}/files")))
        }
        None => (Vec::new(), None),
    };
    let file_conditions = values
        .notes
        .iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: c.text.clone(),
            selected: false,
        })
        .collect();
    let (brief_limit, full_limit) = round.limits(kind);
    let title = match &existing {
        Some(n) => format!("{}：{}", kind.noun(), n.entrant),
        None => format!("推荐{}", kind.noun()),
    };
    let action = match &existing {
        Some(n) => urls::nomination(round.year, n.id),
        None => format!(
            "{}/nominations?kind={}",
            urls::citywide(round.year),
            kind.as_str()
        ),
    };
    let page = NominationPage {
        layout: Layout::new(title, Some(user), urls::CITYWIDE).with_notice_of(notice),
        round_url: urls::citywide(round.year),
        action,
        existing,
        entrants,
        values,
        brief_limit,
        full_limit,
        editable,
        why_not,
        open_until,
        withdraw_url,
        errors,
        files,
        upload_url,
        file_count_limit: round.file_count_limit,
        file_size_mb: round.file_size_limit / (1024 * 1024),
        file_conditions,
    };
    Ok(page::ok_or_invalid(page.errors.is_empty(), &page))
}

/// `/citywide/{year}/nominations/new?kind=window|staff`.
async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let (county, round) = county_round_of(&state, &user, &year).await?;
    let kind = kind_of(query.as_deref());
    let mut conn = state.db.acquire().await?;
    let conditions = citywide::conditions(&mut conn, round.id, kind).await?;
    drop(conn);
    let values = NominationValues::empty(&conditions);
    render(
        &Ctx {
            state: &state,
            user: &user,
            county,
            round: &round,
        },
        kind,
        None,
        values,
        Errors::default(),
        None,
    )
    .await
}

/// Why a write was refused, in the office's words.
pub(super) fn refusal_message(r: &Refusal) -> String {
    match r {
        Refusal::Closed => "申报已截止（以服务器时间为准），本次未保存任何内容。".to_string(),
        Refusal::Status(s) => format!("该推荐当前为“{}”，不能进行此操作。", s.label()),
        Refusal::Stale => {
            "在您编辑期间，他人已修改并保存了这份推荐。请重新打开后再修改，本次未保存。".to_string()
        }
        Refusal::NotEntrant => "所选对象不是本中心在岗的窗口或工作人员，请重新选择。".to_string(),
        Refusal::Taken => "该对象已被推荐，不能重复推荐。".to_string(),
        Refusal::QuotaFull(q) => format!(
            "本中心该类名额为 {q} 个，已全部提交，不能再提交。如需更换，请先撤回一份已提交的推荐。"
        ),
    }
}

/// `POST /citywide/{year}/nominations?kind=`: starts a nomination (and submits it when
/// asked).
async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(year): Path<String>,
    RawQuery(query): RawQuery,
    form: FormData,
) -> AppResult<Response> {
    let (county, round) = county_round_of(&state, &user, &year).await?;
    let kind = kind_of(query.as_deref());
    let submitting = form.first_utf8("action") == Some("submit");
    let mut conn = state.db.acquire().await?;
    let conditions = citywide::conditions(&mut conn, round.id, kind).await?;
    let options = nom::nominable(&mut conn, round.id, county, kind).await?;
    drop(conn);
    let (values, input, mut errors) =
        NominationValues::read(&form, &round, kind, &conditions, submitting, &[]);
    let entrant = Fields::new(&form).with("entrant", one_of(&options));
    if entrant.is_none() {
        errors.add("entrant", "请选择要推荐的对象");
    }
    let (Some(input), Some(entrant)) = (input, entrant) else {
        return Ctx::of(&state, &user, county, &round)
            .fresh(kind, values, errors)
            .await;
    };
    let actor = user.actor(&ip);
    let mut tx = state.db.begin().await?;
    let id = match nom::create(
        &mut tx,
        &actor,
        &state.clock,
        &round,
        county,
        kind,
        entrant,
        &input,
    )
    .await?
    {
        Ok(id) => id,
        Err(r) => {
            errors.add("_form", refusal_message(&r));
            return Ctx::of(&state, &user, county, &round)
                .fresh(kind, values, errors)
                .await;
        }
    };
    if submitting
        && let Err(r) = nom::submit(&mut tx, &actor, &state.clock, &round, county, id, 1).await?
    {
        // The draft is kept; only the submission was refused.
        tx.commit().await?;
        return Ok(Redirect::to(&format!(
            "{}?refused={}",
            urls::nomination(round.year, id),
            refusal_code(&r)
        ))
        .into_response());
    }
    tx.commit().await?;
    let notice = if submitting {
        "submitted"
    } else {
        "draft_saved"
    };
    Ok(to_nomination(&round, id, notice))
}

fn refusal_code(r: &Refusal) -> &'static str {
    match r {
        Refusal::Closed => "closed",
        Refusal::QuotaFull(_) => "quota",
        _ => "status",
    }
}

pub(super) async fn load(
    state: &AppState,
    user: &CurrentUser,
    year: &str,
    id: &str,
) -> AppResult<(
    CenterId,
    Round,
    Nomination,
    Vec<Condition>,
    Vec<(i64, String)>,
)> {
    let (county, round) = county_round_of(state, user, year).await?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let mut conn = state.db.acquire().await?;
    let n = nom::find(&mut conn, round.id, county, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let conditions = citywide::conditions(&mut conn, round.id, n.kind).await?;
    let notes = nom::notes(&mut conn, n.id).await?;
    Ok((county, round, n, conditions, notes))
}

/// `/citywide/{year}/nominations/{id}`: the county's nomination, to edit while it may.
async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((year, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let (county, round, n, conditions, notes) = load(&state, &user, &year, &id).await?;
    let values = NominationValues::of(&n, &conditions, &notes);
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    let mut errors = Errors::default();
    match q.first_utf8("refused") {
        Some("quota") => errors.add(
            "_form",
            "已保存为草稿，但未能提交：本中心该类名额已全部提交。如需更换，请先撤回一份已提交的推荐。",
        ),
        Some("closed") => errors.add("_form", "已保存为草稿，但未能提交：申报已截止。"),
        Some(_) => errors.add("_form", "已保存为草稿，但未能提交。"),
        None => {}
    }
    let kind = n.kind;
    let mut response = render(
        &Ctx {
            state: &state,
            user: &user,
            county,
            round: &round,
        },
        kind,
        Some(n),
        values,
        errors,
        Some(&q),
    )
    .await?;
    if q.first_utf8("refused").is_some() {
        // The page itself is fine; it says why the submission was not made.
        *response.status_mut() = axum::http::StatusCode::OK;
    }
    Ok(response)
}

/// `POST /citywide/{year}/nominations/{id}`: saves the draft, or saves and submits it.
async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path((year, id)): Path<(String, String)>,
    form: FormData,
) -> AppResult<Response> {
    let (county, round, n, conditions, _) = load(&state, &user, &year, &id).await?;
    let submitting = form.first_utf8("action") == Some("submit");
    let evidenced: Vec<i64> = {
        let mut conn = state.db.acquire().await?;
        db::citywide::files::list(&mut conn, n.id)
            .await?
            .into_iter()
            .filter_map(|f| f.condition)
            .collect()
    };
    let (values, input, mut errors) =
        NominationValues::read(&form, &round, n.kind, &conditions, submitting, &evidenced);
    let version = form.raw("version").ok().and_then(|v| v.parse::<i32>().ok());
    let (Some(input), Some(version)) = (input, version) else {
        if version.is_none() {
            errors.add("_form", "页面已过期，请重新打开后再修改。");
        }
        return Ctx::of(&state, &user, county, &round)
            .existing(n, values, errors)
            .await;
    };
    let actor = user.actor(&ip);
    let mut tx = state.db.begin().await?;
    let mut result = nom::update(
        &mut tx,
        &actor,
        &state.clock,
        &round,
        county,
        n.id,
        version,
        &input,
    )
    .await?;
    if result.is_ok() && submitting {
        result = nom::submit(
            &mut tx,
            &actor,
            &state.clock,
            &round,
            county,
            n.id,
            version + 1,
        )
        .await?;
    }
    if let Err(r) = result {
        // All or nothing: a refused submission saves nothing of this request either.
        drop(tx);
        errors.add("_form", refusal_message(&r));
        return Ctx::of(&state, &user, county, &round)
            .existing(n, values, errors)
            .await;
    }
    tx.commit().await?;
    let notice = if submitting {
        "submitted"
    } else {
        "draft_saved"
    };
    Ok(to_nomination(&round, n.id, notice))
}

/// `POST /citywide/{year}/nominations/{id}/withdraw`: back to a draft, before the deadline.
async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path((year, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (county, round, n, conditions, notes) = load(&state, &user, &year, &id).await?;
    let mut tx = state.db.begin().await?;
    if let Err(r) = nom::withdraw(
        &mut tx,
        &user.actor(&ip),
        &state.clock,
        &round,
        county,
        n.id,
    )
    .await?
    {
        drop(tx);
        let mut errors = Errors::default();
        errors.add("_form", refusal_message(&r));
        let values = NominationValues::of(&n, &conditions, &notes);
        return Ctx::of(&state, &user, county, &round)
            .existing(n, values, errors)
            .await;
    }
    tx.commit().await?;
    Ok(to_nomination(&round, n.id, "withdrawn"))
}
