//! The city-wide round (全市评选): the city opens it, a county nominates from its own
//! center, the quota and the deadline hold, and nobody reaches another county's
//! nominations.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use scraper::Selector;
use sqlx::PgPool;
use time::macros::datetime;

/// The city's supervision office opens 2026's round with its seeded form, deadline
/// 2026-12-20 17:30 Beijing time, the server's clock set to 2026-12-10.
async fn city_opens_round(app: &TestApp) {
    pingxuan::demo_county::load(&app.pool).await.unwrap();
    app.clock.set(datetime!(2026-12-10 09:00 +8));
    let mut ducha = login_as(app, Role::Supervision).await;
    let form = ducha.get("/citywide/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let mut fields = form.form_fields("form.round-form");
    set_field(&mut fields, "deadline_date", "2026-12-20");
    // Selects are not among the text fields: the seeded rules go as the form shows them.
    for sel in form
        .html()
        .select(&Selector::parse("form.round-form select").unwrap())
    {
        let name = sel.value().attr("name").unwrap().to_string();
        let chosen = sel
            .select(&Selector::parse("option[selected]").unwrap())
            .next()
            .and_then(|o| o.value().attr("value"))
            .unwrap_or("")
            .to_string();
        fields.push((name, chosen));
    }
    let opened = ducha.post_fields("/citywide", &fields).await;
    assert_eq!(
        opened.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        opened.texts(".error, .form-error, .error-summary, h1")
    );
    assert_eq!(opened.location(), Some("/citywide/2026?notice=saved"));
    // Once a year.
    let again = ducha.post_fields("/citywide", &fields).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("2026年度的全市评选已发布"));
}

async fn county_office(app: &TestApp) -> Browser {
    let mut b = Browser::new(app);
    let page = b.login("qs-ducha", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    b
}

fn options(page: &Page, name: &str) -> Vec<String> {
    page.html()
        .select(&Selector::parse(&format!("select[name={name}] option")).unwrap())
        .filter_map(|o| o.value().attr("value").map(str::to_string))
        .filter(|v| !v.is_empty())
        .collect()
}

/// Starts a window nomination of `entrant` with complete accounts; saves or submits it.
async fn nominate(b: &mut Browser, entrant: &str, action: &str) -> Page {
    let form = b.get("/citywide/2026/nominations/new?kind=window").await;
    let mut fields = form.form_fields("form.nomination");
    fields.push(("entrant".into(), entrant.into()));
    fields.push(("action".into(), action.into()));
    set_field(
        &mut fields,
        "brief",
        "该窗口推行“一窗通办”，全年办件1.2万件，按期办结率100%。",
    );
    set_field(&mut fields, "full_text", "全年无投诉。\n群众满意率99.9%。");
    for (k, v) in fields.iter_mut() {
        if k.starts_with("note_") {
            *v = "见附件".into();
        }
    }
    b.post_fields("/citywide/2026/nominations?kind=window", &fields)
        .await
}

async fn status_of(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("select status from nomination where nomination_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn id_in(location: &str) -> i64 {
    location
        .trim_start_matches("/citywide/2026/nominations/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[sqlx::test]
async fn a_county_nominates_within_its_quota_and_before_the_deadline(pool: PgPool) {
    let app = spawn(pool).await;
    city_opens_round(&app).await;
    let mut county = county_office(&app).await;
    let page = county.get("/citywide/2026").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("2026年12月20日 17:30"),
        "the deadline in Beijing time"
    );
    assert!(page.text(".card").contains("窗口：已提交 0 / 2"));

    let form = county
        .get("/citywide/2026/nominations/new?kind=window")
        .await;
    let windows = options(&form, "entrant");
    assert!(windows.len() >= 4, "the county's own active windows");
    let own: Vec<i64> = sqlx::query_scalar(
        "select w.window_id from service_window w join center c using (center_id)
         where c.code = 'shifan-qingshan' and w.active",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(windows.iter().all(|w| own.contains(&w.parse().unwrap())));

    // A brief account over its 200 字 is refused with the count, and nothing is saved.
    let mut fields = form.form_fields("form.nomination");
    fields.push(("entrant".into(), windows[0].clone()));
    fields.push(("action".into(), "save".into()));
    set_field(&mut fields, "brief", &"优".repeat(201));
    let refused = county
        .post_fields("/citywide/2026/nominations?kind=window", &fields)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .field_error("brief")
            .unwrap()
            .contains("最多 200 字，现有 201 字")
    );
    assert_eq!(count(&app.pool, "select count(*) from nomination").await, 0);
    // 200 wide characters and a Latin word over it still count 201.
    set_field(&mut fields, "brief", &format!("{} OK", "优".repeat(200)));
    let refused = county
        .post_fields("/citywide/2026/nominations?kind=window", &fields)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A draft may be incomplete; submitting needs the accounts and the declared notes.
    set_field(&mut fields, "brief", "");
    let draft = county
        .post_fields("/citywide/2026/nominations?kind=window", &fields)
        .await;
    assert_eq!(draft.status, StatusCode::SEE_OTHER);
    let first = id_in(draft.location().unwrap());
    assert_eq!(status_of(&app, first).await, "draft");
    let page = county.get(draft.location().unwrap()).await;
    let mut fields = page.form_fields("form.nomination");
    fields.push(("action".into(), "submit".into()));
    let incomplete = county
        .post_fields(&format!("/citywide/2026/nominations/{first}"), &fields)
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        incomplete.field_error("brief").as_deref(),
        Some("此项不能为空")
    );
    assert_eq!(status_of(&app, first).await, "draft");

    // Two submitted fill the quota; a third stays a draft and is told why.
    for w in &windows[1..3] {
        let sent = nominate(&mut county, w, "submit").await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        assert_eq!(
            status_of(&app, id_in(sent.location().unwrap())).await,
            "submitted"
        );
    }
    let third = nominate(&mut county, &windows[3], "submit").await;
    let third_id = id_in(third.location().unwrap());
    assert_eq!(status_of(&app, third_id).await, "draft");
    let told = county.get(third.location().unwrap()).await;
    assert!(told.body.contains("名额已全部提交"));

    // Withdrawing one frees its place.
    let second: i64 = sqlx::query_scalar(
        "select nomination_id from nomination where status = 'submitted' order by nomination_id limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let withdrawn = county
        .post(
            &format!("/citywide/2026/nominations/{second}/withdraw"),
            &[],
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, second).await, "draft");
    let page = county
        .get(&format!("/citywide/2026/nominations/{third_id}"))
        .await;
    let mut fields = page.form_fields("form.nomination");
    fields.push(("action".into(), "submit".into()));
    let sent = county
        .post_fields(&format!("/citywide/2026/nominations/{third_id}"), &fields)
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, third_id).await, "submitted");

    // After the deadline nothing of the county changes.
    app.clock.set(datetime!(2026-12-20 17:30 +8));
    let page = county
        .get(&format!("/citywide/2026/nominations/{second}"))
        .await;
    assert!(page.body.contains("申报已截止"));
    let before = checksum(&app.pool).await;
    let mut fields = page.form_fields("form.nomination");
    fields.push(("action".into(), "submit".into()));
    let late = county
        .post_fields(&format!("/citywide/2026/nominations/{second}"), &fields)
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("申报已截止"));
    let late_new = nominate(&mut county, &windows[4.min(windows.len() - 1)], "save").await;
    assert_eq!(late_new.status, StatusCode::UNPROCESSABLE_ENTITY);
    let late_withdraw = county
        .post(
            &format!("/citywide/2026/nominations/{third_id}/withdraw"),
            &[],
        )
        .await;
    assert_eq!(late_withdraw.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(checksum(&app.pool).await, before);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action like 'nomination.%'"
        )
        .await,
        9,
        "4 created, 4 submitted (one refused: no row), 1 withdrawn"
    );
}

#[sqlx::test]
async fn nobody_reaches_another_countys_nominations(pool: PgPool) {
    let app = spawn(pool).await;
    city_opens_round(&app).await;
    // A nomination of another county (东城区), put straight into the database.
    sqlx::query(
        "with c as (select center_id from center where code = 'shifan-dongcheng'),
              d as (insert into department (center_id, name) select center_id, '东城公安' from c)
         insert into business_area (center_id, name) select center_id, '公安户政' from c",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let other: i64 = sqlx::query_scalar(
        "with w as (insert into service_window (center_id, number, name, department_id, business_area_id)
                    select d.center_id, '1', '东城户籍', d.department_id,
                           (select a.business_area_id from business_area a where a.center_id = d.center_id)
                    from department d where d.name = '东城公安' returning center_id, window_id)
         insert into nomination (citywide_round_id, county_center_id, kind, window_id)
         select r.citywide_round_id, w.center_id, 'window', w.window_id from w, citywide_round r
         returning nomination_id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let mut county = county_office(&app).await;
    let url = format!("/citywide/2026/nominations/{other}");
    assert_eq!(county.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        county.post(&format!("{url}/withdraw"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!county.get("/citywide/2026").await.body.contains("东城户籍"));
    // The city's own office is not a county: no nomination forms for it.
    let mut city = login_as(&app, Role::Supervision).await;
    assert_eq!(city.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        city.get("/citywide/2026/nominations/new?kind=window")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A county office cannot open a round.
    assert_eq!(
        county.get("/citywide/new").await.status,
        StatusCode::NOT_FOUND
    );
}

/// A multipart body with the token, a file and the condition it is evidence for.
fn file_form(token: &str, condition: &str, name: &str, data: &[u8]) -> (String, Vec<u8>) {
    let b = "----px-file";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"condition\"\r\n\r\n{condition}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[sqlx::test]
async fn supporting_files_are_checked_kept_in_the_database_and_count_as_evidence(pool: PgPool) {
    let app = spawn(pool).await;
    city_opens_round(&app).await;
    let mut county = county_office(&app).await;
    let form = county
        .get("/citywide/2026/nominations/new?kind=window")
        .await;
    let windows = options(&form, "entrant");
    let draft = nominate(&mut county, &windows[0], "save").await;
    let page_url = draft
        .location()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let files_url = format!("{page_url}/files");
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n".to_vec();

    let sent = county
        .upload(&files_url, "file", "获奖证书.pdf", &pdf)
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let page = county.get(&page_url).await;
    let link = page
        .html()
        .select(&Selector::parse("#files tbody a").unwrap())
        .next()
        .map(|a| {
            (
                a.text().collect::<String>(),
                a.value().attr("href").unwrap().to_string(),
            )
        })
        .unwrap();
    assert_eq!(link.0, "获奖证书.pdf");
    let (status, headers, body) = county.get_bytes(&link.1).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert_eq!(body, pdf);
    let (_, headers, _) = county.get_bytes(&format!("{}?download=1", link.1)).await;
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    // The city's office opens it too.
    let mut city = login_as(&app, Role::Supervision).await;
    assert_eq!(city.get_bytes(&link.1).await.0, StatusCode::OK);

    // What the bytes are decides, not the name; too large is refused; nothing is kept.
    let before = count(&app.pool, "select count(*) from nomination_file").await;
    let html = county
        .upload(
            &files_url,
            "file",
            "证明.pdf",
            b"<html><script>alert(1)</script>",
        )
        .await;
    assert_eq!(html.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.body.contains("只能上传 PDF、JPEG 或 PNG"));
    let mut big = pdf.clone();
    big.resize(5 * 1024 * 1024 + 1, b' ');
    let large = county.upload(&files_url, "file", "大.pdf", &big).await;
    assert_eq!(large.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(large.body.contains("不能超过 5 MB"));
    assert_eq!(
        count(&app.pool, "select count(*) from nomination_file").await,
        before
    );

    // The round's count holds.
    sqlx::query("update citywide_round set file_count_limit = 2")
        .execute(&app.pool)
        .await
        .unwrap();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    assert_eq!(
        county
            .upload(&files_url, "file", "照片.png", &png)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let full = county.upload(&files_url, "file", "多余.png", &png).await;
    assert_eq!(full.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(full.body.contains("最多 2 个材料"));
    sqlx::query("update citywide_round set file_count_limit = 10")
        .execute(&app.pool)
        .await
        .unwrap();

    // A file for a declared condition stands for its note when submitting.
    let declared: i64 = sqlx::query_scalar(
        "select citywide_condition_id from citywide_condition where kind = 'window' and rule is null order by position limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let token = county.csrf().await;
    let (ct, body) = file_form(&token, &declared.to_string(), "标准.pdf", &pdf);
    assert_eq!(
        county.post_raw(&files_url, &ct, body).await.status,
        StatusCode::SEE_OTHER
    );
    let page = county.get(&page_url).await;
    let mut fields = page.form_fields("form.nomination");
    set_field(&mut fields, &format!("note_{declared}"), "");
    fields.push(("action".into(), "submit".into()));
    let sent = county.post_fields(&page_url, &fields).await;
    assert_eq!(
        sent.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        sent.texts(".error")
    );

    // Submitted: its files stay as they are.
    let file: i64 = sqlx::query_scalar("select min(nomination_file_id) from nomination_file")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let kept = county
        .post(&format!("{files_url}/{file}/remove"), &[])
        .await;
    assert_eq!(kept.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        count(&app.pool, "select count(*) from nomination_file").await,
        3
    );
}

#[sqlx::test]
async fn checked_conditions_show_what_the_records_say(pool: PgPool) {
    let app = spawn(pool).await;
    city_opens_round(&app).await;
    let honored: (i64, i64) = sqlx::query_as(
        "select h.window_id, count(*) from honor h join center c using (center_id)
         join period p using (period_id)
         where c.code = 'shifan-qingshan' and h.window_id is not null and h.revoked_at is null
           and p.phase = 'published' and left(p.code, 4)::int >= 2024
         group by h.window_id order by count(*) desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(honored.1 >= 2, "the demo county's best window has honors");
    let mut county = county_office(&app).await;
    let draft = nominate(&mut county, &honored.0.to_string(), "save").await;
    let page = county.get(draft.location().unwrap()).await;
    let checks = page.texts(".check");
    assert!(
        checks
            .iter()
            .any(|c| c.starts_with(&format!("符合：2024年以来获评 {} 次", honored.1))),
        "{checks:?}"
    );
    let links: Vec<String> = page
        .html()
        .select(&Selector::parse(".check a").unwrap())
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert_eq!(links.len() as i64, honored.1);
    assert!(links.iter().all(|l| l.starts_with("/verify/")));
    let (status, _, _) = county.get_bytes(&links[0]).await;
    assert_eq!(status, StatusCode::OK, "the certificate is verifiable");

    // A person: tenure from the recorded day of posting, on the server's date.
    let staff: i64 = sqlx::query_scalar(
        "select s.staff_id from staff s join center c using (center_id)
         where c.code = 'shifan-qingshan' and s.active order by s.staff_id limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query("update staff set posted_on = '2024-12-11' where staff_id = $1")
        .bind(staff)
        .execute(&app.pool)
        .await
        .unwrap();
    let form = county
        .get("/citywide/2026/nominations/new?kind=staff")
        .await;
    let mut fields = form.form_fields("form.nomination");
    fields.push(("entrant".into(), staff.to_string()));
    fields.push(("action".into(), "save".into()));
    let draft = county
        .post_fields("/citywide/2026/nominations?kind=staff", &fields)
        .await;
    assert_eq!(draft.status, StatusCode::SEE_OTHER);
    let checks = county.get(draft.location().unwrap()).await.texts(".check");
    assert!(
        checks
            .iter()
            .any(|c| c == "未达到：2024年12月11日到岗，已满 1 年"),
        "the clock says 2026-12-10: {checks:?}"
    );
    assert!(
        checks.iter().any(|c| c.starts_with("符合：目前在岗")),
        "{checks:?}"
    );
}

/// The review form of nomination `id` with every condition set to `review` and `decision`.
async fn review_fields(
    app: &TestApp,
    city: &mut Browser,
    id: i64,
    review: &str,
    decision: &str,
) -> Vec<(String, String)> {
    let page = city.get("/citywide/2026/review?kind=window").await;
    // The radio buttons come as one field each: the decision is set below.
    let mut fields: Vec<(String, String)> = page
        .form_fields(&format!("#n{id} form.review-form"))
        .into_iter()
        .filter(|(k, _)| k != "decision")
        .collect();
    let conditions: Vec<i64> = sqlx::query_scalar(
        "select citywide_condition_id from citywide_condition where kind = 'window' order by position",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for c in conditions {
        fields.push((format!("review_{c}"), review.into()));
    }
    fields.push(("decision".into(), decision.into()));
    fields
}

#[sqlx::test]
async fn the_city_reviews_returns_for_correction_and_opens_the_notice_step_by_step(pool: PgPool) {
    let app = spawn(pool).await;
    city_opens_round(&app).await;
    let mut county = county_office(&app).await;
    let form = county
        .get("/citywide/2026/nominations/new?kind=window")
        .await;
    let windows = options(&form, "entrant");
    let a = id_in(
        nominate(&mut county, &windows[0], "submit")
            .await
            .location()
            .unwrap(),
    );
    let b = id_in(
        nominate(&mut county, &windows[1], "submit")
            .await
            .location()
            .unwrap(),
    );
    let c = id_in(
        nominate(&mut county, &windows[2], "save")
            .await
            .location()
            .unwrap(),
    );
    let mut city = login_as(&app, Role::Supervision).await;
    let step = |from: &str| vec![("from".to_string(), from.to_string())];

    // Review starts only after the deadline.
    let token = city.csrf().await;
    let mut early = step("nomination");
    early.push(("_csrf".into(), token.clone()));
    let refused = city.post_fields("/citywide/2026/phase", &early).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("申报尚未截止"));
    app.clock.set(datetime!(2026-12-21 09:00 +8));
    assert_eq!(
        city.post_fields("/citywide/2026/phase", &early)
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    // Drafts are not reviewed.
    let page = city.get("/citywide/2026/review?kind=window").await;
    assert!(
        page.html()
            .select(&Selector::parse(&format!("#n{a}")).unwrap())
            .next()
            .is_some()
    );
    assert!(
        page.html()
            .select(&Selector::parse(&format!("#n{c}")).unwrap())
            .next()
            .is_none()
    );

    // Accepting needs every condition verified; a rejected condition needs its reason.
    let before = checksum(&app.pool).await;
    let fields = review_fields(&app, &mut city, a, "", "accept").await;
    let refused = city
        .post_fields(&format!("/citywide/2026/review/{a}"), &fields)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("须逐条核实全部申报条件"));
    let fields = review_fields(&app, &mut city, a, "rejected", "").await;
    let refused = city
        .post_fields(&format!("/citywide/2026/review/{a}"), &fields)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("不符合的条件须写明理由"));
    assert_eq!(checksum(&app.pool).await, before, "nothing saved");
    let fields = review_fields(&app, &mut city, a, "verified", "accept").await;
    assert_eq!(
        city.post_fields(&format!("/citywide/2026/review/{a}"), &fields)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&app, a).await, "accepted");

    // Returned for correction with its own deadline; the county corrects and resubmits.
    let mut fields = review_fields(&app, &mut city, b, "verified", "return").await;
    set_field(&mut fields, "reason", "正版事迹缺少办件数据来源，请补充");
    set_field(&mut fields, "deadline_date", "2026-12-23");
    assert_eq!(
        city.post_fields(&format!("/citywide/2026/review/{b}"), &fields)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&app, b).await, "returned");
    let page = county.get(&format!("/citywide/2026/nominations/{b}")).await;
    assert!(page.body.contains("正版事迹缺少办件数据来源"));
    assert!(page.body.contains("2026年12月23日 17:30"));
    // Not before it is answered: the step to the notice waits.
    let mut to_notice = step("review");
    to_notice.push(("_csrf".into(), token.clone()));
    to_notice.push(("notice_starts".into(), "2026-12-24".into()));
    to_notice.push(("notice_ends".into(), "2026-12-28".into()));
    let waiting = city.post_fields("/citywide/2026/phase", &to_notice).await;
    assert!(
        waiting.body.contains("还有 1 份推荐未审核完毕"),
        "{}",
        waiting.text(".error-summary")
    );
    let mut fields = page.form_fields("form.nomination");
    set_field(
        &mut fields,
        "full_text",
        "全年办件1.2万件（数据来源：市政务服务平台）。",
    );
    fields.push(("action".into(), "submit".into()));
    assert_eq!(
        county
            .post_fields(&format!("/citywide/2026/nominations/{b}"), &fields)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&app, b).await, "submitted");
    // An accepted nomination is the city's now.
    let page = county.get(&format!("/citywide/2026/nominations/{a}")).await;
    assert!(page.body.contains("市级已审核（审核通过）"));
    let fields = review_fields(&app, &mut city, b, "verified", "accept").await;
    assert_eq!(
        city.post_fields(&format!("/citywide/2026/review/{b}"), &fields)
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    // A notice of three working days (Thu 24 to Mon 28) is said to be short.
    let short = city.post_fields("/citywide/2026/phase", &to_notice).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("公示期只有 3 个工作日"));
    assert_eq!(
        short.input_value("notice_starts").as_deref(),
        Some("2026-12-24")
    );
    to_notice.push(("short_ok".into(), "1".into()));
    assert_eq!(
        city.post_fields("/citywide/2026/phase", &to_notice)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let mut to_confirm = step("notice");
    to_confirm.push(("_csrf".into(), token.clone()));
    let running = city.post_fields("/citywide/2026/phase", &to_confirm).await;
    assert!(running.body.contains("公示期至 2026年12月28日"));
    app.clock.set(datetime!(2026-12-29 09:00 +8));
    assert_eq!(
        city.post_fields("/citywide/2026/phase", &to_confirm)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let phase: String = sqlx::query_scalar("select phase from citywide_round")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(phase, "confirmation");
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'citywide_round.phase'"
        )
        .await,
        3
    );
}

/// A round in its public notice (Monday 2026-12-21 to Friday 2026-12-25): two windows and
/// a person of 青山县 accepted; one window left a draft. The clock says 2026-12-22.
async fn round_in_notice(app: &TestApp) -> (Vec<i64>, i64) {
    city_opens_round(app).await;
    let mut county = county_office(app).await;
    let form = county
        .get("/citywide/2026/nominations/new?kind=window")
        .await;
    let windows = options(&form, "entrant");
    let mut accepted = Vec::new();
    for w in &windows[0..2] {
        accepted.push(id_in(
            nominate(&mut county, w, "submit").await.location().unwrap(),
        ));
    }
    let draft = id_in(
        nominate(&mut county, &windows[2], "save")
            .await
            .location()
            .unwrap(),
    );
    app.clock.set(datetime!(2026-12-21 09:00 +8));
    let mut city = login_as(app, Role::Supervision).await;
    let token = city.csrf().await;
    let step = |fields: &[(&str, &str)]| {
        let mut v: Vec<(String, String)> = vec![("_csrf".into(), token.clone())];
        v.extend(fields.iter().map(|(k, x)| (k.to_string(), x.to_string())));
        v
    };
    city.post_fields("/citywide/2026/phase", &step(&[("from", "nomination")]))
        .await;
    for id in &accepted {
        let fields = review_fields(app, &mut city, *id, "verified", "accept").await;
        assert_eq!(
            city.post_fields(&format!("/citywide/2026/review/{id}"), &fields)
                .await
                .status,
            StatusCode::SEE_OTHER
        );
    }
    let started = city
        .post_fields(
            "/citywide/2026/phase",
            &step(&[
                ("from", "review"),
                ("notice_starts", "2026-12-21"),
                ("notice_ends", "2026-12-25"),
            ]),
        )
        .await;
    assert_eq!(
        started.status,
        StatusCode::SEE_OTHER,
        "{}",
        started.text(".error-summary")
    );
    app.clock.set(datetime!(2026-12-22 10:00 +8));
    (accepted, draft)
}

async fn feedback(b: &mut Browser, nominee: i64, body: &str, phone: &str, honeypot: &str) -> Page {
    let form = b.get("/gongshi/2026/feedback").await;
    let mut fields = form.form_fields("form.feedback-form");
    fields.push(("nominee".into(), nominee.to_string()));
    set_field(&mut fields, "body", body);
    set_field(&mut fields, "real_name", "李明");
    set_field(&mut fields, "telephone", phone);
    set_field(&mut fields, "website", honeypot);
    b.post_fields("/gongshi/2026/feedback", &fields).await
}

#[sqlx::test]
async fn the_public_notice_takes_feedback_that_the_office_answers_on_the_record(pool: PgPool) {
    let app = spawn(pool).await;
    let (accepted, draft) = round_in_notice(&app).await;
    let names: Vec<String> = sqlx::query_scalar(
        "select w.number || '号窗口 ' || w.name from nomination n join service_window w using (window_id)
         where n.nomination_id = any($1) order by n.nomination_id",
    )
    .bind(&accepted)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut public = Browser::new(&app);
    let notice = public.get("/gongshi/2026").await;
    assert_eq!(notice.status, StatusCode::OK);
    let shown = notice.texts(".honor-card .honor-name");
    assert_eq!(shown, names, "the accepted windows, and only they");
    assert!(notice.body.contains("2026年12月21日至2026年12月25日"));
    assert!(!notice.body.contains(&format!("/nominations/{draft}")));

    // Sent with a receipt; kept with the sender's address; never shown publicly.
    let sent = feedback(
        &mut public,
        accepted[0],
        "该窗口11月曾推诿群众办件，我亲历。",
        "13800000001",
        "",
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK);
    let receipt = sent.text(".receipt");
    assert!(
        receipt.starts_with("GS2026-") && receipt.len() == 15,
        "{receipt}"
    );
    assert_eq!(
        count(&app.pool, &format!("select count(*) from notice_feedback where receipt = '{receipt}' and source = 'public' and client_ip <> ''")).await,
        1
    );
    assert!(!public.get("/gongshi/2026").await.body.contains("推诿"));
    // A program filling the hidden field is told nothing and keeps nothing.
    let bot = feedback(
        &mut public,
        accepted[0],
        "广告",
        "13800000002",
        "http://spam",
    )
    .await;
    assert_eq!(bot.status, StatusCode::OK);
    assert_eq!(
        count(&app.pool, "select count(*) from notice_feedback").await,
        1
    );
    // Over 500 字: refused, everything typed kept.
    let long = "很".repeat(501);
    let refused = feedback(&mut public, accepted[0], &long, "13800000003", "").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .field_error("body")
            .unwrap()
            .contains("最多 500 字，现有 501 字")
    );
    assert_eq!(
        refused.input_value("telephone").as_deref(),
        Some("13800000003")
    );
    // A flood from one address stops at its limit (30 in 10 minutes) with a 429.
    for i in 0..29 {
        let ok = feedback(
            &mut public,
            accepted[1],
            "意见",
            &format!("1390000{i:04}"),
            "",
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{i}");
    }
    let flood = feedback(&mut public, accepted[1], "意见", "13911112222", "").await;
    assert_eq!(flood.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(flood.body.contains("请 10 分钟后再试"));
    assert_eq!(
        count(&app.pool, "select count(*) from notice_feedback").await,
        30
    );

    // The office sees who sent it, records a letter, answers each, disqualifies with a reason.
    let mut city = login_as(&app, Role::Supervision).await;
    let page = city.get("/citywide/2026/feedback").await;
    assert!(page.body.contains("李明，13800000001"));
    let mut county = county_office(&app).await;
    assert_eq!(
        county.get("/citywide/2026/feedback").await.status,
        StatusCode::NOT_FOUND
    );
    let token = city.csrf().await;
    let letter = city
        .post(
            "/citywide/2026/feedback",
            &[
                ("_csrf", &token),
                ("nominee", &accepted[0].to_string()),
                ("source", "letter"),
                ("source_detail", "市长信箱"),
                ("body", "反映该窗口服务态度好。"),
                ("real_name", ""),
                ("telephone", ""),
            ],
        )
        .await;
    assert_eq!(letter.status, StatusCode::SEE_OTHER);
    let first: i64 = sqlx::query_scalar(&format!(
        "select notice_feedback_id from notice_feedback where receipt = '{receipt}'"
    ))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let no_note = city
        .post(
            &format!("/citywide/2026/feedback/{first}/answer"),
            &[("_csrf", &token), ("answer", "substantiated"), ("note", "")],
        )
        .await;
    assert_eq!(no_note.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_note.body.contains("请写明核实情况"));
    let answered = city
        .post(
            &format!("/citywide/2026/feedback/{first}/answer"),
            &[
                ("_csrf", &token),
                ("answer", "substantiated"),
                ("note", "经调取录像核实，情况属实。"),
            ],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER);
    let no_reason = city
        .post(
            &format!("/citywide/2026/disqualify/{}", accepted[0]),
            &[("_csrf", &token), ("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let gone = city
        .post(
            &format!("/citywide/2026/disqualify/{}", accepted[0]),
            &[
                ("_csrf", &token),
                ("reason", "群众反映推诿办件经查属实，取消评选资格。"),
            ],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let notice = public.get("/gongshi/2026").await;
    assert_eq!(
        notice.texts(".honor-card .honor-name"),
        names[1..].to_vec(),
        "off the notice at once"
    );
    for action in [
        "notice_feedback.create",
        "notice_feedback.answer",
        "nomination.disqualify",
    ] {
        assert_eq!(
            count(
                &app.pool,
                &format!("select count(*) from audit_log where action = '{action}'")
            )
            .await,
            1,
            "{action}"
        );
    }

    // After the notice, the form says so and takes nothing.
    app.clock.set(datetime!(2026-12-26 08:00 +8));
    let closed = public.get("/gongshi/2026/feedback").await;
    assert!(closed.body.contains("现在不在公示期内"));
    assert!(
        closed
            .html()
            .select(&Selector::parse("form.feedback-form").unwrap())
            .next()
            .is_none()
    );
    let token = public.csrf().await;
    let late = public
        .post(
            "/gongshi/2026/feedback",
            &[
                ("_csrf", &token),
                ("nominee", &accepted[1].to_string()),
                ("body", "迟到的意见"),
                ("real_name", "李明"),
                ("telephone", "13700000000"),
            ],
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("不在公示期内"));
    assert_eq!(
        count(&app.pool, "select count(*) from notice_feedback").await,
        31
    );
}

#[sqlx::test]
async fn the_group_leader_publishes_certificates_follow_and_a_correction_revokes_one(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let (accepted, _) = round_in_notice(&app).await;
    let mut public = Browser::new(&app);
    let sent = feedback(
        &mut public,
        accepted[0],
        "服务很好，点赞。",
        "13800000009",
        "",
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK);
    let mut city = login_as(&app, Role::Supervision).await;
    let token = city.csrf().await;
    app.clock.set(datetime!(2026-12-28 09:00 +8));
    assert_eq!(
        city.post(
            "/citywide/2026/phase",
            &[("_csrf", &token), ("from", "notice")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let mut leader = Browser::new(&app);
    leader.login("zuzhang", PASSWORD).await;
    assert!(
        leader
            .get("/leadership")
            .await
            .body
            .contains("/citywide/2026/confirm")
    );
    let page = leader.get("/citywide/2026/confirm").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("h2").contains("青山县"));
    assert_eq!(page.texts("tbody th").len(), 2, "exactly the honorees");
    // Not while a piece of feedback is unanswered.
    let ltoken = leader.csrf().await;
    let refused = leader
        .post("/citywide/2026/publish", &[("_csrf", &ltoken)])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("1 条公示反映意见未答复"));
    let f: i64 = sqlx::query_scalar("select notice_feedback_id from notice_feedback")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    city.post(
        &format!("/citywide/2026/feedback/{f}/answer"),
        &[
            ("_csrf", &token),
            ("answer", "unrelated"),
            ("note", "表扬意见，与资格无关。"),
        ],
    )
    .await;
    // Only the city's group leader; the county's is not.
    let mut county_leader = Browser::new(&app);
    county_leader.login("qs-zuzhang", PASSWORD).await;
    assert_eq!(
        county_leader.get("/citywide/2026/confirm").await.status,
        StatusCode::NOT_FOUND
    );
    let published = leader
        .post("/citywide/2026/publish", &[("_csrf", &ltoken)])
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    let numbers: Vec<String> =
        sqlx::query_scalar("select certificate_no from citywide_honor order by citywide_honor_id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(numbers.len(), 2);
    assert!(numbers[0].starts_with("2026CW-W01-"), "{numbers:?}");
    let verified = public.get(&format!("/verify/{}", numbers[0])).await;
    assert_eq!(verified.status, StatusCode::OK);
    assert!(verified.text(".verify-result").contains("证书有效"));
    assert!(verified.body.contains("全市优质服务窗口"));
    assert!(verified.body.contains("青山县"));
    // Printed: without a public address the page says how to set one; with it, one
    // certificate a page, each with its QR code.
    let page = city.get("/citywide/2026/certificates").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("PINGXUAN_PUBLIC_URL"));
    // The city's results page and the county's honor roll.
    let results = public.get("/gongshi/2026").await;
    assert_eq!(results.text("h1"), "表彰名单");
    assert_eq!(results.texts(".honor-card").len(), 2);
    let county_app = spawn_with(
        pool,
        pingxuan::config::Config {
            public_center: Some("shifan-qingshan".into()),
            ..Default::default()
        },
    )
    .await;
    let with_url = spawn_with(
        county_app.pool.clone(),
        pingxuan::config::Config {
            public_url: Some("https://pingxuan.example.gov.cn".into()),
            ..Default::default()
        },
    )
    .await;
    let mut office = Browser::new(&with_url);
    office.login("ducha", PASSWORD).await;
    let sheets = office.get("/citywide/2026/certificates").await;
    assert_eq!(sheets.texts("article.certificate").len(), 2);
    assert!(sheets.body.contains(&format!(
        "https://pingxuan.example.gov.cn/verify/{}",
        numbers[0]
    )));
    assert!(sheets.body.contains("在2026年度全市服务窗口评选中"));
    let roll = Browser::new(&county_app).get("/honor-roll").await;
    assert!(
        roll.body.contains("2026年度全市评选"),
        "the county's roll shows its city honors"
    );
    // A later correction revokes one certificate, with its reason, on the record.
    let honor: i64 = sqlx::query_scalar("select min(citywide_honor_id) from citywide_honor")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let no_reason = city
        .post(
            &format!("/citywide/2026/honors/{honor}/revoke"),
            &[("_csrf", &token), ("reason", "")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let revoked = city
        .post(
            &format!("/citywide/2026/honors/{honor}/revoke"),
            &[
                ("_csrf", &token),
                ("reason", "发布后查实存在违规办件，撤销表彰。"),
            ],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let verified = public.get(&format!("/verify/{}", numbers[0])).await;
    assert!(verified.text(".verify-result").contains("该证书已撤销"));
    assert_eq!(
        public.get("/gongshi/2026").await.texts(".honor-card").len(),
        1
    );
    assert_eq!(
        count(&app.pool, "select count(*) from audit_log where action in ('citywide_round.publish', 'citywide_honor.revoke')").await,
        2
    );
}
