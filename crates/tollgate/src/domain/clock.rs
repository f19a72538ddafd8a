use chrono::{DateTime, Duration, Utc};

use crate::{Error, Result};

/// Where "now" comes from. Domain code never reads the system clock itself: the CLI and the app
/// pass [`SystemClock`], tests pass a [`FixedClock`].
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
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

/// Parse a duration such as `90s`, `30m`, `24h`, `7d`, or a sum like `1d12h`.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let bad = || {
        Error::bad_input(format!(
            "'{s}' is not a duration: write a number and a unit (s, m, h, d), e.g. 24h or 1d12h"
        ))
    };
    let mut total = Duration::zero();
    let mut number = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total += match c {
            's' => Duration::seconds(n),
            'm' => Duration::minutes(n),
            'h' => Duration::hours(n),
            'd' => Duration::days(n),
            _ => return Err(bad()),
        };
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
    fn durations_and_times() {
        assert_eq!(parse_duration("24h").unwrap(), Duration::hours(24));
        assert_eq!(parse_duration("1d12h").unwrap(), Duration::hours(36));
        for bad in ["", "24", "h", "24x", "-1h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        let t = parse_time("2026-11-25T09:00:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-25T08:00:00+00:00");
        assert!(parse_time("yesterday").is_err());
    }
}
