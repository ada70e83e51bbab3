//! Windows (窗口): the service windows with their department and business area.

use super::{A, EditTarget, Entity, found, save_in_tx, saved_redirect, set_active};
use crate::db::{self, org::Catalog};
use crate::domain::ids::WindowId;
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, FieldError, Fields, FormData, one_of};
use crate::http::page::{self, Choice, Layout, ListQuery, Paging, choices};
use crate::http::routes::Routes;
use crate::http::urls;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use sqlx::PgConnection;

pub(super) fn routes(r: Routes) -> Routes {
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
}

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

impl WindowValues {
    /// The window form, each field read once: what was typed, for the page, and the window
    /// it describes when every field is valid (else a message per bad field).
    fn read(
        form: &FormData,
        departments: &[(i64, String)],
        areas: &[(i64, String)],
    ) -> (WindowValues, Option<db::org::WindowInput>, Errors) {
        let mut f = Fields::new(form);
        let (number_typed, number) = f.read("number", |raw| {
            let n = text::required(raw, 20)?;
            if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                Ok(n)
            } else {
                Err(FieldError::Message(
                    "窗口编号只能包含数字、字母或 -，如 12 或 A-03".to_string(),
                ))
            }
        });
        let (name_typed, name) = f.read("name", |raw| Ok(text::required(raw, 100)?));
        let (department_typed, department_id) = f.read("department_id", one_of(departments));
        let (area_typed, business_area_id) = f.read("business_area_id", one_of(areas));
        let values = WindowValues {
            number: number_typed,
            name: name_typed,
            department_id: department_typed,
            business_area_id: area_typed,
        };
        let input = match (number, name, department_id, business_area_id) {
            (Some(number), Some(name), Some(department_id), Some(business_area_id)) if f.ok() => {
                Some(db::org::WindowInput {
                    number,
                    name,
                    department_id,
                    business_area_id,
                })
            }
            _ => None,
        };
        (values, input, f.errors)
    }
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
    let id = crate::http::extract::path_id(&id)?;
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
    let id = crate::http::extract::path_id(&id)?;
    window_save(state, user, ip, Some(id), form).await
}

async fn window_save(
    state: AppState,
    user: CurrentUser,
    ip: ClientIp,
    id: Option<WindowId>,
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
    let (values, input, mut errors) = WindowValues::read(&form, &departments, &areas);
    if let Some(input) = input {
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
                None => Ok(db::org::window_create(tx, &actor, center, &input)
                    .await?
                    .into()),
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
