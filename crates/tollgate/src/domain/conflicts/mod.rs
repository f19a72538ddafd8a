//! Conflicts in the team's history: what two desktops did that cannot both be right. Registries
//! have no compare-and-swap, so Tollgate cannot prevent them; it detects them from the events in
//! the local history (local and imported alike) and shows them, never resolving one silently.
//!
//! The rules, over the promotions and rollbacks ("moves") of one app × environment:
//! - [`ConflictKind::Fork`]: two moves from the same previous digest to different digests, with
//!   nothing putting that previous digest back between them (a move, record or drift to it, by
//!   signing time). A move whose previous is "nothing ran" is not compared.
//! - [`ConflictKind::ApprovalReused`]: one approval (named by the sha256 of its signed message,
//!   as promotion messages list them) consumed by two different moves.
//! - [`ConflictKind::MoveNotSeen`]: a teammate's (imported) move whose tag change no sync of this
//!   history ever saw: a sync ran after the history learned of it, no observation made after it
//!   was signed or after it was imported shows its digest, and no later move or record says it
//!   moved on from that digest. A move this desktop made is appended only after its tag PUT
//!   succeeded (or the tag was read back showing it), so it is not checked.
//!
//! A teammate's move this history does not place (an `unplaced` event, read as a move of its
//! signed kind, imported) counts in every rule like an imported one, with one exception: when
//! it is part of a fork it is not also a move not seen. The fork already names it and says only
//! one of the moves can be what the tag shows; that the tag shows the other one is the same
//! conflict, not a second. An unplaced move in no fork is checked like any imported move.
//!
//! Only app × environments with a teammate's promotion or rollback (`data.imported`) or an
//! unplaced event are judged: on one desktop the promotion journal serializes moves and
//! approvals are reserved, so every conflict involves a teammate's event.
//!
//! [`facts`] derives what the rules decide on from the events of the history ([`conflicts_of`]:
//! both at once); the store only reads those events (`Store::conflict_events`, and the
//! observations that answer the [`landing_queries`]), the API calls these, and `verify FILE`
//! calls them on a report's events. No clock, no I/O.

mod facts;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::{Digest, EventKind};

pub use facts::{conflicts_of, facts, landing_queries, team_move, Facts, LandingQuery, SignedMove};

/// What kind of conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ConflictKind {
    /// Two promotions (or rollbacks) from the same previous digest to different digests.
    Fork,
    /// One approval consumed by two promotions.
    ApprovalReused,
    /// A promotion record whose tag move no sync ever saw.
    MoveNotSeen,
}

impl ConflictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::Fork => "fork",
            ConflictKind::ApprovalReused => "approval_reused",
            ConflictKind::MoveNotSeen => "move_not_seen",
        }
    }
}

/// One event a conflict involves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConflictEvent {
    #[ts(type = "number")]
    pub seq: i64,
    pub kind: EventKind,
    /// Who signed it (an identity), when known.
    pub actor: Option<String>,
    /// It came from a teammate's desktop (`data.imported`).
    pub imported: bool,
}

/// A conflict in the history (`status --json` rows, the overview, `verify`, exports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Conflict {
    pub kind: ConflictKind,
    pub app: String,
    pub env: String,
    /// The events involved, by `seq`.
    pub events: Vec<ConflictEvent>,
    /// One line for people, naming the events, their actors and the digests.
    pub description: String,
}

impl Conflict {
    /// The `seq`s of the events involved.
    pub fn seqs(&self) -> Vec<i64> {
        self.events.iter().map(|e| e.seq).collect()
    }
}

/// A promotion, rollback, record or drift of one app × environment, as the rules read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveFacts {
    pub seq: i64,
    pub kind: EventKind,
    pub app: String,
    pub env: String,
    pub digest: Digest,
    /// What ran before, as the signer's history knew it (`None`: nothing, or unknown).
    pub previous: Option<Digest>,
    /// The approvals it consumed, as sha256 hex of their signed messages.
    pub approvals: Vec<String>,
    /// When it was signed (the message's `at`), else when it was appended.
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub imported: bool,
    /// The same move seen twice (a local event and its imported copy) has the same id: the
    /// sha256 of its signed message, or `seq:N` for an unsigned one.
    pub id: String,
    /// What the syncs saw of its tag (only asked for imported promotions and rollbacks).
    pub landing: Landing,
    /// An `unplaced` event: a teammate's move this history does not place (`kind` is its
    /// signed kind).
    pub unplaced: bool,
}

impl MoveFacts {
    /// A promotion or rollback (placed or not).
    pub fn is_move(&self) -> bool {
        matches!(self.kind, EventKind::Promotion | EventKind::Rollback)
    }

    /// The event as a conflict names it: its own kind (`unplaced` for an unplaced move).
    fn event(&self) -> ConflictEvent {
        ConflictEvent {
            seq: self.seq,
            kind: if self.unplaced {
                EventKind::Unplaced
            } else {
                self.kind
            },
            actor: self.actor.clone(),
            imported: self.imported,
        }
    }

    /// `promotion 9 by alice@example.com (imported)`, `unplaced promotion 12 by bob@example.com
    /// (imported)`
    fn name(&self) -> String {
        format!(
            "{}{} {} by {}{}",
            if self.unplaced { "unplaced " } else { "" },
            self.kind.as_str(),
            self.seq,
            self.actor.as_deref().unwrap_or("an unknown actor"),
            if self.imported { " (imported)" } else { "" }
        )
    }
}

/// What the syncs of this history saw of a move's tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Landing {
    /// An observation of the environment made after the move was in this history (a sync ran
    /// since): its `seq` and the digest it saw. `None`: not judged yet.
    pub first_sync_after: Option<(i64, Option<Digest>)>,
    /// Some observation made after the move was signed, or after it was in this history, shows
    /// its digest.
    pub seen: bool,
}

/// An approval of this app × environment in the history, by the id promotions name it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalFacts {
    pub seq: i64,
    pub actor: Option<String>,
}

/// The conflicts among `facts` (one app × environment or several), in a stable order: by app,
/// environment, kind, then the first event involved. `approvals` names the approvals the
/// history holds, by id (for the descriptions).
pub fn detect(facts: &[MoveFacts], approvals: &HashMap<String, ApprovalFacts>) -> Vec<Conflict> {
    // One fact per id: a move known twice is one move.
    let mut unique: Vec<&MoveFacts> = Vec::with_capacity(facts.len());
    let mut ids = std::collections::HashSet::new();
    let mut sorted: Vec<&MoveFacts> = facts.iter().collect();
    sorted.sort_by_key(|f| (f.at, f.seq));
    for f in sorted {
        if ids.insert((&f.app, &f.env, &f.id)) {
            unique.push(f);
        }
    }
    let mut lanes: BTreeMap<(&str, &str), Vec<&MoveFacts>> = BTreeMap::new();
    for f in unique {
        lanes.entry((&f.app, &f.env)).or_default().push(f);
    }
    let mut out = Vec::new();
    for ((app, env), lane) in lanes {
        let forks = forks(app, env, &lane);
        // An unplaced move in a fork is not also a move not seen (see the module's notes).
        let in_fork: Vec<i64> = forks.iter().flat_map(Conflict::seqs).collect();
        out.extend(reused(app, env, &lane, approvals));
        out.extend(not_seen(app, env, &lane, &in_fork));
        out.extend(forks);
    }
    out.sort_by_key(|c| {
        (
            c.app.clone(),
            c.env.clone(),
            c.kind,
            c.events.first().map(|e| e.seq),
        )
    });
    out
}

/// Two moves from the same previous digest to different digests, with nothing putting the
/// previous digest back between them. `lane` is in signing-time order.
fn forks(app: &str, env: &str, lane: &[&MoveFacts]) -> Vec<Conflict> {
    let mut by_previous: BTreeMap<&Digest, Vec<usize>> = BTreeMap::new();
    for (i, f) in lane.iter().enumerate() {
        if let (true, Some(p)) = (f.is_move(), &f.previous) {
            by_previous.entry(p).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (previous, moves) in by_previous {
        let mut involved: Vec<usize> = Vec::new();
        for (x, &i) in moves.iter().enumerate() {
            for &j in &moves[x + 1..] {
                let (a, b) = (lane[i], lane[j]);
                if a.digest == b.digest {
                    continue;
                }
                let put_back = lane.iter().enumerate().any(|(k, f)| {
                    k != i && k != j && &f.digest == previous && f.at >= a.at && f.at <= b.at
                });
                if !put_back {
                    for m in [i, j] {
                        if !involved.contains(&m) {
                            involved.push(m);
                        }
                    }
                }
            }
        }
        if involved.len() < 2 {
            continue;
        }
        involved.sort_by_key(|&i| lane[i].seq);
        let moves: Vec<&MoveFacts> = involved.iter().map(|&i| lane[i]).collect();
        let to: Vec<String> = moves
            .iter()
            .map(|m| format!("{} to {}", m.name(), m.digest.short()))
            .collect();
        out.push(Conflict {
            kind: ConflictKind::Fork,
            app: app.into(),
            env: env.into(),
            events: moves.iter().map(|m| m.event()).collect(),
            description: format!(
                "{app} {env}: {} moves from the same previous digest {} to different digests: {}; only one can be what the tag shows (registries have no compare-and-swap); find out which one the team means and promote or roll back to it",
                moves.len(),
                previous.short(),
                to.join(", ")
            ),
        });
    }
    out
}

/// One approval consumed by two moves.
fn reused(
    app: &str,
    env: &str,
    lane: &[&MoveFacts],
    approvals: &HashMap<String, ApprovalFacts>,
) -> Vec<Conflict> {
    let mut by_approval: BTreeMap<&str, Vec<&MoveFacts>> = BTreeMap::new();
    for f in lane.iter().filter(|f| f.is_move()) {
        for a in &f.approvals {
            by_approval.entry(a.as_str()).or_default().push(f);
        }
    }
    let mut out = Vec::new();
    for (id, mut moves) in by_approval {
        if moves.len() < 2 {
            continue;
        }
        moves.sort_by_key(|m| m.seq);
        let approval = match approvals.get(id) {
            Some(a) => format!(
                "approval {} by {} ({})",
                a.seq,
                a.actor.as_deref().unwrap_or("an unknown approver"),
                &id[..12.min(id.len())]
            ),
            None => format!("approval {} (not in this history)", &id[..12.min(id.len())]),
        };
        let names: Vec<String> = moves.iter().map(|m| m.name()).collect();
        let mut events: Vec<ConflictEvent> = moves.iter().map(|m| m.event()).collect();
        if let Some(a) = approvals.get(id) {
            events.insert(
                0,
                ConflictEvent {
                    seq: a.seq,
                    kind: EventKind::Approval,
                    actor: a.actor.clone(),
                    imported: false,
                },
            );
        }
        out.push(Conflict {
            kind: ConflictKind::ApprovalReused,
            app: app.into(),
            env: env.into(),
            events,
            description: format!(
                "{app} {env}: {approval} was consumed by {} moves: {}; an approval counts once, so at most one of them was approved by it",
                moves.len(),
                names.join(", ")
            ),
        });
    }
    out
}

/// Imported moves whose tag change no sync saw (not an unplaced one whose `seq` is in
/// `in_fork`).
fn not_seen(app: &str, env: &str, lane: &[&MoveFacts], in_fork: &[i64]) -> Vec<Conflict> {
    let mut out = Vec::new();
    for m in lane.iter().filter(|f| f.is_move() && f.imported) {
        if m.unplaced && in_fork.contains(&m.seq) {
            continue;
        }
        let Some((obs_seq, observed)) = &m.landing.first_sync_after else {
            continue;
        };
        if m.landing.seen {
            continue;
        }
        let moved_on = lane
            .iter()
            .any(|f| f.id != m.id && f.previous.as_ref() == Some(&m.digest) && f.at >= m.at);
        if moved_on {
            continue;
        }
        let saw = observed
            .as_ref()
            .map_or("no tag".to_string(), |d| d.short().to_string());
        out.push(Conflict {
            kind: ConflictKind::MoveNotSeen,
            app: app.into(),
            env: env.into(),
            events: vec![
                m.event(),
                ConflictEvent {
                    seq: *obs_seq,
                    kind: EventKind::Observation,
                    actor: None,
                    imported: false,
                },
            ],
            description: format!(
                "{app} {env}: {} says the tag moved to {}, but no sync saw it there (the sync after it, event {obs_seq}, saw {saw}); the move may never have happened: check the tag, then promote again or ask {}",
                m.name(),
                m.digest.short(),
                m.actor.as_deref().unwrap_or("its author")
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> Digest {
        Digest::of(&[n])
    }

    fn t(min: i64) -> DateTime<Utc> {
        "2026-11-25T08:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::minutes(min)
    }

    fn mv(seq: i64, kind: EventKind, previous: Option<u8>, digest: u8, min: i64) -> MoveFacts {
        MoveFacts {
            seq,
            kind,
            app: "api".into(),
            env: "production".into(),
            digest: d(digest),
            previous: previous.map(d),
            approvals: Vec::new(),
            at: t(min),
            actor: Some(format!("actor{seq}")),
            imported: false,
            id: format!("seq:{seq}"),
            landing: Landing::default(),
            unplaced: false,
        }
    }

    #[test]
    fn a_sequence_that_comes_back_to_the_previous_digest_is_not_a_fork() {
        // X→Y, Y→X (rollback), X→W: two moves from X, but X was put back between them.
        let facts = vec![
            mv(1, EventKind::Promotion, Some(1), 2, 0),
            mv(2, EventKind::Rollback, Some(2), 1, 1),
            mv(3, EventKind::Promotion, Some(1), 3, 2),
        ];
        assert!(detect(&facts, &HashMap::new()).is_empty());
        // Without the rollback it is one.
        let facts = vec![facts[0].clone(), facts[2].clone()];
        let c = detect(&facts, &HashMap::new());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, ConflictKind::Fork);
        assert_eq!(c[0].seqs(), vec![1, 3]);
        // The same move known twice (same id) is one move.
        let mut twice = facts[0].clone();
        twice.seq = 9;
        assert!(detect(&[facts[0].clone(), twice], &HashMap::new()).is_empty());
    }

    #[test]
    fn an_unplaced_move_in_a_fork_is_not_also_a_move_not_seen() {
        let unseen = Landing {
            first_sync_after: Some((9, Some(d(2)))),
            seen: false,
        };
        let mut theirs = mv(5, EventKind::Promotion, Some(1), 3, 1);
        (theirs.imported, theirs.unplaced, theirs.landing) = (true, true, unseen.clone());
        let facts = vec![mv(2, EventKind::Promotion, Some(1), 2, 0), theirs.clone()];
        let c = detect(&facts, &HashMap::new());
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].kind, ConflictKind::Fork);
        assert_eq!(c[0].events[1].kind, EventKind::Unplaced);
        // A placed imported move in the same fork is still checked (as before).
        theirs.unplaced = false;
        let c = detect(&[facts[0].clone(), theirs], &HashMap::new());
        let kinds: Vec<_> = c.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, vec![ConflictKind::Fork, ConflictKind::MoveNotSeen]);
    }
}
