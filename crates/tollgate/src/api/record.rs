use chrono::{DateTime, Utc};

use crate::api::actor::identity;
use crate::api::open::{self, Registries};
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::{Event, EventKind, ImageRef, NewEvent};
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
#[tracing::instrument(skip_all, fields(app = %req.app, env = %req.env))]
pub async fn record(ws: &Workspace, ctx: &Context, req: RecordRequest) -> Result<Event> {
    let app = ws.app(&req.app)?;
    ws.env(app, &req.env)?;
    let image = ImageRef::parse(&req.image)?;
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
    let now = ctx.clock.now();
    let at = req.at.unwrap_or(now);
    if at > now + chrono::Duration::minutes(5) {
        return Err(Error::bad_input(format!(
            "--at {} is in the future; record deployments that happened",
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
                "--at {} is before {} was created ({}, its config's `created`): a deployment cannot predate its image; give the time it was really deployed",
                secs(at),
                image.digest.short(),
                secs(created)
            )));
        }
    }
    store.put_image_info(&info)?;
    let mut data = serde_json::json!({ "repository": repository, "image": image.to_string() });
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
            "--at {} is before the current stay in {app} {env} began ({} since {}); a deployment recorded now cannot be placed before it: give a time at or after {}, or leave --at out",
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
