//! The bare clone Tollgate keeps of a `[[git]]` deployment repository, fetched and pushed with
//! the `git` executable (no shell), so the user's SSH config, ssh-agent and credential helpers
//! work as in their shell. [`crate::gitops::BareRepo`] (gix) reads and writes the same folder.
//!
//! - **One clone per history database.** The caller derives the folder from the database's
//!   path (the clone lives beside it); two databases never share a clone, and one clone is for
//!   one url: [`RemoteClone::open_or_create`] refuses a folder whose `origin` is another url.
//! - **A lock file beside it.** `DIR.lock` is locked exclusively for the life of a
//!   [`RemoteClone`] (an OS file lock: released when the process ends, even by a crash). A
//!   second opener, in this process or another, waits at most [`GitOptions::lock_wait`], then
//!   gets one line saying another Tollgate process is using the clone. The lock file is never
//!   deleted.
//! - **Where the remote's branches live: `refs/heads/<branch>` of the clone.** A fetch
//!   force-updates `refs/heads/B` from the remote's `refs/heads/B` (`+refs/heads/B:refs/heads/B`),
//!   so [`crate::gitops::BareRepo::branch_tip`] reads the remote's tip as of the last fetch, and
//!   a force-push upstream is taken as it is (seen, not refused; judging it is the caller's).
//!   There are no `refs/remotes/*` and no fetch refspec in the clone's config.
//! - **Nothing fetched is lost.** The clone keeps a reflog of every ref (never expiring), so a
//!   tip that a force-push removed upstream stays readable here.
//! - **Tollgate's own commit is pushed by id.** Write it with
//!   [`crate::gitops::BareRepo::write_file_commit`], then [`RemoteClone::push`] it; after
//!   [`PushOutcome::Pushed`] the clone's `refs/heads/B` is the pushed commit. Pushes are
//!   fast-forward only, never forced; a branch that moved upstream is
//!   [`PushOutcome::Rejected`], distinguishable from every other failure (an `Err`).
//! - **Never waiting for a person.** `GIT_TERMINAL_PROMPT=0`, stdin closed, git in its own
//!   process group, and a time limit ([`GitOptions::timeout`]) after which git and the ssh it
//!   started are killed. `LC_ALL=C`. The user's hooks (`core.hooksPath`) never run for the
//!   clone. Error lines name the url without its credentials ([`redact`]).

mod git;

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::gitops::repo::{branch_ref, object_id};
use crate::gitops::BareRepo;
use crate::{Code, Error, Result};

pub use crate::domain::redact;
use git::{last_error_line, push_line, Runner};

/// How git is run for a clone.
#[derive(Debug, Clone)]
pub struct GitOptions {
    /// The longest one git run (a fetch, a push) may take before it is killed.
    pub timeout: Duration,
    /// How long [`RemoteClone::open_or_create_with`] waits for another holder of the lock.
    pub lock_wait: Duration,
    /// Variables added to git's environment (which is otherwise this process's own): tests
    /// pass `SSH_AUTH_SOCK` and `GIT_SSH_COMMAND` here.
    pub env: Vec<(String, String)>,
}

impl Default for GitOptions {
    fn default() -> Self {
        GitOptions {
            timeout: Duration::from_secs(120),
            lock_wait: Duration::from_secs(30),
            env: Vec::new(),
        }
    }
}

/// What became of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// The remote branch is now the commit (it already was: also `Pushed`).
    Pushed,
    /// The remote branch moved (not an ancestor of the commit, or, for a new branch, it exists
    /// at another commit): fetch, and decide again. `why` is one line for people.
    Rejected { why: String },
}

/// Tollgate's bare clone of one deployment repository, locked while this value lives.
pub struct RemoteClone {
    dir: PathBuf,
    url: String,
    options: GitOptions,
    /// Holds the exclusive lock on `DIR.lock`; dropping it releases the lock.
    _lock: File,
}

impl std::fmt::Debug for RemoteClone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteClone")
            .field("dir", &self.dir)
            .field("url", &redact(&self.url))
            .finish()
    }
}

/// The lock file of the clone at `dir`: `DIR.lock`, beside it.
pub fn lock_path(dir: &Path) -> Result<PathBuf> {
    let name = dir.file_name().ok_or_else(|| {
        Error::bad_input(format!(
            "{} cannot hold a git clone (it has no folder name); give a folder path",
            dir.display()
        ))
    })?;
    let mut name = name.to_os_string();
    name.push(".lock");
    Ok(dir.with_file_name(name))
}

impl RemoteClone {
    /// [`Self::open_or_create_with`] with the default [`GitOptions`].
    pub fn open_or_create(dir: &Path, url: &str) -> Result<RemoteClone> {
        Self::open_or_create_with(dir, url, GitOptions::default())
    }

    /// Lock the clone at `dir` and open it; create it (an empty bare repository whose `origin`
    /// is `url`; nothing is fetched yet) when `dir` does not exist or is an empty folder. A
    /// clone of another url, or a folder that is not a git repository, is refused with one line.
    pub fn open_or_create_with(dir: &Path, url: &str, options: GitOptions) -> Result<RemoteClone> {
        check_url(url)?;
        let lock = lock(dir, options.lock_wait)?;
        let clone = RemoteClone {
            dir: dir.to_path_buf(),
            url: url.to_string(),
            options,
            _lock: lock,
        };
        let empty = match std::fs::read_dir(dir) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => {
                return Err(Error::internal(format!(
                    "cannot read the git clone folder {}: {e}",
                    dir.display()
                )))
            }
        };
        if empty {
            clone.create()?;
        } else {
            clone.check_origin()?;
        }
        Ok(clone)
    }

    /// The clone's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The clone read through gix.
    pub fn repo(&self) -> Result<BareRepo> {
        BareRepo::open(&self.dir)
    }

    /// Fetch `branch` into the clone's `refs/heads/<branch>` (forced: a rewritten branch is taken
    /// as it is); its new tip, or `None` when the remote has no such branch (the clone's ref is
    /// then left as it was).
    pub fn fetch(&self, branch: &str) -> Result<Option<String>> {
        Ok(self.fetch_branches(&[branch])?.pop().flatten())
    }

    /// [`Self::fetch`] for several branches in one git run (a second run per branch the remote
    /// does not have); their tips in the order given.
    pub fn fetch_branches(&self, branches: &[&str]) -> Result<Vec<Option<String>>> {
        if branches.is_empty() {
            return Ok(Vec::new());
        }
        let mut wanted: Vec<&str> = Vec::new();
        for branch in branches {
            branch_ref(branch)?;
            if !wanted.contains(branch) {
                wanted.push(branch);
            }
        }
        let mut missing: Vec<&str> = Vec::new();
        while !wanted.is_empty() {
            let refspecs: Vec<String> = wanted
                .iter()
                .map(|b| format!("+refs/heads/{b}:refs/heads/{b}"))
                .collect();
            let mut args = vec![
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--no-recurse-submodules",
                "--update-head-ok",
                "origin",
            ];
            args.extend(refspecs.iter().map(String::as_str));
            let what = format!("fetching {} from {}", wanted.join(", "), redact(&self.url));
            let out = self.git(&args, &what)?;
            if out.success() {
                break;
            }
            // "fatal: couldn't find remote ref refs/heads/B" (git's C-locale wording): the
            // remote has no such branch; fetch the others again without it.
            let absent = out.stderr.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("fatal: couldn't find remote ref refs/heads/")
                    .and_then(|b| wanted.iter().position(|w| *w == b.trim()))
            });
            match absent {
                Some(i) => missing.push(wanted.remove(i)),
                None => {
                    return Err(Error::new(
                        Code::Unreachable,
                        format!(
                            "{what} failed: {}; check the url and that this machine can reach it (an ssh key in ssh-agent, a credential helper)",
                            last_error_line(&out.stderr)
                        ),
                    ))
                }
            }
        }
        let tips = self.tips(branches)?;
        Ok(branches
            .iter()
            .zip(tips)
            .map(|(b, tip)| if missing.contains(b) { None } else { tip })
            .collect())
    }

    /// Push `commit` (already in the clone) to the remote's `refs/heads/<branch>`, fast-forward
    /// only, never forced (a branch the remote does not have yet is created). Network, auth,
    /// hook and protected-branch failures are `Err`, naming the url and git's own error line.
    pub fn push(&self, commit: &str, branch: &str) -> Result<PushOutcome> {
        self.push_to(commit, branch, false)
    }

    /// Push `commit` as a new branch (`push = "branch"`): refused ([`PushOutcome::Rejected`])
    /// when the branch exists on the remote at another commit; `Pushed` when it is already
    /// that commit.
    pub fn push_new_branch(&self, commit: &str, branch: &str) -> Result<PushOutcome> {
        self.push_to(commit, branch, true)
    }

    fn push_to(&self, commit: &str, branch: &str, new_branch: bool) -> Result<PushOutcome> {
        let dst = branch_ref(branch)?;
        object_id(commit)?;
        let found = self.git(
            &["cat-file", "-e", &format!("{commit}^{{commit}}")],
            "looking up the commit",
        )?;
        if !found.success() {
            return Err(Error::bad_input(format!(
                "commit {commit} is not in the git clone at {}; write the commit there before pushing it",
                self.dir.display()
            )));
        }
        let refspec = format!("{commit}:{dst}");
        let lease = format!("--force-with-lease={dst}:");
        let mut args = vec!["push", "--porcelain", "--no-verify"];
        if new_branch {
            args.push(&lease);
        }
        args.extend(["origin", refspec.as_str()]);
        let url = redact(&self.url);
        let what = format!("pushing {commit} to {branch} of {url}");
        let out = self.git(&args, &what)?;
        let Some(line) = push_line(&out.stdout, &dst) else {
            return Err(Error::new(
                Code::Unreachable,
                format!(
                    "{what} failed: {}; check the url and that this machine can reach it (an ssh key in ssh-agent, a credential helper)",
                    last_error_line(&out.stderr)
                ),
            ));
        };
        let reason = line.reason.clone().unwrap_or_default();
        match (line.flag, line.summary.as_str()) {
            (' ' | '*' | '=' | '+', _) if out.success() => {
                self.record_pushed(commit, branch);
                Ok(PushOutcome::Pushed)
            }
            ('!', "[rejected]") if new_branch && reason == "stale info" => {
                Ok(PushOutcome::Rejected {
                    why: format!(
                        "branch {branch} already exists on {url} at another commit; Tollgate does not overwrite it: delete it there, or promote again for a new branch name"
                    ),
                })
            }
            ('!', "[rejected]") => Ok(PushOutcome::Rejected {
                why: format!(
                    "branch {branch} of {url} has moved since it was fetched (git: {reason}); fetch it and decide again"
                ),
            }),
            ('!', summary) => Err(Error::refused(format!(
                "{url} refused the push of {commit} to {branch}: {summary} ({}); {}",
                redact(&reason),
                last_error_line(&out.stderr),
            ))),
            _ => Err(Error::new(
                Code::Unreachable,
                format!("{what} failed: {}", last_error_line(&out.stderr)),
            )),
        }
    }

    /// After a push, the clone's branch is the pushed commit, as a fetch would make it. A
    /// failure here is logged only: the next fetch sets it anyway.
    fn record_pushed(&self, commit: &str, branch: &str) {
        let dst = format!("refs/heads/{branch}");
        match self.git(&["update-ref", &dst, commit], "recording the pushed branch") {
            Ok(out) if out.success() => {}
            Ok(out) => tracing::warn!(
                dir = %self.dir.display(),
                %branch,
                error = %last_error_line(&out.stderr),
                "pushed, but the clone's branch was not moved; the next fetch moves it"
            ),
            Err(e) => {
                tracing::warn!(%branch, error = %e.message, "pushed, but the clone's branch was not moved")
            }
        }
    }

    /// The clone's `refs/heads/<b>` for each branch, in order.
    fn tips(&self, branches: &[&str]) -> Result<Vec<Option<String>>> {
        let refs: Vec<String> = branches.iter().map(|b| format!("refs/heads/{b}")).collect();
        let mut args = vec!["for-each-ref", "--format=%(objectname) %(refname)"];
        args.extend(refs.iter().map(String::as_str));
        let out = self.checked(&args, "reading the fetched branches")?;
        let found: Vec<(&str, &str)> = out.lines().filter_map(|l| l.split_once(' ')).collect();
        Ok(refs
            .iter()
            .map(|r| {
                found
                    .iter()
                    .find(|(_, name)| name == r)
                    .map(|(id, _)| id.to_string())
            })
            .collect())
    }

    /// A new bare repository, made in a folder beside `dir` and renamed into place, so an
    /// interrupted creation never leaves a half-made clone at `dir`.
    fn create(&self) -> Result<()> {
        let dir = &self.dir;
        // One fixed name: the lock is held, so a folder found there is a crashed creation's.
        let fresh = dir.with_file_name(format!(
            ".{}.new",
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ));
        let io = |what: &str, e: std::io::Error| {
            Error::internal(format!(
                "cannot {what} for the git clone at {}: {e}",
                dir.display()
            ))
        };
        if fresh.exists() {
            std::fs::remove_dir_all(&fresh).map_err(|e| io("remove a leftover folder", e))?;
        }
        let made = self.runner().run(
            None,
            &["init", "--bare", "--quiet", &fresh.to_string_lossy()],
            "creating the clone",
        )?;
        if !made.success() {
            return Err(Error::internal(format!(
                "git could not create a repository at {}: {}",
                fresh.display(),
                last_error_line(&made.stderr)
            )));
        }
        let settings = [
            ("remote.origin.url", self.url.as_str()),
            // Keep every tip ever fetched: a force-push upstream must not erase what was seen.
            ("core.logAllRefUpdates", "always"),
            ("gc.reflogExpire", "never"),
            ("gc.reflogExpireUnreachable", "never"),
        ];
        for (key, value) in settings {
            let set = self.runner().run(
                Some(&fresh),
                &["config", key, value],
                "configuring the clone",
            )?;
            if !set.success() {
                return Err(Error::internal(format!(
                    "git could not set {key} in {}: {}",
                    fresh.display(),
                    last_error_line(&set.stderr)
                )));
            }
        }
        if dir.exists() {
            std::fs::remove_dir(dir).map_err(|e| io("replace the empty folder", e))?;
        }
        std::fs::rename(&fresh, dir).map_err(|e| io("move the new repository into place", e))?;
        Ok(())
    }

    /// `dir` is a bare repository whose `origin` is this url.
    fn check_origin(&self) -> Result<()> {
        let dir = self.dir.display();
        let bare = self.git(&["rev-parse", "--is-bare-repository"], "opening the clone")?;
        if !bare.success() || bare.stdout.trim() != "true" {
            return Err(Error::new(
                Code::Config,
                format!(
                    "{dir} is not a bare git repository that Tollgate made; move it away, and the next sync clones {} there again",
                    redact(&self.url)
                ),
            ));
        }
        let origin = self.git(
            &["config", "--get", "remote.origin.url"],
            "reading the clone's url",
        )?;
        let origin = origin.stdout.trim();
        if origin != self.url {
            return Err(Error::new(
                Code::Config,
                format!(
                    "the git clone at {dir} is for {}, not {}: the repository's url in tollgate.toml changed; delete {dir} so the next sync clones the new url",
                    if origin.is_empty() { "no url".to_string() } else { redact(origin) },
                    redact(&self.url)
                ),
            ));
        }
        Ok(())
    }

    fn runner(&self) -> Runner<'_> {
        Runner {
            timeout: self.options.timeout,
            env: &self.options.env,
        }
    }

    fn git(&self, args: &[&str], what: &str) -> Result<git::Output> {
        self.runner().run(Some(&self.dir), args, what)
    }

    /// A local git command that must succeed; its stdout.
    fn checked(&self, args: &[&str], what: &str) -> Result<String> {
        let out = self.git(args, what)?;
        if !out.success() {
            return Err(Error::internal(format!(
                "{what} in the git clone at {} failed: {}",
                self.dir.display(),
                last_error_line(&out.stderr)
            )));
        }
        Ok(out.stdout)
    }
}

/// Take the exclusive lock on `DIR.lock`, waiting at most `wait` for another holder.
fn lock(dir: &Path, wait: Duration) -> Result<File> {
    let path = lock_path(dir)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            Error::internal(format!(
                "cannot create the folder {} for the git clone: {e}",
                parent.display()
            ))
        })?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| {
            Error::internal(format!(
                "cannot open the lock file {} of the git clone: {e}",
                path.display()
            ))
        })?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(pause.min(wait.saturating_sub(started.elapsed())));
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(Error::refused(format!(
                    "another Tollgate process is using the git clone at {} (its lock file {} is held); try again when it has finished",
                    dir.display(),
                    path.display()
                )))
            }
            Err(TryLockError::Error(e)) => {
                return Err(Error::internal(format!(
                    "cannot lock {} for the git clone: {e}",
                    path.display()
                )))
            }
        }
    }
}

/// A url git may be given: not empty, not an option, one line, and a local path only when
/// absolute (git runs inside the clone, where a relative path would mean something else).
fn check_url(url: &str) -> Result<()> {
    if url.trim().is_empty() || url.starts_with('-') || url.chars().any(char::is_control) {
        return Err(Error::config(format!(
            "{:?} is not a git url; give ssh://, https://, file:// or an absolute path",
            redact(url)
        )));
    }
    let scheme = url.contains("://");
    // scp-like `host:path` (a `:` before any `/`) is ssh, as git reads it.
    let scp = url
        .find(':')
        .is_some_and(|c| url.find('/').is_none_or(|s| c < s));
    if !scheme && !scp && !Path::new(url).is_absolute() {
        return Err(Error::config(format!(
            "git url {url:?} is a relative path; give an absolute path or a file:// url"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
