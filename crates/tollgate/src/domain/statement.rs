//! When a signed statement counts (issue 17, "a signed statement counts once, in its own
//! time"). Pure: no clock, no I/O; the caller passes the times in.
//!
//! - **Once.** A signed statement is named by the sha256 of its exact message bytes
//!   ([`message_sha256`]). The first event of the history that carries it counts; a later one
//!   with the same bytes is a *replay* ([`Replays`]): it is never imported again, and in a
//!   history that already holds one (imported before this rule) it explains no tag move (a
//!   replayed promotion, rollback or record that would begin a stay is drift) and counts in no
//!   rule. An `unplaced` copy (a teammate's move kept without placing it) does not make the
//!   placed copy of the same artifact a replay.
//! - **In its own time.** A message signed more than [`CLOCK_SKEW`] after the moment it is
//!   appended or imported is refused ([`signed_ahead`]); a move signed more than [`CLOCK_SKEW`]
//!   before the stay of its `previous` digest began in that lane cannot be that stay's next move
//!   ([`signed_before_stay`]); a stay begun by a signed event began at the earlier of its append
//!   time and its signing time ([`stay_began`]).

use std::collections::HashMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use sha2::{Digest as _, Sha256};

use super::EventKind;

/// How far two desktops' clocks may disagree: 5 minutes.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// The sha256 (lower-case hex) of a signed message's exact bytes: the statement's name, the
/// same on every machine (an event message names an approval the same way).
pub fn message_sha256(message: &[u8]) -> String {
    hex::encode(Sha256::digest(message))
}

/// The sha256 of the signed message event data `data` carries (`data.message`), if it carries
/// one.
pub fn data_message_sha256(data: &serde_json::Value) -> Option<String> {
    let message = data.get("message").and_then(|m| m.as_str())?;
    Some(message_sha256(message.as_bytes()))
}

fn secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Why a message signed at `signed_at` may not be appended or imported at `moment`: it claims
/// a time more than [`CLOCK_SKEW`] ahead of it. `None` when it may.
pub fn signed_ahead(signed_at: DateTime<Utc>, moment: DateTime<Utc>) -> Option<String> {
    (signed_at > moment + CLOCK_SKEW).then(|| {
        format!(
            "it says it was signed at {}, more than 5 minutes after this desktop's time {} (a clock ahead, or a time set forward to make it look fresh)",
            secs(signed_at),
            secs(moment)
        )
    })
}

/// When a stay began: the append time of the event that began it, or its signing time when
/// that is earlier (a teammate's move is imported after it was signed).
pub fn stay_began(appended_at: DateTime<Utc>, signed_at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    signed_at.map_or(appended_at, |s| s.min(appended_at))
}

/// A move signed at `signed_at` is older than the stay it claims to end (which began at
/// `began`), by more than [`CLOCK_SKEW`]: it was made for an earlier stay of the same digest
/// and cannot be this one's next move.
pub fn signed_before_stay(signed_at: DateTime<Utc>, began: DateTime<Utc>) -> bool {
    signed_at + CLOCK_SKEW < began
}

/// The first event of each signed statement, fed the events in `seq` order.
#[derive(Debug, Default, Clone)]
pub struct Replays {
    first: HashMap<String, i64>,
}

impl Replays {
    /// Take event `seq` of `kind`, carrying a message named `sha256` (`None`: none), into
    /// account; the `seq` of the earlier event it replays, if it does.
    pub fn see(&mut self, seq: i64, kind: EventKind, sha256: Option<&str>) -> Option<i64> {
        let sha = sha256?;
        if let Some(&first) = self.first.get(sha) {
            return (first < seq).then_some(first);
        }
        if kind != EventKind::Unplaced {
            self.first.insert(sha.to_string(), seq);
        }
        None
    }
}

/// What a replayed event (`replayed`) of `kind` changes in the timeline: a promotion,
/// rollback or record that would begin a stay is drift (nothing explains that move); any other
/// replay changes nothing (`None`). An event that is not replayed counts as its kind.
pub fn counts_as(kind: EventKind, replayed: bool, begins_stay: bool) -> Option<EventKind> {
    if !replayed {
        return Some(kind);
    }
    match kind {
        EventKind::Promotion | EventKind::Rollback | EventKind::Record if begins_stay => {
            Some(EventKind::Drift)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_statement_is_named_by_the_sha256_of_its_bytes() {
        assert_eq!(
            message_sha256(b"hello"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
    }

    #[test]
    fn the_first_copy_counts_and_later_ones_are_replays() {
        use EventKind::*;
        let mut r = Replays::default();
        assert_eq!(r.see(1, Observation, None), None);
        assert_eq!(r.see(2, Promotion, Some("a")), None);
        assert_eq!(r.see(3, Rollback, Some("b")), None);
        assert_eq!(r.see(4, Promotion, Some("a")), Some(2), "replayed");
        assert_eq!(r.see(5, Unplaced, Some("a")), Some(2));
        // An unplaced copy first, then the same statement placed: not a replay.
        assert_eq!(r.see(6, Unplaced, Some("c")), None);
        assert_eq!(r.see(7, Promotion, Some("c")), None);
        assert_eq!(r.see(8, Promotion, Some("c")), Some(7));
        assert_eq!(r.see(2, Promotion, Some("a")), None, "itself is no replay");
    }

    #[test]
    fn a_replayed_move_is_drift_only_where_it_would_begin_a_stay() {
        use EventKind::*;
        assert_eq!(counts_as(Promotion, false, true), Some(Promotion));
        assert_eq!(counts_as(Promotion, true, true), Some(Drift));
        assert_eq!(counts_as(Record, true, true), Some(Drift));
        assert_eq!(counts_as(Rollback, true, false), None);
        assert_eq!(counts_as(Approval, true, false), None);
        assert_eq!(counts_as(Rejection, true, true), None);
    }

    #[test]
    fn five_minutes_of_skew_and_no_more() {
        let now = t("2026-11-25T08:00:00Z");
        assert_eq!(signed_ahead(t("2026-11-25T08:05:00Z"), now), None);
        let why = signed_ahead(t("2026-11-25T08:05:01Z"), now).unwrap();
        assert!(
            why.contains("2026-11-25T08:05:01Z") && why.contains("more than 5 minutes"),
            "{why}"
        );
        let began = t("2026-11-25T08:00:00Z");
        assert!(!signed_before_stay(t("2026-11-25T07:55:00Z"), began));
        assert!(signed_before_stay(t("2026-11-25T07:54:59Z"), began));
        assert!(!signed_before_stay(t("2026-11-25T09:00:00Z"), began));
        assert_eq!(
            stay_began(began, Some(t("2026-11-25T07:00:00Z"))),
            t("2026-11-25T07:00:00Z")
        );
        assert_eq!(stay_began(began, Some(t("2026-11-25T09:00:00Z"))), began);
        assert_eq!(stay_began(began, None), began);
    }
}
