//! Monthly scores through Excel: the month's sheet exported and imported back changes
//! nothing; an edited cell changes exactly that score, audited, after a preview; a score
//! changed since the preview stops the whole import; and bad files of every kind get a
//! message, never a server error, and change no row.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use pingxuan::sheets::{self, Cell, Out, OutSheet};
use sqlx::PgPool;

const MONTH: &str = "2026-11";

async fn with_scores(pool: PgPool) -> TestApp {
    let app = spawn(pool).await;
    sqlx::query(
        "insert into monthly_score (center_id, month, window_id, score)
         select center_id, '2026-11', window_id, 80 + window_id % 17 from service_window
         where center_id = (select center_id from center where parent_center_id is null order by center_id limit 1)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    app
}

async fn export(browser: &mut Browser) -> Vec<u8> {
    let (status, headers, bytes) = browser
        .get_bytes(&format!("/scores/{MONTH}/export.xlsx?tab=windows"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[axum::http::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    bytes
}

/// Uploads `data` as `name`; the preview page.
async fn upload(browser: &mut Browser, name: &str, data: &[u8]) -> Page {
    browser
        .upload(
            &format!("/imports/scores/{MONTH}?tab=windows"),
            "file",
            name,
            data,
        )
        .await
}

/// The exported rows with one score changed, written back as a workbook.
fn edited(bytes: &[u8], row: usize, score: &str) -> Vec<u8> {
    let rows = sheets::read(bytes).unwrap();
    let out: Vec<Vec<Out>> = rows[2..]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.iter()
                .enumerate()
                .map(|(c, cell)| match (c, cell) {
                    (3, _) if i == row => Out::Text(score.to_string()),
                    (_, Cell::Number(n)) => Out::Hundredths((n * 100.0).round() as i64),
                    (_, Cell::Text(t)) => Out::Text(t.clone()),
                    (_, Cell::Empty) => Out::Empty,
                })
                .collect()
        })
        .collect();
    sheets::write_xlsx(&[OutSheet {
        name: "窗口考核".into(),
        title: rows[0][0].text(),
        header: ["窗口号", "窗口名称", "进驻单位", "分数"]
            .iter()
            .map(|t| (t.to_string(), 8.0))
            .collect(),
        rows: out,
        frozen_columns: 0,
    }])
    .unwrap()
}

#[sqlx::test]
async fn a_month_exported_and_imported_back_changes_nothing(pool: PgPool) {
    let app = with_scores(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let bytes = export(&mut ducha).await;
    let rows = sheets::read(&bytes).unwrap();
    assert_eq!(rows[1][0].text(), "窗口号");
    assert_eq!(rows.len() - 2, 29, "every window of the center is listed");
    let before = checksum(&app.pool).await;
    let audit = count(&app.pool, "select count(*) from audit_log").await;
    let page = upload(&mut ducha, "2026年11月窗口考核.xlsx", &bytes).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.text(".import-summary")
            .contains("将保存 0 个分数；无变化 29 行")
    );
    assert!(page.body.contains("完全一致"));
    assert_eq!(page.confirm_action(), None);
    assert_eq!(checksum(&app.pool).await, before);
    assert_eq!(
        count(&app.pool, "select count(*) from audit_log").await,
        audit
    );
}

#[sqlx::test]
async fn an_edited_cell_changes_exactly_that_score_after_the_preview(pool: PgPool) {
    let app = with_scores(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let bytes = export(&mut ducha).await;
    let changed = edited(&bytes, 4, "99.25");
    let page = upload(&mut ducha, "edited.xlsx", &changed).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text(".import-summary").contains("将保存 1 个分数"));
    let first = page.texts("#preview tbody tr").into_iter().next().unwrap();
    assert!(first.contains("99.25") && first.contains("修改"), "{first}");
    // Nothing is written by the preview.
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from monthly_score where score = 99.25"
        )
        .await,
        0
    );
    let action = page.confirm_action().expect("a confirm button");
    let done = ducha.post(&action, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(done.location().unwrap().contains("notice=imported"));
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from monthly_score where score = 99.25 and month = '2026-11'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app.pool, "select count(*) from audit_log where action = 'monthly_score.update' and after ->> 'score' = '99.25'").await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action like 'monthly_score.%'"
        )
        .await,
        1
    );
    // Confirming twice writes nothing more.
    ducha.post(&action, &[]).await;
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action like 'monthly_score.%'"
        )
        .await,
        1
    );
}

#[sqlx::test]
async fn a_score_changed_since_the_preview_stops_the_whole_import(pool: PgPool) {
    let app = with_scores(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let bytes = export(&mut ducha).await;
    let page = upload(&mut ducha, "edited.xlsx", &edited(&bytes, 2, "91")).await;
    let action = page.confirm_action().unwrap();
    sqlx::query(
        "update monthly_score set score = 70, version = version + 1
         where month = '2026-11' and window_id = (select window_id from service_window where number = '3' order by window_id limit 1)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let before = checksum(&app.pool).await;
    let refused = ducha.post(&action, &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text(".error-summary").contains("已被他人修改"));
    assert_eq!(checksum(&app.pool).await, before);
    // Another person cannot confirm someone else's upload.
    let mut ducha2 = Browser::new(&app);
    ducha2.login("ducha2", PASSWORD).await;
    assert_eq!(
        ducha2.post(&action, &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

fn zip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let zeros = vec![b' '; 1024 * 1024];
    for _ in 0..80 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

fn workbook_with(f: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "窗口号").unwrap();
    ws.write_string(0, 1, "分数").unwrap();
    ws.write_string(1, 0, "1").unwrap();
    f(ws);
    book.save_to_buffer().unwrap()
}

#[sqlx::test]
async fn bad_files_get_a_message_and_change_nothing(pool: PgPool) {
    let app = with_scores(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let before = checksum(&app.pool).await;
    let bad_rows: String = std::iter::once("窗口号,分数\n".to_string())
        .chain((0..3000).map(|i| format!("X{i},abc\n")))
        .collect();
    let ten_thousand: String = std::iter::once("窗口号,分数\n".to_string())
        .chain((0..10_000).map(|i| format!("X{i},abc\n")))
        .collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "report.xlsx",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj".to_vec(),
            "不是 Excel",
        ),
        (
            "old.xls",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            "另存为",
        ),
        ("bomb.xlsx", zip_bomb(), "过大"),
        (
            "cols.csv",
            "姓名,成绩\n张三,90\n".as_bytes().to_vec(),
            "找不到表头",
        ),
        (
            "formula.xlsx",
            workbook_with(|ws| {
                ws.write_formula(1, 1, "=80+10").unwrap();
            }),
            "B2 是公式",
        ),
        (
            "merged.xlsx",
            workbook_with(|ws| {
                ws.merge_range(2, 0, 3, 1, "合并", &rust_xlsxwriter::Format::new())
                    .unwrap();
            }),
            "合并单元格（A3:B4）",
        ),
        (
            "many.csv",
            ten_thousand.into_bytes(),
            "超过每次最多 5000 行",
        ),
        ("empty.xlsx", Vec::new(), "文件是空的"),
    ];
    for (name, data, message) in cases {
        let page = upload(&mut ducha, name, &data).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(
            page.text(".error-summary").contains(message),
            "{name}: {}",
            page.text(".error-summary")
        );
    }
    // Thousands of bad rows: each gets its reason; nothing can be confirmed.
    let page = upload(&mut ducha, "bad.csv", bad_rows.as_bytes()).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text(".import-summary").contains("错误 3000 行"));
    assert_eq!(page.texts("#preview tbody tr").len(), 500);
    assert!(page.body.contains("本中心没有窗口号为“X0”的在用窗口"));
    assert_eq!(page.confirm_action(), None);
    // Past the upload limit: refused before it is read.
    let huge = upload(&mut ducha, "huge.xlsx", &vec![b'x'; 20 * 1024 * 1024]).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(checksum(&app.pool).await, before);
    assert_eq!(
        count(&app.pool, "select count(*) from import_batch").await,
        0
    );
}

#[sqlx::test]
async fn a_csv_saved_by_excel_in_gbk_imports_like_the_workbook(pool: PgPool) {
    let app = with_scores(pool).await;
    let mut ducha = login_as(&app, Role::Supervision).await;
    let csv = "窗口号,窗口名称,分数\r\n1,户籍,97.5\r\n2,出入境,\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let page = upload(&mut ducha, "考核.csv", &gbk).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.text(".import-summary").contains("将保存 1 个分数"));
    assert!(page.text(".import-summary").contains("未填跳过 1 行"));
    let done = ducha.post(&page.confirm_action().unwrap(), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        count(&app.pool, "select count(*) from monthly_score m join service_window w using (window_id) where w.number = '1' and m.month = '2026-11' and m.score = 97.5").await,
        1
    );
}

/// The XML of one part of a workbook.
fn part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut out).unwrap();
    out
}

#[sqlx::test]
async fn a_periods_scores_and_results_export_as_printable_workbooks(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    demo_city_types_totals(&app).await;
    let mut leader = login_as(&app, Role::Leadership).await;
    let (status, _, scores) = leader.get_bytes("/results/2026-Q2/scores.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let rows = sheets::read(&scores).unwrap();
    let head: Vec<String> = rows[1].iter().map(Cell::text).collect();
    assert_eq!(
        head,
        [
            "窗口",
            "进驻单位",
            "2026年4月",
            "2026年5月",
            "2026年6月",
            "考核平均分",
            "一票否决"
        ]
    );
    assert_eq!(rows.len() - 2, 29);
    let sheet = part(&scores, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("state=\"frozen\""), "frozen panes");
    assert!(
        sheet.contains("orientation=\"landscape\""),
        "prints landscape"
    );

    let (_, _, results) = leader.get_bytes("/results/2026-Q2/results.xlsx").await;
    let rows = sheets::read(&results).unwrap();
    assert_eq!(rows[1][0].text(), "名次");
    let winners = rows[2..]
        .iter()
        .filter(|r| r.get(12).map(Cell::text).as_deref() == Some("当选"))
        .count();
    assert_eq!(winners, 5);
    // The totals in the sheet are the published ones.
    let published: String = sqlx::query_scalar(
        "select e ->> 'total' from period, jsonb_array_elements(results -> 'window' -> 'entrants') e
         where code = '2026-Q2' and e ->> 'final_rank' = '1'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows[2][11], Cell::Number(published.parse().unwrap()));
}
