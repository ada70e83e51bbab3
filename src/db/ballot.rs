//! The secret ballot. A receipt says that a head voted (and when), under a unique key that
//! is the guarantee of one ballot per head, kind and period; the choices only increment
//! per-candidate counters in the same transaction. Nothing links the two, and no choice is
//! ever logged or audited.

use crate::domain::ids::{AccountId, CenterId, PeriodId, WindowId};
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::audit::{self, Actor, Change};
use super::snapshot::{CandidateCache, Candidates};
use crate::scoring::{Kind, RulesInput};
use sqlx::types::Json;
use std::sync::Arc;

/// The period of a center whose voting is open, with its candidate snapshot.
pub struct OpenVote {
    pub period_id: PeriodId,
    pub code: String,
    /// The candidates when they were confirmed.
    pub candidates: Arc<Candidates>,
    pub rules: Json<RulesInput>,
    /// The period's award titles (文明服务窗口, 优秀服务标兵, …).
    pub window_title: String,
    pub staff_title: String,
}

/// Every period of the center whose voting is open, latest first, with its candidates
/// from this process's cache.
pub async fn open_votes(
    conn: &mut PgConnection,
    cache: &CandidateCache,
    center_id: CenterId,
) -> sqlx::Result<Vec<OpenVote>> {
    let rows: Vec<(i64, String, i64, Json<RulesInput>, String, String)> = sqlx::query_as(
        "select period_id, code, xmin::text::bigint, rules, window_title, staff_title from period
         where center_id = $1 and phase = 'voting' and candidates is not null
         order by code desc",
    )
    .bind(center_id.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (period_id, code, version, rules, window_title, staff_title) in rows {
        let period_id = PeriodId(period_id);
        out.push(OpenVote {
            period_id,
            code,
            candidates: cache.get(&mut *conn, period_id, version).await?,
            rules,
            window_title,
            staff_title,
        });
    }
    Ok(out)
}

/// When the head cast each kind of ballot in the period.
pub async fn receipts(
    conn: &mut PgConnection,
    period_id: PeriodId,
    account_id: AccountId,
) -> sqlx::Result<Vec<(String, OffsetDateTime)>> {
    Ok(sqlx::query!(
        "select kind, cast_at from ballot_receipt where period_id = $1 and account_id = $2",
        period_id.0,
        account_id.0
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.kind, r.cast_at))
    .collect())
}

/// For a head's home: `None` when the account is not in the period's electorate, else the
/// ballots it has cast (kind, when), in one statement instead of two.
pub async fn voter_receipts(
    conn: &mut PgConnection,
    period_id: PeriodId,
    account_id: AccountId,
) -> sqlx::Result<Option<Vec<(String, OffsetDateTime)>>> {
    let rows: Vec<(Option<String>, Option<OffsetDateTime>)> = sqlx::query_as(
        "select r.kind, r.cast_at from round_member m
           left join ballot_receipt r on r.period_id = m.period_id and r.account_id = m.account_id
          where m.period_id = $1 and m.duty = 'voter' and m.account_id = $2",
    )
    .bind(period_id.0)
    .bind(account_id.0)
    .fetch_all(conn)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        rows.into_iter()
            .filter_map(|(kind, at)| Some((kind?, at?)))
            .collect(),
    ))
}

/// Window and department of windows, window of staff: what a ballot shows of a candidate,
/// and what recusal is checked against. (id, label, detail, window_id). Taken from the
/// center's roster; only candidates it does not hold (staff deactivated since they became
/// candidates) are read from the database.
pub async fn describe(
    conn: &mut PgConnection,
    center_id: CenterId,
    roster: &super::org::Roster,
    windows: &[i64],
    staff: &[i64],
) -> sqlx::Result<Vec<(String, String, String, WindowId)>> {
    let mut out = Vec::with_capacity(windows.len() + staff.len());
    let mut missing_windows = Vec::new();
    for &id in windows {
        match roster.window(id) {
            Some(w) => out.push((
                format!("W{id}"),
                w.label(),
                roster
                    .department_name(w.department_id)
                    .unwrap_or_default()
                    .to_string(),
                WindowId(id),
            )),
            None => missing_windows.push(id),
        }
    }
    let mut missing_staff = Vec::new();
    for &id in staff {
        match roster.active_staff(id) {
            Some(s) => out.push((
                format!("S{id}"),
                s.name.clone(),
                format!("{} · {}", s.detail, s.position),
                WindowId(s.window_id),
            )),
            None => missing_staff.push(id),
        }
    }
    if !missing_windows.is_empty() || !missing_staff.is_empty() {
        out.extend(describe_stored(conn, center_id, &missing_windows, &missing_staff).await?);
    }
    Ok(out)
}

/// [`describe`] read from the database.
async fn describe_stored(
    conn: &mut PgConnection,
    center_id: CenterId,
    windows: &[i64],
    staff: &[i64],
) -> sqlx::Result<Vec<(String, String, String, WindowId)>> {
    let mut out: Vec<(String, String, String, WindowId)> = sqlx::query!(
        r#"select w.window_id, w.number || '号窗口 ' || w.name as "label!", d.name as department
           from service_window w join department d on d.department_id = w.department_id and d.center_id = w.center_id
           where w.center_id = $1 and w.window_id = any($2)"#,
        center_id.0,
        windows
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        (
            format!("W{}", r.window_id),
            r.label,
            r.department,
            WindowId(r.window_id),
        )
    })
    .collect();
    out.extend(
        sqlx::query!(
            r#"select s.staff_id, s.name, s.position, s.window_id, w.number || '号窗口 ' || w.name as "window_label!"
               from staff s join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
               where s.center_id = $1 and s.staff_id = any($2)"#,
            center_id.0,
            staff
        )
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| (format!("S{}", r.staff_id), r.name, format!("{} · {}", r.window_label, r.position), WindowId(r.window_id))),
    );
    Ok(out)
}

/// Why a ballot was not stored.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    VotingClosed,
    AlreadyVoted,
    /// Not in the electorate fixed when voting opened, or not from the window fixed then.
    NotAVoter,
}

/// Stores one ballot: with the period row share-locked in the voting phase (closing voting
/// waits for it, or it sees voting closed), the receipt under its unique key, and +1 on the
/// counter of each recommended candidate. The caller has checked recusal and the cap
/// against the same snapshot; `ids` are window or staff ids of this period's counters.
#[allow(clippy::too_many_arguments)]
pub async fn cast(
    conn: &mut PgConnection,
    actor: &Actor,
    center_id: CenterId,
    period_id: PeriodId,
    code: &str,
    kind: Kind,
    head_window: WindowId,
    ids: &[i64],
) -> sqlx::Result<Result<OffsetDateTime, Refused>> {
    let kind = kind.as_str();
    let phase = sqlx::query_scalar!(
        "select phase from period where center_id = $1 and period_id = $2 for share",
        center_id.0,
        period_id.0
    )
    .fetch_optional(&mut *conn)
    .await?;
    if phase.as_deref() != Some("voting") {
        return Ok(Err(Refused::VotingClosed));
    }
    // Checked again under the lock: only the electorate fixed when voting opened votes, for
    // the window it had then.
    let account_id = actor
        .account_id
        .ok_or_else(|| sqlx::Error::Protocol("a ballot needs its voter".into()))?;
    let fixed =
        super::round::membership(conn, period_id, super::round::Duty::Voter, account_id).await?;
    if fixed != Some(Some(head_window)) {
        return Ok(Err(Refused::NotAVoter));
    }
    let cast_at = sqlx::query_scalar!(
        "insert into ballot_receipt (center_id, period_id, kind, account_id, window_id)
         values ($1, $2, $3, $4, $5)
         on conflict (period_id, kind, account_id) do nothing
         returning cast_at",
        center_id.0,
        period_id.0,
        kind,
        actor.account_id.map(|v| v.0),
        head_window.0
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(cast_at) = cast_at else {
        return Ok(Err(Refused::AlreadyVoted));
    };
    // Ballots of a kind rewrite the same counters: one at a time, or they deadlock.
    super::advisory_lock(conn, &format!("ballot {period_id} {kind}")).await?;
    // Every counter of the kind is rewritten (+1 where chosen, +0 elsewhere), so that no
    // row version, transaction id or update statistic singles out the chosen ones.
    let chosen = if kind == "window" {
        sqlx::query_scalar!(
            r#"with touched as (
                 update ballot_tally set recommendations = recommendations + (window_id = any($2))::int
                 where period_id = $1 and window_id is not null
                 returning window_id = any($2) as chosen)
               select count(*) filter (where chosen) as "n!" from touched"#,
            period_id.0,
            ids
        )
        .fetch_one(&mut *conn)
        .await?
    } else {
        sqlx::query_scalar!(
            r#"with touched as (
                 update ballot_tally set recommendations = recommendations + (staff_id = any($2))::int
                 where period_id = $1 and staff_id is not null
                 returning staff_id = any($2) as chosen)
               select count(*) filter (where chosen) as "n!" from touched"#,
            period_id.0,
            ids
        )
        .fetch_one(&mut *conn)
        .await?
    };
    if chosen != ids.len() as i64 {
        // Not this period's candidates: the caller's checks should make this impossible.
        return Err(sqlx::Error::Protocol("ballot names a non-candidate".into()));
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "ballot.cast",
            entity: "ballot",
            entity_id: format!("{code} {kind}"),
            before: None,
            after: None,
        },
    )
    .await?;
    Ok(Ok(cast_at))
}

/// Turnout: every member of the electorate fixed when voting opened (disabled accounts
/// included) and when (if) they cast each ballot.
#[derive(sqlx::FromRow)]
pub struct Turnout<'a> {
    pub display_name: &'a str,
    pub window_label: &'a str,
    /// False when the account was disabled since voting opened: still counted.
    pub active: bool,
    pub window_ballot: Option<OffsetDateTime>,
    pub staff_ballot: Option<OffsetDateTime>,
}

/// A head of a period's electorate (fixed as its vote opened), as the turnout lists them.
#[derive(Debug, Clone)]
pub struct Head {
    pub account_id: i64,
    pub display_name: String,
    pub window_label: String,
    /// False when the account was disabled since voting opened: still counted.
    pub active: bool,
}

/// The period's electorate in the windows' order (then by user name), each head with the
/// window fixed as the vote opened. The turnout keeps it per process and `org_revision`,
/// which counts the changes to round members and to accounts' names and states (migration
/// 0025).
pub async fn electorate(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    roster: &super::org::Roster,
) -> sqlx::Result<Vec<Head>> {
    // The heads are put in window order here, from the center's roster: joining each to its
    // window and sorting them by it took 10 ms of the database for 1,200 heads. The join names
    // the center: without it the planner reads every account of the province to find one
    // center's.
    let mut heads: Vec<(i64, i64, String, bool)> = sqlx::query_as(
        "select a.account_id, m.window_id, a.display_name, a.active
         from round_member m join account a on a.account_id = m.account_id and a.center_id = m.center_id
         where m.center_id = $1 and m.period_id = $2 and m.duty = 'voter' and m.window_id is not null
         order by a.username",
    )
    .bind(center_id.0)
    .bind(period_id.0)
    .fetch_all(conn)
    .await?;
    // By window; within a window in the database's order of user names (a stable sort).
    heads.sort_by_key(|h| roster.place(h.1));
    Ok(heads
        .into_iter()
        .map(|(account_id, window, display_name, active)| Head {
            account_id,
            display_name,
            window_label: roster.window(window).map(|w| w.label()).unwrap_or_default(),
            active,
        })
        .collect())
}

/// Who of the electorate has cast which ballot and when: the period's receipts read once
/// and matched here (two lookups per head took most of the page for a province's largest
/// center, and a join with the receipts grouped was planned as a loop over them per head
/// when the statistics lagged).
pub async fn turnout<'a>(
    conn: &mut PgConnection,
    period_id: PeriodId,
    heads: &'a [Head],
) -> sqlx::Result<Vec<Turnout<'a>>> {
    // One row of three arrays, not a row per receipt: a large center's 2,400 receipts
    // decoded row by row were most of the turnout page's time.
    let (accounts, window_kind, cast_at): (Vec<i64>, Vec<bool>, Vec<OffsetDateTime>) =
        sqlx::query_as(
            "select coalesce(array_agg(account_id), '{}'), coalesce(array_agg(kind = 'window'), '{}'),
                    coalesce(array_agg(cast_at), '{}')
               from ballot_receipt where period_id = $1",
        )
        .bind(period_id.0)
        .fetch_one(conn)
        .await?;
    let mut cast: std::collections::HashMap<i64, (Option<OffsetDateTime>, Option<OffsetDateTime>)> =
        std::collections::HashMap::with_capacity(accounts.len());
    for ((account, window), at) in accounts.into_iter().zip(window_kind).zip(cast_at) {
        let e = cast.entry(account).or_default();
        if window {
            e.0 = Some(at);
        } else {
            e.1 = Some(at);
        }
    }
    Ok(heads
        .iter()
        .map(|h| {
            let (window_ballot, staff_ballot) =
                cast.get(&h.account_id).copied().unwrap_or_default();
            Turnout {
                display_name: &h.display_name,
                window_label: &h.window_label,
                active: h.active,
                window_ballot,
                staff_ballot,
            }
        })
        .collect())
}

/// How many of the heads [`turnout`] lists have cast both ballots: what the supervision
/// office's to-do list says (beside the electorate's size), without reading their names.
pub async fn voted_count(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
) -> sqlx::Result<i64> {
    // Only members of the electorate hold receipts (`cast` refuses anyone else), and each
    // holds at most one of each kind (a unique key), so those who cast both are the
    // accounts with two receipts: the period's receipts read once and grouped, instead of
    // two lookups for each of a large center's 1,200 heads. (A join of the window receipts
    // with the staff receipts was planned as a loop over one per row of the other when the
    // statistics lagged behind a vote: 70 ms.)
    sqlx::query_scalar(
        "select count(*) from (select 1 from ballot_receipt r
                                where r.period_id = $2 and r.center_id = $1
                                group by r.account_id having count(*) = 2) both_cast",
    )
    .bind(center_id.0)
    .bind(period_id.0)
    .fetch_one(conn)
    .await
}

/// When the ballots of a period were cast, for its turnout chart: the electorate's size and
/// the times of the window and the staff ballots, each in order. Receipts only, without
/// the names [`turnout`] reads.
pub struct CastTimes {
    pub heads: usize,
    pub window: Vec<OffsetDateTime>,
    pub staff: Vec<OffsetDateTime>,
}

pub async fn cast_times(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
) -> sqlx::Result<CastTimes> {
    let heads: i64 = sqlx::query_scalar(
        "select count(*) from round_member where center_id = $1 and period_id = $2 and duty = 'voter'",
    )
    .bind(center_id.0)
    .bind(period_id.0)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<(String, OffsetDateTime)> = sqlx::query_as(
        "select kind, cast_at from ballot_receipt where center_id = $1 and period_id = $2
         order by cast_at",
    )
    .bind(center_id.0)
    .bind(period_id.0)
    .fetch_all(conn)
    .await?;
    let mut times = CastTimes {
        heads: usize::try_from(heads).unwrap_or(0),
        window: Vec::new(),
        staff: Vec::new(),
    };
    for (kind, at) in rows {
        if kind == "window" {
            times.window.push(at);
        } else {
            times.staff.push(at);
        }
    }
    Ok(times)
}

/// The democratic recommendation of a period as the recount format carries it: per kind,
/// ballots cast by each window's heads and recommendations of each candidate. Only the
/// counts; no ballot exists to export.
pub async fn tallies(
    conn: &mut PgConnection,
    period_id: PeriodId,
) -> sqlx::Result<Vec<crate::scoring::TallyInput>> {
    use crate::scoring::{Entries, Number, TallyInput};
    let mut out = Vec::new();
    for kind in ["window", "staff"] {
        let by_window = sqlx::query!(
            r#"select window_id, count(*) as "n!" from ballot_receipt where period_id = $1 and kind = $2
               group by window_id order by window_id"#,
            period_id.0,
            kind
        )
        .fetch_all(&mut *conn)
        .await?;
        let recs = sqlx::query!(
            r#"select coalesce(window_id, staff_id) as "id!", recommendations from ballot_tally
               where period_id = $1 and (case when $2 = 'window' then window_id else staff_id end) is not null
               order by 1"#,
            period_id.0,
            kind
        )
        .fetch_all(&mut *conn)
        .await?;
        let prefix = if kind == "window" { "W" } else { "S" };
        out.push(TallyInput {
            kind: kind.to_string(),
            ballots_by_window: Entries(
                by_window
                    .into_iter()
                    .map(|r| {
                        (
                            format!("W{}", r.window_id).into(),
                            Number::from_integer(r.n),
                        )
                    })
                    .collect(),
            ),
            recommendations: Entries(
                recs.into_iter()
                    .map(|r| {
                        (
                            format!("{prefix}{}", r.id).into(),
                            Number::from_integer(i64::from(r.recommendations)),
                        )
                    })
                    .collect(),
            ),
        });
    }
    Ok(out)
}
