//! The public's ratings (好差评) imported as the 好差评 system exports them: a workbook with
//! a title above the header, or a CSV saved in GBK; previewed, then written all or nothing;
//! bad files refused with a message; the 群众评价 item follows the satisfaction rate.

mod common;

use axum::http::StatusCode;
use common::*;
use pingxuan::domain::Role;
use pingxuan::sheets::{Out, OutSheet, write_xlsx};
use sqlx::PgPool;

const SHEET: &str =
    "服务质量 90\n- 服务不规范 -1\n群众评价 10 满意率 99%=10 98%=8 95%=5\n- 差评经核实 -2\n";

async fn setup(app: &TestApp) -> Browser {
    app.clock.set(time::macros::datetime!(2026-11-20 10:00 +8));
    let mut ducha = login_as(app, Role::Supervision).await;
    let saved = ducha
        .post(
            "/assessment/rules/window",
            &[
                ("effective_from", "2026-11"),
                ("mode", "records"),
                ("appeal_days", "3"),
                ("sheet", SHEET),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    ducha
}

/// The export's layout: a title, then 序号, 窗口编号, 窗口名称, 评价总数 and the five grades.
fn export(rows: &[(&str, [i64; 5])]) -> Vec<u8> {
    let header = [
        "序号",
        "窗口编号",
        "窗口名称",
        "评价总数",
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
        "满意率",
    ];
    write_xlsx(&[OutSheet {
        name: "评价统计".into(),
        title: "示范市政务服务中心2026年11月“好差评”评价统计表".into(),
        header: header.iter().map(|h| (h.to_string(), 10.0)).collect(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, (key, c))| {
                let mut r = vec![
                    Out::Int(i as i64 + 1),
                    Out::Text(key.to_string()),
                    Out::Text("窗口".into()),
                    Out::Int(c.iter().sum()),
                ];
                r.extend(c.iter().map(|n| Out::Int(*n)));
                r.push(Out::Text("—".into()));
                r
            })
            .collect(),
        frozen_columns: 0,
    }])
    .unwrap()
}

async fn window_score(app: &TestApp, number: &str) -> Option<String> {
    sqlx::query_scalar(
        "select m.score::text from monthly_score m join service_window w using (window_id)
         where w.number = $1 and m.month = '2026-11' and w.center_id = (select center_id from account where username = 'ducha')",
    )
    .bind(number)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn an_export_is_previewed_then_written_and_the_rating_item_follows(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = setup(&app).await;
    let before = checksum(&app.pool).await;
    // Window 1: 985 of 1000 good, 98.50%: 8 points; window 2: 99.60%: 10; window 3
    // written "03" in the export: 94%: 0.
    let file = export(&[
        ("1", [900, 80, 5, 10, 5]),
        ("2", [450, 48, 0, 2, 0]),
        ("03", [90, 4, 0, 6, 0]),
    ]);
    let page = ducha
        .upload(
            "/assessment/ratings/2026-11?tab=windows",
            "file",
            "好差评.xlsx",
            &file,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("将导入 3 条"), "{}", page.body);
    assert!(page.body.contains("98.50%"));
    assert_eq!(
        checksum(&app.pool).await,
        before,
        "a preview writes nothing"
    );
    let action = page
        .html()
        .select(&scraper::Selector::parse("#preview form").unwrap())
        .next()
        .and_then(|f| f.value().attr("action").map(str::to_string))
        .unwrap();
    // A malformed reason is refused with a message, and nothing is written.
    for bad in ["a\u{1}b", &"长".repeat(1001)] {
        let page = ducha.post(&action, &[("reason", bad)]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("form-error"));
        assert_eq!(checksum(&app.pool).await, before);
    }
    let done = ducha.post(&action, &[("reason", "")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        count(&app.pool, "select count(*) from satisfaction_figure").await,
        3
    );
    assert_eq!(window_score(&app, "1").await.as_deref(), Some("98.00"));
    assert_eq!(window_score(&app, "2").await.as_deref(), Some("100.00"));
    assert_eq!(window_score(&app, "3").await.as_deref(), Some("90.00"));
    // Confirming twice writes nothing twice.
    ducha.post(&action, &[("reason", "")]).await;
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from audit_log where action = 'satisfaction_figure.import'"
        )
        .await,
        3
    );
    // A 差评 found justified, recorded against window 1: −2 on its 群众评价 item.
    let page = ducha.get("/assessment/ratings/2026-11?tab=windows").await;
    assert!(page.body.contains("差评经核实属实的，记录扣分"));
    let window: i64 = sqlx::query_scalar(
        "select window_id from service_window where number = '1' and center_id = (select center_id from account where username = 'ducha')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let standard: i64 = sqlx::query_scalar(
        "select assessment_standard_id from assessment_standard where name = '差评经核实'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let made = ducha
        .post(
            "/assessment/records/new",
            &[
                ("target", &format!("w{window}")),
                ("standard", &standard.to_string()),
                ("occurrences", "1"),
                ("occurred_on", "2026-11-12"),
                ("note", "11月12日群众差评，经核实系窗口原因"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    assert_eq!(window_score(&app, "1").await.as_deref(), Some("96.00"));
}

#[sqlx::test]
async fn a_gbk_csv_imports_like_the_workbook(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = setup(&app).await;
    let csv =
        "窗口号,非常满意,满意,基本满意,不满意,非常不满意\r\n1,100,0,0,0,0\r\n2,97,1,0,2,0\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let page = ducha
        .upload(
            "/assessment/ratings/2026-11?tab=windows",
            "file",
            "好差评.csv",
            &gbk,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("将导入 2 条"), "{}", page.body);
    assert!(page.body.contains("98.00%"));
}

#[sqlx::test]
async fn bad_files_are_refused_with_a_message_and_nothing_is_written(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ducha = setup(&app).await;
    let before = checksum(&app.pool).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "分数.csv",
            "窗口号,分数\r\n1,95\r\n".as_bytes().to_vec(),
            "找不到表头",
        ),
        ("x.xlsx", b"not a workbook".to_vec(), ""),
        (
            "好差评.csv",
            "窗口号,非常满意,满意,基本满意,不满意,非常不满意\r\n1,10.5,0,0,0,0\r\n"
                .as_bytes()
                .to_vec(),
            "整数",
        ),
        (
            "好差评.csv",
            "窗口号,非常满意,满意,基本满意,不满意,非常不满意,评价总数\r\n1,10,0,0,0,0,11\r\n"
                .as_bytes()
                .to_vec(),
            "不符",
        ),
        (
            "好差评.csv",
            "窗口号,非常满意,满意,基本满意,不满意,非常不满意\r\n999,10,0,0,0,0\r\n"
                .as_bytes()
                .to_vec(),
            "本中心没有窗口号为“999”",
        ),
        (
            "好差评.csv",
            "窗口号,非常满意,满意,基本满意,不满意,非常不满意\r\n1,10,0,0,0,0\r\n01,10,0,0,0,0\r\n"
                .as_bytes()
                .to_vec(),
            "重复",
        ),
    ];
    for (name, data, want) in cases {
        let page = ducha
            .upload(
                "/assessment/ratings/2026-11?tab=windows",
                "file",
                name,
                &data,
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name} {want}"
        );
        assert!(page.body.contains(want), "{want}: {}", page.body);
        assert!(page.confirm_action().is_none(), "nothing to confirm");
    }
    assert_eq!(checksum(&app.pool).await, before);
}

#[sqlx::test]
async fn the_city_wide_satisfaction_condition_is_checked_from_the_figures(pool: PgPool) {
    use pingxuan::db::citywide::evidence::check;
    use pingxuan::domain::citywide::ConditionRule;
    use pingxuan::domain::ids::CenterId;
    use pingxuan::scoring::Kind;
    let app = spawn(pool).await;
    let (center, window): (i64, i64) = sqlx::query_as(
        "select center_id, min(window_id) from service_window
         where center_id = (select center_id from account where username = 'ducha') group by center_id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let rule = ConditionRule::Satisfaction {
        min_percent: 99,
        since_year: 2026,
    };
    let today = time::macros::date!(2026 - 12 - 10);
    let mut conn = app.pool.acquire().await.unwrap();
    let none = check(
        &mut conn,
        CenterId(center),
        Kind::Window,
        window,
        rule,
        today,
    )
    .await
    .unwrap();
    assert!(!none.met);
    assert!(none.summary.contains("没有好差评数据"));
    // Two months: 995 + 990 good of 1000 + 1000: 99.25%. A 2025 month does not count.
    for (month, good, bad) in [
        ("2026-10", 995, 5),
        ("2026-11", 990, 10),
        ("2025-12", 0, 100),
    ] {
        sqlx::query(
            "insert into satisfaction_figure (center_id, month, window_id, very_satisfied, satisfied,
                 basically_satisfied, dissatisfied, very_dissatisfied)
             values ($1, $2, $3, $4, 0, 0, $5, 0)",
        )
        .bind(center)
        .bind(month)
        .bind(window)
        .bind(good)
        .bind(bad)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let met = check(
        &mut conn,
        CenterId(center),
        Kind::Window,
        window,
        rule,
        today,
    )
    .await
    .unwrap();
    assert!(met.met, "{}", met.summary);
    assert_eq!(
        met.summary,
        "2026年以来 2 个月好差评 2000 次，满意率 99.25%"
    );
    let stricter = ConditionRule::Satisfaction {
        min_percent: 100,
        since_year: 2026,
    };
    assert!(
        !check(
            &mut conn,
            CenterId(center),
            Kind::Window,
            window,
            stricter,
            today
        )
        .await
        .unwrap()
        .met
    );
}
