//! `pingxuan compute` over arbitrary bytes: every input is either computed or refused with
//! a one-line message; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The command refuses non-UTF-8 input before parsing; everything else goes through the
    // same function it calls.
    if let Ok(text) = std::str::from_utf8(data) {
        match pingxuan::scoring::compute_json(text) {
            Ok(result) => {
                serde_json::to_string(&result).expect("results serialise");
            }
            Err(refusal) => assert!(!refusal.0.is_empty()),
        }
    }
});
