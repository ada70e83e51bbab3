//! Departments (进驻单位) and business areas (业务范围): two small catalogs with one shape.

use super::{A, EditTarget, Entity, found, save_in_tx, saved_redirect, set_active};
use crate::db::{self, org::Catalog};
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, Fields, FormData};
use crate::http::page::{self, Layout, ListQuery, Paging};
use crate::http::routes::Routes;
use crate::http::urls;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use sqlx::PgConnection;

pub struct CatalogSpec {
    pub(super) catalog: Catalog,
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

pub(super) fn routes(r: Routes) -> Routes {
    let r = catalog_routes(r, &DEPARTMENT);
    catalog_routes(r, &BUSINESS_AREA)
}

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
            let id = crate::http::extract::path_id(&id)?;
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

impl CatalogValues {
    /// A department's or business area's form, each field read once: what was typed, for
    /// the page, and the row it describes when every field is valid.
    fn read(form: &FormData) -> (CatalogValues, Option<db::org::CatalogInput>, Errors) {
        let mut f = Fields::new(form);
        let (name_typed, name) = f.read("name", |raw| Ok(text::required(raw, 100)?));
        let (sort_order_typed, sort_order) = f.read("sort_order", |raw| {
            if raw.trim().is_empty() {
                Ok(0)
            } else {
                Ok(text::integer(raw, 0, 9999)? as i32)
            }
        });
        let values = CatalogValues {
            name: name_typed,
            sort_order: sort_order_typed,
        };
        let input = match (name, sort_order) {
            (Some(name), Some(sort_order)) if f.ok() => {
                Some(db::org::CatalogInput { name, sort_order })
            }
            _ => None,
        };
        (values, input, f.errors)
    }
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
    let id = crate::http::extract::path_id(&id)?;
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
    let (values, input, mut errors) = CatalogValues::read(&form);
    let target = match &existing {
        Some(row) => EditTarget::existing(spec.base, row.id, row.active),
        None => EditTarget::new(spec.base),
    };
    let window_count = existing.as_ref().map(|r| r.window_count).unwrap_or(0);
    if let Some(input) = input {
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
