//! Time, injectable: the server asks a [`Clock`] instead of the OS, so tests can jump 15 minutes
//! ahead to watch a lock expire instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

/// Where "now" comes from.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Unix seconds (what the database stores).
    fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Today's date in China (UTC+8), for rules like "birth date not after today".
    fn today_cn(&self) -> NaiveDate {
        (self.now() + chrono::Duration::hours(8)).date_naive()
    }
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Starts at the time it is created.
#[derive(Debug, Clone)]
pub struct ManualClock {
    millis: Arc<AtomicI64>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::at(Utc::now())
    }
}

impl ManualClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        ManualClock {
            millis: Arc::new(AtomicI64::new(t.timestamp_millis())),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.millis.load(Ordering::SeqCst)).unwrap_or_default()
    }
}

/// RFC 3339 (UTC, seconds) of a unix time, as the API writes times.
pub fn rfc3339(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Start of `year` in China (UTC+8), as unix seconds.
pub fn year_start_unix(year: i32) -> i64 {
    use chrono::TimeZone;
    chrono::FixedOffset::east_opt(8 * 3600)
        .and_then(|tz| tz.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single())
        .map_or(0, |t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let c = ManualClock::at(start);
        assert_eq!(c.unix(), 1_700_000_000);
        c.advance(std::time::Duration::from_secs(900));
        assert_eq!(c.unix(), 1_700_000_900);
        assert_eq!(rfc3339(c.unix()), "2023-11-14T22:28:20Z");
    }

    #[test]
    fn today_is_chinese_date() {
        // 2023-12-31T20:00Z is already 2024-01-01 in Beijing.
        let c = ManualClock::at(DateTime::from_timestamp(1_704_052_800, 0).unwrap());
        assert_eq!(c.today_cn(), NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
    }

    #[test]
    fn year_starts_at_midnight_beijing_time() {
        // 2025-01-01 00:00 +08:00 = 2024-12-31 16:00 UTC.
        assert_eq!(year_start_unix(2025), 1_735_660_800);
    }
}
