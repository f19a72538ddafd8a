use chrono::{DateTime, Utc};

use crate::api::open::{self, Registries};
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::{Event, EventKind, ImageRef, NewEvent};
use crate::{Error, Result};

/// A deployment reported by CI or a person.
#[derive(Debug, Clone)]
pub struct RecordRequest {
    pub app: String,
    pub env: String,
    /// `REGISTRY/REPOSITORY@sha256:HEX`
    pub image: String,
    pub actor: String,
    /// When it was deployed; now when `None`.
    pub at: Option<DateTime<Utc>>,
}

/// Record that `image` was deployed to `env`. The digest must exist in the registry (its
/// manifest is read and checked), so a mistyped digest never enters the history.
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
    store.put_image_info(&info)?;
    let event = NewEvent {
        at,
        kind: EventKind::Record,
        app: req.app.clone(),
        env: req.env.clone(),
        digest: Some(image.digest.clone()),
        actor: Some(req.actor.clone()),
        data: serde_json::json!({ "repository": repository, "image": image.to_string() }),
    };
    let mut stored = store.append(vec![event])?;
    stored
        .pop()
        .ok_or_else(|| Error::internal("append returned no event"))
}
