//! Swapped ids within one center (ASVS V8): a request names another window, another
//! person or another period than the one its sender may act on, or carries fields its
//! sender's role does not write. Whom a request acts on comes from the session, never from
//! the form: such a request is refused, or does exactly what it would do without the extra
//! fields, to the sender's own rows. (Another center's ids: `tests/security.rs`.)

mod common;

use axum::http::StatusCode;
use common::*;
use sqlx::PgPool;

const VOTING: &str = "2026-Q3";

async fn account_id(app: &TestApp, username: &str) -> i64 {
    sqlx::query_scalar("select account_id from account where username = $1")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn window_of(app: &TestApp, username: &str) -> i64 {
    sqlx::query_scalar("select window_id from account where username = $1")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn receipts(app: &TestApp, username: &str) -> Vec<(String, i64)> {
    sqlx::query_as(
        "select r.kind, r.window_id from ballot_receipt r join period p using (period_id)
         join account a using (account_id)
         where p.code = $1 and a.username = $2 order by r.kind",
    )
    .bind(VOTING)
    .bind(username)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

fn ballot(
    token: &str,
    kind: &str,
    period: &str,
    extra: &[(&str, String)],
) -> Vec<(String, String)> {
    let mut f = vec![
        ("_csrf".to_string(), token.to_string()),
        ("kind".to_string(), kind.to_string()),
        ("period".to_string(), period.to_string()),
    ];
    f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    f
}

#[sqlx::test]
async fn a_head_casts_only_their_own_windows_ballot_in_the_open_period(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    // head02 and head03 have not voted in the demo's voting quarter.
    assert!(receipts(&app, "head02").await.is_empty());
    assert!(receipts(&app, "head03").await.is_empty());
    let other_account = account_id(&app, "head03").await;
    let other_window = window_of(&app, "head03").await;
    let own_window = window_of(&app, "head02").await;
    let mut head = Browser::new(&app);
    head.login("head02", PASSWORD).await;
    let token = head.csrf().await;

    // Refused, changing nothing: another period (published, or not existing), a staff
    // member's id on the window ballot, the own window hidden among others.
    let before = checksum(&app.pool).await;
    let refused = [
        (
            "the published quarter",
            ballot(&token, "window", "2026-Q2", &[]),
        ),
        (
            "a quarter that does not exist",
            ballot(&token, "window", "2027-Q1", &[]),
        ),
        (
            "another center's code form",
            ballot(&token, "window", "../2026-Q3", &[]),
        ),
        (
            "a staff member on the window ballot",
            ballot(&token, "window", VOTING, &[("c", "S1".into())]),
        ),
        (
            "the own window",
            ballot(
                &token,
                "window",
                VOTING,
                &[
                    ("c", format!("W{other_window}")),
                    ("c", format!("W{own_window}")),
                ],
            ),
        ),
        (
            "another kind of ballot",
            ballot(&token, "leader", VOTING, &[("c", "W1".into())]),
        ),
    ];
    for (what, fields) in &refused {
        for path in ["/ballot/review", "/ballot"] {
            let page = head.post_fields(path, fields).await;
            assert!(
                page.status.is_client_error(),
                "{what} to {path}: {}",
                page.status
            );
            assert!(page.location().is_none(), "{what} to {path}");
            if *what == "the own window" {
                // Refused for the recusal, not for anything else.
                assert!(
                    page.text("#window .form-error").contains("回避"),
                    "{what} to {path}: {}",
                    page.text("#window .form-error")
                );
            }
        }
    }
    assert_eq!(before, checksum(&app.pool).await, "rows changed");

    // Another head's account and window in the form: ignored; the ballot is head02's.
    let cast = head
        .post_fields(
            "/ballot",
            &ballot(
                &token,
                "window",
                VOTING,
                &[
                    ("c", format!("W{other_window}")),
                    ("account_id", other_account.to_string()),
                    ("account", other_account.to_string()),
                    ("window_id", other_window.to_string()),
                    ("window", other_window.to_string()),
                    ("username", "head03".into()),
                ],
            ),
        )
        .await;
    assert_eq!(cast.location(), Some("/ballot?notice=voted"));
    assert_eq!(
        receipts(&app, "head02").await,
        vec![("window".to_string(), own_window)]
    );
    assert!(
        receipts(&app, "head03").await.is_empty(),
        "nothing was cast in head03's name"
    );
    // head03 still votes.
    let mut other = Browser::new(&app);
    other.login("head03", PASSWORD).await;
    let token = other.csrf().await;
    assert_eq!(
        other
            .post_fields("/ballot", &ballot(&token, "window", VOTING, &[]))
            .await
            .location(),
        Some("/ballot?notice=voted")
    );
    assert_eq!(
        receipts(&app, "head03").await,
        vec![("window".to_string(), other_window)]
    );
}

#[sqlx::test]
async fn a_password_change_changes_only_ones_own_password(pool: PgPool) {
    let app = spawn(pool).await;
    let hashes = || async {
        sqlx::query_as::<_, (String, String)>(
            "select username, password_hash from account order by username",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap()
    };
    let before = hashes().await;
    let admin = account_id(&app, "admin").await;
    let mut staff = Browser::new(&app);
    staff.login("staff002", PASSWORD).await;
    let changed = staff
        .post(
            "/account/password",
            &[
                ("current", PASSWORD),
                ("new", "Neues-Passwort-2026"),
                ("confirm", "Neues-Passwort-2026"),
                ("account_id", &admin.to_string()),
                ("username", "admin"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let after = hashes().await;
    let differing: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0.as_str())
        .collect();
    assert_eq!(differing, vec!["staff002"]);
    let role: String = sqlx::query_scalar("select role from account where username = 'staff002'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(role, "staff");
    // The administrator still signs in with the old password.
    let mut a = Browser::new(&app);
    assert_eq!(a.login("admin", PASSWORD).await.location(), Some("/"));
}

#[sqlx::test]
async fn a_leader_rates_only_as_themselves_and_only_candidates(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut ducha = Browser::new(&app);
    ducha.login("ducha", PASSWORD).await;
    assert_eq!(
        ducha
            .post(&format!("/periods/{VOTING}/phase"), &[("to", "rating")])
            .await
            .location(),
        Some("/periods/2026-Q3?notice=phase")
    );
    let leader = account_id(&app, "zuzhang").await;
    let mut member = Browser::new(&app);
    member.login("yewuke", PASSWORD).await;
    let mut fields = member.get("/ratings").await.form_fields("form.score-grid");
    let rated: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k.starts_with('r'))
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!rated.is_empty());
    for f in fields.iter_mut().filter(|(k, _)| k.starts_with('r')) {
        f.1 = "91".into();
    }
    // A window that is not a candidate, and the group leader's account, in the form.
    let outsider: i64 = sqlx::query_scalar(
        "select w.window_id from service_window w, period p where p.code = $1
           and not exists (select 1 from jsonb_array_elements(p.candidates -> 'window' -> 'entrants') e
                           where e ->> 'id' = 'W' || w.window_id and (e ->> 'candidate')::boolean)
         order by w.window_id limit 1",
    )
    .bind(VOTING)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    fields.push((format!("rW{outsider}"), "99".into()));
    fields.push(("account_id".into(), leader.to_string()));
    fields.push(("rater".into(), leader.to_string()));
    assert_eq!(
        member.post_fields("/ratings", &fields).await.location(),
        Some("/ratings?notice=saved")
    );
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "select a.username, count(*) from rating r join account a using (account_id)
           join period p using (period_id) where p.code = $1 group by 1 order by 1",
    )
    .bind(VOTING)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows, vec![("yewuke".to_string(), rated.len() as i64)]);
    assert_eq!(
        count(
            &app.pool,
            &format!("select count(*) from rating r join period p using (period_id) where p.code = '{VOTING}' and r.window_id = {outsider}")
        )
        .await,
        0,
        "a window that is not a candidate is not rated"
    );
}

#[sqlx::test]
async fn a_veto_is_revoked_only_through_its_own_period(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    let mut ducha = Browser::new(&app);
    ducha.login("ducha", PASSWORD).await;
    // A new quarter, open for vetoes, with one recorded through its page.
    ducha.post("/periods", &[("code", "2026-Q4")]).await;
    let created = ducha
        .post(
            "/periods/2026-Q4/vetoes",
            &[
                ("target", "w3"),
                ("code", "overdue_case"),
                ("occurred_on", "2026-10-15"),
                ("description", "10月15日一件业务超期办结，经核实系窗口原因"),
                ("evidence", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let veto_of = |code: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "select v.veto_id from veto v join period p using (period_id)
                 where p.code = $1 and v.revoked_at is null order by v.veto_id limit 1",
            )
            .bind(code)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (q2, q3, q4) = (
        veto_of("2026-Q2").await,
        veto_of(VOTING).await,
        veto_of("2026-Q4").await,
    );
    let before = checksum(&app.pool).await;
    // Another period's veto through the open quarter's address, and the open quarter's
    // veto through the others'.
    for path in [
        format!("/periods/2026-Q4/vetoes/{q2}/revoke"),
        format!("/periods/2026-Q4/vetoes/{q3}/revoke"),
        format!("/periods/2026-Q2/vetoes/{q4}/revoke"),
        format!("/periods/{VOTING}/vetoes/{q4}/revoke"),
    ] {
        let page = ducha
            .post(&path, &[("reason", "复核后撤销：经核实不属实")])
            .await;
        assert!(
            page.status.is_client_error() || page.location().is_some_and(|l| !l.contains("saved")),
            "{path}: {} {:?}",
            page.status,
            page.location()
        );
    }
    assert_eq!(before, checksum(&app.pool).await, "rows changed");
    // Through its own period, it is revoked.
    let page = ducha
        .post(
            &format!("/periods/2026-Q4/vetoes/{q4}/revoke"),
            &[("reason", "复核后撤销：经核实不属实")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app.pool,
            &format!("select count(*) from veto where veto_id = {q4} and revoked_at is not null")
        )
        .await,
        1
    );
}

/// A county's office names another county's nomination, a file of another nomination, an
/// entrant of another county, or a county of its own choosing: refused, and nothing of
/// either county changes. The county a nomination belongs to comes from the session.
#[sqlx::test]
async fn a_county_office_acts_only_on_its_own_nominations_and_entrants(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    pingxuan::demo_citywide::load(&app.pool).await.unwrap();
    let year: i32 = sqlx::query_scalar("select max(year) from citywide_round")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let id_of =
        async |sql: &str| -> i64 { sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap() };
    // 西城区's draft, and a file on it; 东城区's submitted nomination; a 东城区 window.
    let theirs = id_of(
        "select min(n.nomination_id) from nomination n join center c on c.center_id = n.county_center_id
         join citywide_round r using (citywide_round_id) where c.code = 'shifan-xicheng' and r.phase = 'nomination'",
    )
    .await;
    sqlx::query(
        "insert into nomination_file (nomination_id, file_name, content_type, size, data)
         values ($1, '证明.pdf', 'application/pdf', 5, '%PDF-'::bytea)",
    )
    .bind(theirs)
    .execute(&app.pool)
    .await
    .unwrap();
    let their_file = id_of("select max(nomination_file_id) from nomination_file").await;
    let submitted = id_of(
        "select min(n.nomination_id) from nomination n join center c on c.center_id = n.county_center_id
         join citywide_round r using (citywide_round_id)
         where c.code = 'shifan-dongcheng' and r.phase = 'nomination' and n.status = 'submitted'",
    )
    .await;
    let their_window = id_of(
        "select min(w.window_id) from service_window w join center c using (center_id)
         where c.code = 'shifan-dongcheng'",
    )
    .await;
    let mine = id_of(
        "select min(n.nomination_id) from nomination n join center c on c.center_id = n.county_center_id
         join citywide_round r using (citywide_round_id) where c.code = 'shifan-qingshan' and r.phase = 'nomination'",
    )
    .await;
    let mut qs = Browser::new(&app);
    qs.login("qs-ducha", PASSWORD).await;
    let before = checksum(&app.pool).await;
    let base = format!("/citywide/{year}/nominations");
    for url in [
        format!("{base}/{theirs}"),
        format!("{base}/{theirs}/files/{their_file}"),
        format!("{base}/{mine}/files/{their_file}"),
    ] {
        assert_eq!(qs.get(&url).await.status, StatusCode::NOT_FOUND, "{url}");
    }
    let token = qs.csrf().await;
    for (url, fields) in [
        (
            format!("{base}/{theirs}"),
            vec![
                ("brief", "改写"),
                ("full_text", "改写"),
                ("version", "1"),
                ("action", "save"),
            ],
        ),
        (format!("{base}/{submitted}/withdraw"), vec![]),
        (format!("{base}/{theirs}/files/{their_file}/remove"), vec![]),
        (format!("{base}/{mine}/files/{their_file}/remove"), vec![]),
    ] {
        let mut f: Vec<(&str, &str)> = vec![("_csrf", &token)];
        f.extend(fields);
        let res = qs.post(&url, &f).await;
        assert!(
            res.status == StatusCode::NOT_FOUND || res.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            res.status
        );
    }
    // Another county's window, or a county named in the form: not an entrant of its own.
    let res = qs
        .post(
            &format!("/citywide/{year}/nominations?kind=window"),
            &[
                ("_csrf", &token),
                ("entrant", &their_window.to_string()),
                ("county_center_id", "2"),
                ("brief", "x"),
                ("full_text", "x"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error("entrant").is_some(),
        "refused for the entrant itself"
    );
    assert_eq!(
        checksum(&app.pool).await,
        before,
        "nothing of any county changed"
    );
}
