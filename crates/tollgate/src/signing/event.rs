//! The signed message of an authored event other than an approval: a deployment record, a
//! promotion or a rollback (docs/src/audit/format.md, "Signed events").

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

/// The newest `v` of an event message this version reads (and writes, for an emergency
/// rollback: [`EMERGENCY_EVENT_VERSION`]).
pub const EVENT_VERSION: u32 = EMERGENCY_EVENT_VERSION;
/// `v` of a message about a move of an environment tag (`tag`): still written, so that a
/// desktop that reads only version 1 keeps reading every tag move.
pub const TAG_EVENT_VERSION: u32 = 1;
/// `v` of a message about a move into an environment that lives in a deployment repository's
/// file: it names `git`, `file` and `commit` instead of `tag` (version 1 stays readable; a
/// desktop that reads only version 1 says it "needs a newer Tollgate").
pub const GIT_EVENT_VERSION: u32 = 2;
/// `v` of a rollback that passed under the policy's `rollback = { approvals = N }` (an
/// emergency rollback): the place fields of version 1 (`tag`) or of version 2 (`git`, `file`,
/// `commit`), plus `"emergency": true` and the `reason` given. Written only for those, so every
/// other move stays readable by a desktop that reads versions 1 and 2.
pub const EMERGENCY_EVENT_VERSION: u32 = 3;
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
    /// [`TAG_EVENT_VERSION`] (1: a tag move), [`GIT_EVENT_VERSION`] (2: a move into a
    /// deployment repository's file) or [`EMERGENCY_EVENT_VERSION`] (3: an emergency rollback).
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
    /// The environment's tag (version 1); absent in version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tag: Option<String>,
    /// Version 2: the `[[git]]` entry's name of the environment's deployment repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub git: Option<String>,
    /// Version 2: the environment's file in that repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub file: Option<String>,
    /// Version 2: the signed commit (hex id) that pins `digest` in `file`: a teammate checks
    /// that the commit on the branch is the one signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub commit: Option<String>,
    /// Version 3: `true`, a rollback that passed under the policy's emergency rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub emergency: Option<bool>,
    /// Version 3: why the emergency rollback was made, as its actor gave it (`--reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
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
    /// Where in `repository`'s environment the digest goes: a tag, or a deployment file's
    /// commit.
    pub place: MovePlace,
    pub approvals: Vec<String>,
    /// A record's claimed deployment time (`--at`).
    pub deployed_at: Option<DateTime<Utc>>,
}

/// Where a move puts its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MovePlace {
    /// An environment tag (a version 1 message).
    Tag(String),
    /// The signed commit `commit` of `[[git]]` `git` that pins the digest in `file` (a version 2
    /// message).
    Git {
        git: String,
        file: String,
        commit: String,
    },
}

impl EventMessage {
    /// A new message for `m`, signed by `signer` at `at` on top of the chain head `head`.
    pub fn new(m: Move, signer: &str, at: DateTime<Utc>, head: &Anchor) -> Self {
        let mut approvals = m.approvals;
        approvals.sort();
        let (v, tag, git, file, commit) = match m.place {
            MovePlace::Tag(tag) => (TAG_EVENT_VERSION, Some(tag), None, None, None),
            MovePlace::Git { git, file, commit } => {
                (GIT_EVENT_VERSION, None, Some(git), Some(file), Some(commit))
            }
        };
        EventMessage {
            v,
            kind: m.kind.to_string(),
            app: m.app,
            env: m.env,
            from: m.from,
            digest: m.digest,
            previous: m.previous.map(|d| d.to_string()),
            repository: m.repository,
            tag,
            git,
            file,
            commit,
            emergency: None,
            reason: None,
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

    /// The same message as an emergency rollback's (version 3): `"emergency": true` and
    /// `reason`.
    pub fn emergency(mut self, reason: &str) -> Self {
        self.v = EMERGENCY_EVENT_VERSION;
        self.emergency = Some(true);
        self.reason = Some(reason.to_string());
        self
    }

    /// The reason of an emergency rollback (version 3); `None` for any other move.
    pub fn emergency_reason(&self) -> Option<&str> {
        (self.emergency == Some(true))
            .then_some(self.reason.as_deref())
            .flatten()
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
        if !(TAG_EVENT_VERSION..=EVENT_VERSION).contains(&m.v) {
            return Err(bad(format!(
                "version {} (this Tollgate reads versions {TAG_EVENT_VERSION} to {EVENT_VERSION})",
                m.v
            )));
        }
        m.place().map_err(bad)?;
        if ![DEPLOYMENT_KIND, PROMOTION_KIND, ROLLBACK_KIND].contains(&m.kind.as_str()) {
            return Err(bad(format!("kind {:?}", m.kind)));
        }
        m.emergency_fields().map_err(bad)?;
        check_anchor(&m.head, m.head_seq).map_err(bad)?;
        if !is_signing_time(&m.at) {
            return Err(bad(format!("'at' {:?} is not an RFC 3339 UTC time", m.at)));
        }
        if m.to_bytes() != bytes {
            return Err(bad(NOT_CANONICAL.into()));
        }
        Ok(m)
    }

    /// Version 3 is a rollback with `"emergency": true` and a non-empty `reason`; versions 1
    /// and 2 have neither. `Err` says what is wrong.
    fn emergency_fields(&self) -> std::result::Result<(), String> {
        if self.v != EMERGENCY_EVENT_VERSION {
            return match (&self.emergency, &self.reason) {
                (None, None) => Ok(()),
                _ => Err(format!(
                    "a version {} message has no 'emergency' or 'reason'",
                    self.v
                )),
            };
        }
        if self.kind != ROLLBACK_KIND {
            return Err(format!(
                "a version {} message is an emergency rollback, not a {}",
                self.v, self.kind
            ));
        }
        if self.emergency != Some(true) {
            return Err(format!(
                "a version {} message says \"emergency\": true",
                self.v
            ));
        }
        if self.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(format!("a version {} message gives a 'reason'", self.v));
        }
        Ok(())
    }

    /// Where the move puts its digest, as its version states it: version 1 a `tag` (and no
    /// `git`, `file` or `commit`), version 2 `git`, `file` and `commit` (a lower-case hex commit
    /// id of 40 or 64 digits; no `tag`), version 3 either. `Err` says what is missing or extra.
    pub fn place(&self) -> std::result::Result<MovePlace, String> {
        let git_fields = [
            ("git", &self.git),
            ("file", &self.file),
            ("commit", &self.commit),
        ];
        let tag_move = self.v == TAG_EVENT_VERSION
            || (self.v == EMERGENCY_EVENT_VERSION && self.tag.is_some());
        match tag_move {
            true => {
                if let Some((name, _)) = git_fields.iter().find(|(_, f)| f.is_some()) {
                    let which = if self.v == TAG_EVENT_VERSION {
                        ""
                    } else {
                        " naming a 'tag'"
                    };
                    return Err(format!(
                        "a version {} message{which} has no '{name}'",
                        self.v
                    ));
                }
                let tag = self
                    .tag
                    .clone()
                    .ok_or_else(|| "a version 1 message names a 'tag'".to_string())?;
                Ok(MovePlace::Tag(tag))
            }
            false => {
                if self.tag.is_some() {
                    return Err(format!(
                        "a version {} message names 'git', 'file' and 'commit', not a 'tag'",
                        self.v
                    ));
                }
                if let Some((name, _)) = git_fields.iter().find(|(_, f)| f.is_none()) {
                    return Err(format!("a version {} message names a '{name}'", self.v));
                }
                let (git, file, commit) = (
                    self.git.clone().unwrap_or_default(),
                    self.file.clone().unwrap_or_default(),
                    self.commit.clone().unwrap_or_default(),
                );
                if git.is_empty() || file.is_empty() {
                    return Err("its 'git' and 'file' are empty".into());
                }
                let hex = commit
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if !(hex && matches!(commit.len(), 40 | 64)) {
                    return Err(format!(
                        "its 'commit' {commit:?} is not a git commit id (40 or 64 lower-case hex digits)"
                    ));
                }
                Ok(MovePlace::Git { git, file, commit })
            }
        }
    }

    /// The commit a version 2 message names (`None` for a tag move).
    pub fn git_commit(&self) -> Option<&str> {
        self.commit.as_deref()
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
                place: MovePlace::Tag("dev".into()),
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

    fn git_sample() -> EventMessage {
        let mut m = sample();
        m.v = GIT_EVENT_VERSION;
        m.kind = PROMOTION_KIND.into();
        m.from = Some("staging".into());
        m.tag = None;
        m.git = Some("deploy".into());
        m.file = Some("apps/api/deployment.yaml".into());
        m.commit = Some("c".repeat(40));
        m
    }

    #[test]
    fn version_2_names_git_file_and_commit_instead_of_a_tag() {
        let digest: Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        let m = EventMessage::new(
            Move {
                kind: PROMOTION_KIND,
                app: "api".into(),
                env: "production".into(),
                from: Some("staging".into()),
                digest,
                previous: None,
                repository: "local/payments/api".into(),
                place: MovePlace::Git {
                    git: "deploy".into(),
                    file: "apps/api/deployment.yaml".into(),
                    commit: "c".repeat(40),
                },
                approvals: Vec::new(),
                deployed_at: None,
            },
            "alice@example.com",
            "2026-11-25T08:00:00Z".parse().unwrap(),
            &Anchor::genesis(),
        );
        assert_eq!(m.v, 2);
        let text = String::from_utf8(m.to_bytes()).unwrap();
        assert!(!text.contains("\"tag\""), "{text}");
        assert!(
            text.contains(&format!("\"commit\":\"{}\"", "c".repeat(40)))
                && text.contains("\"file\":\"apps/api/deployment.yaml\"")
                && text.contains("\"git\":\"deploy\""),
            "{text}"
        );
        let back = EventMessage::parse(text.as_bytes()).unwrap();
        assert_eq!(back.git_commit(), Some("c".repeat(40).as_str()));
        assert!(matches!(back.place(), Ok(MovePlace::Git { .. })));
        // Version 1 stays readable, and names its tag.
        let v1 = sample();
        assert_eq!(v1.v, 1);
        assert_eq!(
            EventMessage::parse(&v1.to_bytes()).unwrap().place(),
            Ok(MovePlace::Tag("dev".into()))
        );
    }

    #[test]
    fn each_version_has_its_own_place_fields() {
        let reject = |m: EventMessage, says: &str| {
            let e = EventMessage::parse(&m.to_bytes()).unwrap_err();
            assert_eq!(e.code, Code::SignatureInvalid);
            assert!(e.message.contains(says), "{}", e.message);
        };
        let mut m = git_sample();
        m.tag = Some("production".into());
        reject(m, "not a 'tag'");
        let mut m = git_sample();
        m.commit = None;
        reject(m, "names a 'commit'");
        let mut m = git_sample();
        m.commit = Some("C".repeat(40));
        reject(m, "not a git commit id");
        let mut m = git_sample();
        m.commit = Some("c".repeat(12));
        reject(m, "not a git commit id");
        let mut m = sample();
        m.commit = Some("c".repeat(40));
        reject(m, "a version 1 message has no 'commit'");
        let mut m = sample();
        m.tag = None;
        reject(m, "names a 'tag'");
        let mut m = git_sample();
        m.v = 3;
        reject(m, "version 3");
        assert!(EventMessage::parse(&git_sample().to_bytes()).is_ok());
    }

    #[test]
    fn version_3_is_an_emergency_rollback_with_a_reason_on_a_tag_or_a_file() {
        let mut rollback = sample();
        rollback.kind = ROLLBACK_KIND.into();
        let tag = rollback.clone().emergency("checkout is down");
        assert_eq!(tag.v, EMERGENCY_EVENT_VERSION);
        let text = String::from_utf8(tag.to_bytes()).unwrap();
        assert!(
            text.contains("\"emergency\":true") && text.contains("\"reason\":\"checkout is down\""),
            "{text}"
        );
        let back = EventMessage::parse(text.as_bytes()).unwrap();
        assert_eq!(back.emergency_reason(), Some("checkout is down"));
        assert_eq!(back.place(), Ok(MovePlace::Tag("dev".into())));
        let mut git = git_sample();
        git.kind = ROLLBACK_KIND.into();
        git.from = None;
        let git = git.emergency("revert");
        assert!(matches!(
            EventMessage::parse(&git.to_bytes()).unwrap().place(),
            Ok(MovePlace::Git { .. })
        ));
        // Versions 1 and 2 carry neither field, and say no emergency.
        assert_eq!(
            EventMessage::parse(&rollback.to_bytes())
                .unwrap()
                .emergency_reason(),
            None
        );
        let reject = |m: EventMessage, says: &str| {
            let e = EventMessage::parse(&m.to_bytes()).unwrap_err();
            assert_eq!(e.code, Code::SignatureInvalid);
            assert!(e.message.contains(says), "{}", e.message);
        };
        let mut m = rollback.clone();
        m.reason = Some("why".into());
        reject(m, "a version 1 message has no 'emergency' or 'reason'");
        let mut m = tag.clone();
        m.reason = Some(" ".into());
        reject(m, "gives a 'reason'");
        let mut m = tag.clone();
        m.emergency = Some(false);
        reject(m, "\"emergency\": true");
        let mut m = sample().emergency("why");
        m.kind = PROMOTION_KIND.into();
        reject(m, "not a tollgate.promotion");
        let mut m = tag.clone();
        m.git = Some("deploy".into());
        reject(m, "a version 3 message naming a 'tag' has no 'git'");
    }
}
