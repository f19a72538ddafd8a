//! Mapping failures to a [`Code`] and a one-line message that says what to do.

use reqwest::header::WWW_AUTHENTICATE;
use reqwest::{Response, StatusCode};

use super::{Call, Remote, Reply};
use crate::registry::auth::{parse_challenge, Challenge};
use crate::registry::Credentials;
use crate::{Code, Error, Result};

/// Error bodies are read up to this size for their message.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub(super) enum ReadError {
    TooLarge(u64),
    Transport(reqwest::Error),
}

impl Remote {
    /// Read a body, refusing more than `limit` bytes without reading them.
    pub(super) async fn read_body(
        &self,
        reply: Reply,
        limit: usize,
        call: &Call<'_>,
    ) -> Result<Vec<u8>> {
        match read_limited(reply.resp, limit).await {
            Ok(b) => Ok(b),
            Err(ReadError::TooLarge(n)) => Err(Error::new(
                Code::TooLarge,
                format!(
                    "registry {} sent more than {limit} bytes ({n}) while {}; {}",
                    self.host,
                    call.what,
                    if limit == crate::registry::MAX_MANIFEST_BYTES {
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

    pub(super) fn transport_error(&self, e: &reqwest::Error, what: &str) -> Error {
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

    pub(super) fn auth_required(&self, repository: &str) -> Error {
        let host = &self.host;
        let message = match &self.credentials {
            Credentials::Anonymous => format!("registry {host} needs credentials for {repository}"),
            Credentials::Basic { username, .. } => format!(
                "registry {host} rejected the credentials of user '{username}' for {repository}"
            ),
            Credentials::Bearer { .. } | Credentials::IdentityToken { .. } => format!(
                "registry {host} rejected the token from your docker config for {repository}"
            ),
        };
        Error::new(Code::AuthRequired, message).with_hint(crate::Hint::Login {
            registry: host.to_string(),
        })
    }

    pub(super) fn forbidden(&self, repository: &str, what: &str) -> Error {
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

    pub(super) fn rate_limited(&self, what: &str, attempts: u32) -> Error {
        Error::new(
            Code::RateLimited,
            format!("registry {} is rate limiting requests (HTTP 429, {attempts} attempts) while {what}: wait a few minutes and retry, or log in (anonymous limits are lower)", self.host),
        )
    }

    pub(super) fn server_error(
        &self,
        status: StatusCode,
        what: &str,
        attempts: u32,
        detail: &str,
    ) -> Error {
        Error::new(
            Code::Unreachable,
            format!("registry {} failed with HTTP {} ({attempts} attempts) while {what}{detail}: check that the registry is healthy, then retry", self.host, status.as_u16()),
        )
    }

    /// Map an error answer to a [`Code`] and a message.
    pub(super) async fn status_error(&self, reply: Reply, call: &Call<'_>) -> Error {
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

pub(super) async fn read_limited(
    mut resp: Response,
    limit: usize,
) -> std::result::Result<Vec<u8>, ReadError> {
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

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
