//! The input as the rules read it: the rules checked, each entrant's months, scores,
//! vetoes and duty days read, and anything the rules cannot count refused with its name.

use std::fmt;

use super::*;

pub(super) struct KindRules {
    pub(super) candidates: i64,
    pub(super) winners: i64,
    pub(super) max_recommendations: i64,
}

pub(super) struct Rules {
    pub(super) weights: [i64; 3],
    pub(super) min_duty_days: i64,
    pub(super) trim_extremes_from: i64,
    pub(super) kinds: [KindRules; 2],
}

/// Names an item in a refusal without formatting anything until one is needed.
pub(super) struct Who<'a>(pub(super) &'static str, pub(super) &'a str);

impl fmt::Display for Who<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}

pub(super) fn whole(n: &Number, what: impl FnOnce() -> String) -> Result<i64, Refusal> {
    match n.whole() {
        Ok(v) if v >= 0 => Ok(v),
        Ok(_) => refuse(format!("{} is negative ({})", what(), n.raw())),
        Err(e) => refuse(format!("{} {e} ({})", what(), n.raw())),
    }
}

pub(super) fn score(n: &Number, what: impl FnOnce() -> String) -> Result<i64, Refusal> {
    match n.hundredths() {
        Ok(v) if (0..=10_000).contains(&v) => Ok(v),
        Ok(_) => refuse(format!("{} is outside 0-100 ({})", what(), n.raw())),
        Err(e) => refuse(format!("{} {e} ({})", what(), n.raw())),
    }
}

pub(super) fn check_rules(r: &RulesInput) -> Result<Rules, Refusal> {
    let weights = [
        whole(&r.weights.assessment, || {
            "rules: weight assessment".to_string()
        })?,
        whole(&r.weights.democratic, || {
            "rules: weight democratic".to_string()
        })?,
        whole(&r.weights.comprehensive, || {
            "rules: weight comprehensive".to_string()
        })?,
    ];
    if weights.iter().sum::<i64>() != 100 {
        return refuse(format!(
            "rules: weights sum to {}, not 100",
            weights.iter().sum::<i64>()
        ));
    }
    let trim = whole(&r.trim_extremes_from, || {
        "rules: trim_extremes_from".to_string()
    })?;
    if trim == 1 || trim == 2 {
        return refuse(format!(
            "rules: trim_extremes_from is {trim}: 0 (never) or at least 3"
        ));
    }
    let kind = |k: &KindRulesInput, name: &str| -> Result<KindRules, Refusal> {
        Ok(KindRules {
            candidates: whole(&k.candidates, || format!("rules: {name} candidates"))?,
            winners: whole(&k.winners, || format!("rules: {name} winners"))?,
            max_recommendations: whole(&k.max_recommendations, || {
                format!("rules: {name} max_recommendations")
            })?,
        })
    };
    Ok(Rules {
        weights,
        min_duty_days: whole(&r.min_duty_days, || "rules: min_duty_days".to_string())?,
        trim_extremes_from: trim,
        kinds: [kind(&r.window, "window")?, kind(&r.staff, "staff")?],
    })
}

/// `2026-03` as 202603, or `None` when it is not a month written that way.
pub(super) fn month_code(m: &str) -> Option<u32> {
    let b = m.as_bytes();
    if b.len() != 7 || b[4] != b'-' || !b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit) {
        return None;
    }
    let digit = |i: usize| u32::from(b[i] - b'0');
    let month = digit(5) * 10 + digit(6);
    (1..=12)
        .contains(&month)
        .then(|| (digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3)) * 100 + month)
}

/// One entrant while it is being judged.
pub(super) struct Entrant<'a> {
    pub(super) id: &'a str,
    /// The window the entrant belongs to: itself for a window, its window for staff.
    pub(super) home: usize,
    /// Sum and number of the monthly scores (hundredths).
    pub(super) score_sum: i128,
    pub(super) score_count: usize,
    pub(super) vetoed: bool,
    pub(super) duty_days: Option<i64>,
    pub(super) reasons: Vec<Reason>,
    pub(super) flags: Vec<Flag>,
    pub(super) assessment: Option<i64>,
    pub(super) assessment_rank: Option<u32>,
    pub(super) candidate: bool,
    pub(super) democratic: Option<i64>,
    pub(super) comprehensive: Option<i64>,
    pub(super) total: Option<i64>,
    pub(super) final_rank: Option<u32>,
    pub(super) winner: bool,
    pub(super) decided: bool,
    pub(super) unresolved: bool,
    /// Recommendations received, ratings received.
    pub(super) recommendations: i128,
    pub(super) ratings: Vec<i64>,
}

impl<'a> Entrant<'a> {
    pub(super) fn new(id: &'a str, home: usize) -> Entrant<'a> {
        Entrant {
            id,
            home,
            score_sum: 0,
            score_count: 0,
            vetoed: false,
            duty_days: None,
            reasons: Vec::new(),
            flags: Vec::new(),
            assessment: None,
            assessment_rank: None,
            candidate: false,
            democratic: None,
            comprehensive: None,
            total: None,
            final_rank: None,
            winner: false,
            decided: false,
            unresolved: false,
            recommendations: 0,
            ratings: Vec::new(),
        }
    }
}

/// The scores of one entrant, checked; `months` are the period's month codes (a dozen at
/// most, so a plain scan beats hashing).
pub(super) fn read_scores(
    who: &Who,
    entries: &Entries,
    months: &[u32],
) -> Result<(i128, usize), Refusal> {
    let mut sum = 0i128;
    let mut seen = [0u32; 16];
    for (n, (month, value)) in entries.0.iter().enumerate() {
        let code = month_code(month).filter(|c| months.contains(c));
        let Some(code) = code else {
            return refuse(format!(
                "{who}: score for {month:?}, which is not one of the period's months"
            ));
        };
        let repeated = if n < seen.len() {
            seen[..n].contains(&code)
        } else {
            entries.0[..n]
                .iter()
                .any(|(m, _)| month_code(m) == Some(code))
        };
        if repeated {
            return refuse(format!("{who}: two scores for {month}"));
        }
        if n < seen.len() {
            seen[n] = code;
        }
        sum += i128::from(score(value, || format!("{who}: score for {month}"))?);
    }
    Ok((sum, entries.0.len()))
}

pub(super) fn read_vetoes(who: &Who, vetoes: &[String]) -> Result<bool, Refusal> {
    for v in vetoes {
        if VetoCode::parse(v).is_none() {
            return refuse(format!("{who}: unknown veto code {v:?}"));
        }
    }
    Ok(!vetoes.is_empty())
}
