//! The timeline tables (`segments`, `heads`) recomputed from the events during the chain walk,
//! and compared with the stored ones: a disagreement means they were altered outside Tollgate.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::domain::statement::Replays;
use crate::domain::timeline::HeadState;
use crate::domain::EventKind;
use crate::store::BrokenLink;
use crate::Result;

/// A stored segment's start as `verify` reads it: its time matches its event's, its lane, its
/// time, its `backdated` flag.
type StoredStart = (bool, (String, String), String, bool);

/// The timeline tables recomputed from the events during the walk, to compare with the stored ones.
#[derive(Default)]
pub(super) struct Derived {
    heads: HashMap<String, HashMap<String, HeadState>>,
    segments: Vec<i64>,
    /// Which events replay an earlier signed statement (recomputed from the events' data).
    replays: Replays,
}

impl Derived {
    pub(super) fn apply(
        &mut self,
        seq: i64,
        kind: &str,
        app: &str,
        env: &str,
        digest: Option<&str>,
        data: &serde_json::Value,
    ) {
        let sha256 = crate::domain::statement::data_message_sha256(data);
        let sha256 = sha256.as_deref();
        let baseline = crate::domain::timeline::is_baseline(data);
        // A kind this build does not know takes no part in the timeline.
        let Some(kind) = EventKind::parse(kind) else {
            return;
        };
        let replayed = self.replays.see(seq, kind, sha256).is_some();
        if !self.heads.contains_key(app) {
            self.heads.insert(app.to_string(), HashMap::new());
        }
        let envs = self.heads.get_mut(app).expect("inserted above");
        if !envs.contains_key(env) {
            envs.insert(env.to_string(), HeadState::default());
        }
        if envs
            .get_mut(env)
            .expect("inserted above")
            .apply_event(seq, kind, digest, replayed, baseline)
        {
            self.segments.push(seq);
        }
    }

    /// The first disagreement between the stored `segments`/`heads` and the events.
    pub(super) fn compare(&self, conn: &Connection) -> Result<Option<BrokenLink>> {
        let altered = |seq: i64, what: &str| {
            Some(BrokenLink {
                seq,
                reason: format!(
                    "the derived timeline disagrees with the events at event {seq} ({what}): the segments/heads tables were altered outside Tollgate; the events themselves are intact"
                ),
            })
        };
        let mut stmt = conn.prepare(
            "SELECT s.seq, e.seq IS NOT NULL AND s.app = e.app AND s.env = e.env,
                    s.at IS e.at, s.app, s.env, s.at, s.backdated
             FROM segments s LEFT JOIN events e ON e.seq = s.seq ORDER BY s.seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut expected = self.segments.iter();
        // The latest start time so far in each lane, for the `backdated` flags.
        let mut latest: HashMap<(String, String), String> = HashMap::new();
        loop {
            let stored: Option<(i64, bool, StoredStart)> = match rows.next()? {
                Some(r) => Some((
                    r.get(0)?,
                    r.get(1)?,
                    (r.get(2)?, (r.get(3)?, r.get(4)?), r.get(5)?, r.get(6)?),
                )),
                None => None,
            };
            match (expected.next(), stored) {
                (None, None) => break,
                (Some(&e), Some((s, ok, start))) if e == s => {
                    if !ok {
                        return Ok(altered(
                            s,
                            "a segment is filed under the wrong app or environment",
                        ));
                    }
                    let (time_ok, lane, at, backdated) = start;
                    if !time_ok {
                        return Ok(altered(s, "a segment has the wrong start time"));
                    }
                    let before = latest.entry(lane).or_default();
                    if backdated != (*before > at) {
                        return Ok(altered(s, "a segment's backdated flag is wrong"));
                    }
                    if at > *before {
                        *before = at;
                    }
                }
                (Some(&e), Some((s, _, _))) if e < s => {
                    return Ok(altered(e, "a segment is missing"))
                }
                (_, Some((s, _, _))) => return Ok(altered(s, "a segment no event starts")),
                (Some(&e), None) => return Ok(altered(e, "a segment is missing")),
            }
        }
        drop(rows);

        let mut stmt = conn.prepare(
            "SELECT app, env, segment_seq, segment_digest, last_observation_seq, last_change_seq, drift FROM heads",
        )?;
        let mut rows = stmt.query([])?;
        let mut seen: HashMap<String, Vec<String>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let (app, env): (String, String) = (r.get(0)?, r.get(1)?);
            let stored = HeadState {
                segment_seq: r.get(2)?,
                segment_digest: r.get(3)?,
                last_observation_seq: r.get(4)?,
                last_change_seq: r.get(5)?,
                drift: r.get(6)?,
            };
            let Some(expected) = self.heads.get(&app).and_then(|e| e.get(&env)) else {
                return Ok(altered(
                    stored.last_seq(),
                    &format!("a head for {app}/{env}, which has no events"),
                ));
            };
            if &stored != expected {
                return Ok(altered(
                    expected.last_seq(),
                    &format!("the head of {app}/{env}"),
                ));
            }
            seen.entry(app).or_default().push(env);
        }
        // The (app, env) primary key makes each stored head unique: count the expected ones not seen.
        let unseen = self
            .heads
            .iter()
            .flat_map(|(a, envs)| envs.iter().map(move |(e, h)| (a, e, h)))
            .filter(|(a, e, _)| !seen.get(*a).is_some_and(|envs| envs.contains(e)))
            .min_by_key(|(_, _, h)| h.last_seq());
        if let Some((app, env, head)) = unseen {
            return Ok(altered(
                head.last_seq(),
                &format!("the head of {app}/{env} is missing"),
            ));
        }
        Ok(None)
    }
}
