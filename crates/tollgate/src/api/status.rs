use chrono::{DateTime, Utc};

use super::conflicts;
use super::promote::forge_commit_url;
use crate::config::Workspace;
use crate::domain::{Event, StatusRow};
use crate::store::Store;
use crate::Result;

/// Current digest per app and environment, with drift and unapproved flags and the team
/// conflicts of each (`status --json`): [`status_at`] of now.
pub fn status(ws: &Workspace, app: Option<&str>) -> Result<Vec<StatusRow>> {
    status_at(ws, app, None)
}

/// Digest per app and environment now (`at` = `None`), or at a moment (`status --at T`): what
/// the history says ran there then and how it got there (the newest segment that began at or
/// before T; see `store::point_in_time`), each row carrying `at`. A moment before the first
/// event of the history gives rows without digests, flagged `before_history`.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn status_at(
    ws: &Workspace,
    app: Option<&str>,
    at: Option<DateTime<Utc>>,
) -> Result<Vec<StatusRow>> {
    if let Some(a) = app {
        ws.app(a)?;
    }
    let store = Store::open(&ws.db_path)?;
    if let Some(t) = at {
        return rows_at(ws, &store, app, t).and_then(|rows| linked(ws, &store, rows));
    }
    let is_gated = |a: &str, e: &str| gated(ws, a, e);
    let conflicts = conflicts::of(&store, app, None)?;
    let mut rows = Vec::new();
    for a in ws
        .config
        .apps
        .iter()
        .filter(|a| app.is_none_or(|n| n == a.name))
    {
        let incidents = crate::api::incident::incidents_of(ws, &store, a, None)?;
        for e in &a.environments {
            let head = store.head(&a.name, &e.name)?;
            let mut current: Vec<_> = head.segment.iter().cloned().collect();
            store.flag_unapproved(&mut current, &is_gated)?;
            let seg = current.first();
            rows.push(StatusRow {
                app: a.name.clone(),
                env: e.name.clone(),
                repository: ws.env_repository(a, e).to_string(),
                tag: e.tag().map(str::to_string),
                git: e.git_target().map(|g| g.git.clone()),
                file: e.git_target().map(|g| g.file.clone()),
                commit: head
                    .last_observation
                    .as_ref()
                    .and_then(|o| o.data_str("commit"))
                    .map(str::to_owned),
                commit_url: None,
                deployed_by_tag: head
                    .last_observation
                    .as_ref()
                    .and_then(|o| o.data_str("deployed_by_tag"))
                    .map(str::to_owned),
                // The tag as sync last read it (what drift is about), unless the history
                // placed a digest there since (a record or a promotion after that sync, not yet
                // read back): then what the history says runs, beside who put it there.
                digest: match (&head.last_observation, seg) {
                    (Some(o), Some(s)) if s.seq > o.seq => Some(s.digest.clone()),
                    (Some(o), _) => o.digest.clone(),
                    (None, s) => s.map(|s| s.digest.clone()),
                },
                since: seg.map(|s| s.from),
                drift: head.drift,
                via: seg.map(|s| s.via),
                last_observed: head.last_observation.as_ref().map(|o| o.at),
                unapproved: seg.is_some_and(|s| s.unapproved),
                emergency: seg.is_some_and(|s| s.emergency),
                reason: seg.and_then(|s| s.reason.clone()),
                at: None,
                actor: seg.and_then(|s| s.actor.clone()),
                until: None,
                before_history: false,
                conflicts: conflicts
                    .iter()
                    .filter(|c| c.app == a.name && c.env == e.name)
                    .cloned()
                    .collect(),
                version: None,
                incidents: match seg {
                    Some(s) => {
                        crate::api::incident::marks(&incidents, &e.name, &s.digest, |i| i.open)
                    }
                    None => Vec::new(),
                },
                drifted_from: match (head.drift, seg) {
                    (true, Some(s)) => store.digest_before(&a.name, &e.name, s.seq)?,
                    _ => None,
                },
            });
        }
    }
    linked(ws, &store, rows)
}

/// `rows` with the forge's page of each git environment's commit (`commit_url`) and the
/// version of each digest the history has read the image of.
fn linked(ws: &Workspace, store: &Store, mut rows: Vec<StatusRow>) -> Result<Vec<StatusRow>> {
    for r in &mut rows {
        if let (Some(git), Some(commit)) = (&r.git, &r.commit) {
            r.commit_url = forge_commit_url(ws, git, commit);
        }
        if let Some(d) = &r.digest {
            r.version = store.image_info(d)?.and_then(|i| i.version);
        }
    }
    Ok(rows)
}

/// The rows of [`status_at`] at moment `t`: one stay lookup per app × environment.
fn rows_at(
    ws: &Workspace,
    store: &Store,
    app: Option<&str>,
    t: DateTime<Utc>,
) -> Result<Vec<StatusRow>> {
    let before_history = store.first_event_at()?.is_none_or(|first| t < first);
    let conflicts = conflicts::of(store, app, None)?;
    let mut rows = Vec::new();
    for a in ws
        .config
        .apps
        .iter()
        .filter(|a| app.is_none_or(|n| n == a.name))
    {
        for e in &a.environments {
            let stay = match before_history {
                true => None,
                false => store.stay_at(&a.name, &e.name, t, e.policy.is_some())?,
            };
            let seg = stay.as_ref().map(|s| &s.segment);
            rows.push(StatusRow {
                app: a.name.clone(),
                env: e.name.clone(),
                repository: ws.env_repository(a, e).to_string(),
                tag: e.tag().map(str::to_string),
                git: e.git_target().map(|g| g.git.clone()),
                file: e.git_target().map(|g| g.file.clone()),
                commit: seg.and_then(|s| s.commit.clone()),
                commit_url: None,
                deployed_by_tag: None,
                digest: seg.map(|s| s.digest.clone()),
                since: seg.map(|s| s.from),
                drift: stay.as_ref().is_some_and(|s| s.drift),
                via: seg.map(|s| s.via),
                last_observed: None,
                unapproved: seg.is_some_and(|s| s.unapproved),
                emergency: seg.is_some_and(|s| s.emergency),
                reason: seg.and_then(|s| s.reason.clone()),
                at: Some(t),
                actor: seg.and_then(|s| s.actor.clone()),
                until: seg.and_then(|s| s.until),
                before_history,
                conflicts: conflicts
                    .iter()
                    .filter(|c| c.app == a.name && c.env == e.name)
                    .cloned()
                    .collect(),
                version: None,
                incidents: Vec::new(),
                drifted_from: None,
            });
        }
    }
    Ok(rows)
}

/// Does this app × environment have a policy in tollgate.toml (so that a `record` into it is a
/// deployment that skipped the approvals)? `false` for names tollgate.toml does not have.
pub(crate) fn gated(ws: &Workspace, app: &str, env: &str) -> bool {
    ws.config
        .apps
        .iter()
        .filter(|a| a.name == app)
        .flat_map(|a| &a.environments)
        .any(|e| e.name == env && e.policy.is_some())
}

/// Is this just-appended `record` event an unapproved deployment: its environment has a policy
/// and no approved promotion or rollback put its digest there during the current stay? The CLI
/// warns when it is.
#[tracing::instrument(skip_all, fields(seq = event.seq))]
pub fn record_is_unapproved(ws: &Workspace, event: &Event) -> Result<bool> {
    if !gated(ws, &event.app, &event.env) {
        return Ok(false);
    }
    Store::open(&ws.db_path)?.record_unapproved(event)
}
