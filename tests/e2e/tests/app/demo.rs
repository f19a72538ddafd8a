//! A newcomer signs in the demo: "Try the demo" on the first-start screen asks before creating
//! a key for this machine's identity (a native confirmation), the window says as whom one
//! approves, and the newcomer approves and promotes the api release waiting for staging in the
//! window. skopeo reads the promoted digest under the demo's staging tag.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use tollgate_e2e::display::Xvfb;
use tollgate_e2e::driver::TauriDriver;
use tollgate_e2e::output_dir;
use tollgate_e2e::webdriver::Session;
use tollgate_testsupport::skopeo::skopeo_layout_digest;

use super::{app, approve_and_run, confirm_natively, Window, WAIT};

/// The demo's local registry folder for api, under the app's data folder in `home`.
fn demo_layout(home: &Path) -> Option<PathBuf> {
    let mut stack = vec![home.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let candidate = dir.join("registry/payments/api");
        if dir.join("tollgate.toml").is_file() && candidate.is_dir() {
            return Some(candidate);
        }
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(entry.path());
            }
        }
    }
    None
}

#[test]
#[ignore = "needs Xvfb, tauri-driver, the keychain and the app built with its UI: run scripts/e2e.sh"]
fn a_newcomer_approves_and_promotes_in_the_demo_window() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let missing = tmp.path().join("nowhere/tollgate.toml");
    // This machine signs as an identity whose key the keychain does not hold yet.
    let me = format!("newcomer-e2e-{}@example.com", std::process::id());
    let xvfb = Xvfb::start()?;
    let log = output_dir().join("demo-signing.log");
    let env = [("TOLLGATE_APPROVER", Path::new(&me))];
    let driver = TauriDriver::start(&xvfb.display, tmp.path(), &env, &log)?;
    let args = ["--workspace", &missing.display().to_string()];
    let session = Session::start(&driver.url, &app()?, &args)
        .with_context(|| format!("see {}", log.display()))?;
    let w = Window {
        session,
        log,
        display: xvfb.display.clone(),
        _driver: driver,
        _xvfb: xvfb,
    };

    let demo = w.wait_for(".no-workspace .open-demo", WAIT)?;
    w.click(&demo[0])?;
    confirm_natively(&w, "Sign in the demo", Some("demo-key".into()))?;
    w.wait_for("table.overview-grid", std::time::Duration::from_secs(120))?;
    let note = w.wait_text("[data-testid=workspace-note]", WAIT)?;
    ensure!(
        note.contains(&format!("You approve in the demo as {me} (manager, qa)")),
        "the note says: {note}"
    );
    w.shot("demo-signing-overview")?;

    // The newest api release sits in dev, waiting for staging (one qa approval).
    let cell = w.wait_for("[data-app=\"api\"][data-env=\"dev\"] [data-digest]", WAIT)?;
    let digest = w
        .attribute(&cell[0], "data-digest")?
        .context("the dev cell names its digest")?;
    w.route(&format!("#/promote/api/staging/{digest}"))?;
    w.wait_for(".checklist[data-passed=false]", WAIT)?;
    approve_and_run(&w, None, "Sign the promotion", Some("demo-promote"))?;
    w.shot("demo-signing-promoted")?;

    let layout = demo_layout(tmp.path()).context("the demo's registry folder")?;
    let staging = skopeo_layout_digest(&layout, "staging");
    ensure!(
        staging == digest,
        "skopeo: the demo's staging tag is {staging}, not the promoted {digest}"
    );
    Ok(())
}
