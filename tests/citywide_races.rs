//! The city-wide round's deadline and quota under races: many submissions of one county
//! across the deadline, and two editors of one county over its last place. Whatever the
//! interleaving, what commits is wholly before the deadline and within the quota.

mod common;

use axum::http::StatusCode;
use common::*;
use sqlx::PgPool;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Opens 2026's round for the demo city with `quota` places per kind and county.
async fn open_round(app: &TestApp, quota: i32) -> i64 {
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    sqlx::query(
        "with r as (
           insert into citywide_round (center_id, year, title, deadline, window_brief_limit,
               window_full_limit, staff_brief_limit, staff_full_limit, file_count_limit, file_size_limit)
           select center_id, 2026, '2026年度全市评选', '2026-12-20 17:30+08', 200, 3000, 100, 1500, 10, 5242880
           from center where code = 'shifan' returning citywide_round_id, center_id)
         insert into citywide_quota (citywide_round_id, county_center_id, kind, quota)
         select r.citywide_round_id, c.center_id, k, $1 from r
         join center c on c.parent_center_id = r.center_id cross join unnest(array['window', 'staff']) k",
    )
    .bind(quota)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query_scalar("select citywide_round_id from citywide_round")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Drafts of every active staff member of 青山县, complete enough to submit; their ids.
async fn drafts(app: &TestApp, round: i64, kind: &str, how_many: i64) -> Vec<i64> {
    let column = if kind == "window" {
        "window_id"
    } else {
        "staff_id"
    };
    let table = if kind == "window" {
        "service_window"
    } else {
        "staff"
    };
    sqlx::query_scalar(&format!(
        "insert into nomination (citywide_round_id, county_center_id, kind, {column}, brief, full_text)
         select $1, t.center_id, '{kind}', t.{column}, '服务热情，办件高效。', '全年办件无差错。'
         from {table} t join center c using (center_id)
         where c.code = 'shifan-qingshan' and t.active order by t.{column} limit $2
         returning nomination_id"
    ))
    .bind(round)
    .bind(how_many)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn county_office(app: &TestApp, username: &str) -> Browser {
    let mut b = Browser::new(app);
    assert_eq!(
        b.login(username, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    b
}

/// The submit form of a nomination as its page gives it, notes filled in.
async fn submit_fields(b: &mut Browser, id: i64) -> Vec<(String, String)> {
    let page = b.get(&format!("/citywide/2026/nominations/{id}")).await;
    let mut fields = page.form_fields("form.nomination");
    for (k, v) in fields.iter_mut() {
        if k.starts_with("note_") {
            *v = "见说明材料".into();
        }
    }
    fields.push(("action".into(), "submit".into()));
    fields
}

#[sqlx::test]
async fn submissions_across_the_deadline_are_wholly_before_it_or_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let round = open_round(&app, 50).await;
    // A county of this size has a few more people than the demo's.
    sqlx::query(
        "insert into staff (center_id, name, employee_no, window_id, position)
         select w.center_id, '新同事' || n, 'QX' || n, w.window_id, '综合受理员'
         from generate_series(1, 10) n,
              (select w.* from service_window w join center c using (center_id)
               where c.code = 'shifan-qingshan' order by w.window_id limit 1) w",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let ids = {
        let mut ids = drafts(&app, round, "window", 10).await;
        let staff = 50 - ids.len() as i64;
        ids.extend(drafts(&app, round, "staff", staff).await);
        ids
    };
    assert_eq!(ids.len(), 50, "fifty submissions race the deadline");
    let county = county_office(&app, "qs-ducha").await;
    // How long before the deadline the burst starts: the deadline must fall inside it at
    // least once, wherever this machine's speed puts it.
    let mut lead = 200;
    let mut mixed = 0;
    for attempt in 0..6 {
        sqlx::raw_sql(
            "update nomination set status = 'draft', submitted_at = null;
             update citywide_round set deadline = '2026-12-20 17:30+08'",
        )
        .execute(&app.pool)
        .await
        .unwrap();
        app.clock.set(datetime!(2026-12-20 17:00 +8));
        let mut forms = Vec::new();
        for id in &ids {
            let mut b = county.clone();
            forms.push((*id, submit_fields(&mut b, *id).await));
        }
        // The deadline falls among them: some are sent before it, some after.
        app.clock
            .set(datetime!(2026-12-20 17:30 +8) - Duration::milliseconds(lead));
        let tasks: Vec<_> = forms
            .into_iter()
            .map(|(id, fields)| {
                let mut b = county.clone();
                tokio::spawn(async move {
                    let res = b
                        .post_fields(&format!("/citywide/2026/nominations/{id}"), &fields)
                        .await;
                    (id, res.status, res.body.contains("申报已截止"))
                })
            })
            .collect();
        let mut before = 0;
        let mut refused = 0;
        for t in tasks {
            let (id, status, said_closed) = t.await.unwrap();
            let (state, at): (String, Option<OffsetDateTime>) = sqlx::query_as(
                "select status, submitted_at from nomination where nomination_id = $1",
            )
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
            match status {
                StatusCode::SEE_OTHER => {
                    assert_eq!(state, "submitted");
                    assert!(at.unwrap() < datetime!(2026-12-20 17:30 +8), "{at:?}");
                    before += 1;
                }
                StatusCode::UNPROCESSABLE_ENTITY => {
                    assert!(said_closed, "refused for the deadline, and told so");
                    assert_eq!(state, "draft", "nothing of a refused submission is kept");
                    refused += 1;
                }
                other => panic!("{other}"),
            }
        }
        assert_eq!(before + refused, ids.len());
        assert_eq!(
            count(
                &app.pool,
                "select count(*) from nomination where submitted_at >= '2026-12-20 17:30+08'"
            )
            .await,
            0
        );
        println!(
            "round {attempt} ({lead} ms ahead): {before} before the deadline, {refused} refused"
        );
        if before > 0 && refused > 0 {
            mixed += 1;
        } else if before == 0 {
            lead *= 2;
        } else {
            lead = (lead / 2).max(1);
        }
    }
    assert!(mixed > 0, "the deadline fell inside a burst at least once");
}

#[sqlx::test]
async fn two_editors_of_one_county_never_exceed_its_quota(pool: PgPool) {
    let app = spawn(pool).await;
    let round = open_round(&app, 2).await;
    let ids = drafts(&app, round, "window", 4).await;
    app.clock.set(datetime!(2026-12-15 10:00 +8));
    let mut ducha = county_office(&app, "qs-ducha").await;
    let mut admin = county_office(&app, "qs-admin").await;
    for attempt in 0..10 {
        sqlx::query(
            "update nomination set status = case when nomination_id = $1 then 'submitted' else 'draft' end,
                    submitted_at = case when nomination_id = $1 then now() end",
        )
        .bind(ids[0])
        .execute(&app.pool)
        .await
        .unwrap();
        // One place left; each editor submits a different window at once.
        let a = submit_fields(&mut ducha, ids[1]).await;
        let b = submit_fields(&mut admin, ids[2]).await;
        let (mut d, mut m) = (ducha.clone(), admin.clone());
        let (url_a, url_b) = (
            format!("/citywide/2026/nominations/{}", ids[1]),
            format!("/citywide/2026/nominations/{}", ids[2]),
        );
        let (ra, rb) = tokio::join!(d.post_fields(&url_a, &a), m.post_fields(&url_b, &b));
        let won = [ra.status, rb.status]
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count();
        assert_eq!(won, 1, "round {attempt}: exactly one takes the last place");
        let loser = if ra.status == StatusCode::SEE_OTHER {
            &rb
        } else {
            &ra
        };
        assert!(loser.body.contains("名额为 2 个，已全部提交"));
        assert_eq!(
            count(
                &app.pool,
                "select count(*) from nomination where status = 'submitted'"
            )
            .await,
            2,
            "round {attempt}"
        );
    }
}
