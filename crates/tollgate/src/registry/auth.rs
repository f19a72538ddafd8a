//! Registry authentication: `WWW-Authenticate` challenges (Basic, Bearer), repository scopes,
//! and the cache of bearer tokens per scope.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Url;

/// The most a token service's answer may hold; a token is a few kilobytes.
pub const MAX_TOKEN_REPLY_BYTES: usize = 1024 * 1024;

/// The longest a fetched token is kept, whatever `expires_in` claims (a token refused earlier
/// than that is fetched again after the 401).
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// How long to keep a token whose answer said `expires_in` (seconds; absent: 60, as the
/// Docker token spec says), clamped to 1 s ..= [`MAX_TOKEN_LIFETIME`].
pub fn token_lifetime(expires_in: Option<u64>) -> Duration {
    Duration::from_secs(expires_in.unwrap_or(60)).clamp(Duration::from_secs(1), MAX_TOKEN_LIFETIME)
}

/// May credentials be sent to this token service? Only over https, to a loopback host, or for
/// a registry marked `insecure = true` in tollgate.toml: a registry (or whoever answers for it)
/// must not be able to collect passwords by naming a plain-http realm.
pub fn may_send_credentials(realm: &Url, insecure: bool) -> bool {
    let host = realm.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    realm.scheme() == "https" || loopback || insecure
}

/// What a registry asked for in a `401` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// HTTP Basic (e.g. docker-registry with htpasswd).
    Basic,
    /// The Docker/OCI token flow: get a token from `realm` for `service` and a scope.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
        error: Option<String>,
    },
}

/// Parse a `WWW-Authenticate` value. Several challenges may be listed; Bearer is preferred.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let mut found = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        let (scheme, after) = rest
            .split_once(|c: char| c.is_whitespace())
            .unwrap_or((rest, ""));
        let scheme = scheme.trim_end_matches(',').to_ascii_lowercase();
        let (params, remaining) = parse_params(after.trim_start());
        match scheme.as_str() {
            "bearer" => {
                let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                if let Some(realm) = get("realm") {
                    found.push(Challenge::Bearer {
                        realm,
                        service: get("service"),
                        scope: get("scope"),
                        error: get("error"),
                    });
                }
            }
            "basic" => found.push(Challenge::Basic),
            _ => {}
        }
        rest = remaining.trim_start_matches([',', ' ']);
    }
    found
        .iter()
        .find(|c| matches!(c, Challenge::Bearer { .. }))
        .or(found.first())
        .cloned()
}

/// Parse `k=v, k="quoted \" value"` pairs up to the start of the next challenge.
/// Returns the pairs and the text after them.
fn parse_params(s: &str) -> (Vec<(String, String)>, &str) {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let Some(eq) = rest.find('=') else {
            return (out, rest);
        };
        let name = &rest[..eq];
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == ',' || c == '"') {
            // `Basic realm=...` of the next challenge: stop here.
            return (out, rest);
        }
        let after = &rest[eq + 1..];
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            value.push(next);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        out.push((name.to_ascii_lowercase(), value));
        rest = remaining;
    }
}

/// One repository and the actions a request needs on it (`pull` or `pull,push`), or the
/// registry's catalog (`registry:catalog:*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `repository`, or `registry` for the catalog.
    pub resource: &'static str,
    pub repository: String,
    pub actions: &'static str,
}

impl Scope {
    pub fn pull(repository: &str) -> Self {
        Scope {
            resource: "repository",
            repository: repository.to_string(),
            actions: "pull",
        }
    }
    pub fn push(repository: &str) -> Self {
        Scope {
            resource: "repository",
            repository: repository.to_string(),
            actions: "pull,push",
        }
    }
    /// The registry's list of repositories (`GET /v2/_catalog`).
    pub fn catalog() -> Self {
        Scope {
            resource: "registry",
            repository: "catalog".to_string(),
            actions: "*",
        }
    }
    /// `repository:<name>:<actions>` (or `registry:catalog:*`), the token service's scope syntax.
    pub fn token_scope(&self) -> String {
        format!("{}:{}:{}", self.resource, self.repository, self.actions)
    }
}

/// The cache key of a set of scopes.
pub fn scopes_key(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(Scope::token_scope)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bearer tokens by scope, with their expiry, and one lock per scope so that many tasks
/// needing the same token fetch it once.
#[derive(Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl TokenCache {
    pub fn get(&self, key: &str) -> Option<String> {
        let tokens = self.tokens.lock().ok()?;
        tokens
            .get(key)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(t, _)| t.clone())
    }

    pub fn insert(&self, key: &str, token: String, expires_in: Duration) {
        // Renew a little early so a token never expires between lookup and use. Checked: an
        // instant that far out may not exist (a huge `expires_in` used to panic here).
        let keep = expires_in
            .min(MAX_TOKEN_LIFETIME)
            .saturating_sub(Duration::from_secs(10))
            .max(Duration::from_secs(1));
        let now = Instant::now();
        let until = now.checked_add(keep).unwrap_or(now);
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(key.to_string(), (token, until));
        }
    }

    pub fn remove(&self, key: &str) {
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.remove(key);
        }
    }

    pub fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(key.to_string()).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_challenges() {
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into()),
                error: None
            })
        );
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://ghcr.io/token", service="ghcr.io",scope="repository:a/b:pull",error="insufficient_scope""#
            ),
            Some(Challenge::Bearer {
                realm: "https://ghcr.io/token".into(),
                service: Some("ghcr.io".into()),
                scope: Some("repository:a/b:pull".into()),
                error: Some("insufficient_scope".into())
            })
        );
        // Two challenges in one header: Bearer wins; quoted commas and escapes survive.
        assert_eq!(
            parse_challenge(
                r#"Basic realm="a, \"b\"", Bearer realm=https://t.example/token,service=reg"#
            ),
            Some(Challenge::Bearer {
                realm: "https://t.example/token".into(),
                service: Some("reg".into()),
                scope: None,
                error: None
            })
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(""), None);
        assert_eq!(parse_challenge("Bearer service=x"), None);
    }

    #[test]
    fn scopes_and_cache() {
        let scopes = [Scope::push("prod/api"), Scope::pull("payments/api")];
        assert_eq!(
            scopes_key(&scopes),
            "repository:prod/api:pull,push repository:payments/api:pull"
        );
        let cache = TokenCache::default();
        cache.insert("k", "t".into(), Duration::from_secs(300));
        assert_eq!(cache.get("k").as_deref(), Some("t"));
        cache.remove("k");
        assert_eq!(cache.get("k"), None);
        assert!(Arc::ptr_eq(&cache.lock_for("a"), &cache.lock_for("a")));
        // A lifetime no clock can hold is clamped, not a panic.
        cache.insert("huge", "t".into(), Duration::MAX);
        assert_eq!(cache.get("huge").as_deref(), Some("t"));
    }

    #[test]
    fn token_lifetimes_are_clamped() {
        assert_eq!(token_lifetime(None), Duration::from_secs(60));
        assert_eq!(token_lifetime(Some(0)), Duration::from_secs(1));
        assert_eq!(token_lifetime(Some(300)), Duration::from_secs(300));
        assert_eq!(token_lifetime(Some(u64::MAX)), MAX_TOKEN_LIFETIME);
    }

    #[test]
    fn credentials_go_only_to_https_loopback_or_insecure_realms() {
        let url = |s: &str| Url::parse(s).unwrap();
        for ok in [
            "https://auth.example.com/token",
            "http://127.0.0.1:5001/token",
            "http://localhost/token",
            "http://[::1]:5001/token",
        ] {
            assert!(may_send_credentials(&url(ok), false), "{ok}");
        }
        for no in [
            "http://auth.example.com/token",
            "http://0.0.0.0:5001/token",
            "http://192.0.2.7/t",
        ] {
            assert!(!may_send_credentials(&url(no), false), "{no}");
            assert!(
                may_send_credentials(&url(no), true),
                "{no} with insecure = true"
            );
        }
    }
}
