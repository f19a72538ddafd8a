//! Timelines: what ran in each app × environment, and since when.
//!
//! The rules, over the events of one app × environment in `seq` order:
//! - a segment starts at a `record`, `promotion`, `rollback` or `drift` event whose digest
//!   differs from the current segment's digest (or when there is no segment yet);
//! - the *first* observation starts a segment only if none exists yet: the baseline
//!   (`via = observed`); later observations never start one;
//! - approvals, rejections and unrejections never start a segment, nor does any event without a
//!   digest (a missing tag);
//! - a segment lasts until the next one's `from`; the current one has no `until`.
//!
//! The head of an app × environment is drifting when the newest of its record, promotion,
//! rollback and drift events is a drift (a later record or promotion acknowledges it).
//!
//! Drift is decided against the current segment ([`decide_drift`]): what the history says the
//! tag points to ([`Head::expected`]) is the current segment's digest, or nothing when the newest
//! change is a drift to a missing tag. An observed digest (or a missing tag) that differs from it
//! is new drift, whatever the previous observation saw; once the history knows anything about
//! the environment, only its very first observation is a baseline.
//!
//! A stay is *unapproved* ([`StayApproval`]) when a `record` put it there or acknowledged it and
//! no promotion or rollback of its digest into the environment happened during the stay (within
//! a segment every record, promotion and rollback is of the segment's digest). Only environments
//! with a policy are flagged; the store does not know policies, so the caller says which are
//! gated ([`flag_unapproved`]).
//!
//! [`derive_timeline`] states the rules over a list of events; the store keeps the same result
//! incrementally (tables `segments` and `heads`, written by [`HeadState::apply`] in the append
//! transaction) so that a timeline or a status costs a few index lookups on a large history.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::events::{event_by_seq, parse_time};
use super::messages::{self, NOT_REPLAYED};
use super::Head;
use crate::domain::statement::{self, Replays};
use crate::domain::{Digest, Event, EventKind, Segment, Via};
use crate::{Error, Result};

/// How an event that starts a segment got its digest there; a replayed move that starts one
/// is drift.
pub fn via_of(kind: EventKind, replayed: bool) -> Via {
    if replayed {
        Via::Drift
    } else {
        via(kind)
    }
}

/// How an event that starts a segment got its digest there.
pub fn via(kind: EventKind) -> Via {
    match kind {
        EventKind::Observation => Via::Observed,
        EventKind::Record => Via::Record,
        EventKind::Promotion => Via::Promotion,
        EventKind::Rollback => Via::Rollback,
        EventKind::Drift => Via::Drift,
        // Never start a segment; kept total for safety.
        EventKind::Approval
        | EventKind::Rejection
        | EventKind::Unrejection
        | EventKind::Unplaced => Via::Record,
    }
}

/// The derived state of one app × environment after some prefix of its events (a row of the
/// `heads` table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadState {
    /// The event that started the current segment.
    pub segment_seq: Option<i64>,
    pub segment_digest: Option<String>,
    pub last_observation_seq: Option<i64>,
    /// The newest record, promotion, rollback or drift.
    pub last_change_seq: Option<i64>,
    /// `last_change_seq` is a drift.
    pub drift: bool,
}

impl HeadState {
    /// Take the next event of this app × environment into account; `true` when it starts a segment.
    pub fn apply(&mut self, seq: i64, kind: EventKind, digest: Option<&str>) -> bool {
        let starts = match (kind, digest) {
            (_, None)
            | (
                EventKind::Approval
                | EventKind::Rejection
                | EventKind::Unrejection
                | EventKind::Unplaced,
                _,
            ) => false,
            (EventKind::Observation, Some(_)) => self.segment_seq.is_none(),
            (_, Some(d)) => self.segment_digest.as_deref() != Some(d),
        };
        match kind {
            EventKind::Observation => self.last_observation_seq = Some(seq),
            EventKind::Record | EventKind::Promotion | EventKind::Rollback | EventKind::Drift => {
                self.last_change_seq = Some(seq);
                self.drift = kind == EventKind::Drift;
            }
            EventKind::Approval
            | EventKind::Rejection
            | EventKind::Unrejection
            | EventKind::Unplaced => {}
        }
        if starts {
            self.segment_seq = Some(seq);
            self.segment_digest = digest.map(str::to_owned);
        }
        starts
    }

    /// [`apply`](Self::apply) for an event that may replay an earlier signed statement
    /// (`replayed`): a replayed move that would begin a stay is drift, any other replay changes
    /// nothing ([`statement::counts_as`]).
    pub fn apply_statement(
        &mut self,
        seq: i64,
        kind: EventKind,
        digest: Option<&str>,
        replayed: bool,
    ) -> bool {
        let begins = digest.is_some_and(|d| self.segment_digest.as_deref() != Some(d));
        match statement::counts_as(kind, replayed, begins) {
            Some(k) => self.apply(seq, k, digest),
            None => false,
        }
    }

    /// The newest event this state refers to (0 if none).
    pub fn last_seq(&self) -> i64 {
        [
            self.segment_seq,
            self.last_observation_seq,
            self.last_change_seq,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
    }
}

/// What one sync decides about one tag ([`decide_drift`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftDecision {
    /// Nothing to report: the tag shows what the history says (or this is the baseline).
    Clean,
    /// The tag differs from what the history says runs there: append a drift event.
    New,
    /// The tag still shows the digest it drifted to (or is still missing), unacknowledged.
    Standing,
}

/// The drift rule. `known`: the history holds an observation or a segment of this app ×
/// environment (if not, the first observation is the baseline); `expected`: what the history
/// says the tag points to ([`Head::expected`]); `drifting`: the newest change is a drift;
/// `observed`: what the registry shows now (`None`: no such tag).
pub fn decide_drift(
    known: bool,
    expected: Option<&Digest>,
    drifting: bool,
    observed: Option<&Digest>,
) -> DriftDecision {
    if !known {
        DriftDecision::Clean
    } else if observed != expected {
        DriftDecision::New
    } else if drifting {
        DriftDecision::Standing
    } else {
        DriftDecision::Clean
    }
}

/// Whether one stay (segment) was approved: fed the kinds of the events inside it, in order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StayApproval {
    /// A `record` put the digest there or acknowledged it.
    pub recorded: bool,
    /// A promotion or rollback (which passed the gate) put the digest there.
    pub approved: bool,
}

impl StayApproval {
    pub fn apply(&mut self, kind: EventKind) {
        match kind {
            EventKind::Record => self.recorded = true,
            EventKind::Promotion | EventKind::Rollback => self.approved = true,
            _ => {}
        }
    }

    /// Recorded and never approved (in an environment with a policy, that is unapproved).
    pub fn unapproved(self) -> bool {
        self.recorded && !self.approved
    }
}

/// The reference statement of the unapproved rule: set [`Segment::unapproved`] on `segments`
/// (from [`derive_timeline`] of the same `events`) for the environments where `gated`.
pub fn derive_unapproved<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    segments: &mut [Segment],
    gated: &dyn Fn(&str, &str) -> bool,
) {
    let mut events: Vec<&Event> = events.into_iter().collect();
    events.sort_by_key(|e| e.seq);
    // A replayed statement vouches for no stay.
    let mut replays = Replays::default();
    events.retain(|e| {
        let sha = messages::data_sha256(&e.data);
        replays.see(e.seq, e.kind, sha.as_deref()).is_none()
    });
    for (i, until) in next_in_lane(segments).into_iter().enumerate() {
        let s = &segments[i];
        let mut stay = StayApproval::default();
        for e in events.iter().filter(|e| {
            e.app == s.app && e.env == s.env && e.seq >= s.seq && until.is_none_or(|u| e.seq < u)
        }) {
            stay.apply(e.kind);
        }
        segments[i].unapproved = gated(&s.app, &s.env) && stay.unapproved();
    }
}

/// For each segment, the `seq` of the next segment of its app × environment (`None`: current).
fn next_in_lane(segments: &[Segment]) -> Vec<Option<i64>> {
    let mut next: HashMap<(&str, &str), i64> = HashMap::new();
    let mut out = vec![None; segments.len()];
    for (i, s) in segments.iter().enumerate().rev() {
        out[i] = next.insert((&s.app, &s.env), s.seq);
    }
    out
}

/// The segments of every app × environment in `events` (taken in `seq` order), oldest first
/// (by the `seq` of the starting event). The reference statement of the rules above.
pub fn derive_timeline<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<Segment> {
    let mut events: Vec<&Event> = events.into_iter().collect();
    events.sort_by_key(|e| e.seq);
    let mut heads: HashMap<(&str, &str), HeadState> = HashMap::new();
    let mut replays = Replays::default();
    let mut starts = Vec::new();
    for e in events {
        let digest = e.digest.as_ref().map(Digest::as_str);
        let sha = messages::data_sha256(&e.data);
        let replayed = replays.see(e.seq, e.kind, sha.as_deref()).is_some();
        if heads
            .entry((&e.app, &e.env))
            .or_default()
            .apply_statement(e.seq, e.kind, digest, replayed)
        {
            starts.push(Start {
                env: e.env.clone(),
                seq: e.seq,
                kind: e.kind,
                replayed,
                at: e.at,
                digest: e
                    .digest
                    .clone()
                    .expect("a segment starts only at an event with a digest"),
                actor: e.actor.clone(),
                app: e.app.clone(),
            });
        }
    }
    close_segments(starts)
}

/// An event that starts a segment.
struct Start {
    app: String,
    env: String,
    seq: i64,
    kind: EventKind,
    /// It replays an earlier signed statement (its stay began by drift).
    replayed: bool,
    at: chrono::DateTime<chrono::Utc>,
    digest: Digest,
    actor: Option<String>,
}

/// Turn segment starts (in `seq` order) into segments: each lasts until the next one of its
/// app × environment begins.
fn close_segments(starts: Vec<Start>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::with_capacity(starts.len());
    let mut current: HashMap<(String, String), usize> = HashMap::new();
    for s in starts {
        if let Some(&i) = current.get(&(s.app.clone(), s.env.clone())) {
            out[i].until = Some(s.at);
        }
        current.insert((s.app.clone(), s.env.clone()), out.len());
        out.push(Segment {
            app: s.app,
            env: s.env,
            digest: s.digest,
            from: s.at,
            until: None,
            via: via_of(s.kind, s.replayed),
            actor: s.actor,
            seq: s.seq,
            unapproved: false,
        });
    }
    out
}

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
        "SELECT e.seq, e.kind, e.app, e.env, e.digest, e.at, m.replay_of IS NOT NULL
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
        if heads.entry(key.clone()).or_default().apply_statement(
            seq,
            kind,
            digest.as_deref(),
            replayed,
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
        m.replay_of IS NOT NULL
        FROM segments s JOIN events e ON e.seq = s.seq LEFT JOIN signed_messages m ON m.seq = s.seq
        WHERE s.app = ?1 ORDER BY s.seq";
    const BY_APP_ENV: &str = "SELECT s.app, s.env, e.seq, e.kind, e.at, e.digest, e.actor,
        m.replay_of IS NOT NULL
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
        let bad = |what: &str| {
            Error::database(format!(
                "event {seq} starts a timeline segment but {what}; run `tollgate verify` to check the history"
            ))
        };
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
        });
    }
    Ok(close_segments(starts))
}

/// Current segment, drift flag and last observation of one app × environment.
pub(super) fn head(conn: &Connection, app: &str, env: &str) -> Result<Head> {
    let state = load_head(conn, app, env)?;
    let segment = match state.segment_seq {
        Some(seq) => {
            let e = event_by_seq(conn, seq)?;
            let digest = e.digest.ok_or_else(|| {
                Error::database(format!(
                    "event {seq} starts the current segment of {app}/{env} but has no digest; run `tollgate verify`"
                ))
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

/// Where a promotion journal entry stands, as far as drift is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalOutcome {
    /// `intended`, `pushed` or `verified`: still running (recovery finishes or fails entries
    /// whose process is gone before any CLI command, `sync` included).
    Open,
    Recorded,
    Failed,
}

/// The newest promotion journal entry that targets one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPromotion {
    pub journal: i64,
    pub actor: String,
    pub digest: Digest,
    pub outcome: JournalOutcome,
}

/// The newest journal entry for app × environment and `repository:tag` (read only).
pub(super) fn newest_promotion(
    conn: &Connection,
    app: &str,
    env: &str,
    repository: &str,
    tag: &str,
) -> Result<Option<TagPromotion>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, actor, state, digest FROM promotions
          WHERE app = ?1 AND to_env = ?2 AND dst_repository = ?3 AND tag = ?4
          ORDER BY id DESC LIMIT 1",
    )?;
    let newest: Option<(i64, String, String, String)> = stmt
        .query_row(params![app, env, repository, tag], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((journal, actor, state, digest)) = newest else {
        return Ok(None);
    };
    let digest = Digest::parse(&digest).map_err(|_| {
        Error::database(format!(
            "promotion journal entry {journal} holds a malformed digest; run `tollgate verify`"
        ))
    })?;
    Ok(Some(TagPromotion {
        journal,
        actor,
        digest,
        outcome: match state.as_str() {
            "recorded" => JournalOutcome::Recorded,
            "failed" => JournalOutcome::Failed,
            _ => JournalOutcome::Open,
        },
    }))
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
    use chrono::{TimeZone, Utc};

    fn d(n: u8) -> Digest {
        Digest::of(&[n])
    }

    fn ev(seq: i64, kind: EventKind, env: &str, digest: Option<u8>) -> Event {
        Event {
            seq,
            at: Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap()
                + chrono::Duration::minutes(seq),
            kind,
            app: "api".into(),
            env: env.into(),
            digest: digest.map(d),
            actor: Some(format!("actor{seq}")),
            data: serde_json::json!({}),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    use EventKind::*;

    #[test]
    fn baseline_then_changes() {
        let events = vec![
            ev(1, Observation, "prod", Some(1)), // baseline
            ev(2, Observation, "prod", Some(1)),
            ev(3, Record, "prod", Some(2)),
            ev(4, Observation, "prod", Some(2)),
            ev(5, Approval, "prod", Some(3)),    // never starts one
            ev(6, Observation, "prod", Some(3)), // later observations never do
            ev(7, Drift, "prod", Some(3)),
            ev(8, Promotion, "prod", Some(3)), // same digest: acknowledges, no new segment
            ev(9, Promotion, "prod", Some(4)),
            ev(10, Rollback, "prod", Some(2)),
            ev(11, Record, "prod", None), // no digest: nothing
        ];
        let segs = derive_timeline(&events);
        let got: Vec<(i64, Via, Digest, Option<i64>)> = segs
            .iter()
            .map(|s| {
                (
                    s.seq,
                    s.via,
                    s.digest.clone(),
                    s.until.map(|u| (u - events[0].at).num_minutes() + 1),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1, Via::Observed, d(1), Some(3)),
                (3, Via::Record, d(2), Some(7)),
                (7, Via::Drift, d(3), Some(9)),
                (9, Via::Promotion, d(4), Some(10)),
                (10, Via::Rollback, d(2), None),
            ]
        );
        assert_eq!(segs[1].actor.as_deref(), Some("actor3"));
        assert_eq!(segs[1].from, events[2].at);
    }

    #[test]
    fn environments_are_independent_and_missing_tags_wait_for_a_digest() {
        let events = vec![
            ev(1, Observation, "dev", None), // the tag does not exist yet: no baseline
            ev(2, Observation, "staging", Some(1)),
            ev(3, Observation, "dev", Some(2)), // first observation with a digest: baseline
            ev(4, Record, "staging", Some(1)),  // same digest as the baseline: nothing new
        ];
        let segs = derive_timeline(&events);
        assert_eq!(
            segs.iter()
                .map(|s| (s.seq, s.env.as_str()))
                .collect::<Vec<_>>(),
            vec![(2, "staging"), (3, "dev")]
        );
        assert!(segs.iter().all(|s| s.until.is_none()));
    }

    #[test]
    fn drift_flag_follows_the_newest_change() {
        let mut h = HeadState::default();
        assert!(h.apply(1, Observation, Some("a")));
        assert!(!h.drift);
        assert!(h.apply(2, Drift, Some("b")));
        assert!(h.drift);
        assert!(!h.apply(3, Observation, Some("b")));
        assert!(!h.apply(4, Approval, Some("b")));
        assert!(
            h.drift,
            "observations and approvals do not acknowledge drift"
        );
        assert!(!h.apply(5, Record, Some("b")));
        assert!(!h.drift, "a record of the drifted digest acknowledges it");
        assert_eq!(h.last_observation_seq, Some(3));
        assert_eq!(h.last_change_seq, Some(5));
        assert_eq!(h.segment_seq, Some(2));
        assert_eq!(h.last_seq(), 5);
    }

    #[test]
    fn drift_is_decided_against_what_the_history_says_runs_there() {
        use DriftDecision::*;
        let (w, x) = (d(1), d(2));
        // Nothing known yet: the first observation is the baseline, whatever it shows.
        assert_eq!(decide_drift(false, None, false, Some(&w)), Clean);
        assert_eq!(decide_drift(false, None, false, None), Clean);
        // The tag shows what the current segment says.
        assert_eq!(decide_drift(true, Some(&x), false, Some(&x)), Clean);
        // Promoted X, then reset to W: drift, even if the previous observation also saw W.
        assert_eq!(decide_drift(true, Some(&x), false, Some(&w)), New);
        // The tag is gone where the history says X runs.
        assert_eq!(decide_drift(true, Some(&x), false, None), New);
        // Seen missing, never had a digest, now appears without explanation.
        assert_eq!(decide_drift(true, None, false, Some(&w)), New);
        assert_eq!(decide_drift(true, None, false, None), Clean);
        // Still where it drifted to, or still missing after a drift to nothing.
        assert_eq!(decide_drift(true, Some(&w), true, Some(&w)), Standing);
        assert_eq!(decide_drift(true, None, true, None), Standing);
        // Drifted to nothing, then back: a move nobody explained either.
        assert_eq!(decide_drift(true, None, true, Some(&x)), New);
    }

    #[test]
    fn a_recorded_stay_is_unapproved_until_a_promotion_of_it() {
        let events = vec![
            ev(1, Observation, "prod", Some(1)), // baseline: not a record
            ev(2, Record, "prod", Some(2)),      // unapproved hotfix...
            ev(3, Promotion, "prod", Some(2)),   // ...until an approved promotion of it
            ev(4, Record, "prod", Some(3)),      // unapproved, replaced by the drift below
            ev(5, Drift, "prod", Some(4)),       // drift alone is drift, not unapproved
            ev(6, Promotion, "prod", Some(5)),
            ev(7, Record, "prod", Some(5)), // CI confirms an approved promotion: fine
            ev(8, Drift, "prod", Some(6)),
            ev(9, Record, "prod", Some(6)), // acknowledging drift by a record: unapproved
            ev(10, Record, "dev", Some(6)), // no policy in dev
        ];
        let mut segs = derive_timeline(&events);
        derive_unapproved(&events, &mut segs, &|_, env| env == "prod");
        let got: Vec<(i64, &str, bool)> = segs
            .iter()
            .map(|s| (s.seq, s.env.as_str(), s.unapproved))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "prod", false),
                (2, "prod", false),
                (4, "prod", true),
                (5, "prod", false),
                (6, "prod", false),
                (8, "prod", true),
                (10, "dev", false),
            ]
        );
        let mut stay = StayApproval::default();
        stay.apply(Record);
        assert!(stay.unapproved());
        stay.apply(Rollback);
        assert!(!stay.unapproved(), "a rollback passes the same gate");
    }

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
