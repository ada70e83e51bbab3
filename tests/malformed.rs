//! Suite 7 of issue 6: every field of the forms that change the evaluation, sent in at
//! least 40 malformed ways while the rest of the form is valid (the same form, sent as it
//! is, succeeds at the end: so each refusal is the malformed field's). Each answer must be
//! below 500, change no row (a checksum of every table a form could change), and carry a
//! Chinese message: the form shown again with it, or, for a field no one types (hidden
//! fields, bytes no browser sends), the Chinese error page.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use common::*;
use scraper::{Html, Selector};
use sqlx::PgPool;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Typed by a person: names, passwords, numbers typed as text.
    Text,
    /// Typed into a multi-line box: line breaks are valid (they become spaces).
    Paragraph,
    /// A number typed into a grid or a form (scores, days, weights).
    Number,
    /// A date typed as 2026-03-12.
    Date,
    /// A select box.
    Choice,
    /// A hidden field: a person never types it.
    Hidden,
}

/// One malformed value of a field.
#[derive(Clone, Debug)]
enum Bad {
    /// This value, percent-encoded as a browser would.
    Value(Vec<u8>),
    /// These bytes, verbatim in the body (broken percent-encoding).
    Raw(&'static str),
    /// The field left out.
    Missing,
    /// The field twice: its valid value and this one.
    Twice(&'static str),
}

/// The malformed values of a field of `kind`: at least 40 for every kind.
fn variants(kind: Kind) -> Vec<(String, Bad)> {
    let mut v: Vec<(String, Bad)> = Vec::new();
    // Control characters inside an otherwise ordinary value: every C0 control, DEL and C1.
    for c in (0u32..0x20)
        .chain([0x7f, 0x85, 0x9f])
        .filter(|c| kind != Kind::Paragraph || (*c != 0x0a && *c != 0x0d))
    {
        let ch = char::from_u32(c).unwrap();
        v.push((
            format!("control U+{c:04X}"),
            Bad::Value(format!("9{ch}1").into_bytes()),
        ));
    }
    // Bytes that are not UTF-8.
    for (label, bytes) in [
        ("0xFF", &b"\xff"[..]),
        ("0xFE 0xFF", b"\xfe\xff"),
        ("overlong NUL", b"\xc0\x80"),
        ("lone continuation", b"9\x80"),
        ("truncated 3-byte", b"\xe4\xb8"),
        ("encoded surrogate", b"\xed\xa0\x80"),
        ("5-byte form", b"\xf8\x88\x80\x80\x80"),
        ("beyond U+10FFFF", b"\xf4\x90\x80\x80"),
        ("valid then invalid", "窗\u{7a97}".as_bytes()),
    ] {
        let mut b = bytes.to_vec();
        if label == "valid then invalid" {
            b.push(0xff);
        }
        v.push((format!("invalid UTF-8 {label}"), Bad::Value(b)));
    }
    v.push((
        "10,000 characters".into(),
        Bad::Value("x".repeat(10_000).into_bytes()),
    ));
    v.push((
        "5,000 Chinese characters".into(),
        Bad::Value("窗".repeat(5_000).into_bytes()),
    ));
    v.push((
        "10,000 digits".into(),
        Bad::Value("9".repeat(10_000).into_bytes()),
    ));
    // A lone or unknown escape stays as it is (WHATWG's form decoding): "%" is a valid
    // name, but not a number. Escapes of bytes that are not UTF-8 or control characters
    // are malformed anywhere.
    for raw in ["%e4%b8", "%00", "%ff%fe", "%c0%80"] {
        v.push((format!("percent-encoded {raw}"), Bad::Raw(raw)));
    }
    if !matches!(kind, Kind::Text | Kind::Paragraph) {
        for raw in ["%", "%zz", "9%", "%%"] {
            v.push((format!("broken percent-encoding {raw}"), Bad::Raw(raw)));
        }
    }
    v.push(("missing".into(), Bad::Missing));
    v.push(("twice".into(), Bad::Twice("9")));
    if !matches!(kind, Kind::Text | Kind::Paragraph) {
        for s in [
            "-1",
            "101",
            "100.001",
            "NaN",
            "inf",
            "-inf",
            "1e309",
            "1e2",
            "-0.01",
            "１００",
            "٩٩",
            "0x5A",
            "1,5",
            "99.999",
            "+-5",
            "9 9",
            "½",
            "Ⅻ",
            "' OR '1'='1",
            "1; drop table account; --",
            "<script>alert(1)</script>",
            "\"><img src=x onerror=alert(1)>",
            "null",
            "true",
            "[]",
            "{}",
            "99999999999999999999999999",
            "-9223372036854775809",
            "1e-400",
            "9.9.9",
        ] {
            v.push((format!("{s:?}"), Bad::Value(s.as_bytes().to_vec())));
        }
    }
    if kind == Kind::Date {
        for s in [
            "2026-13-01",
            "2026-02-30",
            "0000-01-01",
            "2026/10/15",
            "15-10-2026",
            "2026-10-15T00:00",
            "2101-01-01",
            "2026年10月15日",
        ] {
            v.push((format!("{s:?}"), Bad::Value(s.as_bytes().to_vec())));
        }
    }
    v
}

/// A form as the page renders it: every field a browser would send, with its type.
struct Form {
    action: String,
    fields: Vec<(String, String)>,
    kinds: BTreeMap<String, Kind>,
}

fn read_form(page: &Page, selector: &str) -> Form {
    let doc = Html::parse_document(&page.body);
    let form = doc
        .select(&Selector::parse(selector).unwrap())
        .next()
        .unwrap_or_else(|| panic!("no {selector} in {}", page.body));
    let action = form.value().attr("action").unwrap_or("").to_string();
    let mut fields = Vec::new();
    let mut kinds = BTreeMap::new();
    for e in form.select(&Selector::parse("input[name], select[name], textarea[name]").unwrap()) {
        let name = e.value().attr("name").unwrap().to_string();
        let (value, kind) = match e.value().name() {
            "select" => {
                let chosen = e
                    .select(&Selector::parse("option[selected]").unwrap())
                    .next()
                    .or_else(|| e.select(&Selector::parse("option").unwrap()).next());
                (
                    chosen
                        .and_then(|o| o.value().attr("value"))
                        .unwrap_or("")
                        .to_string(),
                    Some(Kind::Choice),
                )
            }
            "textarea" => (e.text().collect::<String>(), Some(Kind::Paragraph)),
            _ => {
                let value = e.value().attr("value").unwrap_or("").to_string();
                match e.value().attr("type").unwrap_or("text") {
                    "checkbox" | "radio" => {
                        if e.value().attr("checked").is_none() {
                            continue;
                        }
                        (value, None)
                    }
                    "hidden" => (value, Some(Kind::Hidden)),
                    _ => match e.value().attr("inputmode") {
                        Some("decimal" | "numeric") => (value, Some(Kind::Number)),
                        _ => (value, Some(Kind::Text)),
                    },
                }
            }
        };
        if let Some(k) = kind.filter(|_| name != "_csrf") {
            kinds.insert(name.clone(), k);
        }
        fields.push((name, value));
    }
    Form {
        action,
        fields,
        kinds,
    }
}

fn encode_bytes(b: &[u8]) -> String {
    percent_encoding::percent_encode(b, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The body of `fields` with the fields named in `replaced` replaced by `bad`.
fn body_with(fields: &[(String, String)], replaced: &[&str], bad: &Bad) -> Vec<u8> {
    let mut parts = Vec::new();
    for (k, v) in fields {
        let key = encode_bytes(k.as_bytes());
        if !replaced.contains(&k.as_str()) {
            parts.push(format!("{key}={}", encode_bytes(v.as_bytes())));
            continue;
        }
        match bad {
            Bad::Value(b) => parts.push(format!("{key}={}", encode_bytes(b))),
            Bad::Raw(r) => parts.push(format!("{key}={r}")),
            Bad::Missing => {}
            Bad::Twice(other) => {
                parts.push(format!("{key}={}", encode_bytes(v.as_bytes())));
                parts.push(format!("{key}={}", encode_bytes(other.as_bytes())));
            }
        }
    }
    parts.join("&").into_bytes()
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The Chinese message on a page: of a form shown again (error summary, a field's error,
/// an alert) or of the error page.
fn message(page: &Page, form_again: Option<&str>) -> Option<String> {
    let selectors = if form_again.is_some() {
        ".error-summary, .form-error, p.error, span.error, [role=alert]"
    } else {
        ".error-summary, .form-error, p.error, span.error, [role=alert], .error-card, .notice"
    };
    let doc = page.html();
    // The form itself, shown again (every signed-in page also has the sign-out form).
    if let Some(form) = form_again
        && doc.select(&Selector::parse(form).unwrap()).next().is_none()
    {
        return None;
    }
    doc.select(&Selector::parse(selectors).unwrap())
        .map(|e| e.text().collect::<String>())
        .find(|t| has_chinese(t))
}

/// What one target's hammering found.
#[derive(Default)]
struct Tally {
    fields: usize,
    sent: usize,
    server_errors: usize,
    changed: usize,
    accepted: usize,
    with_message: usize,
    problems: Vec<String>,
}

/// One form: who fills it in, where it is, which fields to leave out of the hammering
/// (`skip`), and which valid values to fill in first (`fill`).
#[derive(Default)]
struct Target<'a> {
    name: &'a str,
    page: String,
    form: &'a str,
    fill: Vec<(&'a str, String)>,
    /// Fields whose leaving out is itself valid (a grid's untyped cell; an empty ballot).
    may_be_missing: Vec<&'a str>,
    /// Fields not hammered, with the reason in a comment where the target is made.
    skip: Vec<&'a str>,
    /// Where the form is finally sent, when not its own action (a ballot's review step
    /// stores nothing; its submission does).
    post_to: Option<&'a str>,
    /// Run before each request: wrong current passwords are guesses, and the throttle that
    /// stops guessing would otherwise refuse the rest for its own reason.
    reset: Option<&'a str>,
    /// A value typed into the grid's first cell, so that saving it really writes.
    cell: Option<&'a str>,
    /// Values of the common list that are valid for this form's numbers (101 duty days),
    /// and what stands in for them (367).
    valid: Vec<&'a str>,
    extra: Vec<&'a str>,
    /// Brings the center to the phase this form belongs to.
    setup: Option<&'a str>,
    /// The grid cell that stands for all (else the first).
    cell_id: Option<String>,
    /// Fields typed twice (a new password and its confirmation): a malformed value goes
    /// into both, so that it is refused for itself, not for the two differing.
    twin: Option<(&'a str, &'a str)>,
}

async fn hammer(app: &TestApp, b: &mut Browser, t: &Target<'_>, tally: &mut Tally) {
    if let Some(sql) = t.setup {
        sqlx::raw_sql(sql).execute(&app.pool).await.unwrap();
    }
    let page = b.get(&t.page).await;
    assert_eq!(page.status, 200, "{}: {}", t.name, t.page);
    let mut form = read_form(&page, t.form);
    if let Some(to) = t.post_to {
        form.action = to.to_string();
    }
    for (k, v) in &t.fill {
        match form.fields.iter_mut().find(|(n, _)| n == k) {
            Some(f) => f.1 = v.clone(),
            None => {
                // A box ticked: its value is the page's, never typed (like a hidden field).
                form.fields.push((k.to_string(), v.clone()));
                form.kinds.insert(k.to_string(), Kind::Hidden);
            }
        }
    }
    // In a grid every cell is the same field: its first row stands for all. A cell is
    // c12 (score or days), r W3 (rating) and their hidden o12/v12 companions.
    fn cell(n: &str) -> Option<(char, &str)> {
        let prefix = n.chars().next()?;
        let id = &n[1..];
        let digits = id.strip_prefix(['W', 'S']).unwrap_or(id);
        ("corv".contains(prefix)
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some((prefix, id))
    }
    let first_cell = form
        .kinds
        .keys()
        .filter_map(|n| cell(n).filter(|(p, _)| *p == 'c' || *p == 'r'))
        .find(|(_, id)| t.cell_id.as_deref().is_none_or(|want| want == *id))
        .map(|(p, id)| (p, id.to_string()));
    let is_other_cell = |n: &str| {
        first_cell
            .as_ref()
            .is_some_and(|(_, first)| cell(n).is_some_and(|(_, id)| id != first))
    };
    if let (Some(value), Some((prefix, first))) = (t.cell, &first_cell) {
        let name = format!("{prefix}{first}");
        form.fields
            .iter_mut()
            .find(|(n, _)| *n == name)
            .expect("the first cell")
            .1 = value.to_string();
    }
    let before = checksum(&app.pool).await;
    let targets: Vec<(String, Kind)> = form
        .kinds
        .iter()
        .filter(|(n, _)| !t.skip.contains(&n.as_str()) && !is_other_cell(n))
        .map(|(n, k)| (n.clone(), *k))
        .collect();
    assert!(!targets.is_empty(), "{}: no fields", t.name);
    for (field, kind) in &targets {
        tally.fields += 1;
        let mut list: Vec<(String, Bad)> = variants(*kind)
            .into_iter()
            .filter(|(label, _)| !t.valid.iter().any(|v| *label == format!("{v:?}")))
            .collect();
        if !matches!(kind, Kind::Text | Kind::Paragraph) {
            for e in &t.extra {
                list.push((format!("{e:?}"), Bad::Value(e.as_bytes().to_vec())));
            }
        }
        assert!(list.len() >= 40, "{field}: only {} variants", list.len());
        for (label, bad) in list {
            if matches!(bad, Bad::Missing) && t.may_be_missing.iter().any(|m| field.starts_with(m))
            {
                continue;
            }
            if let Some(sql) = t.reset {
                sqlx::query(sql).execute(&app.pool).await.unwrap();
            }
            let replaced: Vec<&str> = match t.twin {
                Some((a, b)) if field == a || field == b => vec![a, b],
                _ => vec![field.as_str()],
            };
            let body = body_with(&form.fields, &replaced, &bad);
            let sent_len = body.len();
            let res = b
                .post_raw(&form.action, "application/x-www-form-urlencoded", body)
                .await;
            tally.sent += 1;
            let what = format!("{}: {field} {label}", t.name);
            if res.status.is_server_error() {
                tally.server_errors += 1;
                tally.problems.push(format!("{what}: {}", res.status));
                continue;
            }
            if checksum(&app.pool).await != before {
                tally.changed += 1;
                tally
                    .problems
                    .push(format!("{what}: rows changed ({})", res.status));
                return;
            }
            if !res.status.is_client_error() {
                tally.accepted += 1;
                tally.problems.push(format!(
                    "{what}: accepted ({} {:?})",
                    res.status,
                    res.location()
                ));
                continue;
            }
            // A person typed it: the form again. Bytes no browser sends, or a hidden field:
            // the form again or the error page.
            // A body past the 64 KiB a form may send is refused as a whole, with the
            // Chinese 413 page (two long password fields at once, say).
            let typed = matches!(bad, Bad::Value(ref v) if std::str::from_utf8(v).is_ok())
                && *kind != Kind::Hidden
                && !(res.status == 413 && sent_len > 64 * 1024);
            match message(&res, typed.then_some(t.form)) {
                Some(_) => tally.with_message += 1,
                None => tally.problems.push(format!(
                    "{what}: {} without a Chinese message{}",
                    res.status,
                    if typed {
                        " on the form shown again"
                    } else {
                        ""
                    }
                )),
            }
        }
    }
    // The form as it is, valid, succeeds: each refusal above was the malformed field's.
    if let Some(sql) = t.reset {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    let body = body_with(&form.fields, &[], &Bad::Missing);
    let ok = b
        .post_raw(&form.action, "application/x-www-form-urlencoded", body)
        .await;
    // Accepted: sent on (303), or shown with what was done (a new account's one-time
    // password), and in every case saved.
    assert!(
        ok.status.is_redirection() || (ok.status == 200 && checksum(&app.pool).await != before),
        "{}: the valid form was not accepted: {} {}",
        t.name,
        ok.status,
        ok.texts(".error-summary, .form-error, p.error, span.error")
            .join(" / ")
    );
}

async fn first_id(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

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
