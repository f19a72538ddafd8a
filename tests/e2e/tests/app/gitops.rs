//! Promoting into an environment that lives in a deployment repository's file, in the window:
//! production is `apps/api/deployment.yaml` of a bare repository over `file://`; the images are
//! in the real registry; the approval is signed with the CLI beforehand. The promote view shows
//! the exact lines the commit changes beside the checklist; the run's commit is then on the
//! remote (`git log`) and `git verify-commit` accepts its signature with the allowed_signers
//! file that `tollgate key show --git` prints.

use std::process::Command;

use anyhow::{anyhow, ensure, Context, Result};
use tollgate_e2e::{cli_binary, fixture};
use tollgate_testsupport::registry::TestRegistry;

use super::{confirm_natively, open_window, WAIT};

/// The CLI against `config`, which must succeed; its stdout.
fn cli_ok(config: &std::path::Path, args: &[&str]) -> Result<String> {
    let out = Command::new(cli_binary())
        .arg("--config")
        .arg(config)
        .args(args)
        .output()?;
    ensure!(
        out.status.success(),
        "tollgate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `textContent` of the first element matching `css`, once there is one (WebKit's
/// rendered text of a clipped, ellipsised label can be empty).
fn content(w: &super::Window, css: &str) -> Result<String> {
    let found = w.wait_for(css, WAIT)?;
    Ok(w.property(&found[0], "textContent")?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

#[test]
#[ignore = "needs Xvfb, tauri-driver, docker-registry, git, the keychain and the app: run scripts/e2e.sh"]
fn promote_into_a_git_environment_in_the_window_is_a_signed_commit_on_the_remote() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let cli = cli_binary();
    let registry = TestRegistry::start();
    let key = fixture::key_init(&cli, "release-gitops-e2e@example.com")
        .context("the keychain (run under scripts/with-keychain.sh)")?;
    let ws = fixture::git_workspace(&cli, tmp.path(), &registry, &key.id, &key.public_key)?;
    let short_a = &ws.a["sha256:".len()..][..12];
    cli_ok(&ws.config, &["sync"])?;
    cli_ok(
        &ws.config,
        &[
            "approve",
            "--app",
            "api",
            "--to",
            "production",
            "--digest",
            &ws.a,
            "--confirm",
            short_a,
        ],
    )?;
    let before = ws.repo.tip();

    let w = open_window(tmp.path(), &ws.config, "gitops")?;
    w.wait_for("table.overview-grid", WAIT)?;
    // The overview names the git entry, the file and the commit production was read at.
    let place = content(&w, "[data-app=\"api\"][data-env=\"production\"] .tag")?;
    w.shot("gitops-overview")?;
    ensure!(
        place == format!("deploy:{} @ {}", fixture::DEPLOY_FILE, &before[..12]),
        "the production cell says {place:?}"
    );

    // The promote view: the checklist is met and the file diff beside it shows B → A.
    w.route(&format!("#/promote/api/production/{}", ws.a))?;
    w.wait_for(".checklist[data-passed=true]", WAIT)?;
    let lines = content(&w, ".file-diff table.lines")?;
    ensure!(
        lines.contains(&ws.a) && lines.contains(&ws.b),
        "the file diff shows: {lines}"
    );
    let removed = w.find_all(".file-diff tr.removed")?;
    let added = w.find_all(".file-diff tr.added")?;
    ensure!(
        removed.len() == 2 && added.len() == 2,
        "{} removed and {} added lines (the container and the initContainer): {lines}",
        removed.len(),
        added.len()
    );
    let at = content(&w, ".file-diff .where")?;
    ensure!(
        at.contains(&format!("deploy:{}", fixture::DEPLOY_FILE)) && at.contains(&before[..12]),
        "the file diff reads at: {at}"
    );
    w.shot("gitops-promote")?;

    let run = w.wait_enabled(".run-button", WAIT)?;
    w.click(&run)?;
    confirm_natively(&w, "Sign the promotion", Some("gitops-run".into()))?;
    w.wait_for(".outcome .success, .outcome .failed-outcome", WAIT)?;
    if let Some(failed) = w.find_all(".outcome .failed-outcome")?.first() {
        anyhow::bail!("the window shows a failure: {}", w.text(failed)?);
    }
    w.shot("gitops-promoted")?;

    // The remote: the signed promotion commit on top of the hand commit.
    let log = ws.repo.log();
    let subjects: Vec<&str> = log.iter().map(|(_, s)| s.as_str()).collect();
    ensure!(
        subjects
            == [
                format!("Promote api sha256:{short_a} to production").as_str(),
                "Deploy B by hand"
            ],
        "git log: {subjects:?}"
    );
    let commit = &log[0].0;
    let headline = w.wait_text(".outcome .success .headline", WAIT)?;
    ensure!(
        headline.contains(&commit[..12]),
        "the outcome names commit {commit}: {headline}"
    );
    let signers = tmp.path().join("allowed_signers");
    std::fs::write(&signers, cli_ok(&ws.config, &["key", "show", "--git"])?)?;
    let good = ws
        .repo
        .verify_commit(commit, &signers)
        .map_err(|e| anyhow!("git verify-commit {commit}: {e}"))?;
    ensure!(
        good.contains(&format!("Good \"git\" signature for {}", key.id)),
        "git verify-commit: {good}"
    );
    Ok(())
}
