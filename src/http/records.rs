//! 年度档案: a window's or a person's year on one page — the monthly scores (and the months
//! not assessed, with why), duty days, the results of every published period of the year
//! and the honors won, which the year-end assessment (年终工作考核) relies on. Seen by the
//! office, the leadership and the admin for everyone of the center, by a window head for
//! the window and its staff, by a staff member for themselves; and the whole center's year
//! as one workbook.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use super::AppState;
use super::error::{AppError, AppResult};
use super::extract::CurrentUser;
use super::form::FormData;
use super::page::{self, Layout};
use super::results::EntryView;
use super::routes::{Access, Routes};
use crate::db::{self, org::Catalog};
use crate::domain::Role;
use crate::domain::ids::{Entrant, StaffId, WindowId};
use crate::domain::period::{month_label, period_label};
use crate::scoring::Fixed2;
use crate::sheets::{self, Out, OutSheet};

const EVERYONE: &[Role] = &[
    Role::Admin,
    Role::Supervision,
    Role::WindowHead,
    Role::Leadership,
    Role::Staff,
];
const CENTER_WIDE: &[Role] = &[Role::Admin, Role::Supervision, Role::Leadership];

pub fn routes(r: Routes) -> Routes {
    r.get("/records/{year}/{id}", Access::Roles(EVERYONE), year_page)
        .get(
            "/records/{year}/workbook.xlsx",
            Access::Roles(CENTER_WIDE),
            workbook,
        )
}

/// The mean of monthly scores in hundredths, rounded half-up as the assessment score A is;
/// `None` without any.
fn mean_of(scores: impl Iterator<Item = i32>) -> Option<i64> {
    let (sum, n) = scores.fold((0i128, 0i128), |(s, n), h| (s + i128::from(h), n + 1));
    (n > 0).then(|| crate::scoring::number::div_round_half_up(sum, n) as i64)
}

/// The address of an entrant's year page.
pub fn url(year: &str, entrant: Entrant) -> String {
    format!("/records/{year}/{}", entrant.recount_id())
}

fn parse_year(raw: &str) -> Option<&str> {
    (raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()) && ("2000"..="2099").contains(&raw))
        .then_some(raw)
}

pub(crate) fn parse_entrant(raw: &str) -> Option<Entrant> {
    match raw.split_at_checked(1)? {
        ("W", n) => WindowId::parse(n).map(Entrant::Window),
        ("S", n) => StaffId::parse(n).map(Entrant::Staff),
        _ => None,
    }
}

pub struct MonthView {
    pub month: String,
    pub value: String,
    pub muted: bool,
    /// 第3名, among the center's windows (or staff) that month.
    pub rank: String,
}

pub struct VetoView {
    pub period: String,
    pub text: String,
    pub revoked: Option<String>,
}

pub struct ResultView {
    pub entry: EntryView,
    pub url: String,
}

pub struct HonorView {
    pub text: String,
    pub certificate_no: String,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "records/year.html")]
struct YearPage {
    layout: Layout,
    year: String,
    name: String,
    detail: String,
    months: Vec<MonthView>,
    mean: String,
    staff: bool,
    duty_days: Vec<(String, String)>,
    results: Vec<ResultView>,
    honors: Vec<HonorView>,
    vetoes: Vec<VetoView>,
    prev: String,
    next: String,
    /// Links to the results pages (the roles that read them).
    results_links: bool,
}

/// The entrant's name and detail, when `user` may see its year: `None` otherwise (the page
/// is then "not found", so that nobody learns of someone they may not see).
pub(crate) async fn visible(
    conn: &mut sqlx::PgConnection,
    user: &CurrentUser,
    entrant: Entrant,
) -> AppResult<Option<(String, String)>> {
    let center_wide = CENTER_WIDE.contains(&user.role);
    Ok(match entrant {
        Entrant::Window(w) => {
            let mine = user.role == Role::WindowHead && user.window_id == Some(w);
            match db::org::window_get(conn, user.center_id, w).await? {
                Some(row) if center_wide || mine => Some((
                    format!("{}号窗口 {}", row.number, row.name),
                    format!("{}　{}", row.department_name, row.business_area_name),
                )),
                _ => None,
            }
        }
        Entrant::Staff(s) => {
            let row = db::org::staff_get(conn, user.center_id, s).await?;
            match row {
                Some(row)
                    if center_wide
                        || (user.role == Role::Staff && user.staff_id == Some(s))
                        || (user.role == Role::WindowHead
                            && user.window_id == Some(row.window_id)) =>
                {
                    Some((
                        format!("{}（{}）", row.name, row.employee_no),
                        format!(
                            "{}　{}　{}",
                            row.window_label, row.department_name, row.position
                        ),
                    ))
                }
                _ => None,
            }
        }
    })
}

async fn year_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((year, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (Some(year), Some(entrant)) = (parse_year(&year), parse_entrant(&id)) else {
        return Err(AppError::NotFound);
    };
    let mut conn = state.db.acquire().await?;
    let Some((name, detail)) = visible(&mut conn, &user, entrant).await? else {
        return Err(AppError::NotFound);
    };
    let y = db::records::year(&mut conn, user.center_id, entrant, year).await?;
    drop(conn);
    let mean = mean_of(y.months.iter().filter_map(|m| m.score))
        .map_or_else(|| "—".to_string(), |m| Fixed2(m).to_string());
    let months = y
        .months
        .iter()
        .map(|m| {
            let (value, muted) = match (m.score, &m.not_assessed) {
                (Some(h), _) => (Fixed2(i64::from(h)).to_string(), false),
                (None, Some(r)) => (format!("未参加考核（{r}）"), true),
                (None, None) => ("未录入".to_string(), true),
            };
            MonthView {
                month: month_label(&m.month),
                value,
                muted,
                rank: m.rank.map(|r| format!("第{r}名")).unwrap_or_default(),
            }
        })
        .collect();
    let results = y
        .results
        .iter()
        .map(|r| ResultView {
            entry: EntryView::of(&r.code, &r.title, &r.entry, &r.min_days),
            url: format!("/results/{}/entrants/{}", r.code, entrant.recount_id()),
        })
        .collect();
    let honors = y
        .honors
        .into_iter()
        .map(|h| HonorView {
            text: format!("{}{}", period_label(&h.code), h.title),
            certificate_no: h.certificate_no,
            revoked: h.revoked_reason,
        })
        .collect();
    let vetoes = y
        .vetoes
        .into_iter()
        .map(|v| VetoView {
            period: period_label(&v.code),
            text: format!(
                "{}年{}月{}日 {}：{}",
                v.occurred_on.year(),
                u8::from(v.occurred_on.month()),
                v.occurred_on.day(),
                crate::domain::veto::VetoCode::label_of(&v.veto),
                v.description
            ),
            revoked: v.revoked_reason,
        })
        .collect();
    let year_n: i32 = year.parse().unwrap_or(2026);
    let page_ = YearPage {
        layout: Layout::new(
            format!("{name} {year}年度档案"),
            Some(&user),
            super::urls::home_of(user.role),
        ),
        year: year.to_string(),
        name,
        detail,
        months,
        mean,
        staff: entrant.is_staff(),
        duty_days: y
            .duty_days
            .into_iter()
            .map(|(c, d)| (period_label(&c), format!("{d} 天")))
            .collect(),
        results,
        honors,
        vetoes,
        prev: url(&(year_n - 1).to_string(), entrant),
        next: url(&(year_n + 1).to_string(), entrant),
        results_links: CENTER_WIDE.contains(&user.role),
    };
    Ok(page::ok(&page_))
}

/// The center's year: windows and staff, each month's score (or 未参加考核), the mean and
/// the honors, one sheet per kind, printable.
async fn workbook(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let Some(year) = parse_year(&year) else {
        return Err(AppError::NotFound);
    };
    let q = FormData::parse_query(q.as_deref().unwrap_or(""));
    let mut conn = state.db.acquire().await?;
    // One department's workbook (`?department=ID`), or the whole center's.
    let department = match q.first_utf8("department").filter(|d| !d.is_empty()) {
        Some(raw) => {
            let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
            let found =
                db::org::catalog_get(&mut conn, Catalog::Department, user.center_id, id).await?;
            Some((id, found.ok_or(AppError::NotFound)?.name))
        }
        None => None,
    };
    let id = department.as_ref().map(|d| d.0);
    let windows = db::records::workbook(&mut conn, user.center_id, year, false, id).await?;
    let staff = db::records::workbook(&mut conn, user.center_id, year, true, id).await?;
    drop(conn);
    let whose = department
        .as_ref()
        .map(|d| d.1.clone())
        .unwrap_or_else(|| user.center_name.clone());
    let sheet = |title: &str, keys: [&str; 3], rows: Vec<db::records::WorkbookRow>| {
        let mut header: Vec<(String, f64)> = keys
            .iter()
            .zip([10.0, 14.0, 22.0])
            .map(|(t, w)| (t.to_string(), w))
            .collect();
        header.extend((1..=12).map(|m| (format!("{m}月"), 8.0)));
        for (t, w) in [
            ("平均分", 9.0),
            ("月度荣誉", 30.0),
            ("季度荣誉", 30.0),
            ("年度荣誉", 24.0),
            ("一票否决", 24.0),
        ] {
            header.push((t.into(), w));
        }
        let rows = rows
            .into_iter()
            .map(|r| {
                let mean = mean_of(r.months.iter().filter_map(|m| match m {
                    Some(Ok(h)) => Some(*h),
                    _ => None,
                }));
                let mut out = vec![Out::Text(r.key), Out::Text(r.name), Out::Text(r.detail)];
                out.extend(r.months.into_iter().map(|m| match m {
                    Some(Ok(h)) => Out::Hundredths(i64::from(h)),
                    Some(Err(reason)) => Out::Text(format!("未参加考核（{reason}）")),
                    None => Out::Empty,
                }));
                out.push(mean.map_or(Out::Empty, Out::Hundredths));
                out.extend(r.honors.iter().map(|h| Out::Text(h.join("、"))));
                out.push(Out::Text(r.vetoes.join("、")));
                out
            })
            .collect();
        OutSheet {
            name: title.to_string(),
            title: format!("{year}年度 {title}月度考核与荣誉（{whose}）"),
            header,
            rows,
            frozen_columns: 2,
        }
    };
    let book = sheets::write_xlsx(&[
        sheet("窗口", ["窗口号", "窗口名称", "进驻单位"], windows),
        sheet("工作人员", ["工号", "姓名", "窗口"], staff),
    ]);
    page::xlsx_download(&format!("{year}年度考核与荣誉（{whose}）.xlsx"), book)
}

#[cfg(test)]
mod tests {
    use super::mean_of;

    #[test]
    fn the_years_mean_is_rounded_half_up_like_the_assessment_score() {
        assert_eq!(mean_of([9550, 9600, 9601].into_iter()), Some(9584)); // 95.8366…
        assert_eq!(mean_of([9550, 9551].into_iter()), Some(9551)); // 95.505
        assert_eq!(mean_of(std::iter::empty()), None);
    }
}
