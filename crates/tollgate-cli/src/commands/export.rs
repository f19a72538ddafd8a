//! `tollgate export`: write an audit report (PDF, CSV or JSON); exit 1 when the history it
//! covers has a broken chain, a failed signature or a conflict.

use tollgate::api::{self, Context};
use tollgate::domain::parse_period_bound;
use tollgate::Result;

use super::Load;
use crate::args::ExportArgs;
use crate::output;

pub fn run(load: Load<'_>, ctx: &Context, args: ExportArgs) -> Result<i32> {
    let ExportArgs {
        format,
        app,
        env,
        since,
        until,
        out,
        json,
    } = args;
    let format = match format.as_str() {
        "pdf" => api::ExportFormat::Pdf,
        "csv" => api::ExportFormat::Csv,
        _ => api::ExportFormat::Json,
    };
    let since = since.as_deref().map(parse_period_bound).transpose()?;
    let until = until.as_deref().map(parse_period_bound).transpose()?;
    let summary = api::export(
        &load()?,
        ctx,
        api::ExportRequest {
            format,
            app,
            env,
            since,
            until,
            out,
        },
    )?;
    export_summary(&summary, json)?;
    Ok(if summary.clean() { 0 } else { 1 })
}

/// What `export` wrote; a broken chain or a failed signature is a warning line each.
fn export_summary(s: &tollgate::api::ExportSummary, as_json: bool) -> Result<()> {
    if as_json {
        output::json(s)?;
    } else {
        let range = match (s.first_seq, s.last_seq) {
            (Some(a), Some(b)) => format!(" (events {a} to {b})"),
            _ => String::new(),
        };
        say!(
            "wrote {} ({}, {} bytes): {} events{range}, {} approvals counted from outside the filters, {} link stubs; {} of {} approval signatures verify; chain head {}",
            s.path,
            s.format.as_str(),
            s.bytes,
            s.events,
            s.context_events,
            s.stubs,
            s.signatures.verified,
            s.signatures.approvals,
            s.database.head_hash
        );
    }
    if let Some(b) = &s.database.broken {
        esay!(
            "warning: the history chain is broken at event {}: {}; the report says so",
            b.seq,
            b.reason
        );
    }
    for p in &s.signatures.problems {
        esay!("warning: {}", p.message);
    }
    for c in &s.conflicts {
        esay!("warning: conflict: {}; the report lists it", c.description);
    }
    if let Some(why) = &s.unsealed {
        esay!("warning: the report is not sealed ({why}): it verifies only with `tollgate verify FILE --allow-unsealed`, which cannot prove its summary, filters and range were not edited");
    }
    Ok(())
}
