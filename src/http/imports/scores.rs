//! Monthly scores from Excel or WPS: a template with the month's windows or staff already
//! listed (and their scores so far, so the same file is the month's export), an upload that
//! shows what every row would do, and a confirmation that writes all of it in one
//! transaction, or nothing.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use crate::db;
use crate::db::imports::Change;
use crate::domain::ids::Entrant;
use crate::domain::period::{is_month, month_label};
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::FormData;
use crate::http::page::{self, Layout};
use crate::http::routes::{Access, Routes, SUPERVISION};
use crate::http::urls;
use crate::scoring::{Fixed2, Kind};
use crate::sheets::{self, Cell, Out, OutSheet};

pub fn routes(r: Routes) -> Routes {
    let s = Access::Roles(SUPERVISION);
    r.get("/scores/{month}/export.xlsx", s, export_month)
        .get("/imports/scores/{month}", s, upload_page)
        .upload("/imports/scores/{month}", s, upload)
        .post("/imports/batches/{id}", s, confirm)
}

/// Windows or staff, from `?tab=`.
fn kind_of(query: Option<&str>) -> Kind {
    Kind::from_tab(FormData::parse_query(query.unwrap_or("")).first_utf8("tab"))
}

/// The columns of a score sheet: key, two columns to read by, the score.
fn header(kind: Kind) -> Vec<(String, f64)> {
    let columns: [(&str, f64); 4] = if kind == Kind::Staff {
        [
            ("工号", 12.0),
            ("姓名", 12.0),
            ("窗口", 24.0),
            ("分数", 10.0),
        ]
    } else {
        [
            ("窗口号", 10.0),
            ("窗口名称", 22.0),
            ("进驻单位", 22.0),
            ("分数", 10.0),
        ]
    };
    columns.iter().map(|(t, w)| (t.to_string(), *w)).collect()
}

/// The month's sheet: every active window or staff member with the score so far.
async fn export_month(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(month): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    let kind = kind_of(query.as_deref());
    let mut conn = state.db.acquire().await?;
    let keyed = db::imports::keys(&mut conn, user.center_id, kind).await?;
    let scores: HashMap<i64, Option<i32>> = if kind == Kind::Staff {
        db::score::staff_grid(&mut conn, user.center_id, &month, None, None).await?
    } else {
        db::score::window_grid(&mut conn, user.center_id, &month, None).await?
    }
    .into_iter()
    .map(|r| (r.id, r.score))
    .collect();
    drop(conn);
    let rows = keyed
        .into_iter()
        .map(|k| {
            vec![
                Out::Text(k.key),
                Out::Text(k.name),
                Out::Text(k.detail),
                match scores.get(&k.id).copied().flatten() {
                    Some(h) => Out::Hundredths(i64::from(h)),
                    None => Out::Empty,
                },
            ]
        })
        .collect();
    let bytes = sheets::write_xlsx(&[OutSheet {
        name: format!("{}考核", kind.noun()),
        title: format!(
            "{} {}月度考核（百分制，最多两位小数；只填“分数”一列，其他列请勿修改）",
            month_label(&month),
            kind.noun()
        ),
        header: header(kind),
        rows,
        frozen_columns: 2,
    }]);
    page::xlsx_download(
        &format!("{}{}考核.xlsx", month_label(&month), kind.noun()),
        bytes,
    )
}

// ----------------------------------------------------------------------------------------
// Upload and preview

/// What one row of the file would do.
pub struct RowView {
    pub line: usize,
    pub key: String,
    pub label: String,
    pub before: String,
    pub after: String,
    pub status: &'static str,
    pub class: &'static str,
    pub message: String,
}

/// What an import page says of its sheet: the words and addresses in which the score and
/// duty-day imports differ.
pub(super) struct SheetText {
    /// The page's heading, e.g. 2026年10月 窗口考核 从 Excel 导入.
    pub heading: String,
    /// The grid the import feeds, as the crumb names it.
    pub crumb: String,
    /// The first step: the sheet to download, and what it holds.
    pub template_label: String,
    pub template_note: String,
    /// The second step: what to fill in.
    pub fill_note: String,
    /// The column read, e.g. 分数.
    pub value_title: &'static str,
    /// What is saved, counted: 个分数, 名工作人员的在岗天数.
    pub unit: &'static str,
    pub grid_url: String,
    pub template_url: String,
    pub action: String,
}

#[derive(Template)]
#[template(path = "imports/sheet.html")]
pub(super) struct ImportPage {
    pub layout: Layout,
    pub text: SheetText,
    pub error: Option<String>,
    pub file_name: String,
    /// The preview, once a file was read.
    pub previewed: bool,
    pub rows: Vec<RowView>,
    pub hidden_rows: usize,
    pub changes: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub errors: usize,
    pub confirm_action: String,
    /// Rows that need a reason to be confirmed (duty days that differ from a sum of parts).
    pub reason_needed: usize,
    /// The reason as typed, and what is wrong with it.
    pub reason: String,
    pub reason_error: Option<String>,
}

impl ImportPage {
    /// The upload page of `text`'s sheet, under the navigation entry `nav`, before a file.
    pub(super) fn new(user: &CurrentUser, nav: &'static str, text: SheetText) -> ImportPage {
        ImportPage {
            layout: Layout::new(text.heading.clone(), Some(user), nav),
            text,
            error: None,
            file_name: String::new(),
            previewed: false,
            rows: Vec::new(),
            hidden_rows: 0,
            changes: 0,
            unchanged: 0,
            skipped: 0,
            errors: 0,
            confirm_action: String::new(),
            reason_needed: 0,
            reason: String::new(),
            reason_error: None,
        }
    }
}

fn empty_page(user: &CurrentUser, month: &str, kind: Kind) -> ImportPage {
    let q = format!("tab={}", kind.tab());
    let text = SheetText {
        heading: format!("{} {}考核 从 Excel 导入", month_label(month), kind.noun()),
        crumb: format!("{} 月度考核", month_label(month)),
        template_label: format!("下载本月{}考核表（Excel）", kind.noun()),
        template_note: format!(
            "表中已列出本中心所有在用{}和本月已录的分数。",
            kind.noun()
        ),
        fill_note: "在 Excel 或 WPS 中只填写“分数”一列（百分制，最多两位小数），其他列不要改动；保存为 .xlsx（也可另存为 CSV）。".into(),
        value_title: "分数",
        unit: "个分数",
        grid_url: format!("{}?{q}", urls::scores(month)),
        template_url: format!("{}/export.xlsx?{q}", urls::scores(month)),
        action: format!("/imports/scores/{month}?{q}"),
    };
    ImportPage::new(user, urls::SCORES, text)
}

async fn upload_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(month): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    let kind = kind_of(query.as_deref());
    let mut page_ = empty_page(&user, &month, kind);
    let locked = {
        let mut conn = state.db.acquire().await?;
        db::period::locking_periods(&mut conn, user.center_id, &month).await?
    };
    if !locked.is_empty() {
        page_.error = Some(locked_message(&month, &locked));
    }
    page_.layout = page_
        .layout
        .with_notice(&FormData::parse_query(query.as_deref().unwrap_or("")));
    Ok(page::ok(&page_))
}

fn locked_message(month: &str, codes: &[String]) -> String {
    format!(
        "{} 的考核已锁定（{} 已确认候选对象），不能导入；如需更正，请在月度考核页使用“更正分数”。",
        month_label(month),
        codes.join("、")
    )
}

/// The column a sheet import reads besides the key: its title, how a cell is read
/// (`Ok(None)` when empty) and how a value is shown.
pub(super) struct ValueColumn {
    pub title: &'static str,
    pub parse: fn(&Cell) -> Result<Option<i32>, String>,
    pub show: fn(i32) -> String,
}

const SCORE_COLUMN: ValueColumn = ValueColumn {
    title: "分数",
    parse: score_of,
    show: |h| Fixed2(i64::from(h)).to_string(),
};

/// A score cell: `Ok(None)` when empty.
fn score_of(cell: &Cell) -> Result<Option<i32>, String> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Number(f) => {
            if !f.is_finite() || *f < 0.0 || *f > 100.0 {
                return Err("分数应在 0 到 100 之间".into());
            }
            let h = (f * 100.0).round();
            if (f * 100.0 - h).abs() > 1e-6 {
                return Err("分数最多两位小数".into());
            }
            Ok(Some(h as i32))
        }
        Cell::Text(t) => text::score(t).map_err(str::to_string),
    }
}

/// The outcome of every row, and the changes to keep for the confirmation.
pub(super) struct Preview {
    pub rows: Vec<RowView>,
    pub changes: Vec<Change>,
    pub unchanged: usize,
    pub skipped: usize,
    pub errors: usize,
}

/// What every row of `sheet` would do to the values `current` (by id, with versions).
pub(super) fn preview(
    sheet: &[Vec<Cell>],
    kind: Kind,
    column: &ValueColumn,
    keyed: &[db::imports::Keyed],
    current: &HashMap<i64, (Option<i32>, i32)>,
) -> Result<Preview, String> {
    let value_title = column.title;
    let key_title = if kind == Kind::Staff {
        "工号"
    } else {
        "窗口号"
    };
    // The header: within the first five rows, the one naming the key and the score.
    let found = sheet.iter().take(5).enumerate().find_map(|(i, row)| {
        let titles: Vec<String> = row.iter().map(Cell::text).collect();
        let key = titles.iter().position(|t| t == key_title)?;
        let score = titles.iter().position(|t| t.starts_with(value_title))?;
        Some((i, key, score))
    });
    let Some((head, key_col, score_col)) = found else {
        return Err(format!(
            "找不到表头：表格前几行中应有“{key_title}”和“{value_title}”两列。请下载本页的模板，在模板中填写{value_title}后上传。"
        ));
    };
    let by_key: HashMap<&str, &db::imports::Keyed> =
        keyed.iter().map(|k| (k.key.as_str(), k)).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Preview {
        rows: Vec::new(),
        changes: Vec::new(),
        unchanged: 0,
        skipped: 0,
        errors: 0,
    };
    for (i, row) in sheet.iter().enumerate().skip(head + 1) {
        let line = i + 1;
        let cell = |c: usize| row.get(c).cloned().unwrap_or(Cell::Empty);
        let key = cell(key_col).text();
        let score = cell(score_col);
        if key.is_empty() && score == Cell::Empty {
            continue;
        }
        let typed: String = score.text().chars().take(20).collect();
        let mut view = RowView {
            line,
            key: key.chars().take(30).collect(),
            label: String::new(),
            before: String::new(),
            after: typed,
            status: "",
            class: "",
            message: String::new(),
        };
        let fail = |view: &mut RowView, msg: String| {
            view.status = "错误";
            view.class = "error";
            view.message = msg;
        };
        if key.is_empty() {
            fail(&mut view, format!("缺少{key_title}"));
        } else if let Some(first) = seen.get(&key) {
            fail(&mut view, format!("与第 {first} 行重复"));
        } else if let Some(k) = by_key.get(key.as_str()) {
            seen.insert(key.clone(), line);
            view.label = format!("{} {}", k.name, k.detail);
            let (now, version) = current.get(&k.id).copied().unwrap_or((None, 0));
            view.before = now.map(column.show).unwrap_or_default();
            match (column.parse)(&score) {
                Err(msg) => fail(&mut view, msg),
                Ok(None) => {
                    view.status = "跳过";
                    view.class = "muted";
                    view.message = format!("未填{value_title}");
                }
                Ok(Some(h)) if Some(h) == now => {
                    view.status = "无变化";
                    view.class = "muted";
                    view.after = (column.show)(h);
                }
                Ok(Some(h)) => {
                    view.status = if now.is_some() { "修改" } else { "新增" };
                    view.class = "ok";
                    view.after = (column.show)(h);
                    out.changes.push(Change {
                        id: k.id,
                        before: now,
                        version,
                        after: h,
                    });
                }
            }
        } else {
            let msg = format!("本中心没有{key_title}为“{}”的在用{}", view.key, kind.noun());
            fail(&mut view, msg);
        }
        match view.status {
            "错误" => out.errors += 1,
            "跳过" => out.skipped += 1,
            "无变化" => out.unchanged += 1,
            _ => {}
        }
        out.rows.push(view);
    }
    if out.rows.is_empty() {
        return Err("表格中没有数据行：请在表头下面每行填写一条。".into());
    }
    Ok(out)
}

/// At most this many rows are listed (errors and changes first).
const SHOWN: usize = 500;

impl ImportPage {
    /// The page with the preview of a file read (its confirmation action already set when
    /// there is something to confirm): 200 when it can be confirmed, 422 when it has errors.
    pub(super) fn with_preview(mut self, p: Preview) -> Response {
        self.previewed = true;
        self.changes = p.changes.len();
        self.unchanged = p.unchanged;
        self.skipped = p.skipped;
        self.errors = p.errors;
        // Errors first, then changes, then the rest, each in file order.
        let mut rows = p.rows;
        rows.sort_by_key(|r| match r.class {
            "error" => 0,
            "ok" => 1,
            _ => 2,
        });
        self.hidden_rows = rows.len().saturating_sub(SHOWN);
        rows.truncate(SHOWN);
        self.rows = rows;
        page::ok_or_invalid(p.errors == 0, &self)
    }
}

/// The uploaded file's name and its first sheet, or its name and why it cannot be read.
pub(crate) async fn read_sheet(
    headers: &HeaderMap,
    body: Bytes,
) -> AppResult<Result<(String, Vec<Vec<Cell>>), (String, String)>> {
    let Some(file) = crate::http::form::uploaded_file(headers, body, "file").await else {
        return Ok(Err((
            String::new(),
            "没有收到文件：请点“选择文件”选好表格后再上传。".into(),
        )));
    };
    let data = file.data;
    let read = tokio::task::spawn_blocking(move || sheets::read(&data))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(match read {
        Ok(sheet) => Ok((file.name, sheet)),
        Err(e) => Err((file.name, e.message())),
    })
}

async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(month): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    if !is_month(&month) {
        return Err(AppError::NotFound);
    }
    let kind = kind_of(query.as_deref());
    let mut page_ = empty_page(&user, &month, kind);
    let refuse = |mut p: ImportPage, msg: String| {
        p.error = Some(msg);
        page::invalid(&p)
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
    let mut conn = state.db.acquire().await?;
    let locked = db::period::locking_periods(&mut conn, user.center_id, &month).await?;
    if !locked.is_empty() {
        return Ok(refuse(page_, locked_message(&month, &locked)));
    }
    if db::assessment::rules::mode(&mut conn, user.center_id, kind, &month).await?
        == db::assessment::Mode::Records
    {
        return Ok(refuse(page_, by_records_message(&month)));
    }
    let keyed = db::imports::keys(&mut conn, user.center_id, kind).await?;
    let current: HashMap<i64, (Option<i32>, i32)> = if kind == Kind::Staff {
        db::score::staff_grid(&mut conn, user.center_id, &month, None, None).await?
    } else {
        db::score::window_grid(&mut conn, user.center_id, &month, None).await?
    }
    .into_iter()
    .map(|r| (r.id, (r.score, r.version)))
    .collect();
    let p = match preview(&sheet, kind, &SCORE_COLUMN, &keyed, &current) {
        Ok(p) => p,
        Err(msg) => return Ok(refuse(page_, msg)),
    };
    if p.errors == 0 && !p.changes.is_empty() {
        let id = db::imports::create(
            &mut conn,
            user.center_id,
            user.account_id,
            kind,
            &month,
            &page_.file_name,
            &p.changes,
        )
        .await?;
        page_.confirm_action = format!("/imports/batches/{id}");
    }
    Ok(page_.with_preview(p))
}

/// Why a month assessed by records takes no typed scores.
fn by_records_message(month: &str) -> String {
    format!(
        "{}的分数按考核细则由考核记录计算，不能从表格导入。未导入任何分数。",
        crate::domain::period::month_label(month)
    )
}

// ----------------------------------------------------------------------------------------
// Confirmation

async fn confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = crate::http::extract::path_id(&id)?;
    let mut tx = state.db.begin().await?;
    let batch = db::imports::lock(&mut tx, user.center_id, user.account_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let kind = batch.kind;
    let month = batch.month.clone();
    let back = |notice: &str| {
        Redirect::to(&format!(
            "{}?tab={}&notice={notice}",
            urls::scores(&month),
            kind.tab()
        ))
        .into_response()
    };
    if batch.applied {
        return Ok(back("imported"));
    }
    // The kind's assessment lock before the month's score lock, in the order every writer
    // of scores takes them (the grid, records, appeals, 好差评), so that none waits for another
    // holding the second.
    db::assessment::lock(&mut tx, user.center_id, kind).await?;
    db::advisory_lock(&mut tx, &format!("score {} {month}", user.center_id)).await?;
    let locked = db::correction::lock_locking_periods(&mut tx, user.center_id, &month).await?;
    let again = async |msg: String| -> AppResult<Response> {
        let mut p = empty_page(&user, &month, kind);
        p.error = Some(msg);
        Ok(page::invalid(&p))
    };
    if !locked.is_empty() {
        drop(tx);
        let codes: Vec<String> = locked.into_iter().map(|p| p.code).collect();
        return again(locked_message(&month, &codes)).await;
    }
    if db::assessment::rules::mode(&mut tx, user.center_id, kind, &month).await?
        == db::assessment::Mode::Records
    {
        drop(tx);
        return again(by_records_message(&month)).await;
    }
    let ids: Vec<i64> = batch.changes.iter().map(|c| c.id).collect();
    let current: HashMap<i64, (Option<i32>, i32)> =
        db::score::lock_current(&mut tx, user.center_id, &month, kind, &ids)
            .await?
            .into_iter()
            .map(|(id, score, version, _)| (id, (score, version)))
            .collect();
    let moved = batch
        .changes
        .iter()
        .filter(|c| current.get(&c.id) != Some(&(c.before, c.version)))
        .count();
    if moved > 0 {
        drop(tx);
        return again(format!(
            "预览之后，有 {moved} 个分数已被他人修改（或对象已停用）。为避免覆盖，本次未导入任何分数；请重新上传文件，核对预览后再确认。"
        ))
        .await;
    }
    let actor = user.actor(&ip);
    for c in &batch.changes {
        db::score::set(
            &mut tx,
            &actor,
            user.center_id,
            &month,
            Entrant::of(kind, c.id),
            c.before,
            Some(c.after),
            None,
        )
        .await?;
    }
    db::imports::mark_applied(&mut tx, id).await?;
    tx.commit().await?;
    Ok(back("imported"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_cells_are_read_exactly_or_refused() {
        assert_eq!(score_of(&Cell::Number(95.57)), Ok(Some(9557)));
        assert_eq!(score_of(&Cell::Number(100.0)), Ok(Some(10000)));
        assert!(score_of(&Cell::Number(95.555)).is_err());
        assert!(score_of(&Cell::Number(-1.0)).is_err());
        assert!(score_of(&Cell::Number(f64::NAN)).is_err());
        assert_eq!(score_of(&Cell::Text(" 88.5 ".into())), Ok(Some(8850)));
        assert!(score_of(&Cell::Text("１００".into())).is_err());
        assert_eq!(score_of(&Cell::Empty), Ok(None));
    }
}
