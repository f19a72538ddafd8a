use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::Digest;

/// What happened. Stored as the lower-case name; kinds may be added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EventKind {
    /// `sync` read an environment tag and saw this digest.
    Observation,
    /// A deployment recorded by CI or a person (`tollgate record`).
    Record,
    /// A signed approval of one digest for one source → target move.
    Approval,
    /// A digest re-published under the target environment's tag by Tollgate.
    Promotion,
    /// A promotion of an earlier digest back into an environment.
    Rollback,
    /// A tag moved outside Tollgate to a digest nothing explains.
    Drift,
    /// A signed "never this digest" into an environment and the later ones (`env` empty: every
    /// environment). Never starts a segment.
    Rejection,
    /// A signed lifting of the rejection of the same digest and scope. Never starts a segment.
    Unrejection,
    /// A teammate's verified promotion, rollback or record that this history does not place
    /// (it fits nowhere in its lane: `data.moved` is its signed kind, `data.why` says why).
    /// Kept, once, so that the conflict rules see it; never starts a segment and explains no
    /// tag move.
    Unplaced,
    /// A signed "this digest has an incident in `env`" (`tollgate incident open`): the
    /// `incidents` rule blocks promoting it out of `env` until it is closed. Never starts a
    /// segment.
    Incident,
    /// A signed close of one open incident (it names the sha256 of the open message). Never
    /// starts a segment.
    IncidentClose,
    /// A signed attestation of a `[[checks]]` check for a digest (`tollgate attest`: pass or
    /// fail, with a summary, a link and an attached report's hash). `env` is empty. Never starts
    /// a segment; the `checks` rule reads it.
    Check,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Observation => "observation",
            EventKind::Record => "record",
            EventKind::Approval => "approval",
            EventKind::Promotion => "promotion",
            EventKind::Rollback => "rollback",
            EventKind::Drift => "drift",
            EventKind::Rejection => "rejection",
            EventKind::Unrejection => "unrejection",
            EventKind::Unplaced => "unplaced",
            EventKind::Incident => "incident",
            EventKind::IncidentClose => "incident_close",
            EventKind::Check => "check",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "observation" => EventKind::Observation,
            "record" => EventKind::Record,
            "approval" => EventKind::Approval,
            "promotion" => EventKind::Promotion,
            "rollback" => EventKind::Rollback,
            "drift" => EventKind::Drift,
            "rejection" => EventKind::Rejection,
            "unrejection" => EventKind::Unrejection,
            "unplaced" => EventKind::Unplaced,
            "incident" => EventKind::Incident,
            "incident_close" => EventKind::IncidentClose,
            "check" => EventKind::Check,
            _ => return None,
        })
    }
}

/// An event about to be appended. The store assigns `seq`, `prev_hash` and `hash`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub app: String,
    pub env: String,
    pub digest: Option<Digest>,
    pub actor: Option<String>,
    /// Kind-specific details (tag, repository, from/to digests, signature, ...): a JSON object.
    pub data: serde_json::Value,
}

/// An event as stored: one link of the hash chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Event {
    #[ts(type = "number")]
    pub seq: i64,
    /// Always written with milliseconds (`2026-11-25T08:00:00.000Z`), exactly as stored and
    /// hashed, so an exported event's hash can be recomputed from its JSON.
    #[ts(type = "string")]
    #[serde(serialize_with = "millis")]
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub app: String,
    pub env: String,
    #[ts(type = "string | null")]
    pub digest: Option<Digest>,
    pub actor: Option<String>,
    #[ts(type = "Record<string, unknown>")]
    pub data: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl Event {
    /// The same event, to append again elsewhere (another history): the store assigns its
    /// `seq` and hashes anew.
    pub fn to_new(&self) -> NewEvent {
        NewEvent {
            at: self.at,
            kind: self.kind,
            app: self.app.clone(),
            env: self.env.clone(),
            digest: self.digest.clone(),
            actor: self.actor.clone(),
            data: self.data.clone(),
        }
    }

    /// A string field of `data` (`None` when it is absent or not a string).
    pub fn data_str(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(serde_json::Value::as_str)
    }

    /// When the history appended this event: `data.appended_at` for a `record` given `--at`
    /// (whose `at` is the claimed deployment time), else `at` (every other event is stamped
    /// when it is appended). Soak and approval ages are counted from here.
    pub fn appended_at(&self) -> DateTime<Utc> {
        self.data_str("appended_at")
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map_or(self.at, |t| t.with_timezone(&Utc))
    }

    /// The `seq`s of the approvals a promotion or rollback counted (`data.approvals`); none for
    /// any other kind.
    pub fn counted_approvals(&self) -> Vec<i64> {
        if !matches!(self.kind, EventKind::Promotion | EventKind::Rollback) {
            return Vec::new();
        }
        self.data
            .get("approvals")
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_i64()).collect())
            .unwrap_or_default()
    }
}

/// How a digest got into an environment (the `via` of a timeline segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Via {
    Promotion,
    Rollback,
    Record,
    Observed,
    Drift,
}

/// One stretch of a timeline: this digest was in this environment from `from` until `until`
/// (`None` for the current one). Field names are the `timeline --json` contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Segment {
    pub app: String,
    pub env: String,
    #[ts(type = "string")]
    pub digest: Digest,
    #[ts(type = "string")]
    pub from: DateTime<Utc>,
    #[ts(type = "string | null")]
    pub until: Option<DateTime<Utc>>,
    pub via: Via,
    pub actor: Option<String>,
    /// The event that started this segment.
    #[ts(type = "number")]
    pub seq: i64,
    /// The environment has a policy and this stay was put there (or acknowledged) by a
    /// `record`, with no promotion or rollback of its digest into it during the stay: a
    /// deployment that skipped the approvals. Decided with tollgate.toml's current policies.
    #[serde(default)]
    pub unapproved: bool,
    /// For an environment in a deployment repository: the `[[git]]` entry's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub git: Option<String>,
    /// For an environment in a deployment repository: the file's path in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub file: Option<String>,
    /// For an environment in a deployment repository: the commit that began this stay (the
    /// commit the starting event read the digest at).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub commit: Option<String>,
    /// The forge's page of `commit`, where the repository's url is a known forge (set by the
    /// api from the `[[git]]` entry; never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub commit_url: Option<String>,
    /// The incidents opened on this digest in this environment during this stay (`tollgate
    /// incident open`), open or closed; absent when there were none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<super::IncidentMark>>", optional)]
    pub incidents: Vec<super::IncidentMark>,
    /// The attestations of this digest (`tollgate attest`) the history appended during this
    /// stay, pass or fail; absent when there were none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<super::CheckMark>>", optional)]
    pub checks: Vec<super::CheckMark>,
    /// The image's version (its `org.opencontainers.image.version` label), when the history
    /// has read it (set by the api; never stored); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub version: Option<String>,
    /// `true`: an emergency rollback began this stay (it passed under the policy's
    /// `rollback = { approvals = N }`, with a reason); absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub emergency: bool,
    /// The reason an emergency rollback gave; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
}

impl Segment {
    /// Was `at` (an append time) during this stay: at or after its start, before its end?
    pub fn during(&self, at: DateTime<Utc>) -> bool {
        at >= self.from && self.until.is_none_or(|u| at < u)
    }
}

/// One app × environment of `status --json`. Field names are the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusRow {
    pub app: String,
    pub env: String,
    pub repository: String,
    /// The environment's registry tag; `null` for an environment in a deployment repository.
    #[ts(type = "string | null")]
    pub tag: Option<String>,
    /// For an environment in a deployment repository: the `[[git]]` entry's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub git: Option<String>,
    /// For an environment in a deployment repository: the file's path in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub file: Option<String>,
    /// For an environment in a deployment repository: the commit the digest was read at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub commit: Option<String>,
    /// The forge's page of `commit`, where the repository's url is a known forge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub commit_url: Option<String>,
    /// The file references the image by tag only ("deployed by tag, not pinned", a risk flag):
    /// the tag (`latest` when none is written); the digest is then `null`, never a guess.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub deployed_by_tag: Option<String>,
    /// What the tag pointed to when sync last read it, or the digest the history placed there
    /// since (a record or promotion after that sync); before any sync, the recorded digest.
    /// `None` when the tag does not exist (or was never observed).
    #[ts(type = "string | null")]
    pub digest: Option<Digest>,
    /// When the current digest arrived in this environment.
    #[ts(type = "string | null")]
    pub since: Option<DateTime<Utc>>,
    /// The tag points to a digest other than the one the history says runs there (its current
    /// segment), with no promotion, rollback or record explaining it, and nobody has
    /// acknowledged it since; also `true` while a tag the history says holds a digest is missing.
    pub drift: bool,
    /// How the current digest got there.
    pub via: Option<Via>,
    /// When `sync` last read this tag.
    #[ts(type = "string | null")]
    pub last_observed: Option<DateTime<Utc>>,
    /// The current stay is an unapproved deployment (see [`Segment::unapproved`]): a `record`
    /// into an environment with a policy that no approved promotion or rollback has replaced.
    #[serde(default)]
    pub unapproved: bool,
    /// The moment this row describes (`status --at T`); `None` for now. With a moment, every
    /// field is as of then: `digest` is what the history says ran there (not a tag read),
    /// `drift` means the stay began with drift nobody had acknowledged yet, `last_observed` is
    /// `None`.
    #[ts(type = "string | null")]
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// Who put the digest there: the actor of the event that began the stay.
    #[serde(default)]
    pub actor: Option<String>,
    /// With a moment (`at`): when that stay ended, i.e. the next one began; `None` when it
    /// still runs (and always for now).
    #[ts(type = "string | null")]
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// The moment (`at`) is before the first event of the history: nothing had happened yet,
    /// as far as Tollgate knows.
    #[serde(default)]
    pub before_history: bool,
    /// The team conflicts of this app × environment (two promotions from one previous digest,
    /// one approval consumed twice, a move no sync saw): detected, never resolved. Empty when
    /// there are none.
    #[serde(default)]
    pub conflicts: Vec<super::conflicts::Conflict>,
    /// The image's version (its `org.opencontainers.image.version` label), when the history
    /// has read it; `None` otherwise.
    #[serde(default)]
    pub version: Option<String>,
    /// The incidents open now on this row's digest in this environment (`tollgate incident
    /// open`); absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<super::IncidentMark>>", optional)]
    pub incidents: Vec<super::IncidentMark>,
    /// `true`: an emergency rollback began the stay this row describes (see
    /// [`Segment::emergency`]); absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub emergency: bool,
    /// The reason that emergency rollback gave; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
    /// With `drift` (now, not with a moment): the digest the history says ran there before the
    /// tag moved, which a rollback would put back; absent otherwise (or when nothing ran there
    /// before, or the drift is a missing tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(as = "Option<String>", optional)]
    pub drifted_from: Option<Digest>,
}

fn millis<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn record(data: serde_json::Value) -> Event {
        Event {
            seq: 1,
            at: Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap(),
            kind: EventKind::Record,
            app: "api".into(),
            env: "staging".into(),
            digest: None,
            actor: Some("ci".into()),
            data,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn appended_at_is_the_append_time_of_a_backdated_record_else_at() {
        let e = record(serde_json::json!({ "appended_at": "2026-11-03T09:30:00.000Z" }));
        assert_eq!(
            e.appended_at(),
            Utc.with_ymd_and_hms(2026, 11, 3, 9, 30, 0).unwrap()
        );
        let e = record(serde_json::json!({}));
        assert_eq!(e.appended_at(), e.at);
    }
}
