//! What the chained events must say of each other, checked the same way by `tollgate verify`
//! (the database) and `tollgate verify FILE` (a report):
//!
//! - **anchors**: an approval (message version 2) signs the chain head it was given on
//!   (`head_seq`, `head`), and a promotion or rollback states the head it was appended after
//!   (`data.head_seq`, `data.head`). That point must be an earlier event of the chain with that
//!   hash. Removing or rewriting events below a surviving signature is then detected even when
//!   every hash after it was recomputed; removing everything after the last signature is not.
//! - **consumption**: every approval a promotion or rollback counted (`data.approvals`) is an
//!   earlier approval event whose *signed message* is for the same app, digest and move
//!   (`from` → `to`), and no approval is counted twice. Read from the chained events only, never
//!   from the database's unchained `promotion_approvals` table.
//! - **signed events**: a record, promotion or rollback carrying a signed message
//!   (`data.message`, `data.signature`) says in it what the event says: its kind, app,
//!   environment, digest, and the actor as `signer` ([`signed_statement`]).
//! - **append time**: an approval cannot have been appended before an event that precedes it in
//!   the chain, so the time a previous key's `until` is compared with is the later of its own
//!   `at` and the latest append time before it: setting its `at` back does not help.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::{Event, EventKind};
use crate::signing::{
    is_hash, Anchor, ApprovalMessage, CheckMessage, EventMessage, IncidentMessage,
    RejectionMessage, Target, DEPLOYMENT_KIND, INCIDENT_CLOSE_KIND, INCIDENT_KIND, PROMOTION_KIND,
    REJECTION_KIND, ROLLBACK_KIND, UNREJECTION_KIND,
};
use crate::store::chain::GENESIS;

/// The signed message and armored signature of a record, promotion or rollback (or an incident
/// open or close: [`incident_statement`]), checked to state what the event does (kind, app, environment, digest, signer = actor). `Ok(None)` for
/// other kinds and for events written unsigned (before signed events, or a promotion finished
/// by a recovery without the actor's key: `data.unsigned`); `Err` says what disagrees.
///
/// An `unplaced` event (a teammate's move this history does not place) is checked like the
/// move it keeps: its signed kind is `data.moved`, and it must hold its message and signature;
/// its `data.previous` must also be the message's.
pub fn signed_statement(e: &Event) -> Result<Option<(String, String)>, String> {
    // An incident open or close is signed by any listed identity, like a move.
    if matches!(e.kind, EventKind::Incident | EventKind::IncidentClose) {
        return incident_statement(e).map(|found| found.map(|(_, m, s)| (m, s)));
    }
    if e.kind == EventKind::Check {
        return check_statement(e).map(Some);
    }
    let kind = match e.kind {
        EventKind::Record => DEPLOYMENT_KIND,
        EventKind::Promotion => PROMOTION_KIND,
        EventKind::Rollback => ROLLBACK_KIND,
        EventKind::Unplaced => match e.data_str("moved").and_then(EventKind::parse) {
            Some(EventKind::Record) => DEPLOYMENT_KIND,
            Some(EventKind::Promotion) => PROMOTION_KIND,
            Some(EventKind::Rollback) => ROLLBACK_KIND,
            _ => {
                return Err(
                    "the unplaced event's data.moved is not promotion, rollback or record".into(),
                )
            }
        },
        _ => return Ok(None),
    };
    let (Some(message), signature) = (e.data_str("message"), e.data_str("signature")) else {
        if e.kind == EventKind::Unplaced {
            return Err("the unplaced event holds no signed message".into());
        }
        return Ok(None);
    };
    let Some(signature) = signature else {
        return Err(format!(
            "the {} holds a signed message but no signature",
            e.kind.as_str()
        ));
    };
    let m = EventMessage::parse(message.as_bytes()).map_err(|err| err.message)?;
    let digest = e.digest.as_ref().map(|d| d.to_string()).unwrap_or_default();
    let signed_digest = m.digest.to_string();
    let actor = e.actor.as_deref().unwrap_or_default();
    agree(
        e.kind.as_str(),
        &[
            ("kind", m.kind.as_str(), kind),
            ("app", m.app.as_str(), e.app.as_str()),
            ("env", m.env.as_str(), e.env.as_str()),
            ("digest", signed_digest.as_str(), digest.as_str()),
            ("signer", m.signer.as_str(), actor),
        ],
    )?;
    // A move into a deployment file (version 2) names its signed commit: the event's.
    if let (Some(signed), true) = (m.git_commit(), e.kind != EventKind::Unplaced) {
        let stored = e.data_str("commit").unwrap_or_default();
        if signed != stored {
            return Err(format!(
                "the {}'s signed message says commit {signed:?}, the event says {stored:?}: it was altered",
                e.kind.as_str()
            ));
        }
    }
    // An emergency rollback (version 3) is one exactly when its event says so, with the reason
    // signed.
    if e.kind != EventKind::Unplaced {
        let signed = m.emergency_reason();
        let stored = match e.data.get("emergency") {
            Some(serde_json::Value::Bool(true)) => Some(e.data_str("reason").unwrap_or_default()),
            None | Some(serde_json::Value::Bool(false)) => None,
            Some(other) => Some(other.as_str().unwrap_or("?")),
        };
        if signed != stored {
            return Err(format!(
                "the {}'s signed message says emergency {}, the event says {}: it was altered",
                e.kind.as_str(),
                describe_emergency(signed),
                describe_emergency(stored)
            ));
        }
    }
    if e.kind == EventKind::Unplaced {
        let signed = m.previous.as_deref().unwrap_or_default();
        let stored = e.data_str("previous").unwrap_or_default();
        if signed != stored {
            return Err(format!(
                "the unplaced event's signed message says previous {signed:?}, the event says {stored:?}: it was altered"
            ));
        }
    }
    Ok(Some((message.to_string(), signature.to_string())))
}

/// `false`, or `true` with its reason.
fn describe_emergency(reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("true (reason {r:?})"),
        None => "false".into(),
    }
}

/// The signed message and armored signature of an attestation (`check` event), checked to
/// state what the event says: app, digest, the actor as `signer`, no environment, and
/// `data.check`, `data.result`; a `check` event always carries both.
fn check_statement(e: &Event) -> Result<(String, String), String> {
    let (message, signature) = signed_parts(e, "check")?;
    let m = CheckMessage::parse(message.as_bytes()).map_err(|err| err.message)?;
    let digest = e.digest.as_ref().map(|d| d.to_string()).unwrap_or_default();
    let signed_digest = m.digest.to_string();
    agree(
        "check",
        &[
            ("app", m.app.as_str(), e.app.as_str()),
            ("env", "", e.env.as_str()),
            ("digest", signed_digest.as_str(), digest.as_str()),
            (
                "signer",
                m.signer.as_str(),
                e.actor.as_deref().unwrap_or_default(),
            ),
            (
                "check",
                m.check.as_str(),
                e.data_str("check").unwrap_or_default(),
            ),
            (
                "result",
                m.result.as_str(),
                e.data_str("result").unwrap_or_default(),
            ),
        ],
    )?;
    Ok((message.to_string(), signature.to_string()))
}

/// The signed message (parsed and as text) and armored signature of a rejection or
/// unrejection, checked to state what the event says: its kind, app, digest, scope (`env`: the
/// event's `env`, empty for every environment, is the message's `env`, `null` for every
/// environment), the actor as `signer`, and `data.reason` and `data.role`. `Ok(None)` for other
/// kinds; `Err` says what is missing or disagrees. Whether the signature holds, and for whose
/// key, is for the caller.
pub fn rejection_statement(
    e: &Event,
) -> Result<Option<(RejectionMessage, String, String)>, String> {
    let kind = match e.kind {
        EventKind::Rejection => REJECTION_KIND,
        EventKind::Unrejection => UNREJECTION_KIND,
        _ => return Ok(None),
    };
    let what = e.kind.as_str();
    let (message, signature) = signed_parts(e, what)?;
    let m = RejectionMessage::parse(message.as_bytes()).map_err(|err| err.message)?;
    let digest = e.digest.as_ref().map(|d| d.to_string()).unwrap_or_default();
    let signed_digest = m.digest.to_string();
    let scope = m.env.clone().unwrap_or_default();
    agree(
        what,
        &[
            ("kind", m.kind.as_str(), kind),
            ("app", m.app.as_str(), e.app.as_str()),
            ("env", scope.as_str(), e.env.as_str()),
            ("digest", signed_digest.as_str(), digest.as_str()),
            (
                "signer",
                m.signer.as_str(),
                e.actor.as_deref().unwrap_or_default(),
            ),
            (
                "reason",
                m.reason.as_str(),
                e.data_str("reason").unwrap_or_default(),
            ),
            (
                "role",
                m.role.as_str(),
                e.data_str("role").unwrap_or_default(),
            ),
        ],
    )?;
    Ok(Some((m, message.to_string(), signature.to_string())))
}

/// The signed message (parsed and as text) and armored signature of an incident open or close,
/// checked to state what the event says: its kind, app, environment, digest, the actor as
/// `signer`, and `data.id`, `data.summary` (an open) or `data.resolution` and `data.closes` (a
/// close). `Ok(None)` for other kinds; `Err` says what is missing or disagrees. Whether the
/// signature holds, and for whose key, is for the caller.
pub fn incident_statement(e: &Event) -> Result<Option<(IncidentMessage, String, String)>, String> {
    let kind = match e.kind {
        EventKind::Incident => INCIDENT_KIND,
        EventKind::IncidentClose => INCIDENT_CLOSE_KIND,
        _ => return Ok(None),
    };
    let what = e.kind.as_str();
    let (message, signature) = signed_parts(e, what)?;
    let m = IncidentMessage::parse(message.as_bytes()).map_err(|err| err.message)?;
    let digest = e.digest.as_ref().map(|d| d.to_string()).unwrap_or_default();
    let signed_digest = m.digest.to_string();
    let data = |k: &str| e.data_str(k).unwrap_or_default();
    agree(
        what,
        &[
            ("kind", m.kind.as_str(), kind),
            ("app", m.app.as_str(), e.app.as_str()),
            ("env", m.env.as_str(), e.env.as_str()),
            ("digest", signed_digest.as_str(), digest.as_str()),
            (
                "signer",
                m.signer.as_str(),
                e.actor.as_deref().unwrap_or_default(),
            ),
            ("id", m.id.as_str(), data("id")),
            (
                "summary",
                m.summary.as_deref().unwrap_or_default(),
                data("summary"),
            ),
            (
                "resolution",
                m.resolution.as_deref().unwrap_or_default(),
                data("resolution"),
            ),
            (
                "closes",
                m.closes.as_deref().unwrap_or_default(),
                data("closes"),
            ),
        ],
    )?;
    Ok(Some((m, message.to_string(), signature.to_string())))
}

/// The signed message and armored signature a `what` event holds, or why it holds none.
fn signed_parts<'e>(e: &'e Event, what: &str) -> Result<(&'e str, &'e str), String> {
    match (e.data_str("message"), e.data_str("signature")) {
        (Some(message), Some(signature)) => Ok((message, signature)),
        _ => Err(format!("the {what} holds no signed message and signature")),
    }
}

/// `Ok` when each `(field, signed, stored)` agrees, else the first that does not, named: the
/// `what` event was altered after its message was signed.
fn agree(what: &str, fields: &[(&str, &str, &str)]) -> Result<(), String> {
    match fields.iter().find(|(_, signed, stored)| signed != stored) {
        Some((field, signed, stored)) => Err(format!(
            "the {what}'s signed message says {field} {signed:?}, the event says {stored:?}: it was altered"
        )),
        None => Ok(()),
    }
}

/// What the chain holds at a `seq` an anchor names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtSeq {
    /// An event with this hash.
    Hash(String),
    /// No event: it was removed.
    Missing,
    /// Not known here (before the range a report covers): cannot be checked.
    Unknown,
}

/// The chain point an event vouches for, if it states one: an approval's signed head (message
/// version 2), or a promotion's or rollback's `data.head_seq`/`data.head`. `Err` says why what
/// it states is unreadable. Version 1 approvals and promotions written before anchoring state
/// none.
pub fn stated_anchor(e: &Event) -> Result<Option<Anchor>, String> {
    match e.kind {
        // An imported teammate's approval or rejection signed the head of ANOTHER machine's
        // chain: it anchors nothing here (its signature is still verified). An imported move
        // states this history's head it was appended after, like a local one.
        EventKind::Approval
        | EventKind::Rejection
        | EventKind::Unrejection
        | EventKind::Incident
        | EventKind::IncidentClose
            if e.data.get("imported").is_some() =>
        {
            Ok(None)
        }
        EventKind::Approval => Ok(e
            .data_str("message")
            .and_then(|m| ApprovalMessage::parse(m.as_bytes()).ok())
            .and_then(|m| m.anchor())),
        // A rejection signs the head it was given on, like an approval.
        EventKind::Rejection | EventKind::Unrejection => Ok(e
            .data_str("message")
            .and_then(|m| RejectionMessage::parse(m.as_bytes()).ok())
            .map(|m| m.anchor())),
        // An incident open or close signs the head it was given on, like a rejection.
        EventKind::Incident | EventKind::IncidentClose => Ok(e
            .data_str("message")
            .and_then(|m| IncidentMessage::parse(m.as_bytes()).ok())
            .map(|m| m.anchor())),
        EventKind::Promotion | EventKind::Rollback => {
            let seq = e.data.get("head_seq");
            let hash = e.data.get("head");
            match (seq, hash) {
                (None, None) => Ok(None),
                (Some(seq), Some(hash)) => match (seq.as_i64(), hash.as_str()) {
                    (Some(seq), Some(hash)) if seq >= 0 && is_hash(hash) => Ok(Some(Anchor {
                        seq,
                        hash: hash.to_string(),
                    })),
                    _ => Err("its data.head_seq or data.head is not a seq and a chain hash".into()),
                },
                _ => Err("it states only one of data.head_seq and data.head".into()),
            }
        }
        _ => Ok(None),
    }
}

/// Check the anchor `anchor` stated by the event at `seq` against what the chain holds at
/// `anchor.seq`; `Some` is what is wrong (one line, naming the events).
pub fn check_anchor(seq: i64, kind: EventKind, anchor: &Anchor, at: AtSeq) -> Option<String> {
    let (n, short) = (anchor.seq, &anchor.hash[..12.min(anchor.hash.len())]);
    let whose = match kind {
        EventKind::Approval => "the chain head this approval signed",
        EventKind::Rejection | EventKind::Unrejection => "the chain head this rejection signed",
        EventKind::Incident | EventKind::IncidentClose => "the chain head this incident signed",
        _ => "the chain head this event states it was appended after",
    };
    if n >= seq {
        return Some(format!(
            "{whose} is event {n}, but this is event {seq}: events before it were removed (or it was moved)"
        ));
    }
    if n == 0 {
        return (anchor.hash != GENESIS).then(|| {
            format!("{whose} is the empty chain, but its hash is {short}…, not 64 zeros")
        });
    }
    match at {
        AtSeq::Hash(h) if h == anchor.hash => None,
        AtSeq::Hash(h) => Some(format!(
            "{whose} is event {n} with hash {short}…, but event {n} of the chain has hash {}…: events at or below {n} were removed or rewritten",
            &h[..12.min(h.len())]
        )),
        AtSeq::Missing => Some(format!(
            "{whose} is event {n} (hash {short}…), which the chain does not have: events were removed"
        )),
        AtSeq::Unknown => None,
    }
}

/// When the history appended `e`: its `at`, except for a `record` (whose `at` may be the
/// claimed deployment time), which counts only by its `data.appended_at` when it has one.
pub fn append_time(e: &Event) -> Option<DateTime<Utc>> {
    match e.kind {
        EventKind::Record => e
            .data_str("appended_at")
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
        _ => Some(e.at),
    }
}

/// The append times of a chain read in `seq` order.
#[derive(Debug, Default)]
pub struct AppendOrder {
    latest: Option<DateTime<Utc>>,
}

impl AppendOrder {
    /// Take in one event; returns when it was appended as the chain shows it: the later of its
    /// own `at` and the latest append time of the events before it.
    pub fn event(&mut self, e: &Event) -> DateTime<Utc> {
        let appended = self.latest.map_or(e.at, |l| l.max(e.at));
        if let Some(at) = append_time(e) {
            if self.latest.is_none_or(|l| at > l) {
                self.latest = Some(at);
            }
        }
        appended
    }
}

/// An approval as a promotion may count it.
#[derive(Debug, Clone)]
struct Approval {
    /// What its signed message approves; `None` when the message is unreadable.
    signed: Option<Target>,
}

/// The consumption of approvals by promotions and rollbacks: feed every event in `seq` order.
#[derive(Debug, Default)]
pub struct Consumption {
    approvals: HashMap<i64, Approval>,
    used_by: HashMap<i64, i64>,
}

impl Consumption {
    /// Take in one event; for a promotion or rollback, what is wrong with the approvals it
    /// counted (one line each). `absent(a)` words a counted event `a` that is not an approval
    /// seen before it.
    pub fn event(&mut self, e: &Event, absent: impl Fn(i64) -> String) -> Vec<String> {
        match e.kind {
            EventKind::Approval => {
                let signed = e
                    .data_str("message")
                    .and_then(|m| ApprovalMessage::parse(m.as_bytes()).ok())
                    .map(|m| m.target());
                self.approvals.insert(e.seq, Approval { signed });
                Vec::new()
            }
            EventKind::Promotion | EventKind::Rollback => self.promotion(e, absent),
            _ => Vec::new(),
        }
    }

    fn promotion(&mut self, e: &Event, absent: impl Fn(i64) -> String) -> Vec<String> {
        let kind = e.kind.as_str();
        let mut out = Vec::new();
        let Some(digest) = e.digest.clone() else {
            return vec![format!("the {kind} names no digest")];
        };
        let moved = Target {
            app: e.app.clone(),
            digest,
            from: e.data_str("from").unwrap_or_default().to_string(),
            to: e.env.clone(),
        };
        for a in e.counted_approvals() {
            if a >= e.seq {
                out.push(format!(
                    "the {kind} counted event {a}, which is not before it"
                ));
                continue;
            }
            if let Some(first) = self.used_by.insert(a, e.seq) {
                out.push(format!(
                    "approval {a} was already consumed by event {first}"
                ));
            }
            match self.approvals.get(&a) {
                None => out.push(absent(a)),
                Some(Approval { signed: None }) => out.push(format!(
                    "the {kind} counted approval {a}, whose signed message is unreadable"
                )),
                Some(Approval {
                    signed: Some(signed),
                }) if signed != &moved => out.push(format!(
                    "the {kind} counted approval {a}, which is signed for {}, not for this {}",
                    describe(signed),
                    describe(&moved)
                )),
                Some(_) => {}
            }
        }
        out
    }
}

fn describe(t: &Target) -> String {
    format!("{} {} {} → {}", t.app, t.digest.short(), t.from, t.to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Digest;

    fn anchor(seq: i64, hash: &str) -> Anchor {
        Anchor {
            seq,
            hash: hash.to_string(),
        }
    }

    #[test]
    fn the_first_field_the_event_changed_after_signing_is_named() {
        assert_eq!(agree("check", &[("app", "api", "api")]), Ok(()));
        assert_eq!(
            agree(
                "incident",
                &[
                    ("app", "api", "api"),
                    ("id", "INC-1", "INC-2"),
                    ("summary", "a", "b")
                ]
            ),
            Err(
                "the incident's signed message says id \"INC-1\", the event says \"INC-2\": it was altered"
                    .into()
            )
        );
    }

    #[test]
    fn an_anchor_must_be_an_earlier_event_with_its_hash() {
        let (h, other) = ("a".repeat(64), "b".repeat(64));
        let ok = |at| check_anchor(10, EventKind::Approval, &anchor(7, &h), at);
        assert_eq!(ok(AtSeq::Hash(h.clone())), None);
        assert_eq!(ok(AtSeq::Unknown), None);
        let rewritten = ok(AtSeq::Hash(other.clone())).unwrap();
        assert!(rewritten.contains("removed or rewritten"), "{rewritten}");
        let missing = ok(AtSeq::Missing).unwrap();
        assert!(missing.contains("does not have"), "{missing}");
        let later = check_anchor(7, EventKind::Promotion, &anchor(7, &h), AtSeq::Unknown);
        assert!(later.unwrap().contains("events before it were removed"));
        assert_eq!(
            check_anchor(3, EventKind::Approval, &Anchor::genesis(), AtSeq::Missing),
            None
        );
        assert!(check_anchor(3, EventKind::Approval, &anchor(0, &h), AtSeq::Missing).is_some());
    }

    #[test]
    fn an_unplaced_event_states_the_move_it_keeps() {
        use crate::signing::{EventMessage, Move, MovePlace};
        let (x, w) = (Digest::of(b"x"), Digest::of(b"w"));
        let m = EventMessage::new(
            Move {
                kind: PROMOTION_KIND,
                app: "api".into(),
                env: "staging".into(),
                from: Some("dev".into()),
                digest: w.clone(),
                previous: Some(x.clone()),
                repository: "local/payments/api".into(),
                place: MovePlace::Tag("staging".into()),
                approvals: Vec::new(),
                deployed_at: None,
            },
            "bob@example.com",
            "2026-11-25T08:00:00Z".parse().unwrap(),
            &Anchor::genesis(),
        );
        let message = String::from_utf8(m.to_bytes()).unwrap();
        let mut e = Event {
            seq: 9,
            at: "2026-11-25T09:00:00Z".parse().unwrap(),
            kind: EventKind::Unplaced,
            app: "api".into(),
            env: "staging".into(),
            digest: Some(w),
            actor: Some("bob@example.com".into()),
            data: serde_json::json!({
                "moved": "promotion",
                "previous": x.as_str(),
                "message": message,
                "signature": "-----BEGIN SSH SIGNATURE-----",
                "imported": { "artifact": Digest::of(b"a").as_str() },
            }),
            prev_hash: String::new(),
            hash: String::new(),
        };
        assert_eq!(
            signed_statement(&e).unwrap().map(|(m, _)| m),
            Some(message.clone())
        );
        assert_eq!(stated_anchor(&e), Ok(None), "it anchors nothing here");
        // Its kind, its previous digest and its message must agree.
        e.data["moved"] = "rollback".into();
        assert!(signed_statement(&e).unwrap_err().contains("kind"));
        e.data["moved"] = "approval".into();
        assert!(signed_statement(&e).unwrap_err().contains("data.moved"));
        e.data["moved"] = "promotion".into();
        e.data["previous"] = Digest::of(b"y").as_str().into();
        assert!(signed_statement(&e).unwrap_err().contains("previous"));
        e.data["previous"] = x.as_str().into();
        e.data.as_object_mut().unwrap().remove("message");
        assert!(signed_statement(&e)
            .unwrap_err()
            .contains("no signed message"));
    }

    #[test]
    fn describes_a_move() {
        let t = Target {
            app: "api".into(),
            digest: Digest::of(b"x"),
            from: "staging".into(),
            to: "production".into(),
        };
        assert!(describe(&t).starts_with("api ") && describe(&t).ends_with("staging → production"));
    }
}
