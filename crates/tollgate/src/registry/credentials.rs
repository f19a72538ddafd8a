//! Where registry credentials come from: the OS keychain (`tollgate login`), then the docker
//! config (`auths`, `credHelpers`, `credsStore`), then anonymous. Secrets never reach a message,
//! a log line or Debug output.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::Credentials;
use crate::keychain::{SecretStore, REGISTRY_SERVICE};
use crate::{Code, Error, Result};

/// The secret stored in the OS keychain for a registry: service [`REGISTRY_SERVICE`], account =
/// the registry host (`host[:port]`, as in tollgate.toml's url), secret = this JSON object:
/// `{"username":"U","password":"P"}`.
#[derive(Serialize, Deserialize)]
struct StoredCredentials {
    username: String,
    password: String,
}

/// Store `username`/`password` for `host` in the OS keychain (what `tollgate login` does).
/// The secret is the JSON object `{"username":"U","password":"P"}` under service
/// [`REGISTRY_SERVICE`] and account `host` (`host[:port]`); [`credentials_for`] reads it back.
pub fn store_credentials(
    host: &str,
    username: &str,
    password: &str,
    secrets: &dyn SecretStore,
) -> Result<()> {
    let secret = serde_json::to_string(&StoredCredentials {
        username: username.to_string(),
        password: password.to_string(),
    })
    .map_err(|e| Error::internal(format!("cannot encode credentials: {e}")))?;
    secrets.set(REGISTRY_SERVICE, &normalize_host(host), &secret)
}

/// Credentials for `host`: the OS keychain (`tollgate login`), then the docker config
/// (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`: `credHelpers`, `credsStore`,
/// `auths`), then anonymous. An unavailable keychain is skipped (headless CI has none).
pub fn credentials_for(host: &str, secrets: &dyn SecretStore) -> Result<Credentials> {
    let host = normalize_host(host);
    match secrets.get(REGISTRY_SERVICE, &host) {
        Ok(Some(secret)) => {
            let stored: StoredCredentials = serde_json::from_str(&secret).map_err(|_| {
                Error::new(
                    Code::Keychain,
                    format!("the keychain entry '{REGISTRY_SERVICE}' for {host} is not in Tollgate's format; store the credentials again"),
                )
                .with_hint(crate::Hint::Login {
                    registry: host.clone(),
                })
            })?;
            tracing::debug!(%host, username = %stored.username, "registry credentials from the OS keychain");
            return Ok(Credentials::Basic {
                username: stored.username,
                password: stored.password,
            });
        }
        Ok(None) => {}
        Err(e) => {
            tracing::debug!(%host, error = %e.message, "OS keychain unavailable; trying the docker config")
        }
    }
    match docker_config_path() {
        Some(path) => from_docker_config(&path, &host, None),
        None => Ok(Credentials::Anonymous),
    }
}

/// Credentials for (normalized) `host` from the docker config file at `path`; anonymous when
/// the file does not exist. Credential helpers are looked up on `PATH`, or in `helper_dir`.
fn from_docker_config(path: &Path, host: &str, helper_dir: Option<&Path>) -> Result<Credentials> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Credentials::Anonymous),
        Err(e) => {
            return Err(Error::config(format!("cannot read the docker config {} ({e}); fix its permissions or set DOCKER_CONFIG to another folder", path.display())));
        }
    };
    let config = DockerConfig::parse(&text).map_err(|e| {
        Error::config(format!("the docker config {} is not valid JSON ({e}); fix it or set DOCKER_CONFIG to another folder", path.display()))
    })?;
    let found = match config.lookup(host)? {
        Lookup::Found(c) => c,
        Lookup::Helper { helper, fallback } => match run_helper(&helper, host, helper_dir)? {
            Some(c) => c,
            None => fallback.unwrap_or(Credentials::Anonymous),
        },
        Lookup::None => Credentials::Anonymous,
    };
    tracing::debug!(%host, credentials = ?found, config = %path.display(), "registry credentials from the docker config");
    Ok(found)
}

#[allow(
    clippy::disallowed_methods,
    reason = "$DOCKER_CONFIG moves the docker config, as docker reads it"
)]
fn docker_config_path() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir).join("config.json")),
        _ => dirs::home_dir().map(|h| h.join(".docker").join("config.json")),
    }
}

/// Whether the OS keychain holds credentials for `host` (`tollgate login`); never reads them out.
pub fn has_stored_credentials(host: &str, secrets: &dyn SecretStore) -> Result<bool> {
    Ok(secrets
        .get(REGISTRY_SERVICE, &normalize_host(host))?
        .is_some())
}

/// Remove the credentials the OS keychain holds for `host` (`tollgate logout`); whether there
/// were any. Docker's config.json is not touched.
pub fn delete_credentials(host: &str, secrets: &dyn SecretStore) -> Result<bool> {
    let host = normalize_host(host);
    let had = secrets.get(REGISTRY_SERVICE, &host)?.is_some();
    secrets.delete(REGISTRY_SERVICE, &host)?;
    Ok(had)
}

/// The host credentials are stored and looked up under (see [`normalize_host`]).
pub fn credential_host(host: &str) -> String {
    normalize_host(host)
}

/// `https://index.docker.io/v1/` → `index.docker.io`; `HOST:5000/` → `host:5000`; the Docker
/// Hub aliases all become `index.docker.io`, the key docker itself uses.
pub(crate) fn normalize_host(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = s.split('/').next().unwrap_or("").to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "index.docker.io".to_string()
        }
        _ => host,
    }
}

#[derive(Deserialize, Default)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

#[derive(Debug)]
enum Lookup {
    Found(Credentials),
    /// Ask `docker-credential-<helper>`; use `fallback` (from `auths`) if it knows nothing.
    Helper {
        helper: String,
        fallback: Option<Credentials>,
    },
    None,
}

impl DockerConfig {
    fn parse(text: &str) -> std::result::Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    fn lookup(&self, host: &str) -> Result<Lookup> {
        let from_auths = self
            .auths
            .iter()
            .find(|(k, _)| normalize_host(k) == host)
            .map(|(_, entry)| entry.credentials(host))
            .transpose()?
            .flatten();
        if let Some((_, helper)) = self
            .cred_helpers
            .iter()
            .find(|(k, _)| normalize_host(k) == host)
        {
            return Ok(Lookup::Helper {
                helper: helper.clone(),
                fallback: from_auths,
            });
        }
        if let Some(store) = self.creds_store.as_ref().filter(|s| !s.is_empty()) {
            return Ok(Lookup::Helper {
                helper: store.clone(),
                fallback: from_auths,
            });
        }
        Ok(from_auths.map_or(Lookup::None, Lookup::Found))
    }
}

impl AuthEntry {
    fn credentials(&self, host: &str) -> Result<Option<Credentials>> {
        let nonempty = |s: &Option<String>| s.as_ref().filter(|s| !s.is_empty()).cloned();
        if let Some(token) = nonempty(&self.identitytoken) {
            return Ok(Some(Credentials::IdentityToken { token }));
        }
        if let Some(token) = nonempty(&self.registrytoken) {
            return Ok(Some(Credentials::Bearer { token }));
        }
        if let Some(auth) = nonempty(&self.auth) {
            let bad = || {
                Error::config(format!("the docker config entry for {host} has an 'auth' that is not base64 of user:password; run `docker login {host}` again or remove the entry"))
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| bad())?;
            let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
            let (username, password) = decoded.split_once(':').ok_or_else(bad)?;
            return Ok(Some(Credentials::Basic {
                username: username.to_string(),
                password: password.to_string(),
            }));
        }
        if let (Some(username), Some(password)) =
            (nonempty(&self.username), nonempty(&self.password))
        {
            return Ok(Some(Credentials::Basic { username, password }));
        }
        Ok(None)
    }
}

/// What `docker-credential-<name> get` prints.
#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

fn helper_credentials(reply: &[u8]) -> Option<Credentials> {
    let reply: HelperReply = serde_json::from_slice(reply).ok()?;
    if reply.secret.is_empty() {
        return None;
    }
    Some(if reply.username == "<token>" {
        Credentials::IdentityToken {
            token: reply.secret,
        }
    } else {
        Credentials::Basic {
            username: reply.username,
            password: reply.secret,
        }
    })
}

/// Run `docker-credential-<helper> get` with the host on stdin. `None` when it has nothing
/// for the host (it exits non-zero with "credentials not found").
fn run_helper(helper: &str, host: &str, helper_dir: Option<&Path>) -> Result<Option<Credentials>> {
    let program = format!("docker-credential-{helper}");
    let path = helper_dir.map_or_else(|| PathBuf::from(&program), |d| d.join(&program));
    let mut child = Command::new(&path)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::config(format!("the docker config asks credential helper `{program}` for {host}, but it cannot be run ({e}); install it, or remove it from credHelpers/credsStore in the docker config"))
        })?;
    // Docker stores Docker Hub under its v1 URL; other registries under their host.
    let key = if host == "index.docker.io" {
        "https://index.docker.io/v1/".to_string()
    } else {
        host.to_string()
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(key.as_bytes())
            .map_err(|e| Error::internal(format!("cannot talk to `{program}`: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::internal(format!("`{program}` failed: {e}")))?;
    if !out.status.success() {
        // "credentials not found in native keychain" or similar: nothing for this host.
        tracing::debug!(%host, %program, "credential helper has no credentials for this host");
        return Ok(None);
    }
    match helper_credentials(&out.stdout) {
        Some(c) => Ok(Some(c)),
        None => Err(Error::config(format!("credential helper `{program}` answered something that is not {{\"Username\",\"Secret\"}} JSON for {host}; check the helper works: echo {key} | {program} get"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::MemoryKeychain;

    fn lookup(json: &str, host: &str) -> Lookup {
        DockerConfig::parse(json).unwrap().lookup(host).unwrap()
    }

    fn basic(u: &str, p: &str) -> Credentials {
        Credentials::Basic {
            username: u.into(),
            password: p.into(),
        }
    }

    fn same(a: &Credentials, b: &Credentials) -> bool {
        match (a, b) {
            (Credentials::Anonymous, Credentials::Anonymous) => true,
            (
                Credentials::Basic {
                    username: u1,
                    password: p1,
                },
                Credentials::Basic {
                    username: u2,
                    password: p2,
                },
            ) => u1 == u2 && p1 == p2,
            (Credentials::Bearer { token: a }, Credentials::Bearer { token: b }) => a == b,
            (Credentials::IdentityToken { token: a }, Credentials::IdentityToken { token: b }) => {
                a == b
            }
            _ => false,
        }
    }

    #[test]
    fn docker_config_auths() {
        // base64("alice:s3cr:et") — the password may itself hold ':'.
        let json = r#"{"auths":{
            "https://index.docker.io/v1/":{"auth":"YWxpY2U6czNjcjpldA=="},
            "127.0.0.1:5000":{"auth":"Ym9iOnB3"},
            "ghcr.io":{"identitytoken":"idtok"},
            "quay.io":{"registrytoken":"regtok"},
            "plain.example.com":{"username":"u","password":"p"},
            "empty.example.com":{}
        }}"#;
        let found = |host: &str| match lookup(json, host) {
            Lookup::Found(c) => Some(c),
            Lookup::None => None,
            other => panic!("{other:?}"),
        };
        assert!(same(
            &found("index.docker.io").unwrap(),
            &basic("alice", "s3cr:et")
        ));
        assert!(same(
            &found(&normalize_host("docker.io")).unwrap(),
            &basic("alice", "s3cr:et")
        ));
        assert!(same(&found("127.0.0.1:5000").unwrap(), &basic("bob", "pw")));
        assert!(same(
            &found("ghcr.io").unwrap(),
            &Credentials::IdentityToken {
                token: "idtok".into()
            }
        ));
        assert!(same(
            &found("quay.io").unwrap(),
            &Credentials::Bearer {
                token: "regtok".into()
            }
        ));
        assert!(same(&found("plain.example.com").unwrap(), &basic("u", "p")));
        assert!(found("empty.example.com").is_none());
        assert!(found("other.example.com").is_none());

        let bad = DockerConfig::parse(r#"{"auths":{"h":{"auth":"bm9jb2xvbg=="}}}"#).unwrap();
        let e = bad.lookup("h").unwrap_err();
        assert_eq!(e.code, Code::Config);
        assert!(!e.message.contains("nocolon"));
    }

    #[test]
    fn docker_config_helpers() {
        let json = r#"{"auths":{"a.example.com":{"auth":"dTpw"}},"credHelpers":{"gcr.io":"gcloud"},"credsStore":"desktop"}"#;
        match lookup(json, "gcr.io") {
            Lookup::Helper {
                helper,
                fallback: None,
            } => assert_eq!(helper, "gcloud"),
            other => panic!("{other:?}"),
        }
        match lookup(json, "a.example.com") {
            Lookup::Helper {
                helper,
                fallback: Some(c),
            } => {
                assert_eq!(helper, "desktop");
                assert!(same(&c, &basic("u", "p")));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(lookup(r#"{"auths":{}}"#, "x"), Lookup::None));
        assert!(matches!(lookup(r#"{}"#, "x"), Lookup::None));
    }

    #[test]
    fn helper_replies() {
        let c = helper_credentials(br#"{"ServerURL":"h","Username":"u","Secret":"s"}"#).unwrap();
        assert!(same(&c, &basic("u", "s")));
        let c =
            helper_credentials(br#"{"ServerURL":"h","Username":"<token>","Secret":"t"}"#).unwrap();
        assert!(same(&c, &Credentials::IdentityToken { token: "t".into() }));
        assert!(helper_credentials(b"credentials not found").is_none());
    }

    #[test]
    #[cfg(unix)]
    fn docker_config_file_and_helper_program() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.json");
        assert!(same(
            &from_docker_config(&config, "h", None).unwrap(),
            &Credentials::Anonymous
        ));
        std::fs::write(&config, r#"{"auths":{"plain:5000":{"auth":"dTpw"}},"credHelpers":{"helped:5000":"fake","missing:5000":"absent"}}"#).unwrap();
        // The helper echoes back the host it was asked about as the user name.
        let helper = dir.path().join("docker-credential-fake");
        std::fs::write(
            &helper,
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread host\nif [ \"$host\" = helped:5000 ]; then printf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"pw\"}' \"$host\" \"$host\"; else echo 'credentials not found in native keychain'; exit 1; fi\n",
        )
        .unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let got = |host: &str| from_docker_config(&config, host, Some(dir.path()));
        assert!(same(&got("plain:5000").unwrap(), &basic("u", "p")));
        assert!(same(
            &got("helped:5000").unwrap(),
            &basic("helped:5000", "pw")
        ));
        assert!(same(&got("other:5000").unwrap(), &Credentials::Anonymous));
        assert_eq!(got("missing:5000").unwrap_err().code, Code::Config);
        std::fs::write(&config, "{not json").unwrap();
        assert_eq!(got("plain:5000").unwrap_err().code, Code::Config);
    }

    #[test]
    fn hosts_normalize() {
        assert_eq!(
            normalize_host("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(normalize_host("registry-1.docker.io"), "index.docker.io");
        assert_eq!(normalize_host("http://127.0.0.1:5000/"), "127.0.0.1:5000");
        assert_eq!(
            normalize_host("Registry.Example.com:443"),
            "registry.example.com:443"
        );
    }

    #[test]
    fn keychain_round_trip_and_format() {
        let kc = MemoryKeychain::default();
        store_credentials("127.0.0.1:5000", "alice", "pa\"ss", &kc).unwrap();
        let raw = kc.get(REGISTRY_SERVICE, "127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(raw, r#"{"username":"alice","password":"pa\"ss"}"#);
        let c = credentials_for("127.0.0.1:5000", &kc).unwrap();
        assert!(same(&c, &basic("alice", "pa\"ss")));
        assert_eq!(format!("{c:?}"), "Basic(alice, ***)");

        kc.set(REGISTRY_SERVICE, "broken.example.com", "hunter2")
            .unwrap();
        let e = credentials_for("broken.example.com", &kc).unwrap_err();
        assert_eq!(e.code, Code::Keychain);
        assert!(!e.message.contains("hunter2"));
    }
}
