//! Per-environment gates a promotion must pass: approvals, roles, soak time, four-eyes.
//!
//! [`evaluate`] is pure: no I/O, no clock. The use case gathers the facts (the target
//! environment's policy, the approvers of `tollgate.toml`, the recorded approvals, when and by
//! whom the digest entered the previous environment, and `now`) into a [`PolicyInput`] and gets
//! back an [`Evaluation`] whose rules read as sentences.

mod evaluate;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::config::{ApproverConfig, PolicyConfig};
use crate::signing::{self, ApprovalMessage};
use crate::Result;

pub use evaluate::evaluate;
pub use signing::Target;

/// Everything [`evaluate`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    /// The target environment's policy; `None` when it has none.
    pub policy: Option<&'a PolicyConfig>,
    pub now: DateTime<Utc>,
    /// `[[approvers]]` of `tollgate.toml`.
    pub approvers: &'a [ApproverConfig],
    /// The approvals on record that might count.
    pub approvals: &'a [CandidateApproval],
    /// The promotion being gated.
    pub target: &'a Target,
    /// When the digest entered the source environment (`target.from`), per the timeline.
    pub entered_previous: Option<DateTime<Utc>>,
    /// Who put the digest into the source environment, when known.
    pub previous_actor: Option<&'a str>,
}

/// One recorded approval, as the policy sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateApproval {
    /// The approval event's `seq`.
    pub id: i64,
    /// The approver the record names.
    pub approver: String,
    /// The role claimed.
    pub role: String,
    /// The key that made the signature (OpenSSH form), as [`signing::signer_key`] reads it.
    pub signer_key: String,
    /// Whether the signature holds for `signer_key` over the message bytes.
    pub signature_verified: bool,
    /// The signed message.
    pub message: ApprovalMessage,
    /// Already used by a promotion.
    pub consumed: bool,
}

impl CandidateApproval {
    /// Read a stored approval: parse the signed bytes and check the signature against the key
    /// inside it. Whether that key is the approver's is for [`evaluate`] to decide. Errors
    /// (message or signature unreadable) are [`crate::Code::SignatureInvalid`].
    pub fn from_signed(id: i64, message: &[u8], armored: &str, consumed: bool) -> Result<Self> {
        let parsed = ApprovalMessage::parse(message)?;
        let signer_key = signing::signer_key(armored)?;
        let signature_verified = signing::verify(message, armored, &signer_key).is_ok();
        Ok(CandidateApproval {
            id,
            approver: parsed.approver.clone(),
            role: parsed.role.clone(),
            signer_key,
            signature_verified,
            message: parsed,
            consumed,
        })
    }
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Evaluation {
    /// Every blocking rule passed: the promotion may go ahead.
    pub passed: bool,
    /// One entry per rule checked, in a stable order.
    pub rules: Vec<RuleResult>,
    /// The approvals that count (their `id`s), oldest first as given.
    #[ts(type = "Array<number>")]
    pub counted: Vec<i64>,
    /// The approvals that do not count, each with why.
    pub ignored: Vec<IgnoredApproval>,
    /// Distinct approvers whose approvals count, in the order they first approved.
    pub approvers: Vec<String>,
    /// Distinct approvers the policy needs (`approvals`); 0 when it sets no number.
    pub approvals_needed: u32,
    /// Roles the policy needs one counted approval from each of (`roles`).
    pub roles_needed: Vec<String>,
}

/// One rule: `approvals`, `roles`, `min_soak`, `four_eyes`, `signatures`, or `policy` (none set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RuleResult {
    pub rule: String,
    pub passed: bool,
    /// One human sentence.
    pub reason: String,
    /// `false` for a rule that only informs (`signatures`: approvals that were set aside do not
    /// stop a promotion by themselves; the other rules decide whether enough remain).
    pub blocking: bool,
}

/// An approval that was set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct IgnoredApproval {
    #[ts(type = "number")]
    pub id: i64,
    pub approver: String,
    /// `approval by X ignored: …`
    pub reason: String,
}
