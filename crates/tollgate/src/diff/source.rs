//! Where the code of an image lives (`org.opencontainers.image.source`) and the link that
//! compares two of its revisions on the forge that hosts it. The link is only shown, never
//! fetched. Known forges: GitHub (and GitHub Enterprise hosts named `github.*`), GitLab
//! (`gitlab.com`, `gitlab.*`), Gitea and Forgejo (`gitea.com`, `codeberg.org`, `gitea.*`,
//! `forgejo.*`), Bitbucket Cloud (`bitbucket.org`). Any other host gets no link.

use serde::Serialize;
use ts_rs::TS;

/// The forge a source URL is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Forge {
    Github,
    Gitlab,
    /// Gitea and Forgejo (Codeberg): the same URL scheme.
    Gitea,
    Bitbucket,
}

/// A source URL reduced to `https://host/path` of the repository, with any user name or
/// token dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRepo {
    pub forge: Option<Forge>,
    /// `https://host/owner/repo` (GitLab: every group level).
    pub web: String,
}

fn forge_of(host: &str) -> Option<Forge> {
    let first = host.split('.').next().unwrap_or("");
    match host {
        "github.com" => Some(Forge::Github),
        "gitlab.com" => Some(Forge::Gitlab),
        "gitea.com" | "codeberg.org" => Some(Forge::Gitea),
        "bitbucket.org" => Some(Forge::Bitbucket),
        _ if host.contains('.') && first == "github" => Some(Forge::Github),
        _ if host.contains('.') && first == "gitlab" => Some(Forge::Gitlab),
        _ if host.contains('.') && (first == "gitea" || first == "forgejo") => Some(Forge::Gitea),
        _ => None,
    }
}

/// Read a source label: `https://`, `http://`, `git+https://`, `ssh://git@host/path`,
/// `git@host:path`, with or without `.git`, a trailing `/`, a query or fragment, or a deeper
/// path (`/tree/main`, GitLab's `/-/…`). `None` when it is not a URL of a repository.
pub fn parse_source(url: &str) -> Option<SourceRepo> {
    let url = url.trim();
    let url = url.strip_prefix("git+").unwrap_or(url);
    let (host_port, path) = if let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("ssh://"))
        .or_else(|| url.strip_prefix("git://"))
    {
        rest.split_once('/')?
    } else if let Some((user_host, path)) = url.split_once(':') {
        // scp-like `git@host:owner/repo.git`
        if !user_host.contains('@') || user_host.contains('/') {
            return None;
        }
        (user_host, path)
    } else {
        return None;
    };
    // Drop credentials (`user:token@`) and the port.
    let host = host_port.rsplit('@').next()?;
    let host = host.split(':').next()?.to_ascii_lowercase();
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let forge = forge_of(&host);
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match forge {
        Some(Forge::Gitlab) => {
            if let Some(i) = parts.iter().position(|p| *p == "-") {
                parts.truncate(i);
            }
        }
        Some(_) => parts.truncate(2),
        None => {}
    }
    if let Some(last) = parts.last_mut() {
        *last = last.strip_suffix(".git").unwrap_or(last);
    }
    if parts.len() < 2
        || !parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-~".contains(&b))
        })
    {
        return None;
    }
    Some(SourceRepo {
        forge,
        web: format!("https://{host}/{}", parts.join("/")),
    })
}

/// A revision that can go into a URL path as it is: a commit hash, a tag or a branch name.
fn url_safe(rev: &str) -> bool {
    !rev.is_empty()
        && rev.len() <= 128
        && rev
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !rev.starts_with(['.', '-'])
}

/// The forge's page comparing `from` (what runs now) with `to` (the candidate), when the
/// source is on a known forge and both revisions are known, differ and are URL-safe.
pub fn compare_url(source: &SourceRepo, from: &str, to: &str) -> Option<String> {
    if from == to || !url_safe(from) || !url_safe(to) {
        return None;
    }
    let web = &source.web;
    Some(match source.forge? {
        Forge::Github | Forge::Gitea => format!("{web}/compare/{from}...{to}"),
        Forge::Gitlab => format!("{web}/-/compare/{from}...{to}"),
        // Bitbucket Cloud names the newer revision first, then the older, joined by CR.
        Forge::Bitbucket => format!("{web}/branches/compare/{to}%0D{from}#diff"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(source: &str) -> Option<String> {
        compare_url(&parse_source(source)?, "aaa111", "bbb222")
    }

    #[test]
    fn github() {
        for s in [
            "https://github.com/acme/api",
            "https://github.com/acme/api.git",
            "https://github.com/acme/api/",
            "https://github.com/acme/api/tree/main/cmd",
            "git+https://github.com/acme/api.git",
            "git@github.com:acme/api.git",
            "ssh://git@github.com/acme/api",
            "https://x-access-token:ghp_secret@github.com/acme/api",
            "https://GitHub.com/acme/api",
        ] {
            assert_eq!(
                link(s).as_deref(),
                Some("https://github.com/acme/api/compare/aaa111...bbb222"),
                "{s}"
            );
        }
        assert_eq!(
            link("https://github.example.com/acme/api").as_deref(),
            Some("https://github.example.com/acme/api/compare/aaa111...bbb222")
        );
        assert!(!parse_source("https://u:ghp_secret@github.com/a/b")
            .unwrap()
            .web
            .contains("secret"));
    }

    #[test]
    fn gitlab_with_nested_groups() {
        assert_eq!(
            link("https://gitlab.com/acme/platform/api").as_deref(),
            Some("https://gitlab.com/acme/platform/api/-/compare/aaa111...bbb222")
        );
        assert_eq!(
            link("https://gitlab.com/acme/api/-/tree/main").as_deref(),
            Some("https://gitlab.com/acme/api/-/compare/aaa111...bbb222")
        );
        assert_eq!(
            link("git@gitlab.example.com:acme/api.git").as_deref(),
            Some("https://gitlab.example.com/acme/api/-/compare/aaa111...bbb222")
        );
    }

    #[test]
    fn gitea_and_forgejo() {
        for (s, web) in [
            ("https://gitea.com/acme/api", "https://gitea.com/acme/api"),
            (
                "https://codeberg.org/acme/api.git",
                "https://codeberg.org/acme/api",
            ),
            (
                "https://gitea.example.com/acme/api",
                "https://gitea.example.com/acme/api",
            ),
            (
                "https://forgejo.example.com:3000/acme/api",
                "https://forgejo.example.com/acme/api",
            ),
        ] {
            assert_eq!(
                link(s),
                Some(format!("{web}/compare/aaa111...bbb222")),
                "{s}"
            );
        }
    }

    #[test]
    fn bitbucket_names_the_newer_revision_first() {
        assert_eq!(
            link("https://bitbucket.org/acme/api").as_deref(),
            Some("https://bitbucket.org/acme/api/branches/compare/bbb222%0Daaa111#diff")
        );
        assert_eq!(
            link("git@bitbucket.org:acme/api.git").as_deref(),
            Some("https://bitbucket.org/acme/api/branches/compare/bbb222%0Daaa111#diff")
        );
    }

    #[test]
    fn no_link_for_unknown_hosts_odd_revisions_or_non_urls() {
        assert_eq!(link("https://git.example.com/payments/api"), None);
        assert!(parse_source("https://git.example.com/payments/api").is_some());
        for s in [
            "",
            "api",
            "https://github.com/acme",
            "/local/path",
            "https://github.com/a b/c",
        ] {
            assert_eq!(link(s), None, "{s}");
        }
        let gh = parse_source("https://github.com/acme/api").unwrap();
        assert_eq!(compare_url(&gh, "abc", "abc"), None, "same revision");
        assert_eq!(compare_url(&gh, "abc", "x/../y"), None);
        assert_eq!(compare_url(&gh, "abc", "a?b"), None);
        assert_eq!(compare_url(&gh, "", "abc"), None);
        assert_eq!(
            compare_url(&gh, "v1.2.0", "v1.3.0").as_deref(),
            Some("https://github.com/acme/api/compare/v1.2.0...v1.3.0")
        );
    }
}
