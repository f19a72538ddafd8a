//! `[[git]]`: the deployment repositories whose files are environments
//! (docs/src/contracts/deployment-repositories.md).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::model::is_loopback;
use crate::{Error, Result};

/// `[[git]]`: a deployment repository whose files are environments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitConfig {
    pub name: String,
    /// `ssh://…`, `https://…`, `file://…`, scp-like `user@host:path`, or a local path (relative
    /// to tollgate.toml). Credentials are never written here: the user's SSH config, agent and
    /// git credential helpers supply them.
    pub url: String,
    /// The branch Argo CD / Flux applies (default `main`).
    #[serde(default = "branch_default")]
    pub branch: String,
    /// How promotions reach the branch: `direct` (push fast-forward) or `branch` (push
    /// `tollgate/<app>-<env>-<hex12>` for review).
    #[serde(default)]
    pub push: PushMode,
}

fn branch_default() -> String {
    "main".into()
}

/// `[[git]] push`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushMode {
    /// Push the signed commit to the branch, fast-forward only.
    #[default]
    Direct,
    /// Push the signed commit to a review branch; the stay begins when it reaches the branch.
    Branch,
}

/// Where a `[[git]]` url points, once understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitLocation {
    /// A remote git speaks to (`ssh://`, `https://`, `http://` on loopback, scp-like): the url
    /// as written.
    Remote { url: String },
    /// A repository on this machine (`file://` or a path), absolute.
    Local { path: PathBuf },
}

impl GitConfig {
    /// The url understood; a local path is resolved against `base_dir` (tollgate.toml's folder).
    pub fn location(&self, base_dir: &Path) -> Result<GitLocation> {
        let bad = |why: &str| {
            Error::config(format!(
                "git '{}': url '{}' {why}; write ssh://host/path.git, https://host/path.git, git@host:path.git, file:///abs/path or a local path",
                self.name,
                crate::domain::redact(&self.url)
            ))
        };
        let url = self.url.trim();
        if url.is_empty() {
            return Err(bad("is empty"));
        }
        if url.chars().any(|c| c.is_control() || c == ' ') {
            return Err(bad("holds a space or a control character"));
        }
        if url.starts_with('-') {
            return Err(bad("starts with '-'"));
        }
        if let Some((scheme, rest)) = url.split_once("://") {
            let (authority, _) = rest.split_once('/').unwrap_or((rest, ""));
            return match scheme {
                "file" => {
                    if rest.is_empty() || !rest.starts_with('/') {
                        return Err(bad("is not file:///absolute/path"));
                    }
                    Ok(GitLocation::Local {
                        path: PathBuf::from(rest),
                    })
                }
                "ssh" | "https" => {
                    if authority.is_empty() {
                        return Err(bad("names no host"));
                    }
                    if scheme == "https" && authority.contains('@') {
                        return Err(bad("holds a user or password; credentials belong in git's credential helper, never in tollgate.toml"));
                    }
                    Ok(GitLocation::Remote {
                        url: url.to_string(),
                    })
                }
                "http" => {
                    let host = authority.rsplit('@').next().unwrap_or(authority);
                    if !is_loopback(host) {
                        return Err(bad("uses plain http for a host that is not loopback; use https:// or ssh://"));
                    }
                    Ok(GitLocation::Remote {
                        url: url.to_string(),
                    })
                }
                _ => Err(bad("has an unknown scheme")),
            };
        }
        // git's scp-like form: `[user@]host:path`, a colon before any slash.
        if let Some((host, _)) = url.split_once(':') {
            if !host.is_empty() && !host.contains('/') {
                return Ok(GitLocation::Remote {
                    url: url.to_string(),
                });
            }
        }
        Ok(GitLocation::Local {
            path: base_dir.join(url),
        })
    }
}

/// A `[[git]]` name is a folder name of the clone: letters, digits, `_ . -`.
fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty()
        || name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(format!(
            "'{name}' is not a valid name (letters, digits, _ . -, not starting with .)"
        ));
    }
    Ok(())
}

/// A branch name git accepts (`git check-ref-format --branch`'s rules, the common ones).
pub(super) fn check_branch(branch: &str) -> std::result::Result<(), String> {
    let bad = branch.is_empty()
        || branch.starts_with('-')
        || branch.starts_with('/')
        || branch.ends_with('/')
        || branch.ends_with('.')
        || branch.ends_with(".lock")
        || branch.contains("..")
        || branch.contains("//")
        || branch.contains("@{")
        || branch.split('/').any(|c| c.starts_with('.'))
        || branch
            .chars()
            .any(|c| c.is_control() || " ~^:?*[\\".contains(c));
    if bad {
        return Err(format!(
            "branch '{branch}' is not a valid git branch name; write it as `git branch` shows it (main, release/1.x)"
        ));
    }
    Ok(())
}

/// A git environment's `git`, `file` and `image`, checked against the `[[git]]` entries.
pub(super) fn check_target(
    target: &super::GitTarget,
    entries: &[GitConfig],
) -> std::result::Result<(), String> {
    if !entries.iter().any(|g| g.name == target.git) {
        let known: Vec<&str> = entries.iter().map(|g| g.name.as_str()).collect();
        return Err(format!(
            "git = '{}' names no [[git]] entry (known: {}); add a [[git]] entry with that name, or correct it",
            target.git,
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        ));
    }
    let file = &target.file;
    let bad_file = file.is_empty()
        || file.starts_with('/')
        || file.ends_with('/')
        || file.contains('\\')
        || file.chars().any(char::is_control)
        || file
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad_file {
        return Err(format!(
            "file = '{file}' is not a path inside the repository; write it relative to the repository's root with / between folders (apps/api/deployment.yaml)"
        ));
    }
    if let Some(image) = &target.image {
        if image.is_empty() || image.split('.').any(|p| p.trim().is_empty()) {
            return Err(format!(
                "image = '{image}' is not a dotted path to a value; write it like api.image or images.0.digest"
            ));
        }
    }
    Ok(())
}

impl GitConfig {
    /// The entry's own checks: its name, url and branch.
    pub(super) fn check(&self, base_dir: &Path) -> Result<()> {
        check_name(&self.name).map_err(|m| Error::config(format!("git '{}': {m}", self.name)))?;
        self.location(base_dir)?;
        check_branch(&self.branch).map_err(|m| Error::config(format!("git '{}': {m}", self.name)))
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::config::{EnvTarget, GitTarget, Workspace};
    use crate::Code;

    const BASE: &str = r#"[workspace]
name = "p"
database = "t.db"

[[registries]]
name = "ghcr"
url = "https://ghcr.io"

[[registries]]
name = "layout"
url = "oci:images"

[[git]]
name = "deploy"
url = "ssh://git@git.example.com/acme/deploy.git"

[[apps]]
name = "api"
repository = "ghcr/acme/api"
environments = [
  { name = "staging", tag = "staging" },
  { name = "production", git = "deploy", file = "apps/api/production/deployment.yaml" },
]
"#;

    fn load(text: &str) -> crate::Result<Workspace> {
        Workspace::from_str(text, Path::new("/w/tollgate.toml"), None)
    }

    fn refused(text: &str, needle: &str) -> String {
        let e = load(text).unwrap_err();
        assert_eq!(e.code, Code::Config, "{}", e.message);
        assert!(
            e.message.contains(needle),
            "{needle:?} not in: {}",
            e.message
        );
        assert!(!e.message.contains('\n'), "{}", e.message);
        e.message
    }

    #[test]
    fn the_contract_example_loads_with_its_defaults() {
        let ws = load(BASE).unwrap();
        let git = ws.git("deploy").unwrap();
        assert_eq!(git.branch, "main");
        assert_eq!(git.push, PushMode::Direct);
        let app = ws.app("api").unwrap();
        let prod = ws.env(app, "production").unwrap();
        assert_eq!(
            prod.target,
            EnvTarget::Git(GitTarget {
                git: "deploy".into(),
                file: "apps/api/production/deployment.yaml".into(),
                image: None
            })
        );
        assert_eq!(prod.tag(), None);
        assert_eq!(prod.place(), "deploy:apps/api/production/deployment.yaml");
        assert_eq!(ws.env(app, "staging").unwrap().tag(), Some("staging"));
        assert_eq!(
            ws.git_clone_dir("deploy"),
            PathBuf::from("/w/t.db.gitops/deploy.git")
        );
        let branch = BASE.replace(
            "acme/deploy.git\"\n",
            "acme/deploy.git\"\nbranch = \"release/1.x\"\npush = \"branch\"\n",
        );
        let ws = load(&branch).unwrap();
        assert_eq!(ws.git("deploy").unwrap().branch, "release/1.x");
        assert_eq!(ws.git("deploy").unwrap().push, PushMode::Branch);
    }

    #[test]
    fn an_environment_names_exactly_one_target() {
        let both = BASE.replace(
            "{ name = \"production\", git",
            "{ name = \"production\", tag = \"production\", git",
        );
        let m = refused(&both, "never both");
        assert!(m.contains("line 22") || m.contains("line 2"), "{m}");
        refused(
            &BASE.replace(", file = \"apps/api/production/deployment.yaml\"", ""),
            "names `git` but no `file`",
        );
        refused(
            &BASE.replace("git = \"deploy\", ", ""),
            "names `file` but no `git`",
        );
        refused(
            &BASE.replace(
                "{ name = \"staging\", tag = \"staging\" }",
                "{ name = \"staging\" }",
            ),
            "names no target",
        );
        refused(
            &BASE.replace(
                "tag = \"staging\"",
                "tag = \"staging\", image = \"api.image\"",
            ),
            "needs `git` and `file`",
        );
        refused(
            &BASE.replace("git = \"deploy\"", "git = \"infra\""),
            "git = 'infra' names no [[git]] entry (known: deploy)",
        );
    }

    #[test]
    fn files_selectors_and_registries_are_checked() {
        for file in [
            "/etc/passwd",
            "../x.yaml",
            "apps//x.yaml",
            "apps/./x.yaml",
            "apps/",
            "a\\b.yaml",
        ] {
            refused(
                &BASE.replace("apps/api/production/deployment.yaml", file),
                "is not a path inside the repository",
            );
        }
        refused(
            &BASE.replace(
                "production/deployment.yaml\" }",
                "production/deployment.yaml\", image = \"api..image\" }",
            ),
            "is not a dotted path",
        );
        refused(
            &BASE.replace(
                "name = \"production\", git",
                "name = \"production\", repository = \"layout/acme/api\", git",
            ),
            "local OCI layout",
        );
        let twice = BASE.replace(
            "deployment.yaml\" },\n]",
            "deployment.yaml\" },\n  { name = \"prod2\", git = \"deploy\", file = \"apps/api/production/deployment.yaml\" },\n]",
        );
        refused(&twice, "is environment 'production' already");
    }

    #[test]
    fn urls_branches_and_names() {
        let base = Path::new("/w");
        let entry = |url: &str| GitConfig {
            name: "deploy".into(),
            url: url.into(),
            branch: "main".into(),
            push: PushMode::Direct,
        };
        for url in [
            "ssh://git@h/acme/d.git",
            "https://github.com/acme/d.git",
            "git@github.com:acme/d.git",
            "http://127.0.0.1:3000/acme/d.git",
        ] {
            assert_eq!(
                entry(url).location(base).unwrap(),
                GitLocation::Remote { url: url.into() },
                "{url}"
            );
        }
        assert_eq!(
            entry("file:///srv/deploy.git").location(base).unwrap(),
            GitLocation::Local {
                path: PathBuf::from("/srv/deploy.git")
            }
        );
        assert_eq!(
            entry("deploy.git").location(base).unwrap(),
            GitLocation::Local {
                path: PathBuf::from("/w/deploy.git")
            }
        );
        for (url, why) in [
            ("", "is empty"),
            ("ftp://h/x.git", "unknown scheme"),
            ("http://git.example.com/x.git", "plain http"),
            ("https://bob:hunter2@h/x.git", "credential helper"),
            ("file://relative", "file:///absolute"),
            ("--upload-pack=evil", "starts with '-'"),
        ] {
            let e = entry(url).location(base).unwrap_err();
            assert!(e.message.contains(why), "{url}: {}", e.message);
            assert!(!e.message.contains("hunter2"), "{}", e.message);
        }
        for branch in ["", "-x", "a..b", "a b", "x.lock", "a:b", ".hidden", "a/"] {
            assert!(check_branch(branch).is_err(), "{branch:?}");
        }
        for branch in ["main", "release/1.x", "env-prod"] {
            assert!(check_branch(branch).is_ok(), "{branch:?}");
        }
        refused(
            &BASE.replace("name = \"deploy\"\n", "name = \"de/ploy\"\n"),
            "not a valid name",
        );
        refused(
            &BASE.replace("deploy.git\"\n", "deploy.git\"\nbranch = \"a..b\"\n"),
            "not a valid git branch name",
        );
        refused(
            &BASE.replace("deploy.git\"\n", "deploy.git\"\npush = \"force\"\n"),
            "force",
        );
    }
}
