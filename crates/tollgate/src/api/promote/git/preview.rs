//! What a promotion (or rollback) into a deployment file would commit, before it runs: the
//! branch is fetched, the file at its tip read and pinned to the digest by the same edit the
//! promotion makes ([`crate::gitops::file::pin`]), and the changed lines are returned. Nothing
//! is written: no commit, no journal entry, no event.

use serde::Serialize;
use ts_rs::TS;

use crate::config::{PushMode, Workspace};
use crate::domain::Digest;
use crate::gitops::file::pin;
use crate::Result;

use super::super::Dest;
use super::review_branch;

/// The edit a promotion into a deployment file would commit, read at the branch's tip now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct GitPreview {
    /// The `[[git]]` entry.
    pub git: String,
    /// The file, relative to the repository's root.
    pub file: String,
    pub branch: String,
    /// The commit the file was read at (the new commit's parent).
    pub tip: String,
    /// What the file pins at the tip, as written for people (`sha256:…`, or a tag).
    pub pinned: String,
    /// The lines that change, in file order; empty when the file pins the digest already.
    pub changes: Vec<FileLineChange>,
    /// Where a `push = "branch"` promotion would push the commit for review; `null` when it
    /// goes onto the branch.
    pub review_branch: Option<String>,
}

/// One changed line of the deployment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FileLineChange {
    /// 1-based line number.
    #[ts(type = "number")]
    pub line: usize,
    /// The line before the edit; `null` for a line the edit adds.
    pub before: Option<String>,
    /// The line after the edit.
    pub after: String,
}

/// What promoting (or rolling back) `digest` of `app` into `to` would commit when `to` lives in
/// a deployment repository's file; `None` for an environment with a registry tag (nothing is
/// read then). Fetches the branch (the `git` executable, so it blocks) and reads the file at
/// its tip; an unreachable remote, a missing file or one whose image values disagree is an
/// error saying so.
#[tracing::instrument(skip(ws))]
pub fn git_preview(
    ws: &Workspace,
    app: &str,
    to: &str,
    digest: &str,
) -> Result<Option<GitPreview>> {
    let digest = Digest::parse(digest)?;
    let app = ws.app(app)?;
    let env = ws.env(app, to)?;
    let dest = match Dest::of(ws, env, ws.env_repository(app, env))? {
        Dest::Tag(_) => return Ok(None),
        Dest::Git(dest) => dest,
    };
    let at = dest.fetch_file(&dest.open(ws)?)?;
    let place = &dest.place;
    let pinned = pin(
        &place.file,
        &at.text,
        &dest.matcher,
        dest.selector.as_ref(),
        &digest,
    )?;
    let review_branch =
        (dest.push == PushMode::Branch).then(|| review_branch(&app.name, &env.name, &digest));
    Ok(Some(GitPreview {
        git: place.git.clone(),
        file: place.file.clone(),
        branch: place.branch.clone(),
        tip: at.tip.clone(),
        pinned: at.image.pinned.to_string(),
        changes: pinned
            .changes
            .into_iter()
            .map(|c| FileLineChange {
                line: c.line,
                before: c.old,
                after: c.new,
            })
            .collect(),
        review_branch,
    }))
}
