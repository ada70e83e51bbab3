//! The public's-rating export (政务服务“好差评”系统导出的评价统计表) as the office downloads
//! it: a title or two, then a header naming the window (窗口号 / 窗口编号) or the person (工号),
//! and the counts of 非常满意, 满意, 基本满意, 不满意 and 非常不满意; other columns (序号,
//! 名称, 评价总数, 满意率 …) are read past, the total checked when there is one.

use super::Counts;
use crate::sheets::Cell;

/// One row read: its line in the file, the key as typed and its counts, or why not.
#[derive(Clone, Debug, PartialEq)]
pub struct RatingRow {
    pub line: usize,
    pub key: String,
    pub counts: Result<Counts, String>,
}

/// The five grades' column titles, in the order of [`Counts`].
pub const GRADES: [&str; 5] = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];

/// Titles of the key column, by kind.
pub const WINDOW_KEYS: [&str; 3] = ["窗口号", "窗口编号", "窗口序号"];
pub const STAFF_KEYS: [&str; 3] = ["工号", "人员工号", "工作人员工号"];

/// A title with spaces and a unit in brackets left out: `非常满意（件）` → `非常满意`.
fn title(cell: &Cell) -> String {
    let t: String = cell.text().chars().filter(|c| !c.is_whitespace()).collect();
    match t.find(['（', '(']) {
        Some(i) => t[..i].to_string(),
        None => t,
    }
}

/// The rows of a sheet: `Err` when no header is found in its first ten rows.
pub fn read(sheet: &[Vec<Cell>], keys: &[&str]) -> Result<Vec<RatingRow>, String> {
    let header = sheet.iter().take(10).enumerate().find_map(|(i, row)| {
        let titles: Vec<String> = row.iter().map(title).collect();
        let key = titles.iter().position(|t| keys.contains(&t.as_str()))?;
        let mut grades = [0usize; 5];
        for (g, name) in GRADES.iter().enumerate() {
            grades[g] = titles.iter().position(|t| t == name)?;
        }
        let total = titles
            .iter()
            .position(|t| t == "评价总数" || t == "评价数" || t == "总评价数");
        Some((i, key, grades, total))
    });
    let Some((head, key_col, grade_cols, total_col)) = header else {
        return Err(format!(
            "找不到表头：表格前十行中应有“{}”和“{}”各列。请上传“好差评”系统导出的评价统计表。",
            keys[0],
            GRADES.join("”“")
        ));
    };
    let mut rows = Vec::new();
    for (i, row) in sheet.iter().enumerate().skip(head + 1) {
        let cell = |c: usize| row.get(c).cloned().unwrap_or(Cell::Empty);
        let key = cell(key_col).text();
        let all_empty = grade_cols.iter().all(|c| cell(*c) == Cell::Empty);
        if key.is_empty() && all_empty {
            continue;
        }
        // A 合计 (total) line at the bottom is not an entrant.
        if key.is_empty() && row.iter().any(|c| c.text().starts_with("合计")) {
            continue;
        }
        let counts = (|| {
            if key.is_empty() {
                return Err(format!("缺少{}", keys[0]));
            }
            let mut n = [0i64; 5];
            for (g, col) in grade_cols.iter().enumerate() {
                n[g] = count(&cell(*col)).map_err(|e| format!("“{}”{e}", GRADES[g]))?;
            }
            let counts = Counts {
                very_satisfied: n[0],
                satisfied: n[1],
                basically_satisfied: n[2],
                dissatisfied: n[3],
                very_dissatisfied: n[4],
            };
            if let Some(col) = total_col {
                let c = cell(col);
                if c != Cell::Empty {
                    let total = count(&c).map_err(|e| format!("“评价总数”{e}"))?;
                    if total != counts.total() {
                        return Err(format!(
                            "评价总数 {total} 与五项之和 {} 不符",
                            counts.total()
                        ));
                    }
                }
            }
            Ok(counts)
        })();
        rows.push(RatingRow {
            line: i + 1,
            key: key.chars().take(30).collect(),
            counts,
        });
    }
    if rows.is_empty() {
        return Err("表格中没有数据行。".into());
    }
    Ok(rows)
}

/// A count: a whole number from 0 to 1,000,000 (empty is 0; `1,234` is read).
fn count(cell: &Cell) -> Result<i64, String> {
    let n = match cell {
        Cell::Empty => return Ok(0),
        Cell::Number(f) => {
            if !f.is_finite() || f.fract() != 0.0 {
                return Err("应为整数".into());
            }
            *f as i64
        }
        Cell::Text(t) => {
            let t: String = t.trim().chars().filter(|c| *c != ',').collect();
            if t.is_empty() {
                return Ok(0);
            }
            if !t.bytes().all(|b| b.is_ascii_digit()) || t.len() > 7 {
                return Err(format!(
                    "“{}”不是整数",
                    t.chars().take(20).collect::<String>()
                ));
            }
            t.parse::<i64>().map_err(|_| "不是整数".to_string())?
        }
    };
    if !(0..=1_000_000).contains(&n) {
        return Err("应在 0 到 1000000 之间".into());
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    fn n(v: f64) -> Cell {
        Cell::Number(v)
    }

    #[test]
    fn an_export_with_a_title_and_a_total_line_is_read() {
        let sheet = vec![
            vec![t("示范市政务服务中心2026年10月“好差评”评价统计表")],
            vec![],
            vec![
                t("序号"),
                t("窗口编号"),
                t("窗口名称"),
                t("评价总数（次）"),
                t("非常满意"),
                t("满意"),
                t("基本满意"),
                t("不满意"),
                t("非常不满意"),
                t("满意率"),
            ],
            vec![
                n(1.0),
                t("01"),
                t("综合受理"),
                n(200.0),
                n(180.0),
                n(15.0),
                n(4.0),
                n(1.0),
                n(0.0),
                t("99.5%"),
            ],
            vec![
                n(2.0),
                t("02"),
                t("不动产"),
                t("1,000"),
                t("900"),
                t("80"),
                t("5"),
                t("10"),
                t("5"),
                t("98.5%"),
            ],
            vec![t("合计"), t(""), t(""), n(1200.0)],
        ];
        let rows = read(&sheet, &WINDOW_KEYS).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].key, "01");
        assert_eq!(rows[0].line, 4);
        let c = rows[1].counts.as_ref().unwrap();
        assert_eq!((c.very_satisfied, c.bad(), c.rate()), (900, 15, Some(9850)));
    }

    #[test]
    fn bad_rows_are_named_and_a_missing_header_refused() {
        let head = vec![
            t("工号"),
            t("非常满意"),
            t("满意"),
            t("基本满意"),
            t("不满意"),
            t("非常不满意"),
            t("评价总数"),
        ];
        let sheet = vec![
            head,
            vec![t("A001"), n(1.5), n(0.0), n(0.0), n(0.0), n(0.0)],
            vec![t("A002"), n(-1.0)],
            vec![t("A003"), n(5.0), n(0.0), n(0.0), n(0.0), n(0.0), n(6.0)],
            vec![t(""), n(5.0)],
        ];
        let rows = read(&sheet, &STAFF_KEYS).unwrap();
        assert!(rows[0].counts.as_ref().unwrap_err().contains("整数"));
        assert!(rows[1].counts.as_ref().unwrap_err().contains("0 到"));
        assert!(rows[2].counts.as_ref().unwrap_err().contains("不符"));
        assert!(rows[3].counts.as_ref().unwrap_err().contains("缺少工号"));
        assert!(read(&[vec![t("姓名"), t("分数")]], &STAFF_KEYS).is_err());
    }
}
