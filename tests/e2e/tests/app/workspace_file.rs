//! tollgate.toml is live in the window: edited on disk (as an editor saves it: a new file
//! renamed over the old one), the app says it reloaded and shows the new app; a broken edit is
//! named in one line and the last good config stays in use. Then an app added from Settings is
//! written to the file, after the native confirmation with its diff, with the comments kept.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Result};

use super::{confirm_natively, open_window, Window, WAIT};

const FILE: &str = r#"# Payments, kept by the platform team. This comment stays.
[workspace]
name = "payments"
database = "history.db"

[[registries]]
name = "local"
url = "oci:images"   # a local OCI layout folder

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [{ name = "dev", tag = "dev" }, { name = "prod", tag = "prod" }]
"#;

/// Replace `file` the way editors save: write a new file, rename it over the old one.
fn save(file: &Path, text: &str) -> Result<()> {
    let tmp = file.with_extension("toml.swp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, file)?;
    Ok(())
}

/// Wait until the first element matching `css` holds `needle`; its text.
fn wait_text_with(w: &Window, css: &str, needle: &str) -> Result<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(e) = w.find_all(css)?.first() {
            let text = w.text(e)?;
            if text.contains(needle) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                bail!("{css} says {text:?}, not {needle:?}");
            }
        } else if Instant::now() > deadline {
            bail!("nothing matches {css}; the page was:\n{}", w.source()?);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "needs Xvfb, tauri-driver and the app built with its UI: run scripts/e2e.sh"]
fn tollgate_toml_edited_on_disk_reloads_and_settings_adds_an_app() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    std::fs::create_dir_all(tmp.path().join("images"))?;
    let config = tmp.path().join("tollgate.toml");
    std::fs::write(&config, FILE)?;
    let w = open_window(tmp.path(), &config, "workspace-file")?;
    w.wait_for("table.overview-grid", WAIT)?;
    ensure!(w.find_all("[data-app=\"worker\"]")?.is_empty());

    // An app added in an editor: reloaded, said so, and the overview shows it.
    let with_worker = format!(
        "{FILE}\n[[apps]]\nname = \"worker\"\nrepository = \"local/payments/worker\"\nenvironments = [{{ name = \"dev\", tag = \"dev\" }}]\n"
    );
    save(&config, &with_worker)?;
    let notice = wait_text_with(
        &w,
        "[data-testid=reload-notice]",
        "tollgate.toml changed on disk: reloaded",
    )?;
    ensure!(!notice.contains("does not load"), "{notice}");
    w.wait_for("[data-app=\"worker\"]", WAIT)?;
    w.shot("workspace-file-reloaded")?;

    // A broken save: one line saying why, and the last good config stays.
    save(&config, &with_worker.replace("[[apps]]", "[[apps]\n"))?;
    let refused = wait_text_with(&w, "[data-testid=reload-notice]", "does not load")?;
    ensure!(
        refused.contains("the last good version stays in use"),
        "{refused}"
    );
    w.wait_for("[data-app=\"worker\"]", WAIT)?;
    save(&config, &with_worker)?;
    wait_text_with(
        &w,
        "[data-testid=reload-notice]",
        "tollgate.toml changed on disk: reloaded",
    )?;

    // Settings adds an app: the native confirmation shows the diff, then the file has it,
    // with its comments.
    w.route("#/settings")?;
    let name = w.wait_for("input[name=app-name]", WAIT)?;
    w.click(&name[0])?;
    w.send_keys(&name[0], "web")?;
    let path = w.wait_for("input[name=app-path]", WAIT)?;
    w.click(&path[0])?;
    w.send_keys(&path[0], "payments/web")?;
    let add = w.wait_enabled(".add-app button[type=submit]", WAIT)?;
    w.click(&add)?;
    confirm_natively(&w, "Edit tollgate.toml", Some("edit-add-app".into()))?;
    wait_text_with(
        &w,
        "[data-testid=add-app-result]",
        "Written to tollgate.toml: add app 'web'",
    )?;
    let text = std::fs::read_to_string(&config)?;
    ensure!(
        text.starts_with("# Payments, kept by the platform team. This comment stays.\n")
            && text.contains("url = \"oci:images\"   # a local OCI layout folder")
            && text.ends_with(
                "[[apps]]\nname = \"web\"\nrepository = \"local/payments/web\"\nenvironments = [\n  { name = \"dev\", tag = \"dev\" },\n]\n"
            ),
        "tollgate.toml is now:\n{text}"
    );
    w.shot("workspace-file-app-added")?;
    Ok(())
}
