//! Every approval: the signed message is a Tollgate approval for the event's app, digest,
//! environments, approver and role; its SSHSIG verifies against the approver's key (namespace
//! `tollgate-approval`) valid when the history appended it (the later of its `at` and the
//! latest `at` before it in the report), and the recorded fingerprint is that key's. The keys
//! are the report's own `allowed_signers`, or a workspace's approvers ([`ReportKeys`]).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::events::Whole;
use super::{verify_pending, Checker, Pending, ReportKeys, Signatures};
use crate::domain::EventKind;
use crate::report::crosscheck::AppendOrder;
use crate::signing::{parse_allowed_signers, ApprovalMessage, NAMESPACE};

impl Checker<'_> {
    /// Messages, signatures against the keys ([`ReportKeys`]), fingerprints. Returns the
    /// approvals and those whose signature verified.
    pub(super) fn check_approvals(&mut self, wholes: &BTreeMap<i64, &Whole>) -> Signatures {
        let signers_text = self.top.get("allowed_signers").and_then(Value::as_str);
        if signers_text.is_none() {
            self.problem(None, "the report has no \"allowed_signers\" text");
        }
        let (own, bad_lines) = parse_allowed_signers(signers_text.unwrap_or_default());
        for line in bad_lines {
            self.problem(
                None,
                format!(
                    "allowed_signers line {line} is not `principal [options] key-type base64-key`"
                ),
            );
        }
        let (signers, where_keys) = match &self.keys {
            ReportKeys::Report => (own, "the report's allowed_signers".to_string()),
            ReportKeys::Workspace { keys, from, .. } => (keys.clone(), from.clone()),
        };
        let mut pending: Vec<Pending> = Vec::new();
        let mut approvals = 0;
        let mut order = AppendOrder::default();
        for (&seq, w) in wholes {
            let appended = order.event(&w.event);
            if w.event.kind != EventKind::Approval {
                continue;
            }
            approvals += 1;
            let e = &w.event;
            let data_str = |k: &str| e.data_str(k);
            let (Some(message), Some(signature)) = (data_str("message"), data_str("signature"))
            else {
                self.problem(
                    Some(seq),
                    "approval without data.message and data.signature",
                );
                continue;
            };
            let m = match ApprovalMessage::parse(message.as_bytes()) {
                Ok(m) => m,
                Err(err) => {
                    self.problem(Some(seq), format!("approval message: {}", err.message));
                    continue;
                }
            };
            let expect = [
                ("app", m.app.as_str(), e.app.as_str()),
                (
                    "digest",
                    m.digest.as_str(),
                    e.digest.as_ref().map_or("", |d| d.as_str()),
                ),
                ("to", m.to.as_str(), e.env.as_str()),
                ("from", m.from.as_str(), data_str("from").unwrap_or("")),
                (
                    "approver",
                    m.approver.as_str(),
                    e.actor.as_deref().unwrap_or(""),
                ),
                ("role", m.role.as_str(), data_str("role").unwrap_or("")),
            ];
            for (k, signed, event) in expect {
                if signed != event {
                    self.problem(
                        Some(seq),
                        format!(
                            "the signed message says {k} {signed:?} but the event says {event:?}"
                        ),
                    );
                }
            }
            if signers.of(&m.approver).is_none() {
                self.problem(
                    Some(seq),
                    format!(
                        "approver {} has no key in {where_keys} (namespace {NAMESPACE}): the signature cannot be checked",
                        m.approver
                    ),
                );
                continue;
            }
            match signers.key_for(&m.approver, appended, signature) {
                Ok(key) => pending.push(Pending {
                    seq,
                    signer: m.approver.clone(),
                    message: message.to_string(),
                    signature: signature.to_string(),
                    key,
                }),
                Err(why) => self.problem(
                    Some(seq),
                    format!(
                        "the signature of {} does not verify against {where_keys}: {why}",
                        m.approver
                    ),
                ),
            }
        }
        let mut verified = HashSet::new();
        for (p, result) in pending.iter().zip(verify_pending(&pending)) {
            match result {
                Ok(ok) => {
                    verified.insert(p.seq);
                    let recorded = wholes[&p.seq].event.data_str("fingerprint").unwrap_or("");
                    if recorded != ok.fingerprint {
                        self.problem(
                            Some(p.seq),
                            format!(
                                "the recorded key fingerprint {recorded} is not the key that signed ({})",
                                ok.fingerprint
                            ),
                        );
                    }
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
            signed: approvals,
            verified,
        }
    }
}
