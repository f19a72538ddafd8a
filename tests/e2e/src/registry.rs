//! A real registry for the end-to-end tests: Debian's `docker-registry` (CNCF distribution 2.8)
//! on 127.0.0.1 with its storage in a temporary folder, small distinct images made with `umoci`,
//! pushed and read back with `skopeo` (the independent cross-check). The same approach as the
//! core's harness (crates/tollgate/tests/it/support/registry.rs), cut to what the window needs.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::process::Group;

pub struct Registry {
    pub port: u16,
    dir: tempfile::TempDir,
    _server: Group,
}

impl Registry {
    /// Start an anonymous registry on a free port; wait until `/v2/` answers.
    pub fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        for _ in 0..10 {
            let port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                    dir.path().join("storage").display()
                ),
            )?;
            let log = std::fs::File::create(dir.path().join("registry.log"))?;
            let mut server = Group::spawn(
                "docker-registry",
                Command::new("docker-registry")
                    .arg("serve")
                    .arg(&config)
                    .stdin(Stdio::null())
                    .stdout(log.try_clone()?)
                    .stderr(log),
            )
            .context("apt-get install docker-registry")?;
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if server.check_running().is_err() {
                    break; // the port was taken: try another
                }
                if v2_answers(port) {
                    return Ok(Registry {
                        port,
                        dir,
                        _server: server,
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        bail!("docker-registry did not start")
    }

    /// `127.0.0.1:PORT`
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A one-image OCI layout holding `content`, made with umoci; `oci:DIR:v`.
    pub fn image(&self, content: &str) -> Result<String> {
        let name: String = content
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let layout = self.dir.path().join(format!("img-{name}"));
        let image = format!("{}:v", layout.display());
        run(Command::new("umoci")
            .arg("init")
            .arg("--layout")
            .arg(&layout))?;
        run(Command::new("umoci").args(["new", "--image", &image]))?;
        let file = self.dir.path().join(format!("content-{name}"));
        std::fs::write(&file, content)?;
        run(Command::new("umoci")
            .args(["insert", "--image", &image])
            .arg(&file)
            .arg("/content"))?;
        run(Command::new("umoci").args([
            "config",
            "--image",
            &image,
            "--created",
            "2026-01-02T03:04:05Z",
            "--config.label",
            &format!("org.opencontainers.image.revision=rev-{name}"),
            "--config.label",
            "org.opencontainers.image.version=1.0.0",
        ]))?;
        Ok(format!("oci:{image}"))
    }

    /// `skopeo copy` an `oci:` image to `REPO:TAG` here.
    pub fn push(&self, oci: &str, repo_tag: &str) -> Result<()> {
        run(Command::new("skopeo")
            .args([
                "copy",
                "--quiet",
                "--preserve-digests",
                "--dest-tls-verify=false",
            ])
            .arg(oci)
            .arg(format!("docker://{}/{repo_tag}", self.host())))?;
        Ok(())
    }

    /// The digest `REPO:TAG` resolves to, as skopeo sees it.
    pub fn digest(&self, repo_tag: &str) -> Result<String> {
        Ok(run(Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
            .arg(format!("docker://{}/{repo_tag}", self.host())))?
        .trim()
        .to_string())
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

fn v2_answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(
        s,
        "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return false;
    }
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).is_ok() && line.contains(" 200")
}

/// Run a command; its stdout, or an error with its stderr.
pub fn run(command: &mut Command) -> Result<String> {
    let out = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A throwaway Ed25519 public key (`ssh-ed25519 AAAA… comment`) made with ssh-keygen, for an
/// approver whose private key nobody on this machine holds.
pub fn other_public_key(dir: &Path, comment: &str) -> Result<String> {
    let file: PathBuf = dir.join(format!("key-{comment}"));
    let _ = std::fs::remove_file(&file);
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(&file))?;
    Ok(std::fs::read_to_string(format!("{}.pub", file.display()))?
        .trim()
        .to_string())
}
