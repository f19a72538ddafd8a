//! "Save report…" on the Evidence card: the report an attestation names, written where the
//! person chose in a native save dialog opened here (the page names no path), fetched and
//! checked by the core (`tollgate fetch-report`), then showable with `reveal_file`.

use std::path::Path;

use serde::Deserialize;
use tollgate::api::{FetchReportRequest, FetchedReport};
use ts_rs::TS;

use crate::dialogs::Dialogs;
use crate::state::{not_send, run_blocking, AppState};

/// Which attestation's report to save, and the file name the dialog suggests.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct SaveReportRequest {
    pub app: String,
    /// The report's sha256, as the attestation states it.
    pub sha256: String,
    /// e.g. `load-test-3a7b1c2d4e5f.json` (its extension filters the dialog).
    pub suggested_name: String,
}

/// Ask where to save, then fetch and write; `None` when the person cancelled the dialog.
pub async fn save_report(
    state: &AppState,
    dialogs: std::sync::Arc<dyn Dialogs>,
    req: SaveReportRequest,
) -> tollgate::Result<Option<FetchedReport>> {
    let suggested = req.suggested_name.clone();
    let extension = Path::new(&suggested)
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let chosen = run_blocking(move || {
        Ok(dialogs.save_file("Save the attested report", &suggested, &extension))
    })
    .await?;
    let Some(out) = chosen else { return Ok(None) };
    let (ws, ctx) = (state.workspace()?, state.ctx.clone());
    let fetch = FetchReportRequest {
        app: req.app,
        sha256: req.sha256,
        out: out.clone(),
    };
    let fetched =
        not_send(move || async move { tollgate::api::fetch_report(&ws, &ctx, fetch).await })
            .await?;
    state.exports.remember(out);
    Ok(Some(fetched))
}
