//! The roster through Excel, for a center's first setup: the workbook exported and imported
//! back changes nothing; added and edited rows are created and updated after a preview, in
//! one transaction, each audited; rows that do not fit are refused with their reason.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use pingxuan::sheets::{self, Cell, Out, OutSheet};
use sqlx::PgPool;

type Book = Vec<(String, Vec<Vec<String>>)>;

async fn download(admin: &mut Browser) -> Book {
    let (status, _, bytes) = admin.get_bytes("/admin/roster.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    sheets::read_book(&bytes)
        .unwrap()
        .into_iter()
        .map(|(name, rows)| {
            let rows = rows[2..]
                .iter()
                .map(|r| r.iter().map(Cell::text).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

fn workbook(book: &Book) -> Vec<u8> {
    let heads = |name: &str| -> Vec<&str> {
        match name {
            "进驻单位" | "业务范围" => vec!["名称"],
            "窗口" => vec!["窗口号", "窗口名称", "进驻单位", "业务范围"],
            _ => vec!["工号", "姓名", "窗口号", "岗位"],
        }
    };
    let sheets: Vec<OutSheet> = book
        .iter()
        .map(|(name, rows)| OutSheet {
            name: name.clone(),
            title: name.clone(),
            header: heads(name).iter().map(|h| (h.to_string(), 12.0)).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| Out::Text(c.clone())).collect())
                .collect(),
            frozen_columns: 0,
        })
        .collect();
    sheets::write_xlsx(&sheets).unwrap()
}

async fn upload(admin: &mut Browser, data: &[u8]) -> Page {
    admin
        .upload("/imports/roster", "file", "名单.xlsx", data)
        .await
}

fn sheet<'a>(book: &'a mut Book, name: &str) -> &'a mut Vec<Vec<String>> {
    &mut book.iter_mut().find(|(n, _)| n == name).unwrap().1
}

#[sqlx::test]
async fn the_roster_exported_and_imported_back_changes_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let book = download(&mut admin).await;
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["进驻单位", "业务范围", "窗口", "工作人员"]);
    assert_eq!(book[2].1.len(), 29);
    let before = checksum(&app.pool).await;
    let page = upload(&mut admin, &workbook(&book)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.text(".import-summary")
            .starts_with("新增 0 条；修改 0 条")
    );
    assert_eq!(page.confirm_action(), None);
    assert_eq!(checksum(&app.pool).await, before);
}

#[sqlx::test]
async fn added_and_edited_rows_are_written_after_the_preview_each_audited(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let mut book = download(&mut admin).await;
    let area = sheet(&mut book, "业务范围")[0][0].clone();
    sheet(&mut book, "进驻单位").push(vec!["数据资源局".into()]);
    sheet(&mut book, "窗口").push(vec![
        "30".into(),
        "数据服务".into(),
        "数据资源局".into(),
        area,
    ]);
    sheet(&mut book, "工作人员").push(vec![
        "3001".into(),
        "周新".into(),
        "30".into(),
        "综合受理员".into(),
    ]);
    let edited_no = sheet(&mut book, "工作人员")[0][0].clone();
    sheet(&mut book, "工作人员")[0][3] = "首席代办员".into();
    let page = upload(&mut admin, &workbook(&book)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.text(".import-summary")
            .starts_with("新增 3 条；修改 1 条；"),
        "{}",
        page.text(".import-summary")
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from department where name = '数据资源局'"
        )
        .await,
        0,
        "the preview writes nothing"
    );
    let done = admin.post(&page.confirm_action().unwrap(), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from staff s join service_window w using (window_id) join department d using (department_id)
             where s.employee_no = '3001' and w.number = '30' and d.name = '数据资源局'"
        )
        .await,
        1
    );
    let position: String = sqlx::query_scalar("select position from staff where employee_no = $1")
        .bind(&edited_no)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(position, "首席代办员");
    for (action, n) in [
        ("department.create", 1),
        ("service_window.create", 1),
        ("staff.create", 1),
        ("staff.update", 1),
    ] {
        assert_eq!(
            count(
                &app.pool,
                &format!("select count(*) from audit_log where action = '{action}' and actor_account_id is not null")
            )
            .await,
            n,
            "{action}"
        );
    }
}

#[sqlx::test]
async fn rows_that_do_not_fit_are_refused_with_their_reason(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let mut book = download(&mut admin).await;
    let area = sheet(&mut book, "业务范围")[0][0].clone();
    sheet(&mut book, "窗口").push(vec![
        "31".into(),
        "新窗口".into(),
        "不存在的局".into(),
        area,
    ]);
    let dup = sheet(&mut book, "工作人员")[0].clone();
    sheet(&mut book, "工作人员").push(dup);
    sheet(&mut book, "工作人员").push(vec![
        "3002".into(),
        "".into(),
        "1".into(),
        "综合受理员".into(),
    ]);
    let before = checksum(&app.pool).await;
    let page = upload(&mut admin, &workbook(&book)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text(".import-summary").contains("错误 3 条"));
    let errors = page.texts("#preview tr.import-error");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("进驻单位“不存在的局”不存在")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("与第 3 行重复")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("姓名：")), "{errors:?}");
    assert_eq!(page.confirm_action(), None);
    assert_eq!(checksum(&app.pool).await, before);

    // A roster changed since its preview is not written.
    let mut book = download(&mut admin).await;
    sheet(&mut book, "进驻单位").push(vec!["审计局".into()]);
    let page = upload(&mut admin, &workbook(&book)).await;
    let action = page.confirm_action().unwrap();
    sqlx::query("insert into department (center_id, name, sort_order) select center_id, '审计局', 999 from account where username = 'admin'")
        .execute(&app.pool)
        .await
        .unwrap();
    let before = checksum(&app.pool).await;
    let refused = admin.post(&action, &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text(".error-summary").contains("已被修改"));
    assert_eq!(checksum(&app.pool).await, before);
}
