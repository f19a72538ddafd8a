//! Approval signing: Ed25519 keys kept only in the OS keychain, SSHSIG signatures
//! (namespace `tollgate-approval`, sha512) over the canonical approval message.
//!
//! - [`key`]: make an approver's key in the OS keychain, and read it back to sign.
//! - [`public_key`]: the public half as Tollgate shows it (`key show`), its fingerprint and its
//!   `allowed_signers` line (a leaf: the keys listed in `tollgate.toml` are parsed by
//!   `config::keys`).
//! - [`allowed_signers`]: the `allowed_signers` text that `ssh-keygen -Y verify` reads: written
//!   into exports, read back from them.
//! - [`message`]: the canonical approval message (docs/src/contracts/signed-messages.md).
//! - [`sshsig`]: sign with the key in the keychain, verify against the key listed for an approver.
//! - [`trust`]: which of an approver's keys (current, or previous until a time) verifies what.
//! - [`source`]: where the key that signs for an identity is: `TOLLGATE_SIGNING_KEY`, ssh-agent
//!   ([`agent`]: the two requests of its protocol), or the OS keychain.
//! - [`event`]: the signed message of a record, promotion or rollback.
//! - [`rejection`]: the signed message of a rejection or unrejection of a digest.
//! - [`incident`]: the signed message of an incident on a digest in an environment, and of its
//!   close.
//! - [`check`]: the signed message of an attestation (a check's pass or fail for a digest).
//! - [`versions`]: the newest `v` of each kind this build reads; newer ones need a newer Tollgate.
//! - `checkpoint`: the signed chain head a desktop publishes (namespace `tollgate-checkpoint`).
//! - [`git_commit`]: git commit objects signed in git's SSH form (namespace `git`, a `gpgsig`
//!   header) by the same keys, and their check against the listed keys.
//! - [`git_message`]: the promotion commit's subject and `Tollgate-*` trailers, written and read.
//!
//! A private key exists only as the keychain secret (service [`SIGNING_SERVICE`], account = the
//! approver id) and, briefly, in memory while signing. It is never written to a file, the
//! database, a log, `Debug` output or an error message.
//!
//! [`SIGNING_SERVICE`]: crate::keychain::SIGNING_SERVICE

mod agent;
mod allowed_signers;
mod check;
mod checkpoint;
mod event;
mod git_commit;
mod git_message;
mod incident;
mod key;
mod message;
mod public_key;
mod rejection;
mod source;
mod sshsig;
mod trust;
mod versions;

pub use allowed_signers::{
    allowed_signers, allowed_signers_in, parse_allowed_signers, parse_allowed_signers_in,
    parse_ssh_time, ssh_time,
};
pub use check::{
    check_summary, check_url, Attesting, CheckMessage, CheckResult, ReportRef, CHECK_KIND,
    CHECK_VERSION, SUMMARY_MAX_CHARS,
};
pub use checkpoint::{
    verify_checkpoint, CheckpointMessage, TrustedCheckpoint, CHECKPOINT_KIND, CHECKPOINT_NAMESPACE,
    CHECKPOINT_VERSION,
};
pub use event::{
    approval_id, signed_move, EventMessage, Move, MovePlace, DEPLOYMENT_KIND,
    EMERGENCY_EVENT_VERSION, EVENT_VERSION, GIT_EVENT_VERSION, PROMOTION_KIND, ROLLBACK_KIND,
    TAG_EVENT_VERSION,
};
/// A test key in a memory keychain and its [`Signer`], for the tests of the layers above.
#[cfg(test)]
pub(crate) use git_commit::tests as git_commit_tests;
pub use git_commit::{
    commit_bytes, insert_signature, sign_commit, split_signature, verify_commit, CommitFields,
    CommitSigner, GitPerson, SplitCommit, Unverified, GIT_NAMESPACE,
};
pub use git_message::PromotionTrailers;
pub use incident::{
    check_incident_id, check_incident_text, IncidentMessage, IncidentSays, Incidenting,
    INCIDENT_CLOSE_KIND, INCIDENT_ID_MAX_CHARS, INCIDENT_KIND, INCIDENT_TEXT_MAX_CHARS,
    INCIDENT_VERSION,
};
pub use key::{generate_key, public_key, rotate_key};
pub use public_key::{allowed_signers_line, allowed_signers_line_in, fingerprint, PublicKeyInfo};
// The key checks of tollgate.toml (`config::keys`), under the names signing has always had.
pub use crate::config::{parse_approver_key, validate_approver, validate_approver_id};
pub use message::{is_hash, Anchor, ApprovalMessage, Target, KIND, VERSION, VERSION_1};
pub use rejection::{
    check_reason, Rejecting, RejectionMessage, Verdict, REASON_MAX_CHARS, REJECTION_KIND,
    REJECTION_VERSION, UNREJECTION_KIND, UNREJECTION_VERSION,
};
pub use source::{identity_in_sources, KeySource, Signer, Sources, SIGNING_KEY_ENV};
pub use sshsig::{
    sign, signer_key, verify, verify_approval, verify_in, verify_many, VerifiedSignature,
};
pub use trust::{approver_keys, pick, whole_seconds, TrustedKey, TrustedKeys};
pub use versions::{needs_newer, KNOWN_VERSIONS};

/// The SSHSIG namespace of every approval signature (`ssh-keygen -Y verify -n tollgate-approval`).
pub const NAMESPACE: &str = "tollgate-approval";

/// The SSHSIG hash algorithm of every approval signature.
pub const HASH_ALG: ssh_key::HashAlg = ssh_key::HashAlg::Sha512;
