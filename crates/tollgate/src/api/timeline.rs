use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::api::open;
use crate::api::promote::forge_commit_url;
use crate::api::status::gated;
use crate::config::Workspace;
use crate::domain::Segment;
use crate::Result;

/// What ran where and when, oldest first: one segment per digest per stay in an environment,
/// each flagged `unapproved` when it is a recorded deployment into an environment with a
/// policy that no approved promotion or rollback replaced.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn timeline(ws: &Workspace, app: &str, env: Option<&str>) -> Result<Vec<Segment>> {
    let a = ws.app(app)?;
    if let Some(e) = env {
        ws.env(a, e)?;
    }
    let store = open::store(ws)?;
    let mut segments = store.timeline(app, env)?;
    store.flag_unapproved(&mut segments, &|a, e| gated(ws, a, e))?;
    crate::api::incident::mark_segments(ws, &store, a, &mut segments)?;
    crate::api::attest::mark_segments(ws, &store, a, &mut segments)?;
    let mut versions = std::collections::HashMap::new();
    for s in &mut segments {
        link_commit(ws, s);
        if !versions.contains_key(&s.digest) {
            let v = store.image_info(&s.digest)?.and_then(|i| i.version);
            versions.insert(s.digest.clone(), v);
        }
        s.version = versions[&s.digest].clone();
    }
    Ok(segments)
}

/// Set the forge's page of a git environment segment's commit (`commit_url`).
pub(crate) fn link_commit(ws: &Workspace, s: &mut Segment) {
    if let (Some(git), Some(commit)) = (&s.git, &s.commit) {
        s.commit_url = forge_commit_url(ws, git, commit);
    }
}

/// What one environment ran at a moment (`timeline --at T`): the segment covering it, as
/// `timeline --json` shows segments, plus the moment and whether the stay was drifting then.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SegmentAt {
    #[serde(flatten)]
    pub segment: Segment,
    /// The moment asked about.
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// The stay began with drift and nobody had acknowledged it (record, promotion or
    /// rollback of its digest) by then.
    pub drift: bool,
}

/// What every environment of one app (or one environment) ran at moment `at` and how it got
/// there: for each, in the workspace's order, the newest segment that began at or before `at`
/// (see `store::point_in_time`), with `until` the start of the next one. Environments where
/// nothing had begun by then are left out.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn timeline_at(
    ws: &Workspace,
    app: &str,
    env: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Vec<SegmentAt>> {
    let a = ws.app(app)?;
    if let Some(e) = env {
        ws.env(a, e)?;
    }
    let store = open::store(ws)?;
    let (mut segments, mut drifts) = (Vec::new(), Vec::new());
    for e in a
        .environments
        .iter()
        .filter(|e| env.is_none_or(|n| n == e.name))
    {
        if let Some(mut stay) = store.stay_at(app, &e.name, at, e.policy.is_some())? {
            link_commit(ws, &mut stay.segment);
            stay.segment.version = store
                .image_info(&stay.segment.digest)?
                .and_then(|i| i.version);
            segments.push(stay.segment);
            drifts.push(stay.drift);
        }
    }
    // The stay's incidents and attestations as the history held them at `at`: appended by
    // then, an incident closed only if its close was.
    crate::api::incident::mark_segments(ws, &store, a, &mut segments)?;
    crate::api::attest::mark_segments(ws, &store, a, &mut segments)?;
    Ok(segments
        .into_iter()
        .zip(drifts)
        .map(|(mut segment, drift)| {
            segment.incidents.retain(|i| i.opened_at <= at);
            for i in &mut segment.incidents {
                if i.closed_at.is_some_and(|c| c > at) {
                    i.closed_at = None;
                    i.resolution = None;
                }
            }
            segment.checks.retain(|c| c.at <= at);
            SegmentAt { segment, at, drift }
        })
        .collect())
}
