//! A team starts on its own registry: "New workspace…" on the first-start screen walks the real
//! registry (its catalog), the environments its tags suggest, a preset, this person as the first
//! approver, and the native save dialog; the written tollgate.toml opens and syncs in the window,
//! and the CLI reads the same digests skopeo sees from it. Where the registry refuses its
//! catalog (through the test support's fault proxy, as Docker Hub and GHCR do), the person
//! types the repositories.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use tollgate_e2e::display::{save_dialog_as, Xvfb};
use tollgate_e2e::driver::TauriDriver;
use tollgate_e2e::webdriver::Session;
use tollgate_e2e::{cli_binary, output_dir};
use tollgate_testsupport::images::make_image;
use tollgate_testsupport::proxy::FaultProxy;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::skopeo::{push, skopeo_digest};

use super::{app, Window, WAIT};

#[test]
#[ignore = "needs Xvfb, tauri-driver, the keychain and the app built with its UI: run scripts/e2e.sh"]
fn new_workspace_from_the_registry_catalog_opens_and_syncs() -> Result<()> {
    let reg = TestRegistry::start();
    push(&make_image("wizard-a"), &reg, "payments/api:dev");
    push(&make_image("wizard-b"), &reg, "payments/api:prod");
    push(&make_image("wizard-a"), &reg, "tools/lint:latest");
    let tmp = tempfile::tempdir()?;
    let team = tmp.path().join("payments");
    std::fs::create_dir(&team)?;
    let target = team.join("tollgate.toml");
    // This machine signs as `me`, whose key the keychain does not hold yet: the wizard makes it.
    let me = format!("wizard-e2e-{}@example.com", std::process::id());
    let w = first_start(tmp.path(), &me, "new-workspace")?;

    let start = w.wait_for(".no-workspace .new-workspace-start", WAIT)?;
    w.click(&start[0])?;
    let url = w.wait_for("input[name=registry-url]", WAIT)?;
    w.send_keys(&url[0], &reg.url())?;
    w.click(&w.wait_for(".new-workspace .connect", WAIT)?[0])?;
    // The catalog: both repositories, each picked; only payments/api has environment tags.
    w.wait_for(
        ".new-workspace input[type=checkbox][value='tools/lint']",
        WAIT,
    )?;
    w.click(&w.wait_enabled(".new-workspace .list-tags", WAIT)?)?;
    let skipped = w.wait_text(".new-workspace .skipped", WAIT)?;
    ensure!(skipped.contains("tools/lint"), "skipped: {skipped}");
    let envs = w.find_all(".new-workspace .env-name")?;
    let names: Vec<String> = envs.iter().map(|e| w.text(e)).collect::<Result<_>>()?;
    ensure!(names == ["dev", "prod"], "environments: {names:?}");
    w.shot("new-workspace-environments")?;
    w.click(&w.wait_for(".new-workspace .to-approver", WAIT)?[0])?;
    let id = w.wait_for("input[name=approver]", WAIT)?;
    w.send_keys(&id[0], &me)?;
    w.click(&w.wait_for(".new-workspace .save-workspace", WAIT)?[0])?;
    save_dialog_as(&w.display, "Save the new workspace", &target, WAIT)?;

    // Opened and synced: the overview shows the digest skopeo reads under prod.
    let prod = skopeo_digest(&reg, "payments/api:prod");
    let cell = w.wait_for(
        &format!("[data-app=\"api\"][data-env=\"prod\"] [data-digest=\"{prod}\"]"),
        std::time::Duration::from_secs(60),
    )?;
    ensure!(!cell.is_empty());
    w.shot("new-workspace-opened")?;

    let text = std::fs::read_to_string(&target)?;
    ensure!(
        text.contains("repository = \"main/payments/api\""),
        "{text}"
    );
    ensure!(text.contains(&format!("id = \"{me}\"")), "{text}");
    ensure!(
        text.contains("{ name = \"prod\", tag = \"prod\", policy = { approvals = 1 } },"),
        "{text}"
    );
    // The CLI loads the same file and syncs it.
    let out = std::process::Command::new(cli_binary())
        .arg("--config")
        .arg(&target)
        .args(["status", "--json"])
        .env("HOME", tmp.path())
        .output()?;
    ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let dev = rows
        .as_array()
        .and_then(|r| r.iter().find(|r| r["env"] == "dev"))
        .context("a dev row")?;
    ensure!(
        dev["digest"] == skopeo_digest(&reg, "payments/api:dev").as_str(),
        "{rows}"
    );
    Ok(())
}

/// The first-start window (no workspace) in a fresh Xvfb, this machine signing as `me`.
fn first_start(home: &Path, me: &str, name: &str) -> Result<Window> {
    let missing = home.join("nowhere/tollgate.toml");
    let xvfb = Xvfb::start()?;
    let log = output_dir().join(format!("{name}.log"));
    let env = [("TOLLGATE_APPROVER", Path::new(me))];
    let driver = TauriDriver::start(&xvfb.display, home, &env, &log)?;
    let args = ["--workspace", &missing.display().to_string()];
    let session = Session::start(&driver.url, &app()?, &args)
        .with_context(|| format!("see {}", log.display()))?;
    Ok(Window {
        session,
        log,
        display: xvfb.display.clone(),
        _driver: driver,
        _xvfb: xvfb,
    })
}

#[test]
#[ignore = "needs Xvfb, tauri-driver, the keychain and the app built with its UI: run scripts/e2e.sh"]
fn new_workspace_where_the_catalog_is_refused_takes_typed_repositories() -> Result<()> {
    let reg = TestRegistry::start();
    push(&make_image("wizard-c"), &reg, "shop/web:dev");
    push(&make_image("wizard-d"), &reg, "shop/web:staging");
    let proxy = FaultProxy::start(reg.port());
    proxy.refuse("/v2/_catalog", 401);
    let tmp = tempfile::tempdir()?;
    let target = tmp.path().join("tollgate.toml");
    let me = format!("wizard-refused-{}@example.com", std::process::id());
    let w = first_start(tmp.path(), &me, "new-workspace-refused")?;

    w.click(&w.wait_for(".no-workspace .new-workspace-start", WAIT)?[0])?;
    let url = w.wait_for("input[name=registry-url]", WAIT)?;
    w.send_keys(&url[0], &format!("http://{}", proxy.host()))?;
    w.click(&w.wait_for(".new-workspace .connect", WAIT)?[0])?;
    let refused = w.wait_text(".new-workspace .catalog-refused", WAIT)?;
    ensure!(refused.contains("refuses its catalog"), "{refused}");
    let typed = w.wait_for("textarea[name=repositories]", WAIT)?;
    w.send_keys(&typed[0], "shop/web")?;
    w.click(&w.wait_enabled(".new-workspace .list-tags", WAIT)?)?;
    w.wait_for(".new-workspace .env-name", WAIT)?;
    w.click(&w.wait_for(".new-workspace .to-approver", WAIT)?[0])?;
    // No approver: a workspace without policies.
    w.wait_for("input[name=approver]", WAIT)?;
    w.click(&w.wait_for(".new-workspace .save-workspace", WAIT)?[0])?;
    save_dialog_as(&w.display, "Save the new workspace", &target, WAIT)?;

    let staging = skopeo_digest(&reg, "shop/web:staging");
    w.wait_for(
        &format!("[data-app=\"web\"][data-env=\"staging\"] [data-digest=\"{staging}\"]"),
        std::time::Duration::from_secs(60),
    )?;
    w.shot("new-workspace-refused-opened")?;
    let text = std::fs::read_to_string(&target)?;
    ensure!(text.contains("repository = \"main/shop/web\""), "{text}");
    ensure!(!text.contains("\n[[approvers]]"), "{text}");
    ensure!(
        proxy
            .requests()
            .iter()
            .any(|(_, p)| p.starts_with("/v2/_catalog")),
        "the catalog was asked for"
    );
    Ok(())
}
