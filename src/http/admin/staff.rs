//! Staff (工作人员): the people who can be rated, each with a window.

use super::{A, EditTarget, Entity, found, save_in_tx, saved_redirect, set_active};
use crate::db::{self};
use crate::domain::ids::{StaffId, WindowId};
use crate::domain::text;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, FieldError, Fields, FormData, one_of};
use crate::http::page::{self, Choice, Layout, ListQuery, Paging, choices};
use crate::http::routes::Routes;
use crate::http::urls;
use crate::http::window_filter::WindowFilter;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use sqlx::PgConnection;

pub(super) fn routes(r: Routes) -> Routes {
    r.get(urls::STAFF, A, staff_list)
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
}

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
    windows: WindowFilter,
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
    let window = lq.id("window").map(WindowId);
    let mut conn = state.db.acquire().await?;
    // The window filter and, without a search, the count come from the center's roster.
    let roster = state.roster(&mut conn, &user).await?;
    // The filter lists the active windows; one chosen that is not among them is not kept.
    let windows = WindowFilter::of(
        &state,
        &user,
        &roster,
        None,
        window.filter(|w| roster.window(w.0).is_some_and(|w| w.active)),
    )
    .await;
    let from_roster = if lq.q.is_empty() {
        db::org::staff_page_of_roster(
            &mut conn,
            user.center_id,
            &roster,
            window,
            page::PAGE_SIZE,
            lq.offset(),
        )
        .await?
    } else {
        None
    };
    let (rows, total) = match from_roster {
        Some(rows) => (rows, roster.all_staff(window)),
        None => {
            db::org::staff_list(
                &mut conn,
                user.center_id,
                &lq.q,
                window,
                page::PAGE_SIZE,
                lq.offset(),
                lq.q.is_empty().then(|| roster.all_staff(window)),
            )
            .await?
        }
    };
    let win = window.map(|w| w.to_string()).unwrap_or_default();
    Ok(page::ok(&StaffListPage {
        layout: Layout::new("工作人员", Some(&user), urls::STAFF).with_notice(&lq.raw),
        windows,
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
    /// 到岗日期, YYYY-MM-DD or empty.
    posted_on: String,
}

/// The staff member as typed and valid, with the day of posting (`None`: not recorded).
type StaffTyped = (db::org::StaffInput, Option<time::Date>);

impl StaffValues {
    /// The staff form, each field read once: what was typed, for the page, and the staff
    /// member it describes when every field is valid (else a message per bad field).
    fn read(
        form: &FormData,
        windows: &[(i64, String)],
    ) -> (StaffValues, Option<StaffTyped>, Errors) {
        let mut f = Fields::new(form);
        let (name_typed, name) = f.read("name", |raw| Ok(text::required(raw, 50)?));
        let (employee_no_typed, employee_no) = f.read("employee_no", |raw| {
            let n = text::required(raw, 30)?;
            if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                Ok(n)
            } else {
                Err(FieldError::Message(
                    "工号只能包含数字、字母或 -".to_string(),
                ))
            }
        });
        let (window_typed, window_id) = f.read("window_id", one_of(windows));
        let (position_typed, position) = f.read("position", |raw| Ok(text::required(raw, 50)?));
        let (posted_typed, posted_on) = f.read("posted_on", |raw| {
            let raw = raw.trim();
            if raw.is_empty() {
                return Ok(None);
            }
            time::Date::parse(
                raw,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .ok()
            .filter(|d| (1950..=2100).contains(&d.year()))
            .map(Some)
            .ok_or_else(|| {
                FieldError::Message("请按 2019-03-01 的格式填写日期，或留空".to_string())
            })
        });
        let values = StaffValues {
            name: name_typed,
            employee_no: employee_no_typed,
            window_id: window_typed,
            position: position_typed,
            posted_on: posted_typed,
        };
        let input = match (name, employee_no, window_id, position, posted_on) {
            (Some(name), Some(employee_no), Some(window_id), Some(position), Some(posted_on))
                if f.ok() =>
            {
                Some((
                    db::org::StaffInput {
                        name,
                        employee_no,
                        window_id: WindowId(window_id),
                        position,
                    },
                    posted_on,
                ))
            }
            _ => None,
        };
        (values, input, f.errors)
    }
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
    let windows = db::org::window_options(
        &mut conn,
        user.center_id,
        WindowId::parse(&values.window_id),
    )
    .await?;
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
    let id = crate::http::extract::path_id(&id)?;
    let row = {
        let mut conn = state.db.acquire().await?;
        db::org::staff_get(&mut conn, user.center_id, id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let posted_on = {
        let mut conn = state.db.acquire().await?;
        db::org::staff_posted_on(&mut conn, user.center_id, id).await?
    };
    let values = StaffValues {
        name: row.name,
        employee_no: row.employee_no,
        window_id: row.window_id.to_string(),
        position: row.position,
        posted_on: posted_on.map(|d| d.to_string()).unwrap_or_default(),
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
    let id = crate::http::extract::path_id(&id)?;
    staff_save(state, user, ip, Some(id), form).await
}

async fn staff_save(
    state: AppState,
    user: CurrentUser,
    ip: ClientIp,
    id: Option<StaffId>,
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
    let (values, input, mut errors) = StaffValues::read(&form, &windows);
    if let Some((input, posted_on)) = input {
        let actor = user.actor(&ip);
        let center = user.center_id;
        let saved = save_in_tx(&state, &mut errors, async |tx: &mut PgConnection| {
            let id = match id {
                Some(id) => {
                    if !db::org::staff_update(tx, &actor, center, id, &input).await? {
                        return found(false, id);
                    }
                    id
                }
                None => db::org::staff_create(tx, &actor, center, &input).await?,
            };
            db::org::set_staff_posted_on(tx, &actor, center, id, posted_on).await?;
            Ok(id.into())
        })
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
