//! The audit log page: who changed what, when, before → after, in the offices' words;
//! searchable by the Chinese names of actions and exportable as a workbook. Read by the
//! admin and the supervision office; nobody can change it.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;

use super::AppState;
use super::error::AppResult;
use super::extract::CurrentUser;
use super::page::{self, Choice, Layout, ListQuery, Paging};
use super::routes::{AUDITORS, Access, Routes};
use super::urls;
use crate::db::{self, audit::AuditFilter};

mod words;
use words::{ENTITIES, FieldChange, action_label, actions_named, diff, subject};

pub fn routes(r: Routes) -> Routes {
    r.get(urls::AUDIT, Access::Roles(AUDITORS), audit_page).get(
        urls::AUDIT_EXPORT,
        Access::Roles(AUDITORS),
        export,
    )
}

/// The most rows one workbook holds; a narrower search exports older ones.
const EXPORT_ROWS: i64 = 20_000;

pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub changes: Vec<FieldChange>,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    layout: Layout,
    q: String,
    entities: Vec<Choice>,
    entries: Vec<AuditEntry>,
    paging: Paging,
    export_url: String,
}

/// The filter a query asks for: its words match names, ids and the Chinese names of actions.
fn filter_of(lq: &ListQuery) -> AuditFilter {
    let keys: Vec<&str> = ENTITIES.iter().map(|(k, _)| *k).collect();
    AuditFilter {
        q: lq.q.clone(),
        entity: lq.one_of("entity", &keys),
        actions: actions_named(&lq.q),
    }
}

async fn entries(
    state: &AppState,
    user: &CurrentUser,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<AuditEntry>, i64)> {
    let mut conn = state.db.acquire().await?;
    let (rows, total) = db::audit::list(
        &mut conn,
        &state.audit_lists,
        user.center_id,
        filter,
        limit,
        offset,
    )
    .await?;
    let names =
        db::audit::names(&mut conn, user.center_id, &db::audit::mentioned_ids(&rows)).await?;
    let entries = rows
        .into_iter()
        .map(|r| AuditEntry {
            at: crate::domain::format_datetime(Some(r.at)),
            actor: r.actor_name,
            action: action_label(&r.action),
            subject: subject(&names, &r.action, &r.entity, &r.entity_id),
            changes: diff(&names, r.before.as_ref(), r.after.as_ref()),
            ip: r.ip,
        })
        .collect();
    Ok((entries, total))
}

async fn audit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let mut lq = ListQuery::parse(query.as_deref());
    // Pages past the counted rows would only read the index further for nothing.
    lq.page = lq.page.min(db::audit::COUNT_CAP / page::PAGE_SIZE);
    let filter = filter_of(&lq);
    let (entries, total) = entries(&state, &user, &filter, page::PAGE_SIZE, lq.offset()).await?;
    let params = [("q", lq.q.clone()), ("entity", filter.entity.clone())];
    let export_query: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect();
    Ok(page::ok(&AuditPage {
        layout: Layout::new("操作日志", Some(&user), urls::AUDIT),
        entities: ENTITIES
            .iter()
            .map(|(k, v)| Choice {
                value: (*k).to_string(),
                label: (*v).to_string(),
                selected: *k == filter.entity,
            })
            .collect(),
        paging: Paging::capped(urls::AUDIT, &params, lq.page, total, db::audit::COUNT_CAP),
        export_url: if export_query.is_empty() {
            urls::AUDIT_EXPORT.to_string()
        } else {
            format!("{}?{}", urls::AUDIT_EXPORT, export_query.join("&"))
        },
        q: lq.q,
        entries,
    }))
}

/// The rows the page's search finds (the newest 20,000 at most), as a workbook.
async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    use crate::sheets::{Out, OutSheet};
    let lq = ListQuery::parse(query.as_deref());
    let filter = filter_of(&lq);
    let (entries, _) = entries(&state, &user, &filter, EXPORT_ROWS, 0).await?;
    let rows = entries
        .into_iter()
        .map(|e| {
            let changes = e
                .changes
                .iter()
                .map(|c| {
                    if c.before == "（空）" {
                        format!("{}：{}", c.field, c.after)
                    } else {
                        format!("{}：{} → {}", c.field, c.before, c.after)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            vec![
                Out::Text(e.at),
                Out::Text(e.actor),
                Out::Text(e.action),
                Out::Text(e.subject),
                Out::Text(changes),
                Out::Text(e.ip),
            ]
        })
        .collect();
    let header = [
        ("时间", 18.0),
        ("操作人", 22.0),
        ("操作", 20.0),
        ("对象", 30.0),
        ("修改内容（修改前 → 修改后）", 60.0),
        ("地址", 16.0),
    ]
    .iter()
    .map(|(t, w)| (t.to_string(), *w))
    .collect();
    let today = crate::domain::format_date(Some(time::OffsetDateTime::now_utc()));
    let book = crate::sheets::write_xlsx(&[OutSheet {
        name: "操作日志".to_string(),
        title: format!("{} 操作日志（导出于 {today}）", user.center_name),
        header,
        rows,
        frozen_columns: 1,
    }]);
    page::xlsx_download(&format!("操作日志-{today}.xlsx"), book)
}
