//! Charts of the results page and of an entrant's page: score distributions, turnout and
//! twelve months of history, each with its numbers as a table.

use crate::db;
use crate::domain::ids::{CenterId, Entrant};
use crate::http::error::AppResult;
use crate::scoring::{self, Kind, KindResult};

/// A chart with its numbers as a table (the text alternative that also prints).
pub struct ChartView {
    pub title: String,
    pub svg: crate::charts::Svg,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The charts of a results page: the assessment scores of each kind, the turnout.
pub struct Charts {
    pub distributions: Vec<ChartView>,
    pub turnout: Option<ChartView>,
}

/// The distribution of the entrants' assessment scores of one kind, in 2-point bins.
pub(super) fn distribution(kind: Kind, award: &str, k: &KindResult) -> Option<ChartView> {
    let values: Vec<i64> = k
        .entrants
        .iter()
        .filter_map(|e| e.assessment.map(|a| a.0))
        .collect();
    if values.is_empty() {
        return None;
    }
    let (labels, counts) = crate::charts::bins(&values, 200);
    let title = format!("{award}参评对象考核平均分分布");
    let svg = crate::charts::BarChart {
        id: &format!("dist-{}", kind.as_str()),
        title: &title,
        description: &format!(
            "{} 个参评对象的考核平均分，按每 2 分一档统计人数。",
            values.len()
        ),
        labels: &labels,
        counts: &counts,
    }
    .svg();
    Some(ChartView {
        title,
        svg,
        head: vec!["分数段".into(), "个数".into()],
        rows: labels
            .into_iter()
            .zip(counts)
            .map(|(l, c)| vec![l, c.to_string()])
            .collect(),
    })
}

/// How many heads had cast each ballot, over the voting phase: by hour when the vote took a
/// day or two, else by day (China Standard Time).
pub(super) fn turnout_chart(cast: &db::ballot::CastTimes) -> Option<ChartView> {
    let cst = time::macros::offset!(+8);
    let times: Vec<time::OffsetDateTime> = cast
        .window
        .iter()
        .chain(&cast.staff)
        .map(|t| t.to_offset(cst))
        .collect();
    let (first, last) = (*times.iter().min()?, *times.iter().max()?);
    let hourly = last - first <= time::Duration::days(2);
    let step = if hourly {
        time::Duration::hours(1)
    } else {
        time::Duration::days(1)
    };
    let start = if hourly {
        first
            .replace_minute(0)
            .ok()?
            .replace_second(0)
            .ok()?
            .replace_nanosecond(0)
            .ok()?
    } else {
        first.replace_time(time::Time::MIDNIGHT)
    };
    let mut ends = Vec::new();
    let mut t = start + step;
    while t - step <= last && ends.len() < 400 {
        ends.push(t);
        t += step;
    }
    let label = |end: time::OffsetDateTime| {
        let b = end - step;
        if hourly {
            format!("{}日{}时", b.day(), b.hour())
        } else {
            format!("{}月{}日", u8::from(b.month()), b.day())
        }
    };
    // The ballots cast before each end: times are in order, so a binary search each.
    let cumulative = |sorted: &[time::OffsetDateTime]| -> Vec<u32> {
        ends.iter()
            .map(|end| sorted.partition_point(|c| c < end) as u32)
            .collect()
    };
    let windows = cumulative(&cast.window);
    let staff = cumulative(&cast.staff);
    let labels: Vec<String> = ends.iter().map(|e| label(*e)).collect();
    let heads = cast.heads as f64;
    let series = [
        crate::charts::Series {
            name: "已投窗口推荐票".into(),
            class: "chart-a",
            points: windows.iter().map(|n| Some(f64::from(*n))).collect(),
            dashed: false,
        },
        crate::charts::Series {
            name: "已投工作人员推荐票".into(),
            class: "chart-b",
            points: staff.iter().map(|n| Some(f64::from(*n))).collect(),
            dashed: false,
        },
        crate::charts::Series {
            name: "窗口负责人总数".into(),
            class: "chart-c",
            points: vec![Some(heads); labels.len()],
            dashed: true,
        },
    ];
    let y_max = (heads / 5.0).ceil().max(1.0) * 5.0;
    let title = "民主推荐投票进度".to_string();
    let svg = crate::charts::LineChart {
        id: "turnout",
        title: &title,
        description: &format!(
            "窗口负责人共 {} 人；按{}累计已投票人数。",
            cast.heads,
            if hourly { "小时" } else { "天" }
        ),
        x_labels: &labels,
        series: &series,
        y_min: 0.0,
        y_max,
        y_step: (y_max / 5.0).max(1.0),
    }
    .svg();
    Some(ChartView {
        title,
        svg,
        head: vec!["截至".into(), "窗口推荐票".into(), "工作人员推荐票".into()],
        rows: labels
            .into_iter()
            .zip(windows.iter().zip(&staff))
            .map(|(l, (w, s))| vec![l, w.to_string(), s.to_string()])
            .collect(),
    })
}

/// The twelve months ending with `last` (`YYYY-MM`), oldest first.
fn twelve_months(last: &str) -> Vec<String> {
    let y: i32 = last.get(..4).and_then(|v| v.parse().ok()).unwrap_or(2026);
    let m: i32 = last.get(5..).and_then(|v| v.parse().ok()).unwrap_or(12);
    let n = y * 12 + (m - 1);
    (n - 11..=n)
        .map(|k| format!("{}-{:02}", k.div_euclid(12), k.rem_euclid(12) + 1))
        .collect()
}

/// An entrant's monthly scores over twelve months against the center's median.
pub async fn history_chart(
    conn: &mut sqlx::PgConnection,
    center_id: CenterId,
    entrant: Entrant,
    last_month: &str,
) -> AppResult<Option<ChartView>> {
    let months = twelve_months(last_month);
    let rows = db::score::history(conn, center_id, entrant, &months).await?;
    if rows.iter().all(|r| r.own.is_none()) {
        return Ok(None);
    }
    let as_f = |h: Option<i32>| h.map(|h| f64::from(h) / 100.0);
    let lowest = rows
        .iter()
        .flat_map(|r| [r.own, r.median])
        .flatten()
        .min()
        .unwrap_or(8000);
    let y_min = ((f64::from(lowest) / 100.0 - 1.0) / 5.0)
        .floor()
        .clamp(0.0, 19.0)
        * 5.0;
    let labels: Vec<String> = months
        .iter()
        .map(|m| format!("{}月", m[5..].trim_start_matches('0')))
        .collect();
    let series = [
        crate::charts::Series {
            name: if entrant.is_staff() {
                "本人".into()
            } else {
                "本窗口".into()
            },
            class: "chart-a",
            points: rows.iter().map(|r| as_f(r.own)).collect(),
            dashed: false,
        },
        crate::charts::Series {
            name: "全中心中位数".into(),
            class: "chart-c",
            points: rows.iter().map(|r| as_f(r.median)).collect(),
            dashed: true,
        },
    ];
    let title = format!(
        "近12个月考核分数（{}—{}）",
        crate::domain::period::month_label(&months[0]),
        crate::domain::period::month_label(last_month)
    );
    let svg = crate::charts::LineChart {
        id: "history",
        title: &title,
        description: "每月考核分数与全中心同类对象当月分数的中位数对比；空缺表示当月没有分数。",
        x_labels: &labels,
        series: &series,
        y_min,
        y_max: 100.0,
        y_step: if 100.0 - y_min > 20.0 { 10.0 } else { 5.0 },
    }
    .svg();
    let show = |h: Option<i32>| {
        h.map(|h| scoring::Fixed2(i64::from(h)).to_string())
            .unwrap_or_else(|| "—".into())
    };
    Ok(Some(ChartView {
        title,
        svg,
        head: vec!["月份".into(), "分数".into(), "全中心中位数".into()],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    crate::domain::period::month_label(&r.month),
                    show(r.own),
                    show(r.median),
                ]
            })
            .collect(),
    }))
}
