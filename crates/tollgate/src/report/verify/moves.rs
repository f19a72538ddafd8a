//! Every promotion and rollback: each approval it counted is in the report, before it, signed
//! for the same app, digest and move, and counted by no other
//! ([`crate::report::crosscheck::Consumption`]).

use std::collections::{BTreeMap, HashSet};

use super::events::Whole;
use super::Checker;
use crate::report::crosscheck::Consumption;
use crate::report::evidence::EvidenceLedger;

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
        // Under the policies the report states (sealed in version 2).
        let mut evidence = EvidenceLedger::under(self.top.get("policies").cloned());
        for (&seq, w) in wholes {
            let e = &w.event;
            let kind = e.kind.as_str();
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
