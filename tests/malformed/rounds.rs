//! The forms of the city-wide round and of the itemized assessment, each hammered in the
//! phase it belongs to, once the form before has left what it needs.

use std::fmt::Write as _;

use crate::common::*;
use crate::sweep::*;
use sqlx::PgPool;

/// The city-wide round's forms, as the city's office, a county's office and the public
/// fill them in, each hammered in the phase it belongs to.
#[sqlx::test]
async fn every_field_of_the_city_wide_rounds_forms_refuses_forty_malformed_values(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    app.clock.set(time::macros::datetime!(2026-12-10 09:00 +8));
    let mut city = Browser::new(&app);
    city.login("ducha", PASSWORD).await;
    let mut county = Browser::new(&app);
    county.login("qs-ducha", PASSWORD).await;
    let mut public = Browser::new(&app);
    let window = first_id(
        &app,
        "select min(w.window_id) from service_window w join center c using (center_id)
         where c.code = 'shifan-qingshan' and w.active",
    )
    .await;
    let mut report = String::new();
    let mut all = Tally::default();
    let mut run = async |who: &str, t: Target<'_>| {
        let b = match who {
            "city" => &mut city,
            "county" => &mut county,
            _ => &mut public,
        };
        let mut tally = Tally::default();
        hammer(&app, b, &t, &mut tally).await;
        writeln!(
            report,
            "{:<16} fields {:>2}  sent {:>5}  5xx {}  changed {}  accepted {}  with message {}",
            t.name,
            tally.fields,
            tally.sent,
            tally.server_errors,
            tally.changed,
            tally.accepted,
            tally.with_message
        )
        .unwrap();
        all.sent += tally.sent;
        all.problems.extend(tally.problems);
    };
    run(
        "city",
        Target {
            name: "round notice",
            page: "/citywide/new".into(),
            form: "form.round-form",
            fill: vec![("deadline_date", "2026-12-20".into())],
            // Condition rows are alike: the first of each kind stands for the rest.
            skip: ["window", "staff"]
                .iter()
                .flat_map(|k| {
                    (2..=6).flat_map(move |i| {
                        ["text", "rule", "count", "since"].map(move |f| format!("cond_{k}_{i}_{f}"))
                    })
                })
                .map(|s| &*s.leak())
                .collect(),
            ..Default::default()
        },
    )
    .await;
    run(
        "county",
        Target {
            name: "new nomination",
            page: "/citywide/2026/nominations/new?kind=window".into(),
            form: "form.nomination",
            fill: vec![("entrant", window.to_string())],
            ..Default::default()
        },
    )
    .await;
    let nomination = first_id(&app, "select min(nomination_id) from nomination").await;
    run(
        "county",
        Target {
            name: "nomination",
            page: format!("/citywide/2026/nominations/{nomination}"),
            form: "form.nomination",
            ..Default::default()
        },
    )
    .await;
    run(
        "city",
        Target {
            name: "review",
            page: "/citywide/2026/review?kind=window".into(),
            form: "form.review-form",
            setup: Some(
                "update nomination set status = 'submitted', submitted_at = now();
                 update citywide_round set phase = 'review';",
            ),
            ..Default::default()
        },
    )
    .await;
    run(
        "public",
        Target {
            name: "notice feedback",
            page: "/gongshi/2026/feedback".into(),
            form: "form.feedback-form",
            fill: vec![
                ("nominee", nomination.to_string()),
                ("body", "该窗口服务热情。".into()),
                ("real_name", "李明".into()),
                ("telephone", "13800000000".into()),
            ],
            // The honeypot: whatever fills it is answered as if taken, and nothing is kept.
            skip: vec!["website"],
            setup: Some(
                "update nomination set status = 'accepted';
                 update citywide_round set phase = 'notice', notice_starts = '2026-12-09',
                        notice_ends = '2026-12-16';",
            ),
            ..Default::default()
        },
    )
    .await;
    run(
        "city",
        Target {
            name: "feedback record",
            page: "/citywide/2026/feedback".into(),
            form: "form.record-form",
            fill: vec![
                ("nominee", nomination.to_string()),
                ("source", "letter".into()),
                ("body", "来信反映该窗口办事效率高。".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    run(
        "city",
        Target {
            name: "feedback answer",
            page: "/citywide/2026/feedback".into(),
            form: "form.answer-form",
            fill: vec![
                ("answer", "unfounded".into()),
                ("note", "经核实不属实。".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    run(
        "city",
        Target {
            name: "disqualify",
            page: "/citywide/2026/feedback".into(),
            form: "form.disqualify-form",
            fill: vec![("reason", "经查实，取消评选资格。".into())],
            ..Default::default()
        },
    )
    .await;
    println!("{report}");
    assert!(all.sent > 0);
    assert!(
        all.problems.is_empty(),
        "{} problems:\n{}",
        all.problems.len(),
        all.problems
            .iter()
            .take(200)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The itemized assessment's forms: the rules, a record, its cancelling and the month's
/// fill, each hammered once the one before has left what it needs.
#[sqlx::test]
async fn every_field_of_the_assessment_forms_refuses_forty_malformed_values(pool: PgPool) {
    let app = spawn(pool).await;
    app.clock.set(time::macros::datetime!(2026-12-10 09:00 +8));
    let mut ducha = login_as(&app, pingxuan::domain::Role::Supervision).await;
    let staff = first_id(
        &app,
        "select staff_id from account where username = 'staff002'",
    )
    .await;
    let mut report = String::new();
    let mut all = Tally::default();
    let mut me = Browser::new(&app);
    me.login("staff002", PASSWORD).await;
    let mut run = async |t: Target<'_>| {
        let mut tally = Tally::default();
        // The appeal is the person's; every other form the office's.
        let b = if t.name == "appeal" {
            &mut me
        } else {
            &mut ducha
        };
        hammer(&app, b, &t, &mut tally).await;
        writeln!(
            report,
            "{:<16} fields {:>2}  sent {:>5}  5xx {}  changed {}  accepted {}  with message {}",
            t.name,
            tally.fields,
            tally.sent,
            tally.server_errors,
            tally.changed,
            tally.accepted,
            tally.with_message
        )
        .unwrap();
        all.sent += tally.sent;
        all.problems.extend(tally.problems);
    };
    run(Target {
        name: "rules",
        page: "/assessment/rules/staff".into(),
        form: "form.rules-form",
        fill: vec![("effective_from", "2026-12".into())],
        ..Default::default()
    })
    .await;
    let standard = first_id(
        &app,
        "select min(assessment_standard_id) from assessment_standard",
    )
    .await;
    run(Target {
        name: "record",
        page: format!("/assessment/records/new?target=s{staff}"),
        form: "form[enctype]",
        fill: vec![
            ("note", "8:42 到岗".into()),
            ("standard", standard.to_string()),
        ],
        // A file input is sent as a file part, never as typed text; its bytes are the
        // photo checks' (tests/assessment.rs).
        skip: vec!["photo"],
        ..Default::default()
    })
    .await;
    let record = first_id(
        &app,
        "select min(assessment_record_id) from assessment_record",
    )
    .await;
    // The person appeals it, and the office reviews the appeal.
    run(Target {
        name: "appeal",
        page: format!("/assessment/records/{record}"),
        form: "form.appeal-form",
        fill: vec![("appeal_reason", "当天系经批准的请假".into())],
        // A file input is sent as a file part, never as typed text.
        skip: vec!["appeal_file"],
        ..Default::default()
    })
    .await;
    run(Target {
        name: "appeal decision",
        page: format!("/assessment/records/{record}"),
        form: "form.decide-form",
        fill: vec![
            ("decision", "upheld".into()),
            ("decision_reason", "现场照片属实".into()),
        ],
        ..Default::default()
    })
    .await;
    run(Target {
        name: "record cancel",
        page: format!("/assessment/records/{record}"),
        form: "form[action$='/cancel']",
        fill: vec![("reason", "记错了人".into())],
        ..Default::default()
    })
    .await;
    run(Target {
        name: "month fill",
        page: "/assessment/month/2026-12".into(),
        form: "form.fill",
        ..Default::default()
    })
    .await;
    println!("{report}");
    assert!(all.sent > 0);
    assert!(
        all.problems.is_empty(),
        "{} problems:\n{}",
        all.problems.len(),
        all.problems
            .iter()
            .take(200)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
