use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::Value;

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::keys::other_public_key;
use tollgate_testsupport::process::run;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::skopeo::{push, skopeo_digest};

/// A workspace with history, made only through the real CLI: `tollgate demo DIR`; until that
/// command works, a minimal one (a local OCI image layout made with `umoci`, a tollgate.toml,
/// and one `tollgate record`). Returns the path of its tollgate.toml.
pub fn workspace(cli: &Path, dir: &Path) -> Result<PathBuf> {
    let demo = dir.join("demo");
    let out = Command::new(cli)
        .arg("demo")
        .arg(&demo)
        .arg("--without-signing")
        .output()
        .with_context(|| format!("cannot run {}", cli.display()))?;
    if out.status.success() {
        let stdout = String::from_utf8(out.stdout)?;
        let path = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .context("`tollgate demo` printed no path")?;
        return Ok(PathBuf::from(path.trim()));
    }
    eprintln!(
        "e2e: `tollgate demo` failed ({}); using a minimal workspace",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    minimal(cli, &dir.join("minimal"))
}

fn minimal(cli: &Path, dir: &Path) -> Result<PathBuf> {
    let layout = dir.join("registry/payments/api");
    std::fs::create_dir_all(layout.parent().context("layout parent")?)?;
    let image = format!("{}:dev", layout.display());
    run(Command::new("umoci")
        .arg("init")
        .arg("--layout")
        .arg(&layout));
    run(Command::new("umoci").args(["new", "--image", &image]));
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json"))?)?;
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .context("no manifest in the layout's index.json")?;

    let config = dir.join("tollgate.toml");
    std::fs::write(
        &config,
        format!(
            r#"[workspace]
name = "e2e"
database = "tollgate.db"

[[registries]]
name = "local"
url = "oci:registry"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [{{ name = "dev", tag = "dev" }}, {{ name = "staging", tag = "staging" }}]
{signers}"#,
            signers = ci_signer(dir)?,
        ),
    )?;
    record(cli, &config, "dev", digest, None)?;
    Ok(config)
}

/// `tollgate --config FILE status --json`: what the window must show.
pub fn status(cli: &Path, config: &Path) -> Result<Vec<Value>> {
    let out = run(Command::new(cli)
        .arg("--config")
        .arg(config)
        .args(["status", "--json"]));
    let rows: Vec<Value> =
        serde_json::from_str(&out).context("status --json is not a JSON array")?;
    Ok(rows)
}

/// The CI identity records are signed by: an Ed25519 key file `ci_signing_key` made with
/// `ssh-keygen` in `dir` (the folder of the tollgate.toml), and its `[[signers]]` entry.
fn ci_signer(dir: &Path) -> Result<String> {
    let key = dir.join(CI_KEY);
    run(Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "ci@example.com",
            "-f",
        ])
        .arg(&key));
    let public = std::fs::read_to_string(key.with_extension("pub"))?;
    Ok(format!(
        "\n[[signers]]\nid = \"ci@example.com\"\nkey = \"{}\"\n",
        public.trim()
    ))
}

const CI_KEY: &str = "ci_signing_key";

/// `tollgate --config FILE record`: CI (`ci@example.com`) deployed `local/payments/api@DIGEST`
/// to `env` of app `api` (at `at`, RFC 3339, or now), signed with the [`ci_signer`] key file.
fn record(cli: &Path, config: &Path, env: &str, digest: &str, at: Option<&str>) -> Result<()> {
    let mut command = Command::new(cli);
    let key = config.parent().context("config folder")?.join(CI_KEY);
    command.env("TOLLGATE_SIGNING_KEY", key);
    command.arg("--config").arg(config).args([
        "record",
        "--app",
        "api",
        "--env",
        env,
        "--actor",
        "ci@example.com",
    ]);
    if let Some(at) = at {
        command.args(["--at", at]);
    }
    command
        .arg("--image")
        .arg(format!("local/payments/api@{digest}"));
    run(&mut command);
    Ok(())
}

/// The public half of a key in the real OS keychain, as `tollgate key init|show` prints it.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub id: String,
    pub fingerprint: String,
    pub public_key: String,
    pub allowed_signers: String,
}

/// `tollgate key init --id ID` (the CLI, the real keychain): a new Ed25519 key.
pub fn key_init(cli: &Path, id: &str) -> Result<KeyInfo> {
    key_info(cli, "init", id)
}

/// `tollgate key show --id ID`: the key the OS keychain holds for `id` now.
pub fn key_show(cli: &Path, id: &str) -> Result<KeyInfo> {
    key_info(cli, "show", id)
}

fn key_info(cli: &Path, command: &str, id: &str) -> Result<KeyInfo> {
    let out = run(Command::new(cli).args(["key", command, "--id", id]));
    let field = |name: &str| -> Result<String> {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .with_context(|| format!("`key {command}` printed no {name:?}: {out}"))
    };
    Ok(KeyInfo {
        id: field("approver:")?,
        fingerprint: field("fingerprint:")?,
        public_key: field("public key:")?,
        allowed_signers: field("allowed_signers:")?,
    })
}

/// A workspace over a real registry for the approval flow: app `api` with dev, staging (one qa
/// approval) and production (one manager approval); approvers `qa` (the key this machine holds,
/// or `qa_key` instead when given) and a manager whose key nobody here holds. CI history made
/// with `tollgate record`: dev ran `b` then `a`, staging runs `b`; the registry's tags agree
/// (dev → a, staging → b), so the first sync in the window finds no drift.
pub struct ApprovalWorkspace {
    pub config: PathBuf,
    /// Runs in dev; the candidate for staging.
    pub a: String,
    /// Runs in staging; ran in dev before `a` (so staging can roll back to it).
    pub b: String,
}

pub fn approval_workspace(
    cli: &Path,
    dir: &Path,
    registry: &TestRegistry,
    qa: &str,
    qa_key: &str,
) -> Result<ApprovalWorkspace> {
    let image_a = make_image("payments api a");
    let image_b = make_image("payments api b");
    push(&image_b, registry, "payments/api:staging");
    push(&image_a, registry, "payments/api:dev");
    let a = skopeo_digest(registry, "payments/api:dev");
    let b = skopeo_digest(registry, "payments/api:staging");
    let manager_key = other_public_key(dir, "manager-e2e");
    let workspace = dir.join("workspace");
    std::fs::create_dir_all(&workspace)?;
    let config = workspace.join("tollgate.toml");
    std::fs::write(
        &config,
        format!(
            r#"[workspace]
name = "payments-e2e"
database = "tollgate.db"

[[registries]]
name = "local"
url = "http://{host}"

# Used by no app: the settings view's login form stores credentials for it.
[[registries]]
name = "private"
url = "http://127.0.0.1:1"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [
  {{ name = "dev", tag = "dev" }},
  {{ name = "staging", tag = "staging", policy = {{ approvals = 1, roles = ["qa"] }} }},
  {{ name = "production", tag = "production", policy = {{ approvals = 1, roles = ["manager"] }} }},
]

[[approvers]]
id = "{qa}"
roles = ["qa"]
key = "{qa_key}"

[[approvers]]
id = "manager-e2e@example.com"
roles = ["manager"]
key = "{manager_key}"
{signers}"#,
            host = registry.host(),
            signers = ci_signer(&workspace)?,
        ),
    )?;
    for (env, digest, at) in [
        ("dev", &b, "2026-01-03T09:00:00Z"),
        ("staging", &b, "2026-01-04T09:00:00Z"),
        ("dev", &a, "2026-01-05T09:00:00Z"),
    ] {
        record(cli, &config, env, digest, Some(at))?;
    }
    Ok(ApprovalWorkspace { config, a, b })
}

/// A workspace whose production lives in a deployment repository's file: app `api` with dev
/// (a registry tag) and production (`apps/api/deployment.yaml` in `repo`, branch `main`, one qa
/// approval); approver `qa` with `qa_key`. CI recorded dev running `b` then `a` (the tag agrees);
/// the file pins `b`, committed by hand.
pub struct GitWorkspace {
    pub config: PathBuf,
    /// Runs in dev; the candidate for production.
    pub a: String,
    /// Pinned by production's file.
    pub b: String,
    pub repo: tollgate_testsupport::deploy_repo::DeployRepo,
}

/// The deployment file of [`GitWorkspace`].
pub const DEPLOY_FILE: &str = "apps/api/deployment.yaml";

/// See [`GitWorkspace`].
pub fn git_workspace(
    cli: &Path,
    dir: &Path,
    registry: &TestRegistry,
    qa: &str,
    qa_key: &str,
) -> Result<GitWorkspace> {
    use tollgate_testsupport::deploy_repo::{deployment_yaml, DeployRepo};
    let image_a = make_image("gitops api a");
    let image_b = make_image("gitops api b");
    push(&image_b, registry, "payments/api:old");
    push(&image_a, registry, "payments/api:dev");
    let a = skopeo_digest(registry, "payments/api:dev");
    let b = skopeo_digest(registry, "payments/api:old");
    let repo = DeployRepo::new();
    repo.commit(
        DEPLOY_FILE,
        &deployment_yaml(&format!("{}/payments/api@{b}", registry.host())),
        "Deploy B by hand",
    );
    let workspace = dir.join("workspace");
    std::fs::create_dir_all(&workspace)?;
    let config = workspace.join("tollgate.toml");
    std::fs::write(
        &config,
        format!(
            r#"[workspace]
name = "gitops-e2e"
database = "tollgate.db"

[[registries]]
name = "local"
url = "http://{host}"

[[git]]
name = "deploy"
url = "{url}"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [
  {{ name = "dev", tag = "dev" }},
  {{ name = "production", git = "deploy", file = "{DEPLOY_FILE}", policy = {{ approvals = 1, roles = ["qa"] }} }},
]

[[approvers]]
id = "{qa}"
roles = ["qa"]
key = "{qa_key}"
{signers}"#,
            host = registry.host(),
            url = repo.url(),
            signers = ci_signer(&workspace)?,
        ),
    )?;
    for (digest, at) in [(&b, "2026-01-03T09:00:00Z"), (&a, "2026-01-05T09:00:00Z")] {
        record(cli, &config, "dev", digest, Some(at))?;
    }
    Ok(GitWorkspace { config, a, b, repo })
}

/// A workspace over a real registry for the emergency rollback: app `api` with dev (no policy)
/// and production (`policy = { approvals = 2, rollback = { approvals = 1 } }`); approvers: the
/// person at this machine (`person`, its key in the keychain) and two colleagues whose keys are
/// files here, all in role `ops`. Made with the CLI alone: the tags dev and production start on
/// `a` and `tollgate sync` takes them as the baseline (a stay an emergency rollback may return
/// to); CI records `b` in dev; both colleagues approve `b` for production, CI promotes it
/// (`tollgate promote`), and a last sync finds the tags agreeing: dev and production run `b`,
/// production's stay properly approved, and production ran `a` before.
pub struct EmergencyWorkspace {
    pub config: PathBuf,
    /// Ran in production before `b` (the sync's baseline); runs in dev since.
    pub a: String,
    /// Runs in production now, promoted with two approvals.
    pub b: String,
}

/// See [`EmergencyWorkspace`].
pub fn emergency_workspace(
    cli: &Path,
    dir: &Path,
    registry: &TestRegistry,
    person: &str,
    person_key: &str,
) -> Result<EmergencyWorkspace> {
    let image_a = make_image("emergency api a");
    let image_b = make_image("emergency api b");
    push(&image_a, registry, "payments/api:production");
    push(&image_a, registry, "payments/api:dev");
    let a = skopeo_digest(registry, "payments/api:production");
    let workspace = dir.join("workspace");
    std::fs::create_dir_all(&workspace)?;
    let colleagues = ["alice-e2e@example.com", "bob-e2e@example.com"];
    let mut approvers = String::new();
    for (id, key) in [(person, person_key.to_string())].into_iter().chain(
        colleagues
            .iter()
            .map(|id| (*id, other_public_key(&workspace, id))),
    ) {
        approvers +=
            &format!("\n[[approvers]]\nid = \"{id}\"\nroles = [\"ops\"]\nkey = \"{key}\"\n");
    }
    let config = workspace.join("tollgate.toml");
    std::fs::write(
        &config,
        format!(
            r#"[workspace]
name = "emergency-e2e"
database = "tollgate.db"

[[registries]]
name = "local"
url = "http://{host}"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [
  {{ name = "dev", tag = "dev" }},
  {{ name = "production", tag = "production", policy = {{ approvals = 2, rollback = {{ approvals = 1 }} }} }},
]
{approvers}{signers}"#,
            host = registry.host(),
            signers = ci_signer(&workspace)?,
        ),
    )?;
    let tollgate = |args: &[&str], key: &Path| {
        run(Command::new(cli)
            .env("TOLLGATE_SIGNING_KEY", key)
            .env_remove("TOLLGATE_ACTOR")
            .arg("--config")
            .arg(&config)
            .args(args))
    };
    let ci_key = workspace.join(CI_KEY);
    tollgate(&["sync"], &ci_key);
    push(&image_b, registry, "payments/api:dev");
    let b = skopeo_digest(registry, "payments/api:dev");
    record(cli, &config, "dev", &b, None)?;
    let short_b = &b["sha256:".len()..][..12];
    for id in colleagues {
        tollgate(
            &[
                "approve",
                "--app",
                "api",
                "--to",
                "production",
                "--digest",
                &b,
                "--confirm",
                short_b,
                "--approver",
                id,
            ],
            &workspace.join(format!("key-{id}")),
        );
    }
    tollgate(
        &[
            "promote",
            "--app",
            "api",
            "--to",
            "production",
            "--digest",
            &b,
            "--actor",
            "ci@example.com",
        ],
        &ci_key,
    );
    // A sync reads the tags again (dev moved to `b` since the first): they agree with the
    // history, so the window opens on what runs, without drift.
    tollgate(&["sync"], &ci_key);
    Ok(EmergencyWorkspace { config, a, b })
}
