use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::api::actor::{identity, signer_from};
use crate::api::open::{self, Registries};
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::{Event, EventKind, NewEvent};
use crate::signing::{Anchor, EventMessage, Move, MovePlace, Sources, DEPLOYMENT_KIND};
use crate::store::chain::format_at;
use crate::store::Store;
use crate::{Error, Result};

/// A deployment reported by CI or a person.
#[derive(Debug, Clone)]
pub struct RecordRequest {
    pub app: String,
    pub env: String,
    /// `REGISTRY/REPOSITORY@sha256:HEX`
    pub image: String,
    pub actor: String,
    /// When it was deployed (`--at`, in the past); now when `None`.
    pub at: Option<DateTime<Utc>>,
}

/// Record that `image` was deployed to `env`. The digest must exist in the registry (its
/// manifest is read and checked), so a mistyped digest never enters the history. The actor is
/// recorded as an identity (the approver id it names, see [`crate::api::resolve_actor`]).
///
/// `at` (`--at`) claims when the deployment happened; it is refused when it is in the future,
/// before the image was created (its config's `created`), or before the current stay of that
/// app × environment began (so a segment never ends before it starts). A record given `at`
/// also carries `data.appended_at`, the moment the history learned of it: soak counts from
/// there, so a backdated `at` never shortens a soak.
///
/// The record is signed (a `tollgate.deployment` message, see [`EventMessage`]) by the
/// actor's listed key, from `TOLLGATE_SIGNING_KEY`, ssh-agent or the OS keychain; an actor
/// with no usable listed key is refused ([`crate::api::signer_for`]).
///
/// Then it is published to the team's registry (`[team] share`), so that every desktop's sync
/// sees it explain the tag's move. A denied or failed push keeps it local and unshared
/// (`team.unshared` says why; the next sync retries).
#[tracing::instrument(skip_all, fields(app = %req.app, env = %req.env))]
pub async fn record(ws: &Workspace, ctx: &Context, req: RecordRequest) -> Result<RecordReceipt> {
    let event = record_local(ws, ctx, req, &Sources::from_env()).await?;
    let mut store = open::store(ws)?;
    let team = crate::api::team::sync::publish_event(ws, ctx, &mut store, &event).await?;
    Ok(RecordReceipt { event, team })
}

/// A recorded deployment and what was published of it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RecordReceipt {
    pub event: Event,
    /// What was published to the team's registry: the artifact, or why it is not shared yet;
    /// `null` when sharing is off or the registry is an OCI layout.
    pub team: Option<crate::api::team::sync::TeamShare>,
}

/// The sign-only step of [`record`], with the key sources given (the demo passes none): checked,
/// signed and appended, nothing published.
pub(crate) async fn record_local(
    ws: &Workspace,
    ctx: &Context,
    req: RecordRequest,
    sources: &Sources,
) -> Result<Event> {
    let app = ws.app(&req.app)?;
    ws.env(app, &req.env)?;
    let image = ws.image_ref(&req.image)?;
    let repository = format!("{}/{}", image.registry, image.repository);
    let known = app
        .environments
        .iter()
        .any(|e| ws.env_repository(app, e) == repository);
    if !known {
        return Err(Error::bad_input(format!(
            "{repository} is not a repository of app '{}' in {}; record an image from one of the app's repositories",
            app.name,
            ws.config_path.display()
        )));
    }
    if req.actor.trim().is_empty() {
        return Err(Error::bad_input(
            "--actor is empty: say who deployed it (or set $TOLLGATE_ACTOR)",
        ));
    }
    let actor = identity(ws, &req.actor)?;
    let signer = signer_from(ws, ctx, &actor, sources)?;
    let env_config = ws.env(app, &req.env)?;
    let Some(tag) = env_config.tag() else {
        return Err(Error::bad_input(format!(
            "{} {} lives in {}: its deployments are the file's commits, not records; commit the digest there signed with a listed key (git signs commits with an SSH key too) and the next sync reads it as a signed deployment",
            app.name,
            req.env,
            env_config.place()
        )));
    };
    let now = ctx.clock.now();
    let at = req.at.unwrap_or(now);
    if at > now + chrono::Duration::minutes(5) {
        return Err(Error::bad_input(format!(
            "the deployment time {} is in the future; record deployments that happened",
            at.to_rfc3339()
        )));
    }
    let (registry, path) = Registries::new(ws, ctx).get(&repository)?;
    let info = registry
        .image_info(&path, &image.digest)
        .await
        .map_err(|e| e.context(format!("record {}", image)))?;
    let mut store = open::store(ws)?;
    if req.at.is_some() {
        not_before_current_stay(&store, &req.app, &req.env, at)?;
    }
    if let (Some(_), Some(created)) = (req.at, info.created) {
        if at < created {
            return Err(Error::bad_input(format!(
                "the deployment time {} is before {} was created ({}, its config's `created`): a deployment cannot predate its image; give the time it was really deployed",
                secs(at),
                image.digest.short(),
                secs(created)
            )));
        }
    }
    store.put_image_info(&info)?;
    let (head_seq, head) = store.chain_head()?;
    let previous = store.head(&req.app, &req.env)?.segment.map(|s| s.digest);
    let message = EventMessage::new(
        Move {
            kind: DEPLOYMENT_KIND,
            app: req.app.clone(),
            env: req.env.clone(),
            from: None,
            digest: image.digest.clone(),
            previous,
            repository: repository.clone(),
            place: MovePlace::Tag(tag.to_string()),
            approvals: Vec::new(),
            deployed_at: req.at,
        },
        signer.id(),
        now,
        &Anchor {
            seq: head_seq,
            hash: head,
        },
    );
    let bytes = message.to_bytes();
    let signature = signer.sign(&bytes)?;
    let mut data = serde_json::json!({
        "repository": repository,
        "image": image.to_string(),
        "message": String::from_utf8_lossy(&bytes),
        "signature": signature,
        "fingerprint": signer.fingerprint(),
        "key_source": signer.source().kind(),
    });
    if req.at.is_some() {
        data["appended_at"] = format_at(now).into();
    }
    let event = NewEvent {
        at,
        kind: EventKind::Record,
        app: req.app.clone(),
        env: req.env.clone(),
        digest: Some(image.digest.clone()),
        actor: Some(actor),
        data,
    };
    let mut stored = store.append(vec![event])?;
    stored
        .pop()
        .ok_or_else(|| Error::internal("append returned no event"))
}

/// A claimed deployment time may not fall before the current stay of this app × environment
/// began: the timeline would show a stay that ends before it starts.
fn not_before_current_stay(store: &Store, app: &str, env: &str, at: DateTime<Utc>) -> Result<()> {
    let Some(current) = store.head(app, env)?.segment else {
        return Ok(());
    };
    if at < current.from {
        return Err(Error::bad_input(format!(
            "the deployment time {} is before the current stay in {app} {env} began ({} since {}); a deployment recorded now cannot be placed before it: give a time at or after {}, or now",
            secs(at),
            current.digest.short(),
            secs(current.from),
            secs(current.from)
        )));
    }
    Ok(())
}

fn secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
