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
    let xdotool = |args: &[&str]| -> Result<std::process::Output> {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", display)
            .stdin(Stdio::null())
            .output()
            .context("run xdotool (install the Debian package xdotool)")
    };
    let deadline = std::time::Instant::now() + timeout;
    let window = loop {
        let out = xdotool(&["search", "--onlyvisible", "--name", title])?;
        let found = String::from_utf8_lossy(&out.stdout);
        if let Some(id) = found.split_whitespace().last() {
            break id.to_string();
        }
        if std::time::Instant::now() > deadline {
            bail!("no window titled {title:?} appeared on {display} within {timeout:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let mut args = vec![
        "windowfocus",
        "--sync",
        window.as_str(),
        "key",
        "--delay",
        "50",
    ];
    args.extend_from_slice(keys);
    let out = xdotool(&args)?;
    if !out.status.success() {
        bail!(
            "xdotool could not answer the dialog {title:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
