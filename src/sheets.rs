//! Spreadsheets in and out, as supervision offices use them (Excel, WPS): reading the first
//! sheet of an .xlsx or a .csv (UTF-8 or GBK) into rows of cells, refusing what cannot be
//! imported safely (other files, formulas, merged cells, too many rows, archives that
//! expand too far), and writing formatted .xlsx files for printing.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

/// Most data rows a file may have (the biggest center has a few hundred staff).
pub const MAX_ROWS: usize = 5000;
/// Columns read from a sheet (ours have at most a dozen).
pub const MAX_COLUMNS: usize = 64;
/// Most bytes the parts of an .xlsx may expand to, all together.
pub const MAX_EXPANDED: u64 = 64 * 1024 * 1024;
/// Most parts an .xlsx may have.
const MAX_ENTRIES: usize = 500;

/// The rows of one sheet, each a list of cells.
pub type Rows = Vec<Vec<Cell>>;

/// Every sheet of a workbook by name.
pub type Book = Vec<(String, Rows)>;

/// One cell as read.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

impl Cell {
    /// The cell as text: numbers without a needless fraction (an employee number typed as a
    /// number reads `1001`, not `1001.0`).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_string(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
            Cell::Number(n) => n.to_string(),
        }
    }
}

/// Why a file cannot be imported, in the words the page shows.
#[derive(Debug, PartialEq)]
pub enum SheetError {
    Empty,
    NotASpreadsheet,
    OldExcel,
    Damaged,
    TooLarge,
    TooManyRows(usize),
    Formula(String),
    Merged(String),
}

impl SheetError {
    pub fn message(&self) -> String {
        match self {
            SheetError::Empty => "文件是空的，请选择要导入的表格文件".into(),
            SheetError::NotASpreadsheet => {
                "这不是 Excel（.xlsx）或 CSV 表格文件，请用本页提供的模板填写后再上传".into()
            }
            SheetError::OldExcel => {
                "这是旧版 Excel（.xls）文件，请在 Excel 或 WPS 中“另存为”.xlsx 格式后再上传".into()
            }
            SheetError::Damaged => "表格文件已损坏或无法读取，请重新保存后再上传".into(),
            SheetError::TooLarge => "表格内容过大，无法导入；请只保留需要导入的数据".into(),
            SheetError::TooManyRows(n) => {
                format!("表格有 {n} 行数据，超过每次最多 {MAX_ROWS} 行的限制，请分批导入")
            }
            SheetError::Formula(at) => {
                format!("单元格 {at} 是公式。请先把公式“选择性粘贴为数值”，再保存上传")
            }
            SheetError::Merged(at) => {
                format!("表格中有合并单元格（{at}），请取消合并、每行一条数据后再上传")
            }
        }
    }
}

/// A column letter as spreadsheets name it: 0 → A, 26 → AA.
pub fn column_name(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The rows of the first sheet (header row included), trailing empty rows dropped.
pub fn read(bytes: &[u8]) -> Result<Vec<Vec<Cell>>, SheetError> {
    read_book(bytes)?
        .into_iter()
        .next()
        .map(|(_, rows)| rows)
        .ok_or(SheetError::NotASpreadsheet)
}

/// Every sheet by name (a CSV file is one sheet without a name), each checked as
/// [`read`] checks the first.
pub fn read_book(bytes: &[u8]) -> Result<Book, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    let book = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(SheetError::OldExcel);
    } else {
        vec![(String::new(), read_csv(bytes)?)]
    };
    let mut out = Vec::new();
    for (name, mut rows) in book {
        while rows
            .last()
            .is_some_and(|r| r.iter().all(|c| *c == Cell::Empty))
        {
            rows.pop();
        }
        if rows.len() > MAX_ROWS + 1 {
            return Err(SheetError::TooManyRows(rows.len() - 1));
        }
        out.push((name, rows));
    }
    Ok(out)
}

/// Expands every part of the archive once, counting, so that a "zip bomb" is refused
/// before any parser sees it.
fn check_archive(bytes: &[u8]) -> Result<(), SheetError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::Damaged)?;
    if zip.len() > MAX_ENTRIES {
        return Err(SheetError::TooLarge);
    }
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|_| SheetError::Damaged)?;
        if entry.size() > MAX_EXPANDED {
            return Err(SheetError::TooLarge);
        }
        loop {
            let n = entry.read(&mut buf).map_err(|_| SheetError::Damaged)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > MAX_EXPANDED {
                return Err(SheetError::TooLarge);
            }
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<Book, SheetError> {
    check_archive(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| SheetError::Damaged)?;
    let names = book.sheet_names();
    if names.is_empty() {
        return Err(SheetError::NotASpreadsheet);
    }
    let many = names.len() > 1;
    let mut out = Vec::new();
    for name in names {
        let rows = read_sheet(&mut book, &name, many)?;
        out.push((name, rows));
    }
    Ok(out)
}

fn read_sheet(
    book: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    many: bool,
) -> Result<Vec<Vec<Cell>>, SheetError> {
    let prefix = |at: String| {
        if !many {
            at
        } else {
            format!("“{name}”表 {at}")
        }
    };
    if let Ok(merged) = book.merge_cells_by_sheet_name(name)
        && let Some(m) = merged.first()
    {
        return Err(SheetError::Merged(prefix(format!(
            "{}{}:{}{}",
            column_name(m.start.1 as usize),
            m.start.0 + 1,
            column_name(m.end.1 as usize),
            m.end.0 + 1
        ))));
    }
    // Cell by cell, never as a dense range: two far-apart cells of a tiny file would
    // otherwise ask for billions of empty cells.
    let mut reader = book
        .worksheet_cells_reader(name)
        .map_err(|_| SheetError::Damaged)?;
    while let Some(f) = reader.next_formula().map_err(|_| SheetError::Damaged)? {
        if !f.get_value().is_empty() {
            let (row, col) = f.get_position();
            return Err(SheetError::Formula(prefix(format!(
                "{}{}",
                column_name(col as usize),
                row as usize + 1
            ))));
        }
    }
    drop(reader);
    let mut reader = book
        .worksheet_cells_reader(name)
        .map_err(|_| SheetError::Damaged)?;
    // Rows as the sheet has them, from row 1, so that row numbers in messages match what
    // the user sees; columns past MAX_COLUMNS are never ours and are ignored.
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    while let Some(c) = reader.next_cell().map_err(|_| SheetError::Damaged)? {
        let (row, col) = c.get_position();
        let (row, col) = (row as usize, col as usize);
        if row > MAX_ROWS + 100 {
            return Err(SheetError::TooManyRows(row));
        }
        if col >= MAX_COLUMNS {
            continue;
        }
        let cell = match c.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) => Cell::Text(s.clone()),
            DataRef::SharedString(s) => Cell::Text((*s).to_string()),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.into()),
            other => Cell::Text(calamine::Data::from(other.clone()).to_string()),
        };
        if rows.len() <= row {
            rows.resize(row + 1, Vec::new());
        }
        let cells = &mut rows[row];
        if cells.len() <= col {
            cells.resize(col + 1, Cell::Empty);
        }
        cells[col] = cell;
    }
    Ok(rows)
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<Cell>>, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Excel in China saves CSV as GBK unless told otherwise.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => {
            let (t, _, bad) = encoding_rs::GBK.decode(bytes);
            if bad {
                return Err(SheetError::NotASpreadsheet);
            }
            t.into_owned()
        }
    };
    if text.contains('\0') {
        return Err(SheetError::NotASpreadsheet);
    }
    let rows = csv_rows(&text)?;
    // A file of one column and no comma is not a table at all.
    if rows.iter().all(|r| r.len() < 2) {
        return Err(SheetError::NotASpreadsheet);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|f| {
                    if f.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(f)
                    }
                })
                .collect()
        })
        .collect())
}

/// The records of a CSV text as rows of fields (quoting, CRLF and ragged rows are the csv
/// crate's job). A blank line, which the reader skips, is kept as a row of one empty field,
/// so that row numbers stay those a spreadsheet shows for the file.
fn csv_rows(text: &str) -> Result<Vec<Vec<String>>, SheetError> {
    let line_break = |b: &u8| matches!(b, b'\r' | b'\n');
    let newlines = |s: &[u8]| s.iter().filter(|b| **b == b'\n').count();
    let bytes = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| SheetError::NotASpreadsheet)?;
        // A record's position is where reading it began: right after the previous record's
        // line break, or inside it when that was \r\n (the \r ends the record).
        let at = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0)
            .min(bytes.len());
        let run = bytes[at..].iter().take_while(|b| line_break(b)).count();
        let rest_of_break =
            usize::from(at > 0 && bytes[at - 1] == b'\r' && bytes.get(at) == Some(&b'\n'));
        let blank = newlines(&bytes[at..at + run]).saturating_sub(rest_of_break);
        // Counted before any row is made: a file of blank lines costs no memory.
        if rows.len() + blank + 1 > MAX_ROWS + 1 {
            return Err(SheetError::TooManyRows(
                text.lines().count().saturating_sub(1),
            ));
        }
        rows.extend((0..blank).map(|_| vec![String::new()]));
        rows.push(record.iter().map(str::to_string).collect());
    }
    // Blank lines after the last record are not rows: the sheet ends with its last record.
    Ok(rows)
}

/// A cell to write.
pub enum Out {
    Text(String),
    /// A score or total in hundredths, written as a number with two decimals.
    Hundredths(i64),
    Int(i64),
    Empty,
}

/// One sheet to write: a title row above the header, the header, the rows, column widths.
pub struct OutSheet {
    pub name: String,
    pub title: String,
    pub header: Vec<(String, f64)>,
    pub rows: Vec<Vec<Out>>,
    /// Columns kept in view when scrolling sideways (besides the header rows).
    pub frozen_columns: u16,
}

/// A workbook formatted for printing: bold shaded header, frozen panes, column widths,
/// A4 landscape fitted to the page width, header rows repeated on every page.
pub fn write_xlsx(sheets: &[OutSheet]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xE8EFF8))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let text = Format::new().set_border(FormatBorder::Thin);
    let number = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.00");
    let int = Format::new().set_border(FormatBorder::Thin);
    for s in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&s.name)?;
        ws.write_string_with_format(0, 0, &s.title, &title)?;
        for (c, (h, width)) in s.header.iter().enumerate() {
            ws.write_string_with_format(1, c as u16, h, &head)?;
            ws.set_column_width(c as u16, *width)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = r as u32 + 2;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Out::Text(t) => ws.write_string_with_format(r, c, t, &text)?,
                    Out::Hundredths(h) => {
                        ws.write_number_with_format(r, c, *h as f64 / 100.0, &number)?
                    }
                    Out::Int(n) => ws.write_number_with_format(r, c, *n as f64, &int)?,
                    Out::Empty => ws.write_blank(r, c, &text)?,
                };
            }
        }
        ws.set_freeze_panes(2, s.frozen_columns)?;
        ws.set_landscape();
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(0, 1)?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_run_like_a_spreadsheet() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
    }

    #[test]
    fn a_written_workbook_reads_back_with_its_numbers() {
        let bytes = write_xlsx(&[OutSheet {
            name: "窗口".into(),
            title: "2026年10月 窗口考核".into(),
            header: vec![("窗口号".into(), 8.0), ("分数".into(), 8.0)],
            rows: vec![
                vec![Out::Text("1".into()), Out::Hundredths(9557)],
                vec![Out::Text("2".into()), Out::Empty],
            ],
            frozen_columns: 1,
        }])
        .unwrap();
        let rows = read(&bytes).unwrap();
        assert_eq!(rows[1][0].text(), "窗口号");
        assert_eq!(rows[2][1], Cell::Number(95.57));
        assert!(rows[3].get(1).is_none_or(|c| *c == Cell::Empty));
    }

    #[test]
    fn two_far_apart_cells_are_refused_without_filling_the_space_between() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.write_string(0, 0, "窗口号").unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert!(bytes.len() < 10_000);
        assert_eq!(read(&bytes), Err(SheetError::TooManyRows(1_048_575)));
        // Far to the right only: the far column is ignored, the rest reads.
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.write_string(0, 0, "窗口号").unwrap();
        ws.write_string(0, 16_000, "x").unwrap();
        let rows = read(&book.save_to_buffer().unwrap()).unwrap();
        assert_eq!(rows, vec![vec![Cell::Text("窗口号".into())]]);
    }

    #[test]
    fn csv_in_utf8_or_gbk_reads_the_same() {
        let utf8 = "窗口号,分数\r\n1,\"95.5\"\n2,\n";
        let rows = read(utf8.as_bytes()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1][1], Cell::Text("95.5".into()));
        let (gbk, _, _) = encoding_rs::GBK.encode(utf8);
        assert_eq!(read(&gbk).unwrap(), rows);
        let bom = [b"\xEF\xBB\xBF".as_slice(), utf8.as_bytes()].concat();
        assert_eq!(read(&bom).unwrap(), rows);
    }

    #[test]
    fn csv_rows_keep_their_line_numbers_across_blank_lines_and_quoted_breaks() {
        let text = "\n窗口号,分数\r\n\r\n1,\"第一行\r\n第二行\"\n\n2,\"9\"\"5\"\n3\n\n";
        let rows = csv_rows(text).unwrap();
        assert_eq!(
            rows,
            vec![
                vec![""],
                vec!["窗口号", "分数"],
                vec![""],
                vec!["1", "第一行\r\n第二行"],
                vec![""],
                vec!["2", "9\"5"],
                vec!["3"],
            ]
        );
    }

    #[test]
    fn a_csv_of_blank_lines_is_refused_before_its_rows_are_made() {
        let blank = format!("a,b\n{}c,d\n", "\n".repeat(5_000_000));
        assert!(matches!(csv_rows(&blank), Err(SheetError::TooManyRows(_))));
        let trailing = format!("a,b\nc,d{}", "\n".repeat(5_000_000));
        assert_eq!(csv_rows(&trailing).unwrap().len(), 2);
    }

    #[test]
    fn other_files_are_refused_with_a_reason() {
        assert_eq!(read(b""), Err(SheetError::Empty));
        assert_eq!(
            read(b"%PDF-1.7\n\x00\x01binary"),
            Err(SheetError::NotASpreadsheet)
        );
        assert_eq!(
            read(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1]),
            Err(SheetError::OldExcel)
        );
        assert_eq!(read(b"PK\x03\x04broken"), Err(SheetError::Damaged));
        let many: String = std::iter::once("a,b\n".to_string())
            .chain((0..MAX_ROWS + 5).map(|i| format!("{i},1\n")))
            .collect();
        assert!(matches!(
            read(many.as_bytes()),
            Err(SheetError::TooManyRows(_))
        ));
    }
}
