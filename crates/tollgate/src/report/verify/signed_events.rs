//! Every record, promotion and rollback that carries a signed message: the message says what
//! the event says ([`signed_statement`]); against a workspace, the signature verifies with a key
//! it lists for the actor (approvers and `[[signers]]`, previous keys by append time). The
//! report's own `allowed_signers` lists approvers only, so without a workspace the signatures
//! are counted, not checked.

use std::collections::{BTreeMap, HashSet};

use super::events::Whole;
use super::{verify_pending, Checker, Pending, ReportKeys, Signatures};
use crate::report::crosscheck::{signed_statement, AppendOrder};

impl Checker<'_> {
    /// Records, promotions and rollbacks with a signed message: the message must say what the
    /// event says ([`signed_statement`]); against a workspace, the signature must verify with a
    /// key it lists for the actor (previous keys by append time). Returns how many carry one
    /// and those whose signature verified.
    pub(super) fn check_event_signatures(&mut self, wholes: &BTreeMap<i64, &Whole>) -> Signatures {
        let mut order = AppendOrder::default();
        let mut pending: Vec<Pending> = Vec::new();
        let mut signed = 0;
        for (&seq, w) in wholes {
            let appended = order.event(&w.event);
            let (message, signature) = match signed_statement(&w.event) {
                Ok(Some(pair)) => pair,
                Ok(None) => continue,
                Err(why) => {
                    self.problem(Some(seq), why);
                    continue;
                }
            };
            signed += 1;
            let ReportKeys::Workspace {
                identities, from, ..
            } = &self.keys
            else {
                continue;
            };
            let actor = w.event.actor.clone().unwrap_or_default();
            if identities.of(&actor).is_none() {
                let why = format!(
                    "{} signed by {actor}, who is not an approver or signer in {from}",
                    w.event.kind.as_str()
                );
                self.problem(Some(seq), why);
                continue;
            }
            match identities.key_for(&actor, appended, &signature) {
                Ok(key) => pending.push(Pending {
                    seq,
                    signer: actor,
                    message,
                    signature,
                    key,
                }),
                Err(why) => self.problem(Some(seq), why),
            }
        }
        let mut verified = HashSet::new();
        for (p, result) in pending.iter().zip(verify_pending(&pending)) {
            match result {
                Ok(_) => {
                    verified.insert(p.seq);
                }
                Err(e) => self.problem(Some(p.seq), e.message),
            }
        }
        Signatures { signed, verified }
    }
}
