//! The admin's maintenance of the center: departments, business areas, windows, staff and
//! accounts. Each write runs in one transaction together with its audit row; rows are
//! deactivated, never deleted.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::{ClientIp, CurrentUser};
use super::form::{Errors, FieldError, Fields, FormData};
use super::page::{self, Choice, Layout, ListQuery, Paging, choices};
use super::routes::{ADMIN, Access, Routes};
use super::urls;
use sqlx::PgConnection;

use crate::db::{self, org::Catalog};
use crate::domain::{Role, text};
use crate::password;

const A: Access = Access::Roles(ADMIN);

pub fn routes(r: Routes) -> Routes {
    let r = catalog_routes(r, &DEPARTMENT);
    let r = catalog_routes(r, &BUSINESS_AREA);
    r.get(urls::WINDOWS, A, window_list)
        .post(urls::WINDOWS, A, window_create)
        .get("/admin/windows/new", A, window_new)
        .get("/admin/windows/{id}", A, window_edit)
        .post("/admin/windows/{id}", A, window_update)
        .post(
            "/admin/windows/{id}/active",
            A,
            |s: State<AppState>, u: CurrentUser, ip: ClientIp, id: Path<String>, f: FormData| {
                set_active(Entity::Window, s, u, ip, id, f)
            },
        )
        .get(urls::STAFF, A, staff_list)
        .post(urls::STAFF, A, staff_create)
        .get("/admin/staff/new", A, staff_new)
        .get("/admin/staff/{id}", A, staff_edit)
        .post("/admin/staff/{id}", A, staff_update)
        .post(
            "/admin/staff/{id}/active",
            A,
            |s: State<AppState>, u: CurrentUser, ip: ClientIp, id: Path<String>, f: FormData| {
                set_active(Entity::Staff, s, u, ip, id, f)
            },
        )
        .get(urls::ACCOUNTS, A, account_list)
        .post(urls::ACCOUNTS, A, account_create)
        .get("/admin/accounts/new", A, account_new)
        .get("/admin/accounts/{id}", A, account_edit)
        .post("/admin/accounts/{id}", A, account_update)
        .post(
            "/admin/accounts/{id}/active",
            A,
            |s: State<AppState>, u: CurrentUser, ip: ClientIp, id: Path<String>, f: FormData| {
                set_active(Entity::Account, s, u, ip, id, f)
            },
        )
        .post(
            "/admin/accounts/{id}/password-reset",
            A,
            account_reset_password,
        )
}

/// The form field and message for a constraint the database refused, when it is one that
/// a person can fix by typing something else.
fn constraint_message(e: &AppError) -> Option<(&'static str, &'static str)> {
    let AppError::Db(e) = e else { return None };
    let db = e.as_database_error()?;
    match (db.code().as_deref(), db.constraint()) {
        (
            Some("23505"),
            Some("department_center_id_name_key" | "business_area_center_id_name_key"),
        ) => Some(("name", "已有同名项目，请换一个名称")),
        (Some("23505"), Some("service_window_center_id_number_key")) => {
            Some(("number", "该窗口编号已被使用"))
        }
        (Some("23505"), Some("staff_center_id_employee_no_key")) => {
            Some(("employee_no", "该工号已被使用"))
        }
        (Some("23505"), Some("account_username_key")) => Some(("username", "该用户名已被使用")),
        (Some("23503"), _) => Some(("_form", "所选的关联项目不存在或不属于本中心，请重新选择")),
        (Some("23514"), _) => Some(("_form", "填写的内容不符合要求，请检查后重新提交")),
        _ => None,
    }
}

/// Runs one create or update in a transaction (with its audit row). A constraint a person
/// can fix by typing something else becomes a message in `errors` and `Ok(None)`.
async fn save_in_tx(
    state: &AppState,
    errors: &mut Errors,
    write: impl AsyncFnOnce(&mut PgConnection) -> AppResult<i64>,
) -> AppResult<Option<i64>> {
    let result = async {
        let mut tx = state.db.begin().await?;
        let id = write(&mut tx).await?;
        tx.commit().await?;
        Ok(id)
    }
    .await;
    match result {
        Ok(id) => Ok(Some(id)),
        Err(e) => match constraint_message(&e) {
            Some((field, msg)) => {
                errors.add(field, msg);
                Ok(None)
            }
            None => Err(e),
        },
    }
}

/// `id` when the update found its row, otherwise 404.
fn found(updated: bool, id: i64) -> AppResult<i64> {
    if updated {
        Ok(id)
    } else {
        Err(AppError::NotFound)
    }
}

/// Back to the saved row's page, saying what happened.
fn saved_redirect(base: &str, updated: Option<i64>, saved: i64) -> Response {
    let notice = if updated.is_some() {
        "saved"
    } else {
        "created"
    };
    redirect_notice(&urls::item(base, saved), notice)
}

fn redirect_notice(url: &str, notice: &str) -> Response {
    Redirect::to(&format!("{url}?notice={notice}")).into_response()
}

/// Whether `active` in the form asks to enable (true) or disable (false).
fn parse_active(form: &FormData) -> AppResult<bool> {
    match form.raw("active") {
        Ok("true") => Ok(true),
        Ok("false") => Ok(false),
        _ => Err(AppError::BadRequest),
    }
}

#[derive(Clone, Copy)]
enum Entity {
    Catalog(&'static CatalogSpec),
    Window,
    Staff,
    Account,
}

/// Enables or disables a row of any kind, then returns to its page.
async fn set_active(
    entity: Entity,
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    let active = parse_active(&form)?;
    let actor = user.actor(&ip);
    let center = user.center_id;
    let mut tx = state.db.begin().await?;
    let (found, base) = match entity {
        Entity::Catalog(spec) => (
            db::org::catalog_set_active(&mut tx, spec.catalog, &actor, center, id, active).await?,
            spec.base,
        ),
        Entity::Window => (
            db::org::window_set_active(&mut tx, &actor, center, id, active).await?,
            urls::WINDOWS,
        ),
        Entity::Staff => (
            db::org::staff_set_active(&mut tx, &actor, center, id, active).await?,
            urls::STAFF,
        ),
        Entity::Account => {
            if id == user.account_id && !active {
                return Err(AppError::Forbidden);
            }
            (
                db::account::set_active(&mut tx, &actor, center, id, active).await?,
                urls::ACCOUNTS,
            )
        }
    };
    if !found {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(redirect_notice(
        &urls::item(base, id),
        if active { "enabled" } else { "disabled" },
    ))
}

/// The parts of an edit page that every kind shares: where to post, and the
/// enable/disable button of an existing row.
pub struct EditTarget {
    pub action: String,
    pub is_new: bool,
    pub active: bool,
    pub active_action: String,
    pub list: &'static str,
}

impl EditTarget {
    fn new(list: &'static str) -> EditTarget {
        EditTarget {
            action: list.to_string(),
            is_new: true,
            active: true,
            active_action: String::new(),
            list,
        }
    }
    fn existing(list: &'static str, id: i64, active: bool) -> EditTarget {
        EditTarget {
            action: urls::item(list, id),
            is_new: false,
            active,
            active_action: urls::item_active(list, id),
            list,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Departments and business areas

pub struct CatalogSpec {
    catalog: Catalog,
    pub base: &'static str,
    pub title: &'static str,
    pub what_for: &'static str,
}

static DEPARTMENT: CatalogSpec = CatalogSpec {
    catalog: Catalog::Department,
    base: urls::DEPARTMENTS,
    title: "进驻单位",
    what_for: "进驻中心设置窗口的部门，如公安局、税务局。",
};

static BUSINESS_AREA: CatalogSpec = CatalogSpec {
    catalog: Catalog::BusinessArea,
    base: urls::BUSINESS_AREAS,
    title: "业务范围",
    what_for: "窗口所属的业务类别，如企业开办、不动产、社保医保。评选结果会显示各业务范围的覆盖情况。",
};

fn catalog_routes(r: Routes, spec: &'static CatalogSpec) -> Routes {
    let (new, item, active) = match spec.catalog {
        Catalog::Department => (
            "/admin/departments/new",
            "/admin/departments/{id}",
            "/admin/departments/{id}/active",
        ),
        Catalog::BusinessArea => (
            "/admin/business-areas/new",
            "/admin/business-areas/{id}",
            "/admin/business-areas/{id}/active",
        ),
    };
    r.get(
        spec.base,
        A,
        move |s: State<AppState>, u: CurrentUser, q: RawQuery| catalog_list(spec, s, u, q),
    )
    .post(
        spec.base,
        A,
        move |s: State<AppState>, u: CurrentUser, ip: ClientIp, f: FormData| {
            catalog_save(spec, None, s, u, ip, f)
        },
    )
    .get(new, A, move |u: CurrentUser| async move {
        page::ok(&catalog_form(
            spec,
            &u,
            EditTarget::new(spec.base),
            CatalogValues::default(),
            Errors::default(),
            0,
        ))
    })
    .get(
        item,
        A,
        move |s: State<AppState>, u: CurrentUser, id: Path<String>, q: RawQuery| {
            catalog_edit(spec, s, u, id, q)
        },
    )
    .post(
        item,
        A,
        move |s: State<AppState>,
              u: CurrentUser,
              ip: ClientIp,
              Path(id): Path<String>,
              f: FormData| async move {
            let id = super::extract::path_id(&id)?;
            catalog_save(spec, Some(id), s, u, ip, f).await
        },
    )
    .post(
        active,
        A,
        move |s: State<AppState>, u: CurrentUser, ip: ClientIp, id: Path<String>, f: FormData| {
            set_active(Entity::Catalog(spec), s, u, ip, id, f)
        },
    )
}

#[derive(Template)]
#[template(path = "admin/catalog_list.html")]
struct CatalogListPage {
    layout: Layout,
    spec: &'static CatalogSpec,
    new_url: String,
    q: String,
    rows: Vec<db::org::CatalogRow>,
    paging: Paging,
}

async fn catalog_list(
    spec: &'static CatalogSpec,
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let lq = ListQuery::parse(query.as_deref());
    let mut conn = state.db.acquire().await?;
    let (rows, total) = db::org::catalog_list(
        &mut conn,
        spec.catalog,
        user.center_id,
        &lq.q,
        page::PAGE_SIZE,
        lq.offset(),
    )
    .await?;
    Ok(page::ok(&CatalogListPage {
        layout: Layout::new(spec.title, Some(&user), spec.base).with_notice(&lq.raw),
        spec,
        new_url: urls::new_item(spec.base),
        paging: Paging::new(spec.base, &[("q", lq.q.clone())], lq.page, total),
        q: lq.q,
        rows,
    }))
}

#[derive(Default)]
struct CatalogValues {
    name: String,
    sort_order: String,
}

#[derive(Template)]
#[template(path = "admin/catalog_form.html")]
struct CatalogFormPage {
    layout: Layout,
    spec: &'static CatalogSpec,
    target: EditTarget,
    values: CatalogValues,
    errors: Errors,
    window_count: i64,
}

fn catalog_form(
    spec: &'static CatalogSpec,
    user: &CurrentUser,
    target: EditTarget,
    values: CatalogValues,
    errors: Errors,
    window_count: i64,
) -> CatalogFormPage {
    let title = if target.is_new {
        format!("新增{}", spec.title)
    } else {
        format!("编辑{}", spec.title)
    };
    CatalogFormPage {
        layout: Layout::new(title, Some(user), spec.base),
        spec,
        target,
        values,
        errors,
        window_count,
    }
}

async fn catalog_edit(
    spec: &'static CatalogSpec,
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    let mut conn = state.db.acquire().await?;
    let row = db::org::catalog_get(&mut conn, spec.catalog, user.center_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut page = catalog_form(
        spec,
        &user,
        EditTarget::existing(spec.base, id, row.active),
        CatalogValues {
            name: row.name,
            sort_order: row.sort_order.to_string(),
        },
        Errors::default(),
        row.window_count,
    );
    page.layout = page
        .layout
        .with_notice(&FormData::parse_query(query.as_deref().unwrap_or("")));
    Ok(page::ok(&page))
}

async fn catalog_save(
    spec: &'static CatalogSpec,
    id: Option<i64>,
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let existing = match id {
        Some(id) => Some(
            db::org::catalog_get(&mut conn, spec.catalog, user.center_id, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    drop(conn);
    let mut f = Fields::new(&form);
    let name = f.text("name", 100);
    let sort_order = f.with("sort_order", |raw| {
        if raw.trim().is_empty() {
            Ok(0)
        } else {
            Ok(text::integer(raw, 0, 9999)? as i32)
        }
    });
    let target = match &existing {
        Some(row) => EditTarget::existing(spec.base, row.id, row.active),
        None => EditTarget::new(spec.base),
    };
    let window_count = existing.as_ref().map(|r| r.window_count).unwrap_or(0);
    let values = CatalogValues {
        name: form.echo("name"),
        sort_order: form.echo("sort_order"),
    };
    let mut errors = f.errors;
    if let (Some(name), Some(sort_order)) = (name, sort_order)
        && errors.is_empty()
    {
        let input = db::org::CatalogInput { name, sort_order };
        let actor = user.actor(&ip);
        let center = user.center_id;
        let saved = save_in_tx(
            &state,
            &mut errors,
            async |tx: &mut PgConnection| match id {
                Some(id) => found(
                    db::org::catalog_update(tx, spec.catalog, &actor, center, id, &input).await?,
                    id,
                ),
                None => {
                    Ok(db::org::catalog_create(tx, spec.catalog, &actor, center, &input).await?)
                }
            },
        )
        .await?;
        if let Some(saved) = saved {
            return Ok(saved_redirect(spec.base, id, saved));
        }
    }
    Ok(page::invalid(&catalog_form(
        spec,
        &user,
        target,
        values,
        errors,
        window_count,
    )))
}

// ---------------------------------------------------------------------------------------
// Windows

#[derive(Template)]
#[template(path = "admin/window_list.html")]
struct WindowListPage {
    layout: Layout,
    q: String,
    departments: Vec<Choice>,
    rows: Vec<db::org::WindowRow>,
    paging: Paging,
    new_url: String,
}

async fn window_list(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let lq = ListQuery::parse(query.as_deref());
    let department = lq.id("department");
    let mut conn = state.db.acquire().await?;
    let departments =
        db::org::catalog_options(&mut conn, Catalog::Department, user.center_id, None).await?;
    let (rows, total) = db::org::window_list(
        &mut conn,
        user.center_id,
        &lq.q,
        department,
        page::PAGE_SIZE,
        lq.offset(),
    )
    .await?;
    let dep = department.map(|d| d.to_string()).unwrap_or_default();
    Ok(page::ok(&WindowListPage {
        layout: Layout::new("窗口", Some(&user), urls::WINDOWS).with_notice(&lq.raw),
        departments: choices(&departments, &dep),
        paging: Paging::new(
            urls::WINDOWS,
            &[("q", lq.q.clone()), ("department", dep)],
            lq.page,
            total,
        ),
        q: lq.q,
        rows,
        new_url: urls::new_item(urls::WINDOWS),
    }))
}

#[derive(Default)]
struct WindowValues {
    number: String,
    name: String,
    department_id: String,
    business_area_id: String,
}

#[derive(Template)]
#[template(path = "admin/window_form.html")]
struct WindowFormPage {
    layout: Layout,
    target: EditTarget,
    values: WindowValues,
    departments: Vec<Choice>,
    business_areas: Vec<Choice>,
    errors: Errors,
    staff_count: i64,
}

async fn window_form(
    state: &AppState,
    user: &CurrentUser,
    target: EditTarget,
    values: WindowValues,
    errors: Errors,
    staff_count: i64,
) -> AppResult<WindowFormPage> {
    let mut conn = state.db.acquire().await?;
    let departments = db::org::catalog_options(
        &mut conn,
        Catalog::Department,
        user.center_id,
        values.department_id.parse().ok(),
    )
    .await?;
    let areas = db::org::catalog_options(
        &mut conn,
        Catalog::BusinessArea,
        user.center_id,
        values.business_area_id.parse().ok(),
    )
    .await?;
    let title = if target.is_new {
        "新增窗口"
    } else {
        "编辑窗口"
    };
    Ok(WindowFormPage {
        layout: Layout::new(title, Some(user), urls::WINDOWS),
        departments: choices(&departments, &values.department_id),
        business_areas: choices(&areas, &values.business_area_id),
        target,
        values,
        errors,
        staff_count,
    })
}

async fn window_new(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    let page = window_form(
        &state,
        &user,
        EditTarget::new(urls::WINDOWS),
        WindowValues::default(),
        Errors::default(),
        0,
    )
    .await?;
    Ok(page::ok(&page))
}

async fn window_edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    let row = {
        let mut conn = state.db.acquire().await?;
        db::org::window_get(&mut conn, user.center_id, id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let values = WindowValues {
        number: row.number,
        name: row.name,
        department_id: row.department_id.to_string(),
        business_area_id: row.business_area_id.to_string(),
    };
    let mut page = window_form(
        &state,
        &user,
        EditTarget::existing(urls::WINDOWS, id, row.active),
        values,
        Errors::default(),
        row.staff_count,
    )
    .await?;
    page.layout = page
        .layout
        .with_notice(&FormData::parse_query(query.as_deref().unwrap_or("")));
    Ok(page::ok(&page))
}

async fn window_create(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    window_save(state, user, ip, None, form).await
}

async fn window_update(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    window_save(state, user, ip, Some(id), form).await
}

async fn window_save(
    state: AppState,
    user: CurrentUser,
    ip: ClientIp,
    id: Option<i64>,
    form: FormData,
) -> AppResult<Response> {
    let (existing, departments, areas) = {
        let mut conn = state.db.acquire().await?;
        let existing = match id {
            Some(id) => Some(
                db::org::window_get(&mut conn, user.center_id, id)
                    .await?
                    .ok_or(AppError::NotFound)?,
            ),
            None => None,
        };
        let (dep, area) = (
            existing.as_ref().map(|w| w.department_id),
            existing.as_ref().map(|w| w.business_area_id),
        );
        (
            existing,
            db::org::catalog_options(&mut conn, Catalog::Department, user.center_id, dep).await?,
            db::org::catalog_options(&mut conn, Catalog::BusinessArea, user.center_id, area)
                .await?,
        )
    };
    let mut f = Fields::new(&form);
    let number = f.with("number", |raw| {
        let n = text::required(raw, 20)?;
        if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            Ok(n)
        } else {
            Err(FieldError::Message(
                "窗口编号只能包含数字、字母或 -，如 12 或 A-03".to_string(),
            ))
        }
    });
    let name = f.text("name", 100);
    let department_id = f.choice("department_id", &departments);
    let business_area_id = f.choice("business_area_id", &areas);
    let mut errors = f.errors;
    let values = WindowValues {
        number: form.echo("number"),
        name: form.echo("name"),
        department_id: form.echo("department_id"),
        business_area_id: form.echo("business_area_id"),
    };
    if let (Some(number), Some(name), Some(department_id), Some(business_area_id)) =
        (number, name, department_id, business_area_id)
        && errors.is_empty()
    {
        let input = db::org::WindowInput {
            number,
            name,
            department_id,
            business_area_id,
        };
        let actor = user.actor(&ip);
        let center = user.center_id;
        let saved = save_in_tx(
            &state,
            &mut errors,
            async |tx: &mut PgConnection| match id {
                Some(id) => found(
                    db::org::window_update(tx, &actor, center, id, &input).await?,
                    id,
                ),
                None => Ok(db::org::window_create(tx, &actor, center, &input).await?),
            },
        )
        .await?;
        if let Some(saved) = saved {
            return Ok(saved_redirect(urls::WINDOWS, id, saved));
        }
    }
    let target = match &existing {
        Some(w) => EditTarget::existing(urls::WINDOWS, w.window_id, w.active),
        None => EditTarget::new(urls::WINDOWS),
    };
    let staff_count = existing.map(|w| w.staff_count).unwrap_or(0);
    let page = window_form(&state, &user, target, values, errors, staff_count).await?;
    Ok(page::invalid(&page))
}

// ---------------------------------------------------------------------------------------
// Staff

/// Positions (岗位) offered as suggestions; any other may be typed.
pub const POSITIONS: &[&str] = &[
    "窗口负责人",
    "首席代表",
    "综合受理员",
    "审批员",
    "收件员",
    "出件员",
    "咨询导办员",
    "帮办代办员",
];

#[derive(Template)]
#[template(path = "admin/staff_list.html")]
struct StaffListPage {
    layout: Layout,
    q: String,
    windows: Vec<Choice>,
    rows: Vec<db::org::StaffRow>,
    paging: Paging,
    new_url: String,
}

async fn staff_list(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let lq = ListQuery::parse(query.as_deref());
    let window = lq.id("window");
    let mut conn = state.db.acquire().await?;
    let windows = db::org::window_options(&mut conn, user.center_id, None).await?;
    let (rows, total) = db::org::staff_list(
        &mut conn,
        user.center_id,
        &lq.q,
        window,
        page::PAGE_SIZE,
        lq.offset(),
    )
    .await?;
    let win = window.map(|w| w.to_string()).unwrap_or_default();
    Ok(page::ok(&StaffListPage {
        layout: Layout::new("工作人员", Some(&user), urls::STAFF).with_notice(&lq.raw),
        windows: choices(&windows, &win),
        paging: Paging::new(
            urls::STAFF,
            &[("q", lq.q.clone()), ("window", win)],
            lq.page,
            total,
        ),
        q: lq.q,
        rows,
        new_url: urls::new_item(urls::STAFF),
    }))
}

#[derive(Default)]
struct StaffValues {
    name: String,
    employee_no: String,
    window_id: String,
    position: String,
}

#[derive(Template)]
#[template(path = "admin/staff_form.html")]
struct StaffFormPage {
    layout: Layout,
    target: EditTarget,
    values: StaffValues,
    windows: Vec<Choice>,
    positions: &'static [&'static str],
    errors: Errors,
}

async fn staff_form(
    state: &AppState,
    user: &CurrentUser,
    target: EditTarget,
    values: StaffValues,
    errors: Errors,
) -> AppResult<StaffFormPage> {
    let mut conn = state.db.acquire().await?;
    let windows =
        db::org::window_options(&mut conn, user.center_id, values.window_id.parse().ok()).await?;
    let title = if target.is_new {
        "新增工作人员"
    } else {
        "编辑工作人员"
    };
    Ok(StaffFormPage {
        layout: Layout::new(title, Some(user), urls::STAFF),
        windows: choices(&windows, &values.window_id),
        positions: POSITIONS,
        target,
        values,
        errors,
    })
}

async fn staff_new(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    Ok(page::ok(
        &staff_form(
            &state,
            &user,
            EditTarget::new(urls::STAFF),
            StaffValues::default(),
            Errors::default(),
        )
        .await?,
    ))
}

async fn staff_edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    let row = {
        let mut conn = state.db.acquire().await?;
        db::org::staff_get(&mut conn, user.center_id, id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let values = StaffValues {
        name: row.name,
        employee_no: row.employee_no,
        window_id: row.window_id.to_string(),
        position: row.position,
    };
    let mut page = staff_form(
        &state,
        &user,
        EditTarget::existing(urls::STAFF, id, row.active),
        values,
        Errors::default(),
    )
    .await?;
    page.layout = page
        .layout
        .with_notice(&FormData::parse_query(query.as_deref().unwrap_or("")));
    Ok(page::ok(&page))
}

async fn staff_create(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    staff_save(state, user, ip, None, form).await
}

async fn staff_update(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    staff_save(state, user, ip, Some(id), form).await
}

async fn staff_save(
    state: AppState,
    user: CurrentUser,
    ip: ClientIp,
    id: Option<i64>,
    form: FormData,
) -> AppResult<Response> {
    let (existing, windows) = {
        let mut conn = state.db.acquire().await?;
        let existing = match id {
            Some(id) => Some(
                db::org::staff_get(&mut conn, user.center_id, id)
                    .await?
                    .ok_or(AppError::NotFound)?,
            ),
            None => None,
        };
        let keep = existing.as_ref().map(|s| s.window_id);
        (
            existing,
            db::org::window_options(&mut conn, user.center_id, keep).await?,
        )
    };
    let mut f = Fields::new(&form);
    let name = f.text("name", 50);
    let employee_no = f.with("employee_no", |raw| {
        let n = text::required(raw, 30)?;
        if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            Ok(n)
        } else {
            Err(FieldError::Message(
                "工号只能包含数字、字母或 -".to_string(),
            ))
        }
    });
    let window_id = f.choice("window_id", &windows);
    let position = f.text("position", 50);
    let mut errors = f.errors;
    let values = StaffValues {
        name: form.echo("name"),
        employee_no: form.echo("employee_no"),
        window_id: form.echo("window_id"),
        position: form.echo("position"),
    };
    if let (Some(name), Some(employee_no), Some(window_id), Some(position)) =
        (name, employee_no, window_id, position)
        && errors.is_empty()
    {
        let input = db::org::StaffInput {
            name,
            employee_no,
            window_id,
            position,
        };
        let actor = user.actor(&ip);
        let center = user.center_id;
        let saved = save_in_tx(
            &state,
            &mut errors,
            async |tx: &mut PgConnection| match id {
                Some(id) => found(
                    db::org::staff_update(tx, &actor, center, id, &input).await?,
                    id,
                ),
                None => Ok(db::org::staff_create(tx, &actor, center, &input).await?),
            },
        )
        .await?;
        if let Some(saved) = saved {
            return Ok(saved_redirect(urls::STAFF, id, saved));
        }
    }
    let target = match &existing {
        Some(s) => EditTarget::existing(urls::STAFF, s.staff_id, s.active),
        None => EditTarget::new(urls::STAFF),
    };
    Ok(page::invalid(
        &staff_form(&state, &user, target, values, errors).await?,
    ))
}

// ---------------------------------------------------------------------------------------
// Accounts

const ROLE_NAMES: [&str; 5] = ["admin", "supervision", "window_head", "leadership", "staff"];

fn role_choices(selected: &str) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_string(),
            label: r.label().to_string(),
            selected: r.as_str() == selected,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/account_list.html")]
struct AccountListPage {
    layout: Layout,
    q: String,
    roles: Vec<Choice>,
    rows: Vec<db::account::AccountRow>,
    paging: Paging,
    new_url: String,
}

async fn account_list(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let lq = ListQuery::parse(query.as_deref());
    let role = lq.one_of("role", &ROLE_NAMES);
    let mut conn = state.db.acquire().await?;
    let (rows, total) = db::account::list(
        &mut conn,
        user.center_id,
        &lq.q,
        &role,
        page::PAGE_SIZE,
        lq.offset(),
    )
    .await?;
    Ok(page::ok(&AccountListPage {
        layout: Layout::new("账号", Some(&user), urls::ACCOUNTS).with_notice(&lq.raw),
        roles: role_choices(&role),
        paging: Paging::new(
            urls::ACCOUNTS,
            &[("q", lq.q.clone()), ("role", role)],
            lq.page,
            total,
        ),
        q: lq.q,
        rows,
        new_url: urls::new_item(urls::ACCOUNTS),
    }))
}

#[derive(Default)]
struct AccountValues {
    username: String,
    display_name: String,
    role: String,
    window_id: String,
    staff_id: String,
    is_group_leader: bool,
}

#[derive(Template)]
#[template(path = "admin/account_form.html")]
struct AccountFormPage {
    layout: Layout,
    target: EditTarget,
    values: AccountValues,
    roles: Vec<Choice>,
    windows: Vec<Choice>,
    staff: Vec<Choice>,
    errors: Errors,
    reset_action: String,
    is_self: bool,
    last_login: String,
    must_change_password: bool,
}

async fn account_form(
    state: &AppState,
    user: &CurrentUser,
    target: EditTarget,
    values: AccountValues,
    errors: Errors,
) -> AppResult<AccountFormPage> {
    let mut conn = state.db.acquire().await?;
    let windows =
        db::org::window_options(&mut conn, user.center_id, values.window_id.parse().ok()).await?;
    let staff =
        db::org::staff_options(&mut conn, user.center_id, values.staff_id.parse().ok()).await?;
    let title = if target.is_new {
        "新增账号"
    } else {
        "编辑账号"
    };
    Ok(AccountFormPage {
        layout: Layout::new(title, Some(user), urls::ACCOUNTS),
        roles: role_choices(&values.role),
        windows: choices(&windows, &values.window_id),
        staff: choices(&staff, &values.staff_id),
        reset_action: String::new(),
        is_self: false,
        last_login: String::new(),
        must_change_password: false,
        target,
        values,
        errors,
    })
}

async fn account_new(State(state): State<AppState>, user: CurrentUser) -> AppResult<Response> {
    Ok(page::ok(
        &account_form(
            &state,
            &user,
            EditTarget::new(urls::ACCOUNTS),
            AccountValues::default(),
            Errors::default(),
        )
        .await?,
    ))
}

async fn account_edit_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    values: Option<AccountValues>,
    errors: Errors,
) -> AppResult<AccountFormPage> {
    let row = {
        let mut conn = state.db.acquire().await?;
        db::account::get(&mut conn, user.center_id, id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let values = values.unwrap_or_else(|| AccountValues {
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        role: row.role.clone(),
        window_id: row.window_id.map(|w| w.to_string()).unwrap_or_default(),
        staff_id: row.staff_id.map(|s| s.to_string()).unwrap_or_default(),
        is_group_leader: row.is_group_leader,
    });
    let mut page = account_form(
        state,
        user,
        EditTarget::existing(urls::ACCOUNTS, id, row.active),
        values,
        errors,
    )
    .await?;
    page.reset_action = urls::account_password_reset(id);
    page.is_self = id == user.account_id;
    page.last_login = crate::domain::format_datetime(row.last_login_at);
    page.must_change_password = row.must_change_password;
    Ok(page)
}

async fn account_edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    let mut page = account_edit_page(&state, &user, id, None, Errors::default()).await?;
    page.layout = page
        .layout
        .with_notice(&FormData::parse_query(query.as_deref().unwrap_or("")));
    Ok(page::ok(&page))
}

#[derive(Template)]
#[template(path = "admin/account_password.html")]
struct AccountPasswordPage {
    layout: Layout,
    username: String,
    display_name: String,
    password: String,
    created: bool,
    account_url: String,
}

async fn account_create(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    form: FormData,
) -> AppResult<Response> {
    account_save(state, user, ip, None, form).await
}

async fn account_update(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    account_save(state, user, ip, Some(id), form).await
}

async fn account_save(
    state: AppState,
    user: CurrentUser,
    ip: ClientIp,
    id: Option<i64>,
    form: FormData,
) -> AppResult<Response> {
    let (windows, staff) = {
        let mut conn = state.db.acquire().await?;
        let existing = match id {
            Some(id) => Some(
                db::account::get(&mut conn, user.center_id, id)
                    .await?
                    .ok_or(AppError::NotFound)?,
            ),
            None => None,
        };
        let keep_window = existing.as_ref().and_then(|a| a.window_id);
        let keep_staff = existing.as_ref().and_then(|a| a.staff_id);
        (
            db::org::window_options(&mut conn, user.center_id, keep_window).await?,
            db::org::staff_options(&mut conn, user.center_id, keep_staff).await?,
        )
    };
    let mut f = Fields::new(&form);
    let username = f.with("username", |raw| Ok(text::username(raw)?));
    let display_name = f.text("display_name", 50);
    let role = f.with("role", |raw| {
        Role::parse(raw.trim()).ok_or_else(|| FieldError::Message("请选择角色".to_string()))
    });
    let mut window_id = None;
    let mut staff_id = None;
    match role {
        Some(Role::WindowHead) => window_id = f.choice("window_id", &windows),
        Some(Role::Staff) => staff_id = f.choice("staff_id", &staff),
        _ => {}
    }
    let is_group_leader = form.checked("is_group_leader") && role == Some(Role::Leadership);
    let mut errors = f.errors;
    if id == Some(user.account_id) && role.is_some_and(|r| r != Role::Admin) {
        errors.add("role", "不能更改自己的角色，以免失去管理权限");
    }
    let values = AccountValues {
        username: form.echo("username"),
        display_name: form.echo("display_name"),
        role: form.echo("role"),
        window_id: form.echo("window_id"),
        staff_id: form.echo("staff_id"),
        is_group_leader: form.checked("is_group_leader"),
    };
    if let (Some(username), Some(display_name), Some(role)) = (username, display_name, role)
        && errors.is_empty()
    {
        let input = db::account::AccountInput {
            username,
            display_name,
            role: role.as_str().to_string(),
            window_id,
            staff_id,
            is_group_leader,
        };
        let actor = user.actor(&ip);
        let initial_password = id.is_none().then(password::random_password);
        let hash = match &initial_password {
            Some(p) => Some(password::hash(p.clone()).await?),
            None => None,
        };
        let center = user.center_id;
        let saved = save_in_tx(&state, &mut errors, async |tx: &mut PgConnection| {
            match (id, &hash) {
                (Some(id), _) => found(
                    db::account::update(tx, &actor, center, id, &input).await?,
                    id,
                ),
                (None, Some(hash)) => {
                    Ok(db::account::create(tx, &actor, center, &input, hash, true).await?)
                }
                (None, None) => unreachable!("a new account always has an initial password"),
            }
        })
        .await?;
        if let Some(saved) = saved {
            return Ok(match initial_password {
                Some(password) => page::ok(&AccountPasswordPage {
                    layout: Layout::new("账号已创建", Some(&user), urls::ACCOUNTS),
                    username: input.username,
                    display_name: input.display_name,
                    password,
                    created: true,
                    account_url: urls::item(urls::ACCOUNTS, saved),
                }),
                None => redirect_notice(&urls::item(urls::ACCOUNTS, saved), "saved"),
            });
        }
    }
    let page = match id {
        Some(id) => account_edit_page(&state, &user, id, Some(values), errors).await?,
        None => {
            account_form(
                &state,
                &user,
                EditTarget::new(urls::ACCOUNTS),
                values,
                errors,
            )
            .await?
        }
    };
    Ok(page::invalid(&page))
}

async fn account_reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = super::extract::path_id(&id)?;
    let row = {
        let mut conn = state.db.acquire().await?;
        db::account::get(&mut conn, user.center_id, id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let password = password::random_password();
    let hash = password::hash(password.clone()).await?;
    let mut tx = state.db.begin().await?;
    if !db::account::reset_password(&mut tx, &user.actor(&ip), user.center_id, id, &hash).await? {
        return Err(AppError::NotFound);
    }
    db::throttle::clear(&mut tx, &format!("user:{}", row.username)).await?;
    tx.commit().await?;
    Ok(page::ok(&AccountPasswordPage {
        layout: Layout::new("密码已重置", Some(&user), urls::ACCOUNTS),
        username: row.username,
        display_name: row.display_name,
        password,
        created: false,
        account_url: urls::item(urls::ACCOUNTS, id),
    }))
}
