//! Worked examples of the monthly score, each computed by hand in its comment.

use super::rules_text::{format, parse};
use super::{Counts, appeal_deadline, compute, points_text};

const SHEET: &str = "\
服务态度 20
- 迟到早退 -0.5 上限2
- 着装不规范 -1
- 表扬信 +1 上限3
工作纪律 30
- 擅自离岗 -2
工作效率 40
- 超期办件 -5
群众评价 10 满意率 99%=10 98%=8 95%=5
- 差评经核实 -2
";

fn ids(items: &[super::Item], name: &str) -> i64 {
    items
        .iter()
        .flat_map(|i| &i.standards)
        .find(|s| s.name == name)
        .map(|s| s.id)
        .unwrap()
}

#[test]
fn the_sheet_reads_and_writes_back_the_same() {
    let items = parse(SHEET).unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0].standards[0].points, -50);
    assert_eq!(items[0].standards[0].cap, Some(200));
    assert_eq!(items[0].standards[2].points, 100);
    assert_eq!(format(&items), SHEET);
    assert_eq!(parse(&format(&items)).unwrap(), items);
}

#[test]
fn no_records_is_full_marks() {
    let items = parse(SHEET).unwrap();
    let b = compute(&items, &[], None);
    assert_eq!(b.total, 10_000);
}

#[test]
fn deductions_are_capped_per_standard_and_the_item_floored_at_zero() {
    let items = parse(SHEET).unwrap();
    // 迟到早退 × 6 = −3.0, capped at 2: 服务态度 18; 着装不规范 × 1: 17.
    // 擅自离岗 × 20 = −40: 工作纪律 floored at 0 (not −10).
    // 100 − 3 − 30 = 67.
    let b = compute(
        &items,
        &[
            (ids(&items, "迟到早退"), 6),
            (ids(&items, "着装不规范"), 1),
            (ids(&items, "擅自离岗"), 20),
        ],
        None,
    );
    assert_eq!(b.items[0].points, 1700);
    assert_eq!(b.items[0].standards[0].raw, -300);
    assert_eq!(b.items[0].standards[0].counted, -200);
    assert_eq!(b.items[1].points, 0);
    assert_eq!(b.total, 6700);
}

#[test]
fn a_bonus_restores_points_but_never_above_the_item_maximum() {
    let items = parse(SHEET).unwrap();
    // 迟到早退 × 3 = −1.5; 表扬信 × 5 = +5, capped at +3: 20 − 1.5 + 3 = 21.5 → 20.
    let b = compute(
        &items,
        &[(ids(&items, "迟到早退"), 3), (ids(&items, "表扬信"), 5)],
        None,
    );
    assert_eq!(b.items[0].points, 2000);
    assert_eq!(b.total, 10_000);
    // 着装不规范 × 2 = −2; 表扬信 × 1 = +1: 19; 100 − 1 = 99.
    let b = compute(
        &items,
        &[(ids(&items, "着装不规范"), 2), (ids(&items, "表扬信"), 1)],
        None,
    );
    assert_eq!(b.total, 9900);
}

#[test]
fn the_public_rating_item_starts_from_its_step() {
    let items = parse(SHEET).unwrap();
    // 1000 ratings, 985 good (非常满意 900 + 满意 80 + 基本满意 5): 98.50% ≥ 98%: 8;
    // one 差评 found justified, −2: 6. 100 − 10 + 6 = 96.
    let counts = Counts {
        very_satisfied: 900,
        satisfied: 80,
        basically_satisfied: 5,
        dissatisfied: 10,
        very_dissatisfied: 5,
    };
    assert_eq!(counts.rate(), Some(9850));
    let b = compute(&items, &[(ids(&items, "差评经核实"), 1)], Some(&counts));
    assert_eq!(b.items[3].base, 800);
    assert_eq!(b.items[3].points, 600);
    assert_eq!(b.total, 9600);
    // Below every step: 0 (90.00%).
    let low = Counts {
        very_satisfied: 90,
        dissatisfied: 10,
        ..Counts::default()
    };
    assert_eq!(compute(&items, &[], Some(&low)).total, 9000);
    // No ratings at all: the item keeps its maximum.
    assert_eq!(
        compute(&items, &[], Some(&Counts::default())).items[3].points,
        1000
    );
}

#[test]
fn the_rate_rounds_half_up_to_hundredths_of_a_percent() {
    // 2/3 = 66.666…% → 66.67%; 1/8 = 12.5% exactly.
    let c = Counts {
        satisfied: 2,
        dissatisfied: 1,
        ..Counts::default()
    };
    assert_eq!(c.rate(), Some(6667));
    let c = Counts {
        satisfied: 1,
        very_dissatisfied: 7,
        ..Counts::default()
    };
    assert_eq!(c.rate(), Some(1250));
}

#[test]
fn a_standard_changed_mid_year_counts_under_the_version_of_its_month() {
    // From July the sheet doubles 迟到早退 to −1 without a cap. A June record (of the old
    // version's standard) counts nothing under the July version, and vice versa.
    let june = parse(SHEET).unwrap();
    let july = parse(&SHEET.replace("- 迟到早退 -0.5 上限2", "- 迟到早退 -1")).unwrap();
    let (old, new) = (ids(&june, "迟到早退"), ids(&july, "迟到早退") + 100);
    let mut july = july;
    july[0].standards[0].id = new;
    assert_eq!(compute(&june, &[(old, 5)], None).total, 9800);
    assert_eq!(compute(&july, &[(new, 5)], None).total, 9500);
    assert_eq!(compute(&july, &[(old, 5)], None).total, 10_000);
}

#[test]
fn faults_are_named_with_their_line() {
    let cases = [
        ("服务态度 20\n工作纪律 70", "合计应为 100 分，现为 90 分"),
        ("- 迟到早退 -0.5\n服务态度 100", "第 1 行"),
        ("服务态度 100\n- 迟到早退 0.5", "应带符号"),
        ("服务态度 100\n- 迟到早退 -0.505", "最多两位小数"),
        ("服务态度 100\n- 迟到早退 -0.5 上限 0", "上限应大于 0"),
        ("服务态度 100\n- 迟到早退 -0.5\n- 迟到早退 -1", "出现了两次"),
        ("服务态度 ２０\n工作 80", "半角数字"),
        ("服务态度\n", "缺少满分"),
        ("服务态度 50 满意率 95%=5 99%=10\n其他 50", "从高到低"),
        ("服务态度 100 多余", "多出了"),
        ("", "至少填写一个"),
    ];
    for (text, want) in cases {
        let errors = parse(text).unwrap_err();
        assert!(
            errors.iter().any(|e| e.contains(want)),
            "{text:?}: {errors:?}"
        );
    }
}

#[test]
fn full_width_signs_and_spaces_are_read() {
    let items = parse(
        "服务态度　１００"
            .replace('１', "1")
            .replace('０', "0")
            .as_str(),
    )
    .unwrap();
    assert_eq!(items[0].max, 10_000);
    let items = parse("服务态度 100\n－ 迟到早退 －0.5 上限2").unwrap();
    assert_eq!(items[0].standards[0].points, -50);
}

#[test]
fn points_are_written_as_the_sheet_does() {
    assert_eq!(points_text(-50, true), "-0.5");
    assert_eq!(points_text(100, true), "+1");
    assert_eq!(points_text(2000, false), "20");
    assert_eq!(points_text(225, false), "2.25");
}

#[test]
fn the_appeal_deadline_counts_working_days_after_the_record() {
    use time::macros::date;
    // Tuesday + 3 working days: Friday.
    assert_eq!(
        appeal_deadline(date!(2026 - 11 - 03), 3),
        date!(2026 - 11 - 06)
    );
    // Thursday + 3: the weekend is skipped, Tuesday.
    assert_eq!(
        appeal_deadline(date!(2026 - 11 - 05), 3),
        date!(2026 - 11 - 10)
    );
    // Saturday + 1: Monday.
    assert_eq!(
        appeal_deadline(date!(2026 - 11 - 07), 1),
        date!(2026 - 11 - 09)
    );
}

#[test]
fn a_step_is_reached_by_the_exact_rate_not_the_rounded_one() {
    let items = parse(SHEET).unwrap();
    // 296 good of 299: 98.9967%, shown as 99.00%, but below 99%: 8 points, not 10.
    let counts = Counts {
        very_satisfied: 296,
        dissatisfied: 3,
        ..Counts::default()
    };
    assert_eq!(counts.rate(), Some(9900));
    assert!(!counts.reaches(9900));
    assert_eq!(compute(&items, &[], Some(&counts)).items[3].base, 800);
    // 99 of 100 is exactly 99%.
    let exact = Counts {
        very_satisfied: 99,
        dissatisfied: 1,
        ..Counts::default()
    };
    assert_eq!(compute(&items, &[], Some(&exact)).items[3].base, 1000);
}
