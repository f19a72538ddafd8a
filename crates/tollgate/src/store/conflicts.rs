//! The events the team-conflict rules (`domain::conflicts`) decide on, read from the history:
//! the store returns events, `domain::conflicts::facts` derives the facts and the API calls the
//! rules (`api::conflicts`).
//!
//! Only app × environments with at least one imported promotion or rollback (`data.imported`)
//! or unplaced event are read (the rules judge no other lane): all their approvals, promotions,
//! rollbacks, records, drift and unplaced events ([`Store::conflict_events`]), and of their
//! observations only those that answer the rules' landing queries, two indexed lookups each
//! ([`Store::landing_observations`]). That keeps `status` cheap on a large history, without any
//! team events or with a sync's observation of every tag every few minutes, and the facts are
//! those of the whole lanes.

use rusqlite::{params, CachedStatement, Connection, Params};

use super::chain::format_at;
use super::events::{read_event, COLUMNS};
use super::Store;
use crate::domain::conflicts::LandingQuery;
use crate::domain::Event;
use crate::Result;

impl Store {
    /// The approvals, promotions, rollbacks, records, drift and unplaced events of the app ×
    /// environments of one app (or all) with a teammate's move, up to event `upto` (the whole
    /// history when `None`), by app × environment, then `seq`.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn conflict_events(&self, app: Option<&str>, upto: Option<i64>) -> Result<Vec<Event>> {
        let upto = upto.unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events WHERE app = ?1 AND env = ?2 AND seq <= ?3
               AND kind IN ('approval', 'promotion', 'rollback', 'record', 'drift', 'unplaced')
             ORDER BY seq"
        ))?;
        let mut out = Vec::new();
        for (a, e) in lanes_with_team_moves(&self.conn, app, upto)? {
            let mut rows = stmt.query(params![a, e, upto])?;
            while let Some(r) = rows.next()? {
                out.push(read_event(r)?);
            }
        }
        Ok(out)
    }

    /// The observations that answer `queries` (`domain::conflicts::landing_queries`), up to
    /// event `upto`: for each, the first observation of its lane after its move, and the first
    /// that shows its digest and was made after the move or at or after its time. Each at most
    /// once, in `seq` order.
    #[tracing::instrument(level = "debug", skip_all, fields(queries = queries.len()))]
    pub fn landing_observations(
        &self,
        queries: &[LandingQuery],
        upto: Option<i64>,
    ) -> Result<Vec<Event>> {
        const OBSERVATIONS: &str =
            "FROM events WHERE app = ?1 AND env = ?2 AND kind = 'observation' AND seq <= ?4";
        let mut first = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} {OBSERVATIONS} AND seq > ?3 ORDER BY seq LIMIT 1"
        ))?;
        let mut seen = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} {OBSERVATIONS} AND digest = ?5 AND (seq > ?3 OR at >= ?6) LIMIT 1"
        ))?;
        let upto = upto.unwrap_or(i64::MAX);
        let mut out = std::collections::BTreeMap::new();
        for q in queries {
            let (digest, at) = (q.digest.as_str(), format_at(q.at));
            let found = [
                one(&mut first, params![q.app, q.env, q.seq, upto])?,
                one(&mut seen, params![q.app, q.env, q.seq, upto, digest, at])?,
            ];
            for o in found.into_iter().flatten() {
                out.insert(o.seq, o);
            }
        }
        Ok(out.into_values().collect())
    }
}

/// The first row of `stmt` run with `p`, as an event.
fn one(stmt: &mut CachedStatement<'_>, p: impl Params) -> Result<Option<Event>> {
    let mut rows = stmt.query(p)?;
    rows.next()?.map(read_event).transpose()
}

/// The app × environments with an imported promotion or rollback, or an unplaced event, at or
/// below `upto`.
fn lanes_with_team_moves(
    conn: &Connection,
    app: Option<&str>,
    upto: i64,
) -> Result<Vec<(String, String)>> {
    // The WHERE is migration 0018's partial index, term for term: one pass over the team's
    // moves, not over every lane's promotions.
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT app, env FROM events
          WHERE (kind = 'unplaced'
                 OR (kind IN ('promotion', 'rollback') AND json_extract(data, '$.imported') IS NOT NULL))
            AND seq <= ?1 AND (?2 IS NULL OR app = ?2)
          ORDER BY app, env",
    )?;
    let lanes = stmt
        .query_map(params![upto, app], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(lanes)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::domain::conflicts::{conflicts_of, landing_queries, Conflict, ConflictKind};
    use crate::domain::{Digest, EventKind, NewEvent};
    use crate::signing::{
        approval_id, signed_move, Anchor, EventMessage, Move, MovePlace, PROMOTION_KIND,
    };
    use crate::store::EventFilter;

    /// The conflicts of `s` (of `app`, or all) as the API derives them: the rules over the
    /// store's events. Asserts they are those the rules give over the whole history.
    fn conflicts(s: &Store, app: Option<&str>) -> Vec<Conflict> {
        let got = conflicts_of(&events(s, app, None), &signed_move);
        let all = s.events(&EventFilter::default()).unwrap();
        let whole = conflicts_of(
            all.iter().filter(|e| app.is_none_or(|a| a == e.app)),
            &signed_move,
        );
        assert_eq!(
            got, whole,
            "the store's events give the whole history's conflicts"
        );
        got
    }

    /// The events the API reads: [`Store::conflict_events`] and the answers to their landing
    /// queries.
    fn events(s: &Store, app: Option<&str>, upto: Option<i64>) -> Vec<Event> {
        let mut events = s.conflict_events(app, upto).unwrap();
        let queries = landing_queries(&events, &signed_move);
        events.extend(s.landing_observations(&queries, upto).unwrap());
        events
    }

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
                place: MovePlace::Tag("production".into()),
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
        let c = conflicts(&s, None);
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
        assert!(conflicts(&s, Some("web")).is_empty());
        let (_d2, mut local) = store();
        local
            .append(vec![
                observation("X", 0),
                promotion("alice", "X", "Y", 1, &[], false),
                promotion("bob", "X", "W", 1, &[], false),
            ])
            .unwrap();
        assert!(conflicts(&local, None).is_empty());
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
        let c = conflicts(&s, None);
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
        let c = conflicts(&s, None);
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
        assert!(conflicts(&s, None).is_empty(), "not judged yet");
        s.append(vec![observation("X", 5)]).unwrap();
        let c = conflicts(&s, None);
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
        let c = conflicts(&s, None);
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
            conflicts(&s, None).is_empty(),
            "not judged before a sync after it"
        );
        s.append(vec![observation("X", 2)]).unwrap();
        let c = conflicts(&s, None);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].kind, ConflictKind::MoveNotSeen);
        assert_eq!(c[0].seqs(), vec![2, 3]);
        assert!(c[0].description.contains("event 3"), "{}", c[0].description);
        // As of event 2 (a report whose head is 2): not judged yet, whatever came after.
        let upto_2 = events(&s, None, Some(2));
        assert_eq!(upto_2.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2]);
        assert!(conflicts_of(&upto_2, &signed_move).is_empty());
        assert!(events(&s, None, Some(1)).is_empty());
        // The observation that judges it, and no other.
        let all = events(&s, None, None);
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);

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
        assert!(conflicts(&s, None).is_empty());

        // Moved on from W by a later move: it landed, even if no sync saw it.
        let (_d3, mut s) = store();
        s.append(vec![
            observation("X", 0),
            promotion("bob", "X", "W", 1, &[], true),
            promotion("bob", "W", "V", 2, &[], true),
            observation("V", 3),
        ])
        .unwrap();
        assert!(conflicts(&s, None).is_empty());
    }
}
