//! Time as the domain sees it: UTC milliseconds, and a clock that tests can move.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A point in time, stored as milliseconds since the Unix epoch in UTC.
///
/// Storage keeps every instant in this form so that both databases agree and no
/// process timezone (`TZ`) ever leaks into a stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_millis(self, millis: i64) -> Self {
        Self(self.0.saturating_add(millis))
    }

    pub fn plus_seconds(self, seconds: i64) -> Self {
        self.plus_millis(seconds.saturating_mul(1000))
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0)
            .single()
            .unwrap_or_default()
    }

    /// The UTC day number (days since 1970-01-01), used for daily rollups.
    pub fn day(self) -> i64 {
        self.0.div_euclid(86_400_000)
    }

    /// A human-readable UTC rendering, for pages and logs.
    pub fn display_utc(self) -> String {
        self.to_datetime().format("%Y-%m-%d %H:%M UTC").to_string()
    }

    pub fn display_date(self) -> String {
        self.to_datetime().format("%Y-%m-%d").to_string()
    }

    /// RFC 3339 with a `Z`, for the API.
    pub fn rfc3339(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value.timestamp_millis())
    }
}

/// Where "now" comes from. Production uses [`SystemClock`]; tests use [`ManualClock`].
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(Utc::now().timestamp_millis())
    }
}

/// A clock that only moves when told to: tests use it instead of sleeping.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now_millis: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            now_millis: Arc::new(AtomicI64::new(start.0)),
        }
    }

    pub fn advance_millis(&self, millis: i64) {
        self.now_millis.fetch_add(millis, Ordering::SeqCst);
    }

    pub fn advance_seconds(&self, seconds: i64) {
        self.advance_millis(seconds * 1000);
    }

    pub fn set(&self, to: Timestamp) {
        self.now_millis.store(to.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now_millis.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp(1_000));
        assert_eq!(clock.now(), Timestamp(1_000));
        clock.advance_seconds(30);
        assert_eq!(clock.now(), Timestamp(31_000));
    }

    #[test]
    fn day_number_is_utc() {
        assert_eq!(Timestamp(0).day(), 0);
        assert_eq!(Timestamp(86_400_000 - 1).day(), 0);
        assert_eq!(Timestamp(-1).day(), -1);
    }
}
