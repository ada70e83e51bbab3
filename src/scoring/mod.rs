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

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::veto::VetoCode;
pub use input::*;
use number::div_round_half_up;
pub use number::{Fixed2, Number, NumberError};

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

// ----------------------------------------------------------------------------------------
// Checked input

struct KindRules {
    candidates: i64,
    winners: i64,
    max_recommendations: i64,
}

struct Rules {
    weights: [i64; 3],
    min_duty_days: i64,
    trim_extremes_from: i64,
    kinds: [KindRules; 2],
}

/// Names an item in a refusal without formatting anything until one is needed.
struct Who<'a>(&'static str, &'a str);

impl fmt::Display for Who<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}

fn whole(n: &Number, what: impl FnOnce() -> String) -> Result<i64, Refusal> {
    match n.whole() {
        Ok(v) if v >= 0 => Ok(v),
        Ok(_) => refuse(format!("{} is negative ({})", what(), n.raw())),
        Err(e) => refuse(format!("{} {e} ({})", what(), n.raw())),
    }
}

fn score(n: &Number, what: impl FnOnce() -> String) -> Result<i64, Refusal> {
    match n.hundredths() {
        Ok(v) if (0..=10_000).contains(&v) => Ok(v),
        Ok(_) => refuse(format!("{} is outside 0-100 ({})", what(), n.raw())),
        Err(e) => refuse(format!("{} {e} ({})", what(), n.raw())),
    }
}

fn check_rules(r: &RulesInput) -> Result<Rules, Refusal> {
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
fn month_code(m: &str) -> Option<u32> {
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
struct Entrant<'a> {
    id: &'a str,
    /// The window the entrant belongs to: itself for a window, its window for staff.
    home: usize,
    /// Sum and number of the monthly scores (hundredths).
    score_sum: i128,
    score_count: usize,
    vetoed: bool,
    duty_days: Option<i64>,
    reasons: Vec<Reason>,
    flags: Vec<Flag>,
    assessment: Option<i64>,
    assessment_rank: Option<u32>,
    candidate: bool,
    democratic: Option<i64>,
    comprehensive: Option<i64>,
    total: Option<i64>,
    final_rank: Option<u32>,
    winner: bool,
    decided: bool,
    unresolved: bool,
    /// Recommendations received, ratings received.
    recommendations: i128,
    ratings: Vec<i64>,
}

impl<'a> Entrant<'a> {
    fn new(id: &'a str, home: usize) -> Entrant<'a> {
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
fn read_scores(who: &Who, entries: &Entries, months: &[u32]) -> Result<(i128, usize), Refusal> {
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

fn read_vetoes(who: &Who, vetoes: &[String]) -> Result<bool, Refusal> {
    for v in vetoes {
        if VetoCode::parse(v).is_none() {
            return refuse(format!("{who}: unknown veto code {v:?}"));
        }
    }
    Ok(!vetoes.is_empty())
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

/// D: the share of ballots of heads not recused from the candidate that recommend it.
fn democratic(
    input: &PeriodInput,
    rules: &Rules,
    ids: &HashMap<&str, (Kind, usize)>,
    kinds: &mut [Vec<Entrant>; 2],
) -> Result<(), Refusal> {
    let window_count = kinds[0].len();
    let mut total = [0i128; 2];
    let mut by_window = [vec![0i128; window_count], vec![0i128; window_count]];
    let mut has_ballots = [false; 2];
    let mut voters: HashMap<&str, (usize, [bool; 2])> = HashMap::new();
    for b in &input.ballots {
        let who = Who("voter", &b.voter);
        let Some(kind) = Kind::parse(&b.kind) else {
            return refuse(format!("{who}: unknown ballot kind {:?}", b.kind));
        };
        let k = kind.index();
        let window = match ids.get(b.window.as_str()) {
            Some((Kind::Window, i)) => *i,
            _ => return refuse(format!("{who}: unknown window {:?}", b.window)),
        };
        let entry = voters.entry(&b.voter).or_insert((window, [false; 2]));
        if entry.0 != window {
            return refuse(format!("{who}: ballots from two windows"));
        }
        if entry.1[k] {
            return refuse(format!("{who}: casts two {} ballots", kind.as_str()));
        }
        entry.1[k] = true;
        let cap = rules.kinds[k].max_recommendations;
        if b.recommend.len() as i64 > cap {
            return refuse(format!(
                "{who}: {} ballot recommends {}, more than the {cap} allowed",
                kind.as_str(),
                b.recommend.len()
            ));
        }
        for (n, id) in b.recommend.iter().enumerate() {
            let j = match ids.get(id.as_str()) {
                Some((k2, _)) if *k2 != kind => {
                    return refuse(format!(
                        "{who}: {} ballot names {id}, a {} entrant",
                        kind.as_str(),
                        k2.as_str()
                    ));
                }
                Some((_, j)) if kinds[k][*j].candidate => *j,
                _ => return refuse(format!("{who}: recommends {id}, which is not a candidate")),
            };
            if kinds[k][j].home == window {
                return refuse(format!(
                    "{who}: recommends {id} of the voter's own window {}",
                    b.window
                ));
            }
            if b.recommend[..n].contains(id) {
                return refuse(format!("{who}: recommends {id} twice"));
            }
            kinds[k][j].recommendations += 1;
        }
        has_ballots[k] = true;
        total[k] += 1;
        by_window[k][window] += 1;
    }
    let mut has_tally = [false; 2];
    for t in &input.tallies {
        let Some(kind) = Kind::parse(&t.kind) else {
            return refuse(format!("tally: unknown kind {:?}", t.kind));
        };
        let k = kind.index();
        let who = format!("tally for {}", kind.as_str());
        if has_ballots[k] {
            return refuse(format!(
                "{who}: the input also has {} ballots",
                kind.as_str()
            ));
        }
        if has_tally[k] {
            return refuse(format!("{who}: a second tally for one kind"));
        }
        has_tally[k] = true;
        let mut seen = HashSet::new();
        for (window_id, count) in &t.ballots_by_window.0 {
            let w = match ids.get(window_id.as_str()) {
                Some((Kind::Window, i)) => *i,
                _ => return refuse(format!("{who}: unknown window {window_id:?}")),
            };
            if !seen.insert(w) {
                return refuse(format!("{who}: window {window_id} counted twice"));
            }
            let n = i128::from(whole(count, || {
                format!("{who}: ballots of window {window_id}")
            })?);
            total[k] += n;
            by_window[k][w] += n;
        }
        let mut seen = HashSet::new();
        let mut recommended = Vec::new();
        for (id, count) in &t.recommendations.0 {
            let j = match ids.get(id.as_str()) {
                Some((k2, j)) if *k2 == kind && kinds[k][*j].candidate => *j,
                _ => {
                    return refuse(format!(
                        "{who}: recommendations of {id}, which is not a {} candidate",
                        kind.as_str()
                    ));
                }
            };
            if !seen.insert(j) {
                return refuse(format!("{who}: {id} counted twice"));
            }
            let n = i128::from(whole(count, || format!("{who}: recommendations of {id}"))?);
            kinds[k][j].recommendations = n;
            recommended.push((j, n));
        }
        let mut sum = 0i128;
        for (j, n) in recommended {
            let e = &kinds[k][j];
            let others = total[k] - by_window[k][e.home];
            if n > others {
                return refuse(format!(
                    "{who}: {} recommended {n} times, more than the {others} ballots of other windows' heads",
                    e.id
                ));
            }
            sum += n;
        }
        let cap = i128::from(rules.kinds[k].max_recommendations);
        if sum > cap * total[k] {
            return refuse(format!(
                "{who}: {sum} recommendations in all, more than {cap} for each of {} ballots",
                total[k]
            ));
        }
    }
    for kind in Kind::BOTH {
        let k = kind.index();
        for e in kinds[k].iter_mut().filter(|e| e.candidate) {
            let den = total[k] - by_window[k][e.home];
            if den <= 0 {
                e.democratic = Some(0);
                e.flags.push(Flag::NoEligibleBallots);
            } else {
                e.democratic = Some(div_round_half_up(10_000 * e.recommendations, den) as i64);
            }
        }
    }
    Ok(())
}

/// C: the mean of the leadership's ratings, without the single highest and lowest once
/// there are enough of them.
fn comprehensive(
    input: &PeriodInput,
    rules: &Rules,
    ids: &HashMap<&str, (Kind, usize)>,
    kinds: &mut [Vec<Entrant>; 2],
) -> Result<(), Refusal> {
    let mut seen = HashSet::with_capacity(input.ratings.len());
    for r in &input.ratings {
        let who = Who("rater", &r.rater);
        let (k, j) = match ids.get(r.subject.as_str()) {
            Some((kind, j)) if kinds[kind.index()][*j].candidate => (kind.index(), *j),
            _ => {
                return refuse(format!(
                    "{who}: rates {}, which is not a candidate",
                    r.subject
                ));
            }
        };
        let value = score(&r.score, || format!("{who}: rating of {}", r.subject))?;
        if !seen.insert((r.rater.as_str(), r.subject.as_str())) {
            return refuse(format!("{who}: rates {} twice", r.subject));
        }
        kinds[k][j].ratings.push(value);
    }
    let trim = rules.trim_extremes_from;
    for entrants in kinds.iter_mut() {
        for e in entrants.iter_mut().filter(|e| e.candidate) {
            let n = e.ratings.len() as i64;
            if n == 0 {
                e.comprehensive = Some(0);
                e.flags.push(Flag::NoRatings);
                continue;
            }
            let mut sum: i128 = e.ratings.iter().map(|&r| i128::from(r)).sum();
            let mut count = i128::from(n);
            if trim > 0 && n >= trim {
                let max = e.ratings.iter().max().copied().unwrap_or(0);
                let min = e.ratings.iter().min().copied().unwrap_or(0);
                sum -= i128::from(max) + i128::from(min);
                count -= 2;
            }
            e.comprehensive = Some(div_round_half_up(sum, count) as i64);
        }
    }
    Ok(())
}

/// The leadership group's settlement of unresolved ties.
fn decisions(
    input: &PeriodInput,
    rules: &Rules,
    ids: &HashMap<&str, (Kind, usize)>,
    kinds: &mut [Vec<Entrant>; 2],
) -> Result<(), Refusal> {
    let mut decided = [false; 2];
    for d in &input.decisions {
        let Some(kind) = Kind::parse(&d.kind) else {
            return refuse(format!("decision: unknown kind {:?}", d.kind));
        };
        let k = kind.index();
        let who = format!("decision for {}", kind.as_str());
        if decided[k] {
            return refuse(format!("{who}: a second decision for one kind"));
        }
        decided[k] = true;
        let entrants = &mut kinds[k];
        if !entrants.iter().any(|e| e.unresolved) {
            return refuse(format!("{who}: there is no unresolved tie to decide"));
        }
        let by_rule = entrants.iter().filter(|e| e.winner).count() as i64;
        let places = rules.kinds[k].winners - by_rule;
        let mut chosen = HashSet::new();
        for id in &d.chosen {
            let j = match ids.get(id.as_str()) {
                Some((k2, j)) if *k2 == kind && entrants[*j].unresolved => *j,
                _ => return refuse(format!("{who}: {id} is not in the unresolved tie")),
            };
            if !chosen.insert(j) {
                return refuse(format!("{who}: {id} chosen twice"));
            }
        }
        if chosen.len() as i64 != places {
            return refuse(format!(
                "{who}: chooses {}, but {places} place(s) are left",
                chosen.len()
            ));
        }
        for e in entrants.iter_mut() {
            if e.unresolved {
                e.unresolved = false;
                e.decided = false;
            }
        }
        for j in chosen {
            entrants[j].winner = true;
            entrants[j].decided = true;
        }
    }
    Ok(())
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
