//! Charts drawn by the server as SVG: no script, no external asset, print-friendly. Each
//! chart carries a title and a description for screen readers, and the pages that show one
//! also give its numbers as a table. Coordinates are floating point; the numbers shown are
//! formatted by the caller, so no score is ever rounded here.

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// Escapes text for SVG content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// One line of a line chart; `None` leaves a gap.
pub struct Series {
    pub name: String,
    /// CSS class of the line (`chart-a`, `chart-b`, `chart-c`).
    pub class: &'static str,
    pub points: Vec<Option<f64>>,
    pub dashed: bool,
}

/// A line chart over categories (months, days).
pub struct LineChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub x_labels: &'a [String],
    pub series: &'a [Series],
    pub y_min: f64,
    pub y_max: f64,
    pub y_step: f64,
}

fn open(id: &str, title: &str, description: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(description)
    )
}

fn y_axis(out: &mut String, y_min: f64, y_max: f64, step: f64, y_of: &dyn Fn(f64) -> f64) {
    let mut v = y_min;
    while v <= y_max + 1e-9 {
        let y = y_of(v);
        let _ = write!(
            out,
            "<line class=\"chart-grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"chart-tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            if step.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        );
        v += step;
    }
}

impl LineChart<'_> {
    pub fn svg(&self) -> String {
        let mut out = open(self.id, self.title, self.description);
        let span = (self.y_max - self.y_min).max(1e-9);
        let plot_h = HEIGHT - TOP - BOTTOM;
        let y_of =
            |v: f64| TOP + plot_h * (1.0 - (v.clamp(self.y_min, self.y_max) - self.y_min) / span);
        y_axis(&mut out, self.y_min, self.y_max, self.y_step, &y_of);
        let n = self.x_labels.len().max(1);
        let plot_w = WIDTH - LEFT - RIGHT;
        let x_of = |i: usize| {
            if n == 1 {
                LEFT + plot_w / 2.0
            } else {
                LEFT + plot_w * i as f64 / (n - 1) as f64
            }
        };
        // Label every category when there is room, else every other one.
        let every = if n > 14 { 2 } else { 1 };
        for (i, label) in self.x_labels.iter().enumerate() {
            if i % every == 0 || i == n - 1 {
                let _ = write!(
                    out,
                    "<text class=\"chart-tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    x_of(i),
                    HEIGHT - BOTTOM + 16.0,
                    esc(label)
                );
            }
        }
        for s in self.series {
            let mut d = String::new();
            let mut pen_down = false;
            for (i, p) in s.points.iter().enumerate() {
                match p {
                    Some(v) => {
                        let _ = write!(
                            d,
                            "{}{:.1} {:.1}",
                            if pen_down { " L" } else { " M" },
                            x_of(i),
                            y_of(*v)
                        );
                        pen_down = true;
                    }
                    None => pen_down = false,
                }
            }
            if !d.is_empty() {
                let _ = write!(
                    out,
                    "<path class=\"chart-line {}{}\" d=\"{}\"/>",
                    s.class,
                    if s.dashed { " dashed" } else { "" },
                    d.trim()
                );
            }
            for (i, p) in s.points.iter().enumerate() {
                if let Some(v) = p
                    && !s.dashed
                {
                    let _ = write!(
                        out,
                        "<circle class=\"chart-dot {}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"/>",
                        s.class,
                        x_of(i),
                        y_of(*v)
                    );
                }
            }
        }
        // The legend, along the bottom.
        let mut x = LEFT;
        for s in self.series {
            let y = HEIGHT - 10.0;
            let _ = write!(
                out,
                "<line class=\"chart-line {}{}\" x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"chart-legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                s.class,
                if s.dashed { " dashed" } else { "" },
                x + 22.0,
                y - 4.0,
                y - 4.0,
                x + 28.0,
                y,
                esc(&s.name)
            );
            x += 40.0 + 14.0 * s.name.chars().count() as f64;
        }
        out.push_str("</svg>");
        out
    }
}

/// A bar chart of counts per category (a distribution).
pub struct BarChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub labels: &'a [String],
    pub counts: &'a [u32],
}

impl BarChart<'_> {
    pub fn svg(&self) -> String {
        let mut out = open(self.id, self.title, self.description);
        let max = self.counts.iter().copied().max().unwrap_or(0).max(1);
        // A round step for the axis: 1, 2, 5, 10, ...
        let step = [1u32, 2, 5, 10, 20, 50, 100, 200, 500]
            .into_iter()
            .find(|s| max / s <= 5)
            .unwrap_or(1000);
        let top = max.div_ceil(step) * step;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let y_of = |v: f64| TOP + plot_h * (1.0 - v / f64::from(top));
        y_axis(&mut out, 0.0, f64::from(top), f64::from(step), &y_of);
        let n = self.counts.len().max(1);
        let slot = (WIDTH - LEFT - RIGHT) / n as f64;
        for (i, (label, count)) in self.labels.iter().zip(self.counts).enumerate() {
            let x = LEFT + slot * i as f64;
            let y = y_of(f64::from(*count));
            let _ = write!(
                out,
                "<rect class=\"chart-bar\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
                x + slot * 0.15,
                slot * 0.7,
                (TOP + plot_h - y).max(0.0)
            );
            if *count > 0 {
                let _ = write!(
                    out,
                    "<text class=\"chart-value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{count}</text>",
                    x + slot / 2.0,
                    y - 4.0
                );
            }
            let _ = write!(
                out,
                "<text class=\"chart-tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + slot / 2.0,
                HEIGHT - BOTTOM + 16.0,
                esc(label)
            );
        }
        out.push_str("</svg>");
        out
    }
}

/// Bins of `width` hundredths covering `values` (hundredths, 0..=10000), the last bin
/// closed at 100: labels like `90–92` and the count in each.
pub fn bins(values: &[i64], width: i64) -> (Vec<String>, Vec<u32>) {
    let Some(min) = values.iter().copied().min() else {
        return (Vec::new(), Vec::new());
    };
    let width = width.max(1);
    let start = (min.clamp(0, 10_000) / width) * width;
    let mut labels = Vec::new();
    let mut counts = Vec::new();
    let mut lo = start;
    while lo < 10_000 || labels.is_empty() {
        let hi = (lo + width).min(10_000);
        let last = hi >= 10_000;
        let count = values
            .iter()
            .filter(|v| **v >= lo && (**v < hi || (last && **v <= hi)))
            .count();
        labels.push(format!("{}–{}", lo / 100, hi / 100));
        counts.push(count as u32);
        if last {
            break;
        }
        lo = hi;
    }
    (labels, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_every_value_once_and_close_at_one_hundred() {
        let values = [8_050, 8_199, 9_000, 9_999, 10_000];
        let (labels, counts) = bins(&values, 200);
        assert_eq!(labels.first().unwrap(), "80–82");
        assert_eq!(labels.last().unwrap(), "98–100");
        assert_eq!(counts.iter().sum::<u32>() as usize, values.len());
        assert_eq!(counts[0], 2);
        assert_eq!(*counts.last().unwrap(), 2);
    }

    #[test]
    fn text_in_a_chart_is_escaped() {
        let labels = vec!["<b>".to_string()];
        let svg = BarChart {
            id: "x",
            title: "a & b",
            description: "\"d\"",
            labels: &labels,
            counts: &[1],
        }
        .svg();
        assert!(svg.contains("a &amp; b") && svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
    }

    #[test]
    fn a_gap_in_a_series_breaks_its_line() {
        let labels: Vec<String> = (1..=3).map(|m| format!("{m}月")).collect();
        let series = [Series {
            name: "本人".into(),
            class: "chart-a",
            points: vec![Some(90.0), None, Some(95.0)],
            dashed: false,
        }];
        let svg = LineChart {
            id: "c",
            title: "t",
            description: "d",
            x_labels: &labels,
            series: &series,
            y_min: 80.0,
            y_max: 100.0,
            y_step: 5.0,
        }
        .svg();
        assert_eq!(svg.matches(" M").count() + svg.matches("\"M").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
