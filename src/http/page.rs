//! What every page shares: the layout (title, navigation, the signed-in person, the form
//! token), paging, list queries and rendering.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::extract::CurrentUser;
use super::form::FormData;
use super::urls;
use crate::domain::Role;

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The frame around every page.
pub struct Layout {
    pub title: String,
    pub user: Option<CurrentUser>,
    pub role_label: &'static str,
    pub nav: Vec<NavItem>,
    pub csrf: String,
    pub notice: Option<&'static str>,
    pub stylesheet: &'static str,
    pub script: &'static str,
    pub logout: &'static str,
    pub change_password: &'static str,
    pub home: &'static str,
}

impl Layout {
    pub fn new(title: impl Into<String>, user: Option<&CurrentUser>, current: &str) -> Layout {
        let nav = user
            .filter(|u| !u.must_change_password)
            .map(|u| nav_for(u.role, current))
            .unwrap_or_default();
        Layout {
            title: title.into(),
            role_label: user.map(|u| u.role.label()).unwrap_or(""),
            csrf: user.map(|u| u.csrf_token.clone()).unwrap_or_default(),
            home: user.map(|u| urls::home_of(u.role)).unwrap_or(urls::HOME),
            user: user.cloned(),
            nav,
            notice: None,
            stylesheet: urls::STYLESHEET,
            script: urls::SCRIPT,
            logout: urls::LOGOUT,
            change_password: urls::CHANGE_PASSWORD,
        }
    }

    /// A confirmation line at the top of the page after a successful action.
    /// The layout with the notice of `query`, when a page was reached with one (a page
    /// shown again after a refused form has none).
    pub fn with_notice_of(self, query: Option<&FormData>) -> Layout {
        match query {
            Some(q) => self.with_notice(q),
            None => self,
        }
    }

    pub fn with_notice(mut self, query: &FormData) -> Layout {
        self.notice = match query.first_utf8("notice") {
            Some("created") => Some("已新增。"),
            Some("saved") => Some("已保存。"),
            Some("enabled") => Some("已启用。"),
            Some("disabled") => Some("已停用。"),
            Some("password") => Some("密码已修改。"),
            Some("phase") => Some("评选阶段已变更。"),
            Some("published") => Some("评选结果已发布，当选名单已上光荣榜。"),
            Some("other_round") => Some(
                "本中心另一评选周期正处于同一阶段（同一时间只能进行一轮民主推荐或综合评定），请先完成该周期。",
            ),
            Some("imported_roster") => Some(
                "名单导入完成：新增和修改的进驻单位、业务范围、窗口和工作人员已全部保存，每一条都记入了操作日志。",
            ),
            Some("imported") => {
                Some("导入完成：表格中的分数已全部保存，每个分数都记入了操作日志。")
            }
            Some("corrected_score_only") => Some(
                "分数更正已登记（所更正的对象不在任何已确认的评选周期中，无需重新计算），更正记录见本页下方。",
            ),
            Some("corrected_scores") => {
                Some("分数更正已登记；使用本月的评选周期已按更正重新计算，更正记录见本页下方。")
            }
            Some("corrected") => Some("更正已登记，评选结果已按更正重新计算，更正记录见本页下方。"),
            Some("voted") => Some("推荐票已提交。感谢参与，投票内容严格保密。"),
            Some("already_voted") => Some("您已提交过这张推荐票，提交后不能更改；本次未重复计票。"),
            Some("unlocked") => Some("已解除锁定，解除理由已记入操作日志。"),
            Some("leader_kept") => Some(
                "组长账号未停用：组长不能空缺。如需更换组长，请先在新组长的账号中勾选“组长”（评选进行中不能更换），再停用原账号。",
            ),
            Some("imported_duty") => {
                Some("导入完成：表格中的在岗天数已全部保存，每一条都记入了操作日志。")
            }
            Some("duty_summed") => Some(
                "已按各季度（月）的合计填入在岗天数，每一条都记入了操作日志；如有不同，可逐人修改并说明理由。",
            ),
            Some("not_assessed_saved") => Some("未参加考核的原因已登记，并记入操作日志。"),
            Some("not_assessed_removed") => Some("已撤销该对象的未参加考核登记。"),
            Some("incomplete") => Some(
                "未确认：本周期使用的月份考核尚未录入完整。请为下列每个对象录入分数或登记未参加考核的原因后再确认。",
            ),
            Some("revoked") => Some("已撤销表彰并作废证书，理由已记入操作日志。"),
            Some("draft_saved") => Some("草稿已保存。截止前可随时修改，完成后请提交。"),
            Some("submitted") => Some("已提交。截止前如需修改，可先撤回再重新提交。"),
            Some("withdrawn") => Some("已撤回为草稿。修改后请在截止前重新提交。"),
            Some("filled") => Some(
                "已按考核记录生成本月分数：每个按细则考核的对象的月度分数都已等于其记录计算的结果，每个改变的分数都记入了操作日志。",
            ),
            Some("open_appeals") => Some(
                "未确认：本周期使用的月份中还有待复核的考核申诉（考核记录 → 考核申诉）。复核或说明理由关闭后，才能确认候选对象、锁定月份。",
            ),
            Some("imported_ratings") => Some(
                "好差评数据已导入，每一条都记入了操作日志；按考核细则考核的对象，群众评价得分已随之更新。",
            ),
            Some("appealed") => Some("申诉已提交，督查科复核后结果会显示在本页。"),
            Some("phase_unchanged") => Some("评选阶段未变更：该步骤已由他人完成，或当前不能进行。"),
            _ => None,
        };
        self
    }
}

fn nav_for(role: Role, current: &str) -> Vec<NavItem> {
    let items: &[(&'static str, &'static str)] = match role {
        Role::Admin => &[
            (urls::ADMIN_HOME, "首页"),
            (urls::DEPARTMENTS, "进驻单位"),
            (urls::BUSINESS_AREAS, "业务范围"),
            (urls::WINDOWS, "窗口"),
            (urls::STAFF, "工作人员"),
            (urls::ACCOUNTS, "账号"),
            (urls::SCHEMES, "评选方案"),
            (urls::RESULTS, "评选结果"),
            (urls::AUDIT, "操作日志"),
        ],
        Role::Supervision => &[
            (urls::SUPERVISION_HOME, "首页"),
            (urls::PERIODS, "评选周期"),
            (urls::SCORES, "月度考核"),
            (urls::ASSESSMENT, "考核记录"),
            (urls::RESULTS, "评选结果"),
            (urls::CITYWIDE, "全市评选"),
            (urls::AUDIT, "操作日志"),
        ],
        Role::WindowHead => &[
            (urls::WINDOW_HEAD_HOME, "首页"),
            (urls::BALLOT, "民主推荐"),
            (urls::MY_ASSESSMENT, "考核记录"),
        ],
        Role::Leadership => &[
            (urls::LEADERSHIP_HOME, "首页"),
            (urls::RATINGS, "综合评定"),
            (urls::RESULTS, "评选结果"),
        ],
        Role::Staff => &[
            (urls::STAFF_HOME, "首页"),
            (urls::MY_ASSESSMENT, "考核记录"),
        ],
    };
    items
        .iter()
        .map(|&(href, label)| NavItem {
            href,
            label,
            current: current == href
                || (href != urls::HOME && current.starts_with(&format!("{href}/"))),
        })
        .collect()
}

/// Renders a page; a template error is logged and answered with the 500 page.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            super::error::ErrorPage::for_status(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response_with(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

pub fn ok<T: Template>(page: &T) -> Response {
    render(StatusCode::OK, page)
}

/// The page as it is (200) when `valid`, else as a form shown again with messages (422).
pub fn ok_or_invalid<T: Template>(valid: bool, page: &T) -> Response {
    if valid { ok(page) } else { invalid(page) }
}

/// A form shown again with messages.
pub fn invalid<T: Template>(page: &T) -> Response {
    render(StatusCode::UNPROCESSABLE_ENTITY, page)
}

pub const PAGE_SIZE: i64 = 20;

/// A list's search text and page number, from the query string.
pub struct ListQuery {
    pub q: String,
    pub page: i64,
    pub raw: FormData,
}

impl ListQuery {
    pub fn parse(query: Option<&str>) -> ListQuery {
        let raw = FormData::parse_query(query.unwrap_or(""));
        let q = raw
            .first_utf8("q")
            .map(|s| {
                s.chars()
                    .filter(|c| !c.is_control())
                    .take(50)
                    .collect::<String>()
            })
            .unwrap_or_default()
            .trim()
            .to_string();
        let page = raw
            .first_utf8("page")
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| (1..=100_000).contains(p))
            .unwrap_or(1);
        ListQuery { q, page, raw }
    }

    /// A filter id from the query string (`None` when absent or not a number).
    pub fn id(&self, name: &str) -> Option<i64> {
        self.raw.first_utf8(name).and_then(|v| v.parse().ok())
    }

    /// A filter value from the query string, when it is one of `allowed`.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> String {
        self.raw
            .first_utf8(name)
            .filter(|v| allowed.contains(v))
            .unwrap_or("")
            .to_string()
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * PAGE_SIZE
    }
}

/// Page `asked` (from 1) of a list of `rows` rows shown `size` a page: the last page when
/// asked past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageOf {
    pub page: i64,
    pub pages: i64,
    /// Rows before the page.
    pub skipped: usize,
    /// Rows on the page.
    pub shown: usize,
}

impl PageOf {
    pub fn new(rows: usize, size: usize, asked: i64) -> PageOf {
        let size = size.max(1);
        let pages = rows.div_ceil(size).max(1) as i64;
        let page = asked.clamp(1, pages);
        let skipped = (page as usize - 1) * size;
        PageOf {
            page,
            pages,
            skipped,
            shown: rows.saturating_sub(skipped).min(size),
        }
    }
}

/// Links between the pages of a list.
pub struct Paging {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// More rows match than were counted (`total` is the count's cap): only the first
    /// `total` can be paged to, and a narrower search finds the others.
    pub more: bool,
}

impl Paging {
    /// `params` are the list's other query parameters (already filtered), kept on each link.
    pub fn new(base: &str, params: &[(&str, String)], page: i64, total: i64) -> Paging {
        Paging::sized(base, params, page, total, PAGE_SIZE)
    }

    /// Links of a list shown `size` rows a page.
    pub fn sized(
        base: &str,
        params: &[(&str, String)],
        page: i64,
        total: i64,
        size: i64,
    ) -> Paging {
        let pages = ((total + size - 1) / size.max(1)).max(1);
        let link = |p: i64| {
            let mut query: Vec<String> = params
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        percent_encoding::utf8_percent_encode(
                            v,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    )
                })
                .collect();
            query.push(format!("page={p}"));
            format!("{base}?{}", query.join("&"))
        };
        Paging {
            total,
            page,
            pages,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            more: false,
        }
    }

    /// Links of a list whose count stops at `cap` (`total` is `cap + 1` when more match).
    pub fn capped(
        base: &str,
        params: &[(&str, String)],
        page: i64,
        total: i64,
        cap: i64,
    ) -> Paging {
        let mut paging = Paging::new(base, params, page, total.min(cap));
        paging.more = total > cap;
        paging
    }
}

/// A `<select>` option.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Options for a select box from (id, label) pairs, marking the one whose id was typed.
pub fn choices(options: &[(i64, String)], selected: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(id, label)| Choice {
            value: id.to_string(),
            label: label.clone(),
            selected: id.to_string() == selected,
        })
        .collect()
}

/// A picture kept by the server (a staff photo, an evidence photo), for the signed-in
/// person's browser to keep an hour.
pub fn image(bytes: Vec<u8>, content_type: &str) -> Response {
    let mut res = bytes.into_response();
    res.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_str(content_type)
            .unwrap_or(axum::http::HeaderValue::from_static("image/jpeg")),
    );
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, max-age=3600"),
    );
    res
}

/// A file to download: its Chinese name in RFC 5987 form (`filename*`), with an ASCII name
/// for the browsers and tools that read only `filename`.
pub fn download(
    file_name: &str,
    ascii_name: &str,
    content_type: &str,
    body: impl IntoResponse,
) -> Response {
    let encoded =
        percent_encoding::utf8_percent_encode(file_name, percent_encoding::NON_ALPHANUMERIC);
    let ascii: String = ascii_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        body,
    )
        .into_response()
}

/// A workbook to download as `file_name`, or the 500 page when it could not be written.
pub fn xlsx_download(
    file_name: &str,
    book: Result<Vec<u8>, rust_xlsxwriter::XlsxError>,
) -> super::error::AppResult<Response> {
    let bytes = book
        .map_err(|e| super::error::AppError::Internal(anyhow::anyhow!("xlsx {file_name}: {e}")))?;
    Ok(download(
        file_name,
        "pingxuan.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    ))
}
