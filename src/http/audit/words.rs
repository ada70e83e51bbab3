//! The audit log in the offices' words: actions, fields, phases, veto codes and kinds by
//! their Chinese names, ids as the names of what they identify, before → after per field.

use serde_json::Value;

use crate::db::audit::Names;
use crate::domain::period::{PeriodCode, Phase, is_month, month_label, period_label};
use crate::domain::veto::VetoCode;

pub const ENTITIES: &[(&str, &str)] = &[
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
    ("login_throttle", "登录锁定"),
    ("citywide_round", "全市评选"),
    ("nomination", "申报推荐"),
    ("notice_feedback", "公示反映意见"),
    ("citywide_honor", "全市评选表彰"),
    ("assessment_rules", "考核细则"),
    ("assessment_record", "考核记录"),
    ("assessment_appeal", "考核申诉"),
    ("satisfaction_figure", "好差评数据"),
];

/// Every action the application records, so that a search in Chinese ("重置密码") finds
/// the rows of the actions whose names contain it.
pub fn known_actions() -> Vec<String> {
    let mut out: Vec<String> = [
        "account.password_reset",
        "account.password_change",
        "ballot.cast",
        "duty_days.create",
        "duty_days.update",
        "duty_days.delete",
        "login.success",
        "login.failure",
        "login.refused",
        "login.throttled",
        "login.unlock",
        "logout",
        "monthly_score.create",
        "monthly_score.update",
        "monthly_score.delete",
        "monthly_score.correction",
        "period.create",
        "period.phase",
        "period.candidates",
        "period.publish",
        "period.correction",
        "period.round_corrected",
        "rating.update",
        "staff.photo",
        "staff.photo_removed",
        "tie_decision.create",
        "veto.create",
        "veto.revoke",
        "citywide_round.create",
        "nomination.create",
        "nomination.update",
        "nomination.submit",
        "nomination.withdraw",
        "nomination_file.create",
        "nomination_file.delete",
        "nomination.review",
        "citywide_round.phase",
        "nomination.disqualify",
        "notice_feedback.create",
        "notice_feedback.answer",
        "citywide_round.publish",
        "citywide_honor.revoke",
        "assessment_rules.save",
        "assessment_record.create",
        "assessment_record.cancel",
        "assessment_record.change",
        "assessment_appeal.create",
        "assessment_appeal.decide",
        "satisfaction_figure.import",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for entity in [
        "account",
        "department",
        "business_area",
        "service_window",
        "staff",
        "scheme",
    ] {
        for verb in ["create", "update", "enable", "disable"] {
            out.push(format!("{entity}.{verb}"));
        }
    }
    out
}

/// The actions whose Chinese names contain `q`.
pub fn actions_named(q: &str) -> Vec<String> {
    let q = q.trim();
    if q.is_empty() {
        return Vec::new();
    }
    known_actions()
        .into_iter()
        .filter(|a| action_label(a).contains(q))
        .collect()
}

/// The action's name in Chinese.
pub fn action_label(action: &str) -> String {
    // Actions that do not read as "verb + object".
    let whole = match action {
        "period.phase" => Some("变更评选阶段"),
        "period.candidates" => Some("确认候选对象"),
        "period.publish" => Some("发布评选结果"),
        "period.correction" => Some("更正评选结果"),
        "period.round_corrected" => Some("按分数更正重新计算候选对象的考核得分"),
        "monthly_score.correction" => Some("更正月度考核分数"),
        "ballot.cast" => Some("提交推荐票"),
        "staff.photo" => Some("上传工作人员照片"),
        "staff.photo_removed" => Some("删除工作人员照片"),
        "login.unlock" => Some("解除登录锁定"),
        "tie_decision.create" => Some("审定并列"),
        "veto.create" => Some("登记一票否决"),
        "veto.revoke" => Some("撤销一票否决"),
        "citywide_round.create" => Some("发布全市评选通知"),
        "nomination.submit" => Some("提交申报推荐"),
        "nomination.withdraw" => Some("撤回申报推荐"),
        "nomination_file.create" => Some("上传申报材料"),
        "nomination_file.delete" => Some("删除申报材料"),
        "nomination.review" => Some("资格审核"),
        "citywide_round.phase" => Some("变更全市评选阶段"),
        "nomination.disqualify" => Some("取消评选资格"),
        "notice_feedback.create" => Some("登记公示反映意见"),
        "notice_feedback.answer" => Some("答复公示反映意见"),
        "citywide_round.publish" => Some("发布全市评选结果"),
        "citywide_honor.revoke" => Some("撤销全市评选表彰"),
        "assessment_rules.save" => Some("保存考核细则"),
        "assessment_record.create" => Some("记录考核扣分（加分）"),
        "assessment_record.cancel" => Some("撤销考核记录"),
        "assessment_record.change" => Some("改变考核记录"),
        "assessment_appeal.create" => Some("提出考核申诉"),
        "assessment_appeal.decide" => Some("复核考核申诉"),
        "satisfaction_figure.import" => Some("导入好差评数据"),
        "rating.update" => Some("综合评定评分"),
        "account.password_reset" => Some("重置密码"),
        "account.password_change" => Some("修改本人密码"),
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

/// Column names as the offices would say them; the raw name for any other.
fn field_label(field: &str) -> &str {
    match field {
        "name" => "名称",
        "number" => "窗口号",
        "sort_order" => "排序",
        "active" => "在用",
        "department_id" => "进驻单位",
        "business_area_id" => "业务范围",
        "window_id" => "窗口",
        "staff_id" => "工作人员",
        "center_id" => "中心",
        "account_id" => "账号",
        "scheme_id" => "评选方案",
        "employee_no" => "工号",
        "position" => "岗位",
        "posted_on" => "到岗日期",
        "photo_type" => "照片格式",
        "username" => "用户名",
        "display_name" => "姓名",
        "role" => "角色",
        "is_group_leader" => "领导小组组长",
        "must_change_password" => "须修改密码",
        "password_changed_at" => "密码修改时间",
        "last_login_at" => "最近登录",
        "phase" => "评选阶段",
        "code" => "情形",
        "kind" => "类别",
        "months" => "月份",
        "month" => "月份",
        "score" => "分数",
        "days" => "在岗天数",
        "reason" => "理由",
        "chosen" => "选定",
        "description" => "情况说明",
        "evidence" => "证据",
        "occurred_on" => "发生日期",
        "revoked_reason" => "撤销理由",
        "winners" => "当选名单",
        "change" => "更正内容",
        "lock" => "锁定",
        "entrant" => "对象",
        "before" => "更正前",
        "after" => "更正后",
        "periods" => "涉及的评选周期",
        "correction" => "更正理由",
        other => other,
    }
}

/// A word of an entity id or a value, as a person reads it: period codes and months as
/// dates, W12 and S34 as the window and the staff member, kinds in Chinese.
fn word(names: &Names, w: &str) -> String {
    if PeriodCode::parse(w).is_some() {
        return period_label(w);
    }
    if is_month(w) {
        return month_label(w);
    }
    let id = |prefix: char| w.strip_prefix(prefix).and_then(|n| n.parse::<i64>().ok());
    if let Some(n) = id('W')
        && let Some(name) = names.windows.get(&n)
    {
        return name.clone();
    }
    if let Some(n) = id('S')
        && let Some(name) = names.staff.get(&n)
    {
        return name.clone();
    }
    match w {
        "window" => "窗口".to_string(),
        "staff" => "工作人员".to_string(),
        _ => w.to_string(),
    }
}

/// What an audit row is about, by name. Sign-in rows name the username as typed (which may
/// look like a number), never an account id.
pub fn subject(names: &Names, action: &str, entity: &str, entity_id: &str) -> String {
    if action.starts_with("login.") && action != "login.success" && action != "login.unlock" {
        return entity_id.to_string();
    }
    if let Ok(id) = entity_id.parse::<i64>() {
        let table = match entity {
            "account" => Some(&names.accounts),
            "department" => Some(&names.departments),
            "business_area" => Some(&names.business_areas),
            "service_window" => Some(&names.windows),
            "staff" => Some(&names.staff),
            "scheme" => Some(&names.schemes),
            _ => None,
        };
        if let Some(name) = table.and_then(|t| t.get(&id)) {
            return name.clone();
        }
    }
    if let Some(key) = entity_id.strip_prefix("ip:") {
        return format!("地址 {key}");
    }
    // "2026-10 staff 34": the word before an id says what it is.
    let words: Vec<&str> = entity_id.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let next = words.get(i + 1).and_then(|n| n.parse::<i64>().ok());
        match (words[i], next) {
            ("window", Some(n)) if names.windows.contains_key(&n) => {
                out.push(names.windows[&n].clone());
                i += 2;
            }
            ("staff", Some(n)) if names.staff.contains_key(&n) => {
                out.push(names.staff[&n].clone());
                i += 2;
            }
            (w, _) => {
                out.push(word(names, w));
                i += 1;
            }
        }
    }
    out.join(" ")
}

fn show(names: &Names, field: &str, v: Option<&Value>) -> String {
    let by_id = |table: &std::collections::HashMap<i64, String>, n: i64| {
        table
            .get(&n)
            .cloned()
            .unwrap_or_else(|| format!("（编号 {n}）"))
    };
    match v {
        None | Some(Value::Null) => "（空）".to_string(),
        Some(Value::Number(n)) if n.as_i64().is_some() => {
            let n = n.as_i64().unwrap_or_default();
            match field {
                "department_id" => by_id(&names.departments, n),
                "business_area_id" => by_id(&names.business_areas, n),
                "window_id" => by_id(&names.windows, n),
                "staff_id" => by_id(&names.staff, n),
                "account_id" | "created_by" | "decided_by" | "revoked_by" | "updated_by" => {
                    by_id(&names.accounts, n)
                }
                "scheme_id" => by_id(&names.schemes, n),
                _ => n.to_string(),
            }
        }
        Some(Value::String(s)) => match field {
            "role" => crate::domain::Role::parse(s)
                .map(|r| r.label().to_string())
                .unwrap_or_else(|| s.clone()),
            "phase" => Phase::parse(s)
                .map(|p| p.label().to_string())
                .unwrap_or_else(|| s.clone()),
            "code" => VetoCode::parse(s)
                .map(|c| c.label().to_string())
                .unwrap_or_else(|| word(names, s)),
            _ => word(names, s),
        },
        Some(Value::Bool(true)) => "是".to_string(),
        Some(Value::Bool(false)) => "否".to_string(),
        Some(Value::Array(items)) if items.is_empty() => "（无）".to_string(),
        Some(Value::Array(items)) => {
            // Chosen entrants of a tie decision are numbers of the decision's kind.
            items
                .iter()
                .map(|i| show(names, field, Some(i)))
                .collect::<Vec<_>>()
                .join("、")
        }
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{}：{}", field_label(k), show(names, k, Some(v))))
            .collect::<Vec<_>>()
            .join("；"),
        Some(other) => other.to_string(),
    }
}

/// One changed field: name, before, after.
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// The fields that differ between two snapshots (timestamps of the change itself left out).
/// For a new row, `before` is empty: every field is shown with its value.
pub fn diff(names: &Names, before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "updated_at" | "created_at" | "center_id"))
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| FieldChange {
            field: field_label(k).to_string(),
            before: show(names, k, b.get(k)),
            after: show(names, k, a.get(k)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names() -> Names {
        let mut n = Names::default();
        n.windows.insert(12, "12号窗口 不动产登记".into());
        n.staff.insert(34, "张秀英（0034）".into());
        n.departments.insert(3, "税务局".into());
        n
    }

    #[test]
    fn the_diff_shows_only_fields_that_changed_with_names_for_ids() {
        let before = json!({"name": "税务", "active": true, "updated_at": "a", "department_id": 3});
        let after =
            json!({"name": "税务局", "active": true, "updated_at": "b", "department_id": 4});
        let d = diff(&names(), Some(&before), Some(&after));
        let rows: Vec<(&str, &str, &str)> = d
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_str(), c.after.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("进驻单位", "税务局", "（编号 4）"),
                ("名称", "税务", "税务局")
            ]
        );
    }

    #[test]
    fn phases_veto_codes_and_entrants_read_in_chinese() {
        let n = names();
        let d = diff(
            &n,
            Some(&json!({"phase": "voting"})),
            Some(&json!({"phase": "rating"})),
        );
        assert_eq!(
            (d[0].before.as_str(), d[0].after.as_str()),
            ("民主推荐", "综合评定")
        );
        assert_eq!(
            subject(
                &n,
                "monthly_score.update",
                "monthly_score",
                "2026-10 staff 34"
            ),
            "2026年10月 张秀英（0034）"
        );
        assert_eq!(
            subject(&n, "rating.update", "rating", "2026-Q4 W12"),
            "2026年第四季度 12号窗口 不动产登记"
        );
        // A failed sign-in names what was typed, even when it looks like an id.
        let mut n = n;
        n.accounts.insert(34, "张秀英（staff034）".into());
        assert_eq!(subject(&n, "login.failure", "account", "0034"), "0034");
        assert_eq!(
            subject(&n, "account.update", "account", "34"),
            "张秀英（staff034）"
        );
        let veto = diff(&n, None, Some(&json!({"code": "disciplinary"})));
        assert_ne!(veto[0].after, "disciplinary");
    }

    #[test]
    fn actions_read_and_are_found_in_chinese() {
        assert_eq!(action_label("service_window.update"), "修改窗口");
        assert_eq!(action_label("login.failure"), "登录失败");
        assert_eq!(action_label("monthly_score.update"), "修改月度考核分数");
        assert_eq!(action_label("period.publish"), "发布评选结果");
        assert_eq!(actions_named("重置密码"), ["account.password_reset"]);
        assert!(actions_named("登录").contains(&"login.success".to_string()));
        assert!(actions_named("一票否决").contains(&"veto.create".to_string()));
    }
}
