//! The announcement (通报表彰): the city's group leader confirms exactly the honorees by
//! county and publishes, which locks the round and issues certificates in the city's name;
//! the city's office prints them, and a later disqualification revokes one with a reason.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::review::city_round;
use crate::db;
use crate::db::citywide::Round;
use crate::db::citywide::feedback::Nominee;
use crate::db::citywide::honors::PublishRefusal;
use crate::domain::citywide::RoundPhase;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, Fields, FormData};
use crate::http::honor::certificates::{CertificateView, city_view, public_base};
use crate::http::page::{self, Layout};
use crate::http::routes::{Access, Routes, SUPERVISION};
use crate::http::urls;

pub(super) fn routes(r: Routes) -> Routes {
    r.get(
        "/citywide/{year}/confirm",
        Access::GroupLeader,
        confirm_page,
    )
    .post("/citywide/{year}/publish", Access::GroupLeader, publish)
    .get(
        "/citywide/{year}/honors",
        Access::Roles(SUPERVISION),
        honors_page,
    )
    .get(
        "/citywide/{year}/certificates",
        Access::Roles(SUPERVISION),
        certificates,
    )
    .post(
        "/citywide/{year}/honors/{id}/revoke",
        Access::Roles(SUPERVISION),
        revoke,
    )
}

/// The honorees of one county as the confirmation lists them.
pub struct CountyList {
    pub county: String,
    pub nominees: Vec<Nominee>,
}

#[derive(Template)]
#[template(path = "citywide/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    round: Round,
    counties: Vec<CountyList>,
    disqualified: Vec<(String, String)>,
    unanswered: i64,
    can_publish: bool,
    error: Option<String>,
    honors_url: String,
}

async fn render_confirm(
    state: &AppState,
    user: &CurrentUser,
    round: Round,
    error: Option<String>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let nominees = db::citywide::feedback::nominees(&mut conn, round.id).await?;
    let feedback = db::citywide::feedback::list(&mut conn, round.id).await?;
    let unanswered = feedback.iter().filter(|f| f.answer.is_none()).count() as i64;
    let all = db::citywide::nomination::all_in_round(&mut conn, round.id).await?;
    let reasons = db::citywide::feedback::disqualified(&mut conn, round.id).await?;
    let disqualified = reasons
        .into_iter()
        .filter_map(|(id, reason)| {
            all.iter()
                .find(|n| n.id == id)
                .map(|n| (n.entrant.clone(), reason))
        })
        .collect();
    let mut counties: Vec<CountyList> = Vec::new();
    for n in nominees {
        match counties.iter_mut().find(|c| c.county == n.county) {
            Some(c) => c.nominees.push(n),
            None => counties.push(CountyList {
                county: n.county.clone(),
                nominees: vec![n],
            }),
        }
    }
    let layout = Layout::new(
        format!("审核确认 · {}", round.title),
        Some(user),
        urls::CITYWIDE,
    )
    .with_notice_of(notice);
    let invalid = error.is_some();
    let page = ConfirmPage {
        layout,
        can_publish: round.phase == RoundPhase::Confirmation && unanswered == 0,
        honors_url: format!("{}/honors", urls::citywide(round.year)),
        round,
        counties,
        disqualified,
        unanswered,
        error,
    };
    Ok(page::ok_or_invalid(!invalid, &page))
}

/// `/citywide/{year}/confirm`: exactly the honorees, by county.
async fn confirm_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    render_confirm(&state, &user, round, None, Some(&q)).await
}

/// `POST /citywide/{year}/publish`.
async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let mut tx = state.db.begin().await?;
    match db::citywide::honors::publish(&mut tx, &user.actor(&ip), &round).await? {
        Ok(_) => {
            tx.commit().await?;
            state.honors.invalidate();
            Ok(Redirect::to(&format!(
                "{}/confirm?notice=published",
                urls::citywide(round.year)
            ))
            .into_response())
        }
        Err(r) => {
            drop(tx);
            let why = match r {
                PublishRefusal::Phase(p) => {
                    format!("本轮评选当前为“{}”阶段，不能发布。", p.label())
                }
                PublishRefusal::Unanswered(n) => {
                    format!("还有 {n} 条公示反映意见未答复，全部答复后才能发布。")
                }
            };
            render_confirm(&state, &user, round, Some(why), None).await
        }
    }
}

/// An honoree with its certificate and, for the office, how to revoke it.
pub struct HonorView {
    pub id: i64,
    pub certificate: CertificateView,
    pub revoke_url: String,
    pub reason: String,
    pub errors: Errors,
}

#[derive(Template)]
#[template(path = "citywide/honors.html")]
struct HonorsPage {
    layout: Layout,
    round: Round,
    honors: Vec<HonorView>,
    needs_public_url: bool,
}

async fn render_honors(
    state: &AppState,
    user: &CurrentUser,
    round: Round,
    failed: Option<(i64, String, Errors)>,
    notice: Option<&FormData>,
) -> AppResult<Response> {
    if round.phase != RoundPhase::Published {
        return Err(AppError::NotFound);
    }
    let mut conn = state.db.acquire().await?;
    let base = public_base(state);
    let honors = db::citywide::honors::of_round(&mut conn, round.id)
        .await?
        .iter()
        .map(|h| {
            let failed_here = failed.as_ref().filter(|f| f.0 == h.id);
            HonorView {
                id: h.id,
                certificate: city_view(h, base),
                revoke_url: format!("{}/honors/{}/revoke", urls::citywide(round.year), h.id),
                reason: failed_here.map(|f| f.1.clone()).unwrap_or_default(),
                errors: failed_here.map(|f| f.2.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let layout = Layout::new(
        format!("表彰名单和证书 · {}", round.title),
        Some(user),
        urls::CITYWIDE,
    )
    .with_notice_of(notice);
    let invalid = failed.is_some();
    let page = HonorsPage {
        layout,
        round,
        honors,
        needs_public_url: base.is_none(),
    };
    Ok(page::ok_or_invalid(!invalid, &page))
}

/// `/citywide/{year}/honors`: the honorees and their certificates, to print.
async fn honors_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let q = FormData::parse_query(query.as_deref().unwrap_or(""));
    render_honors(&state, &user, round, None, Some(&q)).await
}

/// `POST /citywide/{year}/honors/{id}/revoke`: a correction with its reason.
async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path((year, id)): Path<(String, String)>,
    form: FormData,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let mut f = Fields::new(&form);
    let reason = f.with(
        "reason",
        super::written("撤销须写明理由（如经查实的问题和处理依据）"),
    );
    if let Some(reason) = reason.filter(|_| round.phase == RoundPhase::Published) {
        let mut tx = state.db.begin().await?;
        if !db::citywide::honors::revoke(&mut tx, &user.actor(&ip), &round, id, &reason).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        state.honors.invalidate();
        return Ok(Redirect::to(&format!(
            "{}/honors?notice=revoked",
            urls::citywide(round.year)
        ))
        .into_response());
    }
    let failed = Some((id, form.echo("reason"), f.errors));
    render_honors(&state, &user, round, failed, None).await
}

/// The certificates of a published round, one A4 page each, with their QR codes: the same
/// page as a period's.
#[derive(Template)]
#[template(path = "honor/certificates.html")]
struct CertificatesPage {
    layout: Layout,
    label: String,
    results_url: String,
    certificates: Vec<CertificateView>,
    needs_public_url: bool,
}

/// `/citywide/{year}/certificates`: the valid certificates, to print.
async fn certificates(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
) -> AppResult<Response> {
    let round = city_round(&state, &user, &year).await?;
    if round.phase != RoundPhase::Published {
        return Err(AppError::NotFound);
    }
    let base = public_base(&state);
    let certificates = match base {
        // Printed without its public address, a certificate could not be verified.
        None => Vec::new(),
        Some(_) => {
            let mut conn = state.db.acquire().await?;
            db::citywide::honors::of_round(&mut conn, round.id)
                .await?
                .iter()
                .filter(|h| h.revoked_at.is_none())
                .map(|h| city_view(h, base))
                .collect()
        }
    };
    let label = format!("{}年度全市评选", round.year);
    Ok(page::ok(&CertificatesPage {
        layout: Layout::new(format!("{label} 荣誉证书"), Some(&user), urls::CITYWIDE),
        results_url: format!("{}/honors", urls::citywide(round.year)),
        label,
        certificates,
        needs_public_url: base.is_none(),
    }))
}
