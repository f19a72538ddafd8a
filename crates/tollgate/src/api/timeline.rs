use crate::api::open;
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
    Ok(segments)
}
