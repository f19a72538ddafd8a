//! Signed checkpoints (docs/src/audit/format.md, "Checkpoints"): publish this desktop's chain head
//! at the end of a sync, and check the database (`verify --checkpoints`) or an exported report
//! (`verify FILE --config`) against the checkpoints the team's registry holds.
//!
//! A checkpoint is published when the chain gained an event other than an observation since
//! the last one this desktop published there (or there is none yet), `[team] share` is on, and
//! a listed identity can sign here without a prompt (`TOLLGATE_SIGNING_KEY`, an agent holding
//! the listed key, or the keychain key of this machine's identity). Publishing never fails a
//! sync: whatever stops it is one line in the sync report and in `team status`.
//!
//! - this file: publishing, at the end of a sync.
//! - `verify`: the database or a report against the registry's checkpoints.

mod verify;

use serde::Serialize;
use ts_rs::TS;

use crate::api::actor::{signer_for, signing_identity};
use crate::api::open::Registries;
use crate::api::Context;
use crate::config::Workspace;
use crate::signing::{verify_checkpoint, CheckpointMessage, CHECKPOINT_NAMESPACE};
use crate::store::{PublishedRow, Store};
use crate::team::{checkpoint_tag, repository_for, CheckpointPush, TeamRegistry};
use crate::{Code, Error, Result};

pub use verify::{report_checkpoints, verify_checkpoints, CheckpointCheck, CheckpointSeen};

/// What the checkpoint step of a sync did.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct CheckpointSync {
    /// One line per checkpoint published in this sync (where, which event, signed by whom).
    pub published: Vec<String>,
    /// One line per repository where none is published, and why, when that is how this
    /// desktop is set up (no listed key here, push denied, a local layout): `team status`.
    pub skipped: Vec<String>,
    /// One line per repository where publishing failed (the registry could not be reached,
    /// or the checkpoint there contradicts this history): a warning of the sync.
    pub problems: Vec<String>,
}

/// The team repositories checkpoints go to: the `[team] ledger`, else each app's repository.
pub(super) fn repositories(ws: &Workspace) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for app in &ws.config.apps {
        let r = repository_for(ws, app).to_string();
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// Publish a signed checkpoint of the chain head to each team repository where it moved since
/// the last one. Never fails: a problem is a line (also kept for `team status`).
#[tracing::instrument(skip_all)]
pub(crate) async fn publish_after_sync(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
) -> Option<CheckpointSync> {
    if !ws.config.team.share {
        return None;
    }
    match publish(ws, ctx, store).await {
        Ok(s) => Some(s),
        Err(e) => {
            let line = format!(
                "checkpoint not published: {}; the next sync tries again",
                e.message
            );
            tracing::warn!(%line);
            Some(CheckpointSync {
                problems: vec![line],
                ..CheckpointSync::default()
            })
        }
    }
}

async fn publish(ws: &Workspace, ctx: &Context, store: &mut Store) -> Result<CheckpointSync> {
    let mut out = CheckpointSync::default();
    let (head_seq, head_hash) = store.chain_head()?;
    let Some(genesis) = store.hash_at(1)? else {
        return Ok(out);
    };
    let now = ctx.clock.now();
    let repos = repositories(ws);
    let skip_all = |store: &mut Store, out: &mut CheckpointSync, line: String| -> Result<()> {
        for r in &repos {
            store.set_checkpoint_line(r, &line, now)?;
        }
        out.skipped.push(line);
        Ok(())
    };
    let Some(id) = signing_identity(ws, ctx) else {
        skip_all(store, &mut out, format!(
            "checkpoint not published: no identity listed in {} can sign on this machine without a prompt; set TOLLGATE_SIGNING_KEY, add the listed key to ssh-agent, or make this machine's signing key and have it listed",
            ws.config_path.display()
        ))?;
        return Ok(out);
    };
    let signer = match signer_for(ws, ctx, &id) {
        Ok(s) => s,
        Err(e) => {
            skip_all(
                store,
                &mut out,
                format!("checkpoint not published: {}", e.message),
            )?;
            return Ok(out);
        }
    };
    let tag = checkpoint_tag(&genesis, &id);
    let mut signed: Option<(Vec<u8>, String)> = None;
    let mut registries = Registries::new(ws, ctx);
    for repository in &repos {
        if let Some(last) = store.checkpoint_published(repository)? {
            let unchanged = last.signer == id
                && last.tag == tag
                && last.fingerprint == signer.fingerprint()
                && store.hash_at(last.seq)?.as_deref() == Some(last.hash.as_str())
                && !store.authored_after(last.seq)?;
            if unchanged {
                continue;
            }
        }
        let (registry, path) = registries.get(repository)?;
        let Ok(team) = TeamRegistry::new(registry) else {
            let line = format!("checkpoint not published to {repository}: a local OCI layout cannot hold the team's checkpoints");
            store.set_checkpoint_line(repository, &line, now)?;
            out.skipped.push(line);
            continue;
        };
        let fail = |e: Error| {
            format!(
                "checkpoint not published to {repository}: {}; the next sync tries again",
                e.message
            )
        };
        // Never replace a trusted checkpoint this history contradicts: that is the evidence.
        match team.fetch_checkpoint(&path, &tag).await {
            Ok(Some(existing)) => {
                if let Ok((m, s)) = &existing.read {
                    if let Ok(t) = verify_checkpoint(m, s, &ws.config.identities()) {
                        let c = &t.message;
                        let here = store.hash_at(c.seq)?;
                        if c.genesis == genesis && here.as_deref() != Some(c.hash.as_str()) {
                            let line = format!(
                                "checkpoint not published to {repository}: the checkpoint already under {tag} ({} at {}) says event {} has hash {}, which this history {}; it is kept as evidence: verifying the history against the checkpoints names the difference",
                                c.signer, c.at, c.seq, short(&c.hash),
                                if here.is_none() { "does not reach (its tail was cut?)" } else { "does not have (its past was rewritten?)" }
                            );
                            store.set_checkpoint_line(repository, &line, now)?;
                            out.problems.push(line);
                            continue;
                        }
                    }
                }
            }
            Ok(None) => {}
            Err(e) => {
                let line = fail(e);
                store.set_checkpoint_line(repository, &line, now)?;
                out.problems.push(line);
                continue;
            }
        }
        if signed.is_none() {
            let message = CheckpointMessage::new(&genesis, head_seq, &head_hash, &id, now);
            let bytes = message.to_bytes();
            match signer.sign_in(CHECKPOINT_NAMESPACE, &bytes) {
                Ok(sig) => signed = Some((bytes, sig)),
                Err(e) => {
                    skip_all(
                        store,
                        &mut out,
                        format!("checkpoint not published: {}", e.message),
                    )?;
                    return Ok(out);
                }
            }
        }
        let Some((bytes, sig)) = &signed else {
            continue;
        };
        match team.push_checkpoint(&path, &tag, bytes, sig, now).await {
            Ok(CheckpointPush::Pushed(artifact)) => {
                let line = format!(
                    "checkpoint of event {head_seq} ({}) signed by {id} published to {repository}:{tag}",
                    short(&head_hash)
                );
                let row = PublishedRow {
                    tag: tag.clone(),
                    signer: id.clone(),
                    fingerprint: signer.fingerprint(),
                    seq: head_seq,
                    hash: head_hash.clone(),
                    artifact: artifact.to_string(),
                    at: crate::store::chain::format_at(now),
                };
                store.set_checkpoint_published(repository, &row, &line, now)?;
                tracing::info!(%line);
                out.published.push(line);
            }
            Ok(CheckpointPush::Denied(code)) => {
                let line = format!(
                    "checkpoint not published: registry {} does not let you push to {repository} ({}); teammates with push rights publish theirs, and this desktop's history is checked against them when it is verified",
                    team.registry().display_name(),
                    if code == Code::AuthRequired { "no valid credentials" } else { "pull rights only" }
                );
                store.set_checkpoint_line(repository, &line, now)?;
                out.skipped.push(line);
            }
            Err(e) => {
                let line = fail(e);
                store.set_checkpoint_line(repository, &line, now)?;
                out.problems.push(line);
            }
        }
    }
    Ok(out)
}

pub(super) fn short(hash: &str) -> String {
    format!("{}…", hash.get(..12).unwrap_or(hash))
}
