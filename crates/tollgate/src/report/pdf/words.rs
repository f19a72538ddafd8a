//! One vocabulary and one date format in the PDF: a policy rule is named as people say it
//! ("soak time", not `min_soak`), and a time written inside recorded text (a checklist's reason,
//! an attestation's signing time) is shown like every other time of the report (see
//! [`super::local`]).

use chrono::{DateTime, Utc};

/// The name of a policy rule for people.
pub(super) fn rule(name: &str) -> &str {
    match name {
        "min_soak" => "soak time",
        "four_eyes" => "four eyes",
        "approval_max_age" => "approval age",
        "rejected" => "rejections",
        "pinned" => "pinned by digest",
        other => other,
    }
}

/// `text` with the configuration's names of rules replaced by [`rule`]'s, and every RFC 3339
/// time in it shown in the report's format.
pub(super) fn plain(text: &str) -> String {
    let mut s = text.to_string();
    for name in ["min_soak", "four_eyes", "approval_max_age"] {
        s = s.replace(name, rule(name));
    }
    times(&s)
}

/// Every RFC 3339 time of `text` (`2026-11-25T08:00:00.000Z`, with or without fractions, `Z`
/// or an offset) in the report's format.
fn times(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        let starts_time = rest.len() >= 20
            && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && rest.as_bytes()[4] == b'-'
            && rest.as_bytes()[10] == b'T';
        if starts_time {
            // The longest prefix (up to 35 bytes) that parses.
            for len in (20..=rest.len().min(35)).rev() {
                let Some(candidate) = rest.get(..len) else {
                    continue;
                };
                if let Ok(t) = DateTime::parse_from_rfc3339(candidate) {
                    out.push_str(&super::local(t.with_timezone(&Utc)));
                    rest = &rest[len..];
                    continue 'scan;
                }
            }
        }
        let c = rest.chars().next().expect("not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_named_for_people_and_times_in_one_format() {
        assert_eq!(rule("min_soak"), "soak time");
        let t = DateTime::parse_from_rfc3339("2026-11-25T08:00:00.000Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            plain("min_soak needs 24h; it arrived at 2026-11-25T08:00:00.000Z."),
            format!(
                "soak time needs 24h; it arrived at {}.",
                super::super::local(t)
            )
        );
        assert_eq!(
            plain("no time 2026-11 here → ok"),
            "no time 2026-11 here → ok"
        );
    }
}
