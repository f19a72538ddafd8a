//! The signed message of an incident on a digest in an environment (`tollgate incident open`)
//! and of the close that ends it (`tollgate incident close`): docs/src/audit/format.md,
//! "Incidents", and docs/src/contracts/incidents-and-evidence.md.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::message::{
    check_chain_statement, fresh_nonce, not_a_message, signing_time, Anchor, NOT_CANONICAL,
};
use crate::domain::{canonical_json, parse_time, Digest};
use crate::{Error, Result};

/// `v` of every incident and incident close message this version writes and reads.
pub const INCIDENT_VERSION: u32 = 1;
/// `kind` of an incident's (open) message.
pub const INCIDENT_KIND: &str = "tollgate.incident";
/// `kind` of an incident close's message.
pub const INCIDENT_CLOSE_KIND: &str = "tollgate.incident_close";
/// The longest incident id accepted, in characters.
pub const INCIDENT_ID_MAX_CHARS: usize = 64;
/// The longest summary or resolution accepted, in characters.
pub const INCIDENT_TEXT_MAX_CHARS: usize = 500;

/// What a listed identity states about a digest running in an environment: it has an incident
/// (`id`, `summary`), or, for a close, that the incident whose open message has sha256 `closes`
/// is resolved (`resolution`). Its bytes are [`canonical_json`] of this struct (keys sorted,
/// compact, UTF-8), signed as SSHSIG like an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct IncidentMessage {
    /// [`INCIDENT_VERSION`] (1).
    pub v: u32,
    /// [`INCIDENT_KIND`] or [`INCIDENT_CLOSE_KIND`].
    pub kind: String,
    pub app: String,
    /// The environment the digest has (had) the incident in.
    pub env: String,
    #[ts(type = "string")]
    pub digest: Digest,
    /// The team's incident id (`INC-42`): 1 to [`INCIDENT_ID_MAX_CHARS`] characters, no spaces.
    pub id: String,
    /// An open: what is wrong, in one line. Absent in a close.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub summary: Option<String>,
    /// A close: how it was resolved, in one line. Absent in an open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub resolution: Option<String>,
    /// A close: the sha256 (lower-case hex) of the signed message of the one open it closes.
    /// Absent in an open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub closes: Option<String>,
    /// The identity that signs (an approver or `[[signers]]` id).
    pub signer: String,
    /// When it was signed: RFC 3339, UTC, whole seconds.
    pub at: String,
    /// The hash of the last event of the signer's history when it signed.
    pub head: String,
    /// The `seq` of that event (0 for an empty history).
    #[ts(type = "number")]
    pub head_seq: i64,
    /// 16 random bytes, lower-case hex.
    pub nonce: String,
}

/// The fields of a new incident open or close.
#[derive(Debug, Clone)]
pub struct Incidenting<'a> {
    pub app: &'a str,
    pub env: &'a str,
    pub digest: &'a Digest,
    pub id: &'a str,
    pub signer: &'a str,
    /// What it says: an open's summary, or a close's resolution and the sha256 of the open
    /// message it closes.
    pub says: IncidentSays<'a>,
}

/// An open's summary, or a close's resolution and what it closes.
#[derive(Debug, Clone, Copy)]
pub enum IncidentSays<'a> {
    Open {
        summary: &'a str,
    },
    Close {
        resolution: &'a str,
        closes: &'a str,
    },
}

/// The incident id as it is signed (trimmed), or why it cannot be.
pub fn check_incident_id(id: &str) -> Result<&str> {
    let id = id.trim();
    let n = id.chars().count();
    if n == 0 || n > INCIDENT_ID_MAX_CHARS {
        return Err(Error::bad_input(format!(
            "the incident id {id:?} is empty or longer than {INCIDENT_ID_MAX_CHARS} characters: give your team's id, e.g. INC-42"
        )));
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::bad_input(format!(
            "the incident id {id:?} holds a space or a control character: give one word, e.g. INC-42"
        )));
    }
    Ok(id)
}

/// A summary or resolution as it is signed (trimmed), or why it cannot be: empty, longer than
/// [`INCIDENT_TEXT_MAX_CHARS`] characters, or more than one line. `what` names it ("the summary").
pub fn check_incident_text<'a>(text: &'a str, what: &str) -> Result<&'a str> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::bad_input(format!(
            "{what} is empty: say it in a line (it is signed and shown in every checklist)"
        )));
    }
    let n = t.chars().count();
    if n > INCIDENT_TEXT_MAX_CHARS {
        return Err(Error::bad_input(format!(
            "{what} is {n} characters long, more than {INCIDENT_TEXT_MAX_CHARS}: say it in one shorter line and link to the details"
        )));
    }
    if t.chars().any(char::is_control) {
        return Err(Error::bad_input(format!(
            "{what} holds a line break or another control character: say it in one line"
        )));
    }
    Ok(t)
}

impl IncidentMessage {
    /// A new message, signed at `at` on top of the chain head `head`, with a fresh nonce.
    pub fn new(i: &Incidenting, at: DateTime<Utc>, head: &Anchor) -> Self {
        let (kind, summary, resolution, closes) = match i.says {
            IncidentSays::Open { summary } => {
                (INCIDENT_KIND, Some(summary.trim().to_string()), None, None)
            }
            IncidentSays::Close { resolution, closes } => (
                INCIDENT_CLOSE_KIND,
                None,
                Some(resolution.trim().to_string()),
                Some(closes.to_string()),
            ),
        };
        IncidentMessage {
            v: INCIDENT_VERSION,
            kind: kind.to_string(),
            app: i.app.to_string(),
            env: i.env.to_string(),
            digest: i.digest.clone(),
            id: i.id.trim().to_string(),
            summary,
            resolution,
            closes,
            signer: i.signer.to_string(),
            at: signing_time(at),
            head: head.hash.clone(),
            head_seq: head.seq,
            nonce: fresh_nonce(),
        }
    }

    /// The exact bytes that are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical_json(self).into_bytes()
    }

    /// Whether this is a close (else an open).
    pub fn is_close(&self) -> bool {
        self.kind == INCIDENT_CLOSE_KIND
    }

    /// The summary of an open, or the resolution of a close.
    pub fn text(&self) -> &str {
        self.summary
            .as_deref()
            .or(self.resolution.as_deref())
            .unwrap_or_default()
    }

    /// Read signed bytes back: an incident or incident close message of this version in
    /// canonical form, else a [`Code::SignatureInvalid`](crate::Code::SignatureInvalid) error
    /// saying why.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bad = |why: String| not_a_message("incident", why);
        let m: IncidentMessage = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if m.v != INCIDENT_VERSION {
            return Err(bad(format!(
                "version {} (this Tollgate reads {} version {INCIDENT_VERSION})",
                m.v, m.kind
            )));
        }
        match (m.kind.as_str(), &m.summary, &m.resolution, &m.closes) {
            (INCIDENT_KIND, Some(_), None, None) => {}
            (INCIDENT_CLOSE_KIND, None, Some(_), Some(c)) if super::is_hash(c) => {}
            (INCIDENT_KIND, ..) => {
                return Err(bad(
                    "an incident has a 'summary' and no 'resolution' or 'closes'".into(),
                ))
            }
            (INCIDENT_CLOSE_KIND, ..) => {
                return Err(bad(
                    "an incident close has a 'resolution' and 'closes' (64 lower-case hex digits), and no 'summary'".into(),
                ))
            }
            (other, ..) => return Err(bad(format!("kind {other:?}"))),
        }
        if check_incident_id(&m.id).map_or(true, |id| id != m.id) {
            return Err(bad("'id' is empty, too long or not one trimmed word".into()));
        }
        if check_incident_text(m.text(), "the text").map_or(true, |t| t != m.text()) {
            return Err(bad(
                "its summary or resolution is empty, too long or not one trimmed line".into(),
            ));
        }
        check_chain_statement(&m.head, m.head_seq, &m.at, &m.nonce).map_err(bad)?;
        if m.to_bytes() != bytes {
            return Err(bad(NOT_CANONICAL.into()));
        }
        Ok(m)
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

    fn sample(says: IncidentSays) -> IncidentMessage {
        let digest = Digest::of(b"image");
        IncidentMessage::new(
            &Incidenting {
                app: "api",
                env: "staging",
                digest: &digest,
                id: " INC-42 ",
                signer: "oncall-bot",
                says,
            },
            "2026-11-25T08:00:00.700Z".parse().unwrap(),
            &Anchor::genesis(),
        )
    }

    #[test]
    fn an_open_and_a_close_round_trip_only_in_canonical_form() {
        let open = sample(IncidentSays::Open {
            summary: " 5xx spike after deploy ",
        });
        assert_eq!(open.id, "INC-42");
        assert_eq!(open.summary.as_deref(), Some("5xx spike after deploy"));
        let text = String::from_utf8(open.to_bytes()).unwrap();
        assert!(
            text.starts_with(r#"{"app":"api","at":"2026-11-25T08:00:00Z","#),
            "{text}"
        );
        assert!(text.contains(r#""kind":"tollgate.incident""#), "{text}");
        assert!(
            !text.contains("closes") && !text.contains("resolution"),
            "{text}"
        );
        assert_eq!(IncidentMessage::parse(text.as_bytes()).unwrap(), open);
        assert!(!open.is_close());

        let sha = "ab".repeat(32);
        let close = sample(IncidentSays::Close {
            resolution: "rolled back the config",
            closes: &sha,
        });
        let ctext = String::from_utf8(close.to_bytes()).unwrap();
        assert!(
            ctext.contains(r#""kind":"tollgate.incident_close""#),
            "{ctext}"
        );
        assert!(ctext.contains(&format!(r#""closes":"{sha}""#)), "{ctext}");
        assert_eq!(IncidentMessage::parse(ctext.as_bytes()).unwrap(), close);
        assert!(close.is_close());
        assert_eq!(close.text(), "rolled back the config");

        for bad in [
            text.replace(",\"", ", \""),
            text.replace("tollgate.incident", "tollgate.incident_close"),
            text.replace("5xx spike after deploy", ""),
            text.replace("INC-42", "INC 42"),
            text.replace(r#""v":1"#, r#""v":2"#),
            text.replacen('{', r#"{"extra":1,"#, 1),
            ctext.replace(&sha, "abab"),
            ctext.replace("tollgate.incident_close", "tollgate.incident"),
        ] {
            let e = IncidentMessage::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(e.code, Code::SignatureInvalid, "{bad}");
        }
    }

    #[test]
    fn ids_and_texts_are_bounded_single_lines() {
        assert_eq!(check_incident_id(" INC-42 ").unwrap(), "INC-42");
        for bad in ["", "two words", &"x".repeat(INCIDENT_ID_MAX_CHARS + 1)] {
            assert_eq!(check_incident_id(bad).unwrap_err().code, Code::BadInput);
        }
        assert_eq!(check_incident_text(" ok ", "the summary").unwrap(), "ok");
        for bad in ["", "a\nb", &"x".repeat(INCIDENT_TEXT_MAX_CHARS + 1)] {
            let e = check_incident_text(bad, "the summary").unwrap_err();
            assert!(e.message.starts_with("the summary"), "{}", e.message);
        }
    }
}
