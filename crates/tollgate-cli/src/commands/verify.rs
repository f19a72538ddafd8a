//! `tollgate verify`: check the database's hash chain and signatures (with `--checkpoints`,
//! also against the team's signed checkpoints), or `verify FILE` an exported JSON report; exit 1
//! when something does not hold.

use std::path::Path;

use tollgate::api::{self, Context};
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::VerifyArgs;
use crate::output;

/// `config_given`: `--config` named a workspace (then a report's signatures are checked against
/// its keys, and its end against the team's checkpoints).
pub async fn run(
    load: Load<'_>,
    ctx: &Context,
    config_given: bool,
    args: VerifyArgs,
) -> Result<i32> {
    match args.file {
        Some(file) => {
            report(
                load,
                ctx,
                config_given,
                &file,
                args.allow_unsealed,
                args.json,
            )
            .await
        }
        None => database(load, ctx, args.json, args.checkpoints).await,
    }
}

async fn report(
    load: Load<'_>,
    ctx: &Context,
    config_given: bool,
    file: &Path,
    allow_unsealed: bool,
    json: bool,
) -> Result<i32> {
    // The workspace's keys only when --config names one: without it, the report's own.
    let ws = match config_given {
        true => Some(load()?),
        false => None,
    };
    let result = api::verify_report(file, ws.as_ref(), allow_unsealed)?;
    report_verification(&result, json)?;
    // With a workspace, the report's end against the team's signed checkpoints.
    let checkpoints = match &ws {
        Some(ws) => Some(api::report_checkpoints(ws, ctx, file).await?),
        None => None,
    };
    if let Some(c) = &checkpoints {
        output::checkpoint::check(c, "the report", json);
    }
    let contradicted = checkpoints.as_ref().is_some_and(|c| !c.ok());
    Ok(if result.ok() && !contradicted { 0 } else { 1 })
}

async fn database(load: Load<'_>, ctx: &Context, json: bool, checkpoints: bool) -> Result<i32> {
    let ws = load_and_recover(load, ctx).await?;
    let report = api::verify(&ws)?;
    let checked = match checkpoints {
        true => Some(api::verify_checkpoints(&ws, ctx).await?),
        false => None,
    };
    let contradicted = checked.as_ref().is_some_and(|c| !c.ok());
    match (&checked, json) {
        // --checkpoints --json: both checks in one object.
        (Some(c), true) => {
            output::json(&serde_json::json!({ "verify": report, "checkpoints": c }))?
        }
        (None, true) => output::json(&report)?,
        (Some(c), false) => output::checkpoint::check(c, "this history", false),
        (None, false) => {}
    }
    if let Some(b) = &report.chain.broken {
        esay!("error: history chain broken at event {}: {}; the database was altered outside Tollgate, restore it from a backup or an export", b.seq, b.reason);
    }
    for p in &report.problems {
        esay!("error: {}", p.message);
    }
    for w in &report.warnings {
        esay!("warning: {}", w.message);
    }
    if report.ok() && !json {
        say!(
            "chain intact: {} events, {} approval signatures verify, {} record/promotion/rollback signatures verify ({} unsigned), head {}",
            report.chain.events,
            report.approvals,
            report.signed_events,
            report.unsigned_events,
            report.chain.head
        );
        if report.rejections > 0 {
            say!(
                "{} rejection/unrejection signatures verify",
                report.rejections
            );
        }
        say!(
            "{}",
            anchored_line(report.anchored_seq, report.chain.events)
        );
    }
    Ok(if report.ok() && !contradicted { 0 } else { 1 })
}

/// What the signed chain heads vouch for, in one line.
fn anchored_line(anchored: i64, events: u64) -> String {
    match anchored {
        0 => "no signed approval anchors the chain yet: removing events would go unnoticed here".into(),
        n if n as u64 + 1 >= events => format!("anchored: every event up to {n} is vouched for by a signed approval"),
        n => format!(
            "anchored up to event {n} by a signed approval; the {} events after it are not: removing them would go unnoticed here (compare the head with an export or a copy kept elsewhere)",
            events - n as u64
        ),
    }
}

/// The check of an exported report: one line when it holds, one `error:` line per problem.
fn report_verification(v: &tollgate::api::ReportVerification, as_json: bool) -> Result<()> {
    if as_json {
        output::json(v)?;
    }
    if v.ok() {
        if !as_json {
            let range = match (v.first_seq, v.last_seq) {
                (Some(a), Some(b)) => format!("events {a} to {b}"),
                _ => "no events".to_string(),
            };
            say!(
                "report intact: {} events and {} link stubs ({range}), {} of {} approval signatures verify; range ends at hash {}",
                v.events,
                v.stubs,
                v.signatures_verified,
                v.approvals,
                v.end_hash.as_deref().unwrap_or("-")
            );
            if v.keys == "workspace" && v.signed_events > 0 {
                say!(
                    "signed records, promotions and rollbacks: {}, of which {} verify against the listed identities",
                    v.signed_events, v.event_signatures_verified
                );
            }
            if v.git_commits > 0 {
                say!(
                    "deployment-repository commits: {}, each the commit it names; {} signed promotions and deployments verify (namespace git)",
                    v.git_commits, v.git_signatures_verified
                );
            }
        }
    } else {
        for p in &v.problems {
            esay!("error: {}", p.message);
        }
    }
    for w in &v.warnings {
        esay!("warning: {}", w.message);
    }
    if !as_json {
        for u in &v.unproven {
            say!("unproven: {u}");
        }
        if let Some(id) = &v.sealed_by {
            say!("sealed by {id}");
        }
        // Said whatever the outcome: what the signatures were checked against.
        let line = match v.keys.as_str() {
            "report" => format!("keys: {}: the signatures are checked against keys the file itself carries, so a report forged whole with its own keys also passes; pass --config tollgate.toml to check them against your workspace's keys", v.keys_from),
            _ => format!("keys: {} (the report's own allowed_signers were not used)", v.keys_from),
        };
        say!("{line}");
    }
    Ok(())
}
