//! Real docker-registry instances, umoci images, skopeo pushes and inspections.
//!
//! - [`TestRegistry`]: Debian's `docker-registry` (CNCF distribution 2.8) on 127.0.0.1, a free
//!   port and a temp storage folder, optionally with htpasswd basic auth; killed on drop.
//! - [`make_image`] / [`make_multiarch_image`]: small distinct OCI images built with `umoci`
//!   (the base layout is built once per test run), with OCI labels in the config.
//! - [`push`], [`skopeo_digest`], [`skopeo_find_digest`], [`skopeo_retag`], [`skopeo_raw`],
//!   [`skopeo_pull`]: skopeo as the independent cross-check.
//! - [`FaultProxy`]: a small HTTP proxy in front of a real registry that can page tag lists
//!   (distribution 2.8 ignores `?n=`), answer 429/503 on demand, and count requests.
//!
//! Self-contained (only std, tempfile, serde_json, sha2, tollgate) so that benches can include
//! it with `#[path]`.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};
use tollgate::config::RegistryLocation;
use tollgate::registry::{Credentials, Registry, RegistryOptions, RetryPolicy};

/// The `created` time every test image's config carries.
pub const IMAGE_CREATED: &str = "2026-01-02T03:04:05Z";

/// Run a command, panic with its output if it fails; its stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

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
    #[allow(dead_code)]
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
    fn skopeo_creds(&self, flag: &str) -> Vec<String> {
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
    }
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

// ----- images -----

/// A one-image OCI layout made with umoci: `oci:{dir}:{tag}`.
#[derive(Debug, Clone)]
pub struct OciLayoutImage {
    pub dir: PathBuf,
    pub tag: String,
    /// The config labels it carries (`org.opencontainers.image.{revision,version,source}`).
    pub labels: BTreeMap<String, String>,
    /// `os/arch[/variant]` of an index, empty for a single image.
    pub platforms: Vec<String>,
}

impl OciLayoutImage {
    /// `oci:DIR:TAG`, for skopeo.
    pub fn oci_ref(&self) -> String {
        format!("oci:{}:{}", self.dir.display(), self.tag)
    }

    /// The digest of the image's top manifest (from the layout's index.json).
    pub fn digest(&self) -> String {
        let index: serde_json::Value = serde_json::from_slice(
            &std::fs::read(self.dir.join("index.json")).expect("index.json"),
        )
        .expect("index json");
        index["manifests"]
            .as_array()
            .expect("manifests")
            .iter()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == self.tag.as_str())
            .and_then(|m| m["digest"].as_str())
            .expect("tag in index.json")
            .to_string()
    }
}

/// Where built images live for the whole test run (removed when the process exits is not
/// guaranteed; it is a temp dir).
fn images_root() -> &'static Path {
    static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
    ROOT.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("tollgate-it-images")
            .tempdir()
            .expect("tempdir")
    })
    .path()
}

/// The empty base image (`umoci init` + `umoci new`), built once.
fn base_layout() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = images_root().join("base");
        run(Command::new("umoci").args(["init", "--layout"]).arg(&dir));
        run(Command::new("umoci")
            .args(["new", "--image"])
            .arg(format!("{}:v", dir.display())));
        dir
    })
}

fn short_hash(s: &str) -> String {
    hex_encode(&Sha256::digest(s.as_bytes()))[..16].to_string()
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    run(Command::new("cp").arg("-r").arg(from).arg(to));
}

/// Labels of the image made from `content`.
pub fn labels_for(content: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "org.opencontainers.image.revision".to_string(),
            format!("rev-{}", short_hash(content)),
        ),
        (
            "org.opencontainers.image.version".to_string(),
            format!("1.0.0-{}", &short_hash(content)[..6]),
        ),
        (
            "org.opencontainers.image.source".to_string(),
            "https://git.example.com/payments/api".to_string(),
        ),
    ])
}

/// Build (or reuse) a layout with `content` in `/content`, the OCI labels of [`labels_for`],
/// `created` = [`IMAGE_CREATED`], for `arch` (`amd64`, `arm64`, ...). (umoci sets no variant:
/// an index's platform variant lives in the index entry.)
fn build_image(content: &str, arch: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let key = format!("{arch}/{content}");
    let built = BUILT.get_or_init(Default::default);
    if let Some(dir) = built.lock().unwrap().get(&key) {
        return dir.clone();
    }
    let dir = images_root().join(format!("img-{}", short_hash(&key)));
    let tmp = images_root().join(
        format!("tmp-{}-{:?}", short_hash(&key), std::thread::current().id())
            .replace(['(', ')'], ""),
    );
    copy_dir(base_layout(), &tmp);
    let file = images_root().join(format!(
        "content-{}",
        short_hash(&format!("{key}{:?}", std::thread::current().id()))
    ));
    std::fs::write(&file, content).expect("content file");
    let image = format!("{}:v", tmp.display());
    run(Command::new("umoci")
        .args(["insert", "--image", &image])
        .arg(&file)
        .arg("/content"));
    let mut config = Command::new("umoci");
    config.args([
        "config",
        "--image",
        &image,
        "--created",
        IMAGE_CREATED,
        "--architecture",
        arch,
        "--os",
        "linux",
    ]);
    for (k, v) in labels_for(content) {
        config.arg("--config.label").arg(format!("{k}={v}"));
    }
    run(&mut config);
    run(Command::new("umoci").args(["gc", "--layout"]).arg(&tmp));
    let _ = std::fs::remove_file(&file);
    let mut map = built.lock().unwrap();
    if let Some(dir) = map.get(&key) {
        let _ = std::fs::remove_dir_all(&tmp);
        return dir.clone();
    }
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    map.insert(key, dir.clone());
    dir
}

/// A small distinct single-platform image (linux/amd64) holding `tag_content`.
/// The same content gives the same image (and digest) within a test run.
pub fn make_image(tag_content: &str) -> OciLayoutImage {
    let dir = build_image(tag_content, "amd64");
    OciLayoutImage {
        dir,
        tag: "v".into(),
        labels: labels_for(tag_content),
        platforms: Vec::new(),
    }
}

/// An OCI index over two images holding `tag_content`: linux/amd64 and linux/arm64/v8,
/// written into a layout of its own (tag `multi`), pushable with `skopeo copy --all`.
pub fn make_multiarch_image(tag_content: &str) -> OciLayoutImage {
    let amd = build_image(tag_content, "amd64");
    let arm = build_image(tag_content, "arm64");
    let dir = images_root().join(
        format!(
            "multi-{}-{:?}",
            short_hash(tag_content),
            std::thread::current().id()
        )
        .replace(['(', ')'], ""),
    );
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&amd, &dir);
    // Bring the arm64 image's blobs over.
    for entry in std::fs::read_dir(arm.join("blobs/sha256")).expect("blobs") {
        let entry = entry.expect("entry");
        let target = dir.join("blobs/sha256").join(entry.file_name());
        if !target.exists() {
            std::fs::copy(entry.path(), target).expect("copy blob");
        }
    }
    let desc = |layout: &Path, platform: serde_json::Value| {
        let img = OciLayoutImage {
            dir: layout.to_path_buf(),
            tag: "v".into(),
            labels: BTreeMap::new(),
            platforms: Vec::new(),
        };
        let digest = img.digest();
        let size = std::fs::metadata(layout.join("blobs/sha256").join(&digest["sha256:".len()..]))
            .expect("manifest blob")
            .len();
        serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size, "platform": platform})
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            desc(&amd, serde_json::json!({"os": "linux", "architecture": "amd64"})),
            desc(&arm, serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8"})),
        ],
        "annotations": {"org.opencontainers.image.title": "multi"}
    });
    let bytes = serde_json::to_vec(&index).expect("index");
    let hex = hex_encode(&Sha256::digest(&bytes));
    std::fs::write(dir.join("blobs/sha256").join(&hex), &bytes).expect("write index blob");
    let top = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": format!("sha256:{hex}"),
            "size": bytes.len(),
            "annotations": {"org.opencontainers.image.ref.name": "multi"}
        }]
    });
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&top).expect("top"),
    )
    .expect("index.json");
    OciLayoutImage {
        dir,
        tag: "multi".into(),
        labels: labels_for(tag_content),
        platforms: vec!["linux/amd64".into(), "linux/arm64/v8".into()],
    }
}

// ----- skopeo -----

/// `skopeo copy --quiet --all --preserve-digests FLAGS SRC DST`.
fn skopeo_copy(flags: &[String], src: &str, dst: &str) {
    run(Command::new("skopeo")
        .args(["copy", "--quiet", "--all", "--preserve-digests"])
        .args(flags)
        .arg(src)
        .arg(dst));
}

/// `skopeo inspect --tls-verify=false ARGS docker://HOST/REFERENCE` with the registry's
/// credentials, not run yet.
fn skopeo_inspect(registry: &TestRegistry, args: &[&str], reference: &str) -> Command {
    let mut cmd = Command::new("skopeo");
    cmd.args(["inspect", "--tls-verify=false"]).args(args);
    cmd.args(registry.skopeo_creds("--creds"));
    cmd.arg(format!("docker://{}/{reference}", registry.host()));
    cmd
}

/// `skopeo copy --all oci:... docker://HOST/REPO:TAG` (with the registry's credentials).
pub fn push(image: &OciLayoutImage, registry: &TestRegistry, repo_tag: &str) {
    let mut flags = vec!["--dest-tls-verify=false".to_string()];
    flags.extend(registry.skopeo_creds("--dest-creds"));
    skopeo_copy(
        &flags,
        &image.oci_ref(),
        &format!("docker://{}/{repo_tag}", registry.host()),
    );
}

/// The digest of `REPO:TAG` as skopeo sees it.
pub fn skopeo_digest(registry: &TestRegistry, repo_tag: &str) -> String {
    run(&mut skopeo_inspect(
        registry,
        &["--format", "{{.Digest}}"],
        repo_tag,
    ))
    .trim()
    .to_string()
}

/// The digest of `REPO:TAG` as skopeo sees it, `None` when skopeo finds no such tag.
pub fn skopeo_find_digest(registry: &TestRegistry, repo_tag: &str) -> Option<String> {
    let out = skopeo_inspect(registry, &["--format", "{{.Digest}}"], repo_tag)
        .output()
        .expect("skopeo");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The raw manifest bytes of `REPO:TAG` (or `REPO@DIGEST`) as skopeo reads them.
pub fn skopeo_raw(registry: &TestRegistry, reference: &str) -> Vec<u8> {
    let out = skopeo_inspect(registry, &["--raw"], reference)
        .output()
        .expect("skopeo");
    assert!(
        out.status.success(),
        "skopeo inspect --raw {reference}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Point `dst` (`REPO:TAG`) at what `src` (`REPO:TAG`) points at, outside Tollgate.
pub fn skopeo_retag(registry: &TestRegistry, src: &str, dst: &str) {
    let mut flags = vec![
        "--src-tls-verify=false".to_string(),
        "--dest-tls-verify=false".to_string(),
    ];
    flags.extend(registry.skopeo_creds("--src-creds"));
    flags.extend(registry.skopeo_creds("--dest-creds"));
    skopeo_copy(
        &flags,
        &format!("docker://{}/{src}", registry.host()),
        &format!("docker://{}/{dst}", registry.host()),
    );
}

/// Copy every platform of `REPO:TAG` into a fresh OCI layout with skopeo, which fails unless
/// every manifest and blob can be read from the registry.
pub fn skopeo_pull(registry: &TestRegistry, repo_tag: &str) -> tempfile::TempDir {
    let mut flags = vec!["--src-tls-verify=false".to_string()];
    flags.extend(registry.skopeo_creds("--src-creds"));
    pull_into_temp(&flags, &format!("docker://{}/{repo_tag}", registry.host()))
}

/// [`skopeo_pull`] from `oci:PATH:TAG` (a layout registry's repository folder).
pub fn skopeo_pull_layout(path: &Path, tag: &str) -> tempfile::TempDir {
    pull_into_temp(&[], &format!("oci:{}:{tag}", path.display()))
}

fn pull_into_temp(flags: &[String], src: &str) -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("tempdir");
    skopeo_copy(flags, src, &format!("oci:{}:x", out.path().display()));
    out
}

/// The digest of `oci:PATH:TAG` as skopeo sees it.
pub fn skopeo_layout_digest(path: &Path, tag: &str) -> String {
    run(Command::new("skopeo")
        .args(["inspect", "--format", "{{.Digest}}"])
        .arg(format!("oci:{}:{tag}", path.display())))
    .trim()
    .to_string()
}

/// Copy `image` into `oci:PATH:TAG` with skopeo (a layout registry's repository folder).
pub fn push_to_layout(image: &OciLayoutImage, path: &Path, tag: &str) {
    std::fs::create_dir_all(path).expect("layout dir");
    skopeo_copy(
        &[],
        &image.oci_ref(),
        &format!("oci:{}:{tag}", path.display()),
    );
}

// ----- a fault-injecting, paging proxy -----

/// A canned answer the proxy gives instead of forwarding.
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub retry_after: Option<String>,
}

#[derive(Default)]
struct ProxyState {
    page_tags: bool,
    faults: VecDeque<Fault>,
    requests: Vec<(String, String)>,
    in_flight: usize,
    max_in_flight: usize,
    /// Requests whose path contains the key get this body (chunked when the flag is set).
    bodies: Vec<(String, Vec<u8>, bool)>,
    /// `(method, path part, forward)`: the next such request is forwarded (or not), and its
    /// answer is lost (the proxy closes the client connection without a response), once.
    lose_answer: Vec<(String, String, bool)>,
    /// `(path part, body)`: after every successful PUT whose path contains the part, the
    /// proxy PUTs `body` to the same path itself (a rival writer that always writes last).
    overwrite: Option<(String, Vec<u8>)>,
    /// How many rival writes were made.
    overwrites: usize,
}

/// An HTTP/1.1 proxy on 127.0.0.1 in front of a real registry. It keeps client connections
/// alive and forwards each request on a fresh upstream connection, keeping the `Host` header
/// (so the registry's Location URLs point back at the proxy).
pub struct FaultProxy {
    port: u16,
    state: Arc<Mutex<ProxyState>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    pub fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let state: Arc<Mutex<ProxyState>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let st = state.clone();
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { break };
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve_connection(conn, upstream_port, &st);
                });
            }
        });
        FaultProxy { port, state, stop }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn location(&self) -> RegistryLocation {
        RegistryLocation::Remote {
            host: self.host(),
            plain_http: true,
        }
    }

    pub fn client(&self, credentials: Credentials, options: RegistryOptions) -> Registry {
        Registry::open_with(&self.location(), credentials, options).expect("open registry")
    }

    /// Page `tags/list` answers by `n` and `last`, with a `Link: <...>; rel="next"` header.
    pub fn page_tags(&self, on: bool) {
        self.state.lock().unwrap().page_tags = on;
    }

    /// Answer the next requests with these statuses instead of forwarding them.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.state
            .lock()
            .unwrap()
            .faults
            .extend(faults.iter().cloned());
    }

    /// Answer requests whose path contains `path_part` with the registry's status and headers
    /// but `body` (sent with `Transfer-Encoding: chunked` and no length when `chunked`).
    pub fn replace_body(&self, path_part: &str, body: Vec<u8>, chunked: bool) {
        self.state
            .lock()
            .unwrap()
            .bodies
            .push((path_part.to_string(), body, chunked));
    }

    /// Forward the next `method` request whose path contains `path_part` to the registry, then
    /// close the client's connection without answering: a request applied whose answer never
    /// came back (a timeout, a dropped connection).
    pub fn lose_answer_to(&self, method: &str, path_part: &str) {
        self.state.lock().unwrap().lose_answer.push((
            method.to_string(),
            path_part.to_string(),
            true,
        ));
    }

    /// Close the client's connection on the next `method` request whose path contains
    /// `path_part`, without forwarding it: a request lost on the way.
    pub fn drop_request_to(&self, method: &str, path_part: &str) {
        self.state.lock().unwrap().lose_answer.push((
            method.to_string(),
            path_part.to_string(),
            false,
        ));
    }

    /// After every successful PUT whose path contains `path_part`, PUT `body` to the same
    /// path before answering: another writer whose write always lands right after ours.
    /// `None` stops it.
    pub fn overwrite_after_put(&self, rival: Option<(&str, Vec<u8>)>) {
        self.state.lock().unwrap().overwrite = rival.map(|(p, b)| (p.to_string(), b));
    }

    /// How many rival writes [`Self::overwrite_after_put`] made.
    pub fn overwrites(&self) -> usize {
        self.state.lock().unwrap().overwrites
    }

    /// `(method, path-and-query)` of every request seen so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn clear_requests(&self) {
        let mut st = self.state.lock().unwrap();
        st.requests.clear();
        st.max_in_flight = 0;
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.state.lock().unwrap().max_in_flight
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Wake the accept loop so it sees the flag and ends.
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)).map(|s| s.shutdown(Shutdown::Both));
    }
}

struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A start line and its headers.
type Head = (String, Vec<(String, String)>);

fn read_head(r: &mut impl BufRead) -> std::io::Result<Option<Head>> {
    let mut start = String::new();
    if r.read_line(&mut start)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(Some((start.trim_end().to_string(), headers)))
}

fn read_body(
    r: &mut impl BufRead,
    headers: &[(String, String)],
    until_eof: bool,
) -> std::io::Result<Vec<u8>> {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else if until_eof {
        r.read_to_end(&mut body)?;
    }
    Ok(body)
}

fn serve_connection(
    conn: TcpStream,
    upstream_port: u16,
    state: &Mutex<ProxyState>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut writer = conn;
    while let Some((start, headers)) = read_head(&mut reader)? {
        let body = read_body(&mut reader, &headers, false)?;
        let req = Message {
            start,
            headers,
            body,
        };
        let mut parts = req.start.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("/").to_string();
        let (fault, page, replacement, lose) = {
            let mut st = state.lock().unwrap();
            st.requests.push((method.clone(), target.clone()));
            st.in_flight += 1;
            st.max_in_flight = st.max_in_flight.max(st.in_flight);
            let body = st
                .bodies
                .iter()
                .find(|(p, _, _)| target.contains(p.as_str()))
                .map(|(_, b, c)| (b.clone(), *c));
            let lose = st
                .lose_answer
                .iter()
                .position(|(m, p, _)| *m == method && target.contains(p.as_str()));
            let lose = lose.map(|i| st.lose_answer.remove(i).2);
            let fault = if lose.is_some() {
                None
            } else {
                st.faults.pop_front()
            };
            (fault, st.page_tags, body, lose)
        };
        if let Some(forwarding) = lose {
            let forwarded = if forwarding {
                forward(&req, upstream_port).map(drop)
            } else {
                Ok(())
            };
            state.lock().unwrap().in_flight -= 1;
            forwarded?;
            let _ = writer.shutdown(Shutdown::Both);
            return Ok(());
        }
        // Hold each request a moment so concurrent ones overlap visibly.
        std::thread::sleep(Duration::from_millis(2));
        let mut resp = match fault {
            Some(f) => {
                let mut headers =
                    vec![("Content-Type".to_string(), "application/json".to_string())];
                if let Some(ra) = f.retry_after {
                    headers.push(("Retry-After".to_string(), ra));
                }
                let body = br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"injected by the test proxy"}]}"#.to_vec();
                Message {
                    start: format!("HTTP/1.1 {} Injected", f.status),
                    headers,
                    body,
                }
            }
            None => {
                let mut resp = match forward(&req, upstream_port) {
                    Ok(r) => r,
                    Err(e) => {
                        state.lock().unwrap().in_flight -= 1;
                        return Err(e);
                    }
                };
                if page
                    && method == "GET"
                    && target.contains("/tags/list")
                    && resp.start.contains(" 200")
                {
                    page_tags(&target, &mut resp);
                }
                let rival = {
                    let st = state.lock().unwrap();
                    st.overwrite
                        .as_ref()
                        .filter(|(p, _)| {
                            method == "PUT"
                                && target.contains(p.as_str())
                                && resp.start.contains(" 201")
                        })
                        .map(|(_, b)| b.clone())
                };
                if let Some(body) = rival {
                    let write = Message {
                        start: req.start.clone(),
                        headers: req.headers.clone(),
                        body,
                    };
                    let answer = forward(&write, upstream_port)?;
                    assert!(
                        answer.start.contains(" 201"),
                        "rival write: {}",
                        answer.start
                    );
                    state.lock().unwrap().overwrites += 1;
                }
                resp
            }
        };
        let chunked = match replacement {
            Some((body, chunked)) => {
                resp.body = body;
                chunked
            }
            None => false,
        };
        write!(writer, "{}\r\n", resp.start)?;
        for (k, v) in &resp.headers {
            if k.eq_ignore_ascii_case("transfer-encoding")
                || k.eq_ignore_ascii_case("connection")
                || (k.eq_ignore_ascii_case("content-length") && method != "HEAD")
            {
                continue;
            }
            write!(writer, "{k}: {v}\r\n")?;
        }
        if chunked && method != "HEAD" {
            write!(writer, "Transfer-Encoding: chunked\r\n\r\n")?;
            for chunk in resp.body.chunks(64 * 1024) {
                write!(writer, "{:x}\r\n", chunk.len())?;
                writer.write_all(chunk)?;
                write!(writer, "\r\n")?;
            }
            write!(writer, "0\r\n\r\n")?;
        } else {
            if method != "HEAD" {
                write!(writer, "Content-Length: {}\r\n", resp.body.len())?;
            }
            write!(writer, "\r\n")?;
            if method != "HEAD" {
                writer.write_all(&resp.body)?;
            }
        }
        writer.flush()?;
        state.lock().unwrap().in_flight -= 1;
    }
    Ok(())
}

fn forward(req: &Message, upstream_port: u16) -> std::io::Result<Message> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream_port))?;
    write!(up, "{}\r\n", req.start)?;
    for (k, v) in &req.headers {
        if k.eq_ignore_ascii_case("connection")
            || k.eq_ignore_ascii_case("content-length")
            || k.eq_ignore_ascii_case("transfer-encoding")
        {
            continue;
        }
        write!(up, "{k}: {v}\r\n")?;
    }
    write!(
        up,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        req.body.len()
    )?;
    up.write_all(&req.body)?;
    up.flush()?;
    let mut r = BufReader::new(up);
    let (start, headers) =
        read_head(&mut r)?.ok_or_else(|| std::io::Error::other("upstream closed"))?;
    let is_head = req.start.starts_with("HEAD ");
    let body = if is_head {
        Vec::new()
    } else {
        read_body(&mut r, &headers, true)?
    };
    Ok(Message {
        start,
        headers,
        body,
    })
}

/// Apply `n` and `last` to a tags list answer, sorted, with a Link to the next page.
fn page_tags(target: &str, resp: &mut Message) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let Some(n) = param("n").and_then(|v| v.parse::<usize>().ok()) else {
        return;
    };
    let last = param("last");
    let mut v: serde_json::Value = serde_json::from_slice(&resp.body).expect("tags json");
    let mut tags: Vec<String> = v["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    tags.sort();
    let rest: Vec<String> = tags
        .into_iter()
        .filter(|t| last.as_ref().is_none_or(|l| t > l))
        .collect();
    let page: Vec<String> = rest.iter().take(n).cloned().collect();
    if rest.len() > n {
        let link = format!(
            "<{path}?n={n}&last={}>; rel=\"next\"",
            page.last().expect("page")
        );
        resp.headers.push(("Link".to_string(), link));
    }
    v["tags"] = serde_json::json!(page);
    resp.body = serde_json::to_vec(&v).expect("json");
}

// ----- a token service for the registry's `auth.token` mode -----

const TOKEN_SERVICE: &str = "tollgate-test";
const TOKEN_ISSUER: &str = "tollgate-test-issuer";

/// The token endpoint of the Docker/OCI token flow: `GET /token?service=S&scope=...` with
/// optional Basic credentials answers `{"token": JWT}`; the JWT is RS256-signed (with
/// `openssl dgst`) by a key whose self-signed certificate is the registry's `rootcertbundle`
/// and travels in the `x5c` header.
/// How the test token service departs from a well-behaved one.
#[derive(Debug, Clone)]
pub struct TokenQuirks {
    /// The host the registry's challenge names in its `realm` (`http://HOST:PORT/token`); the
    /// service listens on 127.0.0.1, so `0.0.0.0` (not a loopback address, but reaching this
    /// machine on Linux) makes a plain-http, non-loopback realm that still answers.
    pub realm_host: String,
    /// The `expires_in` of every answer (any JSON value).
    pub expires_in: serde_json::Value,
    /// Bytes of padding added to every answer (in a `padding` field).
    pub padding: usize,
}

impl Default for TokenQuirks {
    fn default() -> Self {
        TokenQuirks {
            realm_host: "127.0.0.1".into(),
            expires_in: serde_json::json!(300),
            padding: 0,
        }
    }
}

struct TokenServer {
    port: u16,
    cert: PathBuf,
    quirks: TokenQuirks,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    /// While set, tokens never grant `push` (a read-only user).
    deny_push: Arc<AtomicBool>,
}

impl TokenServer {
    fn start(dir: &Path, user: &str, pass: &str, quirks: TokenQuirks) -> Self {
        let key = dir.join("token.key");
        let cert = dir.join("token.crt");
        run(Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=tollgate-test-token",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert));
        let der = Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&cert)
            .output()
            .expect("openssl x509")
            .stdout;
        let x5c = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind token server");
        let port = listener.local_addr().expect("addr").port();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopping, answer) = (requests.clone(), stop.clone(), quirks.clone());
        let deny_push = Arc::new(AtomicBool::new(false));
        let denying = deny_push.clone();
        let expected = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{user}:{pass}")
            )
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { break };
                let denying = denying.clone();
                let (log, key, x5c, expected, answer) = (
                    log.clone(),
                    key.clone(),
                    x5c.clone(),
                    expected.clone(),
                    answer.clone(),
                );
                std::thread::spawn(move || {
                    let _ = serve_token(conn, &log, &key, &x5c, &expected, &answer, &denying);
                });
            }
        });
        TokenServer {
            port,
            cert,
            quirks,
            requests,
            stop,
            deny_push,
        }
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)).map(|s| s.shutdown(Shutdown::Both));
    }
}

fn b64url(bytes: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve_token(
    conn: TcpStream,
    log: &Mutex<Vec<String>>,
    key: &Path,
    x5c: &str,
    expected: &str,
    quirks: &TokenQuirks,
    deny_push: &AtomicBool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut writer = conn;
    while let Some((start, headers)) = read_head(&mut reader)? {
        let _ = read_body(&mut reader, &headers, false)?;
        let target = start.split_whitespace().nth(1).unwrap_or("/").to_string();
        log.lock().unwrap().push(target.clone());
        let auth = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone());
        let (status, body) = match auth {
            Some(a) if a != expected => (
                "401 Unauthorized",
                r#"{"details":"wrong credentials"}"#.to_string(),
            ),
            auth => {
                let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
                let access: Vec<serde_json::Value> = if auth.is_some() {
                    query
                        .split('&')
                        .filter_map(|kv| kv.split_once('='))
                        .filter(|(k, _)| *k == "scope")
                        .flat_map(|(_, v)| {
                            percent_decode(v)
                                .split(' ')
                                .map(str::to_string)
                                .collect::<Vec<_>>()
                        })
                        .filter_map(|scope| {
                            let mut parts = scope.splitn(3, ':');
                            let (kind, name, actions) =
                                (parts.next()?, parts.next()?, parts.next()?);
                            let actions: Vec<&str> = actions
                                .split(',')
                                .filter(|a| !(*a == "push" && deny_push.load(Ordering::SeqCst)))
                                .collect();
                            Some(
                                serde_json::json!({"type": kind, "name": name, "actions": actions}),
                            )
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("clock")
                    .as_secs();
                let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [x5c]});
                let claims = serde_json::json!({
                    "iss": TOKEN_ISSUER, "sub": if auth.is_some() { "user" } else { "" }, "aud": TOKEN_SERVICE,
                    "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{}", log.lock().unwrap().len()),
                    "access": access,
                });
                let input = format!(
                    "{}.{}",
                    b64url(header.to_string().as_bytes()),
                    b64url(claims.to_string().as_bytes())
                );
                let mut sign = Command::new("openssl")
                    .args(["dgst", "-sha256", "-binary", "-sign"])
                    .arg(key)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()?;
                sign.stdin
                    .take()
                    .expect("stdin")
                    .write_all(input.as_bytes())?;
                let signature = sign.wait_with_output()?.stdout;
                let jwt = format!("{input}.{}", b64url(&signature));
                (
                    "200 OK",
                    serde_json::json!({"token": jwt, "access_token": jwt, "expires_in": quirks.expires_in, "padding": "x".repeat(quirks.padding)})
                        .to_string(),
                )
            }
        };
        write!(writer, "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())?;
        writer.flush()?;
    }
    Ok(())
}
