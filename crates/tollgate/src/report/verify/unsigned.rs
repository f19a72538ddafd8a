//! Signed-era moves without a signature. Records, promotions and rollbacks have been signed by
//! their actor since event signing began; the first signed one in a history (or a report) opens
//! the signed era. After it, a record, promotion or rollback without `data.message` and
//! `data.signature` is:
//! - a warning when it is a promotion or rollback that a recovery finished without the actor's
//!   key (`data.unsigned` states why);
//! - a problem otherwise (written or edited outside Tollgate: the signature was stripped).

use crate::domain::{Event, EventKind};

/// One unsigned move found in the signed era.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsigned {
    /// A recovery's unsigned promotion or rollback, with its reason (one line).
    Warning(String),
    /// Any other (one line).
    Problem(String),
}

/// Walks events in `seq` order ([`SignedEra::event`]).
#[derive(Debug, Default)]
pub struct SignedEra {
    /// The first signed record, promotion or rollback met.
    first_signed: Option<i64>,
}

impl SignedEra {
    /// Take the next event; `Some` when it is an unsigned move of the signed era.
    pub fn event(&mut self, e: &Event) -> Option<Unsigned> {
        if !matches!(
            e.kind,
            EventKind::Record | EventKind::Promotion | EventKind::Rollback
        ) {
            return None;
        }
        // A deployment repository's commit signed by a listed key (a signed deployment read by
        // sync, or Tollgate's own promotion commit) carries the commit object and its signer.
        let signed = e.data_str("message").is_some()
            || e.data_str("signature").is_some()
            || (e.data_str("raw_commit").is_some() && e.data_str("signer").is_some());
        let Some(first) = self.first_signed else {
            if signed {
                self.first_signed = Some(e.seq);
            }
            return None;
        };
        if signed {
            return None;
        }
        let kind = e.kind.as_str();
        match e.data_str("unsigned") {
            Some(why) if e.kind != EventKind::Record => Some(Unsigned::Warning(format!(
                "{kind} without a signature, finished by a recovery: {why}"
            ))),
            _ => Some(Unsigned::Problem(format!(
                "{kind} without a signature after event {first}, the first signed one: every {kind} since then is signed by its actor, so this one was written or stripped outside Tollgate"
            ))),
        }
    }
}

impl super::Checker<'_> {
    /// Against a workspace, the whole events of the signed era that carry no signature
    /// ([`SignedEra`]): warnings for a recovery's, problems otherwise. Against the report's own
    /// keys nothing is checked.
    pub(super) fn check_unsigned(&mut self, entries: &[super::events::Entry]) {
        use super::events::Entry;
        if let super::ReportKeys::Workspace { .. } = self.keys {
            let mut era = SignedEra::default();
            for e in entries {
                if let Entry::Whole(w) = e {
                    match era.event(&w.event) {
                        Some(Unsigned::Warning(why)) => self
                            .warnings
                            .push(super::Problem::new(Some(w.event.seq), why)),
                        Some(Unsigned::Problem(why)) => self.problem(Some(w.event.seq), why),
                        None => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;

    #[allow(clippy::disallowed_methods, reason = "any time will do here")]
    fn ev(seq: i64, kind: EventKind, data: serde_json::Value) -> Event {
        Event {
            seq,
            at: Utc::now(),
            kind,
            app: "api".into(),
            env: "staging".into(),
            digest: None,
            actor: Some("ci".into()),
            data,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn only_the_signed_era_counts_and_recoveries_are_warnings() {
        let mut era = SignedEra::default();
        assert_eq!(era.event(&ev(1, EventKind::Record, json!({}))), None);
        let signed = json!({"message": "m", "signature": "s"});
        assert_eq!(era.event(&ev(2, EventKind::Record, signed)), None);
        assert!(matches!(
            era.event(&ev(3, EventKind::Promotion, json!({"unsigned": "no key"}))),
            Some(Unsigned::Warning(w)) if w.contains("no key")
        ));
        assert!(matches!(
            era.event(&ev(4, EventKind::Record, json!({}))),
            Some(Unsigned::Problem(p)) if p.contains("after event 2")
        ));
        assert_eq!(era.event(&ev(5, EventKind::Drift, json!({}))), None);
        let commit = json!({"raw_commit": "tree …", "signer": "alice@example.com"});
        assert_eq!(era.event(&ev(6, EventKind::Record, commit)), None);
        let unsigned_commit = json!({"raw_commit": "tree …", "unverified": "not signed"});
        assert!(era
            .event(&ev(7, EventKind::Record, unsigned_commit))
            .is_some());
    }
}
