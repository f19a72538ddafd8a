//! One run of the `git` executable against Tollgate's bare clone: no shell, the clone named with
//! `--git-dir`, an environment that never waits for a person, a time limit, and error lines with
//! no secrets in them.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::domain::redact;
use crate::{Code, Error, Result};

/// Variables that would point git at another repository, index or object store than the one
/// named with `--git-dir`.
const REPOSITORY_VARIABLES: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
];

/// What a finished git run printed.
#[derive(Debug)]
pub(super) struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

/// How git is run: the time limit and the extra environment (tests pass an ssh-agent socket
/// and an ssh command here; the user's own environment is inherited as it is).
#[derive(Debug, Clone)]
pub(super) struct Runner<'a> {
    pub timeout: Duration,
    pub env: &'a [(String, String)],
}

impl Runner<'_> {
    /// `git <args>` in `git_dir` (`None`: a command that needs no repository). `what` names the
    /// work in error lines ("fetching main from URL").
    pub fn run(&self, git_dir: Option<&Path>, args: &[&str], what: &str) -> Result<Output> {
        let mut cmd = Command::new("git");
        for var in REPOSITORY_VARIABLES {
            cmd.env_remove(var);
        }
        // Never ask for a user name or password on a terminal; C messages and porcelain.
        cmd.env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .env_remove("LANGUAGE")
            .env("GIT_ADVICE", "0");
        for (key, value) in self.env {
            cmd.env(key, value);
        }
        // The user's global configuration is read (credential helpers, url rewrites, the ssh
        // command), but not their hooks, and no protocol runs a program of the url's choosing.
        cmd.args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "protocol.ext.allow=never",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "credential.interactive=false",
        ]);
        if let Some(dir) = git_dir {
            cmd.arg("--git-dir").arg(dir).current_dir(dir);
        }
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group, so that a time-out ends git and the ssh it started, and ssh
        // cannot read a passphrase from the terminal (it stops instead, and the time-out ends it).
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().map_err(|e| {
            Error::internal(format!(
                "cannot run git for {what} ({e}); install git (2.34 or newer) and make sure it is on PATH"
            ))
        })?;
        wait(child, self.timeout, what)
    }
}

/// Wait for `child`, reading both pipes; kill its process group when `timeout` passes.
fn wait(mut child: Child, timeout: Duration, what: &str) -> Result<Output> {
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let mut pause = Duration::from_millis(2);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                kill_group(&mut child);
                let _ = child.wait();
                return Err(Error::new(
                    Code::Unreachable,
                    format!(
                        "git did not finish {what} in {} s and was stopped; if ssh asks for a passphrase or to confirm a host key, run `git ls-remote` on the url once in a shell or load the key into ssh-agent, then try again",
                        timeout.as_secs()
                    ),
                ));
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => {
                kill_group(&mut child);
                return Err(Error::internal(format!(
                    "waiting for git ({what}) failed: {e}"
                )));
            }
        }
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        // The group's id is git's pid (process_group(0)); `kill -KILL -- -PGID` ends git and
        // every process it started (ssh, a credential helper), and only those.
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

/// The line of git's standard error that says what went wrong: its first `fatal:` line, else
/// its last `error:` line, else its last line that is not a hint; secrets removed.
pub(super) fn last_error_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let line = lines
        .iter()
        .find(|l| l.starts_with("fatal:"))
        .or_else(|| lines.iter().rev().find(|l| l.starts_with("error:")))
        .or_else(|| lines.iter().rev().find(|l| !l.starts_with("hint:")))
        .copied()
        .unwrap_or("git printed nothing");
    redact(line)
}

/// A push's result for one ref, from `git push --porcelain`: its flag (`' '` fast-forward, `*`
/// new, `=` up to date, `!` rejected or failed, ...), its summary (`[rejected]`, `[remote
/// rejected]`, `abc..def`) and the reason in parentheses, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PushLine {
    pub flag: char,
    pub summary: String,
    pub reason: Option<String>,
}

/// The porcelain line for `dst` (`refs/heads/main`) in `git push --porcelain`'s stdout.
pub(super) fn push_line(stdout: &str, dst: &str) -> Option<PushLine> {
    stdout.lines().find_map(|line| {
        let mut parts = line.splitn(3, '\t');
        let flag = parts.next()?;
        let refs = parts.next()?;
        let rest = parts.next()?;
        let mut chars = flag.chars();
        let (Some(flag), None) = (chars.next(), chars.next()) else {
            return None;
        };
        if refs.rsplit_once(':').map(|(_, to)| to) != Some(dst) {
            return None;
        }
        let (summary, reason) = match rest.find(" (") {
            Some(i) if rest.ends_with(')') => (
                rest[..i].to_string(),
                Some(rest[i + 2..rest.len() - 1].to_string()),
            ),
            _ => (rest.to_string(), None),
        };
        Some(PushLine {
            flag,
            summary,
            reason,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_line_is_the_fatal_one_and_never_a_hint() {
        let stderr = "fatal: '/nonexist.git' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n";
        assert_eq!(
            last_error_line(stderr),
            "fatal: '/nonexist.git' does not appear to be a git repository"
        );
        let stderr =
            "error: failed to push some refs to 'https://u:p@h/x'\nhint: Updates were rejected\n";
        assert_eq!(
            last_error_line(stderr),
            "error: failed to push some refs to 'https://h/x'"
        );
        assert_eq!(last_error_line("remote: denied\n"), "remote: denied");
        assert_eq!(last_error_line(""), "git printed nothing");
    }

    #[test]
    fn porcelain_lines_are_parsed_per_ref() {
        let out = "To file:///tmp/up.git\n!\tb24e5f8:refs/heads/main\t[rejected] (fetch first)\n*\tb24e5f8:refs/heads/nb\t[new branch]\n \tb24e:refs/heads/ff\t030f6e6..b24e5f8\nDone\n";
        assert_eq!(
            push_line(out, "refs/heads/main"),
            Some(PushLine {
                flag: '!',
                summary: "[rejected]".into(),
                reason: Some("fetch first".into())
            })
        );
        assert_eq!(push_line(out, "refs/heads/nb").unwrap().flag, '*');
        let ff = push_line(out, "refs/heads/ff").unwrap();
        assert_eq!((ff.flag, ff.reason), (' ', None));
        assert_eq!(push_line(out, "refs/heads/other"), None);
        assert_eq!(push_line("", "refs/heads/main"), None);
    }
}
