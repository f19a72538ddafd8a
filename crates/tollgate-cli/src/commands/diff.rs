//! `tollgate diff`: what changes if the candidate is promoted (revisions, base image,
//! platforms, layers, run-time config, risk flags) and, for an environment in a deployment
//! repository, the exact edit of its file (as the desktop's promote view shows it).

use serde::Serialize;
use tollgate::api::{self, Context, GitPreview};
use tollgate::diff::ReleaseDiff;
use tollgate::domain::Digest;
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::DiffArgs;
use crate::output;

/// `diff --json`: the release diff, with `file` (the edit a promotion would commit) for an
/// environment in a deployment repository, or `file_error` when that file could not be read.
#[derive(Serialize)]
pub struct DiffOutput {
    #[serde(flatten)]
    pub diff: ReleaseDiff,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<GitPreview>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_error: Option<String>,
}

pub async fn run(load: Load<'_>, ctx: &Context, args: DiffArgs) -> Result<i32> {
    let DiffArgs {
        app,
        to,
        digest,
        json,
    } = args;
    let ws = load_and_recover(load, ctx).await?;
    let digest = digest
        .map(|d| api::resolve_digest(&ws, &app, &d))
        .transpose()?
        .as_deref()
        .map(Digest::parse)
        .transpose()?;
    let diff = api::diff(&ws, ctx, &app, &to, digest).await?;
    // The release diff stands on its own: a deployment file that cannot be read (the remote
    // is down) is said beside it, never instead of it.
    let (file, file_error) = match api::git_preview(&ws, &app, &to, diff.candidate.digest.as_str())
    {
        Ok(preview) => (preview, None),
        Err(e) => (None, Some(e.message)),
    };
    let out = DiffOutput {
        diff,
        file,
        file_error,
    };
    output::show(json, &out, |o| {
        output::diff::release_diff(&o.diff);
        output::diff::file_edit(o.file.as_ref(), o.file_error.as_deref());
    })?;
    Ok(0)
}
