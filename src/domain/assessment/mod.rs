//! The itemized monthly assessment (考核细则), pure: a version's items and standards, and a
//! month's score computed from its records and the public's ratings. All points are integer
//! hundredths, so that 100 − 0.5 × 3 is exactly 98.50.
//!
//! The arithmetic, per item:
//! - each standard's records add up to `points × occurrences`, limited in size to the
//!   standard's monthly cap when it has one;
//! - the item starts from its maximum (or, for the public's-rating item with the month's
//!   figures, from the points of the satisfaction step reached), adds its standards' signed
//!   totals, and is kept between 0 and its maximum;
//! - the month's score is the sum of the items (the maxima sum to 100).

pub mod ratings_sheet;
pub mod rules_text;
pub mod satisfaction;

pub use satisfaction::{Counts, Step};

/// A standard deduction (negative points) or bonus (positive) of an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standard {
    /// Its row id (its place in a version being edited).
    pub id: i64,
    pub name: String,
    /// Points per occurrence, hundredths, never 0.
    pub points: i64,
    /// The most it takes or gives in one month, hundredths.
    pub cap: Option<i64>,
}

/// An item of the sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    /// Its maximum, hundredths.
    pub max: i64,
    /// For the public's-rating item: the steps of the satisfaction rate, highest first.
    pub steps: Option<Vec<Step>>,
    pub standards: Vec<Standard>,
}

/// The sum of every item's maximum, which a version's items must make.
pub const FULL_MARKS: i64 = 10_000;

/// A standard's part of a month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandardLine {
    pub id: i64,
    pub name: String,
    pub points: i64,
    pub cap: Option<i64>,
    pub occurrences: i64,
    /// `points × occurrences`.
    pub raw: i64,
    /// After the cap.
    pub counted: i64,
}

/// An item's part of a month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemLine {
    pub name: String,
    pub max: i64,
    /// Where it started: its maximum, or the satisfaction step reached.
    pub base: i64,
    /// The satisfaction rate (hundredths of a percent) the base came from.
    pub rate: Option<i64>,
    pub standards: Vec<StandardLine>,
    /// Its points, between 0 and `max`.
    pub points: i64,
}

/// A month's score and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breakdown {
    pub items: Vec<ItemLine>,
    /// The score, hundredths, 0 to 100.00.
    pub total: i64,
}

/// The score of one window or staff member for one month: `records` are (standard id,
/// occurrences) of its active records (a standard of another version counts nothing),
/// `ratings` its public's-rating counts when they were imported.
pub fn compute(items: &[Item], records: &[(i64, i64)], ratings: Option<&Counts>) -> Breakdown {
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        let (rate, base) = match (&item.steps, ratings) {
            (Some(steps), Some(counts)) => (
                counts.rate(),
                satisfaction::points_for(steps, counts).map_or(item.max, |p| p.min(item.max)),
            ),
            _ => (None, item.max),
        };
        let mut value = base;
        let mut standards = Vec::new();
        for s in &item.standards {
            let occurrences: i64 = records
                .iter()
                .filter(|(id, _)| *id == s.id)
                .map(|(_, n)| *n)
                .sum();
            if occurrences == 0 {
                continue;
            }
            let raw = s.points * occurrences;
            let counted = match s.cap {
                Some(cap) => raw.clamp(-cap, cap),
                None => raw,
            };
            value += counted;
            standards.push(StandardLine {
                id: s.id,
                name: s.name.clone(),
                points: s.points,
                cap: s.cap,
                occurrences,
                raw,
                counted,
            });
        }
        lines.push(ItemLine {
            name: item.name.clone(),
            max: item.max,
            base,
            rate,
            standards,
            points: value.clamp(0, item.max),
        });
    }
    let total = lines
        .iter()
        .map(|l| l.points)
        .sum::<i64>()
        .clamp(0, FULL_MARKS);
    Breakdown {
        items: lines,
        total,
    }
}

/// The last day an appeal against a record made on `day` may be filed: the `working_days`-th
/// working day (Monday to Friday) after it.
pub fn appeal_deadline(day: time::Date, working_days: i64) -> time::Date {
    let mut d = day;
    let mut left = working_days;
    while left > 0 {
        match d.next_day() {
            Some(next) => d = next,
            None => break,
        }
        if !matches!(d.weekday(), time::Weekday::Saturday | time::Weekday::Sunday) {
            left -= 1;
        }
    }
    d
}

/// Points as the sheet writes them: `-0.5`, `+1`, `20`, `2.25`.
pub fn points_text(h: i64, signed: bool) -> String {
    let sign = if h < 0 {
        "-"
    } else if signed {
        "+"
    } else {
        ""
    };
    let v = h.unsigned_abs();
    let whole = v / 100;
    match v % 100 {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

#[cfg(test)]
mod tests;
