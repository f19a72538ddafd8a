//! The real app in a real window: Xvfb + tauri-driver + WebKitWebDriver + `tollgate-app`,
//! against a workspace made with the real CLI. Run with `scripts/e2e.sh` (it builds the app
//! with its UI embedded, and the CLI, first).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use tollgate_e2e::display::Xvfb;
use tollgate_e2e::driver::TauriDriver;
use tollgate_e2e::webdriver::Session;
use tollgate_e2e::{app_binary, cli_binary, fixture, output_dir};
use tollgate_testsupport::keys::other_public_key;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::skopeo::skopeo_digest;

#[path = "app/as_of.rs"]
mod as_of;
#[path = "app/demo.rs"]
mod demo;
#[path = "app/diff.rs"]
mod diff;
#[path = "app/drift.rs"]
mod drift;
#[path = "app/emergency.rs"]
mod emergency;
#[path = "app/gitops.rs"]
mod gitops;
#[path = "app/incident.rs"]
mod incident;
#[path = "app/installed.rs"]
mod installed;
#[path = "app/new_workspace.rs"]
mod new_workspace;
#[path = "app/reject.rs"]
mod reject;
#[path = "app/team.rs"]
mod team;
#[path = "app/workspace_file.rs"]
mod workspace_file;

const WAIT: Duration = Duration::from_secs(30);
/// The keys that press a native confirmation's OK button (the dialog opens with it focused? see
/// `answer_dialog`).
const DIALOG_OK: [&str; 1] = ["Return"];

/// The app's binary must exist; a hint if it does not.
fn app() -> Result<PathBuf> {
    let app = app_binary();
    ensure!(
        app.is_file(),
        "{} does not exist: run scripts/e2e.sh (or scripts/build-app.sh)",
        app.display()
    );
    Ok(app)
}

#[test]
#[ignore = "needs Xvfb, tauri-driver and the app built with its UI: run scripts/e2e.sh"]
fn overview_shows_the_digest_of_every_environment() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let cli = cli_binary();
    let config = fixture::workspace(&cli, tmp.path())?;
    let rows = fixture::status(&cli, &config)?;
    let expected: Vec<&str> = rows.iter().filter_map(|r| r["digest"].as_str()).collect();
    ensure!(
        !expected.is_empty(),
        "the workspace has no digest to look for: {rows:?}"
    );
    let drifted = rows.iter().filter(|r| r["drift"] == true).count();

    let xvfb = Xvfb::start()?;
    let log = output_dir().join("overview.log");
    let env = [("TOLLGATE_CONFIG", config.as_path())];
    let mut driver = TauriDriver::start(&xvfb.display, tmp.path(), &env, &log)?;
    let window = Session::start(&driver.url, &app()?, &[]).with_context(|| {
        format!(
            "is the app built with its UI (scripts/build-app.sh)? see {}",
            log.display()
        )
    })?;

    window.wait_for("table.overview-grid", WAIT)?;
    let shot = output_dir().join("overview.png");
    // First, so that a failing assertion below still leaves a picture to look at.
    window.screenshot(&shot)?;
    assert_eq!(window.title()?, "Tollgate");
    for digest in &expected {
        let cells = window.find_all(&format!("[data-digest=\"{digest}\"]"))?;
        ensure!(
            !cells.is_empty(),
            "no element shows {digest}; the page was:\n{}",
            window.source()?
        );
        ensure!(
            window.displayed(&cells[0])?,
            "the cell with {digest} is not visible"
        );
        let short = &digest["sha256:".len()..][..12];
        assert_eq!(
            window.text(&cells[0])?,
            short,
            "the cell shows the short digest"
        );
        assert_eq!(
            window.attribute(&cells[0], "title")?.as_deref(),
            Some(*digest)
        );
    }
    let badges = window.find_all(".drift-badge")?;
    assert_eq!(
        badges.len(),
        drifted,
        "one drift badge per drifted environment"
    );
    let header = window.wait_for(".app-header .path", WAIT)?;
    assert_eq!(
        window.property(&header[0], "textContent")?,
        config.display().to_string()
    );
    eprintln!(
        "e2e: {} digests shown, {drifted} drifted; screenshot {}",
        expected.len(),
        shot.display()
    );

    // The app logged to its rolling file in its (private) data directory.
    driver.check_running()?;
    let logs = tmp.path().join("data/dev.tollgate.desktop/logs");
    let logged = std::fs::read_dir(&logs)
        .with_context(|| format!("no log directory {}", logs.display()))?
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect::<String>();
    ensure!(
        logged.contains("workspace opened"),
        "the log file in {} does not say the workspace opened",
        logs.display()
    );
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, tauri-driver and the app built with its UI: run scripts/e2e.sh"]
fn without_a_workspace_the_window_says_why() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let missing = tmp.path().join("nowhere/tollgate.toml");
    let xvfb = Xvfb::start()?;
    let log = output_dir().join("no-workspace.log");
    let driver = TauriDriver::start(&xvfb.display, tmp.path(), &[], &log)?;
    let args = ["--workspace", &missing.display().to_string()];
    let window = Session::start(&driver.url, &app()?, &args)
        .with_context(|| format!("see {}", log.display()))?;

    window.wait_for(".no-workspace", WAIT)?;
    let alert = window.wait_for(".no-workspace [role=alert]", WAIT)?;
    assert_eq!(
        window.attribute(&alert[0], "data-code")?.as_deref(),
        Some("config")
    );
    let message = window.text(&alert[0])?;
    ensure!(
        message.contains(&missing.display().to_string()),
        "the error does not name the file: {message}"
    );
    window.wait_for(".no-workspace .open-demo", WAIT)?;
    window.screenshot(&output_dir().join("first-start.png"))?;
    // Its "Try the demo" is demo::a_newcomer_approves_and_promotes_in_the_demo_window.
    Ok(())
}

/// One running window: the session first, so that dropping closes the app before its driver
/// and its display go away.
struct Window {
    session: Session,
    log: PathBuf,
    /// The X display the window is on (`:N`), for native dialogs.
    display: String,
    _driver: TauriDriver,
    _xvfb: Xvfb,
}

impl std::ops::Deref for Window {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

impl Window {
    fn shot(&self, name: &str) -> Result<()> {
        let path = output_dir().join(format!("{name}.png"));
        self.session.screenshot(&path)?;
        eprintln!("e2e: screenshot {}", path.display());
        Ok(())
    }
}

/// Start the app on `config` in a fresh Xvfb, through tauri-driver; its output goes to
/// test-output/e2e/<name>.log.
fn open_window(home: &Path, config: &Path, name: &str) -> Result<Window> {
    let xvfb = Xvfb::start()?;
    let log = output_dir().join(format!("{name}.log"));
    let env = [("TOLLGATE_CONFIG", config)];
    let driver = TauriDriver::start(&xvfb.display, home, &env, &log)?;
    let session = Session::start(&driver.url, &app()?, &[])
        .with_context(|| format!("see {}", log.display()))?;
    Ok(Window {
        session,
        log,
        display: xvfb.display.clone(),
        _driver: driver,
        _xvfb: xvfb,
    })
}

/// The approval workspace (`fixture::approval_workspace`) with a fresh keychain key as its QA
/// approver, open in a window after the sync click: dev shows A, staging B. Bind every field
/// (`_tmp` too): the workspace directory and the registry live as long as they do.
struct Synced {
    w: Window,
    ws: fixture::ApprovalWorkspace,
    key: fixture::KeyInfo,
    registry: TestRegistry,
    _tmp: tempfile::TempDir,
}

fn synced_window(qa: &str, name: &str) -> Result<Synced> {
    let tmp = tempfile::tempdir()?;
    let cli = cli_binary();
    let registry = TestRegistry::start();
    let key =
        fixture::key_init(&cli, qa).context("the keychain (run under scripts/with-keychain.sh)")?;
    let ws = fixture::approval_workspace(&cli, tmp.path(), &registry, &key.id, &key.public_key)?;
    let w = open_window(tmp.path(), &ws.config, name)?;
    w.wait_for("table.overview-grid", WAIT)?;
    let sync = w.wait_for("button.sync-button", WAIT)?;
    w.click(&sync[0])?;
    for (env, digest) in [("dev", &ws.a), ("staging", &ws.b)] {
        w.wait_for(
            &format!("[data-app=\"api\"][data-env=\"{env}\"] [data-digest=\"{digest}\"]"),
            WAIT,
        )?;
    }
    Ok(Synced {
        w,
        ws,
        key,
        registry,
        _tmp: tmp,
    })
}

/// `skopeo inspect` of the staging tag: the registry's truth, not the app's.
fn staging(registry: &TestRegistry) -> Result<String> {
    Ok(skopeo_digest(registry, "payments/api:staging"))
}

/// Approve and run the promotion (or rollback) on the view that is showing; returns the
/// fingerprint the window shows for the signature. With `note`, by keyboard: type the note,
/// Tab to the approve button, Enter. Each signing opens the app's native confirmation (titled
/// `Sign the approval`, then `run_dialog`), answered as a person would; with `shots`, a
/// screenshot of the whole display (page and dialog) is taken of each, named `<shots>-…`.
fn approve_and_run(
    w: &Window,
    note: Option<&str>,
    run_dialog: &str,
    shots: Option<&str>,
) -> Result<String> {
    let approve = w.wait_enabled(".approve-button", WAIT)?;
    match note {
        Some(note) => {
            let input = w.wait_for(".approve .note input", WAIT)?;
            w.click(&input[0])?;
            w.send_keys(&input[0], note)?;
            w.press(&["\u{E004}", "\u{E007}"])?;
        }
        None => w.click(&approve)?,
    }
    confirm_natively(
        w,
        "Sign the approval",
        shots.map(|s| format!("{s}-approve")),
    )?;
    let fingerprint = w.wait_text(".signed .fingerprint", WAIT)?;
    let run = w.wait_enabled(".run-button", WAIT)?;
    w.click(&run)?;
    confirm_natively(w, run_dialog, shots.map(|s| format!("{s}-run")))?;
    w.wait_for(".outcome .success, .outcome .failed-outcome", WAIT)?;
    if let Some(failed) = w.find_all(".outcome .failed-outcome")?.first() {
        anyhow::bail!("the window shows a failure: {}", w.text(failed)?);
    }
    let done = w.find_all(".steps .step[data-state=done]")?;
    ensure!(done.len() == 4, "{} of 4 steps done", done.len());
    Ok(fingerprint)
}

/// Press OK in the app's native confirmation titled `title` (nothing is signed before), after a
/// screenshot of the display named `shot` (`test-output/e2e/dialog-<shot>.png`) when given.
fn confirm_natively(w: &Window, title: &str, shot: Option<String>) -> Result<()> {
    if let Some(name) = shot {
        let path = output_dir().join(format!("dialog-{name}.png"));
        tollgate_e2e::display::screenshot_dialog(&w.display, title, &path, WAIT)?;
    }
    tollgate_e2e::display::answer_dialog(&w.display, title, &DIALOG_OK, WAIT)
}

#[test]
#[ignore = "needs Xvfb, tauri-driver, docker-registry, the keychain and the app: run scripts/e2e.sh"]
fn sync_approve_promote_and_roll_back_against_a_real_registry() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let cli = cli_binary();
    let registry = TestRegistry::start();
    let key = fixture::key_init(&cli, "qa-e2e@example.com")
        .context("the keychain (run under scripts/with-keychain.sh)")?;
    let ws = fixture::approval_workspace(&cli, tmp.path(), &registry, &key.id, &key.public_key)?;
    let short_a = &ws.a["sha256:".len()..][..12];
    let w = open_window(tmp.path(), &ws.config, "promote")?;

    // Sync with the click: the grid then shows what the registry's tags say.
    w.wait_for("table.overview-grid", WAIT)?;
    let sync = w.wait_for("button.sync-button", WAIT)?;
    w.click(&sync[0])?;
    w.wait_for(
        &format!(
            "[data-app=\"api\"][data-env=\"dev\"] [data-digest=\"{}\"]",
            ws.a
        ),
        WAIT,
    )?;
    w.wait_for(
        &format!(
            "[data-app=\"api\"][data-env=\"staging\"] [data-digest=\"{}\"]",
            ws.b
        ),
        WAIT,
    )?;
    w.shot("overview-synced")?;

    // The app's timeline and the candidate's detail.
    w.route("#/timeline/api")?;
    w.wait_for(&format!(".timeline [data-digest=\"{}\"]", ws.b), WAIT)?;
    w.shot("timeline")?;
    w.route(&format!("#/digest/api/{}", ws.a))?;
    w.wait_for(&format!(".detail [data-digest=\"{}\"]", ws.a), WAIT)?;
    w.shot("digest-detail")?;

    // Promote dev → staging: the checklist first, then the signed click, then the steps.
    w.route(&format!("#/promote/api/staging/{}", ws.a))?;
    w.wait_for(
        ".checklist[data-passed=false] .rule[data-rule=approvals][data-passed=false]",
        WAIT,
    )?;
    w.wait_enabled(".approve-button", WAIT)?;
    let run = w.wait_for(".run-button", WAIT)?;
    ensure!(
        !w.enabled(&run[0])?,
        "Promote is enabled before any approval"
    );
    assert_eq!(
        w.wait_text(".promote-view .head .digest-text strong", WAIT)?,
        short_a,
        "the first 12 hex digits are the emphasised part"
    );
    w.shot("promote-before")?;
    let fingerprint = approve_and_run(
        &w,
        Some("verified in staging by e2e"),
        "Sign the promotion",
        Some("promote"),
    )?;
    assert_eq!(
        fingerprint, key.fingerprint,
        "signed with the keychain's key"
    );
    w.wait_for(".checklist[data-passed=true]", WAIT).ok(); // refreshed after signing; the promotion itself is the proof
    let kubectl = w.wait_text("[data-snippet=kubectl]", WAIT)?;
    ensure!(
        kubectl.contains(&format!("@{}", ws.a)),
        "kubectl snippet not pinned by digest: {kubectl}"
    );
    w.shot("promote-after")?;
    w.execute(
        "document.documentElement.dataset.theme = 'dark'; return true;",
        serde_json::json!([]),
    )?;
    w.shot("promote-after-dark")?;
    w.execute(
        "delete document.documentElement.dataset.theme; return true;",
        serde_json::json!([]),
    )?;
    assert_eq!(
        staging(&registry)?,
        ws.a,
        "skopeo: staging is the promoted digest"
    );

    // On to production, which needs a manager: this qa approver's button is disabled, saying so.
    w.route(&format!("#/promote/api/production/{}", ws.a))?;
    let reason = w.wait_text(".approve .disabled-reason", WAIT)?;
    ensure!(
        reason.contains("production needs an approval from manager; qa-e2e@example.com holds qa"),
        "the refusal does not name the role: {reason}"
    );
    ensure!(
        !w.enabled(&w.wait_for(".approve-button", WAIT)?[0])?,
        "approve is enabled for a role production does not take"
    );
    w.wait_for(".rule[data-rule=roles][data-passed=false]", WAIT)?;
    w.shot("promote-refused-role")?;

    // Roll staging back to b: only earlier digests are offered, then the same gates.
    w.route("#/rollback/api/staging")?;
    let options = w.wait_for(".pick .option", WAIT)?;
    let offered: Vec<String> = options
        .iter()
        .filter_map(|o| w.attribute(o, "data-digest").ok().flatten())
        .collect();
    assert_eq!(offered, vec![ws.b.clone()], "staging ran only b before a");
    w.click(&w.wait_for(".pick .option input", WAIT)?[0])?;
    w.wait_for(".checklist", WAIT)?;
    w.wait_enabled(".approve-button", WAIT)?;
    w.shot("rollback")?;
    approve_and_run(&w, None, "Sign the rollback", Some("rollback"))?;
    w.shot("rollback-after")?;
    assert_eq!(staging(&registry)?, ws.b, "skopeo: staging is back on b");

    // Export and settings as they look on this workspace.
    w.route("#/export")?;
    w.wait_for(".export-view form", WAIT)?;
    w.shot("export")?;
    w.route("#/settings")?;
    let public = w.wait_text("[data-testid=public-key]", WAIT)?;
    assert_eq!(
        public, key.public_key,
        "settings shows this machine's public key"
    );
    let path = w.wait_text("[data-testid=config-path]", WAIT)?;
    assert_eq!(path, ws.config.display().to_string());
    w.wait_for(".registries table", WAIT)?;
    w.shot("settings")?;

    // Log in to a registry: the registry is asked first, and `private` (127.0.0.1:1) does not
    // answer, so nothing is stored; the password is cleared and never shown.
    const SECRET: &str = "e2e-s3cret-never-shown";
    w.click(&w.wait_for(".login select[name=registry] option[value=private]", WAIT)?[0])?;
    let user = w.wait_for(".login input[name=username]", WAIT)?;
    w.send_keys(&user[0], "e2e-user")?;
    let password = w.wait_for(".login input[name=password]", WAIT)?;
    w.send_keys(&password[0], SECRET)?;
    w.click(&w.wait_for(".login button[type=submit]", WAIT)?[0])?;
    let refused = w.wait_text(".login-result [role=alert]", WAIT)?;
    ensure!(
        refused.contains("127.0.0.1:1") && refused.contains("nothing was stored"),
        "the login says: {refused}"
    );
    ensure!(
        w.find_all("[data-registry=private] .good")?.is_empty(),
        "credentials shown as stored for a registry that never answered"
    );
    assert_eq!(
        w.property(&password[0], "value")?.as_str(),
        Some(""),
        "the password field is cleared"
    );
    ensure!(
        !w.source()?.contains(SECRET),
        "the password is somewhere in the page"
    );
    w.shot("settings-login-refused")?;

    // Rotate the signing key: ask, then confirm in the native dialog the app opens (the page
    // cannot answer it); the keychain now holds a new key (read back with the CLI) and the
    // window shows the tollgate.toml lines that keep the old one for what it signed.
    w.click(&w.find_xpath("//button[normalize-space()='Rotate key…']")?[0])?;
    w.click(&w.find_xpath("//button[normalize-space()='Rotate now']")?[0])?;
    tollgate_e2e::display::answer_dialog(&w.display, "Rotate the signing key", &DIALOG_OK, WAIT)?;
    let lines = w.wait_text("[data-testid=rotation-toml]", WAIT)?;
    let now = fixture::key_show(&cli, &key.id)?;
    ensure!(
        now.fingerprint != key.fingerprint,
        "the keychain still holds the old key"
    );
    ensure!(
        lines.starts_with(&format!("key = \"{}\"", now.public_key))
            && lines.contains(&format!(
                "previous_keys = [{{ key = \"{}\", until = \"",
                key.public_key
            )),
        "rotation lines: {lines}"
    );
    assert_eq!(
        w.wait_text("[data-testid=public-key]", WAIT)?,
        now.public_key
    );
    w.shot("settings-rotated")?;
    eprintln!(
        "e2e: promote/rollback flow done; app log {}",
        w.log.display()
    );
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, tauri-driver, docker-registry, the keychain and the app: run scripts/e2e.sh"]
fn approve_is_refused_with_its_reason_when_the_key_is_not_the_listed_one() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let cli = cli_binary();
    let registry = TestRegistry::start();
    let key = fixture::key_init(&cli, "qa-refused@example.com")
        .context("the keychain (run under scripts/with-keychain.sh)")?;
    // tollgate.toml lists this approver with somebody else's key.
    let other = other_public_key(tmp.path(), "not-qa");
    let ws = fixture::approval_workspace(&cli, tmp.path(), &registry, &key.id, &other)?;
    let w = open_window(tmp.path(), &ws.config, "refused")?;
    w.wait_for("table.overview-grid", WAIT)?;
    w.route(&format!("#/promote/api/staging/{}", ws.a))?;
    let reason = w.wait_text(".approve .disabled-reason", WAIT)?;
    ensure!(
        reason.contains("is not the key listed for qa-refused@example.com"),
        "the reason does not say what is wrong: {reason}"
    );
    let approve = w.wait_for(".approve-button", WAIT)?;
    ensure!(
        !w.enabled(&approve[0])?,
        "approve is enabled for an unlisted key"
    );
    w.shot("promote-refused")?;
    assert_eq!(staging(&registry)?, ws.b, "nothing was pushed");
    Ok(())
}
