//! Deterministic synthetic periods, for the benchmarks and the fuzzer's seeds: a center (or
//! a whole province) with plausible scores, a few vetoes and absences, a ballot of each kind
//! per window head at full caps, and every leadership member rating every candidate.
//! Pure like the rest of the module: the same size and seed give the same period.

use super::{
    BallotInput, Entries, KindRulesInput, Number, PeriodInput, RatingInput, RulesInput, StaffInput,
    WeightsInput, WindowInput, compute,
};

/// The shape of a generated period.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub windows: usize,
    pub staff_per_window: usize,
    pub months: usize,
    pub raters: usize,
    pub seed: u64,
}

impl Size {
    /// SPEC-scale province: 10,000 windows, 100,000 staff, a quarter, 15 raters.
    pub const PROVINCE: Size = Size {
        windows: 10_000,
        staff_per_window: 10,
        months: 3,
        raters: 15,
        seed: 2026,
    };
}

/// splitmix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A monthly score: mostly 90-99.5 in steps of 0.25, a few in the 80s.
fn monthly(rng: &mut Rng) -> i64 {
    if rng.below(20) == 0 {
        8000 + 25 * rng.below(40) as i64
    } else {
        9000 + 25 * rng.below(39) as i64
    }
}

/// A period of the given size under the quarterly default scheme.
pub fn period(size: Size) -> PeriodInput {
    let mut rng = Rng(size.seed);
    let months: Vec<String> = (0..size.months)
        .map(|m| format!("{:04}-{:02}", 2026 + m / 12, m % 12 + 1))
        .collect();
    let scores = |rng: &mut Rng| {
        let mut out = Vec::with_capacity(months.len());
        for m in &months {
            // One month in fifty has no score (the person was on leave, say).
            if rng.below(50) != 0 {
                out.push((m.as_str().into(), Number::from_hundredths(monthly(rng))));
            }
        }
        Entries(out)
    };
    let veto = |rng: &mut Rng| {
        if rng.below(200) == 0 {
            vec!["overdue_case".to_string()]
        } else {
            Vec::new()
        }
    };
    let windows: Vec<WindowInput> = (0..size.windows)
        .map(|w| WindowInput {
            id: format!("W{:05}", w + 1),
            scores: scores(&mut rng),
            vetoes: veto(&mut rng),
        })
        .collect();
    let staff: Vec<StaffInput> = (0..size.windows * size.staff_per_window)
        .map(|s| StaffInput {
            id: format!("S{:06}", s + 1),
            window: windows[s / size.staff_per_window.max(1)].id.clone(),
            duty_days: Some(Number::from_integer(if rng.below(25) == 0 {
                40
            } else {
                60 + rng.below(7) as i64
            })),
            scores: scores(&mut rng),
            vetoes: veto(&mut rng),
        })
        .collect();
    let whole = Number::from_integer;
    let mut input = PeriodInput {
        rules: RulesInput {
            weights: WeightsInput {
                assessment: whole(80),
                democratic: whole(10),
                comprehensive: whole(10),
            },
            min_duty_days: whole(60),
            trim_extremes_from: whole(5),
            window: KindRulesInput {
                candidates: whole(8),
                winners: whole(5),
                max_recommendations: whole(5),
            },
            staff: KindRulesInput {
                candidates: whole(13),
                winners: whole(10),
                max_recommendations: whole(10),
            },
        },
        months,
        windows,
        staff,
        ballots: Vec::new(),
        tallies: Vec::new(),
        ratings: Vec::new(),
        decisions: Vec::new(),
    };
    // Ballots need the candidates: compute once without them.
    let Ok(first) = compute(&input) else {
        return input;
    };
    let home: std::collections::HashMap<&str, &str> = input
        .staff
        .iter()
        .map(|s| (s.id.as_str(), s.window.as_str()))
        .collect();
    let mut ballots = Vec::with_capacity(2 * input.windows.len());
    for (v, w) in input.windows.iter().enumerate() {
        for (kind, list, cap) in [
            ("window", &first.window.candidates, 5),
            ("staff", &first.staff.candidates, 10),
        ] {
            let allowed: Vec<&String> = list
                .iter()
                .filter(|c| {
                    if kind == "window" {
                        *c != &w.id
                    } else {
                        home.get(c.as_str()) != Some(&w.id.as_str())
                    }
                })
                .collect();
            // Uneven popularity: start somewhere in the first half, take consecutive ones.
            let start = rng.below((allowed.len() / 2).max(1) as u64) as usize;
            let recommend = (0..cap.min(allowed.len()))
                .map(|i| allowed[(start + i) % allowed.len()].clone())
                .collect();
            ballots.push(BallotInput {
                voter: format!("V{:05}", v + 1),
                window: w.id.clone(),
                kind: kind.into(),
                recommend,
            });
        }
    }
    let mut ratings = Vec::new();
    for r in 0..size.raters {
        for c in first
            .window
            .candidates
            .iter()
            .chain(&first.staff.candidates)
        {
            let score = if rng.below(10) == 0 {
                7000 + 100 * rng.below(25) as i64
            } else {
                8500 + 50 * rng.below(27) as i64
            };
            ratings.push(RatingInput {
                rater: format!("L{:02}", r + 1),
                subject: c.clone(),
                score: Number::from_hundredths(score),
            });
        }
    }
    input.ballots = ballots;
    input.ratings = ratings;
    input
}
