//! Point in time: what an app × environment ran at a moment T, and how it got there.
//!
//! The rule, over the segments of one app × environment in history (`seq`) order: the segment
//! that covers T is the newest one that began at or before T. Its successor, if any, began after
//! T, so this is the segment the timeline shows over T (`from <= T < until`); when a segment was
//! back-dated (a `record --at` in the past, or an event imported late), several may show over
//! T and the newest wins, as it does for `status` now.
//!
//! The `segments` table keeps each segment's start time and a `backdated` flag (it began earlier
//! than a segment before it in its lane). The newest segment that began at or before T is then
//! either the one with the latest start at or before T (ties: the newest), or a backdated one:
//! two index seeks (`segments_by_at`, `segments_backdated`), whatever the size of the history.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::chain::format_at;
use super::events::{event_by_seq, parse_time};
use super::messages::NOT_REPLAYED;
use crate::domain::timeline::via_of;
use crate::domain::{Segment, Via};
use crate::{Error, Result};

/// What one app × environment ran at a moment: the stay that covers it, as of that moment.
#[derive(Debug, Clone, PartialEq)]
pub struct StayAt {
    /// The covering segment. `until` is when the next one began (after the moment), `None` when
    /// it still runs; `unapproved` is as of the moment (a promotion of the digest later in the
    /// stay does not count yet), and only ever `true` when the caller said the env is gated.
    pub segment: Segment,
    /// The stay began with drift and no record, promotion or rollback acknowledged it by then.
    pub drift: bool,
}

/// The segment of a lane with the latest start at or before `?3` (ties: the newest).
const LATEST_START: &str = "SELECT seq FROM segments INDEXED BY segments_by_at
    WHERE app = ?1 AND env = ?2 AND at <= ?3 ORDER BY at DESC, seq DESC LIMIT 1";

/// The newest back-dated segment of a lane that began at or before `?3`.
const NEWEST_BACKDATED: &str = "SELECT max(seq) FROM segments INDEXED BY segments_backdated
    WHERE app = ?1 AND env = ?2 AND backdated = 1 AND at <= ?3";

/// The `seq` of the newest segment of app × environment that began at or before `at` (stored
/// time text), if any.
fn covering_seq(conn: &Connection, app: &str, env: &str, at: &str) -> Result<Option<i64>> {
    let mut latest = conn.prepare_cached(LATEST_START)?;
    let latest: Option<i64> = latest
        .query_row(params![app, env, at], |r| r.get(0))
        .optional()?;
    let mut backdated = conn.prepare_cached(NEWEST_BACKDATED)?;
    let backdated: Option<i64> = backdated.query_row(params![app, env, at], |r| r.get(0))?;
    Ok(latest.max(backdated))
}

/// The segment after `seq` in its lane: its `seq` and start time.
fn next_segment(
    conn: &Connection,
    app: &str,
    env: &str,
    seq: i64,
) -> Result<Option<(i64, DateTime<Utc>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at FROM segments WHERE app = ?1 AND env = ?2 AND seq > ?3 ORDER BY seq LIMIT 1",
    )?;
    let next: Option<(i64, String)> = stmt
        .query_row(params![app, env, seq], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    next.map(|(seq, at)| Ok((seq, parse_time(seq, &at)?)))
        .transpose()
}

/// Did a record, and did a promotion or rollback, happen in app × environment with
/// `from_seq <= seq < until_seq` and a time at or before `at`?
fn stay_so_far(
    conn: &Connection,
    app: &str,
    env: &str,
    from_seq: i64,
    until_seq: Option<i64>,
    at: &str,
) -> Result<(bool, bool)> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT
           EXISTS (SELECT 1 FROM events WHERE app = ?1 AND env = ?2 AND kind = 'record'
                     AND seq >= ?3 AND seq < ?4 AND at <= ?5 AND {NOT_REPLAYED}),
           EXISTS (SELECT 1 FROM events WHERE app = ?1 AND env = ?2 AND kind IN ('promotion', 'rollback')
                     AND seq >= ?3 AND seq < ?4 AND at <= ?5 AND {NOT_REPLAYED})",
    ))?;
    let until = until_seq.unwrap_or(i64::MAX);
    Ok(stmt.query_row(params![app, env, from_seq, until, at], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?)
}

/// The stay of app × environment covering `at` ([the rule](self)); `None` when no segment of
/// it began by then. `gated`: the environment has a policy (the store does not know policies).
pub(super) fn stay_at(
    conn: &Connection,
    app: &str,
    env: &str,
    at: DateTime<Utc>,
    gated: bool,
) -> Result<Option<StayAt>> {
    let t = format_at(at);
    let Some(seq) = covering_seq(conn, app, env, &t)? else {
        return Ok(None);
    };
    let e = event_by_seq(conn, seq)?;
    let digest = e.digest.ok_or_else(|| {
        Error::database(format!(
            "event {seq} starts a segment of {app}/{env} but has no digest"
        ))
        .with_hint(crate::Hint::Verify)
    })?;
    let next = next_segment(conn, app, env, seq)?;
    let via = via_of(e.kind, super::messages::replay_of(conn, seq)?.is_some());
    let needs_stay = gated || via == Via::Drift;
    let (recorded, approved) = if needs_stay {
        stay_so_far(conn, app, env, seq, next.map(|(s, _)| s), &t)?
    } else {
        (false, false)
    };
    let place = crate::domain::timeline::GitPlace::of(&e.data);
    Ok(Some(StayAt {
        drift: via == Via::Drift && !recorded && !approved,
        segment: Segment {
            app: e.app,
            env: e.env,
            digest,
            from: e.at,
            until: next.map(|(_, at)| at),
            via,
            actor: e.actor,
            seq,
            unapproved: gated && recorded && !approved,
            git: place.git,
            file: place.file,
            commit: place.commit,
            commit_url: None,
            incidents: Vec::new(),
            checks: Vec::new(),
            version: None,
            emergency: e.data.get("emergency").and_then(|v| v.as_bool()) == Some(true),
            reason: crate::domain::timeline::emergency_reason(&e.data),
        },
    }))
}

/// The time of the earliest event in the history (`None`: it is empty).
pub(super) fn first_event_at(conn: &Connection) -> Result<Option<DateTime<Utc>>> {
    let mut stmt = conn.prepare_cached("SELECT min(at) FROM events")?;
    let first: Option<String> = stmt.query_row([], |r| r.get(0))?;
    first.map(|at| parse_time(0, &at)).transpose()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::timeline::derive_timeline;
    use crate::domain::{Digest, EventKind, NewEvent};
    use crate::store::Store;

    fn t(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    fn d(n: u8) -> Digest {
        Digest::of(&[n])
    }

    fn ev(minutes: i64, kind: EventKind, env: &str, digest: Option<u8>) -> NewEvent {
        NewEvent {
            at: t(minutes),
            kind,
            app: "api".into(),
            env: env.into(),
            digest: digest.map(d),
            actor: Some(format!("actor{minutes}")),
            data: serde_json::json!({}),
        }
    }

    fn store(events: Vec<NewEvent>) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        store.append(events).unwrap();
        (dir, store)
    }

    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
        }
    }

    /// The store's two index seeks agree with the rule stated over the timeline (the newest
    /// segment that began at or before T; `until` the next one's start) on a history with
    /// back-dated events, equal times and missing tags, at every minute of it.
    #[test]
    fn the_index_seeks_agree_with_the_timeline_rule() {
        use EventKind::*;
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let kinds = [Observation, Record, Promotion, Rollback, Drift, Approval];
        let events: Vec<NewEvent> = (0..600)
            .map(|i| {
                let kind = kinds[rng.below(kinds.len() as u64) as usize];
                let env = ["dev", "prod"][rng.below(2) as usize];
                let digest = (rng.below(10) > 0).then(|| rng.below(6) as u8);
                // One event in eight claims an earlier time; one in ten the previous one's.
                let minutes = match rng.below(80) {
                    0..=9 => i - rng.below(120) as i64,
                    10..=17 => i - 1,
                    _ => i,
                };
                ev(minutes, kind, env, digest)
            })
            .collect();
        let (_dir, store) = store(events);
        let stored = store.events(&Default::default()).unwrap();
        let timeline = derive_timeline(&stored);
        assert!(
            (store.conn.query_row(
                "SELECT count(*) FROM segments WHERE backdated = 1",
                [],
                |r| r.get::<_, i64>(0)
            ))
            .unwrap()
                > 5,
            "the history has back-dated segments"
        );
        for minute in -130..620 {
            for env in ["dev", "prod"] {
                let expected = timeline
                    .iter()
                    .filter(|s| s.env == env && s.from <= t(minute))
                    .max_by_key(|s| s.seq);
                let got = store.stay_at("api", env, t(minute), false).unwrap();
                assert_eq!(
                    got.map(|s| (s.segment.seq, s.segment.digest, s.segment.until)),
                    expected.map(|s| (s.seq, s.digest.clone(), s.until)),
                    "{env} at minute {minute}"
                );
            }
        }
        assert_eq!(store.verify_chain().unwrap().broken, None);
    }

    #[test]
    fn drift_and_unapproved_are_as_of_the_moment() {
        use EventKind::*;
        let (_dir, store) = store(vec![
            ev(0, Observation, "prod", Some(1)),
            ev(10, Drift, "prod", Some(2)),
            ev(20, Record, "prod", Some(2)), // acknowledges the drift, by a record
            ev(30, Promotion, "prod", Some(2)),
            ev(40, Record, "prod", Some(3)),
        ]);
        let at = |m: i64, gated: bool| store.stay_at("api", "prod", t(m), gated).unwrap();
        assert_eq!(at(-1, true), None, "nothing had begun");
        let baseline = at(5, true).unwrap();
        assert_eq!(
            (
                baseline.segment.via,
                baseline.drift,
                baseline.segment.unapproved
            ),
            (Via::Observed, false, false)
        );
        assert_eq!(baseline.segment.until, Some(t(10)));
        let drifting = at(15, true).unwrap();
        assert_eq!(drifting.segment.digest, d(2));
        assert!(drifting.drift, "nobody had acknowledged it yet");
        let recorded = at(25, true).unwrap();
        assert!(!recorded.drift);
        assert!(recorded.segment.unapproved, "acknowledged by a record only");
        assert!(!at(25, false).unwrap().segment.unapproved, "not gated");
        let promoted = at(35, true).unwrap();
        assert_eq!(
            (
                promoted.segment.seq,
                promoted.drift,
                promoted.segment.unapproved
            ),
            (2, false, false)
        );
        assert_eq!(promoted.segment.until, Some(t(40)));
        let now = at(50, true).unwrap();
        assert_eq!((now.segment.digest, now.segment.until), (d(3), None));
        assert_eq!(now.segment.actor.as_deref(), Some("actor40"));
        assert!(now.segment.unapproved);
        assert_eq!(store.first_event_at().unwrap(), Some(t(0)));
    }

    #[test]
    fn a_back_dated_record_wins_from_its_claimed_time() {
        use EventKind::*;
        let (_dir, store) = store(vec![
            ev(0, Observation, "prod", Some(1)),
            ev(60, Promotion, "prod", Some(2)),
            ev(30, Record, "prod", Some(3)), // appended after, claims an earlier time
        ]);
        let digest = |m: i64| {
            store
                .stay_at("api", "prod", t(m), false)
                .unwrap()
                .map(|s| s.segment.digest)
        };
        assert_eq!(digest(10), Some(d(1)));
        // From its claimed time on the record is the newest segment begun, as `status` says now.
        assert_eq!(digest(45), Some(d(3)));
        assert_eq!(digest(90), Some(d(3)));
        assert_eq!(
            digest(90),
            store.head("api", "prod").unwrap().segment.map(|s| s.digest)
        );
    }

    #[test]
    fn verify_notices_altered_start_times_and_flags() {
        use EventKind::*;
        for (sql, what) in [
            (
                "UPDATE segments SET at = '2026-11-25T07:00:00.000Z' WHERE seq = 2",
                "wrong start time",
            ),
            (
                "UPDATE segments SET backdated = 1 WHERE seq = 2",
                "backdated flag is wrong",
            ),
        ] {
            let (_dir, mut store) = store(vec![
                ev(0, Observation, "prod", Some(1)),
                ev(60, Promotion, "prod", Some(2)),
            ]);
            store.conn.execute_batch(sql).unwrap();
            let broken = store.verify_chain().unwrap().broken.expect(what);
            assert_eq!(broken.seq, 2);
            assert!(broken.reason.contains(what), "{}", broken.reason);
            store.rebuild_timeline().unwrap();
            assert_eq!(store.verify_chain().unwrap().broken, None);
        }
    }

    /// EXPLAIN QUERY PLAN: both seeks are searches of their index, not scans.
    #[test]
    fn the_covering_segment_is_two_index_searches() {
        let (_dir, store) = store(vec![ev(0, EventKind::Observation, "prod", Some(1))]);
        for sql in [LATEST_START, NEWEST_BACKDATED] {
            let plan: Vec<String> = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(params!["api", "prod", "2026-11-25T08:00:00.000Z"], |r| {
                    r.get::<_, String>(3)
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let plan = plan.join("; ");
            assert!(
                plan.starts_with("SEARCH segments USING ")
                    && plan.contains("INDEX segments_")
                    && plan.contains("(app=? AND env=? AND at<?)"),
                "{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        }
    }
}
