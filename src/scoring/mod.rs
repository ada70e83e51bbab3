//! The rules of SPEC.md, in code: eligibility, the six vetoes, the assessment mean,
//! competition ranks, candidates with ties at the boundary, democratic recommendation with
//! recusal, the comprehensive rating with the trimmed mean, the weighted total, winners,
//! unresolved ties and the leadership group's decisions.
//!
//! PURE: no database, web, clock or file access. The server ranks a period with the very
//! same [`compute`] that `pingxuan compute` runs on a recount file. Nothing depends on
//! names, ids, hash order or insertion order, except the listings SPEC.md puts in input
//! order.

pub mod generate;
pub mod input;
pub mod number;
pub mod pretty;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::veto::VetoCode;
mod checked;
mod rounds;

use checked::{
    Entrant, Rules, Who, check_rules, month_code, read_scores, read_vetoes, score, whole,
};
pub use input::*;
use number::div_round_half_up;
pub use number::{Fixed2, Number, NumberError, Text};
use rounds::{comprehensive, decisions, democratic};

/// Why an input was refused: one line that names the offending item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

fn refuse<T>(msg: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(msg.into()))
}

/// The two kinds of entrant, judged separately by the same rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Window,
    Staff,
}

impl Kind {
    pub const BOTH: [Kind; 2] = [Kind::Window, Kind::Staff];

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "window" => Some(Kind::Window),
            "staff" => Some(Kind::Staff),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Window => "window",
            Kind::Staff => "staff",
        }
    }

    /// The value of the `tab` query parameter that opens this kind's grid.
    pub fn tab(self) -> &'static str {
        match self {
            Kind::Window => "windows",
            Kind::Staff => "staff",
        }
    }

    /// The kind a `tab` query parameter names; windows unless it names staff.
    pub fn from_tab(tab: Option<&str>) -> Kind {
        if tab == Some("staff") {
            Kind::Staff
        } else {
            Kind::Window
        }
    }

    /// What one of this kind is called on the pages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Window => "窗口",
            Kind::Staff => "工作人员",
        }
    }

    fn index(self) -> usize {
        match self {
            Kind::Window => 0,
            Kind::Staff => 1,
        }
    }
}

/// Why an entrant is not eligible, in SPEC.md's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Vetoed,
    InsufficientDutyDays,
    NoAssessment,
}

impl Reason {
    /// What the pages and exports call it; `min_days` is the period's duty-day minimum.
    pub fn label(self, min_days: &str) -> String {
        match self {
            Reason::Vetoed => "一票否决".to_string(),
            Reason::InsufficientDutyDays => format!("在岗不足 {min_days} 天"),
            Reason::NoAssessment => "无考核分数".to_string(),
        }
    }
}

/// Something worth knowing about a candidate's score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    NoEligibleBallots,
    NoRatings,
}

/// The results of a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodResult {
    pub window: KindResult,
    pub staff: KindResult,
}

impl PeriodResult {
    pub fn kind(&self, kind: Kind) -> &KindResult {
        match kind {
            Kind::Window => &self.window,
            Kind::Staff => &self.staff,
        }
    }
}

/// The results for one kind of entrant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindResult {
    /// In input order.
    pub entrants: Vec<EntrantResult>,
    /// In assessment-rank order, ties in input order.
    pub candidates: Vec<String>,
    /// In final-rank order, ties in input order; then the decided ones, in input order.
    pub winners: Vec<String>,
    /// Tied across the winners' boundary and not decided, in input order.
    pub unresolved_tie: Vec<String>,
    /// Made winners by the leadership group's decision, in input order.
    pub decided: Vec<String>,
}

impl KindResult {
    /// The candidates in assessment-rank order, each with its assessment as pages show it
    /// (two decimals; empty when it has none).
    pub fn candidates_with_assessment(&self) -> Vec<(&str, String)> {
        self.candidates
            .iter()
            .map(|id| {
                let assessment = self
                    .entrants
                    .iter()
                    .find(|e| e.id == *id)
                    .and_then(|e| e.assessment)
                    .map(|a| a.to_string())
                    .unwrap_or_default();
                (id.as_str(), assessment)
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrantResult {
    pub id: String,
    pub eligible: bool,
    pub reasons: Vec<Reason>,
    pub flags: Vec<Flag>,
    pub assessment: Option<Fixed2>,
    pub assessment_rank: Option<u32>,
    pub candidate: bool,
    pub democratic: Option<Fixed2>,
    pub comprehensive: Option<Fixed2>,
    pub total: Option<Fixed2>,
    pub final_rank: Option<u32>,
    pub winner: bool,
}

/// Reads a recount file and computes it: the `pingxuan compute` command without its I/O.
pub fn compute_json(text: &str) -> Result<PeriodResult, Refusal> {
    let input: PeriodInput =
        serde_json::from_str(text).map_err(|e| Refusal(format!("malformed input: {e}")))?;
    compute(&input)
}

/// Checks a scheme's rules exactly as [`compute`] will (weights, counts, trimming).
pub fn validate_rules(rules: &RulesInput) -> Result<(), Refusal> {
    check_rules(rules).map(|_| ())
}

/// Competition ranks ("1224") of `keys`, larger first: equal keys share a rank.
pub fn competition_ranks<K: Ord + Copy>(keys: &[K]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[b].cmp(&keys[a]));
    let mut ranks = vec![0u32; keys.len()];
    for (pos, &i) in order.iter().enumerate() {
        ranks[i] = if pos > 0 && keys[order[pos - 1]] == keys[i] {
            ranks[order[pos - 1]]
        } else {
            pos as u32 + 1
        };
    }
    ranks
}

/// Computes a period's results, or refuses the whole input.
pub fn compute(input: &PeriodInput) -> Result<PeriodResult, Refusal> {
    let rules = check_rules(&input.rules)?;
    let mut months = Vec::with_capacity(input.months.len());
    for m in &input.months {
        let Some(code) = month_code(m) else {
            return refuse(format!("months: {m:?} is not a month like 2026-03"));
        };
        if months.contains(&code) {
            return refuse(format!("months: {m} is listed twice"));
        }
        months.push(code);
    }

    // Entrants, with ids unique across both kinds.
    let mut ids: HashMap<&str, (Kind, usize)> =
        HashMap::with_capacity(input.windows.len() + input.staff.len());
    let mut windows = Vec::with_capacity(input.windows.len());
    for w in &input.windows {
        let who = Who("window", &w.id);
        if w.id.is_empty() {
            return refuse("window with an empty id");
        }
        if ids.insert(&w.id, (Kind::Window, windows.len())).is_some() {
            return refuse(format!("{who}: duplicate id"));
        }
        let mut e = Entrant::new(&w.id, windows.len());
        (e.score_sum, e.score_count) = read_scores(&who, &w.scores, &months)?;
        e.vetoed = read_vetoes(&who, &w.vetoes)?;
        windows.push(e);
    }
    let mut staff = Vec::with_capacity(input.staff.len());
    for s in &input.staff {
        let who = Who("staff", &s.id);
        if s.id.is_empty() {
            return refuse("staff with an empty id");
        }
        let home = match ids.get(s.window.as_str()) {
            Some((Kind::Window, i)) => *i,
            _ if ids.contains_key(s.id.as_str()) => return refuse(format!("{who}: duplicate id")),
            _ => return refuse(format!("{who}: unknown window {:?}", s.window)),
        };
        match ids.entry(&s.id) {
            Entry::Occupied(_) => return refuse(format!("{who}: duplicate id")),
            Entry::Vacant(v) => {
                v.insert((Kind::Staff, staff.len()));
            }
        }
        let mut e = Entrant::new(&s.id, home);
        (e.score_sum, e.score_count) = read_scores(&who, &s.scores, &months)?;
        e.vetoed = read_vetoes(&who, &s.vetoes)?;
        e.duty_days = match &s.duty_days {
            Some(d) => Some(whole(d, || format!("{who}: duty_days"))?),
            None => return refuse(format!("{who}: duty_days is missing")),
        };
        staff.push(e);
    }
    let mut kinds = [windows, staff];

    // Eligibility, the assessment score and its ranks, candidates.
    for kind in Kind::BOTH {
        let rules_k = &rules.kinds[kind.index()];
        let entrants = &mut kinds[kind.index()];
        for e in entrants.iter_mut() {
            if e.vetoed {
                e.reasons.push(Reason::Vetoed);
            }
            if e.duty_days.is_some_and(|d| d < rules.min_duty_days) {
                e.reasons.push(Reason::InsufficientDutyDays);
            }
            if e.score_count == 0 {
                e.reasons.push(Reason::NoAssessment);
            } else {
                e.assessment = Some(div_round_half_up(e.score_sum, e.score_count as i128) as i64);
            }
        }
        let eligible: Vec<usize> = (0..entrants.len())
            .filter(|&i| entrants[i].reasons.is_empty())
            .collect();
        let keys: Vec<i64> = eligible
            .iter()
            .map(|&i| entrants[i].assessment.unwrap_or(0))
            .collect();
        for (&i, rank) in eligible.iter().zip(competition_ranks(&keys)) {
            entrants[i].assessment_rank = Some(rank);
            entrants[i].candidate = i64::from(rank) <= rules_k.candidates;
        }
    }

    democratic(input, &rules, &ids, &mut kinds)?;
    comprehensive(input, &rules, &ids, &mut kinds)?;

    // The weighted total, final ranks, winners and ties.
    let [wa, wd, wc] = rules.weights.map(i128::from);
    for kind in Kind::BOTH {
        let winners = rules.kinds[kind.index()].winners;
        let entrants = &mut kinds[kind.index()];
        let candidates: Vec<usize> = (0..entrants.len())
            .filter(|&i| entrants[i].candidate)
            .collect();
        for &i in &candidates {
            let e = &mut entrants[i];
            let (a, d, c) = (
                i128::from(e.assessment.unwrap_or(0)),
                i128::from(e.democratic.unwrap_or(0)),
                i128::from(e.comprehensive.unwrap_or(0)),
            );
            e.total = Some(div_round_half_up(wa * a + wd * d + wc * c, 100) as i64);
        }
        let key = |e: &Entrant| {
            (
                e.total.unwrap_or(0),
                e.assessment.unwrap_or(0),
                e.comprehensive.unwrap_or(0),
                e.democratic.unwrap_or(0),
            )
        };
        let keys: Vec<_> = candidates.iter().map(|&i| key(&entrants[i])).collect();
        let ranks = competition_ranks(&keys);
        let mut group_size: HashMap<_, i64> = HashMap::new();
        for k in &keys {
            *group_size.entry(*k).or_default() += 1;
        }
        for ((&i, rank), k) in candidates.iter().zip(ranks).zip(&keys) {
            let e = &mut entrants[i];
            e.final_rank = Some(rank);
            let rank = i64::from(rank);
            if rank + group_size[k] - 1 <= winners {
                e.winner = true;
            } else if rank <= winners {
                e.unresolved = true;
            }
        }
    }

    decisions(input, &rules, &ids, &mut kinds)?;

    let [windows, staff] = kinds;
    Ok(PeriodResult {
        window: kind_result(windows),
        staff: kind_result(staff),
    })
}

fn kind_result(entrants: Vec<Entrant>) -> KindResult {
    let ids = |pred: &dyn Fn(&Entrant) -> bool| -> Vec<String> {
        entrants
            .iter()
            .filter(|e| pred(e))
            .map(|e| e.id.to_string())
            .collect()
    };
    let ordered =
        |pred: &dyn Fn(&Entrant) -> bool, rank: &dyn Fn(&Entrant) -> u32| -> Vec<String> {
            let mut v: Vec<(u32, usize)> = entrants
                .iter()
                .enumerate()
                .filter(|(_, e)| pred(e))
                .map(|(i, e)| (rank(e), i))
                .collect();
            v.sort();
            v.into_iter()
                .map(|(_, i)| entrants[i].id.to_string())
                .collect()
        };
    let candidates = ordered(&|e| e.candidate, &|e| e.assessment_rank.unwrap_or(u32::MAX));
    let mut winners = ordered(&|e| e.winner && !e.decided, &|e| {
        e.final_rank.unwrap_or(u32::MAX)
    });
    let decided = ids(&|e| e.decided);
    winners.extend(decided.iter().cloned());
    let unresolved_tie = ids(&|e| e.unresolved);
    let entrants = entrants
        .into_iter()
        .map(|e| EntrantResult {
            id: e.id.to_string(),
            eligible: e.reasons.is_empty(),
            reasons: e.reasons,
            flags: e.flags,
            assessment: e.assessment.map(Fixed2),
            assessment_rank: e.assessment_rank,
            candidate: e.candidate,
            democratic: e.democratic.map(Fixed2),
            comprehensive: e.comprehensive.map(Fixed2),
            total: e.total.map(Fixed2),
            final_rank: e.final_rank,
            winner: e.winner,
        })
        .collect();
    KindResult {
        entrants,
        candidates,
        winners,
        unresolved_tie,
        decided,
    }
}

#[cfg(test)]
mod tests;

/// For the pages' unit tests: `windows` windows scored in one month, every score different
/// (50.20, 50.40, …: no tie widens the candidates), `candidates` of them candidates,
/// computed.
#[cfg(test)]
pub(crate) fn windows_of_one_month(windows: u32, candidates: u32) -> (PeriodInput, PeriodResult) {
    let list: Vec<serde_json::Value> = (1..=windows)
        .map(|n| {
            let score = format!("{}.{:02}", 50 + n / 5, (n % 5) * 20);
            serde_json::json!({"id": format!("W{n}"), "scores": {"2026-01": score}})
        })
        .collect();
    let text = serde_json::json!({
        "rules": {
            "weights": {"assessment": 100, "democratic": 0, "comprehensive": 0},
            "min_duty_days": 0,
            "trim_extremes_from": 5,
            "window": {"candidates": candidates, "winners": 1, "max_recommendations": 1},
            "staff": {"candidates": 0, "winners": 0, "max_recommendations": 0}
        },
        "months": ["2026-01"],
        "windows": list,
    })
    .to_string()
    // The scores as numbers, as a recount file has them.
    .replace("\"2026-01\":\"", "\"2026-01\":")
    .replace("\"}", "}");
    let input: PeriodInput = serde_json::from_str(&text).unwrap();
    let result = compute(&input).unwrap();
    (input, result)
}
