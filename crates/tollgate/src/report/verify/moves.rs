//! Every promotion and rollback: each approval it counted is in the report, before it, signed
//! for the same app, digest and move, and counted by no other
//! ([`crate::report::crosscheck::Consumption`]).

use std::collections::{BTreeMap, HashSet};

use super::events::Whole;
use super::Checker;
use crate::report::crosscheck::Consumption;
use crate::report::emergency::{EmergencyLedger, EnvPolicy};
use crate::report::evidence::EvidenceLedger;

/// The policy a report states for `app` × `env` (`policies`: `{app: {env: policy or null}}`).
fn stated_policy(policies: &serde_json::Value, app: &str, env: &str) -> EnvPolicy {
    let p = policies.get(app).and_then(|envs| envs.get(env));
    EnvPolicy {
        gated: p.is_some_and(|p| p.is_object()),
        rollback: p
            .and_then(|p| p.get("rollback"))
            .and_then(|r| r.get("approvals"))
            .and_then(serde_json::Value::as_u64)
            .map(|n| n as u32),
    }
}

impl Checker<'_> {
    /// Each approval a promotion or rollback counted is in the report, before it, signed for
    /// the same app, digest and move, and counted once ([`super::crosscheck::Consumption`]).
    /// `elsewhere`: the report's events that are there without their content (stubs, links),
    /// and `first`: its first event.
    pub(super) fn check_moves(
        &mut self,
        wholes: &BTreeMap<i64, &Whole>,
        elsewhere: &HashSet<i64>,
        first: i64,
    ) {
        let mut consumption = Consumption::default();
        // Evidence and emergency rollbacks, under the policies the report states (sealed in
        // version 2); the stays of emergency rollbacks only when the report holds the whole
        // history.
        let policies = self.top.get("policies").cloned().unwrap_or_default();
        let mut evidence = EvidenceLedger::under(Some(policies.clone()));
        let mut emergency = EmergencyLedger::new(first <= 1 && elsewhere.is_empty());
        for (&seq, w) in wholes {
            let e = &w.event;
            let kind = e.kind.as_str();
            for why in emergency.event(e, |app, env| stated_policy(&policies, app, env)) {
                self.problem(Some(seq), why);
            }
            for why in consumption.event(e, |a| {
                format!("the {kind} counted approval {a}, which is not in the report (removed, or made a stub)")
            }) {
                self.problem(Some(seq), why);
            }
            // The evidence it relied on existed before it and says what it cites. An
            // attestation outside a filtered report (a stub, or before its first event) is not
            // there to compare: only one the report should hold and does not is a problem.
            for why in evidence.event(e, |c| {
                (c >= first && !elsewhere.contains(&c)).then(|| {
                    format!("the {kind} relied on attestation {c}, which is not a check in the report before it")
                })
            }) {
                self.problem(Some(seq), why);
            }
        }
    }
}
