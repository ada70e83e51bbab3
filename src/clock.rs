//! The server's clock: the one time that decides deadlines. A browser's clock is never
//! asked. Tests move it forward or back; time keeps running from where it was set.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// The time now, shifted by an offset that only tests set.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ns: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::nanoseconds(self.offset_ns.load(Ordering::SeqCst))
    }

    /// Today in China Standard Time, the offices' calendar.
    pub fn today(&self) -> time::Date {
        china_date(self.now())
    }

    /// Makes it `at` now; the clock runs on from there.
    pub fn set(&self, at: OffsetDateTime) {
        let offset = at - OffsetDateTime::now_utc();
        let ns = i64::try_from(offset.whole_nanoseconds()).unwrap_or(i64::MAX);
        self.offset_ns.store(ns, Ordering::SeqCst);
    }
}

/// The day `at` falls on in China Standard Time.
pub fn china_date(at: OffsetDateTime) -> time::Date {
    at.to_offset(time::macros::offset!(+8)).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_runs_on_from_where_it_was_set() {
        let clock = Clock::default();
        let at = time::macros::datetime!(2026-12-31 15:59:59 UTC);
        clock.set(at);
        let now = clock.now();
        assert!(now >= at && now - at < Duration::seconds(1), "{now}");
        assert!(Clock::default().now() - OffsetDateTime::now_utc() < Duration::seconds(1));
    }
}
