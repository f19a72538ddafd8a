//! Sharing every authored event (docs/src/contracts/team-artifacts.md): approvals,
//! promotions, rollbacks, deployment records, rejections and unrejections are published as
//! artifacts attached to their image digest right after they are appended here; `sync` (and
//! `approve`, `reject`, `unreject`, `promote` and `rollback`, for the one digest they act on)
//! pulls, verifies and imports teammates' events, retries events whose push was denied, and
//! re-lists artifacts an index lost.
//!
//! - `publish`: one artifact builder and one retry loop for every kind ([`SHARED_KINDS`]).
//! - `pull`: the referrers of every digest of interest, 32 at a time.
//! - `channel`: a team channel that fails or misleads: one named line per subject, kept for
//!   `team status`; skipped artifacts remembered.
//! - `trust`: a pulled artifact checked against tollgate.toml (signer, key, app, move, role),
//!   against the history (a replayed signed message is never imported twice), the clock and
//!   the message versions this build reads.
//! - `agree`: a teammate's move into a deployment repository's file (a version 2 message naming
//!   `git`, `file` and `commit`) counts only where this desktop's own clone shows that commit on
//!   the branch pinning the signed digest; otherwise it is kept as `unplaced`, with why.
//! - `import`: verified events appended once; a teammate's promotion, rollback or record only
//!   where it continues this history's lane (so it explains the tag move, and there is no drift),
//!   else kept once as an `unplaced` event that explains nothing but is checked for conflicts.
//!
//! Adding a kind is one line in [`SHARED_KINDS`] to publish it, one arm in `trust::check` to
//! verify it and one in `import::import` to append it.

mod agree;
mod channel;
mod import;
mod publish;
mod pull;
mod trust;

use serde::Serialize;
use ts_rs::TS;

use crate::domain::{Digest, EventKind};
use crate::team::ArtifactKind;

pub(crate) use publish::publish_event;
pub(crate) use pull::{pull_digest, pull_for_rollback, TeamStep};

/// The authored events shared through the registry, and the artifact kind each is published as.
pub(crate) const SHARED_KINDS: &[(EventKind, ArtifactKind)] = &[
    (EventKind::Approval, ArtifactKind::Approval),
    (EventKind::Promotion, ArtifactKind::Promotion),
    (EventKind::Rollback, ArtifactKind::Rollback),
    (EventKind::Record, ArtifactKind::Deployment),
    (EventKind::Rejection, ArtifactKind::Rejection),
    (EventKind::Unrejection, ArtifactKind::Unrejection),
    (EventKind::Incident, ArtifactKind::Incident),
    (EventKind::IncidentClose, ArtifactKind::IncidentClose),
    (EventKind::Check, ArtifactKind::Check),
];

/// The artifact kind an event of `kind` is published as; `None`: not shared.
pub(crate) fn artifact_kind(kind: EventKind) -> Option<ArtifactKind> {
    SHARED_KINDS
        .iter()
        .find(|(e, _)| *e == kind)
        .map(|(_, a)| *a)
}

/// The event kind an artifact of `kind` is imported as; `None`: not imported.
pub(crate) fn event_kind(kind: ArtifactKind) -> Option<EventKind> {
    SHARED_KINDS
        .iter()
        .find(|(_, a)| *a == kind)
        .map(|(e, _)| *e)
}

/// What became of publishing one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct TeamShare {
    /// `<registry name>/<path>` of the repository it goes to.
    pub repository: String,
    /// The artifact's digest (also when not shared yet: it is the same once it is).
    pub artifact: String,
    /// In the registry and listed among the image's referrers.
    pub shared: bool,
    /// Why not, in one line (which registry, what right to ask for); `null` when shared.
    pub unshared: Option<String>,
}

/// What the team step of a sync did.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct TeamSyncReport {
    /// Teammates' approvals verified and appended to this history in this sync.
    pub imported: usize,
    /// Teammates' promotions, rollbacks and deployment records verified and appended (each
    /// explains a move of its environment's tag: the timeline names the teammate).
    #[serde(default)]
    pub imported_events: usize,
    /// Teammates' rejections and unrejections verified and appended (the `rejected` rule of
    /// every checklist reads them).
    #[serde(default)]
    pub imported_rejections: usize,
    /// Teammates' incident opens and closes verified and appended (the `incidents` rule and
    /// the soak of every checklist read them).
    #[serde(default)]
    pub imported_incidents: usize,
    /// Teammates' attestations of checks verified and appended (the `checks` rule reads them).
    #[serde(default)]
    pub imported_checks: usize,
    /// Teammates' verified promotions, rollbacks and records that fit nowhere in this history,
    /// kept in this sync as `unplaced` events (once each; named in `skipped`): they change no
    /// timeline, and the conflict rules see them.
    #[serde(default)]
    pub unplaced: usize,
    /// Pulled events that did not verify against tollgate.toml, or signed more than 5 minutes
    /// after this desktop's time (skipped, named in `skipped`).
    pub untrusted: usize,
    /// Pulled events whose signed message this history holds already (a copy re-listed under a
    /// new artifact): not imported, named in `skipped` as replayed; the move one would explain
    /// is drift.
    #[serde(default)]
    pub replayed: usize,
    /// Pulled events in a message version this Tollgate does not read yet (named in `skipped`:
    /// "needs a newer Tollgate").
    #[serde(default)]
    pub needs_newer: usize,
    /// Unshared local events published in this sync.
    pub unshared_retried: usize,
    /// Local events still unshared after this sync.
    pub still_unshared: usize,
    /// One line per referrer skipped (untrusted, altered, replayed, of a newer message version,
    /// not a Tollgate artifact, a trusted move this history does not show), per lost index
    /// entry, and per push still denied.
    pub skipped: Vec<String>,
    /// One line per team channel problem: a subject whose referrers could not be read (a bad
    /// index, a listing over the caps, the registry failing) or kept listed (a re-list the
    /// registry forbids, index write contention after the retries), or the team step failing
    /// as a whole. The sync went on with the others; `team status` keeps them.
    #[serde(default)]
    pub problems: Vec<String>,
}

/// A digest the team is asked about: each environment's current digest (which is also each
/// candidate waiting for the next environment, and each digest a tag moved to in this sync).
#[derive(Debug, Clone)]
pub(crate) struct Interest {
    pub app: String,
    pub digest: Digest,
}
