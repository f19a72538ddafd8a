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
use reqwest::header::{
    HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE,
};
use reqwest::{Method, Response, StatusCode, Url};
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

mod blobs;
mod catalog;
mod errors;
mod manifests;
mod referrers;
mod tags;

use super::auth::{
    may_send_credentials, parse_challenge, scopes_key, token_lifetime, Challenge, Scope,
    TokenCache, MAX_TOKEN_REPLY_BYTES,
};
use super::retry::{is_retryable, retry_after};
use super::{Credentials, RegistryOptions};
use crate::{Code, Error, Result};

const DIGEST_HEADER: &str = "docker-content-digest";

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
pub(super) struct Call<'a> {
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
pub(super) struct Reply {
    resp: Response,
    attempts: u32,
    _permit: Option<OwnedSemaphorePermit>,
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    /// Seconds; any JSON number (a fraction, a negative or a huge one is clamped).
    #[serde(default)]
    expires_in: Option<serde_json::Number>,
}

impl<'a> Call<'a> {
    /// A request without `Accept`, `Content-Type` or body.
    fn new(
        method: Method,
        url: Url,
        scopes: &'a [Scope],
        what: &'a str,
        repository: &'a str,
    ) -> Self {
        Call {
            method,
            url,
            scopes,
            accept: None,
            content_type: None,
            body: None,
            what,
            repository,
        }
    }

    fn get(url: Url, scopes: &'a [Scope], what: &'a str, repository: &'a str) -> Self {
        Call::new(Method::GET, url, scopes, what, repository)
    }

    fn head(url: Url, scopes: &'a [Scope], what: &'a str, repository: &'a str) -> Self {
        Call::new(Method::HEAD, url, scopes, what, repository)
    }

    fn post(url: Url, scopes: &'a [Scope], what: &'a str, repository: &'a str) -> Self {
        Call::new(Method::POST, url, scopes, what, repository)
    }

    fn put(url: Url, scopes: &'a [Scope], what: &'a str, repository: &'a str) -> Self {
        Call::new(Method::PUT, url, scopes, what, repository)
    }

    fn delete(url: Url, scopes: &'a [Scope], what: &'a str, repository: &'a str) -> Self {
        Call::new(Method::DELETE, url, scopes, what, repository)
    }

    /// With an `Accept` header.
    fn accept(mut self, accept: &'static str) -> Self {
        self.accept = Some(accept);
        self
    }

    /// With a body and its `Content-Type`.
    fn body(mut self, content_type: &'a str, body: &'a [u8]) -> Self {
        self.content_type = Some(content_type);
        self.body = Some(body);
        self
    }
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
                let wait = policy.backoff(attempt, retry_after(&resp));
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
        let has_credentials = matches!(
            self.credentials,
            Credentials::Basic { .. } | Credentials::IdentityToken { .. }
        );
        if has_credentials && !may_send_credentials(&url, self.options.insecure) {
            return Err(Error::new(
                Code::Protocol,
                format!(
                    "registry {} sends its credentials to the token service {} over plain http while {what}; Tollgate sends credentials only over https or to a loopback host: fix the registry's token realm, or add insecure = true to this registry in tollgate.toml if that network is trusted",
                    self.host,
                    url.origin().ascii_serialization()
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
                let wait = policy.backoff(attempt, retry_after(&resp));
                drop(resp);
                tokio::time::sleep(wait).await;
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
            let body = match errors::read_limited(resp, MAX_TOKEN_REPLY_BYTES).await {
                Ok(b) => b,
                Err(errors::ReadError::Transport(e)) => return Err(self.transport_error(&e, what)),
                Err(errors::ReadError::TooLarge(n)) => {
                    return Err(Error::new(
                        Code::Protocol,
                        format!(
                            "the token service of registry {} answered {n} bytes or more while {what}, over the {MAX_TOKEN_REPLY_BYTES}-byte limit for a token; check the registry's token realm",
                            self.host
                        ),
                    ))
                }
            };
            let reply: TokenReply = serde_json::from_slice(&body).map_err(|_| {
                Error::new(Code::Protocol, format!("the token service of registry {} answered something that is not a token while {what}", self.host))
            })?;
            let token = reply.token.or(reply.access_token).filter(|t| !t.is_empty()).ok_or_else(|| {
                Error::new(Code::Protocol, format!("the token service of registry {} answered without a token while {what}", self.host))
            })?;
            let expires_in = token_lifetime(reply.expires_in.map(|n| {
                n.as_u64().unwrap_or_else(|| match n.as_f64() {
                    // `as` saturates: 1e300 becomes u64::MAX, then the clamp.
                    Some(f) if f >= 1.0 => f as u64,
                    _ => 0,
                })
            }));
            return Ok((token, expires_in));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_is_sensitive() {
        let h = basic_header("alice", "hunter2");
        assert!(h.is_sensitive());
        assert_eq!(h.to_str().unwrap(), "Basic YWxpY2U6aHVudGVyMg==");
        assert!(!format!("{h:?}").contains("YWxp"));
    }
}
