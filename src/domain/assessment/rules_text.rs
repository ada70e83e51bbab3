//! The rules as the office types them, one line each, like the paper sheet:
//!
//! ```text
//! 服务态度 20
//! - 迟到早退 -0.5 上限2
//! - 表扬信 +1 上限3
//! 群众评价 10 满意率 99%=10 98%=8 95%=5
//! - 差评经核实 -2
//! ```
//!
//! An item line is its name and maximum, and for the public's-rating item the word 满意率
//! and its steps (rate=points, highest rate first). A line starting with `-` is a standard
//! of the item above it: its name, its points per occurrence with their sign, and
//! optionally 上限 and the most it may count in a month. Every fault is reported with its
//! line number, in Chinese.

use super::{FULL_MARKS, Item, Standard, Step, points_text};

/// The sheet offered when a kind has no rules yet: the items of a common
/// 《窗口工作人员绩效考核表》, for the office to adjust.
pub const STARTING_SHEET: &str = "\
服务态度 25
- 未使用文明用语 -1 上限5
- 与群众发生争执 -5
- 表扬信 +1 上限3
工作纪律 25
- 迟到早退 -0.5 上限3
- 擅自离岗 -2
- 着装不规范 -1
- 工作时间玩手机 -1
工作效率 25
- 超期办件 -3
- 一次性告知不到位 -2
窗口环境 15
- 桌面不整洁 -0.5 上限2
群众评价 10 满意率 99%=10 98%=8 95%=5
- 差评经核实 -2
";

/// The most items a version may have, and standards per item.
pub const MAX_ITEMS: usize = 30;
pub const MAX_STANDARDS: usize = 50;
/// The longest name of an item or a standard, in characters.
pub const MAX_NAME: usize = 30;
/// The longest text accepted, in characters.
pub const MAX_TEXT: usize = 20_000;

/// Reads the typed rules; `Err` lists every fault found, each with its line.
pub fn parse(text: &str) -> Result<Vec<Item>, Vec<String>> {
    let mut errors = Vec::new();
    if text.chars().count() > MAX_TEXT {
        return Err(vec![format!("细则太长（最多 {MAX_TEXT} 个字符）")]);
    }
    let mut items: Vec<Item> = Vec::new();
    let mut next_id = 1;
    for (n, raw) in text.lines().enumerate() {
        let line = normalize(raw);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = |msg: String| format!("第 {} 行：{msg}", n + 1);
        if let Some(rest) = line.strip_prefix('-') {
            let Some(item) = items.last_mut() else {
                errors.push(at("扣分（加分）标准应写在所属项目的下面".into()));
                continue;
            };
            match standard(rest.trim(), item.max) {
                Ok(mut s) => {
                    if item.standards.iter().any(|o| o.name == s.name) {
                        errors.push(at(format!("“{}”在本项目中出现了两次", s.name)));
                    } else if item.standards.len() >= MAX_STANDARDS {
                        errors.push(at(format!("一个项目最多 {MAX_STANDARDS} 条标准")));
                    } else {
                        s.id = next_id;
                        next_id += 1;
                        item.standards.push(s);
                    }
                }
                Err(msg) => errors.push(at(msg)),
            }
        } else {
            match item(line) {
                Ok(it) => {
                    if items.iter().any(|o| o.name == it.name) {
                        errors.push(at(format!("项目“{}”出现了两次", it.name)));
                    } else if it.steps.is_some() && items.iter().any(|o| o.steps.is_some()) {
                        errors.push(at("只能有一个按满意率计分的项目".into()));
                    } else if items.len() >= MAX_ITEMS {
                        errors.push(at(format!("最多 {MAX_ITEMS} 个项目")));
                    } else {
                        items.push(it);
                    }
                }
                Err(msg) => errors.push(at(msg)),
            }
        }
    }
    if errors.is_empty() {
        let sum: i64 = items.iter().map(|i| i.max).sum();
        if items.is_empty() {
            errors.push("请至少填写一个考核项目".into());
        } else if sum != FULL_MARKS {
            errors.push(format!(
                "各项目满分合计应为 100 分，现为 {} 分",
                points_text(sum, false)
            ));
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

/// The rules written back as text, as `parse` reads them.
pub fn format(items: &[Item]) -> String {
    let mut out = String::new();
    for item in items {
        out.push_str(&item.name);
        out.push(' ');
        out.push_str(&points_text(item.max, false));
        if let Some(steps) = &item.steps {
            out.push_str(" 满意率");
            for s in steps {
                out.push_str(&format!(
                    " {}%={}",
                    points_text(s.min_rate, false),
                    points_text(s.points, false)
                ));
            }
        }
        out.push('\n');
        for s in &item.standards {
            out.push_str(&format!("- {} {}", s.name, points_text(s.points, true)));
            if let Some(cap) = s.cap {
                out.push_str(&format!(" 上限{}", points_text(cap, false)));
            }
            out.push('\n');
        }
    }
    out
}

/// Full-width spaces, signs and separators as their half-width selves.
fn normalize(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\u{3000}' | '\t' => ' ',
            '－' | '−' | '—' | '–' => '-',
            '＋' => '+',
            '％' => '%',
            '＝' | '：' | ':' => '=',
            '．' => '.',
            c => c,
        })
        .collect()
}

fn name(raw: &str) -> Result<String, String> {
    if raw.chars().count() > MAX_NAME {
        return Err(format!("名称最多 {MAX_NAME} 个字"));
    }
    if raw.chars().any(char::is_control) || raw.contains(['<', '>']) {
        return Err("名称中有不能使用的字符".into());
    }
    Ok(raw.to_string())
}

fn item(line: &str) -> Result<Item, String> {
    let mut words = line.split_whitespace();
    let name = name(words.next().unwrap_or_default())?;
    let Some(max) = words.next() else {
        return Err(format!("项目“{name}”缺少满分，应如“服务态度 20”"));
    };
    let max = number(max, false).map_err(|e| format!("满分{e}"))?;
    if max <= 0 {
        return Err("满分应大于 0".into());
    }
    let rest: Vec<&str> = words.collect();
    let steps = match rest.split_first() {
        None => None,
        Some((&"满意率", steps)) => Some(steps_of(steps, max)?),
        Some(_) => {
            return Err(format!(
                "项目行只写名称和满分（按群众满意率计分的项目再写“满意率 99%=10 …”），多出了“{}”",
                rest.join(" ")
            ));
        }
    };
    Ok(Item {
        name,
        max,
        steps,
        standards: Vec::new(),
    })
}

fn steps_of(words: &[&str], max: i64) -> Result<Vec<Step>, String> {
    if words.is_empty() {
        return Err("满意率后面应写各档，如“满意率 99%=10 98%=8 95%=5”".into());
    }
    let mut steps: Vec<Step> = Vec::new();
    for w in words {
        let Some((rate, points)) = w.split_once('=') else {
            return Err(format!("“{w}”应写成“满意率%=得分”，如 99%=10"));
        };
        let rate = rate.strip_suffix('%').unwrap_or(rate);
        let min_rate = number(rate, false).map_err(|e| format!("满意率“{w}”{e}"))?;
        let points = number(points, false).map_err(|e| format!("“{w}”的得分{e}"))?;
        if points > max {
            return Err(format!("“{w}”的得分超过了项目满分"));
        }
        if let Some(last) = steps.last()
            && (min_rate >= last.min_rate || points > last.points)
        {
            return Err("各档应按满意率从高到低排列，得分不能随满意率降低而升高".into());
        }
        steps.push(Step { min_rate, points });
    }
    Ok(steps)
}

fn standard(line: &str, max: i64) -> Result<Standard, String> {
    let words: Vec<String> = line
        .replace("上限", " 上限 ")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let (name_word, rest) = words
        .split_first()
        .ok_or_else(|| "“-”后面应写标准名称和分值，如“- 迟到早退 -0.5”".to_string())?;
    let name = name(name_word)?;
    let Some((points, rest)) = rest.split_first() else {
        return Err(format!("“{name}”缺少分值：扣分写 -0.5，加分写 +1"));
    };
    if !points.starts_with(['-', '+']) {
        return Err(format!(
            "“{name}”的分值应带符号：扣分写 -{points}，加分写 +{points}"
        ));
    }
    let points = number(points, true).map_err(|e| format!("“{name}”的分值{e}"))?;
    if points == 0 {
        return Err(format!("“{name}”的分值不能为 0"));
    }
    if points.abs() > max {
        return Err(format!("“{name}”每次的分值超过了项目满分"));
    }
    let cap = match rest {
        [] => None,
        [word, value] if word == "上限" => {
            let cap = number(value, false).map_err(|e| format!("“{name}”的上限{e}"))?;
            if cap <= 0 || cap > max {
                return Err(format!("“{name}”的上限应大于 0，且不超过项目满分"));
            }
            Some(cap)
        }
        _ => {
            return Err(format!(
                "“{name}”后面只能写分值和上限，如“- {name} -0.5 上限2”"
            ));
        }
    };
    Ok(Standard {
        id: 0,
        name,
        points,
        cap,
    })
}

/// A number of at most 100 with at most two decimals, in hundredths; with `signed`, led by
/// `+` or `-`.
fn number(raw: &str, signed: bool) -> Result<i64, String> {
    let (negative, digits) = match raw.as_bytes().first() {
        Some(b'-') if signed => (true, &raw[1..]),
        Some(b'+') if signed => (false, &raw[1..]),
        _ => (false, raw),
    };
    if digits.chars().any(|c| ('０'..='９').contains(&c)) {
        return Err("请使用半角数字".into());
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || (digits.contains('.') && !all_digits(frac)) {
        return Err(format!("“{raw}”不是数字"));
    }
    if frac.len() > 2 {
        return Err("最多两位小数".into());
    }
    if int.len() > 3 {
        return Err("不能超过 100".into());
    }
    let whole: i64 = int.parse().map_err(|_| format!("“{raw}”不是数字"))?;
    let cents: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    let h = whole * 100 + cents;
    if h > FULL_MARKS {
        return Err("不能超过 100".into());
    }
    Ok(if negative { -h } else { h })
}
