//! A period's duty days from Excel or WPS, like the monthly scores: the period's sheet (every
//! active staff member with the days so far and, for a quarter or a year, the sum of its
//! parts), an upload previewed row by row, and a confirmation that writes all or nothing.
//! Days that differ from a complete sum of parts need a reason, as on the grid.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::scores::{ImportPage, SheetText, ValueColumn, preview, read_sheet};
use crate::db;
use crate::db::duty::Parts;
use crate::domain::ids::StaffId;
use crate::domain::period::period_label;
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser, PeriodCtx};
use crate::http::form::FormData;
use crate::http::page;
use crate::http::periods::duty_days::{describe, difference_reason};
use crate::http::routes::{Access, Routes, SUPERVISION};
use crate::http::urls;
use crate::scoring::Kind;
use crate::sheets::{self, Cell, Out, OutSheet};

pub fn routes(r: Routes) -> Routes {
    let s = Access::Roles(SUPERVISION);
    r.get("/periods/{code}/duty-days/export.xlsx", s, export)
        .get("/imports/duty-days/{code}", s, upload_page)
        .upload("/imports/duty-days/{code}", s, upload)
        .post("/imports/duty-days/{code}/batches/{id}", s, confirm)
}

const DAYS_COLUMN: ValueColumn = ValueColumn {
    title: "在岗天数",
    parse: days_of,
    show: |d| d.to_string(),
};

/// A duty-days cell: `Ok(None)` when empty.
fn days_of(cell: &Cell) -> Result<Option<i32>, String> {
    const MESSAGE: &str = "在岗天数应为 0 到 366 之间的整数";
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(f) if f.is_finite() && f.fract() == 0.0 && (0.0..=366.0).contains(f) => {
            Ok(Some(*f as i32))
        }
        Cell::Number(_) => Err(MESSAGE.into()),
        Cell::Text(t) => text::days(t).map_err(str::to_string),
    }
}

fn duty_url(code: &str) -> String {
    format!("{}/duty-days", urls::period(code))
}

async fn export(State(state): State<AppState>, ctx: PeriodCtx) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let mut conn = state.db.acquire().await?;
    let keyed = db::imports::keys(&mut conn, user.center_id, Kind::Staff).await?;
    let days: HashMap<i64, Option<i32>> =
        db::duty::duty_grid(&mut conn, user.center_id, p.period_id, None)
            .await?
            .into_iter()
            .map(|r| (r.id, r.score))
            .collect();
    let parts = db::duty::parts(&mut conn, user.center_id, p.period_id, &p.months).await?;
    drop(conn);
    let rows = keyed
        .into_iter()
        .map(|k| {
            vec![
                Out::Text(k.key),
                Out::Text(k.name),
                Out::Text(k.detail),
                match days.get(&k.id).copied().flatten() {
                    Some(d) => Out::Int(i64::from(d)),
                    None => Out::Empty,
                },
                match parts.get(&k.id) {
                    Some(x) => Out::Text(describe(x)),
                    None => Out::Empty,
                },
            ]
        })
        .collect();
    let label = period_label(&p.code);
    let header = [
        ("工号", 12.0),
        ("姓名", 12.0),
        ("窗口", 24.0),
        ("在岗天数", 10.0),
        ("各季度（月）合计（参考）", 48.0),
    ]
    .iter()
    .map(|(t, w)| (t.to_string(), *w))
    .collect();
    let book = sheets::write_xlsx(&[OutSheet {
        name: "在岗天数".into(),
        title: format!("{label} 在岗天数（0 到 366 的整数；只填“在岗天数”一列，其他列请勿修改）"),
        header,
        rows,
        frozen_columns: 2,
    }]);
    page::xlsx_download(&format!("{label}在岗天数.xlsx"), book)
}

fn empty_page(user: &CurrentUser, p: &db::period::PeriodRow) -> ImportPage {
    let label = period_label(&p.code);
    let text = SheetText {
        heading: format!("{label} 在岗天数 从 Excel 导入"),
        crumb: format!("{label} 在岗天数"),
        template_label: format!("下载{label}在岗天数表（Excel）"),
        template_note: "表中已列出本中心所有在岗工作人员、已登记的在岗天数，以及本周期各季度（月）已登记天数的合计，供核对。".into(),
        fill_note: "在 Excel 或 WPS 中只填写“在岗天数”一列（0 到 366 的整数），其他列不要改动；保存为 .xlsx（也可另存为 CSV）。与合计不同的，确认导入时须说明理由。".into(),
        value_title: "在岗天数",
        unit: "名工作人员的在岗天数",
        grid_url: duty_url(&p.code),
        template_url: format!("{}/export.xlsx", duty_url(&p.code)),
        action: format!("/imports/duty-days/{}", p.code),
    };
    ImportPage::new(user, urls::PERIODS, text)
}

fn locked_message(p: &db::period::PeriodRow) -> String {
    format!(
        "{}已确认候选对象，在岗天数已锁定，不能导入。",
        period_label(&p.code)
    )
}

async fn upload_page(ctx: PeriodCtx, RawQuery(query): RawQuery) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let mut page_ = empty_page(&user, &p);
    if p.phase.scores_locked() {
        page_.error = Some(locked_message(&p));
    }
    page_.layout = page_
        .layout
        .with_notice(&FormData::parse_query(query.as_deref().unwrap_or("")));
    Ok(page::ok(&page_))
}

/// How many of `changes` set days that differ from a complete sum of parts.
fn differing(changes: &[db::imports::Change], parts: &HashMap<i64, Parts>) -> usize {
    changes
        .iter()
        .filter(|c| parts.get(&c.id).is_some_and(|x| x.differs(c.after)))
        .count()
}

async fn upload(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let mut page_ = empty_page(&user, &p);
    let refuse = |mut page_: ImportPage, msg: String| {
        page_.error = Some(msg);
        page::invalid(&page_)
    };
    let sheet = match read_sheet(&headers, body).await? {
        Ok((name, sheet)) => {
            page_.file_name = name;
            sheet
        }
        Err((name, msg)) => {
            page_.file_name = name;
            return Ok(refuse(page_, msg));
        }
    };
    if p.phase.scores_locked() {
        return Ok(refuse(page_, locked_message(&p)));
    }
    let mut conn = state.db.acquire().await?;
    let keyed = db::imports::keys(&mut conn, user.center_id, Kind::Staff).await?;
    let current: HashMap<i64, (Option<i32>, i32)> =
        db::duty::duty_grid(&mut conn, user.center_id, p.period_id, None)
            .await?
            .into_iter()
            .map(|r| (r.id, (r.score, r.version)))
            .collect();
    let mut found = match preview(&sheet, Kind::Staff, &DAYS_COLUMN, &keyed, &current) {
        Ok(found) => found,
        Err(msg) => return Ok(refuse(page_, msg)),
    };
    let parts = db::duty::parts(&mut conn, user.center_id, p.period_id, &p.months).await?;
    page_.reason_needed = differing(&found.changes, &parts);
    // Each such row says so in the preview.
    let by_key: HashMap<&str, i64> = keyed.iter().map(|k| (k.key.as_str(), k.id)).collect();
    for row in found.rows.iter_mut().filter(|r| r.class == "ok") {
        let sum = by_key
            .get(row.key.as_str())
            .and_then(|id| parts.get(id))
            .and_then(Parts::complete_sum);
        if let Some(sum) = sum.filter(|s| s.to_string() != row.after) {
            row.message = format!("与各季度（月）合计 {sum} 天不同");
        }
    }
    if found.errors == 0 && !found.changes.is_empty() {
        let id = db::imports::create_duty(
            &mut conn,
            user.center_id,
            user.account_id,
            p.period_id,
            &page_.file_name,
            &found.changes,
        )
        .await?;
        page_.confirm_action = format!("/imports/duty-days/{}/batches/{id}", p.code);
    }
    Ok(page_.with_preview(found))
}

async fn confirm(
    State(state): State<AppState>,
    ctx: PeriodCtx,
    ip: ClientIp,
    Path((_, id)): Path<(String, String)>,
    form: FormData,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let id = crate::http::extract::path_id(&id)?;
    let mut tx = state.db.begin().await?;
    let (code, changes, applied) =
        db::imports::lock_duty(&mut tx, user.center_id, user.account_id, id)
            .await?
            .filter(|(code, _, _)| *code == p.code)
            .ok_or(AppError::NotFound)?;
    let back = Redirect::to(&format!("{}?notice=imported_duty", duty_url(&code))).into_response();
    if applied {
        return Ok(back);
    }
    let again = |msg: String, reason_needed: usize, reason_error: Option<String>| {
        let mut page_ = empty_page(&user, &p);
        page_.error = Some(msg);
        page_.reason = form.echo("reason");
        if reason_needed > 0 || reason_error.is_some() {
            // The same batch can still be confirmed, with a reason.
            page_.previewed = true;
            page_.changes = changes.len();
            page_.reason_needed = reason_needed;
            page_.reason_error = reason_error;
            page_.confirm_action = format!("/imports/duty-days/{code}/batches/{id}");
        }
        Ok(page::invalid(&page_))
    };
    let phase = db::period::lock_phase(&mut tx, user.center_id, p.period_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if phase.scores_locked() {
        drop(tx);
        return again(locked_message(&p), 0, None);
    }
    db::advisory_lock(&mut tx, &format!("duty {}", p.period_id)).await?;
    let ids: Vec<i64> = changes.iter().map(|c| c.id).collect();
    let current: HashMap<i64, (Option<i32>, i32)> =
        db::duty::lock_duty(&mut tx, user.center_id, p.period_id, &ids)
            .await?
            .into_iter()
            .map(|(id, days, version, _)| (id, (days, version)))
            .collect();
    let moved = changes
        .iter()
        .filter(|c| current.get(&c.id) != Some(&(c.before, c.version)))
        .count();
    if moved > 0 {
        drop(tx);
        return again(
            format!(
                "预览之后，有 {moved} 名工作人员的在岗天数已被他人修改（或人员已停用）。为避免覆盖，本次未导入任何数据；请重新上传文件，核对预览后再确认。"
            ),
            0,
            None,
        );
    }
    let parts = db::duty::parts(&mut tx, user.center_id, p.period_id, &p.months).await?;
    let needed = differing(&changes, &parts);
    let reason = match difference_reason(&form, needed, false) {
        Ok(r) => r,
        Err((msg, e)) => {
            drop(tx);
            return again(msg, needed, Some(e));
        }
    };
    let actor = user.actor(&ip);
    for c in &changes {
        let differs = parts.get(&c.id).is_some_and(|x| x.differs(c.after));
        db::duty::set_duty(
            &mut tx,
            &actor,
            user.center_id,
            p.period_id,
            &p.code,
            StaffId(c.id),
            c.before,
            Some(c.after),
            reason.as_deref().filter(|_| differs),
        )
        .await?;
    }
    db::imports::mark_applied(&mut tx, id).await?;
    tx.commit().await?;
    Ok(back)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duty_day_cells_are_whole_days_or_refused() {
        assert_eq!(days_of(&Cell::Number(62.0)), Ok(Some(62)));
        assert_eq!(days_of(&Cell::Text(" 240 ".into())), Ok(Some(240)));
        assert!(days_of(&Cell::Number(61.5)).is_err());
        assert!(days_of(&Cell::Number(367.0)).is_err());
        assert!(days_of(&Cell::Number(-1.0)).is_err());
        assert!(days_of(&Cell::Text("六十".into())).is_err());
        assert_eq!(days_of(&Cell::Empty), Ok(None));
    }
}
