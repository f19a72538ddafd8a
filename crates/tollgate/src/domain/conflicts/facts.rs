//! The facts the conflict rules decide on, derived from the events of the history, whatever
//! their origin: promotions and rollbacks (their signed message says the previous digest and the
//! approvals consumed), records and drift (which put a digest back), approvals (by the sha256 of
//! their signed message) and observations (what syncs saw: a move's [`Landing`]).
//!
//! A teammate's move this history does not place (an `unplaced` event: `data.moved` is its
//! signed kind) is read as a move of that kind, imported, and deduplicated by its signed
//! message against a placed copy of it (a later sync may import it once it fits): the placed
//! one is kept. So a fork between this desktop's promotion and a teammate's that did not fit is
//! detected, even though the teammate's never entered the timeline.
//!
//! The signed message format is `signing`'s: the caller reads a message into a [`SignedMove`]
//! (`signing::signed_move`), so that these rules stay below it. Pure: no clock, no I/O.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{detect, ApprovalFacts, Conflict, Landing, MoveFacts};
use crate::domain::statement::message_sha256;
use crate::domain::{Digest, Event, EventKind};

/// What the signed message of a record, promotion or rollback (`data.message`) states, as the
/// rules read it; `None` from the reader when the text is not such a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMove {
    pub digest: Digest,
    /// What ran before, as the signer's history knew it (`None`: nothing, or unreadable).
    pub previous: Option<Digest>,
    /// The approvals it consumed, as sha256 hex of their signed messages.
    pub approvals: Vec<String>,
    /// When it was signed (`None`: unreadable; the event's time is used).
    pub signed_at: Option<DateTime<Utc>>,
    /// The identity that signed it.
    pub signer: String,
}

/// The facts of the lanes the rules judge (see [`facts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub moves: Vec<MoveFacts>,
    /// The approvals of those lanes, by id.
    pub approvals: HashMap<String, ApprovalFacts>,
}

/// Whether conflicts can arise from `e`: a teammate's promotion or rollback (`data.imported`),
/// or an `unplaced` event. Only the app × environments with one are judged.
pub fn team_move(e: &Event) -> bool {
    e.kind == EventKind::Unplaced
        || (matches!(e.kind, EventKind::Promotion | EventKind::Rollback)
            && e.data.get("imported").is_some_and(|v| !v.is_null()))
}

/// The conflicts of the history `events` (any order; several app × environments): [`facts`],
/// then [`detect`]. `read` reads a signed event message (`signing::signed_move`).
pub fn conflicts_of<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    read: &dyn Fn(&str) -> Option<SignedMove>,
) -> Vec<Conflict> {
    let facts = facts(events, read);
    detect(&facts.moves, &facts.approvals)
}

/// What the landing rule asks of the observations of a teammate's move's lane
/// ([`landing_queries`]): the first observation after event `seq`, and one that shows `digest`
/// made after it or at or after `at` (when it was signed, else appended), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandingQuery {
    pub app: String,
    pub env: String,
    pub seq: i64,
    pub digest: Digest,
    pub at: DateTime<Utc>,
}

/// The landing queries of the imported moves in the lanes [`facts`] judges among `events`. A
/// history too large to read whole answers them (two observations each, at most) and adds those
/// observations to the other events of those lanes: [`facts`] then gives what it gives over the
/// whole history.
pub fn landing_queries<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    read: &dyn Fn(&str) -> Option<SignedMove>,
) -> Vec<LandingQuery> {
    facts(events, read)
        .moves
        .into_iter()
        .filter(|f| f.imported && f.is_move())
        .map(|f| LandingQuery {
            app: f.app,
            env: f.env,
            seq: f.seq,
            digest: f.digest,
            at: f.at,
        })
        .collect()
}

/// The facts of the app × environments of `events` that hold a [`team_move`]: their moves,
/// records and drift (with the [`Landing`] of each imported move), and their approvals. `events`
/// is a whole history or, for the lanes judged, all their approvals, promotions, rollbacks,
/// records, drift and unplaced events and, of their observations, at least the answers to their
/// [`landing_queries`]: the facts are the same.
pub fn facts<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    read: &dyn Fn(&str) -> Option<SignedMove>,
) -> Facts {
    let mut sorted: Vec<&Event> = events.into_iter().collect();
    sorted.sort_by_key(|e| e.seq);
    let mut lanes: BTreeMap<(&str, &str), Vec<&Event>> = BTreeMap::new();
    for e in sorted {
        lanes.entry((&e.app, &e.env)).or_default().push(e);
    }
    let mut out = Facts::default();
    for lane in lanes.values() {
        if lane.iter().any(|e| team_move(e)) {
            lane_facts(lane, read, &mut out);
        }
    }
    out
}

/// One app × environment's moves, records, drift and approvals (`lane`, in `seq` order) into
/// `out`.
fn lane_facts(lane: &[&Event], read: &dyn Fn(&str) -> Option<SignedMove>, out: &mut Facts) {
    let observations: Vec<&Event> = lane
        .iter()
        .copied()
        .filter(|e| e.kind == EventKind::Observation)
        .collect();
    // Approvals first: an unsigned move names its approvals by seq.
    let mut id_of_seq = HashMap::new();
    for e in lane.iter().filter(|e| e.kind == EventKind::Approval) {
        if let Some(m) = e.data_str("message") {
            let id = message_sha256(m.as_bytes());
            id_of_seq.insert(e.seq, id.clone());
            out.approvals.entry(id).or_insert(ApprovalFacts {
                seq: e.seq,
                actor: e.actor.clone(),
            });
        }
    }
    let mut placed = Vec::new();
    let mut unplaced = Vec::new();
    for e in lane.iter().filter(|e| {
        matches!(
            e.kind,
            EventKind::Promotion
                | EventKind::Rollback
                | EventKind::Record
                | EventKind::Drift
                | EventKind::Unplaced
        )
    }) {
        let Some(digest) = e.digest.clone() else {
            continue;
        };
        // An unplaced event is read as the move it keeps (its signed kind).
        let kind = match e.kind {
            EventKind::Unplaced => match e.data_str("moved").and_then(EventKind::parse) {
                Some(k @ (EventKind::Promotion | EventKind::Rollback | EventKind::Record)) => k,
                _ => continue,
            },
            k => k,
        };
        let mut f = MoveFacts {
            seq: e.seq,
            kind,
            app: e.app.clone(),
            env: e.env.clone(),
            digest,
            previous: e.data_str("previous").and_then(|p| Digest::parse(p).ok()),
            approvals: e
                .counted_approvals()
                .iter()
                .filter_map(|s| id_of_seq.get(s).cloned())
                .collect(),
            at: e.at,
            actor: e.actor.clone(),
            imported: e.data.get("imported").is_some_and(|v| !v.is_null()),
            id: format!("seq:{}", e.seq),
            landing: Landing::default(),
            unplaced: e.kind == EventKind::Unplaced,
        };
        if let Some(text) = e.data_str("message") {
            if let Some(m) = read(text) {
                if m.digest == f.digest {
                    f.previous = m.previous;
                    f.approvals = m.approvals;
                    f.at = m.signed_at.unwrap_or(e.at);
                    f.actor = Some(m.signer);
                    f.id = message_sha256(text.as_bytes());
                }
            }
        }
        if f.imported && f.is_move() {
            f.landing = landing(&observations, e.seq, &f);
        }
        if f.unplaced {
            unplaced.push(f);
        } else {
            placed.push(f);
        }
    }
    // The same move placed (imported once it fitted) and kept unplaced before: the placed one.
    let ids: HashSet<&str> = placed.iter().map(|f| f.id.as_str()).collect();
    let unplaced: Vec<MoveFacts> = unplaced
        .into_iter()
        .filter(|f| !ids.contains(f.id.as_str()))
        .collect();
    out.moves.extend(placed);
    out.moves.extend(unplaced);
}

/// What the syncs saw of the tag of move `f` (event `seq`): the first observation after it is
/// in this history, and whether any observation after that, or made at or after the time it was
/// signed, shows its digest. `observations` are its lane's, in `seq` order.
fn landing(observations: &[&Event], seq: i64, f: &MoveFacts) -> Landing {
    Landing {
        first_sync_after: observations
            .iter()
            .find(|o| o.seq > seq)
            .map(|o| (o.seq, o.digest.clone())),
        seen: observations
            .iter()
            .any(|o| o.digest.as_ref() == Some(&f.digest) && (o.seq > seq || o.at >= f.at)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::conflicts::ConflictKind;

    fn t(min: i64) -> DateTime<Utc> {
        "2026-11-25T08:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(min)
    }

    fn d(name: &str) -> Digest {
        Digest::of(name.as_bytes())
    }

    fn ev(seq: i64, kind: EventKind, digest: &str, min: i64, data: serde_json::Value) -> Event {
        Event {
            seq,
            at: t(min),
            kind,
            app: "api".into(),
            env: "production".into(),
            digest: Some(d(digest)),
            actor: Some(format!("actor{seq}")),
            data,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn observation(seq: i64, digest: &str, min: i64) -> Event {
        ev(
            seq,
            EventKind::Observation,
            digest,
            min,
            serde_json::json!({}),
        )
    }

    /// Bob's promotion `previous → to`, imported; its message (read by `read` below) says it
    /// was signed at minute `signed`.
    fn imported(seq: i64, previous: &str, to: &str, min: i64, signed: i64) -> Event {
        ev(
            seq,
            EventKind::Promotion,
            to,
            min,
            serde_json::json!({
                "previous": d(previous).as_str(),
                "message": format!("{to} {previous} {signed}"),
                "imported": { "artifact": "a" },
            }),
        )
    }

    /// Reads the test messages `"<to> <previous> <signed minute>"`.
    fn read(text: &str) -> Option<SignedMove> {
        let mut parts = text.split(' ');
        let (to, previous, signed) = (parts.next()?, parts.next()?, parts.next()?);
        Some(SignedMove {
            digest: d(to),
            previous: Some(d(previous)),
            approvals: Vec::new(),
            signed_at: Some(t(signed.parse().ok()?)),
            signer: "bob".into(),
        })
    }

    #[test]
    fn a_move_is_seen_by_an_observation_after_it_or_made_after_it_was_signed() {
        // Imported at minute 10, signed at minute 5; the sync at minute 6 (before the import)
        // saw W: it landed.
        let events = vec![
            observation(1, "X", 0),
            observation(2, "W", 6),
            imported(3, "X", "W", 10, 5),
            observation(4, "X", 11),
        ];
        let f = facts(&events, &read);
        assert_eq!(f.moves.len(), 1);
        assert_eq!(
            f.moves[0].landing,
            Landing {
                first_sync_after: Some((4, Some(d("X")))),
                seen: true
            }
        );
        assert_eq!(f.moves[0].at, t(5), "the signing time");
        assert_eq!(
            landing_queries(&events, &read),
            vec![LandingQuery {
                app: "api".into(),
                env: "production".into(),
                seq: 3,
                digest: d("W"),
                at: t(5),
            }],
            "what a store asks of the observations for it"
        );
        assert_eq!(f.moves[0].id, message_sha256(b"W X 5"));
        assert!(conflicts_of(&events, &read).is_empty());
        // Seen before it was signed only: not seen, and no sync after it saw it either.
        let events = vec![
            observation(1, "W", 0),
            observation(2, "X", 1),
            imported(3, "X", "W", 10, 5),
            observation(4, "X", 11),
        ];
        let c = conflicts_of(&events, &read);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].kind, ConflictKind::MoveNotSeen);
        assert_eq!(c[0].seqs(), vec![3, 4]);
        // Not judged before a sync after it.
        assert!(conflicts_of(&events[..3], &read).is_empty());
    }

    #[test]
    fn only_lanes_with_a_teammates_move_are_judged() {
        // Two local promotions from X (the journal serializes them on one desktop): not judged.
        let local = |seq, to: &str| {
            ev(
                seq,
                EventKind::Promotion,
                to,
                seq,
                serde_json::json!({ "previous": d("X").as_str() }),
            )
        };
        let mut events = vec![observation(1, "X", 0), local(2, "Y"), local(3, "W")];
        assert!(facts(&events, &read).moves.is_empty());
        assert!(conflicts_of(&events, &read).is_empty());
        // A teammate's move in the lane: all of it is judged.
        events.push(imported(4, "Y", "V", 4, 4));
        events.push(observation(5, "V", 5));
        let c = conflicts_of(&events, &read);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].kind, ConflictKind::Fork);
        assert_eq!(c[0].seqs(), vec![2, 3]);
        // In any order.
        events.reverse();
        assert_eq!(conflicts_of(&events, &read), c);
    }
}
