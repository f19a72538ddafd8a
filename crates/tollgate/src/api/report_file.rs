//! `tollgate fetch-report` and the Evidence card's "Save report…": the report file an
//! attestation names, fetched from the team's registry by the sha256 its signed message
//! states, on any desktop (a teammate's attestation names the same bytes). Only a report some
//! verified attestation of the app names is fetched; its bytes must hash to that sha256 and
//! have the signed size, or nothing is written.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::open::{self, Registries};
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::Digest;
use crate::report::output::AtomicFile;
use crate::team::{repository_for, MAX_REPORT_BYTES};
use crate::{Code, Error, Result};

/// Which report to fetch, and where to write it.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct FetchReportRequest {
    pub app: String,
    /// The report's sha256 as the attestation states it (64 hex, `sha256:` optional).
    pub sha256: String,
    #[ts(type = "string")]
    pub out: PathBuf,
}

/// The report written, and the attestation that names it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FetchedReport {
    pub path: String,
    pub sha256: String,
    #[ts(type = "number")]
    pub size: u64,
    pub media_type: String,
    /// Where it was read: `REPOSITORY@sha256:…` (the blob).
    pub source: String,
    /// The attestation that names it: its check, result and signer.
    pub check: String,
    pub result: String,
    pub by: String,
}

/// Fetch the report that a verified attestation of `req.app` names by `req.sha256` and write it
/// to `req.out` (atomically: a wrong or partial download leaves nothing).
#[tracing::instrument(skip_all, fields(app = %req.app))]
pub async fn fetch_report(
    ws: &Workspace,
    ctx: &Context,
    req: FetchReportRequest,
) -> Result<FetchedReport> {
    let app = ws.app(&req.app)?;
    let hex = req
        .sha256
        .trim()
        .trim_start_matches("sha256:")
        .to_ascii_lowercase();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::bad_input(format!(
            "{:?} is not a report's sha256: give the 64 hex digits an attestation states (its report sha256)",
            req.sha256
        )));
    }
    crate::report::output::check_target(&req.out)?;
    let store = open::store(ws)?;
    let named = crate::api::attest::attestations_of(ws, &store, app, None)?
        .into_iter()
        .filter(|a| a.verified)
        .find_map(|a| {
            let r = a.report.clone()?;
            (r.sha256 == hex).then_some((a, r))
        });
    let Some((attestation, report)) = named else {
        return Err(Error::new(Code::NotFound, format!(
            "no verified attestation of {} names a report with sha256 {hex}: sync to import your team's attestations, or check the hash",
            app.name
        )));
    };
    let repository = repository_for(ws, app).to_string();
    let digest = Digest::parse(&format!("sha256:{hex}"))?;
    let mut registries = Registries::new(ws, ctx);
    let (registry, path) = registries.get(&repository)?;
    let bytes = registry
        .fetch_blob(&path, &digest, MAX_REPORT_BYTES as usize, "report")
        .await
        .map_err(|e| {
            e.context(format!(
                "fetch the report {} from {repository}",
                digest.short()
            ))
        })?;
    if bytes.len() as u64 != report.size {
        return Err(Error::refused(format!(
            "the report in {repository} is {} bytes, but the attestation signed {} bytes: nothing was written",
            bytes.len(),
            report.size
        )));
    }
    let mut file = AtomicFile::create(&req.out)?;
    file.writer().write_all(&bytes).map_err(|e| {
        Error::bad_input(format!(
            "cannot write {}: {e}; choose another place",
            req.out.display()
        ))
    })?;
    file.commit()?;
    Ok(FetchedReport {
        path: req.out.display().to_string(),
        sha256: hex,
        size: report.size,
        media_type: report.media_type,
        source: format!("{repository}@{digest}"),
        check: attestation.check,
        result: attestation.result.as_str().to_string(),
        by: attestation.by,
    })
}
