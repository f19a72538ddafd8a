//! The real app in a real window: Xvfb + tauri-driver + WebKitWebDriver + `tollgate-app`,
//! against a workspace made with the real CLI. Run with `scripts/e2e.sh` (it builds the app
//! with its UI embedded, and the CLI, first).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use tollgate_e2e::display::Xvfb;
use tollgate_e2e::driver::TauriDriver;
use tollgate_e2e::webdriver::Session;
use tollgate_e2e::{app_binary, cli_binary, fixture, output_dir};

const WAIT: Duration = Duration::from_secs(30);

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

    window.wait_for("table.status-grid", WAIT)?;
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
    let header = window.wait_for(".workspace-header .paths", WAIT)?;
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
    window.screenshot(&output_dir().join("no-workspace.png"))?;
    Ok(())
}
