use std::fmt;

use crate::domain::Digest;
use crate::{Code, Error, Result};

/// `<registry name>/<repository path>@sha256:<hex>`, as written in tollgate.toml and on the
/// command line. The registry part is a registry *name* from tollgate.toml, not a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub registry: String,
    pub repository: String,
    pub digest: Digest,
}

impl ImageRef {
    /// Parse `REGISTRY/PATH@sha256:HEX`. A tag-only reference is refused: Tollgate acts on digests.
    pub fn parse(s: &str) -> Result<Self> {
        let Some((repo, digest)) = s.split_once('@') else {
            return Err(Error::new(
                Code::InvalidReference,
                format!("'{s}' has no digest: write REGISTRY/REPOSITORY@sha256:<64 hex>; tags are labels and are never enough to act on"),
            ));
        };
        let digest = Digest::parse(digest)?;
        let (registry, repository) = split_repository(repo)?;
        Ok(ImageRef {
            registry,
            repository,
            digest,
        })
    }
}

/// Docker Hub's canonical host: its aliases are written as this one.
pub(crate) const DOCKER_HUB: &str = "docker.io";

/// A registry host as references are compared by it: lower case, and Docker Hub's aliases
/// (`index.docker.io`, `registry-1.docker.io`, `registry.hub.docker.com`) as `docker.io`.
pub(crate) fn normalize_registry_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_string()
        }
        _ => host,
    }
}

/// Split `<registry name>/<repository path>` and check the path follows the OCI distribution
/// grammar (lower-case components separated by `/`, with `.`, `_`, `__`, `-` inside).
pub fn split_repository(s: &str) -> Result<(String, String)> {
    let bad = |why: &str| {
        Error::new(
            Code::InvalidReference,
            format!("'{s}' is not a repository: {why}; write <registry name>/<path>, e.g. local/payments/api"),
        )
    };
    let (registry, path) = s
        .split_once('/')
        .ok_or_else(|| bad("no registry name before '/'"))?;
    if registry.is_empty() {
        return Err(bad("the registry name is empty"));
    }
    if s.contains(':') {
        return Err(bad(
            "it contains ':' (a tag or a port); tags are not part of a repository",
        ));
    }
    if let Some(component) = path.split('/').find(|c| !is_path_component(c)) {
        return Err(bad(&format!("path component '{component}' must be lower-case letters and digits, with . _ - only inside")));
    }
    Ok((registry.to_string(), path.to_string()))
}

/// One component of a repository path, as the OCI distribution grammar has it: lower-case
/// letters and digits, with `.`, `_`, `-` only inside (never first or last).
pub fn is_path_component(c: &str) -> bool {
    c.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// A tag, as the OCI distribution grammar has it: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn is_tag(tag: &str) -> bool {
    tag.len() <= 128
        && tag
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}@{}", self.registry, self.repository, self.digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_digest_references_only() {
        let d = Digest::of(b"x");
        let r = ImageRef::parse(&format!("local/payments/api@{d}")).unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("local", "payments/api")
        );
        assert_eq!(r.digest, d);
        let bad_refs = [
            "local/payments/api:v1".to_string(),
            "local/payments/api".to_string(),
            "api@sha256:00".to_string(),
            format!("local/Payments@{d}"),
            format!("/x@{d}"),
            format!("api@{d}"),
            format!("local/payments/api:v1@{d}"),
        ];
        for bad in bad_refs {
            assert_eq!(
                ImageRef::parse(&bad).unwrap_err().code,
                Code::InvalidReference,
                "{bad}"
            );
        }
    }
}
