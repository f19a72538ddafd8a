//! Emergency rollbacks (`data.emergency: true`), checked the same way by `tollgate verify` (the
//! database, under tollgate.toml's policies) and `tollgate verify FILE` (a report, under the
//! policies it states): each was allowed by the rule `rollback = { approvals = N }`:
//!
//! - only a rollback is one, and it gives a `reason`;
//! - the policy of its app × environment sets `rollback = { approvals = N }`;
//! - its counted approvals (`data.approvals`) are of at least N distinct approvers;
//! - its digest ran in that environment before, in a stay that did not begin by drift and was
//!   not an unapproved record (a sync's baseline counts), as the timeline rules make the stays
//!   of the events before it (checked only when the whole history is at hand).

use std::collections::{HashMap, HashSet};

use crate::domain::statement::{data_message_sha256, Replays};
use crate::domain::timeline::{is_baseline, via_of, HeadState, StayApproval};
use crate::domain::{Event, EventKind, Via};

/// What an environment's policy says, as the verifier reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvPolicy {
    /// The environment has a policy (its records may be unapproved).
    pub gated: bool,
    /// `rollback = { approvals = N }`: N.
    pub rollback: Option<u32>,
}

#[derive(Debug, Default)]
struct Lane {
    head: HeadState,
    /// Each stay so far, oldest first: its digest, how it began and what vouched for it.
    stays: Vec<(String, Via, StayApproval)>,
}

/// The events seen so far: feed every event in `seq` order ([`EmergencyLedger::event`]).
#[derive(Debug, Default)]
pub struct EmergencyLedger {
    /// `false`: the events do not start at the first one (or some are missing), so the stays
    /// are not known and only the reason, the rule and the approvals are checked.
    pub whole_history: bool,
    lanes: HashMap<(String, String), Lane>,
    approvers: HashMap<i64, String>,
    replays: Replays,
}

impl EmergencyLedger {
    pub fn new(whole_history: bool) -> Self {
        EmergencyLedger {
            whole_history,
            ..Default::default()
        }
    }

    /// Take in one event; for an emergency rollback, why the rule did not allow it (one line
    /// each). `policy(app, env)` is the policy in force.
    pub fn event(&mut self, e: &Event, policy: impl Fn(&str, &str) -> EnvPolicy) -> Vec<String> {
        let mut out = Vec::new();
        if e.data.get("emergency").and_then(|v| v.as_bool()) == Some(true) {
            out = self.allowed(e, policy(&e.app, &e.env));
        }
        if e.kind == EventKind::Approval {
            if let Some(a) = &e.actor {
                self.approvers.insert(e.seq, a.clone());
            }
        }
        let replayed = self
            .replays
            .see(e.seq, e.kind, data_message_sha256(&e.data).as_deref())
            .is_some();
        let lane = self
            .lanes
            .entry((e.app.clone(), e.env.clone()))
            .or_default();
        let digest = e.digest.as_ref().map(|d| d.as_str());
        let baseline = is_baseline(&e.data);
        if lane
            .head
            .apply_event(e.seq, e.kind, digest, replayed, baseline)
        {
            lane.stays.push((
                digest.unwrap_or_default().to_string(),
                via_of(e.kind, replayed),
                StayApproval::default(),
            ));
        }
        // A replayed statement vouches for no stay.
        if let (Some(stay), false) = (lane.stays.last_mut(), replayed) {
            stay.2.apply(e.kind);
        }
        out
    }

    fn allowed(&self, e: &Event, policy: EnvPolicy) -> Vec<String> {
        let mut out = Vec::new();
        let (app, env) = (&e.app, &e.env);
        if e.kind != EventKind::Rollback {
            out.push(format!(
                "the {} is marked emergency, which only a rollback can be",
                e.kind.as_str()
            ));
            return out;
        }
        if e.data_str("reason").is_none_or(|r| r.trim().is_empty()) {
            out.push("the emergency rollback gives no reason".into());
        }
        let Some(n) = policy.rollback else {
            out.push(format!(
                "it is marked emergency, but the policy of {app} {env} sets no rollback = {{ approvals = N }}: the rule did not allow it"
            ));
            return out;
        };
        let counted: HashSet<&str> = e
            .counted_approvals()
            .iter()
            .filter_map(|s| self.approvers.get(s).map(String::as_str))
            .collect();
        if counted.len() < n as usize {
            out.push(format!(
                "the emergency rollback counted {} distinct approver(s), but rollback = {{ approvals = {n} }} of {app} {env} needs {n}",
                counted.len()
            ));
        }
        if self.whole_history {
            let digest = e.digest.as_ref().map(|d| d.as_str()).unwrap_or_default();
            let stays = self
                .lanes
                .get(&(app.clone(), env.clone()))
                .map_or(&[][..], |l| &l.stays[..]);
            let earlier = &stays[..stays.len().saturating_sub(1)];
            let ran = earlier.iter().any(|(d, via, stay)| {
                d == digest && *via != Via::Drift && !(policy.gated && stay.unapproved())
            });
            if !ran {
                out.push(format!(
                    "it is marked emergency, but {digest} did not run in {app} {env} before in a stay that did not begin by drift and was not an unapproved record: the rule did not allow it"
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::domain::Digest;

    fn ev(seq: i64, kind: EventKind, digest: u8, actor: &str, data: serde_json::Value) -> Event {
        Event {
            seq,
            at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap(),
            kind,
            app: "api".into(),
            env: "production".into(),
            digest: Some(Digest::of(&[digest])),
            actor: Some(actor.into()),
            data,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn emergency(seq: i64, digest: u8, approvals: &[i64]) -> Event {
        ev(
            seq,
            EventKind::Rollback,
            digest,
            "alice",
            json!({"emergency": true, "reason": "down", "approvals": approvals}),
        )
    }

    const ALLOWED: EnvPolicy = EnvPolicy {
        gated: true,
        rollback: Some(1),
    };

    /// Promotion of 1, an unapproved record of 2, drift to 3, promotion of 4; approval 5 by bob.
    fn history() -> Vec<Event> {
        vec![
            ev(1, EventKind::Promotion, 1, "ci", json!({})),
            ev(2, EventKind::Record, 2, "ci", json!({})),
            ev(3, EventKind::Drift, 3, "ci", json!({})),
            ev(4, EventKind::Promotion, 4, "ci", json!({})),
            ev(5, EventKind::Approval, 1, "bob", json!({})),
        ]
    }

    fn problems(last: Event, policy: EnvPolicy) -> Vec<String> {
        let mut ledger = EmergencyLedger::new(true);
        for e in history() {
            assert!(ledger.event(&e, |_, _| policy).is_empty());
        }
        ledger.event(&last, |_, _| policy)
    }

    #[test]
    fn allowed_back_to_an_approved_stay_with_enough_approvers_and_a_reason() {
        assert_eq!(
            problems(emergency(6, 1, &[5]), ALLOWED),
            Vec::<String>::new()
        );
    }

    #[test]
    fn refused_back_to_drift_or_an_unapproved_record_or_without_the_rule() {
        for digest in [2, 3] {
            let found = problems(emergency(6, digest, &[5]), ALLOWED);
            assert!(
                found.len() == 1 && found[0].contains("did not run in api production before"),
                "{found:?}"
            );
        }
        // Not gated: a record's stay counts.
        let ungated = EnvPolicy {
            gated: false,
            rollback: Some(1),
        };
        assert!(problems(emergency(6, 2, &[5]), ungated).is_empty());
        let none = EnvPolicy {
            gated: true,
            rollback: None,
        };
        let found = problems(emergency(6, 1, &[5]), none);
        assert!(found[0].contains("sets no rollback"), "{found:?}");
        let found = problems(emergency(6, 1, &[]), ALLOWED);
        assert!(
            found[0].contains("counted 0 distinct approver"),
            "{found:?}"
        );
        let mut no_reason = emergency(6, 1, &[5]);
        no_reason.data["reason"] = "".into();
        let found = problems(no_reason, ALLOWED);
        assert!(found[0].contains("gives no reason"), "{found:?}");
        let mut promotion = emergency(6, 1, &[5]);
        promotion.kind = EventKind::Promotion;
        let found = problems(promotion, ALLOWED);
        assert!(found[0].contains("only a rollback"), "{found:?}");
    }
}
