//! A month's score kept equal to what its records give: after every record, appeal
//! decision and import of the public's ratings, the entrant's monthly score is computed
//! again and written as the grid writes a score (in a locked month, as a correction with a
//! reason, every period using the month recomputed).

use crate::db::{self, audit::Actor};
use crate::domain::ids::Entrant;
use crate::http::error::AppResult;
use crate::http::extract::CurrentUser;
use crate::http::scores::apply_correction;

/// Why a score could not follow its records; nothing has been written.
pub enum Refused {
    /// The month is locked and no reason was given: the form asks for one.
    NeedsReason(String),
    /// A round using the month would no longer hold (the correction's own message).
    Round(String),
}

impl Refused {
    pub fn message(self) -> String {
        match self {
            Refused::NeedsReason(m) | Refused::Round(m) => m,
        }
    }
}

/// Sets each of `entrants`' score of `month` to what its records give, when the month of
/// its kind is assessed by records (else leaves it alone). The score is written only when
/// it changes; an entrant no longer active keeps what it had, and one marked 未参加考核 for
/// the month stays without a score (the mark says why; removing it is the office's act).
/// Callers hold the kind's assessment lock ([`db::assessment::lock`]); the month's score
/// lock is taken after it, as every writer of scores takes them.
pub async fn follow_records(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    actor: &Actor,
    month: &str,
    entrants: &[Entrant],
    reason: Option<&str>,
) -> AppResult<Result<(), Refused>> {
    // The grid's own lock of the month, then the periods using it.
    db::advisory_lock(tx, &format!("score {} {month}", user.center_id)).await?;
    let locking = db::correction::lock_locking_periods(tx, user.center_id, month).await?;
    let marked = db::not_assessed::marked(tx, user.center_id, month).await?;
    for kind in crate::scoring::Kind::BOTH {
        let mut writes = Vec::new();
        let ids: Vec<i64> = entrants
            .iter()
            .filter(|e| e.kind() == kind)
            .map(|e| e.id())
            .collect();
        if ids.is_empty() {
            continue;
        }
        // The month's rules of the kind, read once for all its entrants.
        let rules = match db::assessment::rules::in_force(tx, user.center_id, kind, month).await? {
            Some(r) if r.mode == db::assessment::Mode::Records => r,
            _ => continue,
        };
        let current = db::score::lock_current(tx, user.center_id, month, kind, &ids).await?;
        for (id, before, _, _) in current {
            let entrant = Entrant::of(kind, id);
            if before.is_none() && marked.contains(&entrant) {
                continue;
            }
            let b = db::assessment::explain(tx, user.center_id, &rules, entrant, month).await?;
            let after = b.total as i32;
            if before != Some(after) {
                writes.push((id, before, after));
            }
        }
        if writes.is_empty() {
            continue;
        }
        if locking.is_empty() {
            for (id, before, after) in writes {
                db::score::set(
                    tx,
                    actor,
                    user.center_id,
                    month,
                    Entrant::of(kind, id),
                    before,
                    Some(after),
                    None,
                )
                .await?;
            }
            continue;
        }
        let Some(reason) = reason else {
            let codes: Vec<String> = locking.iter().map(|p| p.code.clone()).collect();
            return Ok(Err(Refused::NeedsReason(format!(
                "{} 的考核已锁定（{} 已确认候选对象），此项会改变月度分数，须填写更正理由",
                crate::domain::period::month_label(month),
                codes.join("、")
            ))));
        };
        if let Err(msg) =
            apply_correction(tx, user, actor, month, kind, &writes, &locking, reason).await?
        {
            return Ok(Err(Refused::Round(msg)));
        }
    }
    Ok(Ok(()))
}
