//! Reading the deployment repository for a promotion: the clone of a `[[git]]` entry, the file
//! at a commit and what it pins, whether a branch contains a commit, which commit last changed
//! what the file pins, and the forge's compare page of a review branch.

use crate::config::{PushMode, Workspace};
use crate::domain::Digest;
use crate::gitops::file::{read_image, FileImage, ImageSelector, RepositoryMatcher};
use crate::gitops::{digest_changes, file_history, image_reader, BareRepo, RemoteClone};
use crate::store::GitPlace;
use crate::{Code, Error, Result};

/// Where a promotion into a deployment file goes, understood: the place, how it is pushed, the
/// clone's url, and which values of the file are the environment's image.
#[derive(Debug, Clone)]
pub(crate) struct GitDest {
    pub place: GitPlace,
    pub push: PushMode,
    pub url: String,
    pub matcher: RepositoryMatcher,
    pub selector: Option<ImageSelector>,
}

impl GitDest {
    /// The destination of `place` in `ws`, whose file references images of `repository`
    /// (`<registry name>/<path>`, the environment's repository): its `[[registries]]` host and
    /// path are what the file's references are matched against.
    pub fn new(ws: &Workspace, place: GitPlace, repository: &str) -> Result<GitDest> {
        let git = ws.git(&place.git)?;
        let url = ws.git_clone_url(&place.git)?;
        let matcher = RepositoryMatcher::for_repository(ws, repository)?;
        let selector = place
            .image
            .as_deref()
            .map(ImageSelector::parse)
            .transpose()?;
        Ok(GitDest {
            push: git.push,
            place,
            url,
            matcher,
            selector,
        })
    }

    /// Lock and open this history's clone of the repository (created on first use).
    pub fn open(&self, ws: &Workspace) -> Result<RemoteClone> {
        RemoteClone::open_or_create(&ws.git_clone_dir(&self.place.git), &self.url)
    }

    /// Fetch the branch and read the file at its new tip.
    pub fn fetch_file(&self, clone: &RemoteClone) -> Result<FileAt> {
        let branch = &self.place.branch;
        let tip = clone.fetch(branch)?.ok_or_else(|| {
            Error::new(
                Code::NotFound,
                format!(
                    "{} has no branch {branch}; check [[git]] '{}' branch in tollgate.toml",
                    crate::gitops::remote::redact(&self.url),
                    self.place.git
                ),
            )
        })?;
        self.file_at(&clone.repo()?, &tip)
    }

    /// The file at `commit`, and what it pins.
    pub fn file_at(&self, repo: &BareRepo, commit: &str) -> Result<FileAt> {
        let file = &self.place.file;
        let bytes = repo.file_at(commit, file)?.ok_or_else(|| {
            Error::new(
                Code::NotFound,
                format!(
                    "{file} is not in commit {commit} of {} {}: check the environment's `file` in tollgate.toml",
                    self.place.git, self.place.branch
                ),
            )
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::bad_input(format!(
                "{file} at commit {commit} is not UTF-8 text; Tollgate edits YAML files only"
            ))
        })?;
        let image = read_image(file, &text, &self.matcher, self.selector.as_ref())?;
        Ok(FileAt {
            tip: commit.to_string(),
            text,
            image,
        })
    }

    /// One line naming the newest commit at or below `tip` (first parents) that changed what
    /// the file pins: `commit <id> ("<subject>")`.
    pub fn changed_by(&self, repo: &BareRepo, tip: &str) -> String {
        let read = image_reader(&self.place.file, &self.matcher, self.selector.as_ref());
        let newest = file_history(repo, tip, &self.place.file, None, &read)
            .ok()
            .and_then(|h| {
                digest_changes(&h.changes, None)
                    .last()
                    .map(|c| (c.commit.clone(), c.subject.clone()))
            });
        match newest {
            Some((commit, subject)) => format!("commit {commit} (\"{subject}\")"),
            None => format!("commit {tip}"),
        }
    }
}

/// The file at a commit, and what it pins.
#[derive(Debug, Clone)]
pub(crate) struct FileAt {
    /// The commit it was read at.
    pub tip: String,
    pub text: String,
    pub image: FileImage,
}

impl FileAt {
    pub fn digest(&self) -> Option<&Digest> {
        self.image.digest()
    }
}

/// The forge's page comparing `base` with `branch`, for a remote on a known forge shape:
/// GitHub, Gitea and Forgejo `https://host/owner/repo/compare/base...branch`, GitLab
/// `https://host/group/repo/-/compare/base...branch` (a host whose name has `gitlab`); from
/// `https://`, `ssh://` and scp-like (`git@host:owner/repo.git`) urls. `None` for a local
/// repository or a url it cannot read.
pub fn compare_url(url: &str, base: &str, branch: &str) -> Option<String> {
    let (page, gitlab) = forge_page(url)?;
    let compare = if gitlab { "-/compare" } else { "compare" };
    Some(format!("{page}/{compare}/{base}...{branch}"))
}

/// The forge's page of `commit`, for a remote on a known forge shape (as [`compare_url`]):
/// GitHub, Gitea and Forgejo `https://host/owner/repo/commit/<id>`, GitLab
/// `https://host/group/repo/-/commit/<id>`. `None` for a local repository, a url it cannot
/// read, or a commit id that is not hexadecimal.
pub fn commit_url(url: &str, commit: &str) -> Option<String> {
    if commit.is_empty() || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let (page, gitlab) = forge_page(url)?;
    let path = if gitlab { "-/commit" } else { "commit" };
    Some(format!("{page}/{path}/{commit}"))
}

/// [`commit_url`] of `commit` in the `[[git]]` entry `git` of `ws` (`None` as there, or for an
/// entry that is no longer configured).
pub(crate) fn forge_commit_url(ws: &Workspace, git: &str, commit: &str) -> Option<String> {
    commit_url(&ws.git_clone_url(git).ok()?, commit)
}

/// The repository's web page (`https://host/owner/repo`) of a remote url, and whether the host
/// is a GitLab (its pages are under `/-/`).
fn forge_page(url: &str) -> Option<(String, bool)> {
    let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
        if !matches!(scheme, "https" | "ssh" | "http") {
            return None;
        }
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit('@').next()?;
        // ssh://git@host:2222/…: the port is ssh's, not the web's.
        let host = if scheme == "ssh" {
            host.split(':').next()?
        } else {
            host
        };
        (host.to_string(), path.to_string())
    } else {
        let (user_host, path) = url.split_once(':')?;
        if user_host.contains('/') || user_host.is_empty() {
            return None;
        }
        (user_host.rsplit('@').next()?.to_string(), path.to_string())
    };
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    if host.is_empty() || path.split('/').filter(|p| !p.is_empty()).count() < 2 {
        return None;
    }
    Some((format!("https://{host}/{path}"), host.contains("gitlab")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_urls_of_known_forges() {
        let b = "tollgate/api-production-0123456789ab";
        assert_eq!(
            compare_url("https://github.com/acme/deploy.git", "main", b).as_deref(),
            Some("https://github.com/acme/deploy/compare/main...tollgate/api-production-0123456789ab")
        );
        assert_eq!(
            compare_url("git@github.com:acme/deploy.git", "main", b).as_deref(),
            Some("https://github.com/acme/deploy/compare/main...tollgate/api-production-0123456789ab")
        );
        assert_eq!(
            compare_url("ssh://git@gitlab.example.com:2222/group/sub/deploy.git", "main", b)
                .as_deref(),
            Some("https://gitlab.example.com/group/sub/deploy/-/compare/main...tollgate/api-production-0123456789ab")
        );
        assert_eq!(
            compare_url("https://codeberg.org/acme/deploy", "prod", b).as_deref(),
            Some("https://codeberg.org/acme/deploy/compare/prod...tollgate/api-production-0123456789ab")
        );
        assert_eq!(compare_url("/srv/git/deploy.git", "main", b), None);
        assert_eq!(compare_url("file:///srv/git/deploy.git", "main", b), None);
        assert_eq!(compare_url("https://host/deploy.git", "main", b), None);
    }

    #[test]
    fn commit_urls_of_known_forges() {
        let c = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            commit_url("git@github.com:acme/deploy.git", c).as_deref(),
            Some("https://github.com/acme/deploy/commit/0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(
            commit_url("ssh://git@gitlab.example.com:2222/group/sub/deploy.git", c).as_deref(),
            Some("https://gitlab.example.com/group/sub/deploy/-/commit/0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(
            commit_url("https://codeberg.org/acme/deploy/", c).as_deref(),
            Some(
                "https://codeberg.org/acme/deploy/commit/0123456789abcdef0123456789abcdef01234567"
            )
        );
        assert_eq!(commit_url("/srv/git/deploy.git", c), None);
        assert_eq!(commit_url("file:///srv/git/deploy.git", c), None);
        assert_eq!(commit_url("https://github.com/acme/deploy.git", ""), None);
        // Never a path or a query smuggled in by the id.
        assert_eq!(
            commit_url("https://github.com/acme/deploy.git", "../../x?y"),
            None
        );
    }
}
