//! Timelines: what ran in each app × environment, and since when (the rules; the store keeps
//! their result: `store::timeline`).
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
//! tag points to (`store::Head::expected`) is the current segment's digest, or nothing when the
//! newest change is a drift to a missing tag. An observed digest (or a missing tag) that differs from it
//! is new drift, whatever the previous observation saw; once the history knows anything about
//! the environment, only its very first observation is a baseline.
//!
//! A stay is *unapproved* ([`StayApproval`]) when a `record` put it there or acknowledged it and
//! no promotion or rollback of its digest into the environment happened during the stay (within
//! a segment every record, promotion and rollback is of the segment's digest). Only environments
//! with a policy are flagged; the rules do not know policies, so the caller says which are
//! gated ([`derive_unapproved`]; the store's `flag_unapproved`).
//!
//! [`derive_timeline`] states the rules over a list of events; the store keeps the same result
//! incrementally (`store::timeline`: tables `segments` and `heads`, written by
//! [`HeadState::apply`] in the append transaction) so that a timeline or a status costs a few
//! index lookups on a large history. Pure: no clock, no I/O.

use std::collections::HashMap;

use crate::domain::statement::{self, data_message_sha256, Replays};
use crate::domain::{Digest, Event, EventKind, Segment, Via};

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
        | EventKind::Unplaced
        | EventKind::Incident
        | EventKind::IncidentClose
        | EventKind::Check => Via::Record,
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
                | EventKind::Unplaced
                | EventKind::Incident
                | EventKind::IncidentClose
                | EventKind::Check,
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
            | EventKind::Unplaced
            | EventKind::Incident
            | EventKind::IncidentClose
            | EventKind::Check => {}
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

    /// [`apply_statement`](Self::apply_statement) for any stored event, `baseline` being
    /// [`is_baseline`] of its data: a baseline observation (a stay read out of a deployment
    /// file's history on the environment's first sync) starts a segment whenever its digest
    /// differs from the current segment's, as a record would, but changes no drift state.
    pub fn apply_event(
        &mut self,
        seq: i64,
        kind: EventKind,
        digest: Option<&str>,
        replayed: bool,
        baseline: bool,
    ) -> bool {
        if kind != EventKind::Observation || !baseline {
            return self.apply_statement(seq, kind, digest, replayed);
        }
        let starts = digest.is_some_and(|d| self.segment_digest.as_deref() != Some(d));
        self.last_observation_seq = Some(seq);
        if starts {
            self.segment_seq = Some(seq);
            self.segment_digest = digest.map(str::to_owned);
        }
        starts
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
/// says the tag points to (`store::Head::expected`); `drifting`: the newest change is a drift;
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
        let sha = data_message_sha256(&e.data);
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
pub(crate) fn next_in_lane(segments: &[Segment]) -> Vec<Option<i64>> {
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
        let sha = data_message_sha256(&e.data);
        let replayed = replays.see(e.seq, e.kind, sha.as_deref()).is_some();
        if heads.entry((&e.app, &e.env)).or_default().apply_event(
            e.seq,
            e.kind,
            digest,
            replayed,
            is_baseline(&e.data),
        ) {
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
                place: GitPlace::of(&e.data),
                emergency: emergency_reason(&e.data),
            });
        }
    }
    close_segments(starts)
}

/// An event that starts a segment.
pub(crate) struct Start {
    pub(crate) app: String,
    pub(crate) env: String,
    pub(crate) seq: i64,
    pub(crate) kind: EventKind,
    /// It replays an earlier signed statement (its stay began by drift).
    pub(crate) replayed: bool,
    pub(crate) at: chrono::DateTime<chrono::Utc>,
    pub(crate) digest: Digest,
    pub(crate) actor: Option<String>,
    /// For an environment in a deployment repository: where the event read its digest.
    pub(crate) place: GitPlace,
    /// An emergency rollback's reason (`data.emergency`, `data.reason`).
    pub(crate) emergency: Option<String>,
}

/// The reason of an emergency rollback event (`data.emergency: true`, `data.reason`); `None`
/// for any other event.
pub fn emergency_reason(data: &serde_json::Value) -> Option<String> {
    (data.get("emergency").and_then(|v| v.as_bool()) == Some(true)).then(|| {
        data.get("reason")
            .and_then(|r| r.as_str())
            .unwrap_or_default()
            .to_string()
    })
}

/// The `git`, `file` and `commit` an event of an environment in a deployment repository
/// carries in its data (all `None` for a tag environment's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitPlace {
    pub git: Option<String>,
    pub file: Option<String>,
    pub commit: Option<String>,
}

impl GitPlace {
    /// Read from an event's data (`data.git`, `data.file`, `data.commit`).
    pub fn of(data: &serde_json::Value) -> GitPlace {
        let s = |k: &str| data.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        GitPlace {
            git: s("git"),
            file: s("file"),
            commit: s("commit"),
        }
    }
}

/// The data key that marks a backfilled observation ([`HeadState::apply_event`]).
pub const BASELINE_KEY: &str = "baseline";

/// Does this event's data mark a baseline observation (`"baseline": true`)?
pub fn is_baseline(data: &serde_json::Value) -> bool {
    data.get(BASELINE_KEY).and_then(|v| v.as_bool()) == Some(true)
}

/// Turn segment starts (in `seq` order) into segments: each lasts until the next one of its
/// app × environment begins.
pub(crate) fn close_segments(starts: Vec<Start>) -> Vec<Segment> {
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
            git: s.place.git,
            file: s.place.file,
            commit: s.place.commit,
            commit_url: None,
            incidents: Vec::new(),
            checks: Vec::new(),
            version: None,
            emergency: s.emergency.is_some(),
            reason: s.emergency,
        });
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    /// A digest made from one byte.
    pub(crate) fn d(n: u8) -> Digest {
        Digest::of(&[n])
    }

    /// Event `seq` of app `api` in `env`, one minute after the previous, by `actor<seq>`.
    pub(crate) fn ev(seq: i64, kind: EventKind, env: &str, digest: Option<u8>) -> Event {
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

    /// A deployment file's backfilled history: each baseline observation whose digest differs
    /// begins a stay (`via` observed, naming its commit); a plain observation never does; the
    /// store (append, rebuild, verify) keeps exactly what the rules say.
    #[test]
    fn baseline_observations_begin_stays_and_the_store_agrees() {
        let baseline = |seq: i64, digest: u8, commit: &str| {
            let mut e = ev(seq, Observation, "prod", Some(digest));
            e.data = serde_json::json!({
                "git": "deploy", "file": "api.yaml", "commit": commit, BASELINE_KEY: true,
            });
            e
        };
        let mut tip = ev(5, Observation, "prod", Some(4));
        tip.data = serde_json::json!({ "git": "deploy", "file": "api.yaml", "commit": "c4" });
        let events = vec![
            baseline(1, 1, "c1"),
            baseline(2, 2, "c2"),
            baseline(3, 2, "c3"), // same digest: the stay goes on
            baseline(4, 3, "c4"),
            tip, // a later digest in a plain observation begins nothing
        ];
        assert!(is_baseline(&events[0].data) && !is_baseline(&events[4].data));
        let segs = derive_timeline(&events);
        let got: Vec<(i64, Via, Option<&str>)> = segs
            .iter()
            .map(|s| (s.seq, s.via, s.commit.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, Via::Observed, Some("c1")),
                (2, Via::Observed, Some("c2")),
                (4, Via::Observed, Some("c4")),
            ]
        );
        assert_eq!(segs[0].git.as_deref(), Some("deploy"));
        assert_eq!(segs[0].until, Some(events[1].at));

        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(&dir.path().join("t.db")).unwrap();
        store
            .append(events.iter().map(Event::to_new).collect())
            .unwrap();
        assert_eq!(store.timeline("api", None).unwrap(), segs);
        let head = store.head("api", "prod").unwrap();
        assert_eq!(head.segment.as_ref().map(|s| s.seq), Some(4));
        assert!(!head.drift, "a baseline is never drift");
        assert_eq!(store.verify_chain().unwrap().broken, None);
        store.rebuild_timeline().unwrap();
        assert_eq!(store.timeline("api", None).unwrap(), segs);
        let at = events[1].at + chrono::Duration::seconds(30);
        let stay = store.stay_at("api", "prod", at, false).unwrap().unwrap();
        assert_eq!(stay.segment.commit.as_deref(), Some("c2"));
    }
}
