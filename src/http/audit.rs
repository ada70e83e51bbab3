//! The audit log page: who changed what, when, before → after. Read by the admin and the
//! supervision office; nobody can change it.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::Value;

use super::AppState;
use super::error::AppResult;
use super::extract::CurrentUser;
use super::page::{self, Choice, Layout, ListQuery, Paging};
use super::routes::{AUDITORS, Access, Routes};
use super::urls;
use crate::db::{self, audit::AuditFilter};

pub fn routes(r: Routes) -> Routes {
    r.get(urls::AUDIT, Access::Roles(AUDITORS), audit_page)
}

const ENTITIES: &[(&str, &str)] = &[
    ("account", "账号"),
    ("department", "进驻单位"),
    ("business_area", "业务范围"),
    ("service_window", "窗口"),
    ("staff", "工作人员"),
    ("scheme", "评选方案"),
    ("period", "评选周期"),
    ("monthly_score", "月度考核分数"),
    ("duty_days", "在岗天数"),
    ("veto", "一票否决"),
    ("ballot", "推荐票"),
    ("rating", "综合评定评分"),
    ("tie_decision", "并列审定"),
];

/// The action's name in Chinese.
fn action_label(action: &str) -> String {
    // Actions that do not read as "verb + object".
    let whole = match action {
        "period.phase" => Some("变更评选阶段"),
        "period.candidates" => Some("确认候选对象"),
        "period.publish" => Some("发布评选结果"),
        "period.correction" => Some("更正评选结果"),
        "period.round_corrected" => Some("按分数更正重新计算候选对象的考核得分"),
        "monthly_score.correction" => Some("更正月度考核分数"),
        "ballot.cast" => Some("提交推荐票"),
        _ => None,
    };
    if let Some(label) = whole {
        return label.to_string();
    }
    let (entity, verb) = action.split_once('.').unwrap_or((action, ""));
    let what = ENTITIES.iter().find(|(k, _)| *k == entity).map(|(_, v)| *v);
    let verb = match verb {
        "create" => "新增",
        "update" => "修改",
        "enable" => "启用",
        "disable" => "停用",
        "password_reset" => "重置密码",
        "password_change" => "修改本人密码",
        "success" => "登录成功",
        "failure" => "登录失败",
        "throttled" => "登录受限（尝试过多）",
        "refused" => "登录被拒绝（受限期间）",
        "delete" => "删除",
        "import" => "导入",
        "revoke" => "撤销",
        "cast" => "提交",

        _ => "",
    };
    match (entity, what) {
        ("login", _) => verb.to_string(),
        ("logout", _) => "退出登录".to_string(),
        (_, Some(w)) if !verb.is_empty() => format!("{verb}{w}"),
        _ => action.to_string(),
    }
}

/// One changed field: name, before, after.
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// Column names as the offices would say them; the raw name for any other.
fn field_label(field: &str) -> &str {
    match field {
        "name" => "名称",
        "number" => "窗口号",
        "sort_order" => "排序",
        "active" => "在用",
        "department_id" => "进驻单位（内部编号）",
        "business_area_id" => "业务范围（内部编号）",
        "window_id" => "窗口（内部编号）",
        "staff_id" => "工作人员（内部编号）",
        "center_id" => "中心（内部编号）",
        "account_id" => "账号（内部编号）",
        "employee_no" => "工号",
        "position" => "岗位",
        "photo_type" => "照片格式",
        "username" => "用户名",
        "display_name" => "姓名",
        "role" => "角色",
        "is_group_leader" => "领导小组组长",
        "must_change_password" => "须修改密码",
        "password_changed_at" => "密码修改时间",
        "last_login_at" => "最近登录",
        other => other,
    }
}

fn show(field: &str, v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "（空）".to_string(),
        Some(Value::String(s)) if field == "role" => crate::domain::Role::parse(s)
            .map(|r| r.label().to_string())
            .unwrap_or_else(|| s.clone()),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "是".to_string(),
        Some(Value::Bool(false)) => "否".to_string(),
        Some(other) => other.to_string(),
    }
}

/// The fields that differ between two snapshots (timestamps of the change itself left out).
/// For a new row, `before` is empty: every field is shown with its value.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "updated_at" | "created_at"))
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| FieldChange {
            field: field_label(k).to_string(),
            before: show(k, b.get(k)),
            after: show(k, a.get(k)),
        })
        .collect()
}

pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity_id: String,
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
}

async fn audit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let lq = ListQuery::parse(query.as_deref());
    let keys: Vec<&str> = ENTITIES.iter().map(|(k, _)| *k).collect();
    let entity = lq.one_of("entity", &keys);
    let filter = AuditFilter {
        q: lq.q.clone(),
        entity: entity.clone(),
    };
    let mut conn = state.db.acquire().await?;
    let (rows, total) = db::audit::list(
        &mut conn,
        user.center_id,
        &filter,
        page::PAGE_SIZE,
        lq.offset(),
    )
    .await?;
    let entries = rows
        .into_iter()
        .map(|r| AuditEntry {
            at: crate::domain::format_datetime(Some(r.at)),
            actor: r.actor_name,
            action: action_label(&r.action),
            entity_id: r.entity_id,
            changes: diff(r.before.as_ref(), r.after.as_ref()),
            ip: r.ip,
        })
        .collect();
    Ok(page::ok(&AuditPage {
        layout: Layout::new("操作日志", Some(&user), urls::AUDIT),
        entities: ENTITIES
            .iter()
            .map(|(k, v)| Choice {
                value: (*k).to_string(),
                label: (*v).to_string(),
                selected: *k == entity,
            })
            .collect(),
        paging: Paging::new(
            urls::AUDIT,
            &[("q", lq.q.clone()), ("entity", entity)],
            lq.page,
            total,
        ),
        q: lq.q,
        entries,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_diff_shows_only_fields_that_changed() {
        let before = json!({"name": "税务", "active": true, "updated_at": "a"});
        let after = json!({"name": "税务局", "active": true, "updated_at": "b"});
        let d = diff(Some(&before), Some(&after));
        assert_eq!(d.len(), 1);
        assert_eq!(
            (
                d[0].field.as_str(),
                d[0].before.as_str(),
                d[0].after.as_str()
            ),
            ("名称", "税务", "税务局")
        );
    }

    #[test]
    fn actions_read_in_chinese() {
        assert_eq!(action_label("service_window.update"), "修改窗口");
        assert_eq!(action_label("login.failure"), "登录失败");
        assert_eq!(action_label("monthly_score.update"), "修改月度考核分数");
        assert_eq!(action_label("period.publish"), "发布评选结果");
    }
}
