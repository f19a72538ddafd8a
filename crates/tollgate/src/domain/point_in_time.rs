//! The `--at T` of `status` and `timeline` (and the desktop's "as of"): an RFC 3339 time or a
//! time relative to now (`-3h`), never in the future.

use chrono::{DateTime, Duration, Utc};

use super::clock::MAX_DURATION_DAYS;
use crate::{Error, Result};

/// The accepted forms, for every error message about `--at`.
const FORMS: &str = "write an RFC 3339 time (2026-11-25T08:00:00Z, or with an offset: 2026-11-25T09:00:00+01:00) or a time before now (-30m, -3h, -2d, -1w)";

/// Parse a point in time: RFC 3339 with an offset or `Z`, or `-<n>` and a unit (`m` minutes,
/// `h` hours, `d` days, `w` weeks) before `now` (the context clock). A time after `now` is
/// refused: the history says nothing about it yet. Never panics on user input.
pub fn parse_at(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let text = s.trim();
    let t = match text.strip_prefix('-') {
        Some(relative) => now - relative_duration(s, relative)?,
        None => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Error::bad_input(format!("'{s}' is not a point in time: {FORMS}")))?,
    };
    if t > now {
        return Err(Error::bad_input(format!(
            "'{s}' is in the future ({}): the history only knows what ran until now; give a time at or before {}",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )));
    }
    Ok(t)
}

/// `3h` of `-3h`: digits then one unit, at most [`MAX_DURATION_DAYS`].
fn relative_duration(s: &str, relative: &str) -> Result<Duration> {
    let bad = || Error::bad_input(format!("'{s}' is not a point in time: {FORMS}"));
    let unit = relative.chars().last().ok_or_else(bad)?;
    let digits = &relative[..relative.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let too_far = || {
        Error::bad_input(format!(
            "'{s}' is too far back: at most {MAX_DURATION_DAYS}d (about a hundred years); {FORMS}"
        ))
    };
    let n: i64 = digits.parse().map_err(|_| too_far())?;
    let d = match unit {
        'm' => Duration::try_minutes(n),
        'h' => Duration::try_hours(n),
        'd' => Duration::try_days(n),
        'w' => n.checked_mul(7).and_then(Duration::try_days),
        _ => return Err(bad()),
    };
    d.filter(|d| *d <= Duration::days(MAX_DURATION_DAYS))
        .ok_or_else(too_far)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    #[test]
    fn rfc3339_with_an_offset_or_z() {
        let t = parse_at("2026-11-25T09:00:00+01:00", now()).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap());
        let t = parse_at("2026-11-25T08:00:00.250Z", now()).unwrap();
        assert_eq!(t.timestamp_millis() % 1000, 250);
        assert_eq!(parse_at(" 2026-11-25T12:00:00Z ", now()).unwrap(), now());
    }

    #[test]
    fn relative_to_the_context_clock() {
        assert_eq!(
            parse_at("-30m", now()).unwrap(),
            now() - Duration::minutes(30)
        );
        assert_eq!(parse_at("-3h", now()).unwrap(), now() - Duration::hours(3));
        assert_eq!(parse_at("-2d", now()).unwrap(), now() - Duration::days(2));
        assert_eq!(parse_at("-1w", now()).unwrap(), now() - Duration::days(7));
        assert_eq!(parse_at("-0h", now()).unwrap(), now());
    }

    #[test]
    fn anything_else_is_one_line_naming_both_forms() {
        for bad in [
            "",
            "-",
            "-h",
            "-3",
            "3h",
            "+3h",
            "-3x",
            "-3h30m",
            "-1.5h",
            "-3 h",
            "yesterday",
            "2026-11-25",
            "2026-11-25T08:00:00",
            "2026-11-25 08:00",
            "-٣h",
        ] {
            let e = parse_at(bad, now()).unwrap_err();
            assert_eq!(e.code, crate::Code::BadInput, "{bad}");
            assert!(!e.message.contains('\n'), "{bad}: {}", e.message);
            assert!(
                e.message.contains("RFC 3339") && e.message.contains("-3h"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn too_far_back_is_refused_without_panicking() {
        for far in [
            "-36501d",
            "-99999999999999999999h",
            "-9223372036854775807w",
            "-5300w",
        ] {
            let e = parse_at(far, now()).unwrap_err();
            assert!(e.message.contains("too far back"), "{far}: {}", e.message);
        }
        assert!(parse_at("-36500d", now()).is_ok());
    }

    #[test]
    fn the_future_is_refused() {
        let e = parse_at("2026-11-25T12:00:01Z", now()).unwrap_err();
        assert_eq!(e.code, crate::Code::BadInput);
        assert_eq!(
            e.message,
            "'2026-11-25T12:00:01Z' is in the future (2026-11-25T12:00:01Z): the history only knows what ran until now; give a time at or before 2026-11-25T12:00:00Z"
        );
        assert!(parse_at("2999-01-01T00:00:00+02:00", now()).is_err());
    }
}
