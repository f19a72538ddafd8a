//! The signed message of an authored event other than an approval: a deployment record, a
//! promotion or a rollback (docs/AUDIT-FORMAT.md, "Signed events").

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use ts_rs::TS;

use super::message::{
    check_anchor, fresh_nonce, is_signing_time, not_a_message, signing_time, Anchor, NOT_CANONICAL,
};
use crate::domain::conflicts::SignedMove;
use crate::domain::{canonical_json, parse_time, Digest};
use crate::Result;

/// `v` of every event message this version writes.
pub const EVENT_VERSION: u32 = 1;
/// `kind` of a deployment record's message.
pub const DEPLOYMENT_KIND: &str = "tollgate.deployment";
/// `kind` of a promotion's message.
pub const PROMOTION_KIND: &str = "tollgate.promotion";
/// `kind` of a rollback's message.
pub const ROLLBACK_KIND: &str = "tollgate.rollback";

/// What a signer states about a move of `digest` into `env`. Its bytes are [`canonical_json`]
/// of this struct (keys sorted, compact, UTF-8), signed as SSHSIG like an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EventMessage {
    /// [`EVENT_VERSION`] (1).
    pub v: u32,
    /// [`DEPLOYMENT_KIND`], [`PROMOTION_KIND`] or [`ROLLBACK_KIND`].
    pub kind: String,
    pub app: String,
    /// The environment the digest goes to (a promotion's target).
    pub env: String,
    /// A promotion's source environment; `null` for records and rollbacks.
    pub from: Option<String>,
    #[ts(type = "string")]
    pub digest: Digest,
    /// What ran in `env` before, as the signer's history knew it; `null` when nothing did.
    pub previous: Option<String>,
    /// `<registry>/<repository>` of the environment.
    pub repository: String,
    /// The environment's tag.
    pub tag: String,
    /// The approvals a promotion consumed: the sha256 (lower-case hex) of each approval's
    /// signed message bytes, sorted; empty for records and rollbacks.
    pub approvals: Vec<String>,
    /// The hash of the last event of the signer's history when it signed.
    pub head: String,
    /// The `seq` of that event (0 for an empty history).
    #[ts(type = "number")]
    pub head_seq: i64,
    /// The identity that signs (an approver or `[[signers]]` id).
    pub signer: String,
    /// When it was signed: RFC 3339, UTC, whole seconds.
    pub at: String,
    /// A record given `--at`: the claimed deployment time (RFC 3339, UTC, milliseconds);
    /// `null` otherwise.
    pub deployed_at: Option<String>,
    /// 16 random bytes, lower-case hex.
    pub nonce: String,
}

/// The sha256 (lower-case hex) of an approval's signed message bytes: how an event message
/// names an approval, the same on every machine.
pub fn approval_id(message: &[u8]) -> String {
    hex::encode(Sha256::digest(message))
}

/// The fields of an [`EventMessage`] that describe the move.
#[derive(Debug, Clone)]
pub struct Move {
    pub kind: &'static str,
    pub app: String,
    pub env: String,
    pub from: Option<String>,
    pub digest: Digest,
    pub previous: Option<Digest>,
    pub repository: String,
    pub tag: String,
    pub approvals: Vec<String>,
    /// A record's claimed deployment time (`--at`).
    pub deployed_at: Option<DateTime<Utc>>,
}

impl EventMessage {
    /// A new message for `m`, signed by `signer` at `at` on top of the chain head `head`.
    pub fn new(m: Move, signer: &str, at: DateTime<Utc>, head: &Anchor) -> Self {
        let mut approvals = m.approvals;
        approvals.sort();
        EventMessage {
            v: EVENT_VERSION,
            kind: m.kind.to_string(),
            app: m.app,
            env: m.env,
            from: m.from,
            digest: m.digest,
            previous: m.previous.map(|d| d.to_string()),
            repository: m.repository,
            tag: m.tag,
            approvals,
            head: head.hash.clone(),
            head_seq: head.seq,
            signer: signer.to_string(),
            at: signing_time(at),
            deployed_at: m
                .deployed_at
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
            nonce: fresh_nonce(),
        }
    }

    /// The exact bytes that are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical_json(self).into_bytes()
    }

    /// Read signed bytes back: an event message of this version in canonical form, else a
    /// [`Code::SignatureInvalid`](crate::Code::SignatureInvalid) error saying why.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bad = |why: String| not_a_message("event", why);
        let m: EventMessage = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if m.v != EVENT_VERSION {
            return Err(bad(format!(
                "version {} (this Tollgate reads version {EVENT_VERSION})",
                m.v
            )));
        }
        if ![DEPLOYMENT_KIND, PROMOTION_KIND, ROLLBACK_KIND].contains(&m.kind.as_str()) {
            return Err(bad(format!("kind {:?}", m.kind)));
        }
        check_anchor(&m.head, m.head_seq).map_err(bad)?;
        if !is_signing_time(&m.at) {
            return Err(bad(format!("'at' {:?} is not an RFC 3339 UTC time", m.at)));
        }
        if m.to_bytes() != bytes {
            return Err(bad(NOT_CANONICAL.into()));
        }
        Ok(m)
    }

    /// When it was signed.
    pub fn signed_at(&self) -> Result<DateTime<Utc>> {
        parse_time(&self.at)
    }
}

/// What the signed event message `text` states, as the team-conflict rules read it
/// (`domain::conflicts::facts`); `None` when it is not an event message of this version in
/// canonical form.
pub fn signed_move(text: &str) -> Option<SignedMove> {
    let m = EventMessage::parse(text.as_bytes()).ok()?;
    Some(SignedMove {
        previous: m.previous.as_deref().and_then(|p| Digest::parse(p).ok()),
        signed_at: m.signed_at().ok(),
        digest: m.digest,
        approvals: m.approvals,
        signer: m.signer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;

    fn sample() -> EventMessage {
        let digest: Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        EventMessage::new(
            Move {
                kind: DEPLOYMENT_KIND,
                app: "api".into(),
                env: "dev".into(),
                from: None,
                digest,
                previous: None,
                repository: "local/payments/api".into(),
                tag: "dev".into(),
                approvals: vec!["b".repeat(64), "a".repeat(64)],
                deployed_at: None,
            },
            "ci@example.com",
            "2026-11-25T08:00:00.500Z".parse().unwrap(),
            &Anchor::genesis(),
        )
    }

    #[test]
    fn round_trips_only_in_canonical_form() {
        let m = sample();
        assert_eq!(m.at, "2026-11-25T08:00:00Z");
        assert_eq!(m.approvals[0], "a".repeat(64), "sorted");
        let bytes = m.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with("{\"app\":\"api\",\"approvals\":["),
            "{text}"
        );
        assert!(text.contains("\"from\":null"), "{text}");
        assert_eq!(EventMessage::parse(&bytes).unwrap(), m);
        let spaced = text.replace(",\"", ", \"");
        assert!(EventMessage::parse(spaced.as_bytes()).is_err());
        let other = text.replace("tollgate.deployment", "tollgate.approval");
        let e = EventMessage::parse(other.as_bytes()).unwrap_err();
        assert_eq!(e.code, Code::SignatureInvalid);
    }
}
