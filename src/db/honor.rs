//! Honors (光荣榜 entries and their certificates): issued at publication with the names of
//! that day, kept in step with the results by corrections (revoked with the correction's
//! reason, or newly issued), and announced to every server process on the `pingxuan_honor`
//! channel so that cached honor rolls are dropped.

use crate::domain::ids::{CenterId, Entrant, PeriodId, StaffId};
use rand::Rng;
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::scoring::PeriodResult;

/// The notification channel of publications and corrections.
pub const CHANNEL: &str = "pingxuan_honor";

/// One honor as the honor roll, a certificate and the verification page show it.
#[derive(Debug, Clone)]
pub struct Honor {
    pub honor_id: i64,
    pub kind: String,
    pub staff_id: Option<StaffId>,
    pub rank: i32,
    pub name: String,
    pub window_label: String,
    pub department: String,
    pub business_area: String,
    /// Total in hundredths.
    pub total: i32,
    pub certificate_no: String,
    pub issued_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_reason: Option<String>,
    /// The photo's version (seconds) when the staff member has one.
    pub photo_version: Option<i64>,
    /// The award's title, the period's (文明服务窗口, 优秀服务标兵, …).
    pub title: String,
}

/// A certificate number: the period, the kind and place, and six random characters so that
/// numbers cannot be guessed from one another.
fn certificate_no(code: &str, kind: &str, rank: usize) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let suffix: String = (0..6)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!(
        "{}-{}{rank:02}-{suffix}",
        code.replace('-', ""),
        if kind == "window" { 'W' } else { 'S' }
    )
}

/// The winners of each kind with their place and total, from the results.
fn winners(results: &PeriodResult) -> Vec<(&'static str, i64, i32, i32)> {
    let mut out = Vec::new();
    for (kind, k) in [("window", &results.window), ("staff", &results.staff)] {
        for (i, id) in k.winners.iter().enumerate() {
            let Some(num) = id.get(1..).and_then(|n| n.parse::<i64>().ok()) else {
                continue;
            };
            let total = k
                .entrants
                .iter()
                .find(|e| &e.id == id)
                .and_then(|e| e.total)
                .map(|t| t.0 as i32)
                .unwrap_or(0);
            out.push((kind, num, i as i32 + 1, total));
        }
    }
    out
}

async fn insert(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    code: &str,
    (kind, id, rank, total): (&str, i64, i32, i32),
    issued_at: Option<time::OffsetDateTime>,
) -> sqlx::Result<()> {
    let no = certificate_no(code, kind, rank as usize);
    if kind == "window" {
        sqlx::query!(
            "insert into honor (center_id, period_id, kind, window_id, rank, name, window_label, department, business_area, total, certificate_no, issued_at)
             select $1, $2, 'window', w.window_id, $4, w.number || '号窗口 ' || w.name, w.number || '号窗口 ' || w.name,
                    d.name, a.name, $5::int / 100.0, $6, coalesce($7, now())
             from service_window w join department d on d.department_id = w.department_id and d.center_id = w.center_id
             join business_area a on a.business_area_id = w.business_area_id and a.center_id = w.center_id
             where w.center_id = $1 and w.window_id = $3",
            center_id.0,
            period_id.0,
            id,
            rank,
            total,
            no,
            issued_at
        )
        .execute(conn)
        .await?;
    } else {
        sqlx::query!(
            "insert into honor (center_id, period_id, kind, staff_id, rank, name, window_label, department, business_area, total, certificate_no, issued_at)
             select $1, $2, 'staff', s.staff_id, $4, s.name, w.number || '号窗口 ' || w.name,
                    d.name, a.name, $5::int / 100.0, $6, coalesce($7, now())
             from staff s join service_window w on w.window_id = s.window_id and w.center_id = s.center_id
             join department d on d.department_id = w.department_id and d.center_id = w.center_id
             join business_area a on a.business_area_id = w.business_area_id and a.center_id = w.center_id
             where s.center_id = $1 and s.staff_id = $3",
            center_id.0,
            period_id.0,
            id,
            rank,
            total,
            no,
            issued_at
        )
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Issues the honors of a period being published (before its phase moves).
pub async fn issue(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    code: &str,
    results: &PeriodResult,
    issued_at: Option<time::OffsetDateTime>,
) -> sqlx::Result<()> {
    for w in winners(results) {
        insert(conn, center_id, period_id, code, w, issued_at).await?;
    }
    notify(conn, center_id).await
}

/// Brings the honors of a published period in line with its corrected results: honors of
/// entrants who are no longer winners are revoked with the correction's reason, new winners
/// receive theirs, and the others keep their certificate with their new place and total.
/// The caller recorded the correction in this transaction.
pub async fn reconcile(
    conn: &mut PgConnection,
    center_id: CenterId,
    period_id: PeriodId,
    code: &str,
    results: &PeriodResult,
    reason: &str,
) -> sqlx::Result<()> {
    let current = sqlx::query!(
        r#"select honor_id, kind, coalesce(window_id, staff_id) as "id!" from honor
           where period_id = $1 and revoked_at is null for update"#,
        period_id.0
    )
    .fetch_all(&mut *conn)
    .await?;
    let now = winners(results);
    for h in &current {
        match now.iter().find(|(k, id, _, _)| *k == h.kind && *id == h.id) {
            Some((_, _, rank, total)) => {
                sqlx::query!(
                    "update honor set rank = $2, total = $3::int / 100.0
                     where honor_id = $1 and (rank, total) is distinct from ($2, $3::int / 100.0)",
                    h.honor_id,
                    rank,
                    total
                )
                .execute(&mut *conn)
                .await?;
            }
            None => {
                sqlx::query!(
                    "update honor set revoked_at = now(), revoked_reason = $2 where honor_id = $1",
                    h.honor_id,
                    reason
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    for w in now {
        if !current.iter().any(|h| h.kind == w.0 && h.id == w.1) {
            insert(conn, center_id, period_id, code, w, None).await?;
        }
    }
    notify(conn, center_id).await
}

/// Tells every server process (at commit) that the center's honors changed.
pub async fn notify(conn: &mut PgConnection, center_id: CenterId) -> sqlx::Result<()> {
    sqlx::query!(
        "select pg_notify($1, $2::bigint::text)",
        CHANNEL,
        center_id.0
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The valid honors of a period, windows first, each kind in order of place.
pub async fn of_period(conn: &mut PgConnection, period_id: PeriodId) -> sqlx::Result<Vec<Honor>> {
    sqlx::query_as!(
        Honor,
        r#"select h.honor_id, h.kind, h.staff_id as "staff_id: StaffId", h.rank, h.name, h.window_label, h.department,
                  h.business_area, (h.total * 100)::int as "total!", h.certificate_no, h.issued_at,
                  h.revoked_at, h.revoked_reason,
                  case when s.photo is not null then (extract(epoch from s.photo_updated_at) * 1000)::bigint end as photo_version,
                  case when h.kind = 'window' then p.window_title else p.staff_title end as "title!"
           from honor h join period p on p.period_id = h.period_id
           left join staff s on s.staff_id = h.staff_id
           where h.period_id = $1 and h.revoked_at is null
           order by h.kind = 'staff', h.rank"#,
        period_id.0
    )
    .fetch_all(conn)
    .await
}

/// A certificate as the public verification page shows it.
pub struct Certificate {
    pub honor: Honor,
    pub period_code: String,
    pub center_name: String,
}

/// The honor with this certificate number, valid or revoked, of a published period.
pub async fn by_certificate(
    conn: &mut PgConnection,
    number: &str,
) -> sqlx::Result<Option<Certificate>> {
    let row = sqlx::query!(
        r#"select h.honor_id, h.kind, h.staff_id as "staff_id: StaffId", h.rank, h.name, h.window_label, h.department,
                  h.business_area, (h.total * 100)::int as "total!", h.certificate_no, h.issued_at,
                  h.revoked_at, h.revoked_reason, p.code, c.name as center_name,
                  case when h.kind = 'window' then p.window_title else p.staff_title end as "title!"
           from honor h join period p on p.period_id = h.period_id
           join center c on c.center_id = h.center_id
           where h.certificate_no = $1 and p.phase = 'published'"#,
        number
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Certificate {
        honor: Honor {
            honor_id: r.honor_id,
            kind: r.kind,
            staff_id: r.staff_id,
            rank: r.rank,
            name: r.name,
            window_label: r.window_label,
            department: r.department,
            business_area: r.business_area,
            total: r.total,
            certificate_no: r.certificate_no,
            issued_at: r.issued_at,
            revoked_at: r.revoked_at,
            revoked_reason: r.revoked_reason,
            photo_version: None,
            title: r.title,
        },
        period_code: r.code,
        center_name: r.center_name,
    }))
}

/// A staff member's photo, when the person holds a valid honor of a published period or is
/// a nominee of a city-wide round's public notice (the only photos shown to the public).
pub async fn public_photo(
    conn: &mut PgConnection,
    staff_id: StaffId,
) -> sqlx::Result<Option<(Vec<u8>, String)>> {
    Ok(sqlx::query!(
        r#"select s.photo as "photo!", s.photo_type as "photo_type!" from staff s
           where s.staff_id = $1 and s.photo is not null and (exists (
               select 1 from honor h join period p on p.period_id = h.period_id
               where h.staff_id = s.staff_id and h.revoked_at is null and p.phase = 'published')
             or exists (
               select 1 from nomination n join citywide_round r using (citywide_round_id)
               where n.staff_id = s.staff_id and n.status = 'accepted' and n.disqualified_at is null
                 and r.phase in ('notice', 'confirmation', 'published')))"#,
        staff_id.0
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.photo, r.photo_type)))
}

/// A candidate's record beside its rating: the honors it holds from the year's other
/// published periods and its monthly scores.
#[derive(Debug, Default, Clone)]
pub struct YearRecord {
    /// (period code, title), in period order: (`2026-03`, 文明服务标兵).
    pub honors: Vec<(String, String)>,
    /// (month, score in hundredths), in month order.
    pub scores: Vec<(String, i32)>,
}

/// The records of the windows and staff (by id) for the year of `period` over its
/// `months`, keyed by recount id (`W12`, `S34`).
pub async fn year_records(
    conn: &mut PgConnection,
    center_id: CenterId,
    period: PeriodId,
    year: &str,
    months: &[String],
    windows: &[i64],
    staff: &[i64],
) -> sqlx::Result<std::collections::HashMap<String, YearRecord>> {
    let mut out: std::collections::HashMap<String, YearRecord> = Default::default();
    let honors = sqlx::query!(
        r#"select p.code, h.window_id, h.staff_id,
                  case when h.kind = 'window' then p.window_title else p.staff_title end as "title!"
           from honor h join period p on p.period_id = h.period_id
           where h.center_id = $1 and h.revoked_at is null and p.phase = 'published'
             and p.period_id <> $2 and left(p.code, 4) = $3
             and (h.window_id = any($4) or h.staff_id = any($5))
           order by p.code"#,
        center_id.0,
        period.0,
        year,
        windows,
        staff
    )
    .fetch_all(&mut *conn)
    .await?;
    for h in honors {
        if let Some(e) = Entrant::from_columns(h.window_id, h.staff_id) {
            let r = out.entry(e.recount_id()).or_default();
            r.honors.push((h.code, h.title));
        }
    }
    let scores = sqlx::query!(
        r#"select month, window_id, staff_id, (score * 100)::int as "h!" from monthly_score
           where center_id = $1 and month = any($2)
             and (window_id = any($3) or staff_id = any($4))
           order by month"#,
        center_id.0,
        months,
        windows,
        staff
    )
    .fetch_all(conn)
    .await?;
    for s in scores {
        if let Some(e) = Entrant::from_columns(s.window_id, s.staff_id) {
            let r = out.entry(e.recount_id()).or_default();
            r.scores.push((s.month, s.h));
        }
    }
    Ok(out)
}

/// The version of a staff member's photo (for its URL), when there is one.
pub async fn photo_version(conn: &mut PgConnection, staff: i64) -> sqlx::Result<Option<i64>> {
    let v: Option<Option<i64>> = sqlx::query_scalar(
        "select case when photo is not null
                     then (extract(epoch from photo_updated_at) * 1000)::bigint end
         from staff where staff_id = $1",
    )
    .bind(staff)
    .fetch_optional(conn)
    .await?;
    Ok(v.flatten())
}
