//! Blobs: existence checks, reads (whole or streamed), uploads and cross-repository mounts.

use futures::StreamExt;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::{Response, StatusCode, Url};

use super::{Call, Remote, Reply};
use crate::domain::Digest;
use crate::registry::auth::Scope;
use crate::registry::BlobStream;
use crate::{Code, Error, Result};

impl Remote {
    pub(crate) async fn blob_exists(&self, repository: &str, digest: &Digest) -> Result<bool> {
        let what = format!("checking blob {digest} in {repository}");
        let scopes = [Scope::pull(repository)];
        let url = self.url(&format!("v2/{repository}/blobs/{digest}"));
        let call = Call::head(url, &scopes, &what, repository);
        let reply = self.call(&call).await?;
        match reply.resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.status_error(reply, &call).await),
        }
    }

    /// GET a whole blob into memory, refusing more than `limit` bytes. The caller checks the digest.
    pub(crate) async fn get_blob(
        &self,
        repository: &str,
        digest: &Digest,
        limit: usize,
    ) -> Result<Vec<u8>> {
        let what = format!("reading blob {digest} of {repository}");
        let scopes = [Scope::pull(repository)];
        let url = self.url(&format!("v2/{repository}/blobs/{digest}"));
        let call = Call::get(url, &scopes, &what, repository);
        let reply = self.call(&call).await?;
        if !reply.resp.status().is_success() {
            return Err(self.status_error(reply, &call).await);
        }
        self.read_body(reply, limit, &call).await
    }

    /// GET a blob as a stream (for copies). Its length when the registry says it.
    pub(crate) async fn open_blob(
        &self,
        repository: &str,
        digest: &Digest,
    ) -> Result<(Option<u64>, BlobStream)> {
        let what = format!("reading blob {digest} of {repository}");
        let scopes = [Scope::pull(repository)];
        let url = self.url(&format!("v2/{repository}/blobs/{digest}"));
        let call = Call::get(url, &scopes, &what, repository);
        let reply = self.call(&call).await?;
        if !reply.resp.status().is_success() {
            return Err(self.status_error(reply, &call).await);
        }
        let len = reply.resp.content_length();
        let permit = reply._permit;
        let stream = reply.resp.bytes_stream().map(move |chunk| {
            let _slot = &permit;
            chunk.map(|b| b.to_vec()).map_err(std::io::Error::other)
        });
        Ok((len, Box::pin(stream)))
    }

    /// Start an upload session; its `Location`.
    async fn start_upload(&self, repository: &str, digest: &Digest) -> Result<Url> {
        let what = format!("starting the upload of blob {digest} to {repository}");
        let scopes = [Scope::push(repository)];
        let url = self.url(&format!("v2/{repository}/blobs/uploads/"));
        let call = Call::post(url, &scopes, &what, repository);
        let reply = self.call(&call).await?;
        if reply.resp.status() != StatusCode::ACCEPTED {
            return Err(self.status_error(reply, &call).await);
        }
        self.location(&reply.resp, &what)
    }

    fn location(&self, resp: &Response, what: &str) -> Result<Url> {
        let loc = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                Error::new(
                    Code::Protocol,
                    format!(
                        "registry {} answered {what} without a Location header",
                        self.host
                    ),
                )
            })?;
        let url = self.base.join(loc).map_err(|e| {
            Error::new(
                Code::Protocol,
                format!(
                    "registry {} answered {what} with an invalid Location ({e})",
                    self.host
                ),
            )
        })?;
        if url.origin() != self.base.origin() {
            // Uploads redirected elsewhere (a storage backend) are fine, but must not carry our credentials.
            tracing::debug!(host = %self.host, "upload location on another origin");
        }
        Ok(url)
    }

    /// Upload a blob held in memory (monolithic POST + PUT). Skips it if already there.
    pub(crate) async fn put_blob(
        &self,
        repository: &str,
        digest: &Digest,
        bytes: &[u8],
    ) -> Result<()> {
        if self.blob_exists(repository, digest).await? {
            return Ok(());
        }
        let mut url = self.start_upload(repository, digest).await?;
        url.query_pairs_mut().append_pair("digest", digest.as_str());
        let what = format!("uploading blob {digest} to {repository}");
        let scopes = [Scope::push(repository)];
        let call =
            Call::put(url, &scopes, &what, repository).body("application/octet-stream", bytes);
        let reply = self.call(&call).await?;
        if !reply.resp.status().is_success() {
            return Err(self.status_error(reply, &call).await);
        }
        Ok(())
    }

    /// Upload a blob from a stream (one attempt: a stream cannot be replayed).
    pub(crate) async fn put_blob_stream(
        &self,
        repository: &str,
        digest: &Digest,
        size: Option<u64>,
        stream: BlobStream,
    ) -> Result<()> {
        let mut url = self.start_upload(repository, digest).await?;
        url.query_pairs_mut().append_pair("digest", digest.as_str());
        let what = format!("uploading blob {digest} to {repository}");
        let scopes = [Scope::push(repository)];
        // No request slot is taken here: the source stream feeding this upload holds one (a
        // slot for each side could deadlock copies within one registry).
        let header = self.authorization(&scopes, &what).await?;
        let mut rb = self
            .http
            .put(url.clone())
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(reqwest::Body::wrap_stream(stream));
        if let Some(size) = size {
            rb = rb.header(CONTENT_LENGTH, size);
        }
        if let Some(h) = header.filter(|_| url.origin() == self.base.origin()) {
            rb = rb.header(AUTHORIZATION, h);
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| self.transport_error(&e, &what))?;
        if resp.status().is_success() {
            return Ok(());
        }
        let call = Call::put(url, &scopes, &what, repository);
        Err(self
            .status_error(
                Reply {
                    resp,
                    attempts: 1,
                    _permit: None,
                },
                &call,
            )
            .await)
    }

    /// Ask the registry to mount `digest` from `from` into `repository`. `false` when it
    /// would rather have the bytes (it does not have the blob, or does not mount).
    pub(crate) async fn mount_blob(
        &self,
        repository: &str,
        from: &str,
        digest: &Digest,
    ) -> Result<bool> {
        let what = format!("mounting blob {digest} from {from} into {repository}");
        let scopes = [Scope::push(repository), Scope::pull(from)];
        let mut url = self.url(&format!("v2/{repository}/blobs/uploads/"));
        url.query_pairs_mut()
            .append_pair("mount", digest.as_str())
            .append_pair("from", from);
        let call = Call::post(url, &scopes, &what, repository);
        let reply = self.call(&call).await?;
        match reply.resp.status() {
            StatusCode::CREATED => Ok(true),
            StatusCode::ACCEPTED => {
                // An upload session was opened instead: close it, the caller copies the bytes.
                if let Ok(loc) = self.location(&reply.resp, &what) {
                    drop(reply);
                    let cancel = Call::delete(loc, &scopes, &what, repository);
                    let _ = self.call(&cancel).await;
                }
                Ok(false)
            }
            _ => Err(self.status_error(reply, &call).await),
        }
    }
}
