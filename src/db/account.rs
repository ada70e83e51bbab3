//! Accounts: sign-in lookups, password changes, and the admin's account maintenance.
//! Every function is scoped to one center except the sign-in lookup by username.

use crate::domain::ids::{AccountId, CenterId, StaffId, WindowId};
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::audit::{self, Actor, Change};

/// What sign-in needs to know about a username.
pub struct LoginAccount {
    pub account_id: AccountId,
    pub center_id: CenterId,
    pub display_name: String,
    pub password_hash: String,
}

/// The active account with this username.
pub async fn find_for_login(
    conn: &mut PgConnection,
    username: &str,
) -> sqlx::Result<Option<LoginAccount>> {
    sqlx::query_as!(
        LoginAccount,
        "select account_id, center_id, display_name, password_hash
         from account where username = $1 and active",
        username
    )
    .fetch_optional(conn)
    .await
}

pub async fn mark_login(conn: &mut PgConnection, account_id: AccountId) -> sqlx::Result<()> {
    sqlx::query!(
        "update account set last_login_at = now() where account_id = $1",
        account_id.0
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn password_hash(conn: &mut PgConnection, account_id: AccountId) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        "select password_hash from account where account_id = $1",
        account_id.0
    )
    .fetch_one(conn)
    .await
}

/// The holder sets a new password: clears the forced change, ends the other sessions.
pub async fn change_own_password(
    conn: &mut PgConnection,
    actor: &Actor,
    account_id: AccountId,
    keep_session: &[u8],
    hash: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update account set password_hash = $2, must_change_password = false,
                password_changed_at = now(), updated_at = now()
         where account_id = $1",
        account_id.0,
        hash
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "delete from session where account_id = $1 and session_hash <> $2",
        account_id.0,
        keep_session
    )
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "account.password_change",
            entity: "account",
            entity_id: account_id.to_string(),
            before: None,
            after: None,
        },
    )
    .await
}

/// An account as the admin pages list it.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub account_id: AccountId,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub window_id: Option<WindowId>,
    pub window_label: Option<String>,
    pub staff_id: Option<StaffId>,
    pub staff_label: Option<String>,
    pub is_group_leader: bool,
    pub active: bool,
    pub must_change_password: bool,
    pub last_login_at: Option<OffsetDateTime>,
}

/// What the account form sets.
#[derive(Debug, Clone)]
pub struct AccountInput {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub window_id: Option<WindowId>,
    pub staff_id: Option<StaffId>,
    pub is_group_leader: bool,
}

pub async fn list(
    conn: &mut PgConnection,
    center_id: CenterId,
    q: &str,
    role: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<AccountRow>, i64)> {
    let pattern = format!("%{}%", audit::like_escape(q));
    let rows = sqlx::query_as!(
        AccountRow,
        r#"select a.account_id, a.username, a.display_name, a.role,
                  a.window_id as "window_id: WindowId", w.number || '号窗口 ' || w.name as "window_label?",
                  a.staff_id as "staff_id: StaffId", s.name || '（' || s.employee_no || '）' as "staff_label?",
                  a.is_group_leader, a.active, a.must_change_password, a.last_login_at
           from account a
           left join service_window w on w.window_id = a.window_id
           left join staff s on s.staff_id = a.staff_id
           where a.center_id = $1
             and ($2 = '' or a.role = $2)
             and (a.username ilike $3 or a.display_name ilike $3)
           order by a.role, a.username
           limit $4 offset $5"#,
        center_id.0,
        role,
        pattern,
        limit,
        offset
    )
    .fetch_all(&mut *conn)
    .await?;
    let total = sqlx::query_scalar!(
        r#"select count(*) as "n!" from account a
           where a.center_id = $1 and ($2 = '' or a.role = $2)
             and (a.username ilike $3 or a.display_name ilike $3)"#,
        center_id.0,
        role,
        pattern
    )
    .fetch_one(conn)
    .await?;
    Ok((rows, total))
}

pub async fn get(
    conn: &mut PgConnection,
    center_id: CenterId,
    account_id: AccountId,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"select a.account_id, a.username, a.display_name, a.role,
                  a.window_id as "window_id: WindowId", w.number || '号窗口 ' || w.name as "window_label?",
                  a.staff_id as "staff_id: StaffId", s.name || '（' || s.employee_no || '）' as "staff_label?",
                  a.is_group_leader, a.active, a.must_change_password, a.last_login_at
           from account a
           left join service_window w on w.window_id = a.window_id
           left join staff s on s.staff_id = a.staff_id
           where a.center_id = $1 and a.account_id = $2"#,
        center_id.0,
        account_id.0
    )
    .fetch_optional(conn)
    .await
}

async fn snapshot(
    conn: &mut PgConnection,
    center_id: CenterId,
    account_id: AccountId,
) -> sqlx::Result<Option<Value>> {
    sqlx::query_scalar!(
        r#"select to_jsonb(a) - 'password_hash' as "j!" from account a
           where center_id = $1 and account_id = $2 for update"#,
        center_id.0,
        account_id.0
    )
    .fetch_optional(conn)
    .await
}

/// Creates an account that must change its password at first sign-in (unless
/// `must_change` is false, as for the demo's ready-to-use accounts).
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    input: &AccountInput,
    password_hash: &str,
    must_change: bool,
) -> sqlx::Result<AccountId> {
    let id = sqlx::query_scalar!(
        r#"insert into account (center_id, username, display_name, password_hash, role, window_id,
                              staff_id, is_group_leader, must_change_password)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         returning account_id as "account_id: AccountId""#,
        center_id.0,
        input.username,
        input.display_name,
        password_hash,
        input.role,
        input.window_id.map(|v| v.0),
        input.staff_id.map(|v| v.0),
        input.is_group_leader,
        must_change
    )
    .fetch_one(&mut *conn)
    .await?;
    let after = snapshot(conn, center_id, id).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "account.create",
            entity: "account",
            entity_id: id.to_string(),
            before: None,
            after,
        },
    )
    .await?;
    Ok(id)
}

/// Updates an account; false when it is not in this center. Changing the role or link of
/// an account ends its sessions, so that no page keeps the old rights.
pub async fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    account_id: AccountId,
    input: &AccountInput,
) -> sqlx::Result<bool> {
    let Some(before) = snapshot(conn, center_id, account_id).await? else {
        return Ok(false);
    };
    sqlx::query!(
        "update account set username = $3, display_name = $4, role = $5, window_id = $6,
                staff_id = $7, is_group_leader = $8, updated_at = now()
         where center_id = $1 and account_id = $2",
        center_id.0,
        account_id.0,
        input.username,
        input.display_name,
        input.role,
        input.window_id.map(|v| v.0),
        input.staff_id.map(|v| v.0),
        input.is_group_leader
    )
    .execute(&mut *conn)
    .await?;
    let after = snapshot(conn, center_id, account_id).await?;
    let rights_changed = ["role", "window_id", "staff_id", "is_group_leader"]
        .iter()
        .any(|k| before.get(k) != after.as_ref().and_then(|a| a.get(k)));
    if rights_changed {
        super::session::delete_for_account(conn, account_id).await?;
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "account.update",
            entity: "account",
            entity_id: account_id.to_string(),
            before: Some(before),
            after,
        },
    )
    .await?;
    Ok(true)
}

/// Enables or disables an account; disabling ends all its sessions.
pub async fn set_active(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    account_id: AccountId,
    active: bool,
) -> sqlx::Result<bool> {
    let Some(before) = snapshot(conn, center_id, account_id).await? else {
        return Ok(false);
    };
    sqlx::query!(
        "update account set active = $3, updated_at = now() where center_id = $1 and account_id = $2",
        center_id.0,
        account_id.0,
        active
    )
    .execute(&mut *conn)
    .await?;
    if !active {
        super::session::delete_for_account(conn, account_id).await?;
    }
    let after = snapshot(conn, center_id, account_id).await?;
    let action = if active {
        "account.enable"
    } else {
        "account.disable"
    };
    audit::record(
        conn,
        actor,
        Change {
            action,
            entity: "account",
            entity_id: account_id.to_string(),
            before: Some(before),
            after,
        },
    )
    .await?;
    Ok(true)
}

/// The center's group leader (id, display name), locked until the end of the transaction.
pub async fn lock_group_leader(
    conn: &mut PgConnection,
    center_id: CenterId,
) -> sqlx::Result<Option<(AccountId, String)>> {
    Ok(sqlx::query!(
        r#"select account_id as "account_id: AccountId", display_name from account
           where center_id = $1 and is_group_leader for update"#,
        center_id.0
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.account_id, r.display_name)))
}

/// Takes the group leader's title from an account (another is being given it), audited.
pub async fn clear_group_leader(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    account_id: AccountId,
) -> sqlx::Result<()> {
    let before = snapshot(conn, center_id, account_id).await?;
    sqlx::query!(
        "update account set is_group_leader = false, updated_at = now()
         where center_id = $1 and account_id = $2",
        center_id.0,
        account_id.0
    )
    .execute(&mut *conn)
    .await?;
    super::session::delete_for_account(conn, account_id).await?;
    let after = snapshot(conn, center_id, account_id).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "account.update",
            entity: "account",
            entity_id: account_id.to_string(),
            before,
            after,
        },
    )
    .await
}

/// An admin sets a temporary password: the holder must change it, and its sessions end.
pub async fn reset_password(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    account_id: AccountId,
    password_hash: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update account set password_hash = $3, must_change_password = true, updated_at = now()
         where center_id = $1 and account_id = $2",
        center_id.0,
        account_id.0,
        password_hash
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    super::session::delete_for_account(conn, account_id).await?;
    audit::record(
        conn,
        actor,
        Change {
            action: "account.password_reset",
            entity: "account",
            entity_id: account_id.to_string(),
            before: None,
            after: None,
        },
    )
    .await?;
    Ok(true)
}

impl AccountRow {
    pub fn role_label(&self) -> &'static str {
        crate::domain::Role::parse(&self.role)
            .map(|r| r.label())
            .unwrap_or("未知")
    }
    pub fn last_login(&self) -> String {
        crate::domain::format_datetime(self.last_login_at)
    }
}
