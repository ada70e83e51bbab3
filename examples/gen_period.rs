//! Writes a synthetic period in the recount format to standard output, for
//! `pingxuan compute` and its benchmark.
//!
//! `cargo run --release --example gen_period -- [windows] [staff_per_window] > period.json`
//! (default: the province scale of issue 3, 10,000 windows and 100,000 staff).

use pingxuan::scoring::generate::{Size, period};

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().expect("a whole number"));
    let mut size = Size::PROVINCE;
    if let Some(w) = args.next() {
        size.windows = w;
    }
    if let Some(s) = args.next() {
        size.staff_per_window = s;
    }
    let out = std::io::stdout().lock();
    serde_json::to_writer(std::io::BufWriter::new(out), &period(size)).expect("written");
}
