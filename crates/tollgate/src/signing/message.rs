//! The signed approval message (docs/src/contracts/signed-messages.md, "Approvals").

use chrono::{DateTime, SecondsFormat, Utc};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::{canonical_json, parse_time, Digest};
use crate::{Code, Error, Result};

/// `v` of every approval message this version writes: version 2, the fields of version 1 and
/// the chain head the approver saw (`head`, `head_seq`).
pub const VERSION: u32 = 2;
/// Version 1, without the chain head: still read and verified.
pub const VERSION_1: u32 = 1;
/// `kind` of every approval message.
pub const KIND: &str = "tollgate.approval";

/// A point of the history's hash chain: the event at `seq` has hash `hash` (`seq` 0 and 64 zeros
/// for an empty chain). An approval signs the head it saw, a promotion states the head it was
/// appended after, so that removing or rewriting events below them is detected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl Anchor {
    /// The head of an empty history.
    pub fn genesis() -> Self {
        Anchor {
            seq: 0,
            hash: "0".repeat(64),
        }
    }
}

/// What one approval is valid for: one app, one digest, one source → target move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub app: String,
    pub digest: Digest,
    /// The source environment (where the digest is now, the previous stage).
    pub from: String,
    /// The target environment.
    pub to: String,
}

/// The message an approver signs. Its bytes are [`canonical_json`] of this struct: keys sorted,
/// compact, UTF-8. Fields may be added only with a new `v`: version 2 added `head` and
/// `head_seq`, which a version 1 message does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ApprovalMessage {
    /// [`VERSION`] (2), or [`VERSION_1`] for an approval signed before the chain head was.
    pub v: u32,
    /// Always [`KIND`].
    pub kind: String,
    pub app: String,
    #[ts(type = "string")]
    pub digest: Digest,
    /// Source environment.
    pub from: String,
    /// Target environment.
    pub to: String,
    /// Approver id, as listed in `tollgate.toml`.
    pub approver: String,
    /// The role the approver approves as.
    pub role: String,
    /// When it was signed: RFC 3339, UTC, whole seconds (`2026-11-25T08:00:00Z`).
    pub at: String,
    /// 16 random bytes, lower-case hex: no two approvals have the same bytes.
    pub nonce: String,
    /// Free text from the approver; `""` when none.
    pub note: String,
    /// Version 2: the hash of the last event of the history when the approver signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub head: Option<String>,
    /// Version 2: the `seq` of that event (0 for an empty history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub head_seq: Option<i64>,
}

impl ApprovalMessage {
    /// A new (version 2) message for `target`, signed on top of the chain head `head`, with a
    /// fresh random nonce.
    pub fn new(
        target: &Target,
        approver: &str,
        role: &str,
        at: DateTime<Utc>,
        note: Option<&str>,
        head: &Anchor,
    ) -> Self {
        ApprovalMessage {
            v: VERSION,
            kind: KIND.to_string(),
            app: target.app.clone(),
            digest: target.digest.clone(),
            from: target.from.clone(),
            to: target.to.clone(),
            approver: approver.to_string(),
            role: role.to_string(),
            at: signing_time(at),
            nonce: fresh_nonce(),
            note: note.unwrap_or("").to_string(),
            head: Some(head.hash.clone()),
            head_seq: Some(head.seq),
        }
    }

    /// The exact bytes that are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical_json(self).into_bytes()
    }

    /// Read signed bytes back. Refuses anything that is not an approval message of this version
    /// in canonical form, so that the bytes checked are always the bytes that were signed.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bad = |why: String| not_a_message("approval", why);
        let m: ApprovalMessage = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        match (m.v, &m.head, m.head_seq) {
            (VERSION_1, None, None) => {}
            (VERSION_1, _, _) => {
                return Err(bad("a version 1 message has no 'head' or 'head_seq'".into()))
            }
            (VERSION, Some(head), Some(seq)) => check_anchor(head, seq).map_err(bad)?,
            (VERSION, _, _) => {
                return Err(bad(
                    "a version 2 message needs both 'head' and 'head_seq'".into()
                ))
            }
            (v, _, _) => {
                return Err(bad(format!(
                    "version {v} (this Tollgate reads versions {VERSION_1} and {VERSION})"
                )))
            }
        }
        if m.kind != KIND {
            return Err(bad(format!("kind {:?}, expected {KIND:?}", m.kind)));
        }
        if !is_signing_time(&m.at) {
            return Err(bad(format!(
                "'at' {:?} is not an RFC 3339 UTC time like 2026-11-25T08:00:00Z",
                m.at
            )));
        }
        if m.nonce.len() != 32 || !is_lower_hex(&m.nonce) {
            return Err(bad("'nonce' is not 32 lower-case hex digits".into()));
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

    /// The chain head it signed (version 2); `None` for a version 1 message.
    pub fn anchor(&self) -> Option<Anchor> {
        Some(Anchor {
            seq: self.head_seq?,
            hash: self.head.clone()?,
        })
    }

    /// The app, digest and move this approval is for.
    pub fn target(&self) -> Target {
        Target {
            app: self.app.clone(),
            digest: self.digest.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// 64 lower-case hex digits: a chain hash.
pub fn is_hash(s: &str) -> bool {
    s.len() == 64 && is_lower_hex(s)
}

/// 16 random bytes, lower-case hex: the nonce of a new signed message.
pub(super) fn fresh_nonce() -> String {
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    hex::encode(nonce)
}

/// The `at` of a signed message: RFC 3339, UTC, whole seconds.
pub(super) fn signing_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Whether `s` is an `at` in the exact form [`signing_time`] writes.
pub(super) fn is_signing_time(s: &str) -> bool {
    matches!(parse_time(s), Ok(t) if signing_time(t) == s)
}

/// What every statement signed on top of the chain carries besides its own words (attestations,
/// incidents, rejections): the chain head it signed, when, and a nonce of 32 hex digits;
/// `Err` says which is wrong, in the words of [`not_a_message`]. (Approvals, the first message
/// kind, hold their nonce to lower-case hex and their head as optional: see
/// `ApprovalMessage::parse`.)
pub(super) fn check_chain_statement(
    head: &str,
    head_seq: i64,
    at: &str,
    nonce: &str,
) -> std::result::Result<(), String> {
    check_anchor(head, head_seq)?;
    if !is_signing_time(at) {
        return Err(format!("'at' {at:?} is not an RFC 3339 UTC time"));
    }
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("'nonce' is not 32 hex digits".into());
    }
    Ok(())
}

/// A signed message's chain anchor: `head` 64 lower-case hex digits, `head_seq` not negative;
/// `Err` says why not (for [`not_a_message`]).
pub(super) fn check_anchor(head: &str, head_seq: i64) -> std::result::Result<(), String> {
    if !is_hash(head) || head_seq < 0 {
        return Err("'head' is not 64 lower-case hex digits or 'head_seq' is negative".into());
    }
    Ok(())
}

/// Why a signed message's bytes are refused when they are not the canonical JSON of what they
/// hold.
pub(super) const NOT_CANONICAL: &str = "not in canonical form (sorted keys, no white space)";

/// The error for signed bytes that are not a Tollgate `what` message (`"approval"`, `"event"`).
pub(super) fn not_a_message(what: &str, why: String) -> Error {
    Error::new(
        Code::SignatureInvalid,
        format!("not a Tollgate {what} message: {why}; the stored {what} was altered or made by another tool"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            app: "api".into(),
            digest: Digest::of(b"image"),
            from: "staging".into(),
            to: "production".into(),
        }
    }

    fn at() -> DateTime<Utc> {
        parse_time("2026-11-25T08:00:00.123Z").unwrap()
    }

    fn head() -> Anchor {
        Anchor {
            seq: 41,
            hash: "ab".repeat(32),
        }
    }

    /// A version 1 message as Tollgate wrote them before the chain head was signed.
    fn v1_text() -> String {
        let d = Digest::of(b"image");
        format!(
            r#"{{"app":"api","approver":"alice@example.com","at":"2026-11-25T08:00:00Z","digest":"{d}","from":"staging","kind":"tollgate.approval","nonce":"00112233445566778899aabbccddeeff","note":"","role":"manager","to":"production","v":1}}"#
        )
    }

    #[test]
    fn version_1_messages_still_read() {
        let text = v1_text();
        let m = ApprovalMessage::parse(text.as_bytes()).unwrap();
        assert_eq!(m.v, VERSION_1);
        assert_eq!(m.anchor(), None);
        assert_eq!(m.to_bytes(), text.as_bytes(), "the same bytes back");
        assert_eq!(m.target(), target());
    }

    #[test]
    fn canonical_bytes_follow_the_contract() {
        let mut m = ApprovalMessage::new(
            &target(),
            "alice@example.com",
            "manager",
            at(),
            None,
            &head(),
        );
        m.nonce = "00112233445566778899aabbccddeeff".into();
        let text = String::from_utf8(m.to_bytes()).unwrap();
        let d = Digest::of(b"image");
        let h = "ab".repeat(32);
        assert_eq!(
            text,
            format!(
                r#"{{"app":"api","approver":"alice@example.com","at":"2026-11-25T08:00:00Z","digest":"{d}","from":"staging","head":"{h}","head_seq":41,"kind":"tollgate.approval","nonce":"00112233445566778899aabbccddeeff","note":"","role":"manager","to":"production","v":2}}"#
            )
        );
        assert_eq!(m.anchor(), Some(head()));
        assert_eq!(ApprovalMessage::parse(text.as_bytes()).unwrap(), m);
        assert_eq!(m.target(), target());
        assert_eq!(
            m.signed_at().unwrap(),
            parse_time("2026-11-25T08:00:00Z").unwrap()
        );
    }

    #[test]
    fn nonces_differ() {
        let a = ApprovalMessage::new(&target(), "a", "qa", at(), Some("ok"), &head());
        let b = ApprovalMessage::new(&target(), "a", "qa", at(), Some("ok"), &head());
        assert_ne!(a.nonce, b.nonce);
        assert_eq!(a.nonce.len(), 32);
        assert_eq!(a.note, "ok");
    }

    #[test]
    fn refuses_other_messages() {
        let m = ApprovalMessage::new(&target(), "alice@example.com", "qa", at(), None, &head());
        let good = String::from_utf8(m.to_bytes()).unwrap();
        let pretty = serde_json::to_string_pretty(&m).unwrap();
        let extra = good.replacen('{', r#"{"admin":true,"#, 1);
        let v3 = good.replace(r#""v":2"#, r#""v":3"#);
        let v1_with_head = good.replace(r#""v":2"#, r#""v":1"#);
        let v2_without_head = v1_text().replace(r#""v":1"#, r#""v":2"#);
        let short_head = good.replace(&"ab".repeat(32), "abab");
        let kind = good.replace("tollgate.approval", "tollgate.other");
        let local_time = good.replace("08:00:00Z", "09:00:00+01:00");
        for bad in [
            pretty,
            extra,
            v3,
            v1_with_head,
            v2_without_head,
            short_head,
            kind,
            local_time,
            "[]".into(),
        ] {
            let e = ApprovalMessage::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(e.code, Code::SignatureInvalid, "{bad}");
        }
    }
}
