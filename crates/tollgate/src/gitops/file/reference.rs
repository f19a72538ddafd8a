//! Image references as deployment files write them (`ghcr.io/acme/api:v1@sha256:...`), and the
//! matcher that says whether one is the app's repository.

use std::fmt;

use crate::config::{RegistryLocation, Workspace};
use crate::domain::reference::{is_path_component, is_tag};
use crate::domain::Digest;
use crate::{Code, Error, Result};

/// The registry host Docker Hub references mean when they name none (`nginx`, `acme/api`).
use crate::domain::reference::DOCKER_HUB;

/// An image reference as a deployment file writes it: `[host[:port]/]path[:tag][@sha256:hex]`.
///
/// The host is lower-cased; a reference without one is Docker Hub's (`docker.io`, and a
/// one-component path gains `library/`), as container runtimes read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReference {
    /// `host[:port]`, lower case; Docker Hub's aliases are `docker.io`.
    pub host: String,
    /// The repository path inside the registry (`acme/api`).
    pub path: String,
    /// The tag, if the reference names one (`v1` in `api:v1` and in `api:v1@sha256:...`).
    pub tag: Option<String>,
    /// The digest, if the reference pins one.
    pub digest: Option<Digest>,
    /// The name part (`host/path`) exactly as written, so an edit keeps its spelling.
    pub(crate) written_name: String,
}

impl FileReference {
    /// Parse a reference as a container runtime would. A digest must be
    /// `sha256:<64 lower-case hex>`; anything else that is not a reference is an error that
    /// says what is wrong.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::new(
                Code::InvalidReference,
                format!("'{s}' is not an image reference: {why}"),
            )
        };
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains white space"));
        }
        let (name_tag, digest) = match s.split_once('@') {
            Some((name_tag, digest)) => {
                let digest = Digest::parse(digest).map_err(|e| bad(&e.message))?;
                (name_tag, Some(digest))
            }
            None => (s, None),
        };
        let (name, tag) = match name_tag.rfind(':') {
            Some(i) if !name_tag[i..].contains('/') => {
                (&name_tag[..i], Some(name_tag[i + 1..].to_string()))
            }
            _ => (name_tag, None),
        };
        if let Some(tag) = &tag {
            if !is_tag(tag) {
                return Err(bad(&format!(
                    "tag '{tag}' must be letters, digits, '_', '.' and '-' (at most 128)"
                )));
            }
        }
        let (host, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                (normalize_host(first), rest.to_string())
            }
            Some(_) => (DOCKER_HUB.to_string(), name.to_string()),
            None => (DOCKER_HUB.to_string(), format!("library/{name}")),
        };
        check_host(&host).map_err(|why| bad(&why))?;
        check_path(&path).map_err(|why| bad(&why))?;
        Ok(FileReference {
            host,
            path,
            tag,
            digest,
            written_name: name.to_string(),
        })
    }

    /// The same reference pinned to `digest`: the name as written, the tag kept only when the
    /// reference already pinned a digest beside it (`tag@digest`), then `@digest`.
    pub(crate) fn pinned_to(&self, digest: &Digest) -> String {
        match (&self.tag, &self.digest) {
            (Some(tag), Some(_)) => format!("{}:{tag}@{digest}", self.written_name),
            _ => format!("{}@{digest}", self.written_name),
        }
    }
}

/// Docker Hub's aliases are one registry.
fn normalize_host(host: &str) -> String {
    crate::domain::reference::normalize_registry_host(host)
}

fn check_host(host: &str) -> std::result::Result<(), String> {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if name_ok && port_ok {
        Ok(())
    } else {
        Err(format!(
            "registry host '{host}' must be a host name with an optional :port"
        ))
    }
}

fn check_path(path: &str) -> std::result::Result<(), String> {
    match path.split('/').find(|c| !is_path_component(c)) {
        Some(component) => Err(format!(
            "path component '{component}' must be lower-case letters and digits, with . _ - only inside"
        )),
        None => Ok(()),
    }
}

/// The app's repository as deployment files name it: a registry `host[:port]` (the app's
/// `repository` resolved through `[[registries]]`) and the path inside it. A reference matches
/// when its host and port and its path are these (host case and Docker Hub's aliases aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryMatcher {
    host: String,
    path: String,
}

impl RepositoryMatcher {
    /// `host` is `host[:port]` (no scheme, no path), `path` the repository path (`acme/api`).
    pub fn new(host: &str, path: &str) -> Result<Self> {
        let bad = |why: String| {
            Error::new(
                Code::InvalidReference,
                format!("'{host}/{path}' cannot be matched against deployment files: {why}"),
            )
        };
        if host.contains('/') || host.contains('@') {
            return Err(bad(format!(
                "host '{host}' must be host[:port] only, without a scheme, path or user"
            )));
        }
        let host = normalize_host(host);
        check_host(&host).map_err(bad)?;
        check_path(path).map_err(bad)?;
        Ok(RepositoryMatcher {
            host,
            path: path.to_string(),
        })
    }

    /// The references to `repository` (`<registry name>/<path>` in `ws`): its `[[registries]]`
    /// entry's host and the path. A registry without a host (an `oci:` layout folder) is
    /// refused: no deployment file can name it (tollgate.toml's checks refuse it too).
    pub fn for_repository(ws: &Workspace, repository: &str) -> Result<Self> {
        let (_, location, path) = ws.resolve_repository(repository)?;
        match location {
            RegistryLocation::Remote { host, .. } => RepositoryMatcher::new(&host, &path),
            RegistryLocation::Layout { root } => Err(Error::config(format!(
                "{repository} is an OCI layout folder ({}): a deployment file cannot reference it; put the app's repository in a [[registries]] entry with an https:// url",
                root.display()
            ))),
        }
    }

    /// Whether `reference` names this repository (same host and port, same path).
    pub fn matches(&self, reference: &FileReference) -> bool {
        reference.host == self.host && reference.path == self.path
    }

    /// Whether `text` starts like a reference to this repository, so that a value that does
    /// not parse is reported rather than passed over as someone else's image.
    pub(crate) fn looks_like(&self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        let prefix = format!("{}/{}", self.host, self.path);
        lower.strip_prefix(&prefix).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with([':', '@']) || rest.starts_with(char::is_whitespace)
        })
    }
}

impl fmt::Display for RepositoryMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.host, self.path)
    }
}
