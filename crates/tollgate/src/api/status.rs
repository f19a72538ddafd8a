use crate::config::Workspace;
use crate::domain::{Event, StatusRow};
use crate::store::Store;
use crate::Result;

/// Current digest per app and environment, with drift and unapproved flags and the team
/// conflicts of each (`status --json`).
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn status(ws: &Workspace, app: Option<&str>) -> Result<Vec<StatusRow>> {
    if let Some(a) = app {
        ws.app(a)?;
    }
    let store = Store::open(&ws.db_path)?;
    let is_gated = |a: &str, e: &str| gated(ws, a, e);
    let conflicts = store.conflicts(app)?;
    let mut rows = Vec::new();
    for a in ws
        .config
        .apps
        .iter()
        .filter(|a| app.is_none_or(|n| n == a.name))
    {
        for e in &a.environments {
            let head = store.head(&a.name, &e.name)?;
            let mut current: Vec<_> = head.segment.iter().cloned().collect();
            store.flag_unapproved(&mut current, &is_gated)?;
            let seg = current.first();
            rows.push(StatusRow {
                app: a.name.clone(),
                env: e.name.clone(),
                repository: ws.env_repository(a, e).to_string(),
                tag: e.tag.clone(),
                // The tag is the label sync last read; before any sync, the recorded digest.
                digest: match &head.last_observation {
                    Some(o) => o.digest.clone(),
                    None => seg.map(|s| s.digest.clone()),
                },
                since: seg.map(|s| s.from),
                drift: head.drift,
                via: seg.map(|s| s.via),
                last_observed: head.last_observation.as_ref().map(|o| o.at),
                unapproved: seg.is_some_and(|s| s.unapproved),
                conflicts: conflicts
                    .iter()
                    .filter(|c| c.app == a.name && c.env == e.name)
                    .cloned()
                    .collect(),
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
