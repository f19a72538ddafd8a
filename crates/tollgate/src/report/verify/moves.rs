//! Every promotion and rollback: each approval it counted is in the report, before it, signed
//! for the same app, digest and move, and counted by no other
//! ([`crate::report::crosscheck::Consumption`]).

use std::collections::BTreeMap;

use super::events::Whole;
use super::Checker;
use crate::report::crosscheck::Consumption;

impl Checker<'_> {
    /// Each approval a promotion or rollback counted is in the report, before it, signed for
    /// the same app, digest and move, and counted once ([`super::crosscheck::Consumption`]).
    pub(super) fn check_moves(&mut self, wholes: &BTreeMap<i64, &Whole>) {
        let mut consumption = Consumption::default();
        for (&seq, w) in wholes {
            let e = &w.event;
            let kind = e.kind.as_str();
            for why in consumption.event(e, |a| {
                format!("the {kind} counted approval {a}, which is not in the report (removed, or made a stub)")
            }) {
                self.problem(Some(seq), why);
            }
        }
    }
}
