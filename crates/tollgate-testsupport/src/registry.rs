//! [`TestRegistry`]: a real `docker-registry serve` (Debian's package, CNCF distribution 2.8) on
//! 127.0.0.1, a free port and a temp storage folder; anonymous, with htpasswd basic auth, or with
//! the token flow ([`crate::token`]); killed on drop. Its readiness is polled (`GET /v2/`), never
//! slept on.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tollgate::config::RegistryLocation;
use tollgate::registry::{Credentials, Registry, RegistryOptions, RetryPolicy};

use crate::process::run;
use crate::token::{TokenQuirks, TokenServer, TOKEN_ISSUER, TOKEN_SERVICE};

/// Options that keep retries short in tests: 4 attempts, 10 ms doubling, 100 ms cap.
pub fn fast_options() -> RegistryOptions {
    RegistryOptions {
        retry: RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(100),
        },
        ..RegistryOptions::default()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A real `docker-registry serve` on 127.0.0.1.
pub struct TestRegistry {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    auth: Option<(String, String)>,
    token: Option<TokenServer>,
}

impl TestRegistry {
    /// An anonymous registry.
    pub fn start() -> Self {
        Self::launch(None)
    }

    /// A registry that wants HTTP basic auth (htpasswd, bcrypt) for everything.
    pub fn start_with_auth(user: &str, pass: &str) -> Self {
        Self::launch(Some((user.to_string(), pass.to_string())))
    }

    /// A registry with the Docker/OCI token flow: it answers 401 with a Bearer challenge
    /// pointing at a small token service (also started here) that grants JWTs signed with a
    /// throw-away RSA key to `user`/`pass` (and nothing to anonymous callers).
    pub fn start_with_token_auth(user: &str, pass: &str) -> Self {
        Self::start_with_token_quirks(user, pass, TokenQuirks::default())
    }

    /// [`Self::start_with_token_auth`] with a token service that misbehaves as `quirks` say.
    pub fn start_with_token_quirks(user: &str, pass: &str, quirks: TokenQuirks) -> Self {
        Self::launch_with(Some((user.to_string(), pass.to_string())), Some(quirks))
    }

    fn launch(auth: Option<(String, String)>) -> Self {
        Self::launch_with(auth, None)
    }

    fn launch_with(auth: Option<(String, String)>, token: Option<TokenQuirks>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut token_server = None;
        match (&auth, token) {
            (Some((user, pass)), Some(quirks)) => {
                token_server = Some(TokenServer::start(dir.path(), user, pass, quirks))
            }
            (Some((user, pass)), None) => {
                let line = run(Command::new("htpasswd").args(["-Bbn", user, pass]));
                std::fs::write(dir.path().join("htpasswd"), line.trim()).expect("write htpasswd");
            }
            (None, _) => {}
        }
        let mut reg = TestRegistry {
            child: None,
            port: 0,
            dir,
            auth,
            token: token_server,
        };
        for _ in 0..20 {
            reg.port = free_port();
            if reg.spawn() {
                forget_stored_credentials(&reg.host());
                return reg;
            }
        }
        panic!(
            "docker-registry did not start; see {}",
            reg.log_path().display()
        );
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("registry.log")
    }

    /// Start the process on `self.port`; `false` if it exited (port taken) before answering.
    fn spawn(&mut self) -> bool {
        let storage = self.storage();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{}\n",
            storage.display(),
            self.port
        );
        if let Some(token) = &self.token {
            config.push_str(&format!(
                "auth:\n  token:\n    realm: http://{}:{}/token\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}\n",
                token.quirks.realm_host,
                token.port,
                token.cert.display()
            ));
        } else if self.auth.is_some() {
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: tollgate-test\n    path: {}\n",
                self.dir.path().join("htpasswd").display()
            ));
        }
        let config_path = self.dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write config.yml");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("docker-registry is installed (apt-get install docker-registry)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return false;
            }
            if let Some(status) = http_status(self.port, "GET", "/v2/") {
                if status == 200 || status == 401 {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop();
        false
    }

    /// The registry's process id (for CPU accounting in benchmarks).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kill the registry process (storage stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stop and start again on the same port with the same storage.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.spawn() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not restart on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    pub fn location(&self) -> RegistryLocation {
        RegistryLocation::Remote {
            host: self.host(),
            plain_http: true,
        }
    }

    /// The storage root (`docker/registry/v2/...` below it).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Token requests the token service answered (`path?query`), for a token-auth registry.
    pub fn token_requests(&self) -> Vec<String> {
        self.token
            .as_ref()
            .map(|t| t.requests.lock().unwrap().clone())
            .unwrap_or_default()
    }

    /// Make the token service of a token-auth registry grant pull only (`true`: a read-only
    /// user) or pull and push again (`false`).
    pub fn set_push_denied(&self, denied: bool) {
        let token = self
            .token
            .as_ref()
            .expect("a registry started with token auth");
        token.deny_push.store(denied, Ordering::SeqCst);
    }

    /// `(user, pass)` of an auth registry.
    pub fn auth(&self) -> Option<(&str, &str)> {
        self.auth.as_ref().map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// The credentials this registry accepts (anonymous if it has no auth).
    pub fn credentials(&self) -> Credentials {
        match &self.auth {
            Some((u, p)) => Credentials::Basic {
                username: u.clone(),
                password: p.clone(),
            },
            None => Credentials::Anonymous,
        }
    }

    /// A tollgate client with the right credentials and short retries.
    pub fn client(&self) -> Registry {
        self.client_with(self.credentials())
    }

    pub fn client_with(&self, credentials: Credentials) -> Registry {
        Registry::open_with(&self.location(), credentials, fast_options()).expect("open registry")
    }

    /// `--creds`-style `user:pass` for skopeo.
    pub(crate) fn skopeo_creds(&self, flag: &str) -> Vec<String> {
        match &self.auth {
            Some((u, p)) => vec![format!("{flag}={u}:{p}")],
            None => Vec::new(),
        }
    }

    /// The file that stores blob (or manifest) `digest` (`sha256:...`).
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        self.storage()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// Make the registry serve `bytes` for `digest` from now on: stop it, overwrite the stored
    /// blob, start it again on the same port.
    pub fn tamper(&mut self, digest: &str, bytes: &[u8]) {
        let file = self.blob_file(digest);
        assert!(file.exists(), "{} is not stored", file.display());
        self.stop();
        std::fs::write(&file, bytes).expect("overwrite blob");
        self.restart();
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
        forget_stored_credentials(&self.host());
    }
}

/// Remove what the OS keychain holds for `host` (`127.0.0.1:PORT`). Ports are reused between
/// tests, and credentials are stored by host: a test that logged in to a registry which has since
/// stopped must not hand its password to the next registry given that port. Done when a registry
/// starts (a crashed test cleans nothing) and when it is dropped. Without a session bus there is
/// no keychain to clean (the tests that store credentials run under scripts/with-keychain.sh).
#[expect(
    clippy::disallowed_methods,
    reason = "whether a session bus (and so a keychain) exists is only in the environment"
)]
fn forget_stored_credentials(host: &str) {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return;
    }
    let _ = tollgate::registry::delete_credentials(host, &tollgate::keychain::OsKeychain);
}

/// One HTTP/1.1 request on a fresh connection; the status, or `None` if nothing answers.
fn http_status(port: u16, method: &str, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().ok()?,
        Duration::from_millis(200),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}
