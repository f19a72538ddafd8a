//! The signatures of a report being written: its approvals, rejections and unrejections, checked
//! against the `allowed_signers` the report carries (what the PDF's page one and the export summary
//! state). `verify FILE` checks them again from the file ([`super::verify`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::crosscheck::AppendOrder;
use super::verify::Problem;
use super::Item;
use crate::domain::EventKind;
use crate::signing::{self, parse_allowed_signers};

/// The approvals of a report being written, gathered to check their signatures against the
/// `allowed_signers` the report carries (what the PDF's page one and the export summary state).
#[derive(Debug, Default)]
pub struct ApprovalSignatures {
    order: AppendOrder,
    approvals: Vec<Signed>,
    /// The same for rejections and unrejections (signed by approvers too); their failures are
    /// problems, and they are not counted as approvals.
    rejections: Vec<Signed>,
}

/// One signed event of the report, as its signature is checked.
#[derive(Debug)]
struct Signed {
    seq: i64,
    /// When the history appended it: the approver's key valid then is the one that counts.
    appended: DateTime<Utc>,
    /// The approver who signed (the event's actor).
    approver: String,
    message: String,
    signature: String,
}

/// A signature whose key was found, waiting for the one batch verification.
struct Pending<'a> {
    signed: &'a Signed,
    /// An approval (counted in [`SignatureCheck::verified`]), or a rejection or unrejection.
    approval: bool,
    key: String,
}

/// How the approvals of a report fared against its `allowed_signers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SignatureCheck {
    #[ts(type = "number")]
    pub approvals: u64,
    #[ts(type = "number")]
    pub verified: u64,
    pub problems: Vec<Problem>,
}

impl ApprovalSignatures {
    pub fn item(&mut self, item: &Item) {
        let Item::Event { event, .. } = item else {
            return;
        };
        let appended = self.order.event(event);
        let list = match event.kind {
            EventKind::Approval => &mut self.approvals,
            EventKind::Rejection | EventKind::Unrejection => &mut self.rejections,
            _ => return,
        };
        let s = |k: &str| event.data_str(k).unwrap_or_default().to_string();
        list.push(Signed {
            seq: event.seq,
            appended,
            approver: event.actor.clone().unwrap_or_default(),
            message: s("message"),
            signature: s("signature"),
        });
    }

    pub fn check(&self, allowed_signers: &str) -> SignatureCheck {
        let (keys, _) = parse_allowed_signers(allowed_signers);
        let mut problems = Vec::new();
        let mut pending = Vec::new();
        // Approvals first, then rejections: `i < approvals` tells them apart.
        let approvals = self.approvals.len();
        for (i, signed) in self.approvals.iter().chain(&self.rejections).enumerate() {
            let Signed {
                seq,
                appended,
                approver,
                signature,
                ..
            } = signed;
            if keys.of(approver).is_none() {
                problems.push(Problem::new(
                    Some(*seq),
                    format!("approver {approver} has no key in allowed_signers: the signature cannot be checked"),
                ));
                continue;
            }
            match keys.key_for(approver, *appended, signature) {
                Ok(key) => pending.push(Pending {
                    signed,
                    approval: i < approvals,
                    key,
                }),
                Err(why) => problems.push(Problem::new(
                    Some(*seq),
                    format!("the signature of {approver} does not verify: {why}"),
                )),
            }
        }
        let items: Vec<(&[u8], &str, &str)> = pending
            .iter()
            .map(|p| {
                (
                    p.signed.message.as_bytes(),
                    p.signed.signature.as_str(),
                    p.key.as_str(),
                )
            })
            .collect();
        let mut verified = 0;
        for (p, result) in pending.iter().zip(signing::verify_many(&items)) {
            match result {
                Ok(_) if p.approval => verified += 1,
                Ok(_) => {}
                Err(e) => problems.push(Problem::new(
                    Some(p.signed.seq),
                    format!(
                        "the signature of {} does not verify: {}",
                        p.signed.approver, e.message
                    ),
                )),
            }
        }
        problems.sort_by_key(|p| p.seq);
        SignatureCheck {
            approvals: approvals as u64,
            verified,
            problems,
        }
    }
}
