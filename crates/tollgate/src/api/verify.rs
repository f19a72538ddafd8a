use crate::api::open;
use crate::config::Workspace;
use crate::store::ChainReport;
use crate::Result;

/// Walk the database's hash chain and report the first broken link.
#[tracing::instrument(skip(ws), fields(workspace = %ws.config.workspace.name))]
pub fn verify(ws: &Workspace) -> Result<ChainReport> {
    open::store(ws)?.verify_chain()
}
