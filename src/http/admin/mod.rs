//! The admin's maintenance of the center: departments, business areas, windows, staff and
//! accounts. Each write runs in one transaction together with its audit row; rows are
//! deactivated, never deleted.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::{ClientIp, CurrentUser};
use super::form::{Errors, FormData};
use super::routes::{ADMIN, Access, Routes};
use super::urls;
use sqlx::PgConnection;
use sqlx::error::ErrorKind;

use crate::domain::ids::{AccountId, StaffId, WindowId};

use crate::db::{self};

mod accounts;
mod catalog;
mod locks;
mod passwords;
mod staff;
mod windows;

pub use catalog::CatalogSpec;

const A: Access = Access::Roles(ADMIN);

pub fn routes(r: Routes) -> Routes {
    let r = catalog::routes(r);
    let r = windows::routes(r);
    let r = staff::routes(r);
    let r = locks::routes(r);
    let r = passwords::routes(r);
    accounts::routes(r)
}

/// The form field and message for a constraint the database refused, when it is one that
/// a person can fix by typing something else.
pub(super) fn constraint_message(e: &AppError) -> Option<(&'static str, &'static str)> {
    let AppError::Db(e) = e else { return None };
    let db = e.as_database_error()?;
    match (db.kind(), db.constraint()) {
        (
            ErrorKind::UniqueViolation,
            Some("department_center_id_name_key" | "business_area_center_id_name_key"),
        ) => Some(("name", "已有同名项目，请换一个名称")),
        (ErrorKind::UniqueViolation, Some("service_window_center_id_number_key")) => {
            Some(("number", "该窗口编号已被使用"))
        }
        (ErrorKind::UniqueViolation, Some("staff_center_id_employee_no_key")) => {
            Some(("employee_no", "该工号已被使用"))
        }
        (ErrorKind::UniqueViolation, Some("account_username_key")) => {
            Some(("username", "该用户名已被使用"))
        }
        // Two administrators designating a group leader at the same moment.
        (ErrorKind::UniqueViolation, Some("account_one_group_leader")) => Some((
            "is_group_leader",
            "本中心已有组长；一个中心只能有一位组长，请刷新页面后重试",
        )),
        (ErrorKind::ForeignKeyViolation, _) => {
            Some(("_form", "所选的关联项目不存在或不属于本中心，请重新选择"))
        }
        (ErrorKind::CheckViolation, _) => Some(("_form", "填写的内容不符合要求，请检查后重新提交")),
        _ => None,
    }
}

/// Runs one create or update in a transaction (with its audit row). A constraint a person
/// can fix by typing something else becomes a message in `errors` and `Ok(None)`.
pub(super) async fn save_in_tx(
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
        Err(AppError::Refused { field, message }) => {
            errors.add(field, message);
            Ok(None)
        }
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
pub(super) fn found(updated: bool, id: impl Into<i64>) -> AppResult<i64> {
    if updated {
        Ok(id.into())
    } else {
        Err(AppError::NotFound)
    }
}

/// Back to the saved row's page, saying what happened.
pub(super) fn saved_redirect(base: &str, updated: Option<impl Into<i64>>, saved: i64) -> Response {
    let notice = if updated.is_some() {
        "saved"
    } else {
        "created"
    };
    redirect_notice(&urls::item(base, saved), notice)
}

pub(super) fn redirect_notice(url: &str, notice: &str) -> Response {
    Redirect::to(&format!("{url}?notice={notice}")).into_response()
}

/// Whether `active` in the form asks to enable (true) or disable (false).
pub(super) fn parse_active(form: &FormData) -> AppResult<bool> {
    match form.raw("active") {
        Ok("true") => Ok(true),
        Ok("false") => Ok(false),
        _ => Err(AppError::BadRequest),
    }
}

#[derive(Clone, Copy)]
pub(super) enum Entity {
    Catalog(&'static CatalogSpec),
    Window,
    Staff,
    Account,
}

/// Enables or disables a row of any kind, then returns to its page.
pub(super) async fn set_active(
    entity: Entity,
    State(state): State<AppState>,
    user: CurrentUser,
    ip: ClientIp,
    Path(id): Path<String>,
    form: FormData,
) -> AppResult<Response> {
    let id: i64 = super::extract::path_id(&id)?;
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
            db::org::window_set_active(&mut tx, &actor, center, WindowId(id), active).await?,
            urls::WINDOWS,
        ),
        Entity::Staff => (
            db::org::staff_set_active(&mut tx, &actor, center, StaffId(id), active).await?,
            urls::STAFF,
        ),
        Entity::Account => {
            if AccountId(id) == user.account_id && !active {
                return Err(AppError::Forbidden);
            }
            if !active
                && db::account::lock_group_leader(&mut tx, center)
                    .await?
                    .map(|g| g.0)
                    == Some(AccountId(id))
            {
                drop(tx);
                return Ok(redirect_notice(
                    &urls::item(urls::ACCOUNTS, id),
                    "leader_kept",
                ));
            }
            (
                db::account::set_active(&mut tx, &actor, center, AccountId(id), active).await?,
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
    fn existing(list: &'static str, id: impl Into<i64>, active: bool) -> EditTarget {
        let id: i64 = id.into();
        EditTarget {
            action: urls::item(list, id),
            is_new: false,
            active,
            active_action: urls::item_active(list, id),
            list,
        }
    }
}
