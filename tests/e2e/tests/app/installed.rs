//! The app and the CLI as a package installs them (scripts/package-test.sh sets `TOLLGATE_APP`
//! and `TOLLGATE_CLI` to /usr/bin/tollgate-app and /usr/bin/tollgate after `apt-get install`;
//! under scripts/e2e.sh it checks the freshly built ones the same way): the CLI names the
//! workspace's version, and the window comes up on a demo workspace the CLI made, with nothing
//! logged at ERROR.

use super::*;

#[test]
#[ignore = "needs Xvfb, tauri-driver and the app built with its UI: run scripts/e2e.sh"]
fn installed_app_starts_and_logs_no_error() -> Result<()> {
    let cli = cli_binary();
    let version = std::process::Command::new(&cli).arg("--version").output()?;
    ensure!(
        version.status.success(),
        "{} --version failed",
        cli.display()
    );
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("tollgate {}", env!("CARGO_PKG_VERSION")),
        "{} names the workspace's version",
        cli.display()
    );

    let tmp = tempfile::tempdir()?;
    let config = fixture::workspace(&cli, tmp.path())?;
    let xvfb = Xvfb::start()?;
    let log = output_dir().join("installed.log");
    let env = [("TOLLGATE_CONFIG", config.as_path())];
    let mut driver = TauriDriver::start(&xvfb.display, tmp.path(), &env, &log)?;
    let app = app()?;
    let window = Session::start(&driver.url, &app, &[])
        .with_context(|| format!("{} did not start; see {}", app.display(), log.display()))?;
    window.wait_for("table.overview-grid", WAIT)?;
    window.screenshot(&output_dir().join("installed.png"))?;
    assert_eq!(window.title()?, "Tollgate");
    driver.check_running()?;

    let logs = tmp.path().join("data/dev.tollgate.desktop/logs");
    let logged = std::fs::read_dir(&logs)
        .with_context(|| format!("no log directory {}", logs.display()))?
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect::<String>();
    ensure!(
        logged.contains("workspace opened"),
        "the log in {} does not say the workspace opened",
        logs.display()
    );
    let errors: Vec<&str> = logged.lines().filter(|l| l.contains(" ERROR ")).collect();
    ensure!(
        errors.is_empty(),
        "the app logged errors:\n{}",
        errors.join("\n")
    );
    Ok(())
}
