//! The admin maintains the center through the pages, and every change is in the audit log
//! with who, when, and before → after.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use serde_json::Value;
use sqlx::PgPool;

async fn id_of(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// Another center with one department: (center, department).
async fn other_center(app: &TestApp) -> (i64, i64) {
    let other: i64 = sqlx::query_scalar(
        "insert into center (code, name) values ('other', '外市政务服务中心') returning center_id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let dept: i64 = sqlx::query_scalar(
        "insert into department (center_id, name) values ($1, '公安局') returning department_id",
    )
    .bind(other)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    (other, dept)
}

/// The newest audit row: (action, actor, entity id, before, after).
async fn last_audit(app: &TestApp) -> (String, String, String, Option<Value>, Option<Value>) {
    sqlx::query_as("select action, actor_name, entity_id, before, after from audit_log order by audit_id desc limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn the_admin_creates_edits_and_deactivates_a_window_with_audit_rows(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let dept = id_of(
        &app,
        "select department_id from department where name = '税务局'",
    )
    .await;
    let area = id_of(
        &app,
        "select business_area_id from business_area where name = '税务'",
    )
    .await;

    let created = admin
        .post(
            "/admin/windows",
            &[
                ("number", "31"),
                ("name", "社保费征缴"),
                ("department_id", &dept.to_string()),
                ("business_area_id", &area.to_string()),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let id = id_of(
        &app,
        "select window_id from service_window where number = '31'",
    )
    .await;
    assert_eq!(
        created.location(),
        Some(format!("/admin/windows/{id}?notice=created").as_str())
    );
    let (action, actor, entity_id, before, after) = last_audit(&app).await;
    assert_eq!(action, "service_window.create");
    assert_eq!(actor, "系统管理员（admin）");
    assert_eq!(entity_id, id.to_string());
    assert!(before.is_none());
    assert_eq!(after.unwrap()["name"], "社保费征缴");

    let page = admin.get(created.location().unwrap()).await;
    assert_eq!(page.text(".notice"), "已新增。");
    assert_eq!(page.input_value("name").as_deref(), Some("社保费征缴"));

    let edited = admin
        .post(
            &format!("/admin/windows/{id}"),
            &[
                ("number", "31"),
                ("name", "社保费申报"),
                ("department_id", &dept.to_string()),
                ("business_area_id", &area.to_string()),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let (action, _, _, before, after) = last_audit(&app).await;
    assert_eq!(action, "service_window.update");
    assert_eq!(before.unwrap()["name"], "社保费征缴");
    assert_eq!(after.unwrap()["name"], "社保费申报");

    let off = admin
        .post(
            &format!("/admin/windows/{id}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    let active: bool = sqlx::query_scalar("select active from service_window where window_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!active, "deactivated, not deleted");
    assert_eq!(last_audit(&app).await.0, "service_window.disable");

    // The audit page shows the change, before → after, to the supervision office too.
    let mut ducha = login_as(&app, Role::Supervision).await;
    let audit = ducha.get("/audit?entity=service_window").await;
    assert_eq!(audit.status, StatusCode::OK);
    let changes = audit.texts(".changes li");
    assert!(
        changes
            .iter()
            .any(|c| c.contains("社保费征缴") && c.contains("社保费申报")),
        "{changes:?}"
    );
    assert!(audit.texts("td").iter().any(|t| t == "修改窗口"));
}

#[sqlx::test]
async fn departments_and_business_areas_are_maintained_alike(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    for (base, table, name) in [
        ("/admin/departments", "department", "统计局"),
        ("/admin/business-areas", "business_area", "涉企服务"),
    ] {
        let page = admin
            .post(base, &[("name", name), ("sort_order", "")])
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{base}");
        let (action, _, _, _, after) = last_audit(&app).await;
        assert_eq!(action, format!("{table}.create"));
        assert_eq!(after.unwrap()["name"], name);
        // The list finds it by name.
        let list = admin
            .get(&format!(
                "{base}?q={}",
                percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
            ))
            .await;
        assert_eq!(
            list.texts("tbody tr td:first-child"),
            vec![name.to_string()]
        );
        // A second one of the same name is refused beside the field.
        let dup = admin
            .post(base, &[("name", name), ("sort_order", "1")])
            .await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            dup.field_error("name").as_deref(),
            Some("已有同名项目，请换一个名称")
        );
        assert_eq!(
            dup.input_value("sort_order").as_deref(),
            Some("1"),
            "typed values are kept"
        );
    }
}

#[sqlx::test]
async fn the_admin_adds_a_staff_member_and_moves_them_to_another_window(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let w1 = id_of(
        &app,
        "select window_id from service_window where number = '1'",
    )
    .await;
    let w2 = id_of(
        &app,
        "select window_id from service_window where number = '2'",
    )
    .await;
    let page = admin
        .post(
            "/admin/staff",
            &[
                ("name", "欧阳晓晨"),
                ("employee_no", "SF9001"),
                ("window_id", &w1.to_string()),
                ("position", "收件员"),
                ("posted_on", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let id = id_of(
        &app,
        "select staff_id from staff where employee_no = 'SF9001'",
    )
    .await;
    let page = admin
        .post(
            &format!("/admin/staff/{id}"),
            &[
                ("name", "欧阳晓晨"),
                ("employee_no", "SF9001"),
                ("window_id", &w2.to_string()),
                ("position", "审批员"),
                ("posted_on", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let (action, _, _, before, after) = last_audit(&app).await;
    assert_eq!(action, "staff.update");
    assert_eq!(before.as_ref().unwrap()["window_id"], w1);
    assert_eq!(after.as_ref().unwrap()["window_id"], w2);
    assert!(
        after.unwrap().get("photo").is_none(),
        "photos stay out of the log"
    );
    let dup = admin
        .post(
            "/admin/staff",
            &[
                ("name", "另一人"),
                ("employee_no", "SF9001"),
                ("window_id", &w1.to_string()),
                ("position", "收件员"),
                ("posted_on", ""),
            ],
        )
        .await;
    assert_eq!(
        dup.field_error("employee_no").as_deref(),
        Some("该工号已被使用")
    );
}

#[sqlx::test]
async fn a_window_head_account_needs_a_window_and_a_reset_forces_a_new_password(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let missing = admin
        .post(
            "/admin/accounts",
            &[
                ("username", "head99"),
                ("display_name", "新负责人"),
                ("role", "window_head"),
                ("window_id", ""),
            ],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        missing.field_error("window_id").as_deref(),
        Some("请选择一项")
    );

    let w3 = id_of(
        &app,
        "select window_id from service_window where number = '3'",
    )
    .await;
    let created = admin
        .post(
            "/admin/accounts",
            &[
                ("username", "head99"),
                ("display_name", "新负责人"),
                ("role", "window_head"),
                ("window_id", &w3.to_string()),
            ],
        )
        .await;
    admin.handed_over(&created).await;
    let (action, _, _, _, after) = last_audit(&app).await;
    assert_eq!(action, "account.create");
    let after = after.unwrap();
    assert!(
        after.get("password_hash").is_none(),
        "hashes stay out of the log"
    );
    assert_eq!(after["must_change_password"], true);

    let id = id_of(
        &app,
        "select account_id from account where username = 'head01'",
    )
    .await;
    let mut head = login_as(&app, Role::WindowHead).await;
    // A reset is confirmed first: the account page only links to the confirmation.
    let confirm = admin
        .get(&format!("/admin/accounts/{id}/password-reset"))
        .await;
    assert!(confirm.text("h1").starts_with("重置"));
    assert_eq!(
        head.get("/head").await.status,
        StatusCode::OK,
        "opening the confirmation changed nothing"
    );
    let reset = admin
        .post(&format!("/admin/accounts/{id}/password-reset"), &[])
        .await;
    let temporary = admin.handed_over(&reset).await;
    // The password is shown once: a refresh of that page shows it no more.
    let again = admin.get("/admin/accounts/handover").await;
    assert!(!again.body.contains(&temporary));
    assert!(again.text("h1").contains("已显示过"));
    assert_eq!(last_audit(&app).await.0, "account.password_reset");
    assert_eq!(
        head.get("/head").await.status,
        StatusCode::SEE_OTHER,
        "the reset ended the head's session"
    );
    assert_eq!(
        Browser::new(&app).login("head01", PASSWORD).await.status,
        StatusCode::OK,
        "old password refused"
    );
    let mut again = Browser::new(&app);
    assert_eq!(
        again.login("head01", &temporary).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        again.get("/head").await.location(),
        Some("/account/password")
    );
}

#[sqlx::test]
async fn the_admin_cannot_demote_or_disable_themselves(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let id = id_of(
        &app,
        "select account_id from account where username = 'admin'",
    )
    .await;
    let page = admin
        .post(
            &format!("/admin/accounts/{id}"),
            &[
                ("username", "admin"),
                ("display_name", "系统管理员"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.field_error("role")
            .unwrap()
            .contains("不能更改自己的角色")
    );
    let page = admin
        .post(
            &format!("/admin/accounts/{id}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.get("/admin").await.status, StatusCode::OK);
}

#[sqlx::test]
async fn lists_are_searched_and_paged(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let first = admin.get("/admin/staff").await;
    assert_eq!(first.texts("tbody tr").len(), 20);
    assert!(
        first
            .text(".paging span")
            .starts_with("共 146 条，第 1 / 8 页")
    );
    let last = admin.get("/admin/staff?page=8").await;
    assert_eq!(last.texts("tbody tr").len(), 6);
    let found = admin
        .get("/admin/windows?q=%E4%B8%8D%E5%8A%A8%E4%BA%A7")
        .await; // 不动产
    assert_eq!(found.texts("tbody tr").len(), 3);
    let heads = admin.get("/admin/accounts?role=window_head").await;
    assert!(heads.text(".paging span").starts_with("共 29 条"));
}

/// The staff list without a search comes from the center's kept roster while its page
/// holds active staff only: page for page, it lists what the database's statement lists,
/// the inactive staff last, for the whole center and for a window.
#[sqlx::test]
async fn the_staff_list_from_the_kept_roster_lists_what_the_database_does(pool: PgPool) {
    use pingxuan::domain::ids::{CenterId, WindowId};
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    // Seen once before the change, so that a roster is kept and must be read again.
    assert_eq!(admin.get("/admin/staff").await.status, StatusCode::OK);
    let (center, window): (i64, i64) = sqlx::query_as(
        "update staff set active = false
          where staff_id in (select s.staff_id from staff s join account a on a.center_id = s.center_id
                              where a.username = 'admin' order by s.staff_id limit 7)
         returning center_id, window_id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    for filter in [None, Some(window)] {
        let total = pingxuan::db::org::staff_list(
            &mut conn,
            CenterId(center),
            "",
            filter.map(WindowId),
            1,
            0,
            None,
        )
        .await
        .unwrap()
        .1;
        let mut inactive_seen = 0;
        for page in 1..=(total + 19) / 20 {
            let (rows, _) = pingxuan::db::org::staff_list(
                &mut conn,
                CenterId(center),
                "",
                filter.map(WindowId),
                20,
                (page - 1) * 20,
                None,
            )
            .await
            .unwrap();
            let url = match filter {
                Some(w) => format!("/admin/staff?window={w}&page={page}"),
                None => format!("/admin/staff?page={page}"),
            };
            let shown = admin.get(&url).await;
            let expected: Vec<String> = rows
                .iter()
                .map(|r| format!("{} {} {}", r.name, r.employee_no, r.window_label))
                .collect();
            let cells = shown.texts("tbody td");
            let rows_shown: Vec<String> = cells
                .chunks(7)
                .map(|c| format!("{} {} {}", c[0], c[1], c[2]))
                .collect();
            assert_eq!(rows_shown, expected, "{url}");
            inactive_seen += shown.texts("tbody tr.inactive").len();
        }
        if filter.is_none() {
            assert_eq!(inactive_seen, 7, "the inactive staff are listed");
        }
    }
}

#[sqlx::test]
async fn nobody_can_update_delete_or_truncate_the_audit_log(pool: PgPool) {
    let app = spawn(pool).await;
    let n = count(&app.pool, "select count(*) from audit_log").await;
    assert!(n > 0);
    for sql in [
        "update audit_log set actor_name = 'x'",
        "delete from audit_log",
        "truncate audit_log",
    ] {
        let err = sqlx::query(sql).execute(&app.pool).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(count(&app.pool, "select count(*) from audit_log").await, n);
}

#[sqlx::test]
async fn an_account_acts_only_within_its_own_center(pool: PgPool) {
    let app = spawn(pool).await;
    // A second center with a window of its own.
    let (other, dept) = other_center(&app).await;
    let area: i64 = sqlx::query_scalar("insert into business_area (center_id, name) values ($1, '公安户政') returning business_area_id")
        .bind(other)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let window: i64 = sqlx::query_scalar(
        "insert into service_window (center_id, number, name, department_id, business_area_id) values ($1, '1', '户籍', $2, $3) returning window_id",
    )
    .bind(other)
    .bind(dept)
    .bind(area)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let mut admin = login_as(&app, Role::Admin).await;
    assert_eq!(
        admin.get(&format!("/admin/windows/{window}")).await.status,
        StatusCode::NOT_FOUND
    );
    let before = checksum(&app.pool).await;
    let page = admin
        .post(
            &format!("/admin/windows/{window}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // A staff member cannot be put at another center's window either.
    let page = admin
        .post(
            "/admin/staff",
            &[
                ("name", "张三"),
                ("employee_no", "X1"),
                ("window_id", &window.to_string()),
                ("position", "收件员"),
                ("posted_on", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("window_id").is_some());
    assert_eq!(checksum(&app.pool).await, before);
}

#[sqlx::test]
async fn another_centers_accounts_and_departments_are_out_of_reach(pool: PgPool) {
    let app = spawn(pool).await;
    let (other, dept) = other_center(&app).await;
    let account: i64 = sqlx::query_scalar(
        "insert into account (center_id, username, display_name, password_hash, role) values ($1, 'otheradmin', '外市管理员', 'x', 'admin') returning account_id",
    )
    .bind(other)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let mut admin = login_as(&app, Role::Admin).await;
    let before = checksum(&app.pool).await;
    let attempts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/admin/accounts/{account}/password-reset"), vec![]),
        (
            format!("/admin/accounts/{account}/active"),
            vec![("active", "false")],
        ),
        (
            format!("/admin/accounts/{account}"),
            vec![
                ("username", "otheradmin"),
                ("display_name", "改名"),
                ("role", "admin"),
            ],
        ),
        (
            format!("/admin/departments/{dept}"),
            vec![("name", "改名"), ("sort_order", "1")],
        ),
        (
            format!("/admin/departments/{dept}/active"),
            vec![("active", "false")],
        ),
    ];
    for (url, fields) in &attempts {
        assert_eq!(admin.get(url).await.status.as_u16() / 100, 4, "GET {url}");
        let page = admin.post(url, fields).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "POST {url}");
    }
    assert_eq!(checksum(&app.pool).await, before);
    // Their audit rows are not shown either.
    sqlx::query("insert into audit_log (center_id, actor_name, action, entity, entity_id) values ($1, '外市管理员', 'department.create', 'department', 'secret-row')")
        .bind(other)
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(!admin.get("/audit").await.body.contains("secret-row"));
}

#[sqlx::test]
async fn a_window_of_a_deactivated_department_can_still_be_edited(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let (window, dept, area): (i64, i64, i64) = sqlx::query_as(
        "select window_id, department_id, business_area_id from service_window where number = '19'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let off = admin
        .post(
            &format!("/admin/departments/{dept}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    let form = admin.get(&format!("/admin/windows/{window}")).await;
    assert!(form.texts("#f-department_id option[selected]")[0].ends_with("（已停用）"));
    let saved = admin
        .post(
            &format!("/admin/windows/{window}"),
            &[
                ("number", "19"),
                ("name", "婚姻登记（新址）"),
                ("department_id", &dept.to_string()),
                ("business_area_id", &area.to_string()),
            ],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.texts(".error").join(" ")
    );
    // A new window cannot pick the deactivated department.
    let refused = admin
        .post(
            "/admin/windows",
            &[
                ("number", "40"),
                ("name", "新窗口"),
                ("department_id", &dept.to_string()),
                ("business_area_id", &area.to_string()),
            ],
        )
        .await;
    assert_eq!(
        refused.field_error("department_id").as_deref(),
        Some("所选项目不存在或已停用，请重新选择")
    );
}

#[sqlx::test]
async fn the_audit_log_reads_and_searches_in_chinese_and_exports_a_workbook(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let head01 = id_of(
        &app,
        "select account_id from account where username = 'head01'",
    )
    .await;
    admin
        .post(&format!("/admin/accounts/{head01}/password-reset"), &[])
        .await;
    // Moving a window to another department: the departments are named, not numbered.
    let (window, dept_name, other, other_name): (i64, String, i64, String) = sqlx::query_as(
        "select w.window_id, d.name, o.department_id, o.name from service_window w
         join department d on d.department_id = w.department_id
         join department o on o.center_id = w.center_id and o.department_id <> w.department_id
         where w.number = '3' order by o.department_id limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let form = admin.get(&format!("/admin/windows/{window}")).await;
    let mut fields = form.form_fields("main form[method=post]");
    fields.retain(|(k, _)| k != "department_id");
    let (area,): (i64,) =
        sqlx::query_as("select business_area_id from service_window where window_id = $1")
            .bind(window)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    fields.retain(|(k, _)| k != "business_area_id");
    fields.push(("department_id".into(), other.to_string()));
    fields.push(("business_area_id".into(), area.to_string()));
    let saved = admin
        .post_fields(&format!("/admin/windows/{window}"), &fields)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    // Searched by the Chinese name of the action.
    let found = admin
        .get("/audit?q=%E9%87%8D%E7%BD%AE%E5%AF%86%E7%A0%81")
        .await; // 重置密码
    let rows = found.texts("tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].contains("重置密码") && rows[0].contains("head01"),
        "{rows:?}"
    );
    let moved = admin.get("/audit?entity=service_window").await;
    let changes = moved.texts(".changes li");
    assert!(
        changes.iter().any(|c| c.contains(&dept_name)
            && c.contains(&other_name)
            && c.starts_with("进驻单位")),
        "{changes:?}"
    );
    assert!(!moved.body.contains("内部编号"));

    // The same search as a workbook, with a Chinese file name and an ASCII fallback.
    let (status, headers, bytes) = admin
        .get_bytes("/audit/export.xlsx?q=%E9%87%8D%E7%BD%AE%E5%AF%86%E7%A0%81")
        .await;
    assert_eq!(status, StatusCode::OK);
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.contains("filename=\"pingxuan.xlsx\""));
    assert!(disposition.contains("filename*=UTF-8''%E6%93%8D%E4%BD%9C%E6%97%A5%E5%BF%97"));
    let sheet = pingxuan::sheets::read(&bytes).unwrap();
    let texts: Vec<String> = sheet.iter().flatten().map(|c| c.text()).collect();
    assert!(texts.iter().any(|t| t == "重置密码"), "{texts:?}");
    assert!(
        !texts.iter().any(|t| t == "修改窗口"),
        "only what the search found"
    );
}

#[sqlx::test]
async fn the_day_a_person_started_at_the_window_is_recorded_checked_and_audited(pool: PgPool) {
    let app = spawn(pool).await;
    let mut admin = login_as(&app, Role::Admin).await;
    let id = id_of(&app, "select min(staff_id) from staff").await;
    let url = format!("/admin/staff/{id}");
    let page = admin.get(&url).await;
    assert_eq!(page.input_value("posted_on").as_deref(), Some(""));
    let mut fields = page.form_fields("form[novalidate]");
    let window = id_of(
        &app,
        &format!("select window_id from staff where staff_id = {id}"),
    )
    .await;
    fields.push(("window_id".into(), window.to_string()));
    set_field(&mut fields, "posted_on", "2019-3-1");
    let before = checksum(&app.pool).await;
    let bad = admin.post_fields(&url, &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("posted_on").unwrap().contains("2019-03-01"));
    assert_eq!(bad.input_value("posted_on").as_deref(), Some("2019-3-1"));
    assert_eq!(
        checksum(&app.pool).await,
        before,
        "nothing of the person changed"
    );

    set_field(&mut fields, "posted_on", "2019-03-01");
    assert_eq!(
        admin.post_fields(&url, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    let (action, _, _, before, after) = last_audit(&app).await;
    assert_eq!(action, "staff.update");
    assert_eq!(before.unwrap()["posted_on"], serde_json::Value::Null);
    assert_eq!(after.unwrap()["posted_on"], "2019-03-01");
    assert_eq!(
        admin.get(&url).await.input_value("posted_on").as_deref(),
        Some("2019-03-01")
    );
    // Cleared, it is no longer recorded.
    set_field(&mut fields, "posted_on", "");
    assert_eq!(
        admin.post_fields(&url, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        count(
            &app.pool,
            &format!("select count(*) from staff where staff_id = {id} and posted_on is null")
        )
        .await,
        1
    );
}

#[sqlx::test]
async fn a_long_audit_log_is_counted_up_to_its_cap_and_names_what_its_page_shows(pool: PgPool) {
    let app = spawn(pool).await;
    let (center, window, name): (i64, i64, String) = sqlx::query_as(
        "select w.center_id, w.window_id, w.number || '号窗口 ' || w.name
           from service_window w join account a using (center_id)
          where a.username = 'ducha' order by w.window_id desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // A busy year: more rows than the page counts, 50 of them by one person.
    sqlx::query(
        "insert into audit_log (center_id, actor_name, action, entity, entity_id, before, after)
         select $1, case when n % 201 = 0 then '档案员甲' else '督查科' end,
                'service_window.update', 'service_window', $2::text,
                jsonb_build_object('name', '旧名' || n), jsonb_build_object('name', '新名' || n)
           from generate_series(1, 10050) n",
    )
    .bind(center)
    .bind(window)
    .execute(&app.pool)
    .await
    .unwrap();
    let mut ducha = login_as(&app, Role::Supervision).await;
    let page = ducha.get("/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    let paging = page.text(".paging span");
    assert!(
        paging.starts_with("超过 10000 条") && paging.contains("第 1 / 500 页"),
        "{paging}"
    );
    assert_eq!(page.texts("tbody tr").len(), 20);
    // The newest first, its window named from the ids the page shows.
    assert!(page.body.contains("新名10050"));
    assert!(page.texts("td").iter().any(|t| t.contains(&name)), "{name}");
    // Past the counted rows: the last page that can be reached.
    let past = ducha.get("/audit?page=600").await;
    assert_eq!(past.status, StatusCode::OK);
    assert!(past.text(".paging span").contains("第 500 / 500 页"));
    assert_eq!(past.texts("tbody tr").len(), 20);
    // Deep pages (found through the ids the process keeps) list the rows the offset would,
    // before and after newer rows are written.
    let deep_rows = |offset: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "select coalesce(after->>'name', '') from audit_log where center_id = $1
                  order by audit_id desc limit 20 offset $2",
            )
            .bind(center)
            .bind(offset)
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.starts_with("新名"))
            .collect::<Vec<_>>()
        }
    };
    let names_on = |page: &Page| -> Vec<String> {
        page.texts("tbody tr td")
            .into_iter()
            .filter_map(|t| {
                t.split("新名").nth(1).map(|n| {
                    format!(
                        "新名{}",
                        n.split(|c: char| !c.is_ascii_digit()).next().unwrap_or("")
                    )
                })
            })
            .collect()
    };
    for (page, offset) in [(60, 1180), (500, 9980)] {
        let shown = ducha.get(&format!("/audit?page={page}")).await;
        assert_eq!(names_on(&shown), deep_rows(offset).await, "page {page}");
    }
    sqlx::query(
        "insert into audit_log (center_id, actor_name, action, entity, entity_id, before, after)
         select $1, '督查科', 'service_window.update', 'service_window', $2::text,
                jsonb_build_object('name', '旧名' || n), jsonb_build_object('name', '新名' || n)
           from generate_series(20001, 20007) n",
    )
    .bind(center)
    .bind(window)
    .execute(&app.pool)
    .await
    .unwrap();
    for (page, offset) in [(60, 1180), (500, 9980)] {
        let shown = ducha.get(&format!("/audit?page={page}")).await;
        assert_eq!(
            names_on(&shown),
            deep_rows(offset).await,
            "page {page} after 7 more rows"
        );
    }
    // A search below the cap is counted exactly.
    let found = ducha
        .get("/audit?q=%E6%A1%A3%E6%A1%88%E5%91%98%E7%94%B2") // 档案员甲
        .await;
    assert!(
        found
            .text(".paging span")
            .starts_with("共 50 条，第 1 / 3 页"),
        "{}",
        found.text(".paging span")
    );
}
