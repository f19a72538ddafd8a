//! Publishing: one artifact builder for every shared kind, the publish of an event just
//! appended, and the retry of every event whose push was denied.

use std::collections::{BTreeMap, HashMap};

use super::{artifact_kind, TeamShare, TeamSyncReport};
use crate::api::open::Registries;
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::{Digest, Event};
use crate::store::{Store, TeamArtifact};
use crate::team::{repository_for, Descriptor, Publish, TeamEvent, TeamRegistry};
use crate::{Error, Result};

/// The team registries met so far, by `<registry name>/<path>` (`None`: cannot share).
pub(super) type Teams = HashMap<String, Option<(TeamRegistry, String)>>;

/// The artifact `event` (local or imported) is published as: its exact signed message bytes
/// (`data.message`) and armored SSHSIG (`data.signature`). `None` for a kind that is not
/// shared and for an unsigned event (`data.unsigned`, or no signature): those are never
/// published.
pub(super) fn artifact(event: &Event, subject: Descriptor) -> Option<TeamEvent> {
    let kind = artifact_kind(event.kind)?;
    if event.data.get("unsigned").is_some() {
        return None;
    }
    let message = event.data_str("message")?;
    let signature = event.data_str("signature")?;
    let mut annotations = BTreeMap::new();
    annotations.insert("dev.tollgate.app".to_string(), event.app.clone());
    annotations.insert("dev.tollgate.env".to_string(), event.env.clone());
    if let Some(actor) = &event.actor {
        annotations.insert("dev.tollgate.actor".to_string(), actor.clone());
    }
    Some(TeamEvent {
        kind,
        message: message.as_bytes().to_vec(),
        signature: signature.to_string(),
        subject,
        created: event.at,
        annotations,
    })
}

/// The team registry and the path inside it for `repository` (`<registry name>/<path>`);
/// `None` for a registry that cannot share (an OCI layout).
pub(super) fn team_registry(
    registries: &mut Registries<'_>,
    repository: &str,
) -> Result<Option<(TeamRegistry, String)>> {
    let (registry, path) = registries.get(repository)?;
    Ok(TeamRegistry::new(registry).ok().map(|t| (t, path)))
}

/// The team registry of `repository`, opened once per step.
pub(super) fn team_in<'t>(
    teams: &'t mut Teams,
    registries: &mut Registries<'_>,
    repository: &str,
) -> Result<Option<&'t (TeamRegistry, String)>> {
    if !teams.contains_key(repository) {
        let t = team_registry(registries, repository)?;
        teams.insert(repository.to_string(), t);
    }
    Ok(teams.get(repository).and_then(Option::as_ref))
}

/// The image manifest descriptor of `digest`: from the image info sync cached, else one GET
/// of the manifest in `repository` (where the event's image is).
async fn subject_of(
    cached: Option<crate::domain::ImageInfo>,
    registries: &mut Registries<'_>,
    repository: &str,
    digest: &Digest,
) -> Result<Descriptor> {
    if let Some(info) = cached {
        return Ok(Descriptor {
            media_type: info.media_type,
            digest: digest.clone(),
            size: info.size,
        });
    }
    let (registry, path) = registries.get(repository)?;
    let m = registry.fetch_manifest(&path, digest).await?;
    Ok(Descriptor {
        media_type: m.media_type,
        digest: digest.clone(),
        size: m.bytes.len() as u64,
    })
}

/// Where `event`'s image manifest can be read: the repository it names (a promotion's target,
/// a record's image), else the app's.
fn image_repository<'a>(ws: &'a Workspace, event: &'a Event) -> Result<&'a str> {
    if let Some(r) = event.data_str("repository") {
        return Ok(r);
    }
    Ok(ws.app(&event.app)?.repository.as_str())
}

/// Publish `event` (just appended: an approval, promotion, rollback or record) when `[team]
/// share` is on, its registry is a remote one and it is signed; `None` otherwise. A push the
/// registry refuses, or a registry that cannot be reached, keeps the event local, recorded as
/// unshared (retried by every sync): it counts here either way.
#[tracing::instrument(skip_all, fields(seq = event.seq, kind = event.kind.as_str()))]
pub(crate) async fn publish_event(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    event: &Event,
) -> Result<Option<TeamShare>> {
    if !ws.config.team.share || artifact_kind(event.kind).is_none() {
        return Ok(None);
    }
    let app = ws.app(&event.app)?;
    let Some(digest) = event.digest.clone() else {
        return Ok(None);
    };
    let repository = repository_for(ws, app).to_string();
    let mut registries = Registries::new(ws, ctx);
    let Some((team, path)) = team_registry(&mut registries, &repository)? else {
        return Ok(None);
    };
    let cached = store.image_info(&digest)?;
    let subject = subject_of(
        cached,
        &mut registries,
        image_repository(ws, event)?,
        &digest,
    )
    .await?;
    let Some(artifact) = artifact(event, subject) else {
        tracing::info!(seq = event.seq, "unsigned: not published");
        return Ok(None);
    };
    let manifest = artifact.manifest()?;
    let mut row = TeamArtifact {
        digest: Digest::of(&manifest),
        subject: digest,
        repository: repository.clone(),
        kind: artifact.kind.as_str().into(),
        size: manifest.len() as u64,
        shared: false,
        event_seq: Some(event.seq),
        imported: Some(false),
    };
    let unshared = match team.publish(&path, &artifact).await {
        Ok(Publish::Shared(_)) => None,
        Ok(Publish::Denied(d)) => Some(d.line),
        Err(e) => Some(format!(
            "not shared yet: {}; the {} stays in this history, marked unshared, and the next sync publishes it",
            e.message,
            event.kind.as_str()
        )),
    };
    row.shared = unshared.is_none();
    store.put_team_artifact(&row)?;
    store.set_team_unshared_reason(&row.digest, unshared.as_deref(), ctx.clock.now())?;
    Ok(Some(TeamShare {
        repository,
        artifact: row.digest.to_string(),
        shared: row.shared,
        unshared,
    }))
}

/// Publish again every event whose push was denied (or did not get through). One that fails
/// again keeps its line (named in the report and `team status`); the others go on.
pub(super) async fn retry_unshared(
    ws: &Workspace,
    ctx: &Context,
    store: &mut Store,
    registries: &mut Registries<'_>,
    teams: &mut Teams,
    report: &mut TeamSyncReport,
) -> Result<()> {
    for a in store.unshared_team_artifacts()? {
        let Some(seq) = a.event_seq else { continue };
        let event = store.event(seq)?;
        let Some((team, path)) = team_in(teams, registries, &a.repository)? else {
            continue;
        };
        let cached = store.image_info(&a.subject)?;
        let published = async {
            let subject = subject_of(
                cached,
                registries,
                image_repository(ws, &event)?,
                &a.subject,
            )
            .await?;
            match artifact(&event, subject) {
                Some(artifact) => team.publish(path, &artifact).await.map(Some),
                None => Ok(None),
            }
        }
        .await;
        match published {
            Ok(None) => {}
            Ok(Some(Publish::Shared(p))) => {
                if p.artifact != a.digest {
                    return Err(Error::internal(format!(
                        "{} {seq} republished as {}, not {}",
                        event.kind.as_str(),
                        p.artifact,
                        a.digest
                    )));
                }
                store.set_team_artifact_shared(&a.digest)?;
                store.set_team_unshared_reason(&a.digest, None, ctx.clock.now())?;
                report.unshared_retried += 1;
            }
            Ok(Some(Publish::Denied(d))) => {
                store.set_team_unshared_reason(&a.digest, Some(&d.line), ctx.clock.now())?;
                report.skipped.push(d.line)
            }
            Err(e) => {
                let line = format!(
                    "not shared yet: {}; the {} stays in this history, marked unshared, and the next sync publishes it",
                    e.message,
                    event.kind.as_str()
                );
                store.set_team_unshared_reason(&a.digest, Some(&line), ctx.clock.now())?;
                report.skipped.push(line)
            }
        }
    }
    Ok(())
}
