//! Who takes part in a round: the electorate of a vote and the raters of a rating are fixed
//! when the round opens, so that an account created, re-enabled or moved during the round
//! neither votes nor rates in it, and turnout counts the people fixed then.

use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::domain::ids::{AccountId, CenterId, PeriodId, WindowId};

/// Whether one takes part as a voter (民主推荐) or as a rater (综合评定).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duty {
    Voter,
    Rater,
}

impl Duty {
    pub fn as_str(self) -> &'static str {
        match self {
            Duty::Voter => "voter",
            Duty::Rater => "rater",
        }
    }
}

/// Fixes the members of a round as the round opens: the active heads of the center's
/// windows (with their window then) for a vote, the active leadership group for a rating.
pub async fn fix(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    duty: Duty,
) -> sqlx::Result<()> {
    match duty {
        Duty::Voter => {
            sqlx::query!(
                "insert into round_member (center_id, period_id, duty, account_id, window_id)
                 select center_id, $2, 'voter', account_id, window_id from account
                 where center_id = $1 and role = 'window_head' and active
                 on conflict do nothing",
                center_id.0,
                period_id.0
            )
            .execute(conn)
            .await?;
        }
        Duty::Rater => {
            sqlx::query!(
                "insert into round_member (center_id, period_id, duty, account_id)
                 select center_id, $2, 'rater', account_id from account
                 where center_id = $1 and role = 'leadership' and active
                 on conflict do nothing",
                center_id.0,
                period_id.0
            )
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// A member's window as the round fixed it (for a voter), or `Some(None)` for a rater;
/// `None` when the account does not take part in the round.
pub async fn membership(
    conn: &mut PgConnection,
    period_id: PeriodId,
    duty: Duty,
    account_id: AccountId,
) -> sqlx::Result<Option<Option<WindowId>>> {
    sqlx::query_scalar!(
        r#"select window_id as "window_id: WindowId" from round_member
           where period_id = $1 and duty = $2 and account_id = $3"#,
        period_id.0,
        duty.as_str(),
        account_id.0
    )
    .fetch_optional(conn)
    .await
}

/// A change made to a member's account while the round was open.
pub struct MemberChange {
    pub at: OffsetDateTime,
    pub actor_name: String,
    pub action: String,
    pub account: String,
}

/// Changes to the accounts taking part in a period's rounds (password resets, role, window,
/// disabling, group leader) made after the first of its rounds opened.
pub async fn member_changes(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
) -> sqlx::Result<Vec<MemberChange>> {
    // The list of actions is repeated by the partial index of migration 0024, which finds
    // these rows among a center's sign-ins: change both together.
    sqlx::query_as!(
        MemberChange,
        r#"select l.at, l.actor_name, l.action, a.display_name || '（' || a.username || '）' as "account!"
           from audit_log l
           join account a on l.entity = 'account' and l.entity_id = a.account_id::text
           where l.center_id = $1
             and l.action in ('account.create', 'account.update', 'account.disable', 'account.enable', 'account.password_reset')
             and a.account_id in (select account_id from round_member where period_id = $2)
             and l.at >= (select min(fixed_at) from round_member where period_id = $2)
             and l.at <= coalesce((select published_at from period where period_id = $2), now())
           order by l.at, l.audit_id"#,
        center_id.0,
        period_id.0
    )
    .fetch_all(conn)
    .await
}

/// Whether any period of the center is between the opening of voting and publication.
pub async fn round_open(conn: &mut PgConnection, center_id: CenterId) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from period where center_id = $1 and phase in ('voting', 'rating', 'review')) as "x!""#,
        center_id.0
    )
    .fetch_one(conn)
    .await
}

/// Whether the account takes part in a round of a period now in voting or rating.
pub async fn in_open_round(conn: &mut PgConnection, account_id: AccountId) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from round_member m join period p on p.period_id = m.period_id
                         where m.account_id = $1
                           and ((m.duty = 'voter' and p.phase = 'voting') or (m.duty = 'rater' and p.phase = 'rating'))) as "x!""#,
        account_id.0
    )
    .fetch_one(conn)
    .await
}

/// A password reset made by someone else to an account while a round it takes part in is
/// open: shown to the holder on every page of the round until it closes.
#[derive(sqlx::FromRow)]
pub struct ResetInRound {
    pub at: OffsetDateTime,
    pub by: String,
    pub period_code: String,
}

pub async fn resets_in_open_round(
    conn: &mut PgConnection,
    account_id: AccountId,
) -> sqlx::Result<Vec<ResetInRound>> {
    // The entity names the index (entity, entity_id): without it every page of a head whose
    // center has a million audit rows read the whole index.
    sqlx::query_as(
        "select l.at, l.actor_name as by, p.code as period_code
         from round_member m
         join period p on p.period_id = m.period_id
                      and ((m.duty = 'voter' and p.phase = 'voting') or (m.duty = 'rater' and p.phase = 'rating'))
         join audit_log l on l.entity = 'account' and l.entity_id = m.account_id::text
                         and l.action = 'account.password_reset' and l.at >= m.fixed_at
         where m.account_id = $1
         order by l.at",
    )
    .bind(account_id.0)
    .fetch_all(conn)
    .await
}
