//! The facts the conflict rules (`report::conflicts`) decide on, read from the events of the
//! history, whatever their origin: promotions and rollbacks (their signed message says the
//! previous digest and the approvals consumed), records and drift (which put a digest back),
//! approvals (by the sha256 of their signed message) and observations (what syncs saw).
//!
//! A teammate's move this history does not place (an `unplaced` event: `data.moved` is its
//! signed kind) is read as a move of that kind, imported, and deduplicated by its signed
//! message against a placed copy of it (a later sync may import it once it fits): the placed
//! one is kept. So a fork between this desktop's promotion and a teammate's that did not fit is
//! detected, even though the teammate's never entered the timeline.
//!
//! Only app × environments with at least one imported promotion or rollback (`data.imported`)
//! or unplaced event are read in full: on one desktop the promotion journal serializes moves
//! and approvals are reserved, so every conflict involves a teammate's event. That keeps
//! `status` cheap on a large history without any team events.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::events::{read_event, COLUMNS};
use super::Store;
use crate::domain::{Digest, Event, EventKind};
use crate::report::conflicts::{detect, ApprovalFacts, Conflict, Landing, MoveFacts};
use crate::signing::{approval_id, EventMessage};
use crate::Result;

impl Store {
    /// The conflicts of one app (or all): see `report::conflicts` for the rules.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn conflicts(&self, app: Option<&str>) -> Result<Vec<Conflict>> {
        let mut facts = Vec::new();
        let mut approvals = HashMap::new();
        for (a, e) in lanes_with_imported_moves(&self.conn, app)? {
            lane_facts(&self.conn, &a, &e, &mut facts, &mut approvals)?;
        }
        Ok(detect(&facts, &approvals))
    }
}

/// The app × environments with an imported promotion or rollback, or an unplaced event.
fn lanes_with_imported_moves(
    conn: &Connection,
    app: Option<&str>,
) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT app, env FROM heads ORDER BY app, env")?;
    let lanes: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut any = conn.prepare_cached(
        "SELECT 1 FROM events WHERE app = ?1 AND env = ?2
           AND (kind = 'unplaced' OR (kind IN ('promotion', 'rollback')
                AND json_extract(data, '$.imported') IS NOT NULL)) LIMIT 1",
    )?;
    let mut out = Vec::new();
    for (a, e) in lanes {
        if app.is_some_and(|x| x != a) {
            continue;
        }
        if any
            .query_row(params![a, e], |_| Ok(()))
            .optional()?
            .is_some()
        {
            out.push((a, e));
        }
    }
    Ok(out)
}

/// Read one app × environment's moves, records, drift and approvals into `facts` and
/// `approvals`.
fn lane_facts(
    conn: &Connection,
    app: &str,
    env: &str,
    facts: &mut Vec<MoveFacts>,
    approvals: &mut HashMap<String, ApprovalFacts>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM events WHERE app = ?1 AND env = ?2
           AND kind IN ('approval', 'promotion', 'rollback', 'record', 'drift', 'unplaced')
         ORDER BY seq"
    ))?;
    let mut rows = stmt.query(params![app, env])?;
    let mut events = Vec::new();
    while let Some(r) = rows.next()? {
        events.push(read_event(r)?);
    }
    // Approvals first: an unsigned move names its approvals by seq.
    let mut id_of_seq = HashMap::new();
    for e in events.iter().filter(|e| e.kind == EventKind::Approval) {
        if let Some(m) = e.data_str("message") {
            let id = approval_id(m.as_bytes());
            id_of_seq.insert(e.seq, id.clone());
            approvals.entry(id).or_insert(ApprovalFacts {
                seq: e.seq,
                actor: e.actor.clone(),
            });
        }
    }
    let mut unplaced = Vec::new();
    for e in events.iter().filter(|e| e.kind != EventKind::Approval) {
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
            if let Ok(m) = EventMessage::parse(text.as_bytes()) {
                if m.digest == f.digest {
                    f.previous = m.previous.as_deref().and_then(|p| Digest::parse(p).ok());
                    f.approvals = m.approvals.clone();
                    f.at = m.signed_at().unwrap_or(e.at);
                    f.actor = Some(m.signer.clone());
                    f.id = approval_id(text.as_bytes());
                }
            }
        }
        if f.imported && f.is_move() {
            f.landing = landing(conn, e, &f)?;
        }
        if f.unplaced {
            unplaced.push(f);
        } else {
            facts.push(f);
        }
    }
    // The same move placed (imported once it fitted) and kept unplaced before: the placed one.
    let placed: std::collections::HashSet<String> = facts
        .iter()
        .filter(|f| f.app == app && f.env == env)
        .map(|f| f.id.clone())
        .collect();
    facts.extend(unplaced.into_iter().filter(|f| !placed.contains(&f.id)));
    Ok(())
}

/// What the syncs saw of move `e`'s tag: the first observation after it is in this history,
/// and whether any observation after it was signed (or imported) shows its digest.
fn landing(conn: &Connection, e: &Event, f: &MoveFacts) -> Result<Landing> {
    let mut first = conn.prepare_cached(
        "SELECT seq, digest FROM events WHERE app = ?1 AND env = ?2 AND kind = 'observation'
           AND seq > ?3 ORDER BY seq LIMIT 1",
    )?;
    let first_sync_after = first
        .query_row(params![e.app, e.env, e.seq], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .optional()?
        .map(|(seq, d)| (seq, d.and_then(|d| Digest::parse(&d).ok())));
    let mut seen = conn.prepare_cached(
        "SELECT 1 FROM events WHERE app = ?1 AND env = ?2 AND kind = 'observation'
           AND digest = ?3 AND (seq > ?4 OR at >= ?5) LIMIT 1",
    )?;
    let seen = seen
        .query_row(
            params![
                e.app,
                e.env,
                f.digest.as_str(),
                e.seq,
                super::chain::format_at(f.at)
            ],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    Ok(Landing {
        first_sync_after,
        seen,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::domain::NewEvent;
    use crate::report::conflicts::ConflictKind;
    use crate::signing::{Anchor, Move, PROMOTION_KIND};

    fn t(h: i64) -> DateTime<Utc> {
        "2026-11-25T08:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(h)
    }

    fn d(name: &str) -> Digest {
        Digest::of(name.as_bytes())
    }

    fn approval(seq_note: &str, h: i64) -> NewEvent {
        let message = format!("{{\"approval\":\"{seq_note}\"}}");
        NewEvent {
            at: t(h),
            kind: EventKind::Approval,
            app: "api".into(),
            env: "production".into(),
            digest: Some(d("Y")),
            actor: Some("quinn@example.com".into()),
            data: serde_json::json!({ "from": "staging", "to": "production", "message": message }),
        }
    }

    /// A promotion of `to` into production from `previous`, signed by `signer` at hour `h`,
    /// consuming the approvals whose messages are `approvals`; `imported` as a teammate's.
    fn promotion(
        signer: &str,
        previous: &str,
        to: &str,
        h: i64,
        approvals: &[&str],
        imported: bool,
    ) -> NewEvent {
        let message = EventMessage::new(
            Move {
                kind: PROMOTION_KIND,
                app: "api".into(),
                env: "production".into(),
                from: Some("staging".into()),
                digest: d(to),
                previous: Some(d(previous)),
                repository: "local/payments/api".into(),
                tag: "production".into(),
                approvals: approvals
                    .iter()
                    .map(|a| approval_id(format!("{{\"approval\":\"{a}\"}}").as_bytes()))
                    .collect(),
                deployed_at: None,
            },
            signer,
            t(h),
            &Anchor::genesis(),
        );
        let mut data = serde_json::json!({
            "from": "staging",
            "previous": d(previous).as_str(),
            "message": String::from_utf8(message.to_bytes()).unwrap(),
            "signature": "-----BEGIN SSH SIGNATURE-----",
        });
        if imported {
            data["imported"] = serde_json::json!({ "artifact": d(signer).as_str() });
        }
        NewEvent {
            at: t(h),
            kind: EventKind::Promotion,
            app: "api".into(),
            env: "production".into(),
            digest: Some(d(to)),
            actor: Some(signer.into()),
            data,
        }
    }

    /// Imported promotion `p` (from `previous`) kept as an `unplaced` event instead (this
    /// history does not place it).
    fn unplaced(p: &NewEvent, previous: &str) -> NewEvent {
        let p = p.clone();
        NewEvent {
            at: p.at + Duration::hours(1),
            kind: EventKind::Unplaced,
            actor: p.actor,
            app: p.app,
            env: p.env,
            digest: p.digest,
            data: serde_json::json!({
                "moved": "promotion",
                "previous": d(previous).as_str(),
                "why": "it moves api production from X to W, but this history has Y there",
                "message": p.data["message"],
                "signature": p.data["signature"],
                "imported": p.data["imported"],
            }),
        }
    }

    fn observation(digest: &str, h: i64) -> NewEvent {
        NewEvent {
            at: t(h),
            kind: EventKind::Observation,
            app: "api".into(),
            env: "production".into(),
            digest: Some(d(digest)),
            actor: None,
            data: serde_json::json!({ "repository": "local/payments/api", "tag": "production" }),
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, s)
    }

    #[test]
    fn two_promotions_from_one_previous_digest_are_a_fork() {
        let (_dir, mut s) = store();
        s.append(vec![
            observation("X", 0),
            promotion("alice", "X", "Y", 1, &[], false),
            observation("Y", 2),
            promotion("bob", "X", "W", 1, &[], true),
        ])
        .unwrap();
        let c = s.conflicts(None).unwrap();
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].kind, ConflictKind::Fork);
        assert_eq!(
            (c[0].app.as_str(), c[0].env.as_str()),
            ("api", "production")
        );
        assert_eq!(c[0].seqs(), vec![2, 4]);
        let actors: Vec<_> = c[0]
            .events
            .iter()
            .map(|e| e.actor.clone().unwrap())
            .collect();
        assert_eq!(actors, vec!["alice", "bob"]);
        assert!(
            c[0].description.contains(d("X").short()),
            "{}",
            c[0].description
        );
        assert!(!c[0].description.contains('\n'));
        // Another app's question, and a history without imported moves, find nothing.
        assert!(s.conflicts(Some("web")).unwrap().is_empty());
        let (_d2, mut local) = store();
        local
            .append(vec![
                observation("X", 0),
                promotion("alice", "X", "Y", 1, &[], false),
                promotion("bob", "X", "W", 1, &[], false),
            ])
            .unwrap();
        assert!(local.conflicts(None).unwrap().is_empty());
    }

    #[test]
    fn an_unplaced_teammate_promotion_forks_with_a_local_one_and_counts_once() {
        // Alice promoted X→Y here; Bob's X→W fitted nowhere (the tag showed W: drift) and was
        // kept unplaced. No imported promotion at all: the lane is read for the unplaced one.
        let (_dir, mut s) = store();
        let mut drift = observation("W", 3);
        drift.kind = EventKind::Drift;
        let bobs = promotion("bob", "X", "W", 2, &[], true);
        s.append(vec![
            observation("X", 0),
            promotion("alice", "X", "Y", 1, &[], false),
            observation("Y", 1),
            drift,
            observation("W", 3),
            unplaced(&bobs, "X"),
        ])
        .unwrap();
        let c = s.conflicts(None).unwrap();
        assert_eq!(c.len(), 1, "one fork, not also a move not seen: {c:?}");
        assert_eq!(c[0].kind, ConflictKind::Fork);
        assert_eq!(c[0].seqs(), vec![2, 6]);
        assert_eq!(c[0].events[1].kind, EventKind::Unplaced);
        assert!(c[0].events[1].imported);
        let actors: Vec<_> = c[0].events.iter().map(|e| e.actor.clone()).collect();
        assert_eq!(actors, vec![Some("alice".into()), Some("bob".into())]);
        assert!(
            c[0].description
                .contains("unplaced promotion 6 by bob (imported)"),
            "{}",
            c[0].description
        );
        // The timeline did not move for it: W runs by the drift, not by Bob's promotion.
        let head = s.head("api", "production").unwrap();
        assert_eq!(head.segment.unwrap().seq, 4);

        // Imported later (it came to fit), the same move is one move: the placed copy is named.
        s.append(vec![bobs]).unwrap();
        let c = s.conflicts(None).unwrap();
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].seqs(), vec![2, 7]);
        assert_eq!(c[0].events[1].kind, EventKind::Promotion);
    }

    #[test]
    fn an_unplaced_move_no_sync_saw_and_in_no_fork_is_a_move_not_seen() {
        // This history only observed X (no move from X here); Bob's X→W is unplaced, and the
        // sync after it still sees X.
        let (_dir, mut s) = store();
        s.append(vec![
            observation("X", 0),
            observation("X", 4),
            unplaced(&promotion("bob", "X", "W", 2, &[], true), "X"),
        ])
        .unwrap();
        assert!(s.conflicts(None).unwrap().is_empty(), "not judged yet");
        s.append(vec![observation("X", 5)]).unwrap();
        let c = s.conflicts(None).unwrap();
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].kind, ConflictKind::MoveNotSeen);
        assert_eq!(c[0].seqs(), vec![3, 4]);
    }

    #[test]
    fn one_approval_consumed_by_two_promotions_is_named() {
        let (_dir, mut s) = store();
        s.append(vec![
            observation("X", 0),
            approval("qa-1", 0),
            promotion("alice", "X", "Y", 1, &["qa-1"], false),
            observation("Y", 2),
            // Bob's promotion after alice's (previous Y): no fork, but the same approval.
            promotion("bob", "Y", "Y2", 3, &["qa-1"], true),
            observation("Y2", 4),
        ])
        .unwrap();
        let c = s.conflicts(None).unwrap();
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].kind, ConflictKind::ApprovalReused);
        assert_eq!(c[0].seqs(), vec![2, 3, 5], "the approval, then both moves");
        assert!(
            c[0].description.contains("approval 2 by quinn@example.com"),
            "{}",
            c[0].description
        );
    }

    #[test]
    fn an_imported_promotion_no_sync_saw_land_is_a_move_not_seen() {
        let (_dir, mut s) = store();
        s.append(vec![
            observation("X", 0),
            promotion("bob", "X", "W", 1, &[], true),
        ])
        .unwrap();
        assert!(
            s.conflicts(None).unwrap().is_empty(),
            "not judged before a sync after it"
        );
        s.append(vec![observation("X", 2)]).unwrap();
        let c = s.conflicts(None).unwrap();
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].kind, ConflictKind::MoveNotSeen);
        assert_eq!(c[0].seqs(), vec![2, 3]);
        assert!(c[0].description.contains("event 3"), "{}", c[0].description);

        // Seen by the sync that imported it (observation before the import, after signing):
        // it landed.
        let (_d2, mut s) = store();
        s.append(vec![
            observation("X", 0),
            observation("W", 2),
            promotion("bob", "X", "W", 1, &[], true),
            observation("X", 3),
        ])
        .unwrap();
        assert!(s.conflicts(None).unwrap().is_empty());

        // Moved on from W by a later move: it landed, even if no sync saw it.
        let (_d3, mut s) = store();
        s.append(vec![
            observation("X", 0),
            promotion("bob", "X", "W", 1, &[], true),
            promotion("bob", "W", "V", 2, &[], true),
            observation("V", 3),
        ])
        .unwrap();
        assert!(s.conflicts(None).unwrap().is_empty());
    }
}
