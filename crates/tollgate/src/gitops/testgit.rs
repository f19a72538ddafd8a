//! Tests' git: the real `git` executable with no global or system configuration, and a work
//! repository whose commits get fixed, increasing times.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Output;

use super::BareRepo;

/// `git` with no global or system configuration, in `dir`.
pub(crate) fn git(dir: &Path, args: &[&str]) -> Output {
    git_with(dir, args, &[])
}

/// [`git`] with more environment variables (tollgate-testsupport's git: no global or system
/// configuration, `Dev <dev@example.com>`).
pub(crate) fn git_with(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = tollgate_testsupport::deploy_repo::git_command(dir);
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the git executable runs")
}

/// [`git`], which must succeed; its standard output.
pub(crate) fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The time of the first commit a [`Work`] makes (2026-09-21), one hour more for each next one.
pub(crate) const FIRST_COMMIT: i64 = 1_790_000_000;

/// A non-bare repository made by git in a temporary folder, on branch `main`.
pub(crate) struct Work {
    tmp: tempfile::TempDir,
    pub dir: PathBuf,
    clock: Cell<i64>,
}

impl Work {
    pub fn new() -> Work {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("work");
        git_ok(tmp.path(), &["init", "-q", "-b", "main", "work"]);
        Work {
            tmp,
            dir,
            clock: Cell::new(FIRST_COMMIT),
        }
    }

    /// The temporary folder (for key files and the like).
    pub fn tmp(&self) -> &Path {
        self.tmp.path()
    }

    /// Run git in the work tree; it must succeed.
    pub fn git(&self, args: &[&str]) -> String {
        let time = self.clock.get();
        let date = format!("@{time} +0100");
        let out = git_with(
            &self.dir,
            args,
            &[
                ("GIT_AUTHOR_DATE", date.clone()),
                ("GIT_COMMITTER_DATE", date),
            ],
        );
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Write `content` at `file` (folders made as needed).
    pub fn write(&self, file: &str, content: &str) {
        let path = self.dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// Commit everything with `message`; the new commit's id. Each commit is one hour after the
    /// previous one.
    pub fn commit(&self, message: &str) -> String {
        self.commit_as(&[], &[], message)
    }

    /// [`Self::commit`] signed by git with the SSH private key in file `key`
    /// (`gpg.format=ssh`).
    pub fn commit_signed(&self, key: &Path, message: &str) -> String {
        let signing_key = format!("user.signingkey={}", key.display());
        self.commit_as(
            &["-c", "gpg.format=ssh", "-c", &signing_key],
            &["-S"],
            message,
        )
    }

    fn commit_as(&self, config: &[&str], options: &[&str], message: &str) -> String {
        self.git(&["add", "-A"]);
        let mut args = config.to_vec();
        args.extend_from_slice(&["commit", "-q", "--allow-empty"]);
        args.extend_from_slice(options);
        args.extend_from_slice(&["-m", message]);
        self.git(&args);
        self.tick();
        self.head()
    }

    /// The id HEAD points to.
    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Advance the clock, as [`Self::commit`] does, for a commit made by another command.
    pub fn tick(&self) {
        self.clock.set(self.clock.get() + 3600);
    }

    /// The repository, opened as Tollgate opens its clone.
    pub fn repo(&self) -> BareRepo {
        BareRepo::open(&self.dir.join(".git")).unwrap()
    }
}
