use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// A child started in a new process group, so that stopping it also stops what it started
/// (tauri-driver → WebKitWebDriver → the app). Stopped on drop, also when a test panics.
pub struct Group {
    name: &'static str,
    child: Child,
}

impl Group {
    pub fn spawn(name: &'static str, command: &mut Command) -> Result<Self> {
        let child = command
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {name} ({command:?})"))?;
        Ok(Group { name, child })
    }

    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Fails if the process has already exited (it should be serving).
    pub fn check_running(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            Some(status) => anyhow::bail!("{} exited early: {status}", self.name),
            None => Ok(()),
        }
    }

    /// SIGTERM to the whole group, then SIGKILL if it is still there after 3 s.
    pub fn stop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let group = format!("-{}", self.child.id());
        let _ = kill("-TERM", &group);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left of the group (the leader, or children that ignored TERM).
        let _ = kill("-KILL", &group);
        let _ = self.child.wait();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
    }
}

fn kill(signal: &str, group: &str) -> std::io::Result<std::process::ExitStatus> {
    Command::new("kill")
        .args([signal, "--", group])
        .stderr(std::process::Stdio::null())
        .status()
}
