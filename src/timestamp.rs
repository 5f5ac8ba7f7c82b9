//! Wall-clock time as UTC RFC 3339 text, with milliseconds
//! (`2025-03-01T09:05:07.042Z`: the simulator's connection lines) or
//! microseconds (the `started` field of a call trace).
//!
//! Formatting only, no time zones and no clock reading: the caller passes
//! the time. A leaf: used by the simulator and by the recorder.

use std::time::{SystemTime, UNIX_EPOCH};

/// `at` as `YYYY-MM-DDTHH:MM:SS.mmmZ`; times before 1970 print as the epoch.
pub fn rfc3339_utc_ms(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!(
        "{}.{:03}Z",
        date_time(since.as_secs()),
        since.subsec_millis()
    )
}

/// `at` as `YYYY-MM-DDTHH:MM:SS.uuuuuuZ`; times before 1970 print as the
/// epoch.
pub fn rfc3339_utc_us(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!(
        "{}.{:06}Z",
        date_time(since.as_secs()),
        since.subsec_micros()
    )
}

/// `YYYY-MM-DDTHH:MM:SS` of `secs` after the epoch.
fn date_time(secs: u64) -> String {
    let (year, month, day) = civil_date(secs / 86_400);
    let of_day = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01.
fn civil_date(days: u64) -> (u64, u64, u64) {
    // Counted in 400-year eras from 0000-03-01, so that the leap day is the
    // last day of a year and every era has the same 146097 days.
    const ERA: u64 = 146_097;
    let from_0000_03_01 = days + 719_468;
    let era = from_0000_03_01 / ERA;
    let day_of_era = from_0000_03_01 % ERA;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / (ERA - 1)) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March, each month start found by the 153-day
    // five-month pattern.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, ms: u64) -> String {
        rfc3339_utc_ms(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(ms))
    }

    #[test]
    fn microseconds() {
        let t = UNIX_EPOCH + Duration::from_micros(951_782_400_000_042);
        assert_eq!(rfc3339_utc_us(t), "2000-02-29T00:00:00.000042Z");
    }

    #[test]
    fn known_instants() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(at(951_868_799, 999), "2000-02-29T23:59:59.999Z");
        assert_eq!(at(951_868_800, 0), "2000-03-01T00:00:00.000Z");
        assert_eq!(at(1_709_210_096, 123), "2024-02-29T12:34:56.123Z");
        assert_eq!(at(4_107_542_399, 0), "2100-02-28T23:59:59.000Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_utc_ms(UNIX_EPOCH - Duration::from_secs(1)),
            "1970-01-01T00:00:00.000Z"
        );
    }

    /// Every day for 500 years is the day after the one before, by the
    /// Gregorian month lengths.
    #[test]
    fn days_follow_each_other() {
        let leap =
            |y: u64| y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
        let mut prev = civil_date(0);
        for d in 1..(500 * 366) {
            let (y, m, dd) = prev;
            let feb = if leap(y) { 29 } else { 28 };
            let len = [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][(m - 1) as usize];
            let want = if dd < len {
                (y, m, dd + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            let next = civil_date(d);
            assert_eq!(next, want, "day {d}");
            prev = next;
        }
    }
}
