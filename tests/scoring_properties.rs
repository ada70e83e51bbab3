//! Properties of the rules over generated periods (proptest): order does not matter, vetoes
//! always disqualify, a better score never ranks lower, totals stay in 0-100, winners
//! respect the count and ties, and enough candidates are found.

use std::collections::BTreeSet;

use pingxuan::scoring::*;
use proptest::prelude::*;

/// The raw material of a period; `build` turns it into a valid input.
#[derive(Clone, Debug)]
struct Spec {
    windows: Vec<(Vec<Option<u16>>, bool)>,
    staff: Vec<(usize, u16, Vec<Option<u16>>, bool)>,
    months: usize,
    candidates: (i64, i64),
    winners: (i64, i64),
    caps: (i64, i64),
    trim: i64,
    weights: (i64, i64),
    ballot_picks: Vec<u64>,
    ratings: Vec<(u8, u64, u16)>,
}

/// Scores on a coarse grid (steps of 2.50), so that ties are common.
fn score() -> impl Strategy<Value = Option<u16>> {
    prop_oneof![1 => Just(None), 6 => (24u16..=40).prop_map(|s| Some(s * 250))]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(
            (prop::collection::vec(score(), 3), prop::bool::weighted(0.1)),
            2..8,
        ),
        prop::collection::vec(
            (
                0usize..8,
                50u16..70,
                prop::collection::vec(score(), 3),
                prop::bool::weighted(0.1),
            ),
            0..20,
        ),
        1usize..=3,
        ((0i64..5), (0i64..6)),
        ((0i64..4), (0i64..5)),
        ((0i64..4), (0i64..5)),
        prop_oneof![Just(0i64), 3i64..7],
        (0i64..=100, 0i64..=100),
        prop::collection::vec(any::<u64>(), 16),
        prop::collection::vec((0u8..7, any::<u64>(), 0u16..=100), 0..40),
    )
        .prop_map(
            |(
                windows,
                staff,
                months,
                candidates,
                winners,
                caps,
                trim,
                weights,
                ballot_picks,
                ratings,
            )| Spec {
                windows,
                staff,
                months,
                candidates,
                winners,
                caps,
                trim,
                weights,
                ballot_picks,
                ratings,
            },
        )
}

const MONTHS: [&str; 3] = ["2026-01", "2026-02", "2026-03"];

fn scores(list: &[Option<u16>], months: usize) -> Entries {
    Entries(
        list.iter()
            .take(months)
            .enumerate()
            .filter_map(|(m, s)| {
                s.map(|s| (MONTHS[m].into(), Number::from_hundredths(i64::from(s))))
            })
            .collect(),
    )
}

fn build(spec: &Spec) -> PeriodInput {
    let whole = Number::from_integer;
    let (wa, rest) = (spec.weights.0, 100 - spec.weights.0);
    let wd = spec.weights.1.min(rest);
    let mut input = PeriodInput {
        rules: RulesInput {
            weights: WeightsInput {
                assessment: whole(wa),
                democratic: whole(wd),
                comprehensive: whole(rest - wd),
            },
            min_duty_days: whole(60),
            trim_extremes_from: whole(spec.trim),
            window: KindRulesInput {
                candidates: whole(spec.candidates.0),
                winners: whole(spec.winners.0),
                max_recommendations: whole(spec.caps.0),
            },
            staff: KindRulesInput {
                candidates: whole(spec.candidates.1),
                winners: whole(spec.winners.1),
                max_recommendations: whole(spec.caps.1),
            },
        },
        months: MONTHS[..spec.months]
            .iter()
            .map(|m| m.to_string())
            .collect(),
        windows: spec
            .windows
            .iter()
            .enumerate()
            .map(|(i, (s, veto))| WindowInput {
                id: format!("W{i}"),
                scores: scores(s, spec.months),
                vetoes: if *veto {
                    vec!["disciplinary".into()]
                } else {
                    vec![]
                },
            })
            .collect(),
        staff: spec
            .staff
            .iter()
            .enumerate()
            .map(|(i, (w, days, s, veto))| StaffInput {
                id: format!("S{i}"),
                window: format!("W{}", w % spec.windows.len()),
                duty_days: Some(whole(i64::from(*days))),
                scores: scores(s, spec.months),
                vetoes: if *veto {
                    vec!["corruption".into()]
                } else {
                    vec![]
                },
            })
            .collect(),
        ballots: vec![],
        tallies: vec![],
        ratings: vec![],
        decisions: vec![],
    };
    // Valid ballots and ratings need the candidates.
    let first = compute(&input).expect("generated periods are valid");
    let home = |id: &str| {
        input
            .staff
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.window.clone())
            .unwrap_or(id.to_string())
    };
    let mut ballots = Vec::new();
    for (v, w) in input.windows.iter().enumerate() {
        for (kind, list, cap) in [
            ("window", &first.window.candidates, spec.caps.0),
            ("staff", &first.staff.candidates, spec.caps.1),
        ] {
            let pick =
                spec.ballot_picks[(2 * v + usize::from(kind == "staff")) % spec.ballot_picks.len()];
            let allowed: Vec<&String> = list.iter().filter(|c| home(c) != w.id).collect();
            let recommend: Vec<String> = allowed
                .iter()
                .enumerate()
                .filter(|(i, _)| pick >> (i % 64) & 1 == 1)
                .map(|(_, c)| (*c).clone())
                .take(cap as usize)
                .collect();
            ballots.push(BallotInput {
                voter: format!("V{v}"),
                window: w.id.clone(),
                kind: kind.into(),
                recommend,
            });
        }
    }
    let all: Vec<&String> = first
        .window
        .candidates
        .iter()
        .chain(&first.staff.candidates)
        .collect();
    let mut ratings = Vec::new();
    let mut seen = BTreeSet::new();
    for (rater, pick, s) in &spec.ratings {
        if all.is_empty() {
            break;
        }
        let subject = all[(*pick % all.len() as u64) as usize].clone();
        if seen.insert((*rater, subject.clone())) {
            ratings.push(RatingInput {
                rater: format!("L{rater}"),
                subject,
                score: Number::from_hundredths(i64::from(*s) * 100),
            });
        }
    }
    input.ballots = ballots;
    input.ratings = ratings;
    input
}

fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut x = seed | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

fn set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

fn by_id(k: &KindResult) -> BTreeSet<String> {
    k.entrants.iter().map(|e| format!("{e:?}")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn shuffling_entrants_ballots_and_ratings_changes_no_result(spec in spec(), seed in any::<u64>()) {
        let input = build(&spec);
        let a = compute(&input).unwrap();
        let mut shuffled = input.clone();
        shuffle(&mut shuffled.windows, seed);
        shuffle(&mut shuffled.staff, seed ^ 1);
        shuffle(&mut shuffled.ballots, seed ^ 2);
        shuffle(&mut shuffled.ratings, seed ^ 3);
        let b = compute(&shuffled).unwrap();
        for kind in Kind::BOTH {
            let (x, y) = (a.kind(kind), b.kind(kind));
            prop_assert_eq!(by_id(x), by_id(y));
            prop_assert_eq!(set(&x.candidates), set(&y.candidates));
            prop_assert_eq!(set(&x.winners), set(&y.winners));
            prop_assert_eq!(set(&x.unresolved_tie), set(&y.unresolved_tie));
        }
    }

    #[test]
    fn a_vetoed_entrant_is_never_a_candidate(spec in spec()) {
        let input = build(&spec);
        let r = compute(&input).unwrap();
        for e in r.window.entrants.iter().chain(&r.staff.entrants) {
            if e.reasons.contains(&Reason::Vetoed) {
                prop_assert!(!e.candidate && !e.winner && !e.eligible);
            }
        }
    }

    #[test]
    fn raising_a_monthly_score_never_lowers_the_assessment_rank(spec in spec(), who in any::<usize>(), by in 1i64..2000) {
        let input = build(&spec);
        let i = who % input.windows.len();
        let mut raised = input.clone();
        let Some((_, n)) = raised.windows[i].scores.0.first_mut() else { return Ok(()) };
        let h = n.hundredths().unwrap();
        *n = Number::from_hundredths((h + by).min(10_000));
        raised.ballots.clear();
        raised.ratings.clear();
        let mut plain = input.clone();
        plain.ballots.clear();
        plain.ratings.clear();
        let (before, after) = (compute(&plain).unwrap(), compute(&raised).unwrap());
        let rank = |r: &PeriodResult| r.window.entrants[i].assessment_rank;
        if let (Some(x), Some(y)) = (rank(&before), rank(&after)) {
            prop_assert!(y <= x, "rank {} became {}", x, y);
        }
        prop_assert_eq!(rank(&before).is_some(), rank(&after).is_some());
    }

    #[test]
    fn every_total_lies_between_0_and_100(spec in spec()) {
        let r = compute(&build(&spec)).unwrap();
        for e in r.window.entrants.iter().chain(&r.staff.entrants) {
            for v in [e.assessment, e.democratic, e.comprehensive, e.total].into_iter().flatten() {
                prop_assert!((0..=10_000).contains(&v.0), "{:?}", e);
            }
        }
    }

    #[test]
    fn winners_respect_the_count_and_never_include_an_unresolved_tie(spec in spec()) {
        let input = build(&spec);
        let r = compute(&input).unwrap();
        for (kind, count) in [(Kind::Window, spec.winners.0), (Kind::Staff, spec.winners.1)] {
            let k = r.kind(kind);
            prop_assert!(k.winners.len() as i64 <= count);
            let w = set(&k.winners);
            prop_assert!(k.unresolved_tie.iter().all(|u| !w.contains(u.as_str())));
            prop_assert!(k.winners.iter().all(|id| k.candidates.contains(id)));
        }
    }

    #[test]
    fn candidates_are_at_least_the_count_when_enough_are_eligible(spec in spec()) {
        let r = compute(&build(&spec)).unwrap();
        for (kind, count) in [(Kind::Window, spec.candidates.0), (Kind::Staff, spec.candidates.1)] {
            let k = r.kind(kind);
            let eligible = k.entrants.iter().filter(|e| e.eligible).count() as i64;
            prop_assert!(k.candidates.len() as i64 >= count.min(eligible));
        }
    }
}
