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
