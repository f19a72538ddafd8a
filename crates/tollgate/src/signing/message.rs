//! The signed approval message (DESIGN.md, "Approvals — contract").

use chrono::{DateTime, SecondsFormat, Utc};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::{canonical_json, parse_time, Digest};
use crate::{Code, Error, Result};

/// `v` of every approval message this version writes and accepts.
pub const VERSION: u32 = 1;
/// `kind` of every approval message.
pub const KIND: &str = "tollgate.approval";

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
/// compact, UTF-8. Fields may be added only with a new `v`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ApprovalMessage {
    /// Always [`VERSION`].
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
}

impl ApprovalMessage {
    /// A new message for `target`, with a fresh random nonce.
    pub fn new(
        target: &Target,
        approver: &str,
        role: &str,
        at: DateTime<Utc>,
        note: Option<&str>,
    ) -> Self {
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        ApprovalMessage {
            v: VERSION,
            kind: KIND.to_string(),
            app: target.app.clone(),
            digest: target.digest.clone(),
            from: target.from.clone(),
            to: target.to.clone(),
            approver: approver.to_string(),
            role: role.to_string(),
            at: at.to_rfc3339_opts(SecondsFormat::Secs, true),
            nonce: hex::encode(nonce),
            note: note.unwrap_or("").to_string(),
        }
    }

    /// The exact bytes that are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical_json(self).into_bytes()
    }

    /// Read signed bytes back. Refuses anything that is not an approval message of this version
    /// in canonical form, so that the bytes checked are always the bytes that were signed.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bad = |why: String| {
            Error::new(
                Code::SignatureInvalid,
                format!("not a Tollgate approval message: {why}; the stored approval was altered or made by another tool"),
            )
        };
        let m: ApprovalMessage = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if m.v != VERSION {
            return Err(bad(format!(
                "version {} (this Tollgate reads version {VERSION})",
                m.v
            )));
        }
        if m.kind != KIND {
            return Err(bad(format!("kind {:?}, expected {KIND:?}", m.kind)));
        }
        match parse_time(&m.at) {
            Ok(t) if t.to_rfc3339_opts(SecondsFormat::Secs, true) == m.at => {}
            _ => {
                return Err(bad(format!(
                    "'at' {:?} is not an RFC 3339 UTC time like 2026-11-25T08:00:00Z",
                    m.at
                )))
            }
        }
        if m.nonce.len() != 32
            || !m
                .nonce
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad("'nonce' is not 32 lower-case hex digits".into()));
        }
        if m.to_bytes() != bytes {
            return Err(bad(
                "not in canonical form (sorted keys, no white space)".into()
            ));
        }
        Ok(m)
    }

    /// When it was signed.
    pub fn signed_at(&self) -> Result<DateTime<Utc>> {
        parse_time(&self.at)
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

    #[test]
    fn canonical_bytes_follow_the_contract() {
        let mut m = ApprovalMessage::new(&target(), "alice@example.com", "manager", at(), None);
        m.nonce = "00112233445566778899aabbccddeeff".into();
        let text = String::from_utf8(m.to_bytes()).unwrap();
        let d = Digest::of(b"image");
        assert_eq!(
            text,
            format!(
                r#"{{"app":"api","approver":"alice@example.com","at":"2026-11-25T08:00:00Z","digest":"{d}","from":"staging","kind":"tollgate.approval","nonce":"00112233445566778899aabbccddeeff","note":"","role":"manager","to":"production","v":1}}"#
            )
        );
        assert_eq!(ApprovalMessage::parse(text.as_bytes()).unwrap(), m);
        assert_eq!(m.target(), target());
        assert_eq!(
            m.signed_at().unwrap(),
            parse_time("2026-11-25T08:00:00Z").unwrap()
        );
    }

    #[test]
    fn nonces_differ() {
        let a = ApprovalMessage::new(&target(), "a", "qa", at(), Some("ok"));
        let b = ApprovalMessage::new(&target(), "a", "qa", at(), Some("ok"));
        assert_ne!(a.nonce, b.nonce);
        assert_eq!(a.nonce.len(), 32);
        assert_eq!(a.note, "ok");
    }

    #[test]
    fn refuses_other_messages() {
        let m = ApprovalMessage::new(&target(), "alice@example.com", "qa", at(), None);
        let good = String::from_utf8(m.to_bytes()).unwrap();
        let pretty = serde_json::to_string_pretty(&m).unwrap();
        let extra = good.replacen('{', r#"{"admin":true,"#, 1);
        let v2 = good.replace(r#""v":1"#, r#""v":2"#);
        let kind = good.replace("tollgate.approval", "tollgate.other");
        let local_time = good.replace("08:00:00Z", "09:00:00+01:00");
        for bad in [pretty, extra, v2, kind, local_time, "[]".into()] {
            let e = ApprovalMessage::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(e.code, Code::SignatureInvalid, "{bad}");
        }
    }
}
