//! Temp workspaces (a tollgate.toml, its database, an isolated HOME) and running the real
//! `tollgate` binary in them; the real `sqlite3` CLI on their database.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// What one run of the CLI did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// Assert exit status `code` with exactly one `error: ...` line on stderr that contains
    /// every one of `words`; returns that line.
    pub fn fails_with(&self, code: i32, words: &[&str]) -> String {
        assert_eq!(
            self.code, code,
            "exit status\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "expected one error line, got: {:?}", lines);
        assert!(lines[0].starts_with("error: "), "{}", lines[0]);
        for w in words {
            assert!(lines[0].contains(w), "'{w}' not in: {}", lines[0]);
        }
        lines[0].to_string()
    }

    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "command failed\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A temporary folder holding a tollgate.toml and its database, with an isolated HOME so no
/// docker config or data dir of the machine leaks in.
pub struct TempWorkspace {
    pub dir: tempfile::TempDir,
}

impl TempWorkspace {
    pub fn new(toml: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("tollgate.toml"), toml).expect("write tollgate.toml");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        TempWorkspace { dir }
    }

    /// An empty workspace folder (for `init` and `demo`).
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        TempWorkspace { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("tollgate.toml")
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("tollgate.db")
    }

    /// Run `tollgate --config <this workspace> ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.command();
        cmd.arg("--config").arg(self.config()).args(args);
        run_command(cmd, stdin)
    }

    /// [`Self::run`] with extra environment variables (`TOLLGATE_SIGNING_KEY`, `SSH_AUTH_SOCK`…).
    pub fn run_env(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        let mut cmd = self.command();
        cmd.arg("--config").arg(self.config()).args(args);
        cmd.envs(envs.iter().copied());
        run_command(cmd, None)
    }

    /// [`Self::run_bare`] as a person at this machine would run it: no `$TOLLGATE_ACTOR`, and
    /// this machine's signing identity `$TOLLGATE_APPROVER` = `approver`.
    pub fn run_bare_as(&self, args: &[&str], approver: &str) -> Run {
        let mut cmd = self.command();
        cmd.env_remove("TOLLGATE_ACTOR")
            .env("TOLLGATE_APPROVER", approver)
            .args(args);
        run_command(cmd, None)
    }

    /// Run `tollgate ARGS` in this folder without `--config`.
    pub fn run_bare(&self, args: &[&str]) -> Run {
        let mut cmd = self.command();
        cmd.args(args);
        run_command(cmd, None)
    }

    /// The `tollgate` command as [`Self::run`] starts it (HOME and docker config isolated),
    /// for a test that starts processes itself.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(crate::bin::tollgate());
        cmd.current_dir(self.dir.path())
            .env("HOME", self.dir.path().join("home"))
            .env("DOCKER_CONFIG", self.dir.path().join("home/.docker"))
            .env_remove("TOLLGATE_CONFIG")
            .env_remove("TOLLGATE_LOG")
            .env_remove("TOLLGATE_SIGNING_KEY")
            .env_remove("SSH_AUTH_SOCK")
            .env("TOLLGATE_ACTOR", "ci@example.com");
        cmd
    }

    /// The row of `env` in `tollgate status --json`, which must succeed.
    pub fn status_row(&self, env: &str) -> serde_json::Value {
        let st = self.run(&["status", "--json"]);
        st.ok();
        st.json()
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["env"] == env)
            .cloned()
            .unwrap()
    }

    /// `sqlite3 <db> SQL`, the real tool.
    pub fn sqlite(&self, sql: &str) -> String {
        sqlite3(&self.db(), sql)
    }

    /// Drop the triggers that keep `events` append-only, as an attacker with the file would
    /// before editing a row.
    pub fn drop_append_only_triggers(&self) {
        for t in self
            .sqlite("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='events'")
            .lines()
        {
            self.sqlite(&format!("DROP TRIGGER {t}"));
        }
    }

    pub fn event_count(&self) -> i64 {
        if !self.db().exists() {
            return 0;
        }
        self.sqlite("SELECT count(*) FROM events")
            .parse()
            .expect("count")
    }
}

/// Run SQL with the real `sqlite3` CLI; its output without the trailing newline. Panics with
/// its stderr when it fails.
pub fn sqlite3(db: &Path, sql: &str) -> String {
    let out = sqlite3_output(db, sql);
    assert!(
        out.status.success(),
        "sqlite3 {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("sqlite3 prints UTF-8")
        .trim_end()
        .to_string()
}

/// Run SQL with `sqlite3`, expecting it to fail; its stderr.
pub fn sqlite3_fails(db: &Path, sql: &str) -> String {
    let out = sqlite3_output(db, sql);
    assert!(!out.status.success(), "sqlite3 {sql:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn sqlite3_output(db: &Path, sql: &str) -> Output {
    Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("the sqlite3 CLI is installed")
}

fn run_command(mut cmd: Command, stdin: Option<&str>) -> Run {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("tollgate binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    Run::from(child.wait_with_output().expect("tollgate finishes"))
}

/// A tollgate.toml: workspace `name`, one registry `local` at `registry_url`, and one app `api`
/// in `local/payments/api` whose `environments` are the given entries (`{ name = ..., ... }`),
/// and the CI signers ([`crate::keys::ci_signers_toml`]) at the end.
pub fn workspace_toml(name: &str, registry_url: &str, environments: &[&str]) -> String {
    let environments: String = environments.iter().map(|e| format!("  {e},\n")).collect();
    let signers = crate::keys::ci_signers_toml();
    format!(
        r#"[workspace]
name = "{name}"
database = "tollgate.db"

[[registries]]
name = "local"
url = "{registry_url}"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [
{environments}]
{signers}"#
    )
}

/// [`workspace_toml`] `test` with dev → staging → production in `<registry>/payments/api`
/// (production in `<registry>/prod/api`).
pub fn toml_for(registry_url: &str) -> String {
    workspace_toml(
        "test",
        registry_url,
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging" }"#,
            r#"{ name = "production", tag = "production", repository = "local/prod/api" }"#,
        ],
    )
}
