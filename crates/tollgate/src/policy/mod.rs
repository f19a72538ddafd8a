//! Per-environment gates a promotion must pass: approvals, roles, soak time, four-eyes,
//! provenance.
//!
//! [`evaluate`] is pure: no I/O, no clock. The use case gathers the facts (the target
//! environment's policy, the approvers of `tollgate.toml`, the recorded approvals, when, how
//! and by whom the digest entered the previous environment, and `now`) into a [`PolicyInput`]
//! and gets back an [`Evaluation`] whose rules read as sentences. [`identity`] decides when an
//! actor's name is an approver's id (who is who, for four-eyes and for recording actors).

pub mod checks;
mod evaluate;
pub mod identity;
pub mod incidents;
pub mod rejected;
mod rules;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::config::{ApproverConfig, PolicyConfig};
use crate::domain::Via;
use crate::signing::{self, ApprovalMessage};
use crate::Result;

pub use checks::{Attestation, CheckOutcome};
pub use evaluate::evaluate;
pub use incidents::Incident;
pub use rejected::Rejection;
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
    /// The repository the source environment reads (`REGISTRY/PATH`, as tollgate.toml names
    /// it): where a fix that records the digest finds the image.
    pub source_repository: &'a str,
    /// When the digest's *current* stay in the source environment (`target.from`) began, as
    /// the history learned of it (the append time of the event that began it, never a
    /// backdated `record --at`); `None` when the digest is not there now.
    pub entered_previous: Option<DateTime<Utc>>,
    /// Who put the digest into the source environment (the actor of the event that began its
    /// stay, else whoever vouched for it with a later record), resolved to an approver id where
    /// it names one; `None` when nobody is known.
    pub previous_actor: Option<&'a str>,
    /// How that stay began (`None`: the digest never ran there).
    pub previous_via: Option<Via>,
    /// The digest's finished stays in the source environment, if it had any.
    pub earlier_stays: Option<EarlierStays>,
    /// The digest ran in the target environment before (a rollback): its longest finished stay
    /// in the source environment counts toward `min_soak` too.
    pub returning: bool,
}

impl PolicyInput<'_> {
    /// The image in the source environment: `REGISTRY/PATH@sha256:HEX`.
    pub fn source_image(&self) -> String {
        format!("{}@{}", self.source_repository, self.target.digest)
    }
}

/// The finished stays of a digest in an environment, in append time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarlierStays {
    /// The longest of them: from when the history learned of it to when it learned of the next
    /// digest there.
    pub longest: Duration,
    /// When the last of them ended.
    pub left: DateTime<Utc>,
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
    /// When the history appended it (its approval event's place in the chain, as the store
    /// reads it: `Store::approval_appended_at`): what a previous key's `until` is compared with, never the `at` inside the message, which the
    /// signer chose; `approval_max_age` is counted from here too.
    pub appended_at: DateTime<Utc>,
}

impl CandidateApproval {
    /// Read a stored approval: parse the signed bytes and check the signature against the key
    /// inside it. Whether that key is the approver's is for [`evaluate`] to decide. Errors
    /// (message or signature unreadable) are [`crate::Code::SignatureInvalid`].
    pub fn from_signed(
        id: i64,
        message: &[u8],
        armored: &str,
        consumed: bool,
        appended_at: DateTime<Utc>,
    ) -> Result<Self> {
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
            appended_at,
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

/// The name of a rule of the checklist (serialized as its snake_case name, e.g. `min_soak`).
/// Rules may be added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Rule {
    /// The target has no policy, or a policy that sets no gate.
    Policy,
    /// `approvals`: enough distinct approvers.
    Approvals,
    /// `roles`: one counted approval from each role.
    Roles,
    /// `min_soak`: the digest's current stay in the source environment lasted long enough.
    MinSoak,
    /// `four_eyes`: whoever put the digest into the source environment is known and did not
    /// approve it.
    FourEyes,
    /// The digest's stay in the source environment did not begin by drift, or a record vouches
    /// for it. Shown only when the stay began by drift.
    Provenance,
    /// Advisory: approvals whose record, signature or key disagree.
    Signatures,
    /// Someone with a role rejected this digest for the target (or an earlier environment, or
    /// every one) and nobody lifted it. Shown only when it fails.
    Rejected,
    /// Advisory: the target's deployment file references the image by tag only (what runs
    /// there is not pinned); this promotion pins it by digest. Shown only then.
    Pinned,
    /// No incident is open on the digest in the source environment (`tollgate incident
    /// open`). Shown only when the digest had an incident there.
    Incidents,
    /// `checks`: each check the policy requires has a passing attestation of the digest by an
    /// identity its `[[checks]]` entry allows, and no failing one signed after it. One entry
    /// per required check.
    Checks,
}

impl Rule {
    /// The name as serialized and as written in tollgate.toml.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Policy => "policy",
            Rule::Approvals => "approvals",
            Rule::Roles => "roles",
            Rule::MinSoak => "min_soak",
            Rule::FourEyes => "four_eyes",
            Rule::Provenance => "provenance",
            Rule::Signatures => "signatures",
            Rule::Rejected => "rejected",
            Rule::Pinned => "pinned",
            Rule::Incidents => "incidents",
            Rule::Checks => "checks",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One rule of the checklist and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RuleResult {
    pub rule: Rule,
    pub passed: bool,
    /// One human sentence: what is met or missing (never a command line or a button: the fix
    /// is `fix`).
    pub reason: String,
    /// `false` for a rule that only informs (`signatures`: approvals that were set aside do not
    /// stop a promotion by themselves; the other rules decide whether enough remain).
    pub blocking: bool,
    /// What to do to meet the rule, as facts each front end words for itself; absent when
    /// there is nothing to do (or only waiting, or approving, which the checklist says).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fix: Option<crate::hint::Hint>,
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
