//! Timelines as the store keeps them: the segment and drift rules (`domain::timeline`) kept
//! incrementally in the `segments` and `heads` tables (written in the append transaction), and
//! the queries over them (a timeline, a head, the unapproved flags), so that a timeline or a
//! status costs a few index lookups on a large history.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::events::{event_by_seq, parse_time};
use super::messages::{self, NOT_REPLAYED};
use super::Head;
use crate::domain::timeline::{
    close_segments, next_in_lane, via_of, GitPlace, HeadState, Start, StayApproval,
};
use crate::domain::{Digest, Event, EventKind, Segment};
use crate::{Error, Result};

/// Load the stored head state of one app × environment (default when it has no events yet).
pub(super) fn load_head(conn: &Connection, app: &str, env: &str) -> Result<HeadState> {
    let mut stmt = conn.prepare_cached(
        "SELECT segment_seq, segment_digest, last_observation_seq, last_change_seq, drift
         FROM heads WHERE app = ?1 AND env = ?2",
    )?;
    Ok(stmt
        .query_row(params![app, env], |r| {
            Ok(HeadState {
                segment_seq: r.get(0)?,
                segment_digest: r.get(1)?,
                last_observation_seq: r.get(2)?,
                last_change_seq: r.get(3)?,
                drift: r.get(4)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// Write the head state of one app × environment.
pub(super) fn save_head(conn: &Connection, app: &str, env: &str, h: &HeadState) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO heads (app, env, segment_seq, segment_digest, last_observation_seq, last_change_seq, drift)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    stmt.execute(params![
        app,
        env,
        h.segment_seq,
        h.segment_digest,
        h.last_observation_seq,
        h.last_change_seq,
        h.drift
    ])?;
    Ok(())
}

/// Record that event `seq`, stored with time `at` (as the `events` row has it), starts a segment
/// of app × environment; it is `backdated` when an earlier segment of the lane began later.
/// Segments are inserted in `seq` order.
pub(super) fn insert_segment(
    conn: &Connection,
    app: &str,
    env: &str,
    seq: i64,
    at: &str,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO segments (app, env, seq, at, backdated)
         VALUES (?1, ?2, ?3, ?4,
                 coalesce((SELECT max(at) FROM segments WHERE app = ?1 AND env = ?2) > ?4, 0))",
    )?;
    stmt.execute(params![app, env, seq, at])?;
    Ok(())
}

/// Recompute `segments` and `heads` from the events (inside the caller's transaction).
pub(super) fn rebuild(conn: &Connection) -> Result<()> {
    conn.execute_batch("DELETE FROM segments; DELETE FROM heads;")?;
    let mut heads: HashMap<(String, String), HeadState> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT e.seq, e.kind, e.app, e.env, e.digest, e.at, m.replay_of IS NOT NULL,
                  json_extract(e.data, '$.baseline') IS 1
           FROM events e LEFT JOIN signed_messages m ON m.seq = e.seq ORDER BY e.seq",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let kind: String = r.get(1)?;
        let Some(kind) = EventKind::parse(&kind) else {
            continue;
        };
        let key: (String, String) = (r.get(2)?, r.get(3)?);
        let digest: Option<String> = r.get(4)?;
        let replayed: bool = r.get(6)?;
        let baseline: bool = r.get(7)?;
        if heads.entry(key.clone()).or_default().apply_event(
            seq,
            kind,
            digest.as_deref(),
            replayed,
            baseline,
        ) {
            let at: String = r.get(5)?;
            insert_segment(conn, &key.0, &key.1, seq, &at)?;
        }
    }
    for ((app, env), state) in &heads {
        save_head(conn, app, env, state)?;
    }
    tracing::debug!(heads = heads.len(), "timeline rebuilt");
    Ok(())
}

/// Segments of one app (one environment, or all), oldest first.
pub(super) fn timeline(conn: &Connection, app: &str, env: Option<&str>) -> Result<Vec<Segment>> {
    const BY_APP: &str = "SELECT s.app, s.env, e.seq, e.kind, e.at, e.digest, e.actor,
        m.replay_of IS NOT NULL, json_extract(e.data, '$.git'), json_extract(e.data, '$.file'),
        json_extract(e.data, '$.commit'), json_extract(e.data, '$.emergency') IS 1,
        json_extract(e.data, '$.reason')
        FROM segments s JOIN events e ON e.seq = s.seq LEFT JOIN signed_messages m ON m.seq = s.seq
        WHERE s.app = ?1 ORDER BY s.seq";
    const BY_APP_ENV: &str = "SELECT s.app, s.env, e.seq, e.kind, e.at, e.digest, e.actor,
        m.replay_of IS NOT NULL, json_extract(e.data, '$.git'), json_extract(e.data, '$.file'),
        json_extract(e.data, '$.commit'), json_extract(e.data, '$.emergency') IS 1,
        json_extract(e.data, '$.reason')
        FROM segments s JOIN events e ON e.seq = s.seq LEFT JOIN signed_messages m ON m.seq = s.seq
        WHERE s.app = ?1 AND s.env = ?2 ORDER BY s.seq";
    let mut stmt = conn.prepare_cached(if env.is_some() { BY_APP_ENV } else { BY_APP })?;
    let mut rows = match env {
        Some(env) => stmt.query(params![app, env])?,
        None => stmt.query(params![app])?,
    };
    let mut starts = Vec::new();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(2)?;
        let kind: String = r.get(3)?;
        let at: String = r.get(4)?;
        let digest: Option<String> = r.get(5)?;
        let bad = |what: &str| bad_segment_start(seq, what);
        starts.push(Start {
            app: r.get(0)?,
            env: r.get(1)?,
            seq,
            kind: EventKind::parse(&kind)
                .ok_or_else(|| bad(&format!("has an unknown kind '{kind}'")))?,
            at: parse_time(seq, &at)?,
            digest: Digest::parse(digest.as_deref().ok_or_else(|| bad("has no digest"))?)
                .map_err(|_| bad("its digest is malformed"))?,
            actor: r.get(6)?,
            replayed: r.get(7)?,
            place: GitPlace {
                git: r.get(8)?,
                file: r.get(9)?,
                commit: r.get(10)?,
            },
            emergency: if r.get::<_, bool>(11)? {
                Some(r.get::<_, Option<String>>(12)?.unwrap_or_default())
            } else {
                None
            },
        });
    }
    Ok(close_segments(starts))
}

/// The history is damaged where event `seq` starts a segment (`what` it lacks): verify says
/// more.
fn bad_segment_start(seq: i64, what: &str) -> Error {
    Error::database(format!("event {seq} starts a timeline segment but {what}"))
        .with_hint(crate::Hint::Verify)
}

/// Whether a segment of `app` × `env` began with `digest`.
pub(super) fn ran_in(conn: &Connection, app: &str, env: &str, digest: &Digest) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT 1 FROM segments s JOIN events e ON e.seq = s.seq
          WHERE s.app = ?1 AND s.env = ?2 AND e.digest = ?3 LIMIT 1",
    )?;
    Ok(stmt
        .query_row(params![app, env, digest.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The digest of the segment before the one that begins at `seq` (see [`timeline`]: one
/// segment per row of `segments`, each with its start event's digest).
pub(super) fn digest_before(
    conn: &Connection,
    app: &str,
    env: &str,
    seq: i64,
) -> Result<Option<Digest>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.seq, e.digest FROM segments s JOIN events e ON e.seq = s.seq
          WHERE s.app = ?1 AND s.env = ?2 AND s.seq < ?3 ORDER BY s.seq DESC LIMIT 1",
    )?;
    let found: Option<(i64, Option<String>)> = stmt
        .query_row(params![app, env, seq], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((start, digest)) = found else {
        return Ok(None);
    };
    let bad = |what: &str| bad_segment_start(start, what);
    let digest = digest.ok_or_else(|| bad("has no digest"))?;
    Digest::parse(&digest)
        .map(Some)
        .map_err(|_| bad("its digest is malformed"))
}

/// Current segment, drift flag and last observation of one app × environment.
pub(super) fn head(conn: &Connection, app: &str, env: &str) -> Result<Head> {
    let state = load_head(conn, app, env)?;
    let segment = match state.segment_seq {
        Some(seq) => {
            let e = event_by_seq(conn, seq)?;
            let place = GitPlace::of(&e.data);
            let digest = e.digest.ok_or_else(|| {
                Error::database(format!(
                    "event {seq} starts the current segment of {app}/{env} but has no digest"
                ))
                .with_hint(crate::Hint::Verify)
            })?;
            Some(Segment {
                app: e.app,
                env: e.env,
                digest,
                from: e.at,
                until: None,
                via: via_of(e.kind, messages::replay_of(conn, seq)?.is_some()),
                actor: e.actor,
                seq,
                unapproved: false,
                git: place.git,
                file: place.file,
                commit: place.commit,
                commit_url: None,
                incidents: Vec::new(),
                checks: Vec::new(),
                version: None,
                emergency: crate::domain::timeline::emergency_reason(&e.data).is_some(),
                reason: crate::domain::timeline::emergency_reason(&e.data),
            })
        }
        None => None,
    };
    let last_observation = state
        .last_observation_seq
        .map(|seq| event_by_seq(conn, seq))
        .transpose()?;
    // Drifting: the newest change is a drift, to the segment's digest or to a missing tag.
    let expected = match (state.drift, state.last_change_seq) {
        (true, Some(seq)) => event_by_seq(conn, seq)?.digest,
        _ => segment.as_ref().map(|s| s.digest.clone()),
    };
    Ok(Head {
        segment,
        drift: state.drift,
        last_observation,
        expected,
    })
}

/// Which of record / promotion-or-rollback happened in app × environment with
/// `from_seq <= seq < until_seq` (`None`: no end).
fn stay_approval(
    conn: &Connection,
    app: &str,
    env: &str,
    from_seq: i64,
    until_seq: Option<i64>,
) -> Result<StayApproval> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT
           EXISTS (SELECT 1 FROM events WHERE app = ?1 AND env = ?2 AND kind = 'record'
                     AND seq >= ?3 AND seq < ?4 AND {NOT_REPLAYED}),
           EXISTS (SELECT 1 FROM events WHERE app = ?1 AND env = ?2 AND kind IN ('promotion', 'rollback')
                     AND seq >= ?3 AND seq < ?4 AND {NOT_REPLAYED})",
    ))?;
    let until = until_seq.unwrap_or(i64::MAX);
    Ok(stmt.query_row(params![app, env, from_seq, until], |r| {
        Ok(StayApproval {
            recorded: r.get(0)?,
            approved: r.get(1)?,
        })
    })?)
}

/// [`Segment::unapproved`] of the segments of gated environments, from the events (two indexed
/// lookups per such segment). `segments` are whole lanes, oldest first.
pub(super) fn flag_unapproved(
    conn: &Connection,
    segments: &mut [Segment],
    gated: &dyn Fn(&str, &str) -> bool,
) -> Result<()> {
    for (i, until) in next_in_lane(segments).into_iter().enumerate() {
        let s = &segments[i];
        if !gated(&s.app, &s.env) {
            segments[i].unapproved = false;
            continue;
        }
        let stay = stay_approval(conn, &s.app, &s.env, s.seq, until)?;
        segments[i].unapproved = stay.unapproved();
    }
    Ok(())
}

/// Was this record unapproved when appended: no promotion or rollback into its app ×
/// environment between the start of its segment and it.
pub(super) fn record_unapproved(conn: &Connection, event: &Event) -> Result<bool> {
    if event.kind != EventKind::Record || event.digest.is_none() {
        return Ok(false);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT max(seq) FROM segments WHERE app = ?1 AND env = ?2 AND seq <= ?3",
    )?;
    let start: Option<i64> =
        stmt.query_row(params![event.app, event.env, event.seq], |r| r.get(0))?;
    let start = start.unwrap_or(event.seq);
    let stay = stay_approval(conn, &event.app, &event.env, start, Some(event.seq))?;
    Ok(!stay.approved)
}

/// The newest observation of one app × environment.
pub(super) fn last_observation(conn: &Connection, app: &str, env: &str) -> Result<Option<Event>> {
    load_head(conn, app, env)?
        .last_observation_seq
        .map(|seq| event_by_seq(conn, seq))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::timeline::tests::{d, ev};
    use crate::domain::timeline::{
        decide_drift, derive_timeline, derive_unapproved, DriftDecision,
    };
    use crate::domain::Via;

    use EventKind::*;

    /// A copy of a signed move already in the history (a replay imported before replays were
    /// refused) explains nothing: where it would begin a stay, the stay begins by drift; where
    /// it would not, it changes nothing. The store and the reference rules agree.
    #[test]
    fn a_replayed_move_begins_its_stay_by_drift() {
        let mut events = vec![
            ev(1, Observation, "staging", Some(1)),
            ev(2, Promotion, "staging", Some(2)),
            ev(3, Rollback, "staging", Some(1)),
            ev(4, Promotion, "staging", Some(2)), // a copy of 2
            ev(5, Rollback, "staging", Some(1)),
            ev(6, Rollback, "staging", Some(1)), // a copy of 5: same digest, changes nothing
        ];
        for (i, m) in [(1, "m2"), (2, "m3"), (3, "m2"), (4, "m5"), (5, "m5")] {
            events[i].data = serde_json::json!({ "message": m });
        }
        let mut expected = derive_timeline(&events);
        derive_unapproved(&events, &mut expected, &|_, _| true);
        let got: Vec<(i64, Via)> = expected.iter().map(|s| (s.seq, s.via)).collect();
        assert_eq!(
            got,
            vec![
                (1, Via::Observed),
                (2, Via::Promotion),
                (3, Via::Rollback),
                (4, Via::Drift),
                (5, Via::Rollback),
            ]
        );
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(&dir.path().join("t.db")).unwrap();
        store
            .append(events.iter().map(crate::domain::Event::to_new).collect())
            .unwrap();
        let mut stored = store.timeline("api", None).unwrap();
        store.flag_unapproved(&mut stored, &|_, _| true).unwrap();
        assert_eq!(stored, expected);
        let head = store.head("api", "staging").unwrap();
        assert!(!head.drift, "the rollback after the drift acknowledges it");
        assert_eq!(store.verify_chain().unwrap().broken, None);
        // Before the rollback: the replayed promotion is standing drift.
        let mut h = HeadState::default();
        for e in &events[..4] {
            let replayed = e.seq == 4;
            h.apply_statement(
                e.seq,
                e.kind,
                e.digest.as_ref().map(Digest::as_str),
                replayed,
            );
        }
        assert!(h.drift);
        assert_eq!(h.segment_seq, Some(4));
    }

    /// The store's queries (flag_unapproved, record_unapproved, head's expected digest) agree
    /// with the reference rules on a real SQLite file.
    #[test]
    fn the_store_flags_what_the_reference_rules_flag() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(&dir.path().join("t.db")).unwrap();
        let events = vec![
            ev(1, Observation, "prod", Some(1)),
            ev(2, Record, "prod", Some(2)),
            ev(3, Promotion, "prod", Some(2)),
            ev(4, Record, "prod", Some(2)),
            ev(5, Record, "prod", Some(3)),
            ev(6, Observation, "prod", Some(3)),
            ev(7, Drift, "prod", None), // the tag went missing
            ev(8, Observation, "prod", None),
        ];
        let stored = store
            .append(
                events
                    .iter()
                    .map(|e| crate::domain::NewEvent {
                        at: e.at,
                        kind: e.kind,
                        app: e.app.clone(),
                        env: e.env.clone(),
                        digest: e.digest.clone(),
                        actor: e.actor.clone(),
                        data: serde_json::json!({}),
                    })
                    .collect(),
            )
            .unwrap();
        let gated = |_: &str, env: &str| env == "prod";
        let mut expected = derive_timeline(&events);
        derive_unapproved(&events, &mut expected, &gated);
        let mut got = store.timeline("api", None).unwrap();
        store.flag_unapproved(&mut got, &gated).unwrap();
        assert_eq!(got, expected);
        assert_eq!(
            got.iter().map(|s| s.unapproved).collect::<Vec<_>>(),
            vec![false, false, true]
        );
        let records: Vec<(i64, bool)> = stored
            .iter()
            .filter(|e| e.kind == Record)
            .map(|e| (e.seq, store.record_unapproved(e).unwrap()))
            .collect();
        assert_eq!(records, vec![(2, true), (4, false), (5, true)]);
        let head = store.head("api", "prod").unwrap();
        assert!(head.drift);
        assert_eq!(head.segment.unwrap().digest, d(3), "the segment stays open");
        assert_eq!(head.expected, None, "the history says the tag is missing");
        assert_eq!(
            decide_drift(true, head.expected.as_ref(), head.drift, None),
            DriftDecision::Standing
        );
    }
}
