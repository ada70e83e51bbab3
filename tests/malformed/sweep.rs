//! The sweep itself: the malformed values of each kind of field, a form as the page renders
//! it, and the hammering of one form, field by field, with the checks every answer must pass.

use std::collections::BTreeMap;

use crate::common::*;
use scraper::{Html, Selector};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
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
pub(crate) enum Bad {
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
pub(crate) fn variants(kind: Kind) -> Vec<(String, Bad)> {
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
pub(crate) struct Form {
    pub(crate) action: String,
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) kinds: BTreeMap<String, Kind>,
}

pub(crate) fn read_form(page: &Page, selector: &str) -> Form {
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

pub(crate) fn encode_bytes(b: &[u8]) -> String {
    percent_encoding::percent_encode(b, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The body of `fields` with the fields named in `replaced` replaced by `bad`.
pub(crate) fn body_with(fields: &[(String, String)], replaced: &[&str], bad: &Bad) -> Vec<u8> {
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

pub(crate) fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The Chinese message on a page: of a form shown again (error summary, a field's error,
/// an alert) or of the error page.
pub(crate) fn message(page: &Page, form_again: Option<&str>) -> Option<String> {
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
pub(crate) struct Tally {
    pub(crate) fields: usize,
    pub(crate) sent: usize,
    pub(crate) server_errors: usize,
    pub(crate) changed: usize,
    pub(crate) accepted: usize,
    pub(crate) with_message: usize,
    pub(crate) problems: Vec<String>,
}

/// One form: who fills it in, where it is, which fields to leave out of the hammering
/// (`skip`), and which valid values to fill in first (`fill`).
#[derive(Default)]
pub(crate) struct Target<'a> {
    pub(crate) name: &'a str,
    pub(crate) page: String,
    pub(crate) form: &'a str,
    pub(crate) fill: Vec<(&'a str, String)>,
    /// Fields whose leaving out is itself valid (a grid's untyped cell; an empty ballot).
    pub(crate) may_be_missing: Vec<&'a str>,
    /// Fields not hammered, with the reason in a comment where the target is made.
    pub(crate) skip: Vec<&'a str>,
    /// Where the form is finally sent, when not its own action (a ballot's review step
    /// stores nothing; its submission does).
    pub(crate) post_to: Option<&'a str>,
    /// Run before each request: wrong current passwords are guesses, and the throttle that
    /// stops guessing would otherwise refuse the rest for its own reason.
    pub(crate) reset: Option<&'a str>,
    /// A value typed into the grid's first cell, so that saving it really writes.
    pub(crate) cell: Option<&'a str>,
    /// Values of the common list that are valid for this form's numbers (101 duty days),
    /// and what stands in for them (367).
    pub(crate) valid: Vec<&'a str>,
    pub(crate) extra: Vec<&'a str>,
    /// Brings the center to the phase this form belongs to.
    pub(crate) setup: Option<&'a str>,
    /// The grid cell that stands for all (else the first).
    pub(crate) cell_id: Option<String>,
    /// Fields typed twice (a new password and its confirmation): a malformed value goes
    /// into both, so that it is refused for itself, not for the two differing.
    pub(crate) twin: Option<(&'a str, &'a str)>,
}

pub(crate) async fn hammer(app: &TestApp, b: &mut Browser, t: &Target<'_>, tally: &mut Tally) {
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

pub(crate) async fn first_id(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}
