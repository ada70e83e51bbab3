//! `pingxuan compute` at province scale (issue 3): 10,000 windows, 100,000 staff, a quarter,
//! a ballot of each kind per head at full caps, 15 raters rating every candidate.
//! The goal: computing takes less time than parsing the JSON.
//!
//! `cargo bench --bench compute`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pingxuan::scoring::generate::{Size, period};
use pingxuan::scoring::{PeriodInput, compute};

fn province(c: &mut Criterion) {
    let input = period(Size::PROVINCE);
    let json = serde_json::to_string(&input).expect("serialises");
    let parsed: PeriodInput = serde_json::from_str(&json).expect("parses");
    let mut group = c.benchmark_group("province");
    group.sample_size(20);
    group.bench_function("parse JSON", |b| {
        b.iter(|| serde_json::from_str::<PeriodInput>(black_box(&json)).expect("parses"))
    });
    group.bench_function("compute", |b| {
        b.iter(|| compute(black_box(&parsed)).expect("accepted"))
    });
    group.bench_function("write results JSON", |b| {
        let result = compute(&parsed).expect("accepted");
        b.iter(|| serde_json::to_vec_pretty(black_box(&result)).expect("serialises"))
    });
    group.finish();
}

criterion_group!(benches, province);
criterion_main!(benches);
