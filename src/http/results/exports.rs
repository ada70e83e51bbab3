//! Downloads: the recount input and results as JSON, the score sheet and results as Excel.

use super::period_results;
use crate::http::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::PeriodCtx;
use crate::http::page::{self};
use crate::scoring::{self, Kind, KindResult, PeriodInput};
use axum::extract::State;
use axum::response::Response;

/// A JSON download: its Chinese name, with the period code's ASCII name as the fallback.
fn json_download(name: &str, ascii_name: &str, body: String) -> Response {
    page::download(name, ascii_name, "application/json; charset=utf-8", body)
}

pub(super) async fn recount_json(
    State(state): State<AppState>,
    ctx: PeriodCtx,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let (input, _, _) = period_results(&state, user.center_id, &p).await?;
    let body = serde_json::to_string_pretty(&input).map_err(|e| AppError::Internal(e.into()))?;
    Ok(json_download(
        &format!(
            "{}复核数据.json",
            crate::domain::period::period_label(&p.code)
        ),
        &format!("{}-recount.json", p.code),
        body,
    ))
}

pub(super) async fn results_json(
    State(state): State<AppState>,
    ctx: PeriodCtx,
) -> AppResult<Response> {
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let (_, result, _) = period_results(&state, user.center_id, &p).await?;
    let body = serde_json::to_string_pretty(&result).map_err(|e| AppError::Internal(e.into()))?;
    Ok(json_download(
        &format!(
            "{}计算结果.json",
            crate::domain::period::period_label(&p.code)
        ),
        &format!("{}-results.json", p.code),
        body,
    ))
}

// Spreadsheets of a period

/// How an entrant's democratic score was made, from the recount's tallies: (its
/// recommendations, the ballots that count for it, the ballots of its own window's heads,
/// which do not). `None` when the kind has no tally.
pub(super) fn ballot_counts(input: &PeriodInput, kind: Kind, id: &str) -> Option<(i64, i64, i64)> {
    let home = if kind == Kind::Window {
        Some(id.to_string())
    } else {
        input
            .staff
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.window.clone())
    };
    let t = input.tallies.iter().find(|t| t.kind == kind.as_str())?;
    let count = |own_only: bool| -> i64 {
        t.ballots_by_window
            .0
            .iter()
            .filter(|(w, _)| !own_only || home.as_deref() == Some(w.as_str()))
            .filter_map(|(_, n)| n.whole().ok())
            .sum()
    };
    let (total, own) = (count(false), count(true));
    let recs = t
        .recommendations
        .0
        .iter()
        .find(|(c, _)| c.as_str() == id)
        .and_then(|(_, n)| n.whole().ok())
        .unwrap_or(0);
    Some((recs, total - own, own))
}

/// A number of the recount as hundredths for a sheet.
fn cell_of(n: &scoring::Number) -> crate::sheets::Out {
    match n.hundredths() {
        Ok(h) => crate::sheets::Out::Hundredths(h),
        Err(_) => crate::sheets::Out::Text(n.raw().to_string()),
    }
}

fn veto_text(codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| crate::domain::veto::VetoCode::label_of(c).to_string())
        .collect::<Vec<_>>()
        .join("；")
}

/// The period's full score sheet: every entrant's monthly scores, duty days and vetoes.
pub(super) async fn scores_xlsx(
    State(state): State<AppState>,
    ctx: PeriodCtx,
) -> AppResult<Response> {
    use crate::sheets::{Out, OutSheet};
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let decoded = super::shared_results(&state, user.center_id, &p).await?;
    let (input, result, names) = (&decoded.input, &decoded.result, &decoded.names);
    let label = crate::domain::period::period_label(&p.code);
    let months: Vec<String> = input.months.clone();
    let month_titles: Vec<String> = months
        .iter()
        .map(|m| crate::domain::period::month_label(m))
        .collect();
    let cols = |list: &[(&str, f64)]| -> Vec<(String, f64)> {
        list.iter().map(|(t, w)| (t.to_string(), *w)).collect()
    };
    // Each entrant's assessment by id, looked up once per row.
    let by_id: std::collections::HashMap<&str, &scoring::EntrantResult> = result
        .window
        .entrants
        .iter()
        .chain(&result.staff.entrants)
        .map(|e| (e.id.as_str(), e))
        .collect();
    let assessment = |id: &str, _: &KindResult| {
        by_id
            .get(id)
            .and_then(|e| e.assessment)
            .map(|a| Out::Hundredths(a.0))
            .unwrap_or(Out::Empty)
    };
    let month_cells = |scores: &scoring::Entries| -> Vec<Out> {
        months
            .iter()
            .map(|m| {
                scores
                    .0
                    .iter()
                    .find(|(k, _)| k == m)
                    .map(|(_, v)| cell_of(v))
                    .unwrap_or(Out::Empty)
            })
            .collect()
    };
    let name = |id: &str| names.names.get(id).cloned().unwrap_or_default();
    let mut window_header = cols(&[("窗口", 24.0), ("进驻单位", 20.0)]);
    window_header.extend(month_titles.iter().map(|t| (t.clone(), 12.0)));
    window_header.extend(cols(&[("考核平均分", 12.0), ("一票否决", 24.0)]));
    let windows = input
        .windows
        .iter()
        .map(|w| {
            let (n, d, _) = name(&w.id);
            let mut row = vec![Out::Text(n), Out::Text(d)];
            row.extend(month_cells(&w.scores));
            row.push(assessment(&w.id, &result.window));
            row.push(Out::Text(veto_text(&w.vetoes)));
            row
        })
        .collect();
    let mut staff_header = cols(&[("姓名（工号）", 18.0), ("窗口", 24.0)]);
    staff_header.extend(month_titles.iter().map(|t| (t.clone(), 12.0)));
    staff_header.extend(cols(&[
        ("考核平均分", 12.0),
        ("在岗天数", 10.0),
        ("一票否决", 24.0),
    ]));
    let staff = input
        .staff
        .iter()
        .map(|s| {
            let (n, w, _) = name(&s.id);
            let mut row = vec![Out::Text(n), Out::Text(w)];
            row.extend(month_cells(&s.scores));
            row.push(assessment(&s.id, &result.staff));
            row.push(
                s.duty_days
                    .as_ref()
                    .and_then(|d| d.whole().ok())
                    .map(Out::Int)
                    .unwrap_or(Out::Empty),
            );
            row.push(Out::Text(veto_text(&s.vetoes)));
            row
        })
        .collect();
    let bytes = crate::sheets::write_xlsx(&[
        OutSheet {
            name: "窗口".into(),
            title: format!("{label} 窗口考核分数表"),
            header: window_header,
            rows: windows,
            frozen_columns: 1,
        },
        OutSheet {
            name: "工作人员".into(),
            title: format!("{label} 工作人员考核分数表"),
            header: staff_header,
            rows: staff,
            frozen_columns: 1,
        },
    ]);
    page::xlsx_download(&format!("{label}考核分数表.xlsx"), bytes)
}

/// The period's results with how each total was made.
pub(super) async fn results_xlsx(
    State(state): State<AppState>,
    ctx: PeriodCtx,
) -> AppResult<Response> {
    use crate::sheets::{Out, OutSheet};
    let PeriodCtx {
        user, period: p, ..
    } = ctx;
    let decoded = super::shared_results(&state, user.center_id, &p).await?;
    let (input, result, names) = (&decoded.input, &decoded.result, &decoded.names);
    let label = crate::domain::period::period_label(&p.code);
    let min_days = p.rules.min_duty_days.to_string();
    let phases = crate::domain::period::Phase::of(&p.rules);
    let sheet = |kind: Kind, title: &str, k: &KindResult| -> OutSheet {
        let mut entrants: Vec<&scoring::EntrantResult> = k.entrants.iter().collect();
        entrants.sort_by_key(|e| (e.final_rank.is_none(), e.final_rank, !e.eligible));
        let rows = entrants
            .into_iter()
            .map(|e| {
                let (n, d, a) = names.names.get(&e.id).cloned().unwrap_or_default();
                // Tallies and ratings are only shown for candidates (a large center's
                // thousands of others would each scan them for nothing).
                let counts = e
                    .candidate
                    .then(|| ballot_counts(input, kind, &e.id))
                    .flatten();
                let ratings = if e.candidate {
                    input.ratings.iter().filter(|r| r.subject == e.id).count()
                } else {
                    0
                };
                let fixed = |v: Option<scoring::Fixed2>| {
                    v.map(|v| Out::Hundredths(v.0)).unwrap_or(Out::Empty)
                };
                let mut notes: Vec<String> = e.reasons.iter().map(|r| r.label(&min_days)).collect();
                notes.extend(
                    e.flags
                        .iter()
                        .filter_map(|f| super::flag_word(f, &phases))
                        .map(str::to_string),
                );
                vec![
                    e.final_rank
                        .map(|r| Out::Int(i64::from(r)))
                        .unwrap_or(Out::Empty),
                    Out::Text(n),
                    Out::Text(d),
                    Out::Text(a),
                    fixed(e.assessment),
                    e.assessment_rank
                        .map(|r| Out::Int(i64::from(r)))
                        .unwrap_or(Out::Empty),
                    match counts.filter(|_| e.candidate) {
                        Some((recs, _, _)) => Out::Int(recs),
                        None => Out::Empty,
                    },
                    match counts.filter(|_| e.candidate) {
                        Some((_, base, _)) => Out::Int(base),
                        None => Out::Empty,
                    },
                    fixed(e.democratic),
                    if e.candidate {
                        Out::Int(ratings as i64)
                    } else {
                        Out::Empty
                    },
                    fixed(e.comprehensive),
                    fixed(e.total),
                    Out::Text(
                        if e.winner {
                            "当选"
                        } else if e.candidate {
                            "未当选"
                        } else if e.eligible {
                            "非候选对象"
                        } else {
                            "不符合参评条件"
                        }
                        .to_string(),
                    ),
                    Out::Text(notes.join("；")),
                ]
            })
            .collect();
        OutSheet {
            name: title.to_string(),
            title: format!("{label} {title}评选结果"),
            header: [
                ("名次", 6.0),
                (
                    if kind == Kind::Window {
                        "窗口"
                    } else {
                        "姓名（工号）"
                    },
                    20.0,
                ),
                (
                    if kind == Kind::Window {
                        "进驻单位"
                    } else {
                        "窗口"
                    },
                    20.0,
                ),
                (
                    if kind == Kind::Window {
                        "业务范围"
                    } else {
                        "岗位"
                    },
                    14.0,
                ),
                ("考核平均分", 11.0),
                ("考核排名", 9.0),
                ("推荐票", 8.0),
                ("计票基数", 9.0),
                ("民主推荐得分", 12.0),
                ("评分人数", 9.0),
                ("综合评定得分", 12.0),
                ("总分", 9.0),
                ("结果", 12.0),
                ("说明", 24.0),
            ]
            .iter()
            .map(|(t, w)| (t.to_string(), *w))
            .collect(),
            rows,
            frozen_columns: 2,
        }
    };
    let bytes = crate::sheets::write_xlsx(&[
        sheet(Kind::Window, p.title(Kind::Window), &result.window),
        sheet(Kind::Staff, p.title(Kind::Staff), &result.staff),
    ]);
    page::xlsx_download(&format!("{label}评选结果.xlsx"), bytes)
}
