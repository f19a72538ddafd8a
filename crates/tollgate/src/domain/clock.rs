use chrono::{DateTime, Duration, Utc};

use crate::{Error, Result};

/// Where "now" comes from. Domain code never reads the system clock itself: the CLI and the app
/// pass [`SystemClock`], tests pass a [`FixedClock`].
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the one system clock: everything else is passed a Clock"
    )]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Parse an RFC 3339 time (`2026-11-25T08:00:00Z`, `2026-11-25T09:00:00+01:00`) to UTC.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            Error::bad_input(format!(
                "'{s}' is not an RFC 3339 time ({e}): write e.g. 2026-11-25T08:00:00Z"
            ))
        })
}

/// Parse a bound of a period (`export --since/--until`): an RFC 3339 time, or a date alone
/// (`2026-11-25`), which means midnight UTC at its start.
pub fn parse_period_bound(s: &str) -> Result<DateTime<Utc>> {
    let text = s.trim();
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        if text.len() == 10 {
            return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
        }
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Error::bad_input(format!(
                "'{s}' is not a time: write a date (2026-11-25, midnight UTC) or an RFC 3339 time (2026-11-25T08:00:00Z)"
            ))
        })
}

/// The longest duration a setting may name: 36500 days (about a hundred years). Anything
/// longer is a mistake, and would overflow the time arithmetic of the checks.
pub const MAX_DURATION_DAYS: i64 = 36_500;

/// Parse a duration such as `90s`, `30m`, `24h`, `7d`, or a sum like `1d12h`; at most
/// [`MAX_DURATION_DAYS`]. Never panics: every step is checked arithmetic.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let bad = || {
        Error::bad_input(format!(
            "'{s}' is not a duration: write a number and a unit (s, m, h, d), e.g. 24h or 1d12h"
        ))
    };
    let too_long = || {
        Error::bad_input(format!(
            "'{s}' is too long a duration: at most {MAX_DURATION_DAYS}d (about a hundred years); write a shorter one"
        ))
    };
    let max = Duration::days(MAX_DURATION_DAYS);
    let mut total = Duration::zero();
    let mut number = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        if number.is_empty() {
            return Err(bad());
        }
        // More digits than an i64 holds is still a number, just far too long.
        let n: i64 = number.parse().map_err(|_| too_long())?;
        number.clear();
        let part = match c {
            's' => Duration::try_seconds(n),
            'm' => Duration::try_minutes(n),
            'h' => Duration::try_hours(n),
            'd' => Duration::try_days(n),
            _ => return Err(bad()),
        };
        total = part
            .and_then(|p| total.checked_add(&p))
            .filter(|t| *t <= max)
            .ok_or_else(too_long)?;
    }
    if !number.is_empty() || s.trim().is_empty() {
        return Err(bad());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_bound_may_be_a_date_alone() {
        let t = |s: &str| parse_period_bound(s).unwrap().to_rfc3339();
        assert_eq!(t("2026-11-25"), "2026-11-25T00:00:00+00:00");
        assert_eq!(t(" 2026-11-25 "), "2026-11-25T00:00:00+00:00");
        assert_eq!(t("2026-11-25T09:00:00+01:00"), "2026-11-25T08:00:00+00:00");
        for bad in [
            "2026-11-31",
            "25.11.2026",
            "2026-11-25 08:00",
            "",
            "2026-1-5",
        ] {
            let e = parse_period_bound(bad).unwrap_err();
            assert!(e.message.contains("write a date"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_duration("24h").unwrap(), Duration::hours(24));
        assert_eq!(parse_duration("1d12h").unwrap(), Duration::hours(36));
        for bad in ["", "24", "h", "24x", "-1h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_duration("36500d").unwrap(),
            Duration::days(MAX_DURATION_DAYS)
        );
        // Too long for a setting, for chrono, or for an i64: a clear error, never a panic.
        for long in [
            "36501d",
            "36500d1s",
            "100000000d",
            "200000000000d",
            "99999999999999999999999h",
            "9223372036854775807s",
        ] {
            let e = parse_duration(long).unwrap_err();
            assert!(
                e.message.contains("too long a duration"),
                "{long}: {}",
                e.message
            );
        }
        let t = parse_time("2026-11-25T09:00:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-25T08:00:00+00:00");
        assert!(parse_time("yesterday").is_err());
    }
}
