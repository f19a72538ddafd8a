//! The signed message of an attestation: "check NAME passed (or failed) for this digest"
//! (docs/src/contracts/incidents-and-evidence.md; docs/src/audit/format.md, "Checks").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::message::{
    check_chain_statement, fresh_nonce, not_a_message, signing_time, Anchor, NOT_CANONICAL,
};
use crate::config::is_check_name;
use crate::domain::{canonical_json, parse_time, Digest};
use crate::{Error, Result};

/// `v` of every check message this version writes.
pub const CHECK_VERSION: u32 = 1;
/// `kind` of a check message.
pub const CHECK_KIND: &str = "tollgate.check";
/// The longest summary accepted, in characters.
pub const SUMMARY_MAX_CHARS: usize = 500;
/// The longest link accepted, in bytes.
pub const URL_MAX: usize = 2000;

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CheckResult {
    Pass,
    Fail,
}

impl CheckResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Pass => "pass",
            CheckResult::Fail => "fail",
        }
    }

    /// `pass` or `fail`, else a bad-input error saying so.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim() {
            "pass" => Ok(CheckResult::Pass),
            "fail" => Ok(CheckResult::Fail),
            other => Err(Error::bad_input(format!(
                "the result {other:?} is not one: write pass or fail"
            ))),
        }
    }
}

/// The report attached to an attestation, as signed: the file's sha256 (lower-case hex), size
/// in bytes and media type. The file itself is an artifact attached to the image in the
/// registry (`application/vnd.tollgate.report.v1`, one layer: these bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReportRef {
    pub sha256: String,
    #[ts(type = "number")]
    pub size: u64,
    pub media_type: String,
}

/// What a listed identity states about a digest: check `check` gave `result`. Its bytes are
/// [`canonical_json`] of this struct (keys sorted, compact, UTF-8), signed as SSHSIG like an
/// approval (namespace `tollgate-approval`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CheckMessage {
    /// [`CHECK_VERSION`] (1).
    pub v: u32,
    /// [`CHECK_KIND`].
    pub kind: String,
    pub app: String,
    #[ts(type = "string")]
    pub digest: Digest,
    /// The `[[checks]]` name.
    pub check: String,
    pub result: CheckResult,
    /// One line, 1 to [`SUMMARY_MAX_CHARS`] characters.
    pub summary: String,
    /// A link to the run or the review (`http(s)://`); `null` when none.
    pub url: Option<String>,
    /// The attached report; `null` when none.
    pub report: Option<ReportRef>,
    /// The identity (approver or `[[signers]]` id) that signs.
    pub signer: String,
    /// When it was signed: RFC 3339, UTC, whole seconds.
    pub at: String,
    /// The hash of the last event of the signer's history when it signed.
    pub head: String,
    #[ts(type = "number")]
    pub head_seq: i64,
    /// 16 random bytes, lower-case hex.
    pub nonce: String,
}

/// The words of a new attestation.
#[derive(Debug, Clone)]
pub struct Attesting<'a> {
    pub app: &'a str,
    pub digest: &'a Digest,
    pub check: &'a str,
    pub result: CheckResult,
    pub summary: &'a str,
    pub url: Option<&'a str>,
    pub report: Option<ReportRef>,
    pub signer: &'a str,
}

/// The summary as signed (trimmed), or why it cannot be: one line of 1 to
/// [`SUMMARY_MAX_CHARS`] characters.
pub fn check_summary(summary: &str) -> Result<&str> {
    let s = summary.trim();
    if s.is_empty() {
        return Err(Error::bad_input(
            "the summary is empty: say in a line what was checked and what it showed",
        ));
    }
    let n = s.chars().count();
    if n > SUMMARY_MAX_CHARS {
        return Err(Error::bad_input(format!(
            "the summary is {n} characters long, more than {SUMMARY_MAX_CHARS}: say it in one shorter line and link to the details"
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::bad_input(
            "the summary holds a line break or another control character: say it in one line",
        ));
    }
    Ok(s)
}

/// The link as signed (trimmed), or why it cannot be: an `http://` or `https://` URL of at most
/// [`URL_MAX`] bytes without spaces or control characters.
pub fn check_url(url: &str) -> Result<&str> {
    let u = url.trim();
    let ok = (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() <= URL_MAX
        && u.len() > "https://".len()
        && !u.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(Error::bad_input(format!(
            "the link {u:?} is not one: give one http(s):// URL of at most {URL_MAX} characters, without spaces"
        )));
    }
    Ok(u)
}

impl CheckMessage {
    /// A new message, signed at `at` on top of the chain head `head`, with a fresh nonce.
    pub fn new(a: &Attesting, at: DateTime<Utc>, head: &Anchor) -> Self {
        CheckMessage {
            v: CHECK_VERSION,
            kind: CHECK_KIND.to_string(),
            app: a.app.to_string(),
            digest: a.digest.clone(),
            check: a.check.to_string(),
            result: a.result,
            summary: a.summary.trim().to_string(),
            url: a.url.map(|u| u.trim().to_string()),
            report: a.report.clone(),
            signer: a.signer.to_string(),
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

    /// Read signed bytes back: a check message of this version in canonical form, else a
    /// [`Code::SignatureInvalid`](crate::Code::SignatureInvalid) error saying why.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bad = |why: String| not_a_message("check", why);
        let m: CheckMessage = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if m.kind != CHECK_KIND {
            return Err(bad(format!("kind {:?}", m.kind)));
        }
        if m.v != CHECK_VERSION {
            return Err(bad(format!(
                "version {} (this Tollgate reads {CHECK_KIND} versions up to {CHECK_VERSION})",
                m.v
            )));
        }
        check_chain_statement(&m.head, m.head_seq, &m.at, &m.nonce).map_err(bad)?;
        if !is_check_name(&m.check) {
            return Err(bad(format!("'check' {:?} is not a check name", m.check)));
        }
        if check_summary(&m.summary).map_or(true, |s| s != m.summary) {
            return Err(bad(
                "'summary' is empty, too long or not one trimmed line".into()
            ));
        }
        if let Some(u) = &m.url {
            if check_url(u).map_or(true, |x| x != u) {
                return Err(bad("'url' is not one http(s) link".into()));
            }
        }
        if let Some(r) = &m.report {
            if !super::is_hash(&r.sha256) || r.media_type.trim().is_empty() {
                return Err(bad(
                    "'report' needs a sha256 (64 lower-case hex digits) and a media type".into(),
                ));
            }
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

    fn sample(report: Option<ReportRef>) -> CheckMessage {
        let digest = Digest::of(b"image");
        CheckMessage::new(
            &Attesting {
                app: "api",
                digest: &digest,
                check: "load-test",
                result: CheckResult::Pass,
                summary: "  p99 180 ms at 2x peak  ",
                url: Some("https://ci.example.com/run/7"),
                report,
                signer: "ci@example.com",
            },
            "2026-11-25T08:00:00.700Z".parse().unwrap(),
            &Anchor::genesis(),
        )
    }

    #[test]
    fn round_trips_only_in_canonical_form() {
        let report = ReportRef {
            sha256: "ab".repeat(32),
            size: 1234,
            media_type: "application/json".into(),
        };
        let m = sample(Some(report));
        assert_eq!(m.summary, "p99 180 ms at 2x peak");
        let text = String::from_utf8(m.to_bytes()).unwrap();
        assert!(
            text.starts_with(
                r#"{"app":"api","at":"2026-11-25T08:00:00Z","check":"load-test","digest":"#
            ),
            "{text}"
        );
        assert!(text.contains(r#""kind":"tollgate.check""#), "{text}");
        assert!(
            text.contains(r#""report":{"media_type":"application/json","sha256":"abab"#),
            "{text}"
        );
        assert!(text.contains(r#""result":"pass""#), "{text}");
        assert_eq!(CheckMessage::parse(text.as_bytes()).unwrap(), m);
        let plain = sample(None);
        let plain_text = String::from_utf8(plain.to_bytes()).unwrap();
        assert!(plain_text.contains(r#""report":null"#), "{plain_text}");
        assert_eq!(CheckMessage::parse(plain_text.as_bytes()).unwrap(), plain);
        for bad in [
            text.replace(",\"", ", \""),
            text.replace("tollgate.check", "tollgate.approval"),
            text.replace(r#""result":"pass""#, r#""result":"maybe""#),
            text.replace("p99 180 ms at 2x peak", ""),
            text.replace("https://ci.example.com/run/7", "ftp://x"),
            text.replace("load-test", "load test"),
            text.replace(r#""v":1"#, r#""v":2"#),
            text.replacen('{', r#"{"extra":1,"#, 1),
            text.replace(&"ab".repeat(32), "abab"),
        ] {
            let e = CheckMessage::parse(bad.as_bytes()).unwrap_err();
            assert_eq!(e.code, Code::SignatureInvalid, "{bad}");
        }
    }

    #[test]
    fn results_summaries_and_links_are_checked() {
        assert_eq!(CheckResult::parse("pass").unwrap(), CheckResult::Pass);
        assert_eq!(CheckResult::parse(" fail ").unwrap(), CheckResult::Fail);
        assert_eq!(CheckResult::parse("ok").unwrap_err().code, Code::BadInput);
        assert_eq!(check_summary(" ok ").unwrap(), "ok");
        for bad in ["", "a\nb", &"x".repeat(SUMMARY_MAX_CHARS + 1)] {
            assert_eq!(check_summary(bad).unwrap_err().code, Code::BadInput);
        }
        assert_eq!(
            check_url(" https://x.example/a ").unwrap(),
            "https://x.example/a"
        );
        for bad in [
            "x.example",
            "https://",
            "https://a b",
            "javascript:alert(1)",
        ] {
            assert_eq!(check_url(bad).unwrap_err().code, Code::BadInput, "{bad}");
        }
    }
}
