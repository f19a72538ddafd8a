//! "The two must agree": a teammate's signed move into a deployment repository's file (a
//! version 2 message naming `git`, `file` and `commit`) counts here only when this desktop's
//! own clone of the repository, as its last fetch left it, shows that commit on the
//! environment's branch, pinning the signed digest in that file. One that does not (the commit
//! is not on the branch, or not fetched yet; it pins another digest; the file is gone) is never
//! imported as the move: it is kept once as an `unplaced` event whose `why` says which, and this
//! desktop's sync judges the commits of the file on their own (an unexplained change is drift).
//! A later sync tries it again (an unplaced move is fetched again), so one whose commit arrives
//! on the branch later is imported then.

use crate::api::promote::GitDest;
use crate::config::Workspace;
use crate::gitops::{contains, BareRepo};
use crate::signing::{EventMessage, MovePlace};
use crate::store::GitPlace;
use crate::Result;

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
            "{what} cannot be checked: this desktop has not fetched git '{git}' yet; `tollgate sync` fetches it"
        )));
    }
    // The clone's lock is held while reading (a fetch of another process waits).
    let clone = dest.open(ws)?;
    let repo: BareRepo = clone.repo()?;
    let Some(tip) = repo.branch_tip(&branch)? else {
        return Ok(Some(format!(
            "{what} cannot be checked: this desktop's clone has no branch {branch} yet; `tollgate sync` fetches it"
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
