//! "The two must agree": a teammate's signed move into a deployment repository's file (a
//! version 2 message naming `git`, `file` and `commit`) counts here only when this desktop's
//! own clone of the repository, as its last fetch left it, shows that commit on the
//! environment's branch, pinning the signed digest in that file. One that does not (the commit
//! is not on the branch, or not fetched yet; it pins another digest; the file is gone) is never
//! imported as the move: it is kept once as an `unplaced` event whose `why` says which, and this
//! desktop's sync judges the commits of the file on their own (an unexplained change is drift).
//! A later sync tries it again (an unplaced move is fetched again), so one whose commit arrives
//! on the branch later is imported then.
//!
//! A sync fetches every repository before its team step. The one-digest pull before `approve`,
//! `reject`, `promote` and `rollback` fetches, once each, the repositories its teammates' moves
//! name ([`fetch_named`]), so a teammate's git promotion is placed at once there too, not only
//! on the next sync. A fetch that fails leaves the clone as it was: the check reads it as is and
//! a disagreement names the failed fetch.

use crate::api::promote::GitDest;
use crate::config::Workspace;
use crate::gitops::{contains, BareRepo, RemoteClone};
use crate::signing::{EventMessage, MovePlace};
use crate::store::GitPlace;
use crate::{Error, Result};

/// Why teammate's move `m` disagrees with this desktop's clone of its deployment repository,
/// in one line; `None` when it agrees, or when it is a tag move (nothing to check here).
/// Reads the clone as the last fetch left it (a sync fetches before its team step); never
/// fetches. Errors are only those of the configuration (trust checked it already).
pub(super) fn disagreement(ws: &Workspace, m: &EventMessage) -> Result<Option<String>> {
    let Ok(MovePlace::Git { git, file, commit }) = m.place() else {
        return Ok(None);
    };
    let app = ws.app(&m.app)?;
    let env = ws.env(app, &m.env)?;
    let image = env.git_target().and_then(|t| t.image.clone());
    let branch = ws.git(&git)?.branch.clone();
    let place = GitPlace {
        git: git.clone(),
        file: file.clone(),
        image,
        branch: branch.clone(),
    };
    let dest = GitDest::new(ws, place, ws.env_repository(app, env))?;
    let what = format!(
        "its signed commit {} of {git}:{file}",
        &commit[..commit.len().min(12)]
    );
    let dir = ws.git_clone_dir(&git);
    if !dir.exists() {
        return Ok(Some(format!(
            "{what} cannot be checked: this desktop has not fetched git '{git}' yet; the next sync fetches it"
        )));
    }
    // The clone's lock is held while reading (a fetch of another process waits).
    let clone = dest.open(ws)?;
    let repo: BareRepo = clone.repo()?;
    let Some(tip) = repo.branch_tip(&branch)? else {
        return Ok(Some(format!(
            "{what} cannot be checked: this desktop's clone has no branch {branch} yet; the next sync fetches it"
        )));
    };
    if !contains(&repo, &tip, &commit)? {
        return Ok(Some(format!(
            "{what} is not on {git}/{branch} as this desktop fetched it (tip {}): the signed move and the repository disagree, so it counts for nothing here until the commit is on the branch",
            &tip[..tip.len().min(12)]
        )));
    }
    match dest.file_at(&repo, &commit) {
        Ok(at) if at.digest() == Some(&m.digest) => Ok(None),
        Ok(at) => Ok(Some(format!(
            "{what} pins {} in the file, not the signed {}: the signed move and the repository disagree, so it counts for nothing here",
            at.image.pinned,
            m.digest
        ))),
        Err(e) => Ok(Some(format!(
            "{what} does not pin the signed {} ({}): the signed move and the repository disagree, so it counts for nothing here",
            m.digest, e.message
        ))),
    }
}

/// Fetch the branch of each `[[git]]` entry in `gits` once (in the given order, duplicates
/// skipped), on a blocking thread (it is network; the clone's lock is held while fetching).
/// Returns the entries whose fetch failed, each with why in one line.
pub(super) async fn fetch_named(ws: &Workspace, gits: &[String]) -> Vec<(String, String)> {
    let mut failed = Vec::new();
    let mut done: Vec<&String> = Vec::new();
    for git in gits {
        if done.contains(&git) {
            continue;
        }
        done.push(git);
        let target = ws
            .git(git)
            .and_then(|g| Ok((ws.git_clone_url(git)?, g.branch.clone())));
        let (url, branch) = match target {
            Ok(t) => t,
            Err(e) => {
                failed.push((git.clone(), e.message));
                continue;
            }
        };
        let dir = ws.git_clone_dir(git);
        let fetched = tokio::task::spawn_blocking(move || -> Result<Option<String>> {
            RemoteClone::open_or_create(&dir, &url)?.fetch(&branch)
        })
        .await
        .map_err(|e| Error::internal(format!("the git fetch stopped: {e}")))
        .and_then(|r| r);
        match fetched {
            Ok(tip) => tracing::debug!(git, ?tip, "fetched before checking teammates' moves"),
            Err(e) => {
                tracing::warn!(git, error = %e.message, "fetch before checking teammates' moves failed");
                failed.push((git.clone(), e.message));
            }
        }
    }
    failed
}
