//! The release diff use case: what changes in an environment if the candidate digest is
//! promoted (or rolled back) into it, read from the registry and compared by [`crate::diff`].

use crate::api::open::{self, Registries};
use crate::api::Context;
use crate::config::Workspace;
use crate::diff::{compare, DiffSummary, ImageFacts, ReleaseDiff};
use crate::domain::Digest;
use crate::registry::Registry;
use crate::{Code, Error, Result};

/// Compare the candidate with what `to_env` of `app` runs now. The candidate is `digest`, or
/// else what the environment before `to_env` runs (as the overview offers it). What runs now is
/// the history's current digest of `to_env`; with none, the diff says "first deployment".
/// The candidate is read from the source environment's repository, then the target's; what
/// runs now from the target's, then the source's.
#[tracing::instrument(skip(ws, ctx), fields(workspace = %ws.config.workspace.name))]
pub async fn diff(
    ws: &Workspace,
    ctx: &Context,
    app: &str,
    to_env: &str,
    digest: Option<Digest>,
) -> Result<ReleaseDiff> {
    let a = ws.app(app)?;
    let target = ws.env(a, to_env)?;
    let source = ws.previous_env(a, to_env);
    let store = open::store(ws)?;
    let candidate = match digest {
        Some(d) => d,
        None => {
            let prev = source.ok_or_else(|| {
                Error::bad_input(format!("{to_env} is the first environment of {app}: nothing is promoted into it, so there is no candidate"))
                    .with_hint(crate::Hint::NameDigest)
            })?;
            store
                .head(app, &prev.name)?
                .segment
                .map(|s| s.digest)
                .ok_or_else(|| {
                    Error::bad_input(format!("nothing runs in {app} {} yet, so there is no candidate for {to_env}: sync first", prev.name))
                        .with_hint(crate::Hint::NameDigest)
                })?
        }
    };
    let current = store.head(app, to_env)?.segment.map(|s| s.digest);
    drop(store);
    let target_repo = ws.env_repository(a, target).to_string();
    let source_repo = source.map(|s| ws.env_repository(a, s).to_string());
    let mut registries = Registries::new(ws, ctx);
    let candidate_in: Vec<&str> = source_repo
        .iter()
        .map(String::as_str)
        .chain([target_repo.as_str()])
        .collect();
    let candidate = read(&mut registries, &candidate_in, &candidate, app).await?;
    let current = match current {
        Some(d) => {
            let in_: Vec<&str> = [target_repo.as_str()]
                .into_iter()
                .chain(source_repo.as_deref())
                .collect();
            Some(read(&mut registries, &in_, &d, app).await?)
        }
        None => None,
    };
    Ok(compare(app, to_env, &candidate, current.as_ref()))
}

/// The facts of `digest` from the first of `repositories` that has it.
async fn read(
    registries: &mut Registries<'_>,
    repositories: &[&str],
    digest: &Digest,
    app: &str,
) -> Result<ImageFacts> {
    let mut unique: Vec<&str> = Vec::new();
    for r in repositories {
        if !unique.contains(r) {
            unique.push(r);
        }
    }
    for repo in &unique {
        let (registry, path) = registries.get(repo)?;
        match registry.image_facts(&path, digest).await {
            Err(e) if e.code == Code::NotFound => {
                tracing::debug!(%digest, repo, "not here: {}", e.message)
            }
            other => return other.map_err(|e| e.context(format!("diff of {digest}"))),
        }
    }
    Err(Error::new(
        Code::NotFound,
        format!(
            "{digest} is not in {}: check the digest (the timeline of {app} lists those that ran)",
            unique.join(" or ")
        ),
    ))
}

/// The diff summary a promotion keeps in its event: the candidate (`src_path@digest`) against
/// what the target tag showed before the push (`dst_path@previous`). Best effort: a diff that
/// cannot be read does not stop a promotion; it is logged and the event goes without one.
pub(crate) async fn summary_for_promotion(
    (src, src_path): (&Registry, &str),
    (dst, dst_path): (&Registry, &str),
    app: &str,
    env: &str,
    digest: &Digest,
    previous: Option<&Digest>,
) -> Option<DiffSummary> {
    let candidate = match src.image_facts(src_path, digest).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(%digest, error = %e.message, "no release diff for the promotion");
            return None;
        }
    };
    let current = match previous {
        Some(p) => match dst.image_facts(dst_path, p).await {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::warn!(previous = %p, error = %e.message, "no release diff for the promotion");
                return None;
            }
        },
        None => None,
    };
    Some(compare(app, env, &candidate, current.as_ref()).summary())
}
