//! Accounts (账号): who signs in, with which role, window or staff record; password resets.

use super::{A, EditTarget, Entity, found, redirect_notice, save_in_tx, set_active};
use crate::db::{self};
use crate::domain::ids::{AccountId, StaffId, WindowId};
use crate::domain::{Role, text};
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ClientIp, CurrentUser};
use crate::http::form::{Errors, FieldError, Fields, FormData, one_of};
use crate::http::page::{self, Choice, Layout, ListQuery, Paging, choices};
use crate::http::routes::Routes;
use crate::http::urls;
use crate::password;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use sqlx::PgConnection;

pub(super) fn routes(r: Routes) -> Routes {
    r.get(urls::ACCOUNTS, A, account_list)
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
}

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

impl AccountValues {
    /// The account form, each field read once: what was typed, for the page, and the account
    /// it describes when every field is valid. A window head names a window, a staff member
    /// a staff record; the group leader's tick counts only for the leadership.
    fn read(
        form: &FormData,
        windows: &[(i64, String)],
        staff: &[(i64, String)],
    ) -> (
        AccountValues,
        Option<Role>,
        Option<db::account::AccountInput>,
        Errors,
    ) {
        let mut f = Fields::new(form);
        let (username_typed, username) = f.read("username", |raw| Ok(text::username(raw)?));
        let (display_name_typed, display_name) =
            f.read("display_name", |raw| Ok(text::required(raw, 50)?));
        let (role_typed, role) = f.read("role", |raw| {
            Role::parse(raw.trim()).ok_or_else(|| FieldError::Message("请选择角色".to_string()))
        });
        let (window_typed, window_id) = match role {
            Some(Role::WindowHead) => f.read("window_id", one_of(windows)),
            _ => (form.echo("window_id"), None),
        };
        let (staff_typed, staff_id) = match role {
            Some(Role::Staff) => f.read("staff_id", one_of(staff)),
            _ => (form.echo("staff_id"), None),
        };
        let leader_ticked = form.checked("is_group_leader");
        let values = AccountValues {
            username: username_typed,
            display_name: display_name_typed,
            role: role_typed,
            window_id: window_typed,
            staff_id: staff_typed,
            is_group_leader: leader_ticked,
        };
        let input = match (username, display_name, role) {
            (Some(username), Some(display_name), Some(role)) if f.ok() => {
                Some(db::account::AccountInput {
                    username,
                    display_name,
                    role: role.as_str().to_string(),
                    window_id: window_id.map(WindowId),
                    staff_id: staff_id.map(StaffId),
                    is_group_leader: leader_ticked && role == Role::Leadership,
                })
            }
            _ => None,
        };
        (values, role, input, f.errors)
    }
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
    let windows = db::org::window_options(
        &mut conn,
        user.center_id,
        WindowId::parse(&values.window_id),
    )
    .await?;
    let staff =
        db::org::staff_options(&mut conn, user.center_id, StaffId::parse(&values.staff_id)).await?;
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
    id: AccountId,
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
    let id = crate::http::extract::path_id(&id)?;
    let mut page = account_edit_page(&state, &user, id, None, Errors::default()).await?;
    page.layout = page
        .layout
        .with_notice(&FormData::parse_query(query.as_deref().unwrap_or("")));
    Ok(page::ok(&page))
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
    let id = crate::http::extract::path_id(&id)?;
    account_save(state, user, ip, Some(id), form).await
}

async fn account_save(
    state: AppState,
    user: CurrentUser,
    ip: ClientIp,
    id: Option<AccountId>,
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
    let (values, role, input, mut errors) = AccountValues::read(&form, &windows, &staff);
    if id == Some(user.account_id) && role.is_some_and(|r| r != Role::Admin) {
        errors.add("role", "不能更改自己的角色，以免失去管理权限");
    }
    if let Some(input) = input
        && errors.is_empty()
    {
        let actor = user.actor(&ip);
        let initial_password = id.is_none().then(password::random_password);
        let hash = match &initial_password {
            Some(p) => Some(password::hash(p.clone()).await?),
            None => None,
        };
        let center = user.center_id;
        let saved = save_in_tx(&state, &mut errors, async |tx: &mut PgConnection| {
            group_leader_change(tx, &actor, center, id, input.is_group_leader).await?;
            match (id, &hash) {
                (Some(id), _) => found(
                    db::account::update(tx, &actor, center, id, &input).await?,
                    id,
                ),
                (None, Some(hash)) => {
                    Ok(db::account::create(tx, &actor, center, &input, hash, true)
                        .await?
                        .into())
                }
                (None, None) => unreachable!("a new account always has an initial password"),
            }
        })
        .await?;
        if let Some(saved) = saved {
            return match initial_password {
                Some(password) => {
                    super::passwords::hand_over(
                        &state,
                        &user,
                        super::passwords::Handover {
                            account_id: AccountId(saved),
                            username: input.username,
                            display_name: input.display_name,
                            password,
                            created: true,
                        },
                    )
                    .await
                }
                None => Ok(redirect_notice(&urls::item(urls::ACCOUNTS, saved), "saved")),
            };
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

/// A center has one group leader: the title moves from one leadership member to another
/// (ticking it on the new one takes it from the old, audited), never to nobody, and never
/// while a period is between the opening of voting and publication. Checked under the
/// lock of the current leader's row.
async fn group_leader_change(
    tx: &mut PgConnection,
    actor: &crate::db::audit::Actor,
    center: crate::domain::ids::CenterId,
    id: Option<AccountId>,
    wants: bool,
) -> AppResult<()> {
    let current = db::account::lock_group_leader(tx, center).await?;
    let holds = id.is_some() && current.as_ref().map(|c| c.0) == id;
    if holds == wants {
        return Ok(());
    }
    if db::round::round_open(tx, center).await? {
        return Err(AppError::Refused {
            field: "is_group_leader",
            message: "评选进行中（从开始民主推荐到结果发布）不能更换组长，也不能更改组长的角色；请在结果发布后再办理。",
        });
    }
    if holds {
        return Err(AppError::Refused {
            field: "is_group_leader",
            message: "组长不能空缺：如需更换组长，请在新组长的账号中勾选“组长”，原组长的组长身份将随之取消。",
        });
    }
    if let Some((other, _)) = current {
        db::account::clear_group_leader(tx, actor, center, other).await?;
    }
    Ok(())
}
