//! The rounds after the assessment: the democratic recommendation (D), the comprehensive
//! rating (C) and the leadership group's tie decisions.

use std::collections::{HashMap, HashSet};

use super::*;

/// D: the share of ballots of heads not recused from the candidate that recommend it.
pub(super) fn democratic(
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
pub(super) fn comprehensive(
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
pub(super) fn decisions(
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
