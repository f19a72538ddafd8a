//! `export`: audit reports of the history (the offline check of a JSON one is `verify_report`,
//! beside `verify`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{open, Context};
use crate::config::Workspace;
use crate::domain::conflicts::Conflict;
use crate::report::csv::CsvWriter;
use crate::report::json::{JsonWriter, Sealing};
use crate::report::output::{check_target, AtomicFile};
use crate::report::pdf::PdfReport;
use crate::report::seal::{seal_message, seal_signers_line, Seal, SealedValues, SEAL_NAMESPACE};
use crate::report::signatures::ApprovalSignatures;
use crate::report::{self, BrokenCheck, DatabaseCheck, Filters, Meta, Selection, Summary};
use crate::signing;
use crate::store::{EventFilter, Store};
use crate::{Error, Result};

pub use crate::report::signatures::SignatureCheck;
pub use crate::report::ExportFormat;

/// What to export and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExportRequest {
    pub format: ExportFormat,
    pub app: Option<String>,
    pub env: Option<String>,
    /// Inclusive.
    #[ts(type = "string | null")]
    pub since: Option<DateTime<Utc>>,
    /// Exclusive.
    #[ts(type = "string | null")]
    pub until: Option<DateTime<Utc>>,
    /// The report file: created, or replaced when it is an existing regular file.
    #[ts(type = "string")]
    pub out: PathBuf,
}

impl ExportRequest {
    /// The whole history (every app, environment and time) in `format`, written to `out`.
    pub fn everything(format: ExportFormat, out: impl Into<PathBuf>) -> Self {
        Self {
            format,
            app: None,
            env: None,
            since: None,
            until: None,
            out: out.into(),
        }
    }
}

/// What an export wrote, and what the checks made while writing it found.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ExportSummary {
    pub format: ExportFormat,
    pub path: String,
    #[ts(type = "number")]
    pub bytes: u64,
    /// Events that match the filters.
    #[ts(type = "number")]
    pub events: u64,
    /// Approvals outside the filters that promotions in the report counted.
    #[ts(type = "number")]
    pub context_events: u64,
    /// Events of the range outside the filters (link stubs in the JSON report).
    #[ts(type = "number")]
    pub stubs: u64,
    #[ts(type = "number | null")]
    pub first_seq: Option<i64>,
    #[ts(type = "number | null")]
    pub last_seq: Option<i64>,
    /// The database's chain, checked just before the export.
    pub database: DatabaseCheck,
    /// The report's approvals against the approvers' keys.
    pub signatures: SignatureCheck,
    pub summary: Summary,
    /// The team conflicts the report states (section "Conflicts", key `conflicts`, column
    /// `conflicts`). Stated, not a failure of the export.
    pub conflicts: Vec<Conflict>,
    /// The identity whose key sealed the JSON report (`None` for PDF and CSV, or unsealed).
    pub sealed_by: Option<String>,
    /// Why a JSON report is not sealed (no listed identity's key could sign without a prompt):
    /// it then verifies only with `--allow-unsealed`. `None` when sealed, and for PDF and CSV.
    pub unsealed: Option<String>,
}

impl ExportSummary {
    /// Everything checked out: the chain is intact and every signature verifies.
    pub fn clean(&self) -> bool {
        self.database.intact && self.signatures.problems.is_empty()
    }
}

/// Write an audit report of the history: the events matching the filters, the approvals their
/// promotions counted, and (JSON) link stubs for the rest of the range. The database's chain is
/// checked first and the result stated in the report; a broken chain or a signature that does
/// not verify is reported (see [`ExportSummary::clean`]), not hidden. The file is written
/// atomically: a failure leaves nothing at `out` (or the previous file there).
///
/// A JSON report is sealed ([`crate::report::seal`]) by this machine's listed identity when its
/// key is at hand without a prompt (`TOLLGATE_SIGNING_KEY`, ssh-agent, the OS keychain); else it
/// is written unsealed and [`ExportSummary::unsealed`] says why.
#[tracing::instrument(skip(ws, ctx), fields(workspace = %ws.config.workspace.name, format = req.format.as_str(), out = %req.out.display()))]
pub fn export(ws: &Workspace, ctx: &Context, req: ExportRequest) -> Result<ExportSummary> {
    let now = ctx.clock.now();
    if let (Some(s), Some(u)) = (req.since, req.until) {
        if s >= u {
            return Err(Error::bad_input(format!(
                "the start {} is not before the end {}: the period would be empty",
                report::rfc3339(s),
                report::rfc3339(u)
            )));
        }
    }
    refuse_own_files(ws, &req.out)?;
    check_target(&req.out)?;
    let store = open::store(ws)?;
    check_names(ws, &store, &req)?;

    let chain = store.verify_chain()?;
    let head_seq = match &chain.broken {
        None => chain.events as i64,
        Some(_) => seq_of_hash(&store, &chain.head)?,
    };
    let database = DatabaseCheck {
        events: chain.events,
        head_seq,
        head_hash: chain.head.clone(),
        intact: chain.broken.is_none(),
        broken: chain.broken.as_ref().map(BrokenCheck::from),
    };
    let filters = Filters {
        app: req.app.clone(),
        env: req.env.clone(),
        since: req.since,
        until: req.until,
    };
    let meta = Meta {
        workspace: ws.config.workspace.name.clone(),
        generated_at: now,
        filters: filters.clone(),
        database: database.clone(),
        allowed_signers: signing::allowed_signers(&ws.config.approvers),
        allowed_signers_git: (!ws.config.git.is_empty())
            .then(|| signing::allowed_signers_in(signing::GIT_NAMESPACE, &ws.config.identities())),
        allowed_signers_signers: (!ws.config.signers.is_empty()).then(|| {
            let signers: Vec<_> = ws.config.signers.iter().map(|s| s.as_identity()).collect();
            signing::allowed_signers(&signers)
        }),
        policies: policies(ws),
    };

    let conflicts = conflicts_in(&store, &filters, head_seq)?;
    let gated = |app: &str, env: &str| crate::api::status::gated(ws, app, env);
    let mut file = AtomicFile::create(&req.out)?;
    let mut sigs = ApprovalSignatures::default();
    let mut pdf = None;
    let mut seal = (None, None);
    let (selection, summary) = match req.format {
        report::ExportFormat::Json => {
            let mut w = JsonWriter::start(&mut file, &meta)?
                .with_conflicts(conflicts.clone())
                .with_failed(failed_in(&store, &filters)?);
            let sel = report::select(&store, &filters, head_seq, &gated, |item| {
                sigs.item(&item);
                w.item(&item)
            })?;
            let signer = crate::api::actor::machine_signer(ws, ctx);
            let sign = |values: &SealedValues| -> Result<Seal> {
                let signer = signer.as_ref().map_err(|e| Error::internal(e.clone()))?;
                let message = seal_message(&values.fields(), signer.id());
                Ok(Seal {
                    signer: signer.id().to_string(),
                    fingerprint: signer.fingerprint(),
                    allowed_signers: seal_signers_line(signer.id(), &signer.public_openssh()?),
                    signature: signer.sign_in(SEAL_NAMESPACE, message.as_bytes())?,
                    message,
                })
            };
            let sealing = match &signer {
                Ok(_) => Sealing::Sign(&sign),
                Err(why) => Sealing::Unsealed(why.clone()),
            };
            let (summary, sealed, _) = w.finish(&sel, sealing)?;
            seal = match (sealed, signer) {
                (Some(s), _) => (Some(s.signer), None),
                (None, Err(why)) => (None, Some(why)),
                (None, Ok(_)) => (None, None),
            };
            (sel, summary)
        }
        report::ExportFormat::Csv => {
            let mut w = CsvWriter::start(&mut file)?.with_conflicts(&conflicts);
            let sel = report::select(&store, &filters, head_seq, &gated, |item| {
                sigs.item(&item);
                w.item(&item)
            })?;
            let (summary, _) = w.finish()?;
            (sel, summary)
        }
        report::ExportFormat::Pdf => {
            let mut p = PdfReport::new(meta.clone())
                .with_conflicts(conflicts.clone())
                .with_failed(failed_in(&store, &filters)?)
                .with_stays(stays_in(ws, &store, &filters, head_seq, now)?);
            let sel = report::select(&store, &filters, head_seq, &gated, |item| {
                sigs.item(&item);
                p.item(&item);
                Ok(())
            })?;
            let mut versions = std::collections::HashMap::new();
            for digest in p.digests() {
                let parsed = digest.parse().ok();
                let info = match &parsed {
                    Some(d) => store.image_info(d)?,
                    None => None,
                };
                if let Some(v) = info.and_then(|i| i.version) {
                    versions.insert(digest, v);
                }
            }
            pdf = Some(p.with_versions(versions));
            (sel, Summary::default())
        }
    };
    let signatures = sigs.check(&meta.allowed_signers);
    let summary = match pdf {
        Some(p) => {
            let (summary, bytes) = p.render(&selection, &signatures);
            std::io::Write::write_all(&mut file, &bytes)
                .map_err(|e| Error::internal(format!("cannot write the report: {e}")))?;
            summary
        }
        None => summary,
    };
    let bytes = file.commit()?;
    let Selection {
        first_seq,
        last_seq,
        matched,
        context,
        stubs,
        ..
    } = selection;
    tracing::info!(bytes, events = matched, stubs, "report written");
    Ok(ExportSummary {
        format: req.format,
        path: req.out.display().to_string(),
        bytes,
        events: matched,
        context_events: context,
        stubs,
        first_seq,
        last_seq,
        database,
        signatures,
        summary,
        conflicts,
        sealed_by: seal.0,
        unsealed: seal.1,
    })
}

/// The policies of tollgate.toml, as a report states and seals them: `{app: {env: {"approvals",
/// "roles", "min_soak", "four_eyes", "approval_max_age", "rollback"} or null}}` (`rollback`:
/// `{"approvals": N}` or null). A policy requiring checks also lists each with who may attest it
/// (`checks`: `attesters` being the ids allowed when it was exported), which `verify` holds a
/// promotion's evidence to ([`crate::report::evidence`]).
pub(crate) fn policies(ws: &Workspace) -> serde_json::Value {
    let mut apps = serde_json::Map::new();
    for app in &ws.config.apps {
        let mut envs = serde_json::Map::new();
        for env in &app.environments {
            let policy = env.policy.as_ref().map_or(serde_json::Value::Null, |p| {
                let mut policy = serde_json::json!({
                    "approvals": p.approvals,
                    "roles": p.roles,
                    "min_soak": p.min_soak,
                    "four_eyes": p.four_eyes,
                    "approval_max_age": p.approval_max_age,
                    "rollback": p.rollback.map(|r| serde_json::json!({ "approvals": r.approvals })),
                });
                let checks: Vec<serde_json::Value> = p
                    .checks
                    .iter()
                    .filter_map(|name| ws.config.checks.iter().find(|c| &c.name == name))
                    .map(|c| {
                        serde_json::json!({
                            "name": c.name,
                            "roles": c.roles,
                            "signers": c.signers,
                            "attesters": ws.config.attesters(c),
                        })
                    })
                    .collect();
                if !checks.is_empty() {
                    policy["checks"] = serde_json::Value::Array(checks);
                }
                policy
            });
            envs.insert(env.name.clone(), policy);
        }
        apps.insert(app.name.clone(), serde_json::Value::Object(envs));
    }
    serde_json::Value::Object(apps)
}

/// The failed promotion journal entries a PDF report lists among its exceptions: those of its
/// apps and environments started in its period (the journal is not part of the chain).
fn failed_in(store: &Store, filters: &Filters) -> Result<Vec<crate::store::Promotion>> {
    Ok(store
        .journal_failed()?
        .into_iter()
        .filter(|p| filters.matches(&p.app, &p.to_env, p.created_at))
        .collect())
}

/// What ran where during a PDF report's period (its section "Timelines"): the timeline of each
/// app and environment of its filters, in tollgate.toml's order, the stays that overlap the
/// period, each flagged unapproved as `timeline` does.
fn stays_in(
    ws: &Workspace,
    store: &Store,
    filters: &Filters,
    head_seq: i64,
    now: DateTime<Utc>,
) -> Result<Vec<crate::domain::Segment>> {
    let (from, until) = (filters.since, filters.until.unwrap_or(now));
    let mut out = Vec::new();
    for app in &ws.config.apps {
        if filters.app.as_ref().is_some_and(|a| a != &app.name) {
            continue;
        }
        for env in &app.environments {
            if filters.env.as_ref().is_some_and(|e| e != &env.name) {
                continue;
            }
            let mut segments = store.timeline(&app.name, Some(&env.name))?;
            store.flag_unapproved(&mut segments, &|a, e| crate::api::status::gated(ws, a, e))?;
            segments.retain(|s| {
                s.seq <= head_seq
                    && s.from < until
                    && s.until.is_none_or(|u| from.is_none_or(|f| u > f))
            });
            out.extend(segments);
        }
    }
    Ok(out)
}

/// The team conflicts a report states: those of the history up to its head (`head_seq`, the
/// last event it can hold: a sync appending meanwhile adds nothing the report does not hold)
/// within its app and environment filters, with at least one event involved in its period.
fn conflicts_in(store: &Store, filters: &Filters, head_seq: i64) -> Result<Vec<Conflict>> {
    let mut out = Vec::new();
    for c in super::conflicts::of(store, filters.app.as_deref(), Some(head_seq))? {
        if filters.env.as_deref().is_some_and(|e| e != c.env) {
            continue;
        }
        let mut in_period = false;
        for e in &c.events {
            let at = store.event(e.seq)?.at;
            in_period |= filters.matches(&c.app, &c.env, at);
        }
        if in_period {
            out.push(c);
        }
    }
    Ok(out)
}

/// Never write a report over the history database, its companion files (`-wal`, `-shm`,
/// `-journal`: SQLite's write-ahead log, shared memory and rollback journal, which may not
/// exist yet) or the workspace file.
fn refuse_own_files(ws: &Workspace, out: &Path) -> Result<()> {
    let Some(target) = resolved(out) else {
        return Ok(());
    };
    // The database as opened and, when it is a symlink, the file it points to: SQLite may
    // name its companion files after either.
    let dbs = [resolved(&ws.db_path), in_folder(&ws.db_path)];
    let mut own = vec![("the workspace file", resolved(&ws.config_path))];
    for db in dbs.iter().flatten() {
        own.push(("the history database", Some(db.clone())));
        for (suffix, what) in [
            ("-wal", "the history database's write-ahead log"),
            ("-shm", "the history database's shared-memory file"),
            ("-journal", "the history database's rollback journal"),
        ] {
            let mut name = db.as_os_str().to_os_string();
            name.push(suffix);
            own.push((what, Some(PathBuf::from(name))));
        }
    }
    for (what, path) in own {
        if path.as_ref() == Some(&target) {
            return Err(Error::bad_input(format!(
                "the report file {} is {what}; write the report to another file",
                out.display()
            )));
        }
    }
    Ok(())
}

/// Where `p` is or would be created: the canonical path of the file, or of its folder joined
/// with its name when the file does not exist yet.
fn resolved(p: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(p).ok().or_else(|| in_folder(p))
}

/// The canonical folder of `p` joined with its file name (a symlink there is not followed).
fn in_folder(p: &Path) -> Option<PathBuf> {
    let name = p.file_name()?;
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(name))
}

/// An app or environment named in the filters must exist in tollgate.toml or in the history.
fn check_names(ws: &Workspace, store: &Store, req: &ExportRequest) -> Result<()> {
    let apps = &ws.config.apps;
    if let Some(app) = &req.app {
        if !apps.iter().any(|a| &a.name == app) && !any_event(store, Some(app), None)? {
            let known: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
            return Err(Error::bad_input(format!(
                "no app '{app}' in tollgate.toml or the history (apps: {}); check the app's name",
                known.join(", ")
            )));
        }
    }
    if let Some(env) = &req.env {
        let known = apps
            .iter()
            .any(|a| a.environments.iter().any(|e| &e.name == env));
        if !known && !any_event(store, None, Some(env))? {
            return Err(Error::bad_input(format!(
                "no environment '{env}' in tollgate.toml or the history; check the environment's name"
            )));
        }
    }
    Ok(())
}

fn any_event(store: &Store, app: Option<&str>, env: Option<&str>) -> Result<bool> {
    let mut found = false;
    let filter = EventFilter {
        app: app.map(str::to_string),
        env: env.map(str::to_string),
        ..Default::default()
    };
    let stop = "found";
    let walk = store.for_each_event(&filter, |_| {
        found = true;
        Err(Error::internal(stop))
    });
    match walk {
        Err(e) if found && e.message == stop => Ok(true),
        Err(e) => Err(e),
        Ok(()) => Ok(found),
    }
}

/// The `seq` of the event with this hash (the head of a chain that is not intact).
fn seq_of_hash(store: &Store, hash: &str) -> Result<i64> {
    let mut seq = 0;
    let mut last = 0;
    store.for_each_event(&EventFilter::default(), |e| {
        last = e.seq;
        if e.hash == hash {
            seq = e.seq;
        }
        Ok(())
    })?;
    Ok(if seq == 0 { last } else { seq })
}
