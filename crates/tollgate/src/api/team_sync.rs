//! Team sharing of approvals (DESIGN.md, "Team history in the registry"): publish a local
//! approval as an artifact attached to its image digest, and on `sync` pull, verify and import
//! teammates' approvals, retry approvals whose push was denied, and re-list artifacts an index
//! lost. Promotions, rollbacks and records are not shared yet.

use std::collections::{BTreeMap, HashMap};

use futures::stream::{self, StreamExt};
use serde::Serialize;
use ts_rs::TS;

use crate::api::open::Registries;
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::{Digest, Event, EventKind, NewEvent};
use crate::signing::{self, ApprovalMessage};
use crate::store::{Store, TeamArtifact};
use crate::team::{
    known_entry, repository_for, ArtifactKind, Descriptor, Fallbacks, Fetched, Publish, TeamEvent,
    TeamRegistry,
};
use crate::{Error, Result};

/// What became of publishing one approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct TeamShare {
    /// `<registry name>/<path>` of the repository it goes to.
    pub repository: String,
    /// The artifact's digest (also when not shared yet: it is the same once it is).
    pub artifact: String,
    /// In the registry and listed among the image's referrers.
    pub shared: bool,
    /// Why not, in one line (which registry, what right to ask for); `null` when shared.
    pub unshared: Option<String>,
}

/// What the team step of a sync did.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct TeamSyncReport {
    /// Teammates' approvals verified and appended to this history in this sync.
    pub imported: usize,
    /// Pulled approvals that did not verify against tollgate.toml (skipped, named in `skipped`).
    pub untrusted: usize,
    /// Unshared local approvals published in this sync.
    pub unshared_retried: usize,
    /// Local approvals still unshared after this sync.
    pub still_unshared: usize,
    /// One line per referrer skipped (untrusted, altered, not a Tollgate artifact), per lost
    /// index entry, and per push still denied.
    pub skipped: Vec<String>,
}

/// The artifact `event` (a local or imported approval) is published as.
fn approval_artifact(event: &Event, subject: Descriptor) -> Result<TeamEvent> {
    let message = event
        .data_str("message")
        .ok_or_else(|| Error::internal(format!("approval {} has no message", event.seq)))?;
    let signature = event
        .data_str("signature")
        .ok_or_else(|| Error::internal(format!("approval {} has no signature", event.seq)))?;
    let mut annotations = BTreeMap::new();
    annotations.insert("dev.tollgate.app".to_string(), event.app.clone());
    annotations.insert("dev.tollgate.env".to_string(), event.env.clone());
    if let Some(actor) = &event.actor {
        annotations.insert("dev.tollgate.actor".to_string(), actor.clone());
    }
    Ok(TeamEvent {
        kind: ArtifactKind::Approval,
        message: message.as_bytes().to_vec(),
        signature: signature.to_string(),
        subject,
        created: event.at,
        annotations,
    })
}

/// The team registry and the path inside it for `repository` (`<registry name>/<path>`);
/// `None` for a registry that cannot share (an OCI layout).
fn team_registry(
    registries: &mut Registries<'_>,
    repository: &str,
) -> Result<Option<(TeamRegistry, String)>> {
    let (registry, path) = registries.get(repository)?;
    Ok(TeamRegistry::new(registry).ok().map(|t| (t, path)))
}

/// The image manifest descriptor of `digest` in the app's repository: from the image info sync
/// cached, else one GET of the manifest.
async fn subject_of(
    store: &Store,
    registries: &mut Registries<'_>,
    app_repository: &str,
    digest: &Digest,
) -> Result<Descriptor> {
    if let Some(info) = store.image_info(digest)? {
        return Ok(Descriptor {
            media_type: info.media_type,
            digest: digest.clone(),
            size: info.size,
        });
    }
    let (registry, path) = registries.get(app_repository)?;
    let m = registry.fetch_manifest(&path, digest).await?;
    Ok(Descriptor {
        media_type: m.media_type,
        digest: digest.clone(),
        size: m.bytes.len() as u64,
    })
}

/// Publish approval `event` (just appended) when `[team] share` is on and its registry is a
/// remote one; `None` otherwise. A push the registry refuses, or a registry that cannot be
/// reached, keeps the approval local, recorded as unshared (retried by every sync): the
/// approval counts here either way.
#[tracing::instrument(skip_all, fields(seq = event.seq))]
pub async fn publish_approval(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    event: &Event,
) -> Result<Option<TeamShare>> {
    if !ws.config.team.share {
        return Ok(None);
    }
    let app = ws.app(&event.app)?;
    let digest = event
        .digest
        .clone()
        .ok_or_else(|| Error::internal("an approval without a digest"))?;
    let repository = repository_for(ws, app).to_string();
    let mut registries = Registries::new(ws, ctx);
    let Some((team, path)) = team_registry(&mut registries, &repository)? else {
        return Ok(None);
    };
    let subject = subject_of(store, &mut registries, &app.repository, &digest).await?;
    let artifact = approval_artifact(event, subject)?;
    let manifest = artifact.manifest()?;
    let mut row = TeamArtifact {
        digest: Digest::of(&manifest),
        subject: digest,
        repository: repository.clone(),
        kind: ArtifactKind::Approval.as_str().into(),
        size: manifest.len() as u64,
        shared: false,
        event_seq: Some(event.seq),
    };
    let unshared = match team.publish(&path, &artifact).await {
        Ok(Publish::Shared(_)) => None,
        Ok(Publish::Denied(d)) => Some(d.line),
        Err(e) => Some(format!(
            "not shared yet: {}; the approval stays in this history, marked unshared, and the next sync publishes it",
            e.message
        )),
    };
    row.shared = unshared.is_none();
    store.put_team_artifact(&row)?;
    Ok(Some(TeamShare {
        repository,
        artifact: row.digest.to_string(),
        shared: row.shared,
        unshared,
    }))
}

/// How many digests are asked about at once.
const PARALLEL_PULLS: usize = 32;

/// The digests a sync asks the team about, per app: each environment's current digest, and
/// (the same set, said otherwise) each candidate waiting in the previous environment.
pub(crate) struct Interest {
    pub app: String,
    pub digest: Digest,
}

/// The team step of a sync: retry unshared approvals, then pull, verify and import the
/// approvals attached to every digest of interest, and put back what an index lost.
#[tracing::instrument(skip_all, fields(digests = interest.len()))]
pub(crate) async fn sync_team(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    interest: &[Interest],
) -> Result<TeamSyncReport> {
    let mut report = TeamSyncReport::default();
    if !ws.config.team.share {
        return Ok(report);
    }
    let mut registries = Registries::new(ws, ctx);
    let mut teams: HashMap<String, Option<(TeamRegistry, String)>> = HashMap::new();
    retry_unshared(ws, store, &mut registries, &mut teams, &mut report).await?;
    // 1. Which team repository each digest of interest is asked in, and what was seen there.
    let mut asks = Vec::with_capacity(interest.len());
    for i in interest {
        let app = ws.app(&i.app)?;
        let repository = repository_for(ws, app).to_string();
        if !teams.contains_key(&repository) {
            let t = team_registry(&mut registries, &repository)?;
            teams.insert(repository.clone(), t);
        }
        if teams.get(&repository).is_some_and(Option::is_some) {
            let seen = store.team_seen(&repository, &i.digest)?;
            asks.push((i, repository, seen));
        }
    }
    // 2. Pull them all, PARALLEL_PULLS at a time (the registry handle bounds requests further),
    //    after one probe and one tag list per repository (which fallback tags exist).
    let teams = &teams;
    let fallbacks = &fallbacks_of(teams, &asks).await?;
    let pulls: Vec<_> = stream::iter(asks)
        .map(|(i, repository, seen)| async move {
            let (team, path) = teams
                .get(&repository)
                .and_then(Option::as_ref)
                .expect("only repositories that can share are asked");
            let known = fallbacks.get(&repository).unwrap_or(&Fallbacks::Unknown);
            let pulled = team
                .pull_in(path, &i.digest, &seen, known)
                .await
                .map_err(|e| e.context(format!("pull the team's events on {}", i.digest)));
            (i, repository, pulled)
        })
        .buffered(PARALLEL_PULLS)
        .collect()
        .await;
    // 3. Verify and import, in the order of `interest`.
    for (i, repository, pulled) in pulls {
        let pulled = pulled?;
        let Some((team, path)) = teams.get(&repository).and_then(Option::as_ref) else {
            continue;
        };
        if let Some(line) = pulled.referrers.lost_line(&repository, &i.digest) {
            report.skipped.push(line);
            let known: Vec<_> = store
                .team_artifacts(&repository, &i.digest)?
                .iter()
                .filter(|a| a.shared && pulled.referrers.lost.contains(&a.digest))
                .filter_map(known_entry)
                .collect();
            team.ensure_listed(path, &i.digest, &known).await?;
        }
        for s in &pulled.skipped {
            report.skipped.push(s.line(&repository));
        }
        for f in &pulled.fetched {
            if f.manifest.kind != ArtifactKind::Approval {
                continue;
            }
            if store
                .team_artifact(&f.manifest.digest)?
                .is_some_and(|a| a.event_seq.is_some())
            {
                continue;
            }
            match trusted_approval(ws, &i.app, &i.digest, f, ctx.clock.now()) {
                Ok(verified) => {
                    let size = pulled
                        .referrers
                        .listing
                        .entries
                        .iter()
                        .find(|e| e.digest == f.manifest.digest)
                        .map_or(0, |e| e.size);
                    let at = (repository.as_str(), &i.digest, size);
                    import(store, at, f, verified, ctx)?;
                    report.imported += 1;
                }
                Err(why) => {
                    report.untrusted += 1;
                    report.skipped.push(format!(
                        "untrusted approval {} in {repository}: {why}; it is ignored by the policy",
                        f.manifest.digest
                    ));
                }
            }
        }
        store.set_team_index_digest(
            &repository,
            &i.digest,
            pulled.referrers.index_digest.as_ref(),
        )?;
    }
    report.still_unshared = store.unshared_team_artifacts()?.len();
    Ok(report)
}

/// What each team repository asked about says of its fallback tags
/// ([`TeamRegistry::fallbacks`], probed with its first digest of interest), PARALLEL_PULLS at a
/// time.
async fn fallbacks_of(
    teams: &HashMap<String, Option<(TeamRegistry, String)>>,
    asks: &[(&Interest, String, crate::team::Seen)],
) -> Result<HashMap<String, Fallbacks>> {
    let mut probes: Vec<(&str, &Digest)> = Vec::new();
    for (i, repository, _) in asks {
        if !probes.iter().any(|(r, _)| r == repository) {
            probes.push((repository, &i.digest));
        }
    }
    let found: Vec<_> = stream::iter(probes)
        .filter_map(|(repository, probe)| async move {
            let (team, path) = teams.get(repository).and_then(Option::as_ref)?;
            Some(async move { (repository.to_string(), team.fallbacks(path, probe).await) })
        })
        .buffer_unordered(PARALLEL_PULLS)
        .collect()
        .await;
    found.into_iter().map(|(r, f)| f.map(|f| (r, f))).collect()
}

/// Publish again every approval whose push was denied (or did not get through).
async fn retry_unshared(
    ws: &Workspace,
    store: &mut Store,
    registries: &mut Registries<'_>,
    teams: &mut HashMap<String, Option<(TeamRegistry, String)>>,
    report: &mut TeamSyncReport,
) -> Result<()> {
    for a in store.unshared_team_artifacts()? {
        let Some(seq) = a.event_seq else { continue };
        let event = store.event(seq)?;
        if event.kind != EventKind::Approval {
            continue;
        }
        if !teams.contains_key(&a.repository) {
            let t = team_registry(registries, &a.repository)?;
            teams.insert(a.repository.clone(), t);
        }
        let Some((team, path)) = teams.get(&a.repository).and_then(Option::as_ref) else {
            continue;
        };
        let app = ws.app(&event.app)?;
        let subject = subject_of(store, registries, &app.repository, &a.subject).await?;
        let artifact = approval_artifact(&event, subject)?;
        match team.publish(path, &artifact).await? {
            Publish::Shared(p) => {
                if p.artifact != a.digest {
                    return Err(Error::internal(format!(
                        "approval {seq} republished as {}, not {}",
                        p.artifact, a.digest
                    )));
                }
                store.set_team_artifact_shared(&a.digest)?;
                report.unshared_retried += 1;
            }
            Publish::Denied(d) => report.skipped.push(d.line),
        }
    }
    Ok(())
}

/// A pulled approval that verified: its message and the signing key's fingerprint.
struct Verified {
    message: ApprovalMessage,
    text: String,
    fingerprint: String,
}

/// Check a pulled approval: a Tollgate approval message about this app and this digest, from an
/// approver tollgate.toml lists, whose SSHSIG verifies against that approver's key valid at
/// `appended_at` (the local append time). `Err` says why not, in one line.
fn trusted_approval(
    ws: &Workspace,
    app: &str,
    subject: &Digest,
    f: &Fetched,
    appended_at: chrono::DateTime<chrono::Utc>,
) -> std::result::Result<Verified, String> {
    let message = ApprovalMessage::parse(&f.message).map_err(|e| e.message)?;
    if message.app != app {
        return Err(format!("it approves app '{}', not '{app}'", message.app));
    }
    if &message.digest != subject {
        return Err(format!(
            "it approves {}, not the image it is attached to ({subject})",
            message.digest
        ));
    }
    let a = ws.app(app).map_err(|e| e.message)?;
    let envs: Vec<&str> = a.environments.iter().map(|e| e.name.as_str()).collect();
    let step_ok = envs
        .windows(2)
        .any(|w| w[0] == message.from && w[1] == message.to);
    if !step_ok {
        return Err(format!(
            "it approves a move from '{}' to '{}', which is not a step of {app}",
            message.from, message.to
        ));
    }
    let approver = ws
        .config
        .approvers
        .iter()
        .find(|x| x.id == message.approver)
        .ok_or_else(|| {
            format!(
                "its signer '{}' is not an approver in tollgate.toml",
                message.approver
            )
        })?;
    let verified = signing::verify_approval(&f.message, &f.signature, approver, appended_at)
        .map_err(|e| e.message)?;
    let text = String::from_utf8(f.message.clone()).map_err(|e| e.to_string())?;
    Ok(Verified {
        message,
        text,
        fingerprint: verified.fingerprint,
    })
}

/// Append a verified teammate's approval to this history, once, like a local one plus
/// `data.imported`, and remember its artifact.
fn import(
    store: &mut Store,
    (repository, subject, size): (&str, &Digest, u64),
    f: &Fetched,
    v: Verified,
    ctx: &Context,
) -> Result<()> {
    let m = &v.message;
    let event = NewEvent {
        at: ctx.clock.now(),
        kind: EventKind::Approval,
        app: m.app.clone(),
        env: m.to.clone(),
        digest: Some(m.digest.clone()),
        actor: Some(m.approver.clone()),
        data: serde_json::json!({
            "from": m.from,
            "to": m.to,
            "role": m.role,
            "note": m.note,
            "message": v.text,
            "signature": f.signature,
            "fingerprint": v.fingerprint,
            "imported": { "artifact": f.manifest.digest.as_str(), "repository": repository },
        }),
    };
    let event = store
        .append(vec![event])?
        .pop()
        .ok_or_else(|| Error::internal("append returned no event"))?;
    store.put_team_artifact(&TeamArtifact {
        digest: f.manifest.digest.clone(),
        subject: subject.clone(),
        repository: repository.to_string(),
        kind: ArtifactKind::Approval.as_str().into(),
        size,
        shared: true,
        event_seq: Some(event.seq),
    })?;
    tracing::info!(seq = event.seq, artifact = %f.manifest.digest, "imported a teammate's approval");
    Ok(())
}
