//! [`SshServer`]: a real `ssh://` git remote. Debian's OpenSSH `sshd` (package
//! `openssh-server`; the system service is never started) runs on 127.0.0.1, on a free port, as
//! the current user, with its own host key and `sshd_config` in a temp folder; a real
//! `ssh-agent` holds a fresh client key (the key file is deleted once the agent has it, so the
//! only way in is through the agent). Readiness is sshd's banner on the port, polled, never
//! slept on. Both processes are killed on drop (only those two, by their ids).
//!
//! Git reaches it with [`SshServer::url`] and the variables of [`SshServer::env`]:
//! `SSH_AUTH_SOCK` and a `GIT_SSH_COMMAND` that runs the real `ssh` client with no user
//! configuration (`-F /dev/null`), a known_hosts file holding exactly this server's host key and
//! `StrictHostKeyChecking=yes`.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::run;

/// A running `sshd` and the `ssh-agent` that holds the key it accepts.
pub struct SshServer {
    sshd: Option<Child>,
    agent: Option<Child>,
    port: u16,
    user: String,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local addr")
        .port()
}

/// Wait until `ready` holds, checking at short, growing intervals; panic with `what` after
/// 20 seconds.
fn poll(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    let mut pause = Duration::from_millis(2);
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what} did not happen within 20 s"
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

impl SshServer {
    /// Start `ssh-agent` with a fresh ed25519 key and `sshd` accepting that key for the
    /// current user. Panics (with sshd's log) if either does not start.
    pub fn start() -> SshServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let user = run(Command::new("id").arg("-un")).trim().to_string();
        let d = dir.path();
        // Keys: the server's host key and the client's key, both made here.
        for name in ["host_ed25519", "client_ed25519"] {
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
                .arg(d.join(name)));
        }
        std::fs::copy(d.join("client_ed25519.pub"), d.join("authorized_keys"))
            .expect("write authorized_keys");
        let mut server = SshServer {
            sshd: None,
            agent: None,
            port: 0,
            user,
            dir,
        };
        server.start_agent();
        // sshd running as root wants its privilege separation folder (the init script makes it).
        if server.user == "root" && !Path::new("/run/sshd").exists() {
            std::fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        }
        for _ in 0..20 {
            server.port = free_port();
            if server.spawn_sshd() {
                server.write_known_hosts();
                return server;
            }
        }
        panic!(
            "sshd did not start; its log:\n{}",
            std::fs::read_to_string(server.log_path()).unwrap_or_default()
        );
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn log_path(&self) -> PathBuf {
        self.path("sshd.log")
    }

    /// `ssh-agent -D` on a socket in the temp folder, holding the client key; the key file is
    /// then deleted.
    fn start_agent(&mut self) {
        let socket = self.path("agent.sock");
        let agent = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent runs (package openssh-client)");
        self.agent = Some(agent);
        poll("ssh-agent's socket appearing", || socket.exists());
        let key = self.path("client_ed25519");
        let added = Command::new("ssh-add")
            .arg("-q")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &socket)
            .stdin(Stdio::null())
            .output()
            .expect("ssh-add runs");
        assert!(
            added.status.success(),
            "ssh-add failed: {}",
            String::from_utf8_lossy(&added.stderr)
        );
        std::fs::remove_file(&key).expect("delete the client key file");
    }

    /// Start sshd on `self.port`; `false` if it exited (the port was taken) before greeting.
    fn spawn_sshd(&mut self) -> bool {
        let d = self.dir.path();
        let config = format!(
            "Port {port}\n\
             ListenAddress 127.0.0.1\n\
             HostKey {host}\n\
             PidFile {pid}\n\
             AuthorizedKeysFile {keys}\n\
             AllowUsers {user}\n\
             PermitRootLogin prohibit-password\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             StrictModes no\n\
             UsePAM no\n\
             PrintMotd no\n\
             AcceptEnv no-such-variable\n\
             LogLevel VERBOSE\n",
            port = self.port,
            host = d.join("host_ed25519").display(),
            pid = d.join("sshd.pid").display(),
            keys = d.join("authorized_keys").display(),
            user = self.user,
        );
        std::fs::write(self.path("sshd_config"), config).expect("write sshd_config");
        let log = std::fs::File::create(self.log_path()).expect("create sshd.log");
        // sshd must be started by its absolute path; -D: stay in the foreground, -e: log to
        // standard error (the log file).
        let child = Command::new("/usr/sbin/sshd")
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(self.path("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("/usr/sbin/sshd runs (package openssh-server)");
        self.sshd = Some(child);
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        while started.elapsed() < Duration::from_secs(20) {
            if let Some(child) = self.sshd.as_mut() {
                if let Ok(Some(_)) = child.try_wait() {
                    self.sshd = None;
                    return false;
                }
            }
            if self.greets() {
                return true;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
        self.stop_sshd();
        false
    }

    /// The port accepts a connection and answers with an `SSH-2.0-` banner.
    fn greets(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut banner = [0u8; 8];
        stream.read_exact(&mut banner).is_ok() && &banner == b"SSH-2.0-"
    }

    fn write_known_hosts(&self) {
        let key = std::fs::read_to_string(self.path("host_ed25519.pub")).expect("host key");
        let mut parts = key.split_whitespace();
        let (kind, body) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        std::fs::write(
            self.path("known_hosts"),
            format!("[127.0.0.1]:{} {kind} {body}\n", self.port),
        )
        .expect("write known_hosts");
    }

    /// The port sshd listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user the client logs in as (the current user).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// `ssh://USER@127.0.0.1:PORT/abs/path`: the repository at the absolute path `repo` on
    /// this machine, through this server.
    pub fn url(&self, repo: &Path) -> String {
        assert!(repo.is_absolute(), "{} is not absolute", repo.display());
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            repo.display()
        )
    }

    /// What a child process needs to reach the server: `SSH_AUTH_SOCK` (the agent) and
    /// `GIT_SSH_COMMAND` (the real ssh client, this server's host key only, no user config).
    pub fn env(&self) -> Vec<(String, String)> {
        let known = self.path("known_hosts");
        vec![
            (
                "SSH_AUTH_SOCK".to_string(),
                self.path("agent.sock").display().to_string(),
            ),
            (
                "GIT_SSH_COMMAND".to_string(),
                format!(
                    "ssh -F /dev/null -o UserKnownHostsFile='{}' -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=no -o LogLevel=ERROR",
                    known.display()
                ),
            ),
        ]
    }

    /// The ids of the two processes it started (sshd's listener, the agent): what drop kills.
    pub fn pids(&self) -> Vec<u32> {
        self.sshd
            .iter()
            .chain(self.agent.iter())
            .map(Child::id)
            .collect()
    }

    /// sshd's log so far (for assertions and failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn stop_sshd(&mut self) {
        if let Some(mut child) = self.sshd.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        self.stop_sshd();
        if let Some(mut agent) = self.agent.take() {
            let _ = agent.kill();
            let _ = agent.wait();
        }
    }
}
