use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::process::Group;

/// How long tauri-driver and the WebKitWebDriver it starts may take to listen (a loaded machine).
const READY_WITHIN: Duration = Duration::from_secs(60);

/// `tauri-driver` on a free port, with its own free port for WebKitWebDriver, so several runs
/// can share a machine. The app it launches inherits its environment: `DISPLAY`, the workspace
/// (`TOLLGATE_CONFIG`) and private XDG directories (the app's logs and WebKit data stay in the
/// test's temporary directory). Its output, and the app's, goes to `log`.
pub struct TauriDriver {
    pub url: String,
    process: Group,
}

impl TauriDriver {
    pub fn start(display: &str, home: &Path, env: &[(&str, &Path)], log: &Path) -> Result<Self> {
        let out =
            std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
        let port = free_port()?;
        let native_port = free_port()?;
        let mut command = Command::new(tauri_driver());
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", display)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env_remove("TOLLGATE_CONFIG")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut process = Group::spawn("tauri-driver", &mut command)
            .context("install it with `cargo install tauri-driver --locked`")?;
        // tauri-driver starts WebKitWebDriver first and then listens itself; under load the
        // native driver can still be starting when tauri-driver already answers, and a new
        // session sent then fails ("Connection refused"). Ready means both accept connections.
        let deadline = Instant::now() + READY_WITHIN;
        for (what, p) in [("tauri-driver", port), ("WebKitWebDriver", native_port)] {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                process
                    .check_running()
                    .with_context(|| format!("see {}", log.display()))?;
                if Instant::now() > deadline {
                    bail!(
                        "{what} did not listen on port {p} within {READY_WITHIN:?}; see {}",
                        log.display()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(TauriDriver {
            url: format!("http://127.0.0.1:{port}"),
            process,
        })
    }

    pub fn check_running(&mut self) -> Result<()> {
        self.process.check_running()
    }

    /// The tauri-driver process id: the app it starts runs below it.
    pub fn pid(&mut self) -> u32 {
        self.process.child().id()
    }
}

/// `$TAURI_DRIVER`, else `tauri-driver` from PATH, else from cargo's bin directory.
#[allow(
    clippy::disallowed_methods,
    reason = "the harness finds tauri-driver as a shell would"
)]
fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return p.into();
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("tauri-driver"))
        .find(|p| p.is_file());
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    on_path
        .or_else(|| cargo_home.map(|c| c.join("bin/tauri-driver")))
        .unwrap_or_else(|| "tauri-driver".into())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}
