//! One rule a test, on small hand-made periods.

use serde_json::{Value, json};

use super::*;

fn rules() -> Value {
    json!({
        "weights": {"assessment": 80, "democratic": 10, "comprehensive": 10},
        "min_duty_days": 60,
        "trim_extremes_from": 5,
        "window": {"candidates": 2, "winners": 1, "max_recommendations": 1},
        "staff": {"candidates": 2, "winners": 1, "max_recommendations": 2}
    })
}

/// A period from JSON (numbers go through the text, as from a file).
fn period(v: Value) -> PeriodInput {
    serde_json::from_str(&v.to_string()).expect("valid test input")
}

fn run(v: Value) -> PeriodResult {
    compute(&period(v)).expect("accepted")
}

fn refused(v: Value) -> String {
    compute(&period(v)).expect_err("refused").0
}

fn base() -> Value {
    json!({
        "rules": rules(),
        "months": ["2026-01", "2026-02", "2026-03"],
        "windows": [
            {"id": "W1", "scores": {"2026-01": 96, "2026-02": 95.5, "2026-03": 97}},
            {"id": "W2", "scores": {"2026-01": 98, "2026-02": 97, "2026-03": 96.25}},
            {"id": "W3", "scores": {"2026-01": 90}}
        ],
        "staff": [
            {"id": "S1", "window": "W1", "duty_days": 62, "scores": {"2026-01": 97}},
            {"id": "S2", "window": "W2", "duty_days": 60, "scores": {"2026-01": 96}},
            {"id": "S3", "window": "W3", "duty_days": 61, "scores": {"2026-01": 95}}
        ],
        "ballots": [],
        "ratings": []
    })
}

fn entrant<'a>(r: &'a PeriodResult, id: &str) -> &'a EntrantResult {
    r.window
        .entrants
        .iter()
        .chain(&r.staff.entrants)
        .find(|e| e.id == id)
        .expect("entrant")
}

fn fixed(s: &str) -> Option<Fixed2> {
    Some(Fixed2(number::parse_hundredths(s).unwrap()))
}

#[test]
fn staff_with_59_duty_days_is_not_eligible() {
    let mut v = base();
    v["staff"][0]["duty_days"] = json!(59);
    let r = run(v);
    assert_eq!(
        entrant(&r, "S1").reasons,
        vec![Reason::InsufficientDutyDays]
    );
    assert!(!entrant(&r, "S1").eligible);
    assert_eq!(
        entrant(&r, "S1").assessment,
        fixed("97.00"),
        "the assessment is shown all the same"
    );
    assert!(entrant(&r, "S2").eligible, "60 days is enough");
}

#[test]
fn any_one_veto_disqualifies_and_reasons_come_in_spec_order() {
    let mut v = base();
    v["staff"][0]["vetoes"] = json!(["corruption"]);
    v["staff"][0]["duty_days"] = json!(10);
    v["staff"][0]["scores"] = json!({});
    let r = run(v);
    assert_eq!(
        entrant(&r, "S1").reasons,
        vec![
            Reason::Vetoed,
            Reason::InsufficientDutyDays,
            Reason::NoAssessment
        ]
    );
    assert_eq!(entrant(&r, "S1").assessment, None);
}

#[test]
fn a_vetoed_window_does_not_disqualify_its_staff() {
    let mut v = base();
    v["windows"][0]["vetoes"] = json!(["overdue_case"]);
    let r = run(v);
    assert!(!entrant(&r, "W1").eligible);
    assert!(entrant(&r, "S1").eligible);
}

#[test]
fn the_assessment_is_the_mean_of_the_months_it_has_rounded_half_up() {
    let r = run(base());
    assert_eq!(entrant(&r, "W1").assessment, fixed("96.17")); // 96.1666…
    assert_eq!(entrant(&r, "W2").assessment, fixed("97.08")); // 97.0833…
    let mut v = base();
    v["windows"][0]["scores"] = json!({"2026-01": 90.01, "2026-02": 90.00});
    assert_eq!(
        entrant(&run(v), "W1").assessment,
        fixed("90.01"),
        "90.005 rounds up"
    );
}

#[test]
fn equal_assessments_share_a_rank_and_the_next_rank_is_skipped() {
    let mut v = base();
    v["rules"]["window"]["candidates"] = json!(1);
    v["windows"][1]["scores"] = json!({"2026-01": 96, "2026-02": 95.5, "2026-03": 97});
    let r = run(v);
    assert_eq!(entrant(&r, "W1").assessment_rank, Some(1));
    assert_eq!(entrant(&r, "W2").assessment_rank, Some(1));
    assert_eq!(entrant(&r, "W3").assessment_rank, Some(3));
    assert_eq!(
        r.window.candidates,
        vec!["W1", "W2"],
        "both tied at the boundary are candidates"
    );
}

#[test]
fn recused_ballots_do_not_count_in_the_denominator() {
    let mut v = base();
    v["ballots"] = json!([
        {"voter": "V1", "window": "W1", "kind": "window", "recommend": ["W2"]},
        {"voter": "V2", "window": "W2", "kind": "window", "recommend": ["W1"]},
        {"voter": "V3", "window": "W3", "kind": "window", "recommend": []}
    ]);
    let r = run(v);
    // W1: V1 is recused; V2 and V3 count, V2 recommends.
    assert_eq!(entrant(&r, "W1").democratic, fixed("50.00"));
    assert_eq!(entrant(&r, "W2").democratic, fixed("50.00"));
}

#[test]
fn without_ballots_from_other_windows_d_is_zero_and_flagged() {
    let mut v = base();
    v["ballots"] = json!([{"voter": "V1", "window": "W1", "kind": "staff", "recommend": ["S2"]}]);
    let r = run(v);
    assert_eq!(entrant(&r, "S1").democratic, fixed("0.00"));
    assert_eq!(
        entrant(&r, "S1").flags,
        vec![Flag::NoEligibleBallots, Flag::NoRatings]
    );
    assert_eq!(entrant(&r, "S2").democratic, fixed("100.00"));
    assert_eq!(entrant(&r, "S2").flags, vec![Flag::NoRatings]);
}

#[test]
fn ratings_are_trimmed_from_five_on() {
    let mut v = base();
    let four = [90, 92, 95, 88];
    v["ratings"] = Value::Array(
        four.iter()
            .enumerate()
            .map(|(i, s)| json!({"rater": format!("L{i}"), "subject": "W1", "score": s}))
            .collect(),
    );
    assert_eq!(
        entrant(&run(v.clone()), "W1").comprehensive,
        fixed("91.25"),
        "four: plain mean"
    );
    v["ratings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"rater": "L9", "subject": "W1", "score": 100}));
    assert_eq!(
        entrant(&run(v.clone()), "W1").comprehensive,
        fixed("92.33"),
        "five: 100 and 88 dropped"
    );
    v["rules"]["trim_extremes_from"] = json!(0);
    assert_eq!(
        entrant(&run(v), "W1").comprehensive,
        fixed("93.00"),
        "0: never trimmed"
    );
}

#[test]
fn a_candidate_without_ratings_gets_zero_and_a_flag() {
    let r = run(base());
    assert_eq!(entrant(&r, "W1").comprehensive, fixed("0.00"));
    assert!(entrant(&r, "W1").flags.contains(&Flag::NoRatings));
}

#[test]
fn the_total_weighs_the_rounded_parts_and_rounds_half_up() {
    let mut v = base();
    v["ballots"] = json!([{"voter": "V2", "window": "W2", "kind": "window", "recommend": ["W1"]}]);
    v["ratings"] = json!([
        {"rater": "L1", "subject": "W1", "score": 90}, {"rater": "L2", "subject": "W1", "score": 92},
        {"rater": "L3", "subject": "W1", "score": 95}, {"rater": "L4", "subject": "W1", "score": 88},
        {"rater": "L5", "subject": "W1", "score": 100}
    ]);
    let r = run(v);
    // (80 × 96.17 + 10 × 100.00 + 10 × 92.33) / 100 = 96.1660 -> 96.17
    assert_eq!(entrant(&r, "W1").total, fixed("96.17"));
}

#[test]
fn ties_in_the_total_are_broken_by_a_then_c_then_d() {
    let mut v = base();
    v["rules"]["weights"] = json!({"assessment": 0, "democratic": 0, "comprehensive": 100});
    v["rules"]["window"]["candidates"] = json!(3);
    v["ratings"] = json!([
        {"rater": "L1", "subject": "W1", "score": 90}, {"rater": "L1", "subject": "W2", "score": 90},
        {"rater": "L1", "subject": "W3", "score": 90}
    ]);
    let r = run(v);
    // Totals equal; A decides: W2 97.08 > W1 96.17 > W3 90.00.
    assert_eq!(r.window.winners, vec!["W2"]);
    assert_eq!(entrant(&r, "W2").final_rank, Some(1));
    assert_eq!(entrant(&r, "W1").final_rank, Some(2));
    assert_eq!(entrant(&r, "W3").final_rank, Some(3));
}

#[test]
fn a_tie_across_the_boundary_is_unresolved_and_neither_wins() {
    let mut v = base();
    v["windows"][1]["scores"] = json!({"2026-01": 96, "2026-02": 95.5, "2026-03": 97});
    let r = run(v.clone());
    assert!(r.window.winners.is_empty());
    assert_eq!(r.window.unresolved_tie, vec!["W1", "W2"]);
    assert!(!entrant(&r, "W1").winner && !entrant(&r, "W2").winner);
    // The leadership group decides, with a reason.
    v["decisions"] = json!([{"kind": "window", "chosen": ["W2"], "reason": "领导小组审定"}]);
    let r = run(v);
    assert_eq!(r.window.winners, vec!["W2"]);
    assert_eq!(r.window.decided, vec!["W2"]);
    assert!(r.window.unresolved_tie.is_empty());
    assert!(!entrant(&r, "W1").winner);
}

#[test]
fn results_do_not_depend_on_the_order_of_entrants_except_listings() {
    let mut v = base();
    v["windows"].as_array_mut().unwrap().reverse();
    let a = run(base());
    let b = run(v);
    for e in &a.window.entrants {
        assert_eq!(Some(e), b.window.entrants.iter().find(|x| x.id == e.id));
    }
}

#[test]
fn decisions_are_refused_without_an_unresolved_tie() {
    let mut v = base();
    v["decisions"] = json!([{"kind": "window", "chosen": ["W2"], "reason": "x"}]);
    assert!(refused(v).contains("no unresolved tie"));
}

#[test]
fn a_decision_must_choose_exactly_the_places_left_among_the_tied() {
    let mut v = base();
    v["windows"][1]["scores"] = json!({"2026-01": 96, "2026-02": 95.5, "2026-03": 97});
    for chosen in [
        json!([]),
        json!(["W1", "W2"]),
        json!(["W3"]),
        json!(["W1", "W1"]),
    ] {
        let mut w = v.clone();
        w["decisions"] = json!([{"kind": "window", "chosen": chosen, "reason": "x"}]);
        let msg = refused(w);
        assert!(msg.starts_with("decision for window"), "{msg}");
    }
}

#[test]
fn bad_input_is_refused_naming_the_item() {
    type Change = fn(&mut Value);
    let cases: Vec<(Change, &str)> = vec![
        (
            |v| v["windows"][0]["scores"]["2026-01"] = json!(100.5),
            "window W1: score for 2026-01 is outside 0-100",
        ),
        (
            |v| v["windows"][0]["scores"]["2026-01"] = json!(-1),
            "window W1: score for 2026-01 is outside 0-100",
        ),
        (
            |v| v["windows"][0]["scores"] = json!({"2026-04": 90}),
            "window W1: score for \"2026-04\"",
        ),
        (
            |v| v["windows"][0]["scores"]["2026-01"] = json!("96"),
            "window W1: score for 2026-01 is not a number",
        ),
        (
            |v| v["staff"][0]["id"] = json!("W1"),
            "staff W1: duplicate id",
        ),
        (
            |v| v["staff"][0]["window"] = json!("W9"),
            "staff S1: unknown window",
        ),
        (
            |v| v["staff"][0]["window"] = json!("S2"),
            "staff S1: unknown window",
        ),
        (
            |v| {
                v["staff"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("duty_days")
                    .map(drop)
                    .unwrap_or(())
            },
            "staff S1: duty_days is missing",
        ),
        (
            |v| v["staff"][0]["duty_days"] = json!(61.5),
            "staff S1: duty_days is not a whole number",
        ),
        (
            |v| v["staff"][0]["vetoes"] = json!(["late"]),
            "staff S1: unknown veto code",
        ),
        (
            |v| v["rules"]["weights"]["assessment"] = json!(70),
            "rules: weights sum to 90",
        ),
        (
            |v| v["rules"]["trim_extremes_from"] = json!(2),
            "rules: trim_extremes_from",
        ),
        (|v| v["months"] = json!(["2026-13"]), "months: \"2026-13\""),
        (
            |v| v["ratings"] = json!([{"rater": "L1", "subject": "W3", "score": 90}]),
            "rater L1: rates W3, which is not a candidate",
        ),
        (
            |v| v["ratings"] = json!([{"rater": "L1", "subject": "W1", "score": 101}]),
            "rater L1: rating of W1 is outside 0-100",
        ),
        (
            |v| v["ratings"] = json!([{"rater": "L1", "subject": "W1", "score": 90}, {"rater": "L1", "subject": "W1", "score": 91}]),
            "rater L1: rates W1 twice",
        ),
        (
            |v| v["ballots"] = json!([{"voter": "V1", "window": "W1", "kind": "window", "recommend": ["W2"]}, {"voter": "V1", "window": "W1", "kind": "window", "recommend": []}]),
            "voter V1: casts two window ballots",
        ),
        (
            |v| {
                v["ballots"] =
                    json!([{"voter": "V1", "window": "W1", "kind": "window", "recommend": ["W1"]}])
            },
            "voter V1: recommends W1 of the voter's own window",
        ),
        (
            |v| {
                v["ballots"] =
                    json!([{"voter": "V1", "window": "W2", "kind": "staff", "recommend": ["S2"]}])
            },
            "voter V1: recommends S2 of the voter's own window",
        ),
        (
            |v| {
                v["ballots"] =
                    json!([{"voter": "V1", "window": "W1", "kind": "window", "recommend": ["W3"]}])
            },
            "voter V1: recommends W3, which is not a candidate",
        ),
        (
            |v| {
                v["ballots"] =
                    json!([{"voter": "V1", "window": "W1", "kind": "window", "recommend": ["S2"]}])
            },
            "voter V1: window ballot names S2, a staff entrant",
        ),
        (
            |v| v["ballots"] = json!([{"voter": "V1", "window": "W3", "kind": "window", "recommend": ["W1", "W2"]}]),
            "voter V1: window ballot recommends 2, more than the 1 allowed",
        ),
        (
            |v| v["ballots"] = json!([{"voter": "V1", "window": "W3", "kind": "staff", "recommend": ["S1", "S1"]}]),
            "voter V1: recommends S1 twice",
        ),
        (
            |v| v["ballots"] = json!([{"voter": "V1", "window": "W3", "kind": "staff", "recommend": []}, {"voter": "V1", "window": "W2", "kind": "window", "recommend": []}]),
            "voter V1: ballots from two windows",
        ),
        (
            |v| v["tallies"] = json!([{"kind": "window", "ballots_by_window": {"W1": 1}, "recommendations": {"W2": 2}}]),
            "tally for window: W2 recommended 2 times",
        ),
        (
            |v| {
                v["tallies"] = json!([{"kind": "window", "ballots_by_window": {"W9": 1}, "recommendations": {}}])
            },
            "tally for window: unknown window",
        ),
        (
            |v| v["tallies"] = json!([{"kind": "window", "ballots_by_window": {"W1": 1.5}, "recommendations": {}}]),
            "tally for window: ballots of window W1 is not a whole number",
        ),
        (
            |v| v["tallies"] = json!([{"kind": "window", "ballots_by_window": {"W3": 2}, "recommendations": {"W1": 2, "W2": 1}}]),
            "tally for window: 3 recommendations in all",
        ),
        (
            |v| {
                v["tallies"] = json!([{"kind": "window", "ballots_by_window": {}, "recommendations": {"W3": 0}}])
            },
            "tally for window: recommendations of W3, which is not a window candidate",
        ),
        (
            |v| v["tallies"] = json!([{"kind": "staff", "ballots_by_window": {}, "recommendations": {}}, {"kind": "staff", "ballots_by_window": {}, "recommendations": {}}]),
            "tally for staff: a second tally",
        ),
        (
            |v| {
                v["ballots"] =
                    json!([{"voter": "V1", "window": "W3", "kind": "staff", "recommend": []}]);
                v["tallies"] =
                    json!([{"kind": "staff", "ballots_by_window": {}, "recommendations": {}}]);
            },
            "tally for staff: the input also has staff ballots",
        ),
    ];
    for (change, expected) in cases {
        let mut v = base();
        change(&mut v);
        let msg = refused(v);
        assert!(
            msg.starts_with(expected),
            "expected {expected:?}, got {msg:?}"
        );
        assert!(!msg.contains('\n'));
    }
}

#[test]
fn malformed_json_is_refused_not_a_panic() {
    for text in [
        "",
        "{",
        "[]",
        "null",
        "{\"rules\": 5}",
        "\u{0}",
        "{\"rules\":{}}",
    ] {
        let msg = compute_json(text).expect_err("refused").0;
        assert!(msg.starts_with("malformed input"), "{msg}");
    }
}

#[test]
fn unknown_fields_are_ignored() {
    let mut v = base();
    v["comment"] = json!("exported by pingxuan");
    v["windows"][0]["name"] = json!("户籍");
    assert_eq!(run(v), run(base()));
}

#[test]
fn competition_ranks_skip_after_ties() {
    assert_eq!(competition_ranks(&[5, 7, 7, 3, 7]), vec![4, 1, 1, 5, 1]);
    assert_eq!(competition_ranks::<i32>(&[]), Vec::<u32>::new());
}
