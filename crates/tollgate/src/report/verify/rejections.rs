//! Every rejection and unrejection: its message says what its event says
//! ([`rejection_statement`]) and its signature verifies against the keys approvals are checked
//! against ([`ReportKeys`]: approvers only, as CI identities may not reject).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::events::Whole;
use super::{verify_pending, Checker, Pending, ReportKeys, Signatures};
use crate::report::crosscheck::{rejection_statement, AppendOrder};
use crate::signing::{parse_allowed_signers, NAMESPACE};

impl Checker<'_> {
    /// Rejections and unrejections: each message says what its event says
    /// ([`rejection_statement`]) and its signature verifies against the keys approvals are
    /// checked against ([`ReportKeys`]). Returns how many there are and those whose signature
    /// verified.
    pub(super) fn check_rejections(&mut self, wholes: &BTreeMap<i64, &Whole>) -> Signatures {
        let (signers, where_keys) = match &self.keys {
            ReportKeys::Report => (
                parse_allowed_signers(
                    self.top
                        .get("allowed_signers")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )
                .0,
                "the report's allowed_signers".to_string(),
            ),
            ReportKeys::Workspace { keys, from, .. } => (keys.clone(), from.clone()),
        };
        let mut order = AppendOrder::default();
        let mut pending: Vec<Pending> = Vec::new();
        let mut count = 0;
        for (&seq, w) in wholes {
            let appended = order.event(&w.event);
            let (m, message, signature) = match rejection_statement(&w.event) {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(why) => {
                    count += 1;
                    self.problem(Some(seq), why);
                    continue;
                }
            };
            count += 1;
            if signers.of(&m.signer).is_none() {
                self.problem(
                    Some(seq),
                    format!(
                        "{} {} has no key in {where_keys} (namespace {NAMESPACE}): the signature cannot be checked",
                        w.event.kind.as_str(),
                        m.signer
                    ),
                );
                continue;
            }
            match signers.key_for(&m.signer, appended, &signature) {
                Ok(key) => pending.push(Pending {
                    seq,
                    signer: m.signer.clone(),
                    message,
                    signature,
                    key,
                }),
                Err(why) => self.problem(
                    Some(seq),
                    format!(
                        "the signature of {} does not verify against {where_keys}: {why}",
                        m.signer
                    ),
                ),
            }
        }
        let mut verified = HashSet::new();
        for (p, result) in pending.iter().zip(verify_pending(&pending)) {
            match result {
                Ok(_) => {
                    verified.insert(p.seq);
                }
                Err(err) => self.problem(
                    Some(p.seq),
                    format!(
                        "the signature of {} does not verify against {where_keys}: {}",
                        p.signer, err.message
                    ),
                ),
            }
        }
        Signatures {
            signed: count,
            verified,
        }
    }
}
