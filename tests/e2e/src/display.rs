use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::process::Group;

/// A virtual X display for the window; stopped on drop.
pub struct Xvfb {
    /// `:N`, for `DISPLAY`.
    pub display: String,
    _server: Group,
}

impl Xvfb {
    /// Start Xvfb on the first free display number: `-displayfd 1` makes it pick one and
    /// write it to stdout once it accepts connections, so there is no guessing and no race.
    pub fn start() -> Result<Self> {
        let mut server = Group::spawn(
            "Xvfb",
            Command::new("Xvfb")
                .args([
                    "-displayfd",
                    "1",
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )
        .context("is Xvfb installed (apt-get install xvfb)?")?;
        let stdout = server.child().stdout.take().context("Xvfb stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let number = line.trim();
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            bail!("Xvfb did not report a display number (got {line:?})");
        }
        Ok(Xvfb {
            display: format!(":{number}"),
            _server: server,
        })
    }
}

/// `xdotool ARGS` on `display`.
fn xdotool(display: &str, args: &[&str]) -> Result<std::process::Output> {
    Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .output()
        .context("run xdotool (install the Debian package xdotool)")
}

/// The id of the window titled `title` on `display`, once it is shown (within `timeout`).
fn wait_window(display: &str, title: &str, timeout: std::time::Duration) -> Result<String> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let out = xdotool(display, &["search", "--onlyvisible", "--name", title])?;
        let found = String::from_utf8_lossy(&out.stdout);
        if let Some(id) = found.split_whitespace().last() {
            return Ok(id.to_string());
        }
        if std::time::Instant::now() > deadline {
            bail!("no window titled {title:?} appeared on {display} within {timeout:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Answer a native dialog of the app (a GTK window, not part of the page, so out of WebDriver's
/// reach) the way a person at the keyboard would: wait until a window titled `title` is shown on
/// `display` (within `timeout`), give it the keyboard focus, and type `keys` (xdotool key names,
/// e.g. `["Return"]`). Uses `xdotool` (Debian package `xdotool`).
pub fn answer_dialog(
    display: &str,
    title: &str,
    keys: &[&str],
    timeout: std::time::Duration,
) -> Result<()> {
    let window = wait_window(display, title, timeout)?;
    let mut args = vec![
        "windowfocus",
        "--sync",
        window.as_str(),
        "key",
        "--delay",
        "50",
    ];
    args.extend_from_slice(keys);
    let out = xdotool(display, &args)?;
    if !out.status.success() {
        bail!(
            "xdotool could not answer the dialog {title:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Answer a native save dialog titled `title` on `display` with the file `path`: focus it,
/// replace the proposed name with the absolute `path` (GTK's name field takes a whole path) and
/// press Return, as a person typing it would.
pub fn save_dialog_as(
    display: &str,
    title: &str,
    path: &std::path::Path,
    timeout: std::time::Duration,
) -> Result<()> {
    let window = wait_window(display, title, timeout)?;
    let path = path.display().to_string();
    for args in [
        vec!["windowfocus", "--sync", window.as_str(), "key", "ctrl+a"],
        vec!["type", "--delay", "20", path.as_str()],
        vec!["key", "--delay", "50", "Return"],
    ] {
        let out = xdotool(display, &args)?;
        if !out.status.success() {
            bail!(
                "xdotool could not answer the save dialog {title:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    Ok(())
}

/// A screenshot of the whole `display` (the window and the native dialog over it: WebDriver's
/// screenshots show the page only), taken once a window titled `title` is shown, written to
/// `path` as PNG. Uses ImageMagick's `import`.
pub fn screenshot_dialog(
    display: &str,
    title: &str,
    path: &std::path::Path,
    timeout: std::time::Duration,
) -> Result<()> {
    let window = wait_window(display, title, timeout)?;
    xdotool(display, &["windowfocus", "--sync", window.as_str()])?;
    let out = Command::new("import")
        .args(["-window", "root"])
        .arg(path)
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .output()
        .context("run import (install the Debian package imagemagick)")?;
    if !out.status.success() {
        bail!(
            "import could not take a screenshot of {display}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
