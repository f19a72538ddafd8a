//! A deployment repository for the tests of git environments: a bare repository reached over
//! `file://` (the remote Tollgate clones, fetches and pushes), and a work tree beside it where
//! "people" commit by hand — unsigned, or SSH-signed with a key file — and push, as they would
//! with stock git. Every check reads the bare repository with the real `git` (`git log`,
//! `git show`, `git verify-commit`), never with Tollgate's own code.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The time of the first hand commit (2026-09-21T…Z); each next one is one hour later.
pub const FIRST_COMMIT: i64 = 1_790_000_000;

/// A bare repository `deploy.git` and a work tree `work` in a temporary folder.
pub struct DeployRepo {
    tmp: tempfile::TempDir,
    clock: Cell<i64>,
}

/// `git` with no global or system configuration, as `Dev <dev@example.com>`.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("LC_ALL", "C");
    command
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "git {what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl DeployRepo {
    /// An empty bare repository (branch `main`) and its work tree.
    pub fn new() -> DeployRepo {
        let tmp = tempfile::tempdir().expect("temp dir");
        let repo = DeployRepo {
            tmp,
            clock: Cell::new(FIRST_COMMIT),
        };
        ok(
            git_command(repo.tmp.path())
                .args(["init", "-q", "--bare", "-b", "main", "deploy.git"])
                .output()
                .expect("git runs"),
            "init --bare",
        );
        ok(
            git_command(repo.tmp.path())
                .args(["clone", "-q"])
                .arg(repo.bare())
                .arg("work")
                .output()
                .expect("git runs"),
            "clone",
        );
        repo.work_git(&["checkout", "-q", "-b", "main"]);
        repo
    }

    /// The temporary folder (for key files and the like).
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// The bare repository's folder.
    pub fn bare(&self) -> PathBuf {
        self.tmp.path().join("deploy.git")
    }

    /// The work tree's folder.
    pub fn work(&self) -> PathBuf {
        self.tmp.path().join("work")
    }

    /// `file:///…/deploy.git`, for `[[git]] url`.
    pub fn url(&self) -> String {
        format!("file://{}", self.bare().display())
    }

    /// Run git in the work tree at the next commit time; it must succeed. Its stdout.
    pub fn work_git(&self, args: &[&str]) -> String {
        let time = self.clock.get();
        let date = format!("@{time} +0000");
        ok(
            git_command(&self.work())
                .args(args)
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date)
                .output()
                .expect("git runs"),
            &args.join(" "),
        )
    }

    /// Run git on the bare repository; it must succeed. Its stdout.
    pub fn bare_git(&self, args: &[&str]) -> String {
        ok(
            git_command(&self.bare())
                .args(args)
                .output()
                .expect("git runs"),
            &args.join(" "),
        )
    }

    /// Write `file` (relative to the work tree) with `content`, commit it unsigned with
    /// `message`, push to `main`; the new commit's id.
    pub fn commit(&self, file: &str, content: &str, message: &str) -> String {
        self.commit_with(file, content, message, &[])
    }

    /// [`Self::commit`], SSH-signed (`gpg.format=ssh`) with the private key file `key`
    /// (mode 600), as `git commit -S` would.
    pub fn commit_signed(&self, file: &str, content: &str, message: &str, key: &Path) -> String {
        let key = key.display().to_string();
        self.commit_with(
            file,
            content,
            message,
            &[
                "-c",
                "gpg.format=ssh",
                "-c",
                &format!("user.signingkey={key}"),
            ],
        )
    }

    fn commit_with(&self, file: &str, content: &str, message: &str, config: &[&str]) -> String {
        let path = self.work().join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        // Take what Tollgate (or anyone) pushed first, as a person would.
        self.pull();
        std::fs::write(&path, content).expect("write the file");
        self.work_git(&["add", file]);
        let mut args: Vec<&str> = config.to_vec();
        args.extend(["commit", "-q", "-m", message]);
        if !config.is_empty() {
            args.push("-S");
        }
        self.work_git(&args);
        self.clock.set(self.clock.get() + 3600);
        self.work_git(&["push", "-q", "origin", "HEAD:main"]);
        self.tip()
    }

    /// Bring the work tree to the remote's `main`, when it has one.
    pub fn pull(&self) {
        let heads = self.bare_git(&["branch", "--list", "main"]);
        if !heads.trim().is_empty() {
            self.work_git(&["fetch", "-q", "origin", "main"]);
            self.work_git(&["reset", "-q", "--hard", "FETCH_HEAD"]);
        }
    }

    /// The remote `main`'s tip.
    pub fn tip(&self) -> String {
        self.bare_git(&["rev-parse", "main"]).trim().to_string()
    }

    /// Force the remote `main` to `commit` (a force-push or a rewind).
    pub fn force_main(&self, commit: &str) {
        self.bare_git(&["update-ref", "refs/heads/main", commit]);
    }

    /// `file` at the remote `main`'s tip, as git shows it.
    pub fn file_at_tip(&self, file: &str) -> String {
        self.bare_git(&["show", &format!("main:{file}")])
    }

    /// The subjects of `main`'s first-parent history, newest first (`git log --format=%H %s`).
    pub fn log(&self) -> Vec<(String, String)> {
        self.bare_git(&["log", "--first-parent", "--format=%H %s", "main"])
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(id, s)| (id.to_string(), s.to_string()))
            .collect()
    }

    /// The raw commit object, as `git cat-file commit` prints it.
    pub fn raw_commit(&self, id: &str) -> String {
        self.bare_git(&["cat-file", "commit", id])
    }

    /// `git verify-commit` of `id` against an allowed_signers file: its output (stderr, where
    /// git prints "Good "git" signature for …") when it succeeds, `Err` with it otherwise.
    pub fn verify_commit(&self, id: &str, allowed_signers: &Path) -> Result<String, String> {
        let out = git_command(&self.bare())
            .args([
                "-c",
                "gpg.format=ssh",
                "-c",
                &format!("gpg.ssh.allowedSignersFile={}", allowed_signers.display()),
                "verify-commit",
                "-v",
                id,
            ])
            .output()
            .expect("git runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            Ok(text)
        } else {
            Err(text)
        }
    }
}

impl Default for DeployRepo {
    fn default() -> Self {
        DeployRepo::new()
    }
}

/// A Kubernetes Deployment that pins `image` (`host/path@sha256:…`), with comments, a second
/// container of another image, and an initContainer of the same image: the shapes an edit must
/// keep byte for byte.
pub fn deployment_yaml(image: &str) -> String {
    format!(
        r#"# Production deployment of the API.
# Owned by the platform team; the image line is set by Tollgate.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {{app: api, tier: "backend"}}
spec:
  replicas: 3 # keep odd
  template:
    spec:
      initContainers:
        - name: migrate
          image: {image}   # same image, runs migrations
          args: ["migrate", '--yes']
      containers:
        - name: api
          image: "{image}"
          ports:
            - containerPort: 8080
        - name: sidecar
          image: docker.io/library/busybox:1.36
"#
    )
}

/// A private key file made with `ssh-keygen` (mode 600) in `dir`, and its public key line.
pub fn key_file(dir: &Path, comment: &str) -> (PathBuf, String) {
    let file = dir.join(format!("id-{comment}"));
    let _ = std::fs::remove_file(&file);
    crate::process::run(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
            .arg(&file),
    );
    let public = std::fs::read_to_string(format!("{}.pub", file.display()))
        .expect("ssh-keygen wrote the public key")
        .trim()
        .to_string();
    (file, public)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_commits_reach_the_bare_repository_and_signatures_verify_with_stock_git() {
        let repo = DeployRepo::new();
        let first = repo.commit("apps/api.yaml", &deployment_yaml("h/a@sha256:00"), "first");
        let (key, public) = key_file(repo.dir(), "alice");
        let second = repo.commit_signed(
            "apps/api.yaml",
            &deployment_yaml("h/a@sha256:11"),
            "second",
            &key,
        );
        assert_eq!(repo.tip(), second);
        assert_eq!(
            repo.log(),
            vec![
                (second.clone(), "second".into()),
                (first.clone(), "first".into())
            ]
        );
        assert!(repo.file_at_tip("apps/api.yaml").contains("h/a@sha256:11"));
        let signers = repo.dir().join("allowed_signers");
        std::fs::write(
            &signers,
            format!("alice@example.com namespaces=\"git\" {public}\n"),
        )
        .unwrap();
        let good = repo.verify_commit(&second, &signers).unwrap();
        assert!(
            good.contains("Good \"git\" signature for alice@example.com"),
            "{good}"
        );
        assert!(repo.verify_commit(&first, &signers).is_err());
        assert!(repo
            .raw_commit(&second)
            .contains("gpgsig -----BEGIN SSH SIGNATURE-----"));
        repo.force_main(&first);
        assert_eq!(repo.tip(), first);
    }
}
