//! The OCI Distribution HTTP API, over one shared `reqwest` connection pool: bounded requests
//! in flight, timeouts, retries on 429/5xx, Basic and Bearer-token authentication, and a
//! mapping of every failure to a [`Code`] with a one-line message that says what to do.
//!
//! Why not `oci_client::Client` for the requests themselves: it hides HTTP statuses in strings,
//! swallows token errors, has no size limit on manifest reads, and without credentials it asks
//! `GET /v2/` before every request, so a tag resolve would cost two round trips instead of one
//! HEAD. The protocol is small; doing it here keeps each mapping explicit and testable.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use futures::StreamExt;
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LINK, LOCATION,
    RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, Response, StatusCode, Url};
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::auth::{parse_challenge, scopes_key, Challenge, Scope, TokenCache};
use super::media::{essence, MANIFEST_ACCEPT};
use super::retry::{is_retryable, parse_retry_after};
use super::{BlobStream, Credentials, RegistryOptions};
use crate::domain::Digest;
use crate::{Code, Error, Result};

const DIGEST_HEADER: &str = "docker-content-digest";
/// Error bodies are read up to this size for their message.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// A tags list page larger than this is refused.
const MAX_TAGS_PAGE: usize = 16 * 1024 * 1024;
/// Pages of a tag list followed at most.
const MAX_TAG_PAGES: usize = 10_000;

/// What a 401 taught us about this registry.
#[derive(Debug, Clone)]
enum Scheme {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

pub(crate) struct Remote {
    host: String,
    base: Url,
    http: reqwest::Client,
    credentials: Credentials,
    scheme: RwLock<Option<Scheme>>,
    tokens: TokenCache,
    permits: Arc<Semaphore>,
    options: RegistryOptions,
}

/// One API request, described so that it can be sent again (after a 401 or a 5xx).
struct Call<'a> {
    method: Method,
    url: Url,
    scopes: &'a [Scope],
    accept: Option<&'static str>,
    content_type: Option<&'a str>,
    body: Option<&'a [u8]>,
    /// What this request does, for messages: "resolving tag payments/api:dev".
    what: &'a str,
    /// The repository the request is about, for messages.
    repository: &'a str,
}

/// An answer, holding its request slot until the body is read.
struct Reply {
    resp: Response,
    attempts: u32,
    _permit: Option<OwnedSemaphorePermit>,
}

enum ReadError {
    TooLarge(u64),
    Transport(reqwest::Error),
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl Remote {
    pub(crate) fn new(
        host: &str,
        plain_http: bool,
        credentials: Credentials,
        options: RegistryOptions,
    ) -> Result<Self> {
        let scheme = if plain_http { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{host}/")).map_err(|e| {
            Error::config(format!("registry host '{host}' is not a valid host[:port] ({e}); fix the url in tollgate.toml"))
        })?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.request_timeout)
            .pool_max_idle_per_host(options.max_in_flight.max(1))
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| Error::internal(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Remote {
            host: host.to_string(),
            base,
            http,
            credentials,
            scheme: RwLock::new(None),
            tokens: TokenCache::default(),
            permits: Arc::new(Semaphore::new(options.max_in_flight.max(1))),
            options,
        })
    }

    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    fn url(&self, path: &str) -> Url {
        // Repository names and tags are validated to URL-safe characters before they get here.
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }

    // ----- the API -----

    pub(crate) async fn list_tags(&self, repository: &str) -> Result<Vec<String>> {
        let what = format!("listing the tags of {repository}");
        let scopes = [Scope::pull(repository)];
        let mut url = self.url(&format!("v2/{repository}/tags/list"));
        if let Some(n) = self.options.tag_page_size {
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        let mut tags: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_TAG_PAGES {
            let call = Call {
                method: Method::GET,
                url: url.clone(),
                scopes: &scopes,
                accept: Some("application/json"),
                content_type: None,
                body: None,
                what: &what,
                repository,
            };
            let reply = self.call(&call).await?;
            if !reply.resp.status().is_success() {
                return Err(self.status_error(reply, &call).await);
            }
            let next = next_link(reply.resp.headers());
            let body = self.read_body(reply, MAX_TAGS_PAGE, &call).await?;
            let page: TagList = serde_json::from_slice(&body).map_err(|e| {
                Error::new(Code::Protocol, format!("registry {} answered {what} with something that is not a tag list ({e}); check the url points at an OCI registry", self.host))
            })?;
            let page = page.tags.unwrap_or_default();
            let page_len = page.len();
            let mut new = 0;
            for t in page {
                if seen.insert(t.clone()) {
                    tags.push(t);
                    new += 1;
                }
            }
            url = match next {
                Some(link) => {
                    let next = self.base.join(&link).map_err(|e| {
                        Error::new(Code::Protocol, format!("registry {} sent an invalid next-page link '{link}' while {what} ({e})", self.host))
                    })?;
                    if next.origin() != self.base.origin() {
                        return Err(Error::new(Code::Protocol, format!("registry {} sent a next-page link to another host ({}) while {what}; refusing to follow it with credentials", self.host, next.origin().ascii_serialization())));
                    }
                    next
                }
                // No Link header: a registry that pages by `n` and `last` only. Ask for the
                // next page while pages come back full and bring new tags.
                None => match (self.options.tag_page_size, tags.last()) {
                    (Some(n), Some(last)) if page_len >= n && new > 0 => {
                        let mut u = self.url(&format!("v2/{repository}/tags/list"));
                        u.query_pairs_mut()
                            .append_pair("n", &n.to_string())
                            .append_pair("last", last);
                        u
                    }
                    _ => break,
                },
            };
            if new == 0 {
                break;
            }
        }
        tags.sort();
        Ok(tags)
    }

    /// HEAD the tag: one request over a kept-alive connection.
    pub(crate) async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Digest>> {
        let what = format!("resolving tag {repository}:{tag}");
        let scopes = [Scope::pull(repository)];
        let call = Call {
            method: Method::HEAD,
            url: self.url(&format!("v2/{repository}/manifests/{tag}")),
            scopes: &scopes,
            accept: Some(MANIFEST_ACCEPT),
            content_type: None,
            body: None,
            what: &what,
            repository,
        };
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
        self.get_manifest_claimed(repository, reference, what)
            .await
            .map(|(bytes, content_type, _)| (bytes, content_type))
    }

    /// [`Self::get_manifest`], plus the digest the registry claims for it
    /// (`Docker-Content-Digest`), for the caller to check against the bytes.
    pub(crate) async fn get_manifest_claimed(
        &self,
        repository: &str,
        reference: &str,
        what: &str,
    ) -> Result<(Vec<u8>, Option<String>, Option<String>)> {
        let scopes = [Scope::pull(repository)];
        let call = Call {
            method: Method::GET,
            url: self.url(&format!("v2/{repository}/manifests/{reference}")),
            scopes: &scopes,
            accept: Some(MANIFEST_ACCEPT),
            content_type: None,
            body: None,
            what,
            repository,
        };
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
        let bytes = self
            .read_body(reply, super::MAX_MANIFEST_BYTES, &call)
            .await?;
        Ok((bytes, content_type, claimed))
    }

    pub(crate) async fn blob_exists(&self, repository: &str, digest: &Digest) -> Result<bool> {
        let what = format!("checking blob {digest} in {repository}");
        let scopes = [Scope::pull(repository)];
        let call = Call {
            method: Method::HEAD,
            url: self.url(&format!("v2/{repository}/blobs/{digest}")),
            scopes: &scopes,
            accept: None,
            content_type: None,
            body: None,
            what: &what,
            repository,
        };
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
        let call = Call {
            method: Method::GET,
            url: self.url(&format!("v2/{repository}/blobs/{digest}")),
            scopes: &scopes,
            accept: None,
            content_type: None,
            body: None,
            what: &what,
            repository,
        };
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
        let call = Call {
            method: Method::GET,
            url: self.url(&format!("v2/{repository}/blobs/{digest}")),
            scopes: &scopes,
            accept: None,
            content_type: None,
            body: None,
            what: &what,
            repository,
        };
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
        let call = Call {
            method: Method::POST,
            url: self.url(&format!("v2/{repository}/blobs/uploads/")),
            scopes: &scopes,
            accept: None,
            content_type: None,
            body: None,
            what: &what,
            repository,
        };
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
        let call = Call {
            method: Method::PUT,
            url,
            scopes: &scopes,
            accept: None,
            content_type: Some("application/octet-stream"),
            body: Some(bytes),
            what: &what,
            repository,
        };
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
        let call = Call {
            method: Method::PUT,
            url,
            scopes: &scopes,
            accept: None,
            content_type: None,
            body: None,
            what: &what,
            repository,
        };
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
        let call = Call {
            method: Method::POST,
            url,
            scopes: &scopes,
            accept: None,
            content_type: None,
            body: None,
            what: &what,
            repository,
        };
        let reply = self.call(&call).await?;
        match reply.resp.status() {
            StatusCode::CREATED => Ok(true),
            StatusCode::ACCEPTED => {
                // An upload session was opened instead: close it, the caller copies the bytes.
                if let Ok(loc) = self.location(&reply.resp, &what) {
                    drop(reply);
                    let cancel = Call {
                        method: Method::DELETE,
                        url: loc,
                        scopes: &scopes,
                        accept: None,
                        content_type: None,
                        body: None,
                        what: &what,
                        repository,
                    };
                    let _ = self.call(&cancel).await;
                }
                Ok(false)
            }
            _ => Err(self.status_error(reply, &call).await),
        }
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
        let call = Call {
            method: Method::PUT,
            url: self.url(&format!("v2/{repository}/manifests/{reference}")),
            scopes: &scopes,
            accept: None,
            content_type: Some(media_type),
            body: Some(bytes),
            what: &what,
            repository,
        };
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

    // ----- transport: permits, auth, retries -----

    async fn acquire(&self) -> Result<OwnedSemaphorePermit> {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::internal("registry request slots closed"))
    }

    /// Send `call`, authenticating after a 401 and retrying 429/5xx answers with backoff.
    /// Answers that are still errors are returned, not mapped: the caller knows which 404 is fine.
    async fn call(&self, call: &Call<'_>) -> Result<Reply> {
        let policy = &self.options.retry;
        let mut attempt = 0;
        let mut authenticated = false;
        loop {
            attempt += 1;
            let header = self.authorization(call.scopes, call.what).await?;
            let sent_auth = header.is_some();
            let permit = self.acquire().await?;
            let mut rb = self
                .http
                .request(call.method.clone(), call.url.clone())
                .timeout(self.options.request_timeout);
            if let Some(a) = call.accept {
                rb = rb.header(ACCEPT, a);
            }
            // Credentials go to this registry only, never to another origin it points us at.
            if let Some(h) = header.filter(|_| call.url.origin() == self.base.origin()) {
                rb = rb.header(AUTHORIZATION, h);
            }
            if let Some(ct) = call.content_type {
                rb = rb.header(CONTENT_TYPE, ct);
            }
            match call.body {
                Some(b) => rb = rb.body(b.to_vec()),
                None if call.method == Method::PUT || call.method == Method::POST => {
                    rb = rb.header(CONTENT_LENGTH, 0)
                }
                None => {}
            }
            let resp = rb
                .send()
                .await
                .map_err(|e| self.transport_error(&e, call.what))?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && !authenticated {
                let challenge = resp
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_challenge);
                if let Some(challenge) = challenge {
                    if self.learn(challenge, call.scopes, sent_auth) {
                        authenticated = true;
                        attempt -= 1;
                        continue;
                    }
                }
            }
            if is_retryable(status.as_u16()) && attempt < policy.max_attempts.max(1) {
                let retry_after = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
                let wait = policy.backoff(attempt, retry_after);
                tracing::debug!(host = %self.host, status = status.as_u16(), attempt, wait_ms = wait.as_millis() as u64, what = call.what, "retrying");
                drop(resp);
                drop(permit);
                tokio::time::sleep(wait).await;
                continue;
            }
            return Ok(Reply {
                resp,
                attempts: attempt,
                _permit: Some(permit),
            });
        }
    }

    /// Remember what a 401 asked for. `true` when sending the request again with (new)
    /// credentials can help.
    fn learn(&self, challenge: Challenge, scopes: &[Scope], sent_auth: bool) -> bool {
        match challenge {
            Challenge::Basic => {
                if let Ok(mut s) = self.scheme.write() {
                    *s = Some(Scheme::Basic);
                }
                matches!(self.credentials, Credentials::Basic { .. }) && !sent_auth
            }
            Challenge::Bearer {
                realm,
                service,
                error,
                ..
            } => {
                if matches!(self.credentials, Credentials::Bearer { .. }) {
                    return false;
                }
                if let Ok(mut s) = self.scheme.write() {
                    *s = Some(Scheme::Bearer { realm, service });
                }
                // A token we sent was refused: it may have expired. Insufficient scope will
                // not get better with a new token for the same scope.
                self.tokens.remove(&scopes_key(scopes));
                error.as_deref() != Some("insufficient_scope") || !sent_auth
            }
        }
    }

    /// The `Authorization` header for a request needing `scopes`, if any is known to be needed.
    async fn authorization(&self, scopes: &[Scope], what: &str) -> Result<Option<HeaderValue>> {
        if let Credentials::Bearer { token } = &self.credentials {
            return Ok(Some(sensitive(&format!("Bearer {token}"))));
        }
        let scheme = self.scheme.read().ok().and_then(|s| s.clone());
        match scheme {
            None => Ok(None),
            Some(Scheme::Basic) => Ok(match &self.credentials {
                Credentials::Basic { username, password } => Some(basic_header(username, password)),
                _ => None,
            }),
            Some(Scheme::Bearer { realm, service }) => {
                let key = scopes_key(scopes);
                if let Some(t) = self.tokens.get(&key) {
                    return Ok(Some(sensitive(&format!("Bearer {t}"))));
                }
                let lock = self.tokens.lock_for(&key);
                let _guard = lock.lock().await;
                if let Some(t) = self.tokens.get(&key) {
                    return Ok(Some(sensitive(&format!("Bearer {t}"))));
                }
                let (token, expires_in) = self
                    .fetch_token(&realm, service.as_deref(), scopes, what)
                    .await?;
                self.tokens.insert(&key, token.clone(), expires_in);
                Ok(Some(sensitive(&format!("Bearer {token}"))))
            }
        }
    }

    /// The token flow: GET the realm with the scope (Basic credentials if we have them), or
    /// POST a refresh token (an identity token from the docker config).
    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[Scope],
        what: &str,
    ) -> Result<(String, Duration)> {
        let repository = scopes.first().map(|s| s.repository.as_str()).unwrap_or("");
        let url = Url::parse(realm).map_err(|e| {
            Error::new(
                Code::Protocol,
                format!(
                    "registry {} named an invalid token service '{realm}' ({e}) while {what}",
                    self.host
                ),
            )
        })?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(Error::new(
                Code::Protocol,
                format!(
                    "registry {} named a token service that is not http(s): '{realm}'",
                    self.host
                ),
            ));
        }
        let policy = &self.options.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let rb = match &self.credentials {
                Credentials::IdentityToken { token } => {
                    let mut form = Url::parse("http://form/").expect("static url");
                    {
                        let mut q = form.query_pairs_mut();
                        q.append_pair("grant_type", "refresh_token")
                            .append_pair("refresh_token", token)
                            .append_pair("client_id", "tollgate");
                        if let Some(s) = service {
                            q.append_pair("service", s);
                        }
                        q.append_pair(
                            "scope",
                            &scopes
                                .iter()
                                .map(Scope::token_scope)
                                .collect::<Vec<_>>()
                                .join(" "),
                        );
                    }
                    self.http
                        .post(url.clone())
                        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(form.query().unwrap_or("").to_string())
                }
                creds => {
                    let mut u = url.clone();
                    {
                        let mut q = u.query_pairs_mut();
                        if let Some(s) = service {
                            q.append_pair("service", s);
                        }
                        for s in scopes {
                            q.append_pair("scope", &s.token_scope());
                        }
                    }
                    let rb = self.http.get(u);
                    match creds {
                        Credentials::Basic { username, password } => {
                            rb.header(AUTHORIZATION, basic_header(username, password))
                        }
                        _ => rb,
                    }
                }
            };
            let resp = rb
                .timeout(self.options.request_timeout)
                .send()
                .await
                .map_err(|e| {
                    let mut err = self.transport_error(&e, what);
                    err.message = format!(
                        "cannot get a token from {} for registry {}: {}",
                        url.host_str().unwrap_or(realm),
                        self.host,
                        err.message
                    );
                    err
                })?;
            let status = resp.status();
            if is_retryable(status.as_u16()) && attempt < policy.max_attempts.max(1) {
                let retry_after = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
                drop(resp);
                tokio::time::sleep(policy.backoff(attempt, retry_after)).await;
                continue;
            }
            match status {
                s if s.is_success() => {}
                StatusCode::UNAUTHORIZED => return Err(self.auth_required(repository)),
                StatusCode::FORBIDDEN => return Err(self.forbidden(repository, what)),
                StatusCode::TOO_MANY_REQUESTS => return Err(self.rate_limited(what, attempt)),
                s if s.is_server_error() => return Err(self.server_error(s, what, attempt, "")),
                s => {
                    return Err(Error::new(
                        Code::Protocol,
                        format!(
                            "the token service of registry {} answered HTTP {} while {what}",
                            self.host,
                            s.as_u16()
                        ),
                    ));
                }
            }
            let body = resp
                .bytes()
                .await
                .map_err(|e| self.transport_error(&e, what))?;
            let reply: TokenReply = serde_json::from_slice(&body).map_err(|_| {
                Error::new(Code::Protocol, format!("the token service of registry {} answered something that is not a token while {what}", self.host))
            })?;
            let token = reply.token.or(reply.access_token).filter(|t| !t.is_empty()).ok_or_else(|| {
                Error::new(Code::Protocol, format!("the token service of registry {} answered without a token while {what}", self.host))
            })?;
            let expires_in = Duration::from_secs(reply.expires_in.unwrap_or(60).max(1));
            return Ok((token, expires_in));
        }
    }

    /// Read a body, refusing more than `limit` bytes without reading them.
    async fn read_body(&self, reply: Reply, limit: usize, call: &Call<'_>) -> Result<Vec<u8>> {
        match read_limited(reply.resp, limit).await {
            Ok(b) => Ok(b),
            Err(ReadError::TooLarge(n)) => Err(Error::new(
                Code::TooLarge,
                format!(
                    "registry {} sent more than {limit} bytes ({n}) while {}; {}",
                    self.host,
                    call.what,
                    if limit == super::MAX_MANIFEST_BYTES {
                        "Tollgate refuses manifests over 4 MiB (the OCI limit): do not use this image"
                    } else {
                        "that is more than this kind of content may be: check the image"
                    }
                ),
            )),
            Err(ReadError::Transport(e)) => Err(self.transport_error(&e, call.what)),
        }
    }

    // ----- errors -----

    fn transport_error(&self, e: &reqwest::Error, what: &str) -> Error {
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            let text = s.to_string();
            if !causes.iter().any(|c: &String| c.contains(&text)) {
                causes.push(text);
            }
            source = s.source();
        }
        let cause = if causes.is_empty() {
            e.to_string()
        } else {
            causes.join(": ")
        };
        let cause = one_line(&cause);
        if e.is_timeout() {
            return Error::new(
                Code::Unreachable,
                format!("registry {} did not answer in time while {what} ({cause}); check the network and that the registry is healthy, then retry", self.host),
            );
        }
        let lower = cause.to_ascii_lowercase();
        let hint = if self.base.scheme() == "https"
            && (lower.contains("tls")
                || lower.contains("certificate")
                || lower.contains("corrupt")
                || lower.contains("handshake"))
        {
            "; if this registry speaks plain http, write its url as http://HOST (loopback) or add insecure = true in tollgate.toml"
        } else {
            ""
        };
        Error::new(
            Code::Unreachable,
            format!("cannot reach registry {} while {what} ({cause}): check the url in tollgate.toml and that the registry is running{hint}", self.host),
        )
    }

    fn auth_required(&self, repository: &str) -> Error {
        let host = &self.host;
        let message = match &self.credentials {
            Credentials::Anonymous => format!(
                "registry {host} needs credentials for {repository}: run `tollgate login {host} --username U --password-stdin`, or add them to your docker config"
            ),
            Credentials::Basic { username, .. } => format!(
                "registry {host} rejected the credentials of user '{username}' for {repository}: run `tollgate login {host} --username U --password-stdin` with the right password, or fix your docker config"
            ),
            Credentials::Bearer { .. } | Credentials::IdentityToken { .. } => format!(
                "registry {host} rejected the token from your docker config for {repository}: run `docker login {host}` again, or `tollgate login {host} --username U --password-stdin`"
            ),
        };
        Error::new(Code::AuthRequired, message)
    }

    fn forbidden(&self, repository: &str, what: &str) -> Error {
        let who = match &self.credentials {
            Credentials::Anonymous => "anonymous access".to_string(),
            Credentials::Basic { username, .. } => format!("user '{username}'"),
            _ => "the token from your docker config".to_string(),
        };
        Error::new(
            Code::Forbidden,
            format!("registry {} refuses {who} while {what} (HTTP 403): ask the registry's admin for access to {repository}, or log in as another user", self.host),
        )
    }

    fn rate_limited(&self, what: &str, attempts: u32) -> Error {
        Error::new(
            Code::RateLimited,
            format!("registry {} is rate limiting requests (HTTP 429, {attempts} attempts) while {what}: wait a few minutes and retry, or log in (anonymous limits are lower)", self.host),
        )
    }

    fn server_error(&self, status: StatusCode, what: &str, attempts: u32, detail: &str) -> Error {
        Error::new(
            Code::Unreachable,
            format!("registry {} failed with HTTP {} ({attempts} attempts) while {what}{detail}: check that the registry is healthy, then retry", self.host, status.as_u16()),
        )
    }

    /// Map an error answer to a [`Code`] and a message.
    async fn status_error(&self, reply: Reply, call: &Call<'_>) -> Error {
        let status = reply.resp.status();
        let attempts = reply.attempts;
        let insufficient_scope = reply
            .resp
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_challenge)
            .is_some_and(|c| matches!(c, Challenge::Bearer { error: Some(ref e), .. } if e == "insufficient_scope"));
        let body = read_limited(reply.resp, MAX_ERROR_BODY)
            .await
            .unwrap_or_default();
        let detail = registry_error_detail(&body);
        let what = call.what;
        match status {
            StatusCode::UNAUTHORIZED if insufficient_scope && !matches!(self.credentials, Credentials::Anonymous) => self.forbidden(call.repository, what),
            StatusCode::UNAUTHORIZED => self.auth_required(call.repository),
            StatusCode::FORBIDDEN => self.forbidden(call.repository, what),
            StatusCode::NOT_FOUND => Error::new(
                Code::NotFound,
                format!("registry {} has no such thing while {what}{}: check the repository path, tag or digest", self.host, detail.map(|d| format!(" ({d})")).unwrap_or_default()),
            ),
            StatusCode::TOO_MANY_REQUESTS => self.rate_limited(what, attempts),
            s if s.is_server_error() => self.server_error(s, what, attempts, &detail.map(|d| format!(" ({d})")).unwrap_or_default()),
            s => Error::new(
                Code::Protocol,
                format!("registry {} answered HTTP {} while {what}{}; check that the url points at an OCI distribution registry and the image is valid", self.host, s.as_u16(), detail.map(|d| format!(" ({d})")).unwrap_or_default()),
            ),
        }
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("base", &self.base.as_str())
            .field("credentials", &self.credentials)
            .finish()
    }
}

fn sensitive(value: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    v.set_sensitive(true);
    v
}

fn basic_header(username: &str, password: &str) -> HeaderValue {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    sensitive(&format!("Basic {encoded}"))
}

async fn read_limited(mut resp: Response, limit: usize) -> std::result::Result<Vec<u8>, ReadError> {
    if let Some(n) = resp.content_length() {
        if n > limit as u64 {
            return Err(ReadError::TooLarge(n));
        }
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Transport)? {
        if out.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge((out.len() + chunk.len()) as u64));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// `errors[0]` of a distribution error body, as `CODE: message`, on one line.
fn registry_error_detail(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let e = v.get("errors")?.as_array()?.first()?;
    let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
    let message = e.get("message").and_then(|m| m.as_str()).unwrap_or("");
    let text = match (code.is_empty(), message.is_empty()) {
        (false, false) => format!("{code}: {message}"),
        (false, true) => code.to_string(),
        (true, false) => message.to_string(),
        (true, true) => return None,
    };
    Some(one_line(&text).chars().take(200).collect())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `rel="next"` target of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|part| {
            let (target, params) = part.split_once(';')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim().to_ascii_lowercase();
                p == "rel=\"next\"" || p == "rel=next"
            });
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| target.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static(r#"</v2/p/api/tags/list?last=t3&n=3>; rel="next""#),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("/v2/p/api/tags/list?last=t3&n=3")
        );
        h.insert(
            LINK,
            HeaderValue::from_static(
                r#"<https://r.example/x?a=1>; rel="prev", <https://r.example/y?b=2>; rel=next"#,
            ),
        );
        assert_eq!(next_link(&h).as_deref(), Some("https://r.example/y?b=2"));
        h.insert(
            LINK,
            HeaderValue::from_static(r#"<https://r.example/x>; rel="prev""#),
        );
        assert_eq!(next_link(&h), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn error_bodies() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest\nunknown","detail":{"x":1}}]}"#;
        assert_eq!(
            registry_error_detail(body).as_deref(),
            Some("MANIFEST_UNKNOWN: manifest unknown")
        );
        assert_eq!(registry_error_detail(b"<html>"), None);
        assert_eq!(registry_error_detail(br#"{"errors":[]}"#), None);
    }

    #[test]
    fn basic_header_is_sensitive() {
        let h = basic_header("alice", "hunter2");
        assert!(h.is_sensitive());
        assert_eq!(h.to_str().unwrap(), "Basic YWxpY2U6aHVudGVyMg==");
        assert!(!format!("{h:?}").contains("YWxp"));
    }
}
