//! The signed message of a rejection ("never this digest") and of the unrejection that lifts
//! it (docs/src/audit/format.md, "Rejections").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::message::{
    check_chain_statement, fresh_nonce, not_a_message, signing_time, Anchor, NOT_CANONICAL,
};
use crate::domain::{canonical_json, parse_time, Digest};
use crate::{Error, Result};

/// `v` of every rejection message this version writes (and of an unrejection of version 1).
pub const REJECTION_VERSION: u32 = 1;
/// `v` of every unrejection message this version writes: version 2 names the rejection it
/// lifts (`lifts`, the sha256 of that rejection's signed message) and lifts only that one. A
/// version 1 unrejection keeps its meaning: it lifts the rejections of exactly its scope signed
/// before it.
pub const UNREJECTION_VERSION: u32 = 2;
/// `kind` of a rejection's message.
pub const REJECTION_KIND: &str = "tollgate.rejection";
/// `kind` of an unrejection's message.
pub const UNREJECTION_KIND: &str = "tollgate.unrejection";
/// The longest reason accepted, in characters.
pub const REASON_MAX_CHARS: usize = 500;

/// What an approver states about a digest: it must not be promoted into `env` or any later
/// environment of the app (`env` `null`: into any environment), or, for an unrejection, that
/// the rejection of exactly that scope is lifted. Its bytes are [`canonical_json`] of this
/// struct (keys sorted, compact, UTF-8), signed as SSHSIG like an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RejectionMessage {
    /// [`REJECTION_VERSION`] (1) for a rejection; [`UNREJECTION_VERSION`] (2), or 1 for one
    /// signed before version 2, for an unrejection.
    pub v: u32,
    /// [`REJECTION_KIND`] or [`UNREJECTION_KIND`].
    pub kind: String,
    pub app: String,
    #[ts(type = "string")]
    pub digest: Digest,
    /// The first environment it covers (it covers the later ones too); `null`: every one.
    pub env: Option<String>,
    /// Why, in the signer's words: one line, 1 to [`REASON_MAX_CHARS`] characters.
    pub reason: String,
    /// The approver id that signs, as listed in `tollgate.toml`.
    pub signer: String,
    /// The role it signs in: one the covered environments' policies name.
    pub role: String,
    /// When it was signed: RFC 3339, UTC, whole seconds.
    pub at: String,
    /// The hash of the last event of the signer's history when it signed.
    pub head: String,
    /// The `seq` of that event (0 for an empty history).
    #[ts(type = "number")]
    pub head_seq: i64,
    /// 16 random bytes, lower-case hex.
    pub nonce: String,
    /// An unrejection of version 2: the sha256 (lower-case hex) of the signed message of the
    /// one rejection it lifts. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub lifts: Option<String>,
}

/// Whether a rejection or the unrejection that lifts one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Reject,
    Unreject,
}

impl Verdict {
    /// The message `kind`.
    pub fn kind(self) -> &'static str {
        match self {
            Verdict::Reject => REJECTION_KIND,
            Verdict::Unreject => UNREJECTION_KIND,
        }
    }
}

/// The scope and words of a new rejection or unrejection.
#[derive(Debug, Clone)]
pub struct Rejecting<'a> {
    pub verdict: Verdict,
    pub app: &'a str,
    pub digest: &'a Digest,
    pub env: Option<&'a str>,
    pub reason: &'a str,
    pub signer: &'a str,
    pub role: &'a str,
}

/// The reason as it is signed (trimmed), or why it cannot be: empty, longer than
/// [`REASON_MAX_CHARS`] characters, or holding control characters (it must read as one line).
pub fn check_reason(reason: &str) -> Result<&str> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(Error::bad_input(
            "the reason is empty: say why, in a line (it is signed and shown in every checklist)",
        ));
    }
    let n = r.chars().count();
    if n > REASON_MAX_CHARS {
        return Err(Error::bad_input(format!(
            "the reason is {n} characters long, more than {REASON_MAX_CHARS}: say it in one shorter line and link to the details"
        )));
    }
    if r.chars().any(char::is_control) {
        return Err(Error::bad_input(
            "the reason holds a line break or another control character: say it in one line",
        ));
    }
    Ok(r)
}

impl RejectionMessage {
    /// A new message, signed at `at` on top of the chain head `head`, with a fresh nonce.
    pub fn new(r: &Rejecting, at: DateTime<Utc>, head: &Anchor) -> Self {
        RejectionMessage {
            v: REJECTION_VERSION,
            kind: r.verdict.kind().to_string(),
            app: r.app.to_string(),
            digest: r.digest.clone(),
            env: r.env.map(str::to_string),
            reason: r.reason.trim().to_string(),
            signer: r.signer.to_string(),
            role: r.role.to_string(),
            at: signing_time(at),
            head: head.hash.clone(),
            head_seq: head.seq,
            nonce: fresh_nonce(),
            lifts: None,
        }
    }

    /// This unrejection as a version 2 message that lifts only the rejection whose signed
    /// message has sha256 `rejection` (lower-case hex).
    pub fn lifting(mut self, rejection: &str) -> Self {
        self.v = UNREJECTION_VERSION;
        self.lifts = Some(rejection.to_string());
        self
    }

    /// The exact bytes that are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical_json(self).into_bytes()
    }

    /// Read signed bytes back: a rejection or unrejection message of this version in canonical
    /// form, else a [`Code::SignatureInvalid`](crate::Code::SignatureInvalid) error saying why.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bad = |why: String| not_a_message("rejection", why);
        let m: RejectionMessage = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        match (m.verdict(), m.v, &m.lifts) {
            (None, ..) => return Err(bad(format!("kind {:?}", m.kind))),
            (Some(_), REJECTION_VERSION, None) => {}
            (Some(Verdict::Unreject), UNREJECTION_VERSION, Some(l)) if super::is_hash(l) => {}
            (Some(Verdict::Unreject), UNREJECTION_VERSION, _) => {
                return Err(bad(
                    "a version 2 unrejection needs 'lifts', 64 lower-case hex digits".into(),
                ))
            }
            (Some(_), REJECTION_VERSION, Some(_)) => {
                return Err(bad("only a version 2 unrejection has 'lifts'".into()))
            }
            (Some(v), n, _) => {
                let newest = match v {
                    Verdict::Reject => REJECTION_VERSION,
                    Verdict::Unreject => UNREJECTION_VERSION,
                };
                return Err(bad(format!(
                    "version {n} (this Tollgate reads {} versions up to {newest})",
                    m.kind
                )));
            }
        }
        check_chain_statement(&m.head, m.head_seq, &m.at, &m.nonce).map_err(bad)?;
        if check_reason(&m.reason).map_or(true, |r| r != m.reason) {
            return Err(bad(
                "'reason' is empty, too long or not one trimmed line".into()
            ));
        }
        if m.to_bytes() != bytes {
            return Err(bad(NOT_CANONICAL.into()));
        }
        Ok(m)
    }

    /// Reject or unreject.
    pub fn verdict(&self) -> Option<Verdict> {
        match self.kind.as_str() {
            REJECTION_KIND => Some(Verdict::Reject),
            UNREJECTION_KIND => Some(Verdict::Unreject),
            _ => None,
        }
    }

    /// When it was signed.
    pub fn signed_at(&self) -> Result<DateTime<Utc>> {
        parse_time(&self.at)
    }

    /// The chain head it signed.
    pub fn anchor(&self) -> Anchor {
        Anchor {
            seq: self.head_seq,
            hash: self.head.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;

    fn sample(verdict: Verdict, env: Option<&str>) -> RejectionMessage {
        let digest = Digest::of(b"image");
        RejectionMessage::new(
            &Rejecting {
                verdict,
                app: "api",
                digest: &digest,
                env,
                reason: "  crashes on start (INC-42)  ",
                signer: "qa@example.com",
                role: "qa",
            },
            "2026-11-25T08:00:00.700Z".parse().unwrap(),
            &Anchor::genesis(),
        )
    }

    #[test]
    fn round_trips_only_in_canonical_form() {
        let m = sample(Verdict::Reject, Some("staging"));
        assert_eq!(m.at, "2026-11-25T08:00:00Z");
        assert_eq!(m.reason, "crashes on start (INC-42)", "trimmed");
        let text = String::from_utf8(m.to_bytes()).unwrap();
        assert!(text.starts_with(r#"{"app":"api","at":"#), "{text}");
        assert!(text.contains(r#""env":"staging""#), "{text}");
        assert!(text.contains(r#""kind":"tollgate.rejection""#), "{text}");
        assert_eq!(RejectionMessage::parse(text.as_bytes()).unwrap(), m);
        assert_eq!(m.verdict(), Some(Verdict::Reject));

        let all = sample(Verdict::Unreject, None);
        let text = String::from_utf8(all.to_bytes()).unwrap();
        assert!(text.contains(r#""env":null"#), "{text}");
        assert_eq!(
            RejectionMessage::parse(text.as_bytes()).unwrap().verdict(),
            Some(Verdict::Unreject)
        );

        let good = String::from_utf8(m.to_bytes()).unwrap();
        for bad in [
            good.replace(",\"", ", \""),
            good.replace("tollgate.rejection", "tollgate.approval"),
            good.replace("crashes on start (INC-42)", ""),
            good.replace("crashes on start (INC-42)", " padded"),
            good.replace(r#""v":1"#, r#""v":2"#),
            good.replacen('{', r#"{"extra":1,"#, 1),
            good.replacen('{', &format!(r#"{{"lifts":"{}","#, "a".repeat(64)), 1),
        ] {
            let e = RejectionMessage::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(e.code, Code::SignatureInvalid, "{bad}");
        }
    }

    #[test]
    fn a_version_2_unrejection_names_the_rejection_it_lifts() {
        let lifted = "ab".repeat(32);
        let m = sample(Verdict::Unreject, Some("staging")).lifting(&lifted);
        let text = String::from_utf8(m.to_bytes()).unwrap();
        assert!(text.contains(&format!(r#""lifts":"{lifted}""#)), "{text}");
        assert!(text.contains(r#""v":2"#), "{text}");
        assert_eq!(RejectionMessage::parse(text.as_bytes()).unwrap(), m);
        // Version 1 unrejections still read, without `lifts`.
        let v1 = sample(Verdict::Unreject, Some("staging"));
        assert_eq!(v1.v, 1);
        let v1_text = String::from_utf8(v1.to_bytes()).unwrap();
        assert!(!v1_text.contains("lifts"), "{v1_text}");
        assert_eq!(RejectionMessage::parse(v1_text.as_bytes()).unwrap(), v1);
        for bad in [
            text.replace(&lifted, "abab"),
            text.replace(r#""v":2"#, r#""v":3"#),
            v1_text.replace(r#""v":1"#, r#""v":2"#),
        ] {
            let e = RejectionMessage::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(e.code, Code::SignatureInvalid, "{bad}");
        }
    }

    #[test]
    fn a_reason_is_one_bounded_line() {
        assert_eq!(check_reason(" broken ").unwrap(), "broken");
        for bad in ["", "   ", "two\nlines", &"x".repeat(REASON_MAX_CHARS + 1)] {
            assert_eq!(
                check_reason(bad).unwrap_err().code,
                Code::BadInput,
                "{bad:?}"
            );
        }
        assert!(check_reason(&"é".repeat(REASON_MAX_CHARS)).is_ok());
    }
}
