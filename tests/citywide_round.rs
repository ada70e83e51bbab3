//! One whole city-wide round through HTTP over the demo city's three county centers, as
//! its people would run it in 2027: the notice, drafts and files, submissions, a late one
//! refused, a return and its resubmission, review, the public notice with feedback (a flood
//! among it) and another county's office kept out, answers, a disqualification,
//! confirmation, publication, certificates and the honor rolls.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use scraper::Selector;
use sqlx::PgPool;
use time::macros::datetime;

const BASE: &str = "/citywide/2027";

async fn office(app: &TestApp, username: &str) -> Browser {
    let mut b = Browser::new(app);
    assert_eq!(
        b.login(username, PASSWORD).await.status,
        StatusCode::SEE_OTHER,
        "{username}"
    );
    b
}

fn options(page: &Page, name: &str) -> Vec<String> {
    page.html()
        .select(&Selector::parse(&format!("select[name={name}] option")).unwrap())
        .filter_map(|o| o.value().attr("value").map(str::to_string))
        .filter(|v| !v.is_empty())
        .collect()
}

/// A county's nomination of its first nominable window or person, saved or submitted.
async fn nominate(b: &mut Browser, kind: &str, action: &str) -> (StatusCode, i64) {
    let form = b.get(&format!("{BASE}/nominations/new?kind={kind}")).await;
    let mut fields = form.form_fields("form.nomination");
    fields.push(("entrant".into(), options(&form, "entrant")[0].clone()));
    fields.push(("action".into(), action.into()));
    set_field(
        &mut fields,
        "brief",
        "全年办件1.2万件，按期办结率100%，群众满意率99.9%。",
    );
    set_field(
        &mut fields,
        "full_text",
        "推行“一窗通办”。\n全年无有效投诉。",
    );
    for (k, v) in fields.iter_mut() {
        if k.starts_with("note_") {
            *v = "经中心审核属实。".into();
        }
    }
    let res = b
        .post_fields(&format!("{BASE}/nominations?kind={kind}"), &fields)
        .await;
    let id = res
        .location()
        .and_then(|l| {
            l.trim_start_matches(&format!("{BASE}/nominations/"))
                .split('?')
                .next()
                .map(str::to_string)
        })
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (res.status, id)
}

async fn submit(b: &mut Browser, id: i64) -> Page {
    let page = b.get(&format!("{BASE}/nominations/{id}")).await;
    let mut fields = page.form_fields("form.nomination");
    fields.push(("action".into(), "submit".into()));
    b.post_fields(&format!("{BASE}/nominations/{id}"), &fields)
        .await
}

async fn status(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("select status from nomination where nomination_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The review form of a nomination with every condition verified and `decision`.
async fn review(
    app: &TestApp,
    city: &mut Browser,
    id: i64,
    kind: &str,
    decision: &[(&str, &str)],
) -> Page {
    let page = city.get(&format!("{BASE}/review?kind={kind}")).await;
    let mut fields: Vec<(String, String)> = page
        .form_fields(&format!("#n{id} form.review-form"))
        .into_iter()
        .filter(|(k, _)| k != "decision")
        .collect();
    let conditions: Vec<i64> = sqlx::query_scalar(
        "select c.citywide_condition_id from citywide_condition c join citywide_round r using (citywide_round_id)
         where r.year = 2027 and c.kind = $1",
    )
    .bind(kind)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for c in conditions {
        fields.push((format!("review_{c}"), "verified".into()));
    }
    for (k, v) in decision {
        match fields.iter_mut().find(|(n, _)| n == k) {
            Some(f) => f.1 = v.to_string(),
            None => fields.push((k.to_string(), v.to_string())),
        }
    }
    city.post_fields(&format!("{BASE}/review/{id}"), &fields)
        .await
}

async fn step(city: &mut Browser, fields: &[(&str, &str)]) -> Page {
    let token = city.csrf().await;
    let mut all = vec![("_csrf", token.as_str())];
    all.extend_from_slice(fields);
    city.post(&format!("{BASE}/phase"), &all).await
}

#[sqlx::test]
async fn a_whole_round_over_three_counties(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    pingxuan::demo_citywide::load(&app.pool).await.unwrap();

    // The notice.
    app.clock.set(datetime!(2027-11-01 09:00 +8));
    let mut city = login_as(&app, Role::Supervision).await;
    let form = city.get("/citywide/new").await;
    let mut fields = form.form_fields("form.round-form");
    set_field(&mut fields, "deadline_date", "2027-11-20");
    for sel in form
        .html()
        .select(&Selector::parse("form.round-form select").unwrap())
    {
        let chosen = sel
            .select(&Selector::parse("option[selected]").unwrap())
            .next()
            .and_then(|o| o.value().attr("value"))
            .unwrap_or("");
        fields.push((
            sel.value().attr("name").unwrap().to_string(),
            chosen.to_string(),
        ));
    }
    assert_eq!(
        city.post_fields("/citywide", &fields).await.status,
        StatusCode::SEE_OTHER
    );

    // Drafts, files and submissions in three counties.
    let mut qs = office(&app, "qs-ducha").await;
    let mut dc = office(&app, "dc-ducha").await;
    let mut xc = office(&app, "xc-ducha").await;
    assert!(
        qs.get("/supervision")
            .await
            .text(".todo")
            .contains("2027年11月20日 17:30")
    );
    let (s, qs_window) = nominate(&mut qs, "window", "save").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let uploaded = qs
        .upload(
            &format!("{BASE}/nominations/{qs_window}/files"),
            "file",
            "锦旗照片.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER);
    assert_eq!(
        submit(&mut qs, qs_window).await.status,
        StatusCode::SEE_OTHER
    );
    let (_, dc_window) = nominate(&mut dc, "window", "submit").await;
    let (_, dc_staff) = nominate(&mut dc, "staff", "submit").await;
    let (_, xc_window) = nominate(&mut xc, "window", "save").await;
    assert_eq!(status(&app, dc_staff).await, "submitted");
    // Another county's office reads nothing of them.
    assert_eq!(
        dc.get(&format!("{BASE}/nominations/{qs_window}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(!dc.get(BASE).await.body.contains("锦旗照片"));

    // After the deadline: 西城区's submission is late.
    app.clock.set(datetime!(2027-11-21 09:00 +8));
    let late = submit(&mut xc, xc_window).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("申报已截止"));
    assert_eq!(status(&app, xc_window).await, "draft");

    // Review: 东城区's person returned, corrected and resubmitted; all accepted.
    assert_eq!(
        step(&mut city, &[("from", "nomination")]).await.status,
        StatusCode::SEE_OTHER
    );
    let returned = review(
        &app,
        &mut city,
        dc_staff,
        "staff",
        &[
            ("decision", "return"),
            ("reason", "请补充到岗证明"),
            ("deadline_date", "2027-11-24"),
        ],
    )
    .await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER);
    app.clock.set(datetime!(2027-11-22 10:00 +8));
    assert!(
        dc.get("/supervision")
            .await
            .text(".todo")
            .contains("被退回补正")
    );
    assert_eq!(
        submit(&mut dc, dc_staff).await.status,
        StatusCode::SEE_OTHER
    );
    for (id, kind) in [
        (qs_window, "window"),
        (dc_window, "window"),
        (dc_staff, "staff"),
    ] {
        let res = review(&app, &mut city, id, kind, &[("decision", "accept")]).await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "{id}: {}",
            res.texts(".error, .form-error").join(" ")
        );
    }

    // The public notice, Friday 26 to Thursday 2 December (five working days).
    let started = step(
        &mut city,
        &[
            ("from", "review"),
            ("notice_starts", "2027-11-26"),
            ("notice_ends", "2027-12-02"),
        ],
    )
    .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    app.clock.set(datetime!(2027-11-29 10:00 +8));
    let mut public = Browser::new(&app);
    let notice = public.get("/gongshi/2027").await;
    assert_eq!(notice.texts(".honor-card").len(), 3);
    let send = async |b: &mut Browser, nominee: i64, body: &str, phone: &str| {
        let form = b.get("/gongshi/2027/feedback").await;
        let mut fields = form.form_fields("form.feedback-form");
        fields.push(("nominee".into(), nominee.to_string()));
        set_field(&mut fields, "body", body);
        set_field(&mut fields, "real_name", "王芳");
        set_field(&mut fields, "telephone", phone);
        b.post_fields("/gongshi/2027/feedback", &fields).await
    };
    let critical = send(
        &mut public,
        dc_window,
        "该窗口10月曾多次无人值守。",
        "13600000000",
    )
    .await;
    assert_eq!(critical.status, StatusCode::OK);
    let mut flood = StatusCode::OK;
    for i in 0..30 {
        flood = send(&mut public, qs_window, "好", &format!("1350000{i:04}"))
            .await
            .status;
    }
    assert_eq!(
        flood,
        StatusCode::TOO_MANY_REQUESTS,
        "the 31st from one address"
    );
    assert_eq!(
        dc.get(&format!("{BASE}/feedback")).await.status,
        StatusCode::NOT_FOUND
    );

    // Answers and a disqualification, on the record.
    let token = city.csrf().await;
    let ids: Vec<(i64, i64)> = sqlx::query_as(
        "select f.notice_feedback_id, f.nomination_id from notice_feedback f
             join citywide_round r using (citywide_round_id) where r.year = 2027",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for (f, n) in &ids {
        let (answer, note) = if *n == dc_window {
            ("substantiated", "经查监控属实。")
        } else {
            ("unrelated", "表扬，与资格无关。")
        };
        let res = city
            .post(
                &format!("{BASE}/feedback/{f}/answer"),
                &[("_csrf", &token), ("answer", answer), ("note", note)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
    }
    let dq = city
        .post(
            &format!("{BASE}/disqualify/{dc_window}"),
            &[
                ("_csrf", &token),
                ("reason", "反映的无人值守问题经查属实。"),
            ],
        )
        .await;
    assert_eq!(dq.status, StatusCode::SEE_OTHER);

    // Confirmation and publication.
    app.clock.set(datetime!(2027-12-03 09:00 +8));
    assert_eq!(
        step(&mut city, &[("from", "notice")]).await.status,
        StatusCode::SEE_OTHER
    );
    let mut leader = office(&app, "zuzhang").await;
    let confirm = leader.get(&format!("{BASE}/confirm")).await;
    assert_eq!(confirm.texts("tbody th").len(), 2);
    let ltoken = leader.csrf().await;
    assert_eq!(
        leader
            .post(&format!("{BASE}/publish"), &[("_csrf", &ltoken)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let numbers: Vec<String> = sqlx::query_scalar(
        "select h.certificate_no from citywide_honor h join citywide_round r using (citywide_round_id)
         where r.year = 2027 order by h.citywide_honor_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(numbers.len(), 2);
    for n in &numbers {
        assert!(
            public
                .get(&format!("/verify/{n}"))
                .await
                .body
                .contains("证书有效")
        );
    }
    assert_eq!(public.get("/gongshi/2027").await.text("h1"), "表彰名单");
    let honors = city.get(&format!("{BASE}/honors")).await;
    assert_eq!(honors.status, StatusCode::OK);
    // Each county's honor roll shows its own.
    for (code, shown) in [
        ("shifan-qingshan", true),
        ("shifan-dongcheng", true),
        ("shifan-xicheng", false),
    ] {
        let county = spawn_with(
            pool.clone(),
            pingxuan::config::Config {
                public_center: Some(code.into()),
                ..Default::default()
            },
        )
        .await;
        let roll = Browser::new(&county).get("/honor-roll").await;
        assert_eq!(roll.body.contains("2027年度全市评选"), shown, "{code}");
    }
}
