use crate::api::open;
use crate::config::Workspace;
use crate::domain::Segment;
use crate::Result;

/// What ran where and when, oldest first: one segment per digest per stay in an environment.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn timeline(ws: &Workspace, app: &str, env: Option<&str>) -> Result<Vec<Segment>> {
    let a = ws.app(app)?;
    if let Some(e) = env {
        ws.env(a, e)?;
    }
    open::store(ws)?.timeline(app, env)
}
