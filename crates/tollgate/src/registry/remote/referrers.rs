//! What team sharing needs from a registry: the OCI 1.1 referrers API
//! (`GET /v2/<name>/referrers/<digest>`), manifests pushed by digest, and small blobs read whole.
//! A local OCI layout is not supported for team sharing: these answer that in one line.

use reqwest::StatusCode;

use super::tags::next_link;
use super::{Call, Remote};
use crate::domain::Digest;
use crate::registry::auth::Scope;
use crate::registry::{validate_repository, Backend, Registry, MAX_MANIFEST_BYTES};
use crate::{Code, Error, Result};

/// Pages of a referrers answer followed at most.
const MAX_REFERRER_PAGES: usize = 100;

impl Remote {
    /// The referrers of `digest` (every page, merged into one image index), or `None` when the
    /// registry has no referrers API (a plain `404 page not found`, as distribution 2.8 answers).
    /// Bounded: all pages together are refused (`Code::TooLarge`) over `max_bytes` or
    /// `max_entries`, and no page is held beyond what is left of `max_bytes`.
    async fn get_referrers(
        &self,
        repository: &str,
        digest: &Digest,
        artifact_type: Option<&str>,
        max_bytes: usize,
        max_entries: usize,
    ) -> Result<Option<Vec<u8>>> {
        let what = format!("listing the referrers of {repository}@{digest}");
        let scopes = [Scope::pull(repository)];
        let mut url = self.url(&format!("v2/{repository}/referrers/{digest}"));
        if let Some(t) = artifact_type {
            url.query_pairs_mut().append_pair("artifactType", t);
        }
        let mut manifests: Vec<serde_json::Value> = Vec::new();
        let mut first: Option<serde_json::Value> = None;
        let mut read = 0usize;
        for _ in 0..MAX_REFERRER_PAGES {
            let call = Call::get(url.clone(), &scopes, &what, repository)
                .accept("application/vnd.oci.image.index.v1+json");
            let reply = self.call(&call).await?;
            let status = reply.resp.status();
            if status == StatusCode::NOT_FOUND {
                let body = self
                    .read_body(reply, 64 * 1024, &call)
                    .await
                    .unwrap_or_default();
                // A registry with the API answers a distribution error (JSON) for a repository
                // it does not know; a registry without it answers a plain page-not-found.
                let is_api_error = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .is_some_and(|v| v.get("errors").is_some());
                if is_api_error && first.is_none() {
                    return Ok(Some(empty_index()));
                }
                return Ok(None);
            }
            if !status.is_success() {
                return Err(self.status_error(reply, &call).await);
            }
            let next = next_link(reply.resp.headers());
            let left = max_bytes.saturating_sub(read).min(MAX_MANIFEST_BYTES);
            let body = self.read_body(reply, left, &call).await.map_err(|e| {
                if e.code == Code::TooLarge {
                    over_cap(&self.host, &what, &format!("more than {max_bytes} bytes"))
                } else {
                    e
                }
            })?;
            read += body.len();
            let page: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                Error::new(Code::Protocol, format!("registry {} answered {what} with something that is not an image index ({e})", self.host))
            })?;
            if let Some(list) = page.get("manifests").and_then(|m| m.as_array()) {
                if manifests.len() + list.len() > max_entries {
                    return Err(over_cap(
                        &self.host,
                        &what,
                        &format!("more than {max_entries} entries"),
                    ));
                }
                manifests.extend(list.iter().cloned());
            }
            if first.is_none() {
                first = Some(page);
            }
            match next {
                Some(link) => {
                    let next = self.base.join(&link).map_err(|e| {
                        Error::new(Code::Protocol, format!("registry {} sent an invalid next-page link '{link}' while {what} ({e})", self.host))
                    })?;
                    if next.origin() != self.base.origin() {
                        return Err(Error::new(Code::Protocol, format!("registry {} sent a next-page link to another host while {what}; refusing to follow it", self.host)));
                    }
                    url = next;
                }
                None => break,
            }
        }
        let mut index = first.unwrap_or_else(|| serde_json::json!({}));
        index["schemaVersion"] = serde_json::json!(2);
        index["mediaType"] = serde_json::json!(crate::registry::OCI_INDEX);
        index["manifests"] = serde_json::Value::Array(manifests);
        Ok(Some(serde_json::to_vec(&index).map_err(|e| {
            Error::internal(format!("referrers index to JSON: {e}"))
        })?))
    }
}

/// A referrers answer over the caps the caller set.
fn over_cap(host: &str, what: &str, how: &str) -> Error {
    Error::new(
        Code::TooLarge,
        format!("registry {host} answered {what} with {how}"),
    )
}

fn empty_index() -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[]}}"#,
        crate::registry::OCI_INDEX
    )
    .into_bytes()
}

impl Registry {
    fn remote_for_team(&self) -> Result<&Remote> {
        match &self.inner.backend {
            Backend::Remote(r) => Ok(r),
            Backend::Layout(l) => Err(Error::new(
                Code::BadInput,
                format!(
                    "OCI layout {} is not supported for team sharing; share through a registry (set [team] ledger to a repository of one, or set [team] share = false)",
                    l.root().display()
                ),
            )),
        }
    }

    /// The referrers API answer for `digest` in `repository` (an image index, every page),
    /// `None` when the registry has no referrers API. One request per page; refused
    /// (`Code::TooLarge`) over `max_bytes` read or `max_entries` listed, all pages together.
    pub async fn referrers(
        &self,
        repository: &str,
        digest: &Digest,
        artifact_type: Option<&str>,
        max_bytes: usize,
        max_entries: usize,
    ) -> Result<Option<Vec<u8>>> {
        validate_repository(repository)?;
        self.remote_for_team()?
            .get_referrers(repository, digest, artifact_type, max_bytes, max_entries)
            .await
    }

    /// Push manifest bytes by digest only (no tag). Returns their digest.
    pub async fn push_manifest_by_digest(
        &self,
        repository: &str,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Digest> {
        validate_repository(repository)?;
        self.remote_for_team()?;
        self.put_manifest(repository, None, bytes, media_type).await
    }

    /// A whole blob, checked to hash to `digest`, refused over `limit` bytes.
    pub async fn fetch_blob(
        &self,
        repository: &str,
        digest: &Digest,
        limit: usize,
        kind: &str,
    ) -> Result<Vec<u8>> {
        validate_repository(repository)?;
        self.read_blob(repository, digest, limit, kind).await
    }

    /// Whether this registry can hold a team's history (a remote registry, not an OCI layout).
    pub fn supports_team_sharing(&self) -> Result<()> {
        self.remote_for_team().map(|_| ())
    }

    /// "HOST" of a remote registry, or the layout folder, for messages.
    pub fn display_name(&self) -> String {
        match &self.inner.backend {
            Backend::Remote(r) => r.host().to_string(),
            Backend::Layout(l) => l.root().display().to_string(),
        }
    }
}
