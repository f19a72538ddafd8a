//! Manifests: resolving tags, reading and pushing manifests.

use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;

use super::{Call, Remote, DIGEST_HEADER};
use crate::domain::Digest;
use crate::registry::auth::Scope;
use crate::registry::media::{essence, MANIFEST_ACCEPT};
use crate::{Code, Error, Result};

impl Remote {
    /// HEAD the tag: one request over a kept-alive connection.
    pub(crate) async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Digest>> {
        let what = format!("resolving tag {repository}:{tag}");
        let scopes = [Scope::pull(repository)];
        let url = self.url(&format!("v2/{repository}/manifests/{tag}"));
        let call = Call::head(url, &scopes, &what, repository).accept(MANIFEST_ACCEPT);
        let reply = self.call(&call).await?;
        match reply.resp.status() {
            StatusCode::NOT_FOUND => return Ok(None),
            s if s.is_success() => {}
            _ => return Err(self.status_error(reply, &call).await),
        }
        if let Some(d) = reply
            .resp
            .headers()
            .get(DIGEST_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            let d = Digest::parse(d.trim()).map_err(|_| {
                Error::new(Code::Protocol, format!("registry {} answered {what} with digest '{d}', which is not sha256:<64 hex>; Tollgate only handles sha256 manifests", self.host))
            })?;
            return Ok(Some(d));
        }
        // No Docker-Content-Digest header: read the manifest and hash it.
        drop(reply);
        match self.get_manifest(repository, tag, &what).await {
            Ok((bytes, _)) => Ok(Some(Digest::of(&bytes))),
            Err(e) if e.code == Code::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET a manifest by tag or digest, refusing more than `MAX_MANIFEST_BYTES`.
    /// Returns the bytes and the `Content-Type`. The caller checks the digest.
    pub(crate) async fn get_manifest(
        &self,
        repository: &str,
        reference: &str,
        what: &str,
    ) -> Result<(Vec<u8>, Option<String>)> {
        self.get_manifest_claimed(
            repository,
            reference,
            what,
            crate::registry::MAX_MANIFEST_BYTES,
        )
        .await
        .map(|(bytes, content_type, _)| (bytes, content_type))
    }

    /// [`Self::get_manifest`] refusing more than `limit` bytes (read as they come: no more is
    /// held), plus the digest the registry claims for it (`Docker-Content-Digest`), for the
    /// caller to check against the bytes.
    pub(crate) async fn get_manifest_claimed(
        &self,
        repository: &str,
        reference: &str,
        what: &str,
        limit: usize,
    ) -> Result<(Vec<u8>, Option<String>, Option<String>)> {
        let scopes = [Scope::pull(repository)];
        let url = self.url(&format!("v2/{repository}/manifests/{reference}"));
        let call = Call::get(url, &scopes, what, repository).accept(MANIFEST_ACCEPT);
        let reply = self.call(&call).await?;
        if !reply.resp.status().is_success() {
            return Err(self.status_error(reply, &call).await);
        }
        let content_type = reply
            .resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| essence(s).to_string());
        let claimed = reply
            .resp
            .headers()
            .get(DIGEST_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string());
        let bytes = self.read_body(reply, limit, &call).await?;
        Ok((bytes, content_type, claimed))
    }

    /// PUT manifest bytes under a tag or a digest, exactly as given. The registry must report
    /// the digest of those bytes.
    pub(crate) async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<()> {
        let digest = Digest::of(bytes);
        let what = format!("pushing manifest {digest} to {repository}:{reference}");
        let scopes = [Scope::push(repository)];
        let url = self.url(&format!("v2/{repository}/manifests/{reference}"));
        let call = Call::put(url, &scopes, &what, repository).body(media_type, bytes);
        let reply = self.call(&call).await?;
        if !reply.resp.status().is_success() {
            return Err(self.status_error(reply, &call).await);
        }
        if let Some(d) = reply
            .resp
            .headers()
            .get(DIGEST_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            if d.trim() != digest.as_str() {
                return Err(Error::new(
                    Code::DigestMismatch,
                    format!("registry {} stored the manifest pushed to {repository}:{reference} as {d}, not as {digest}: it rewrote the bytes; do not use this registry for promotion", self.host),
                ));
            }
        }
        Ok(())
    }
}
