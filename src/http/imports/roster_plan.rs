//! The roster workbook read and compared with the center as it is: what each row would
//! create or change, and applying that in one transaction.

use crate::db;
use crate::db::org::Catalog;
use crate::domain::ids::CenterId;
use crate::domain::ids::{StaffId, WindowId};
use crate::domain::text;
use crate::http::extract::CurrentUser;
use crate::sheets::{self, Cell};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use std::collections::HashMap;

pub(super) const DEPARTMENTS: &str = "进驻单位";
pub(super) const AREAS: &str = "业务范围";
pub(super) const WINDOWS: &str = "窗口";
pub(super) const STAFF: &str = "工作人员";

/// The columns of each sheet; the first is the key.
pub(super) fn columns(sheet: &str) -> &'static [&'static str] {
    match sheet {
        DEPARTMENTS => &["名称"],
        AREAS => &["名称"],
        WINDOWS => &["窗口号", "窗口名称", "进驻单位", "业务范围"],
        _ => &["工号", "姓名", "窗口号", "岗位"],
    }
}

/// A row as read: its number in the sheet and the cells of the sheet's columns.
type Line = (usize, Vec<String>);

/// The rows read from a workbook, per sheet.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub(super) struct Rows {
    sheets: Vec<(String, Vec<Line>)>,
}

pub(super) fn read_rows(book: &sheets::Book) -> Result<Rows, String> {
    let mut rows = Rows::default();
    for sheet in [DEPARTMENTS, AREAS, WINDOWS, STAFF] {
        let Some((_, data)) = book.iter().find(|(n, _)| n.trim() == sheet) else {
            continue;
        };
        let cols = columns(sheet);
        let head = data.iter().take(5).enumerate().find_map(|(i, row)| {
            let titles: Vec<String> = row.iter().map(Cell::text).collect();
            let idx: Option<Vec<usize>> = cols
                .iter()
                .map(|c| titles.iter().position(|t| t == c))
                .collect();
            idx.map(|idx| (i, idx))
        });
        let Some((head, idx)) = head else {
            return Err(format!(
                "“{sheet}”表找不到表头：应有 {} 这几列。请下载本页的名单模板填写。",
                cols.join("、")
            ));
        };
        let mut list = Vec::new();
        for (i, row) in data.iter().enumerate().skip(head + 1) {
            let cells: Vec<String> = idx
                .iter()
                .map(|c| row.get(*c).map(Cell::text).unwrap_or_default())
                .collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            list.push((i + 1, cells));
        }
        rows.sheets.push((sheet.to_string(), list));
    }
    if rows.sheets.is_empty() {
        return Err(format!(
            "工作簿中没有名为“{DEPARTMENTS}”“{AREAS}”“{WINDOWS}”“{STAFF}”的工作表。请下载本页的名单模板填写。"
        ));
    }
    Ok(rows)
}

/// What a row would do.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(super) struct Action {
    pub(super) sheet: String,
    pub(super) line: usize,
    pub(super) key: String,
    pub(super) what: String,
    /// 新增, 修改, 无变化 or 错误.
    pub(super) status: String,
}

/// The center's roster as it is.
pub(super) struct Current {
    departments: HashMap<String, i64>,
    areas: HashMap<String, i64>,
    /// number → (id, name, department id, area id)
    windows: HashMap<String, (i64, String, i64, i64)>,
    /// employee number → (id, name, window id, position)
    staff: HashMap<String, (i64, String, i64, String)>,
}

pub(super) async fn current(conn: &mut PgConnection, center_id: CenterId) -> sqlx::Result<Current> {
    let named = |rows: Vec<(i64, String)>| rows.into_iter().map(|(id, n)| (n, id)).collect();
    let departments: Vec<(i64, String)> =
        sqlx::query_as("select department_id, name from department where center_id = $1")
            .bind(center_id)
            .fetch_all(&mut *conn)
            .await?;
    let areas: Vec<(i64, String)> =
        sqlx::query_as("select business_area_id, name from business_area where center_id = $1")
            .bind(center_id)
            .fetch_all(&mut *conn)
            .await?;
    let windows: Vec<(String, i64, String, i64, i64)> = sqlx::query_as(
        "select number, window_id, name, department_id, business_area_id from service_window where center_id = $1",
    )
    .bind(center_id)
    .fetch_all(&mut *conn)
    .await?;
    let staff: Vec<(String, i64, String, i64, String)> = sqlx::query_as(
        "select employee_no, staff_id, name, window_id, position from staff where center_id = $1",
    )
    .bind(center_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Current {
        departments: named(departments),
        areas: named(areas),
        windows: windows
            .into_iter()
            .map(|(n, id, name, d, a)| (n, (id, name, d, a)))
            .collect(),
        staff: staff
            .into_iter()
            .map(|(n, id, name, w, p)| (n, (id, name, w, p)))
            .collect(),
    })
}

/// The checked value of a cell, or the reason it is refused.
fn field(title: &str, raw: &str, max: usize) -> Result<String, String> {
    text::required(raw, max).map_err(|e| format!("{title}：{}", e.message()))
}

/// Decides what every row does, as the confirmation will do it.
pub(super) fn plan(rows: &Rows, now: &Current) -> Vec<Action> {
    let mut out = Vec::new();
    let sheet_rows = |name: &str| {
        rows.sheets
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.as_slice())
            .unwrap_or(&[])
    };
    let mut act = |sheet: &str, line: usize, key: &str, what: String, status: &str| {
        out.push(Action {
            sheet: sheet.to_string(),
            line,
            key: key.chars().take(50).collect(),
            what,
            status: status.to_string(),
        });
    };
    // Names that will exist once the file is applied.
    let mut departments: Vec<String> = now.departments.keys().cloned().collect();
    let mut areas: Vec<String> = now.areas.keys().cloned().collect();
    for (sheet, known, max) in [
        (DEPARTMENTS, &mut departments, 100),
        (AREAS, &mut areas, 100),
    ] {
        let mut seen = HashMap::new();
        for (line, cells) in sheet_rows(sheet) {
            match field("名称", &cells[0], max) {
                Err(e) => act(sheet, *line, &cells[0], e, "错误"),
                Ok(name) => {
                    if let Some(first) = seen.insert(name.clone(), *line) {
                        act(sheet, *line, &name, format!("与第 {first} 行重复"), "错误");
                    } else if known.contains(&name) {
                        act(sheet, *line, &name, String::new(), "无变化");
                    } else {
                        known.push(name.clone());
                        act(sheet, *line, &name, "新建".into(), "新增");
                    }
                }
            }
        }
    }
    let mut windows: Vec<String> = now.windows.keys().cloned().collect();
    let dept_id = |n: &str| now.departments.get(n).copied();
    let area_id = |n: &str| now.areas.get(n).copied();
    let mut seen = HashMap::new();
    for (line, c) in sheet_rows(WINDOWS) {
        let checked = (|| -> Result<(String, String, String, String), String> {
            let number = field("窗口号", &c[0], 20)?;
            let name = field("窗口名称", &c[1], 100)?;
            let dept = field("进驻单位", &c[2], 100)?;
            let area = field("业务范围", &c[3], 100)?;
            if !departments.contains(&dept) {
                return Err(format!(
                    "进驻单位“{dept}”不存在，请先在“{DEPARTMENTS}”表中列出"
                ));
            }
            if !areas.contains(&area) {
                return Err(format!("业务范围“{area}”不存在，请先在“{AREAS}”表中列出"));
            }
            Ok((number, name, dept, area))
        })();
        match checked {
            Err(e) => act(WINDOWS, *line, &c[0], e, "错误"),
            Ok((number, name, dept, area)) => {
                let what = format!("{name}（{dept}，{area}）");
                if let Some(first) = seen.insert(number.clone(), *line) {
                    act(
                        WINDOWS,
                        *line,
                        &number,
                        format!("与第 {first} 行重复"),
                        "错误",
                    );
                } else if let Some((_, n, d, a)) = now.windows.get(&number) {
                    let same =
                        *n == name && Some(*d) == dept_id(&dept) && Some(*a) == area_id(&area);
                    act(
                        WINDOWS,
                        *line,
                        &number,
                        what,
                        if same { "无变化" } else { "修改" },
                    );
                } else {
                    windows.push(number.clone());
                    act(WINDOWS, *line, &number, what, "新增");
                }
            }
        }
    }
    let window_id = |n: &str| now.windows.get(n).map(|w| w.0);
    let mut seen = HashMap::new();
    for (line, c) in sheet_rows(STAFF) {
        let checked = (|| -> Result<(String, String, String, String), String> {
            let no = field("工号", &c[0], 30)?;
            let name = field("姓名", &c[1], 50)?;
            let window = field("窗口号", &c[2], 20)?;
            let position = field("岗位", &c[3], 50)?;
            if !windows.contains(&window) {
                return Err(format!("窗口号“{window}”不存在，请先在“{WINDOWS}”表中列出"));
            }
            Ok((no, name, window, position))
        })();
        match checked {
            Err(e) => act(STAFF, *line, &c[0], e, "错误"),
            Ok((no, name, window, position)) => {
                let what = format!("{name}（{window}号窗口，{position}）");
                if let Some(first) = seen.insert(no.clone(), *line) {
                    act(STAFF, *line, &no, format!("与第 {first} 行重复"), "错误");
                } else if let Some((_, n, w, p)) = now.staff.get(&no) {
                    let same = *n == name && Some(*w) == window_id(&window) && *p == position;
                    act(
                        STAFF,
                        *line,
                        &no,
                        what,
                        if same { "无变化" } else { "修改" },
                    );
                } else {
                    act(STAFF, *line, &no, what, "新增");
                }
            }
        }
    }
    out
}

/// Writes the plan: departments and areas first, then windows, then staff, each with its
/// audit row. The caller checked that the plan has no error.
pub(super) async fn apply(
    conn: &mut PgConnection,
    user: &CurrentUser,
    actor: &db::audit::Actor,
    rows: &Rows,
    mut now: Current,
) -> sqlx::Result<()> {
    let center = user.center_id;
    let sheet_rows = |name: &str| -> Vec<Line> {
        rows.sheets
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    let clean = |s: &str| text::required(s, 100).unwrap_or_default();
    for (sheet, catalog) in [
        (DEPARTMENTS, Catalog::Department),
        (AREAS, Catalog::BusinessArea),
    ] {
        let mut order = 10
            * i32::try_from(match catalog {
                Catalog::Department => now.departments.len(),
                Catalog::BusinessArea => now.areas.len(),
            })
            .unwrap_or(0);
        for (_, c) in sheet_rows(sheet) {
            let name = clean(&c[0]);
            let map = match catalog {
                Catalog::Department => &mut now.departments,
                Catalog::BusinessArea => &mut now.areas,
            };
            if map.contains_key(&name) {
                continue;
            }
            order += 10;
            let input = db::org::CatalogInput {
                name: name.clone(),
                sort_order: order,
            };
            let id = db::org::catalog_create(conn, catalog, actor, center, &input).await?;
            map.insert(name, id);
        }
    }
    for (_, c) in sheet_rows(WINDOWS) {
        let input = db::org::WindowInput {
            number: clean(&c[0]),
            name: clean(&c[1]),
            department_id: now.departments[&clean(&c[2])],
            business_area_id: now.areas[&clean(&c[3])],
        };
        match now.windows.get(&input.number) {
            Some((id, name, d, a)) => {
                if (name, *d, *a) != (&input.name, input.department_id, input.business_area_id) {
                    db::org::window_update(conn, actor, center, WindowId(*id), &input).await?;
                }
            }
            None => {
                let id = db::org::window_create(conn, actor, center, &input).await?;
                now.windows.insert(
                    input.number.clone(),
                    (
                        id.0,
                        input.name.clone(),
                        input.department_id,
                        input.business_area_id,
                    ),
                );
            }
        }
    }
    for (_, c) in sheet_rows(STAFF) {
        let input = db::org::StaffInput {
            employee_no: clean(&c[0]),
            name: clean(&c[1]),
            window_id: WindowId(now.windows[&clean(&c[2])].0),
            position: clean(&c[3]),
        };
        match now.staff.get(&input.employee_no) {
            Some((id, name, w, p)) => {
                if (name, *w, p) != (&input.name, input.window_id.0, &input.position) {
                    db::org::staff_update(conn, actor, center, StaffId(*id), &input).await?;
                }
            }
            None => {
                db::org::staff_create(conn, actor, center, &input).await?;
            }
        }
    }
    Ok(())
}
