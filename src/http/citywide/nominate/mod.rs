//! A county's supervision office (or admin) nominates from its own center: the notice with
//! its places and conditions, a form per nomination with the accounts counted in 字, save a
//! draft, submit, withdraw. The server's clock decides every deadline.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{COUNTY_OFFICE, Side, side, year_of};
use crate::db;
use crate::db::citywide::nomination::{self as nom, Nomination, Refusal};
use crate::db::citywide::{self, Condition, Round};
use crate::domain::ids::CenterId;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, Fields, FormData, one_of};
use crate::http::routes::{Access, Routes};

mod county;
mod page;
mod values;

use crate::http::urls;
pub(super) use county::county_round;
use page::to_nomination;
pub(super) use page::{Ctx, FileView};
use page::{kind_of, render};
pub(super) use values::{CheckView, NominationValues, check_views};

pub(super) fn routes(r: Routes) -> Routes {
    let a = Access::Roles(COUNTY_OFFICE);
    r.get("/citywide/{year}/nominations/new", a, new_form)
        .post("/citywide/{year}/nominations", a, create)
        .get("/citywide/{year}/nominations/{id}", a, edit_form)
        .post("/citywide/{year}/nominations/{id}", a, update)
        .post("/citywide/{year}/nominations/{id}/withdraw", a, withdraw)
}

/// The county's round: its city's round of that year. Not found for a city or another year.
pub(crate) async fn county_round_of(
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
    Ctx::of(&state, &user, county, &round)
        .fresh(kind, values, Errors::default())
        .await
}

/// Why a write was refused, in the office's words.
pub(crate) fn refusal_message(r: &Refusal) -> String {
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

pub(crate) async fn load(
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
        &Ctx::of(&state, &user, county, &round),
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
