//! `tollgate demo`: a self-contained workspace — a local OCI image-layout registry with real
//! images, a tollgate.toml, and a month of history made through the real use cases.

mod images;
mod signer;

pub use signer::{demo_signer_plan, proposed_identity, DemoSignerPlan, DemoSigning, DEMO_ROLES};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Duration;

use crate::api::open::Registries;
use crate::api::{ApproveRequest, Context, PromoteRequest, RecordRequest};
use crate::config::Workspace;
use crate::domain::{Digest, FixedClock};
use crate::keychain::{MemoryKeychain, SecretStore};
use crate::signing;
use crate::{Error, Result};

use images::DemoImage;

const APPS: [&str; 3] = ["api", "web", "worker"];
const VERSIONS: [&str; 4] = ["1.4.0", "1.5.0", "1.6.0", "1.7.0"];

/// Who may sign in a new demo besides its own throwaway identities.
#[derive(Debug, Clone, Copy)]
pub enum DemoSigner<'a> {
    /// This machine's identity, as `plan` (from [`demo_signer_plan`], shown to the person
    /// first) says; `new_id` names it when the machine has none yet.
    Machine {
        plan: &'a DemoSignerPlan,
        new_id: &'a str,
    },
    /// Nobody: the person chose to look without signing.
    Nobody,
}

/// A demo workspace that was made.
#[derive(Debug, Clone)]
pub struct DemoWorkspace {
    /// Its tollgate.toml.
    pub config_path: PathBuf,
    /// Whether this machine's identity can sign in it, and as whom.
    pub signing: DemoSigning,
}

/// Create the demo workspace in `dir` (which must not exist or be empty), with `signer` listed
/// as an approver where it can be.
#[tracing::instrument(skip(ctx))]
pub async fn demo(dir: &Path, ctx: &Context, signer: DemoSigner<'_>) -> Result<DemoWorkspace> {
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
    // The demo approvers' keys live in a throwaway in-memory keychain: their signatures in the
    // history are real (ssh-keygen verifies them), and nobody can sign as them afterwards.
    let keys: Arc<dyn SecretStore> = Arc::new(MemoryKeychain::default());
    let reserved = [ALICE, QUINN, DEMO_SIGNERS[0], DEMO_SIGNERS[1]];
    let (signing, you) = match signer {
        DemoSigner::Machine { plan, new_id } => signer::carry_out(ctx, plan, new_id, &reserved),
        DemoSigner::Nobody => (DemoSigning::not_asked(), None),
    };
    let mut approvers = demo_approvers(keys.as_ref())?;
    if let (Some(id), Some(key)) = (&signing.approver, &you) {
        approvers.push_str(&signer::approver_toml(id, key));
    }
    std::fs::write(&config_path, workspace_toml(&approvers))?;
    let ws = Workspace::load(&config_path, None)?;
    let now = ctx.clock.now();
    let at = |days: i64, hours: i64| now - Duration::days(days) + Duration::hours(hours);
    let when = |t| Context {
        clock: Arc::new(FixedClock(t)),
        secrets: keys.clone(),
    };

    // Four releases of each app, 8 days apart, each recorded in dev by CI, then approved and
    // promoted through the real use cases (the newest ones not yet all the way).
    let mut registries = Registries::new(&ws, ctx);
    for app in APPS.iter() {
        let repository = format!("demo/payments/{app}");
        let (registry, path) = registries.get(&repository)?;
        for (v, version) in VERSIONS.iter().enumerate() {
            let start = 30 - 8 * v as i64;
            let image = DemoImage {
                app,
                version,
                revision: images::revision(&format!("{app} {version}")),
                created: at(start, 0),
            };
            let digest = images::push(&registry, &path, "dev", &image).await?;
            let image_ref = format!("{repository}@{digest}");
            let record = RecordRequest {
                app: app.to_string(),
                env: "dev".into(),
                image: image_ref,
                actor: "ci@example.com".into(),
                at: None,
            };
            let none = crate::signing::Sources::default();
            crate::api::record::record_local(&ws, &when(at(start, 1)), record, &none).await?;
            if v == 3 {
                continue;
            }
            approve(&ws, &when(at(start, 20)), app, "staging", &digest, QUINN)?;
            promote(&ws, &when(at(start, 31)), app, "staging", &digest).await?;
            approve(&ws, &when(at(start, 50)), app, "production", &digest, QUINN)?;
            if v == 2 {
                continue; // waiting for a manager's approval
            }
            approve(&ws, &when(at(start, 52)), app, "production", &digest, ALICE)?;
            promote(&ws, &when(at(start, 61)), app, "production", &digest).await?;
        }
    }

    // Sync an hour ago (the baseline), then a hotfix tag move outside Tollgate: the next sync
    // shows it as drift.
    crate::api::sync(&ws, &when(now - Duration::hours(1)), None, &|_| {}).await?;
    let (registry, path) = registries.get("demo/payments/worker")?;
    let hotfix = DemoImage {
        app: "worker",
        version: "1.6.1-hotfix",
        revision: images::revision("worker 1.6.1-hotfix"),
        created: now - Duration::minutes(40),
    };
    images::push(&registry, &path, "staging", &hotfix).await?;
    crate::api::sync(&ws, &when(now), None, &|_| {}).await?;
    tracing::info!(approver = ?signing.approver, problem = ?signing.problem, "demo made");
    Ok(DemoWorkspace {
        config_path,
        signing,
    })
}

const ALICE: &str = "alice@example.com";
const QUINN: &str = "quinn@example.com";

fn approve(
    ws: &Workspace,
    ctx: &Context,
    app: &str,
    to: &str,
    digest: &Digest,
    who: &str,
) -> Result<()> {
    let req = ApproveRequest {
        app: app.into(),
        to: to.into(),
        digest: digest.to_string(),
        confirm: digest.short().into(),
        role: None,
        note: Some(format!("checked {to} readiness")),
        approver: Some(who.into()),
    };
    let none = crate::signing::Sources::default();
    crate::api::approve::approve_local(ws, ctx, req, &none).map(|_| ())
}

async fn promote(
    ws: &Workspace,
    ctx: &Context,
    app: &str,
    to: &str,
    digest: &Digest,
) -> Result<()> {
    let req = PromoteRequest {
        app: app.into(),
        to: to.into(),
        digest: digest.to_string(),
        actor: "release-bot@example.com".into(),
    };
    // Signed by the demo's CI signer from the in-memory keychain, even when the environment
    // names a key file or an agent (`TOLLGATE_SIGNING_KEY`, `SSH_AUTH_SOCK`).
    let none = crate::signing::Sources::default();
    crate::api::actor::with_sources(none, crate::api::promote(ws, ctx, req, &|_| {}))
        .await
        .map(|_| ())
}

/// The CI identities that record and promote in the demo (`[[signers]]`).
const DEMO_SIGNERS: [&str; 2] = ["ci@example.com", "release-bot@example.com"];

/// Fresh Ed25519 keys for the demo approvers and CI signers in `keys`, and their
/// `[[approvers]]` and `[[signers]]` entries.
fn demo_approvers(keys: &dyn SecretStore) -> Result<String> {
    let mut toml = String::new();
    for (id, role) in [(ALICE, "manager"), (QUINN, "qa")] {
        let key = signing::generate_key(id, keys)?;
        toml.push_str(&format!(
            "\n[[approvers]]\nid = \"{id}\"\nroles = [\"{role}\"]\nkey = \"{}\"\n",
            key.public_key
        ));
    }
    for id in DEMO_SIGNERS {
        let key = signing::generate_key(id, keys)?;
        toml.push_str(&format!(
            "\n[[signers]]\nid = \"{id}\"\nkey = \"{}\"\n",
            key.public_key
        ));
    }
    Ok(toml)
}

fn workspace_toml(approvers: &str) -> String {
    let mut s = String::from(
        r#"# The Tollgate demo workspace: a local OCI image-layout registry (./registry) and its history.
[workspace]
name = "demo"
database = "tollgate.db"

[[registries]]
name = "demo"
url = "oci:registry"
# Where a cluster would pull these images from: the deploy snippets name them there.
pull = "registry.example.com"
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
    s.push_str(approvers);
    s
}
