//! Charts drawn by the server as SVG (an [`Svg`] of elements that `templates/svg.html` writes
//! out with askama's escaping): no script, no external asset, print-friendly. Each
//! chart carries a title and a description for screen readers, and the pages that show one
//! also give its numbers as a table. Coordinates are floating point; the numbers shown are
//! formatted by the caller, so no score is ever rounded here.

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// An SVG drawing as data: the root's attributes and its elements, each a tag with
/// attributes and perhaps text. `templates/svg.html` writes it out with askama's escaping,
/// so no markup is ever assembled from strings here.
#[derive(Clone, Debug, Default)]
pub struct Svg {
    pub attrs: Vec<(&'static str, String)>,
    pub elements: Vec<Element>,
}

/// One element of an [`Svg`].
#[derive(Clone, Debug)]
pub struct Element {
    pub tag: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub text: Option<String>,
}

impl Svg {
    fn push(&mut self, tag: &'static str, attrs: Vec<(&'static str, String)>) {
        self.elements.push(Element {
            tag,
            attrs,
            text: None,
        });
    }

    fn push_text(&mut self, tag: &'static str, attrs: Vec<(&'static str, String)>, text: &str) {
        self.elements.push(Element {
            tag,
            attrs,
            text: Some(text.to_string()),
        });
    }
}

/// A coordinate with one decimal.
fn c1(v: f64) -> String {
    format!("{v:.1}")
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

fn open(id: &str, title: &str, description: &str) -> Svg {
    let mut svg = Svg {
        attrs: vec![
            ("class", "chart".to_string()),
            ("viewBox", format!("0 0 {WIDTH} {HEIGHT}")),
            ("role", "img".to_string()),
            ("aria-labelledby", format!("{id}-t {id}-d")),
        ],
        elements: Vec::new(),
    };
    svg.push_text("title", vec![("id", format!("{id}-t"))], title);
    svg.push_text("desc", vec![("id", format!("{id}-d"))], description);
    svg
}

fn y_axis(out: &mut Svg, y_min: f64, y_max: f64, step: f64, y_of: &dyn Fn(f64) -> f64) {
    let mut v = y_min;
    while v <= y_max + 1e-9 {
        let y = y_of(v);
        out.push(
            "line",
            vec![
                ("class", "chart-grid".to_string()),
                ("x1", format!("{LEFT}")),
                ("x2", c1(WIDTH - RIGHT)),
                ("y1", c1(y)),
                ("y2", c1(y)),
            ],
        );
        let label = if step.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        };
        out.push_text(
            "text",
            vec![
                ("class", "chart-tick".to_string()),
                ("x", c1(LEFT - 6.0)),
                ("y", c1(y + 4.0)),
                ("text-anchor", "end".to_string()),
            ],
            &label,
        );
        v += step;
    }
}

impl LineChart<'_> {
    pub fn svg(&self) -> Svg {
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
                out.push_text(
                    "text",
                    vec![
                        ("class", "chart-tick".to_string()),
                        ("x", c1(x_of(i))),
                        ("y", c1(HEIGHT - BOTTOM + 16.0)),
                        ("text-anchor", "middle".to_string()),
                    ],
                    label,
                );
            }
        }
        for s in self.series {
            let mut d = String::new();
            let mut pen_down = false;
            for (i, p) in s.points.iter().enumerate() {
                match p {
                    Some(v) => {
                        let pen = if pen_down { " L" } else { " M" };
                        d.push_str(&format!("{pen}{} {}", c1(x_of(i)), c1(y_of(*v))));
                        pen_down = true;
                    }
                    None => pen_down = false,
                }
            }
            let class = format!(
                "chart-line {}{}",
                s.class,
                if s.dashed { " dashed" } else { "" }
            );
            if !d.is_empty() {
                out.push(
                    "path",
                    vec![("class", class.clone()), ("d", d.trim().to_string())],
                );
            }
            for (i, p) in s.points.iter().enumerate() {
                if let Some(v) = p
                    && !s.dashed
                {
                    out.push(
                        "circle",
                        vec![
                            ("class", format!("chart-dot {}", s.class)),
                            ("cx", c1(x_of(i))),
                            ("cy", c1(y_of(*v))),
                            ("r", "3".to_string()),
                        ],
                    );
                }
            }
        }
        // The legend, along the bottom.
        let mut x = LEFT;
        for s in self.series {
            let y = HEIGHT - 10.0;
            out.push(
                "line",
                vec![
                    (
                        "class",
                        format!(
                            "chart-line {}{}",
                            s.class,
                            if s.dashed { " dashed" } else { "" }
                        ),
                    ),
                    ("x1", c1(x)),
                    ("x2", c1(x + 22.0)),
                    ("y1", c1(y - 4.0)),
                    ("y2", c1(y - 4.0)),
                ],
            );
            out.push_text(
                "text",
                vec![
                    ("class", "chart-legend".to_string()),
                    ("x", c1(x + 28.0)),
                    ("y", c1(y)),
                ],
                &s.name,
            );
            x += 40.0 + 14.0 * s.name.chars().count() as f64;
        }
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
    pub fn svg(&self) -> Svg {
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
            out.push(
                "rect",
                vec![
                    ("class", "chart-bar".to_string()),
                    ("x", c1(x + slot * 0.15)),
                    ("y", c1(y)),
                    ("width", c1(slot * 0.7)),
                    ("height", c1((TOP + plot_h - y).max(0.0))),
                ],
            );
            if *count > 0 {
                out.push_text(
                    "text",
                    vec![
                        ("class", "chart-value".to_string()),
                        ("x", c1(x + slot / 2.0)),
                        ("y", c1(y - 4.0)),
                        ("text-anchor", "middle".to_string()),
                    ],
                    &count.to_string(),
                );
            }
            out.push_text(
                "text",
                vec![
                    ("class", "chart-tick".to_string()),
                    ("x", c1(x + slot / 2.0)),
                    ("y", c1(HEIGHT - BOTTOM + 16.0)),
                    ("text-anchor", "middle".to_string()),
                ],
                label,
            );
        }
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
    use askama::Template;

    /// The drawing as the pages write it.
    #[derive(Template)]
    #[template(path = "svg.html")]
    struct Page<'a> {
        svg: &'a Svg,
    }

    fn html(svg: &Svg) -> String {
        Page { svg }.render().unwrap()
    }

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
        let svg = html(&svg);
        // askama writes numeric character references.
        assert!(
            svg.contains("a &#38; b") && svg.contains("&#60;b&#62;") && !svg.contains("<b>"),
            "{svg}"
        );
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
        let svg = html(&svg);
        assert_eq!(svg.matches(" M").count() + svg.matches("\"M").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
