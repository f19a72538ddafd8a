//! Who runs an open journal entry, whether that process is gone, and the heartbeat a running
//! promotion keeps up.
//!
//! An entry's owner is gone when:
//! - it has none (written before migration 0005, or released by a run that stopped without
//!   deciding it);
//! - it ran on this host and its process no longer runs, or the pid now belongs to another
//!   process (on Linux the boot id and start time tell; elsewhere on Unix, `ps`'s start time);
//! - it ran on another host, or this platform cannot tell whether a pid runs, and its heartbeat
//!   is older than [`STALE_AFTER`].
//!
//! A live process on this host is never taken for gone, however old its heartbeat: it may still
//! push. Stop it, and the next command recovers its entry.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rand_core::{OsRng, RngCore};

use crate::domain::Clock;
use crate::store::{JournalOwner, Promotion, Store};

/// How often a running promotion refreshes its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(15);

/// A heartbeat older than this means the owner is gone, where its pid cannot be checked
/// (another host, or a platform without a process check): 40 missed heartbeats.
pub const STALE_AFTER: chrono::Duration = chrono::Duration::minutes(10);

/// This process, with a fresh random token: the owner of an entry it begins or claims.
pub(super) fn this_process() -> JournalOwner {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    let pid = std::process::id();
    JournalOwner {
        host: host_name().to_string(),
        pid,
        started: own_start().clone(),
        token: hex::encode(bytes),
    }
}

/// `Some(why)` when the owner of `entry` is gone and recovery may finish or fail it.
pub(super) fn gone(entry: &Promotion, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    let Some(owner) = &entry.owner else {
        return Some("no process holds it".to_string());
    };
    let here = host_name();
    if owner.host == here && here != UNKNOWN_HOST {
        match process_start(owner.pid) {
            Probe::NotRunning => {
                return Some(format!(
                    "its process {} on {} is no longer running",
                    owner.pid, owner.host
                ))
            }
            Probe::Running(started) => {
                return match (&owner.started, started) {
                    (Some(a), Some(b)) if *a != b => Some(format!(
                        "its process {} on {} is gone (that pid is another process now)",
                        owner.pid, owner.host
                    )),
                    _ => None,
                };
            }
            Probe::Unknown => {}
        }
    }
    match entry.heartbeat_at {
        Some(beat) if now - beat <= STALE_AFTER => None,
        Some(beat) => Some(format!(
            "its owner (process {} on {}) last signalled at {}, more than {} minutes ago",
            owner.pid,
            owner.host,
            beat.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            STALE_AFTER.num_minutes()
        )),
        None => Some(format!(
            "its owner (process {} on {}) never signalled",
            owner.pid, owner.host
        )),
    }
}

const UNKNOWN_HOST: &str = "?";

/// The name of this machine, read once (`?` when it cannot be found: then no entry is
/// judged by pid, only by heartbeat).
#[allow(
    clippy::disallowed_methods,
    reason = "the host name, where /proc does not say it"
)]
fn host_name() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let from_file = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
        let from_env = || {
            std::env::var("COMPUTERNAME")
                .or_else(|_| std::env::var("HOSTNAME"))
                .ok()
        };
        let from_command = || {
            std::process::Command::new("hostname")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        from_file
            .or_else(from_env)
            .or_else(from_command)
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| UNKNOWN_HOST.to_string())
    })
}

fn own_start() -> &'static Option<String> {
    static START: OnceLock<Option<String>> = OnceLock::new();
    START.get_or_init(|| match process_start(std::process::id()) {
        Probe::Running(s) => s,
        _ => None,
    })
}

enum Probe {
    /// It runs; with its start identity where known.
    Running(Option<String>),
    NotRunning,
    /// This platform cannot tell.
    Unknown,
}

/// Linux: `/proc/<pid>/stat` (a zombie is not running); the identity is the boot id and the
/// start time in clock ticks after boot.
#[cfg(target_os = "linux")]
fn process_start(pid: u32) -> Probe {
    let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Probe::NotRunning,
        Err(_) => return Probe::Unknown,
    };
    // `pid (comm) state ...`: comm may hold spaces and parentheses; the fields follow the last ')'.
    let Some((_, fields)) = stat.rsplit_once(')') else {
        return Probe::Unknown;
    };
    let fields: Vec<&str> = fields.split_whitespace().collect();
    if matches!(fields.first(), Some(&"Z") | Some(&"X") | Some(&"x")) {
        return Probe::NotRunning;
    }
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    // Field 22 of the line is the start time; `fields` begins at field 3.
    Probe::Running(
        fields
            .get(19)
            .map(|ticks| format!("{}:{ticks}", boot.trim())),
    )
}

/// Other Unix: `ps -o lstart= -p PID` prints the start time of a running process.
#[cfg(all(unix, not(target_os = "linux")))]
fn process_start(pid: u32) -> Probe {
    match std::process::Command::new("ps")
        .args(["-o", "lstart=", "-p", &pid.to_string()])
        .output()
    {
        Ok(o) if o.status.success() => {
            let s = String::from_utf8_lossy(&o.stdout).trim().to_string();
            Probe::Running(Some(s).filter(|s| !s.is_empty()))
        }
        Ok(o) if o.stdout.is_empty() => Probe::NotRunning,
        _ => Probe::Unknown,
    }
}

#[cfg(not(unix))]
fn process_start(_pid: u32) -> Probe {
    Probe::Unknown
}

/// While alive, refreshes the heartbeat of one entry every [`HEARTBEAT_EVERY`] (on a thread of
/// its own, with its own connection, so a long blob upload does not starve it). Dropped, it
/// stops and releases the entry if it is still open (the run stopped without deciding it), so
/// the next recovery takes it up. A process that dies skips the release: its pid tells.
pub(super) struct Heartbeat {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    /// The heartbeat of a journal entry this process just began (its owner token), beating in
    /// the history database `store` is open on.
    pub(super) fn for_entry(store: &Store, entry: &Promotion, clock: Arc<dyn Clock>) -> Heartbeat {
        let token = entry
            .owner
            .as_ref()
            .map(|o| o.token.clone())
            .unwrap_or_default();
        Heartbeat::start(store.path(), entry.id, token, clock)
    }

    pub(super) fn start(db: &Path, id: i64, token: String, clock: Arc<dyn Clock>) -> Heartbeat {
        let (stop, stopped) = mpsc::channel::<()>();
        let db: PathBuf = db.to_path_buf();
        let thread = std::thread::Builder::new()
            .name(format!("tollgate-heartbeat-{id}"))
            .spawn(move || beat(&db, id, &token, clock.as_ref(), &stopped))
            .map_err(|e| tracing::warn!("cannot start the heartbeat of promotion {id}: {e}"))
            .ok();
        Heartbeat {
            stop: Some(stop),
            thread,
        }
    }
}

fn beat(db: &Path, id: i64, token: &str, clock: &dyn Clock, stopped: &mpsc::Receiver<()>) {
    let mut store = match Store::open(db) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(id, "heartbeat cannot open the history: {}", e.message);
            return;
        }
    };
    loop {
        match stopped.recv_timeout(HEARTBEAT_EVERY) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                match store.journal_heartbeat(id, token, clock.now()) {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => tracing::warn!(id, "heartbeat not written: {}", e.message),
                }
            }
            // Stopped (or the guard is gone): release what is still open, then end.
            _ => {
                if let Err(e) = store.journal_release(id, token) {
                    tracing::warn!(id, "promotion not released: {}", e.message);
                }
                return;
            }
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::{Digest, EventKind};
    use crate::store::JournalState;

    fn entry(owner: Option<JournalOwner>, beat_minutes_ago: Option<i64>) -> Promotion {
        let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        Promotion {
            id: 1,
            kind: EventKind::Promotion,
            app: "api".into(),
            from_env: "dev".into(),
            to_env: "staging".into(),
            digest: Digest::of(b"a"),
            src_repository: "local/api".into(),
            dst_repository: "local/api".into(),
            tag: "staging".into(),
            git: None,
            commit: None,
            review_branch: None,
            approvals: vec![],
            evaluation: serde_json::json!({}),
            actor: "ci".into(),
            previous: None,
            state: JournalState::Intended,
            error: None,
            event_seq: None,
            created_at: now,
            owner,
            heartbeat_at: beat_minutes_ago.map(|m| now - chrono::Duration::minutes(m)),
            emergency_reason: None,
        }
    }

    fn now() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
    }

    #[test]
    fn this_process_is_running_and_each_run_has_its_own_token() {
        let me = this_process();
        assert_ne!(me.token, this_process().token);
        assert_eq!(me.token.len(), 32);
        // However old its heartbeat, a live process on this host is not gone.
        assert_eq!(gone(&entry(Some(me.clone()), Some(600)), now()), None);
        assert_eq!(gone(&entry(Some(me), None), now()), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_dead_or_reused_pid_on_this_host_is_gone() {
        // A child that has exited and been reaped: its pid runs nothing (or something else).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let dead = JournalOwner {
            pid,
            ..this_process()
        };
        let why = gone(&entry(Some(dead), Some(0)), now()).expect("gone");
        assert!(why.contains(&format!("process {pid}")), "{why}");
        // Our own pid, but started at another time: a reused pid.
        let reused = JournalOwner {
            started: Some("another-boot:1".into()),
            ..this_process()
        };
        let why = gone(&entry(Some(reused), Some(0)), now()).expect("gone");
        assert!(why.contains("another process"), "{why}");
    }

    #[test]
    fn another_hosts_owner_is_judged_by_its_heartbeat() {
        let elsewhere = JournalOwner {
            host: "another-host.example".into(),
            ..this_process()
        };
        assert_eq!(gone(&entry(Some(elsewhere.clone()), Some(9)), now()), None);
        let why = gone(&entry(Some(elsewhere.clone()), Some(11)), now()).expect("stale");
        assert!(why.contains("more than 10 minutes"), "{why}");
        assert!(gone(&entry(Some(elsewhere), None), now()).is_some());
        assert!(gone(&entry(None, Some(0)), now()).is_some(), "no owner");
    }
}
