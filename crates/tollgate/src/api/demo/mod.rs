//! `tollgate demo`: a self-contained workspace — a local OCI image-layout registry with real
//! images, a tollgate.toml, and a month of history made through the real use cases.

mod images;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Duration;

use crate::api::open::{self, Registries};
use crate::api::Context;
use crate::config::Workspace;
use crate::domain::{EventKind, FixedClock, NewEvent};
use crate::{Error, Result};

use images::DemoImage;

const APPS: [&str; 3] = ["api", "web", "worker"];
const ENVS: [&str; 3] = ["dev", "staging", "production"];
const VERSIONS: [&str; 4] = ["1.4.0", "1.5.0", "1.6.0", "1.7.0"];

/// Create the demo workspace in `dir` (which must not exist or be empty) and return the path
/// of its tollgate.toml.
#[tracing::instrument(skip(ctx))]
pub async fn demo(dir: &Path, ctx: &Context) -> Result<PathBuf> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::bad_input(format!(
            "{} already exists and is not empty; name a new folder for the demo",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir.join("registry"))
        .map_err(|e| Error::bad_input(format!("cannot create {}: {e}", dir.display())))?;
    let config_path = dir.join("tollgate.toml");
    std::fs::write(&config_path, workspace_toml())?;
    let ws = Workspace::load(&config_path, None)?;
    let now = ctx.clock.now();
    let at = |days: i64, hours: i64| now - Duration::days(days) + Duration::hours(hours);

    // Four releases of each app, each recorded in dev and promoted to staging then production
    // (the newest ones not yet all the way), 8 days apart.
    let mut registries = Registries::new(&ws, ctx);
    let mut events = Vec::new();
    for (a, app) in APPS.iter().enumerate() {
        let repository = format!("demo/payments/{app}");
        let (registry, path) = registries.get(&repository)?;
        for (v, version) in VERSIONS.iter().enumerate() {
            let start = 30 - 8 * v as i64;
            let image = DemoImage {
                app,
                version,
                revision: format!("{:040x}", (a * 16 + v + 1) * 0x9e3779b1),
                created: at(start, 0),
            };
            let reached = match v {
                0 | 1 => 3,
                2 => 2,
                _ => 1,
            };
            for (e, env) in ENVS.iter().enumerate().take(reached) {
                let digest = Some(images::push(&registry, &path, env, &image).await?);
                let when = at(start, 1 + 30 * e as i64);
                let (kind, actor) = if e == 0 {
                    (EventKind::Record, "ci@example.com")
                } else {
                    (EventKind::Promotion, "alice@example.com")
                };
                let mut data = serde_json::json!({ "repository": repository, "tag": env });
                if e > 0 {
                    data["from"] = serde_json::json!(ENVS[e - 1]);
                }
                events.push(NewEvent {
                    at: when,
                    kind,
                    app: app.to_string(),
                    env: env.to_string(),
                    digest,
                    actor: Some(actor.into()),
                    data,
                });
            }
        }
    }
    events.sort_by_key(|e| e.at);
    open::store(&ws)?.append(events)?;

    // Sync an hour ago (the baseline), then a hotfix tag move outside Tollgate: the next sync
    // shows it as drift.
    let earlier = Context {
        clock: Arc::new(FixedClock(now - Duration::hours(1))),
        secrets: ctx.secrets.clone(),
    };
    crate::api::sync(&ws, &earlier, None, &|_| {}).await?;
    let (registry, path) = registries.get("demo/payments/worker")?;
    let hotfix = DemoImage {
        app: "worker",
        version: "1.6.1-hotfix",
        revision: format!("{:040x}", 0xbadc0ffeeu64),
        created: now - Duration::minutes(40),
    };
    images::push(&registry, &path, "staging", &hotfix).await?;
    crate::api::sync(&ws, ctx, None, &|_| {}).await?;
    Ok(config_path)
}

fn workspace_toml() -> String {
    let mut s = String::from(
        r#"# The Tollgate demo workspace: a local OCI image-layout registry (./registry) and its history.
[workspace]
name = "demo"
database = "tollgate.db"

[[registries]]
name = "demo"
url = "oci:registry"
"#,
    );
    for app in APPS {
        s.push_str(&format!(
            r#"
[[apps]]
name = "{app}"
repository = "demo/payments/{app}"
environments = [
  {{ name = "dev", tag = "dev" }},
  {{ name = "staging", tag = "staging", policy = {{ approvals = 1, roles = ["qa"] }} }},
  {{ name = "production", tag = "production", policy = {{ approvals = 2, roles = ["manager", "qa"], min_soak = "24h", four_eyes = true }} }},
]
"#
        ));
    }
    s.push_str(DEMO_APPROVERS);
    s
}

/// Public keys only; the demo's history carries no approvals yet, so no private key is needed.
const DEMO_APPROVERS: &str = r#"
[[approvers]]
id = "alice@example.com"
roles = ["manager"]
key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnOtDybtJ1p01A2TSkf93Y52VOmKohWUzkWPrFZRPTw alice@example.com"

[[approvers]]
id = "quinn@example.com"
roles = ["qa"]
key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDy4Fu8aYdnwmJUTdadAE8VIFPafCGiS/dNh6DSSbLkn quinn@example.com"
"#;
