//! The promote view shows the release diff beside the checklist, risk flags first: a candidate
//! built to run as root (made with umoci, pushed with skopeo) against what staging runs.

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Result};
use tollgate_e2e::{cli_binary, fixture};
use tollgate_testsupport::images::{labels_for, OciLayoutImage};
use tollgate_testsupport::keys::other_public_key;
use tollgate_testsupport::process::run;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::skopeo::{push, skopeo_digest};

use super::{open_window, WAIT};

/// An image like the fixture's (made with umoci in `dir`) that runs as root, pushed as
/// `payments/api:candidate` (no environment's tag); its digest.
fn root_candidate(registry: &TestRegistry, dir: &Path) -> Result<String> {
    let layout = dir.join("img-root");
    let image = format!("{}:v", layout.display());
    run(Command::new("umoci")
        .arg("init")
        .arg("--layout")
        .arg(&layout));
    run(Command::new("umoci").args(["new", "--image", &image]));
    let file = dir.join("content-root");
    std::fs::write(&file, "payments api root")?;
    run(Command::new("umoci")
        .args(["insert", "--image", &image])
        .arg(&file)
        .arg("/content"));
    run(Command::new("umoci").args([
        "config",
        "--image",
        &image,
        "--created",
        "2026-01-06T03:04:05Z",
        "--config.user",
        "0",
        "--config.env",
        "API_TOKEN=e2e-secret-value",
        "--config.label",
        "org.opencontainers.image.revision=rev-root",
        "--config.label",
        "org.opencontainers.image.version=1.1.0",
    ]));
    let candidate = OciLayoutImage {
        dir: layout,
        tag: "v".into(),
        labels: Default::default(),
        platforms: Vec::new(),
    };
    push(&candidate, registry, "payments/api:candidate");
    Ok(skopeo_digest(registry, "payments/api:candidate"))
}

#[test]
#[ignore = "needs Xvfb, tauri-driver, docker-registry and the app: run scripts/e2e.sh"]
fn the_promote_view_shows_the_release_diff_and_its_risk_flags() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let cli = cli_binary();
    let registry = TestRegistry::start();
    let qa_key = other_public_key(tmp.path(), "qa-diff-e2e");
    let ws =
        fixture::approval_workspace(&cli, tmp.path(), &registry, "qa-diff@example.com", &qa_key)?;
    let root = root_candidate(&registry, tmp.path())?;
    let w = open_window(tmp.path(), &ws.config, "diff")?;

    w.wait_for("table.overview-grid", WAIT)?;
    w.route(&format!("#/promote/api/staging/{root}"))?;
    w.wait_for(".checklist", WAIT)?;
    let flag = w.wait_text(".release-diff .risk[data-code=user_root]", WAIT)?;
    ensure!(flag.contains("runs as root now"), "the flag says: {flag}");
    let revisions = w.wait_text(".release-diff .revisions", WAIT)?;
    // What staging runs is the fixture's image "payments api b".
    let staging_revision = &labels_for("payments api b")["org.opencontainers.image.revision"];
    ensure!(
        revisions.contains(staging_revision.as_str()) && revisions.contains("rev-root"),
        "revision range: {revisions}"
    );
    let env = w.wait_text(".release-diff .env-names", WAIT)?;
    ensure!(env.contains("API_TOKEN"), "env names: {env}");
    let all = w.wait_text(".release-diff", WAIT)?;
    ensure!(
        !all.contains("e2e-secret-value"),
        "an env value is shown: {all}"
    );
    w.shot("promote-release-diff")?;
    Ok(())
}
