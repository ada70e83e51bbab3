//! Suite 7 of issue 6: every field of the forms that change the evaluation, sent in at
//! least 40 malformed ways while the rest of the form is valid (the same form, sent as it
//! is, succeeds at the end: so each refusal is the malformed field's). Each answer must be
//! below 500, change no row (a checksum of every table a form could change), and carry a
//! Chinese message: the form shown again with it, or, for a field no one types (hidden
//! fields, bytes no browser sends), the Chinese error page.

#[path = "../common/mod.rs"]
mod common;
mod rounds;
mod sweep;

use std::fmt::Write as _;

use common::*;
use sqlx::PgPool;
use sweep::*;

#[sqlx::test]
async fn every_field_of_every_form_refuses_forty_malformed_values(pool: PgPool) {
    let app = spawn(pool).await;
    pingxuan::demo_rounds::load(&app.pool).await.unwrap();
    demo_city_types_totals(&app).await;
    let mut ducha = Browser::new(&app);
    ducha.login("ducha", PASSWORD).await;
    let mut admin = Browser::new(&app);
    admin.login("admin", PASSWORD).await;
    let mut head = Browser::new(&app);
    head.login("head02", PASSWORD).await;
    let mut leader = Browser::new(&app);
    leader.login("yewuke", PASSWORD).await;
    let mut staff = Browser::new(&app);
    staff.login("staff002", PASSWORD).await;
    let mut group_leader = Browser::new(&app);
    group_leader.login("zuzhang", PASSWORD).await;
    // Windows 5 and 6 of the voting quarter share their assessment score; no ballot names
    // them and no window is rated below, so they tie across the boundary of five.
    let w5 = first_id(
        &app,
        "select window_id from service_window where number = '5' order by window_id limit 1",
    )
    .await;
    // An open quarter for the forms of the entry phase.
    assert!(
        ducha
            .post("/periods", &[("code", "2026-Q4")])
            .await
            .status
            .is_redirection()
    );
    let window = first_id(&app, "select min(window_id) from service_window").await;
    let staff_id = first_id(&app, "select min(staff_id) from staff where active").await;
    let department = first_id(&app, "select min(department_id) from department").await;
    let area = first_id(&app, "select min(business_area_id) from business_area").await;
    let account = first_id(
        &app,
        "select account_id from account where username = 'head05'",
    )
    .await;
    let scheme = first_id(&app, "select min(scheme_id) from scheme").await;
    // A staff member far from the published quarter's boundary: a veto found after
    // publication changes no winner and no tie.
    let outsider = first_id(
        &app,
        "select max(staff_id) from staff where staff_id not in (select staff_id from honor where staff_id is not null)",
    )
    .await;

    let mut report = String::new();
    let mut all = Tally::default();
    let targets: Vec<(&str, Target)> = vec![
        (
            "ducha",
            Target {
                name: "monthly scores",
                page: "/scores/2026-10".into(),
                form: "form.score-grid",
                may_be_missing: vec!["c", "o", "v"],
                cell: Some("95.50"),
                ..Default::default()
            },
        ),
        (
            "ducha",
            Target {
                name: "new period",
                page: "/periods/new?code=2027-Q1".into(),
                form: "main form[method=post]",
                fill: vec![("code", "2027-Q1".into())],
                ..Default::default()
            },
        ),
        (
            "ducha",
            Target {
                name: "veto",
                page: "/periods/2026-Q4/vetoes".into(),
                form: "form[novalidate]:not(.revoke)",
                fill: vec![
                    ("target", format!("w{window}")),
                    ("code", "overdue_case".into()),
                    ("occurred_on", "2026-10-15".into()),
                    (
                        "description",
                        "10月15日一件业务超期办结，经核实系窗口原因".into(),
                    ),
                    ("evidence", "督查通报".into()),
                ],
                ..Default::default()
            },
        ),
        (
            "ducha",
            Target {
                name: "duty days",
                page: "/periods/2026-Q4/duty-days".into(),
                form: "form.score-grid",
                may_be_missing: vec!["c", "o", "v"],
                cell: Some("60"),
                valid: vec!["101"],
                extra: vec!["367", "1000"],
                ..Default::default()
            },
        ),
        (
            "head",
            Target {
                name: "window ballot",
                page: "/ballot".into(),
                form: "#window form",
                fill: vec![("c", "W1".into())],
                // An empty ballot is a valid ballot.
                may_be_missing: vec!["c"],
                post_to: Some("/ballot"),
                ..Default::default()
            },
        ),
        (
            "staff",
            Target {
                name: "password change",
                page: "/account/password".into(),
                form: "main form[method=post]",
                fill: vec![
                    ("current", PASSWORD.into()),
                    ("new", "Neues-Passwort-2026".into()),
                    ("confirm", "Neues-Passwort-2026".into()),
                ],
                reset: Some("delete from login_throttle"),
                twin: Some(("new", "confirm")),
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "department",
                page: format!("/admin/departments/{department}"),
                form: "form.edit-form, main form[method=post]",
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "business area",
                page: format!("/admin/business-areas/{area}"),
                form: "form.edit-form, main form[method=post]",
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "window",
                page: format!("/admin/windows/{window}"),
                form: "form.edit-form, main form[method=post]",
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "staff member",
                page: format!("/admin/staff/{staff_id}"),
                form: "form.edit-form, main form[method=post]",
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "account",
                page: format!("/admin/accounts/{account}"),
                form: "form.edit-form, main form[method=post]",
                // A window head's account: the staff select box is not read for that role
                // (the form always carries it), so nothing in it can be refused.
                skip: vec!["staff_id"],
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "scheme",
                page: format!("/admin/schemes/{scheme}"),
                form: "form.edit-form, main form[method=post]",
                ..Default::default()
            },
        ),
        (
            "ducha",
            Target {
                name: "veto revoked",
                page: "/periods/2026-Q4/vetoes".into(),
                form: "form.revoke",
                fill: vec![("reason", "复核后撤销：经核实不属实".into())],
                ..Default::default()
            },
        ),
        (
            "ducha",
            Target {
                name: "phase change",
                page: "/periods/2026-Q4/phase?to=candidates".into(),
                form: "main form[method=post]",
                ..Default::default()
            },
        ),
        (
            "leader",
            Target {
                name: "ratings",
                page: "/ratings".into(),
                form: "form.score-grid",
                may_be_missing: vec!["r"],
                cell: Some("91.25"),
                // The ballots above are cast: the vote closes and the rating opens, with
                // its raters fixed as the phase move fixes them.
                setup: Some(
                    "update period set phase = 'rating', updated_at = now() where code = '2026-Q3';
                     insert into round_member (center_id, period_id, duty, account_id)
                     select a.center_id, p.period_id, 'rater', a.account_id from account a
                     join period p on p.center_id = a.center_id and p.code = '2026-Q3'
                     where a.role = 'leadership' and a.active on conflict do nothing",
                ),
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "new department",
                page: "/admin/departments/new".into(),
                form: "main form[method=post]",
                fill: vec![
                    ("name", "测试新增进驻单位".into()),
                    ("sort_order", "90".into()),
                ],
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "new business area",
                page: "/admin/business-areas/new".into(),
                form: "main form[method=post]",
                fill: vec![
                    ("name", "测试新增业务范围".into()),
                    ("sort_order", "90".into()),
                ],
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "new window",
                page: "/admin/windows/new".into(),
                form: "main form[method=post]",
                fill: vec![
                    ("number", "88".into()),
                    ("name", "测试新增窗口".into()),
                    ("department_id", department.to_string()),
                    ("business_area_id", area.to_string()),
                ],
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "new staff member",
                page: "/admin/staff/new".into(),
                form: "main form[method=post]",
                fill: vec![
                    ("name", "测试新增人员".into()),
                    ("employee_no", "T0001".into()),
                    ("window_id", window.to_string()),
                    ("position", "综合受理岗".into()),
                ],
                ..Default::default()
            },
        ),
        (
            "admin",
            Target {
                name: "new account",
                page: "/admin/accounts/new".into(),
                form: "main form[method=post]",
                fill: vec![
                    ("username", "testnew01".into()),
                    ("display_name", "测试新增账号".into()),
                    ("role", "leadership".into()),
                ],
                // A leadership account: its window and staff select boxes are not read.
                skip: vec!["window_id", "staff_id"],
                ..Default::default()
            },
        ),
        (
            "group_leader",
            Target {
                name: "tie decision",
                page: "/results/2026-Q3".into(),
                form: "#window form",
                fill: vec![
                    ("chosen", format!("W{w5}")),
                    ("reason", "领导小组审定：该窗口本季度群众满意度更高".into()),
                ],
                // The rating closes: the round is in review, with its tie.
                setup: Some(
                    "update period set phase = 'review', updated_at = now() where code = '2026-Q3'",
                ),
                ..Default::default()
            },
        ),
        (
            "ducha",
            Target {
                name: "correction",
                page: "/periods/2026-Q2/corrections".into(),
                form: "main form[novalidate]",
                fill: vec![
                    ("target", format!("s{outsider}")),
                    ("code", "verified_complaint".into()),
                    ("occurred_on", "2026-05-20".into()),
                    (
                        "description",
                        "群众投诉经查证属实，发布后由纪检部门通报".into(),
                    ),
                    ("reason", "发布后收到纪检部门通报".into()),
                    // Sent from the confirmation step, as its 确认更正 button does.
                    ("confirmed", "1".into()),
                ],
                // Any other value of the button only shows the confirmation page again,
                // which writes nothing.
                skip: vec!["confirmed"],
                ..Default::default()
            },
        ),
        (
            "ducha",
            Target {
                name: "score correction",
                page: "/scores/2026-04?tab=staff&mode=correct".into(),
                form: "form.score-grid",
                fill: vec![("reason", "核对原始记录后更正".into())],
                may_be_missing: vec!["c", "o", "v"],
                cell: Some("77.77"),
                cell_id: Some(outsider.to_string()),
                ..Default::default()
            },
        ),
    ];
    for (who, t) in &targets {
        let b = match *who {
            "ducha" => &mut ducha,
            "admin" => &mut admin,
            "head" => &mut head,
            "leader" => &mut leader,
            "group_leader" => &mut group_leader,
            _ => &mut staff,
        };
        let mut tally = Tally::default();
        hammer(&app, b, t, &mut tally).await;
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
        all.fields += tally.fields;
        all.sent += tally.sent;
        all.server_errors += tally.server_errors;
        all.changed += tally.changed;
        all.accepted += tally.accepted;
        all.with_message += tally.with_message;
        all.problems.extend(tally.problems);
    }
    println!("{report}");
    println!(
        "all: {} fields, {} malformed requests, 5xx {}, rows changed {}, accepted {}, with a Chinese message {}",
        all.fields, all.sent, all.server_errors, all.changed, all.accepted, all.with_message
    );
    assert!(
        all.problems.is_empty(),
        "{} problems:\n{}",
        all.problems.len(),
        all.problems
            .iter()
            .take(400)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
