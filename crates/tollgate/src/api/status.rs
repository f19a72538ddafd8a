use crate::config::Workspace;
use crate::domain::StatusRow;
use crate::store::Store;
use crate::Result;

/// Current digest per app and environment, with drift flags (`status --json`).
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn status(ws: &Workspace, app: Option<&str>) -> Result<Vec<StatusRow>> {
    if let Some(a) = app {
        ws.app(a)?;
    }
    let store = Store::open(&ws.db_path)?;
    let mut rows = Vec::new();
    for a in ws
        .config
        .apps
        .iter()
        .filter(|a| app.is_none_or(|n| n == a.name))
    {
        for e in &a.environments {
            let head = store.head(&a.name, &e.name)?;
            let seg = head.segment.as_ref();
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
            });
        }
    }
    Ok(rows)
}
