//! Desktop app benchmark: start-up time to the rendered overview and idle memory, against a
//! bare Tauri window, in the same run. Run with `scripts/bench-app.sh` (it builds the app, the
//! bare window and the CLI first); figures go to docs/BENCHMARKS.md.
//!
//! For each subject — the bare window (`tests/e2e/bare`), the app on the demo workspace, the app
//! on a 1,000,000-event history — and each of `--runs` runs (default 5):
//! - a fresh tauri-driver with fresh XDG folders (no WebKit cache from an earlier run);
//! - start: from the new-session request (tauri-driver → WebKitWebDriver → spawn the app) until
//!   WebDriver finds the rendered element (`table.status-grid` with a first row, or the bare
//!   page's `#bare`), polling every 10 ms;
//! - memory: after 5 s idle, the sum of PSS (`/proc/PID/smaps_rollup`) of the app process and
//!   its WebKit children (WebKitWebProcess, WebKitNetworkProcess).
//!
//! `--events N` sizes the big history (default 1,000,000); it is built once with the store API
//! and kept in `target/bench-app/` for later runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::{TimeZone, Utc};
use tollgate::domain::{Digest, EventKind, NewEvent};
use tollgate::keychain::MemoryKeychain;
use tollgate::signing::{self, Anchor, ApprovalMessage, Target};
use tollgate::store::Store;
use tollgate_e2e::display::Xvfb;
use tollgate_e2e::driver::TauriDriver;
use tollgate_e2e::webdriver::Session;

const APPS: usize = 100;
const ENVS: [&str; 4] = ["dev", "staging", "preprod", "production"];

/// The folder this benchmark was built into (`target/debug`), which holds the app, the bare
/// window and the CLI too.
fn bin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
        .expect("the benchmark knows its own path")
}

struct Subject {
    name: String,
    binary: PathBuf,
    config: Option<PathBuf>,
    /// What marks "rendered".
    ready: &'static str,
}

#[derive(Debug, Clone)]
struct Sample {
    /// WebKit processes of other programs running at the time: they share library pages with
    /// ours, which lowers our PSS. Runs with none are the comparable ones.
    others: usize,
    start: Duration,
    /// (process name, PSS in kB)
    pss: Vec<(String, u64)>,
}

impl Sample {
    fn total_kb(&self) -> u64 {
        self.pss.iter().map(|(_, kb)| kb).sum()
    }
    fn of(&self, prefix: &str) -> u64 {
        self.pss
            .iter()
            .filter(|(n, _)| n.starts_with(prefix))
            .map(|(_, kb)| kb)
            .sum()
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "TOLLGATE_BENCH_KEEP keeps the workspaces"
)]
fn main() -> Result<()> {
    let mut runs = 5usize;
    let mut events = 1_000_000usize;
    let mut idle = Duration::from_secs(5);
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().context("--runs N")?.parse()?,
            "--events" => events = args.next().context("--events N")?.parse()?,
            "--only" => only = Some(args.next().context("--only WORD")?),
            "--idle" => idle = Duration::from_secs(args.next().context("--idle SECONDS")?.parse()?),
            other => bail!(
                "unknown argument {other}: use --runs N, --events N, --idle SECONDS, --only WORD"
            ),
        }
    }
    let work = tempfile::tempdir()?;
    let work_path = work.path().to_path_buf();
    // TOLLGATE_BENCH_KEEP=1 keeps the workspaces and every run's app log.
    let _work = if std::env::var_os("TOLLGATE_BENCH_KEEP").is_some() {
        eprintln!(
            "keeping {} (app logs in home-*/data/*/logs)",
            work_path.display()
        );
        std::mem::forget(work);
        None
    } else {
        Some(work)
    };
    let cli = bin_dir().join("tollgate");
    let demo = demo_workspace(&cli, &work_path)?;
    let big = big_workspace(&work_path, events)?;
    let subjects = [
        Subject {
            name: "bare Tauri window".into(),
            binary: bin_dir().join("tollgate-bare-window"),
            config: None,
            ready: "#bare",
        },
        Subject {
            name: "app, demo workspace".into(),
            binary: bin_dir().join("tollgate-app"),
            config: Some(demo),
            ready: "table.overview-grid tbody tr",
        },
        Subject {
            name: format!("app, {events} events"),
            binary: bin_dir().join("tollgate-app"),
            config: Some(big),
            ready: "table.overview-grid tbody tr",
        },
    ];
    let subjects: Vec<Subject> = subjects
        .into_iter()
        .enumerate()
        .filter(|(i, s)| *i == 0 || only.as_ref().is_none_or(|w| s.name.contains(w.as_str())))
        .map(|(_, s)| s)
        .collect();
    for s in &subjects {
        if !s.binary.is_file() {
            bail!(
                "{} does not exist: run scripts/bench-app.sh",
                s.binary.display()
            );
        }
    }

    let xvfb = Xvfb::start()?;
    let mut results: Vec<(String, Vec<Sample>)> = Vec::new();
    // Interleave the subjects run by run, so a busy moment on the machine hits all alike.
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); subjects.len()];
    for run in 0..runs {
        for (i, s) in subjects.iter().enumerate() {
            let sample = measure(&xvfb, &work_path, s, run, idle)?;
            eprintln!(
                "run {run}: {:<28} start {:>6.0} ms  PSS {:>6.1} MB ({}){}",
                s.name,
                sample.start.as_secs_f64() * 1e3,
                sample.total_kb() as f64 / 1024.0,
                sample
                    .pss
                    .iter()
                    .map(|(n, kb)| format!("{n} {:.1}", *kb as f64 / 1024.0))
                    .collect::<Vec<_>>()
                    .join(", "),
                if sample.others > 0 {
                    format!("  [{} other WebKit web processes running]", sample.others)
                } else {
                    String::new()
                }
            );
            samples[i].push(sample);
        }
    }
    for (s, v) in subjects.iter().zip(samples) {
        results.push((s.name.clone(), v));
    }

    // PSS is only comparable between runs without other WebKit programs running: memory
    // figures use those runs when a subject has any; start times use every run.
    let results: Vec<(String, Vec<Sample>, Vec<Sample>)> = results
        .into_iter()
        .map(|(name, all)| {
            let clean: Vec<Sample> = all.iter().filter(|s| s.others == 0).cloned().collect();
            if clean.is_empty() || clean.len() == all.len() {
                (name, all.clone(), all)
            } else {
                let name = format!("{name} (PSS of {} of {} runs)", clean.len(), all.len());
                (name, all, clean)
            }
        })
        .collect();
    let bare_pss = median_u64(results[0].2.iter().map(Sample::total_kb).collect());
    println!("\n| subject | start, median (min – max) | first run | PSS total, median | app process | WebKitWebProcess | WebKitNetworkProcess | × bare |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, all, v) in &results {
        let mut starts: Vec<Duration> = all.iter().map(|s| s.start).collect();
        let first = starts[0];
        starts.sort();
        let total = median_u64(v.iter().map(Sample::total_kb).collect());
        let web = median_u64(v.iter().map(|s| s.of("WebKitWebProc")).collect());
        let net = median_u64(v.iter().map(|s| s.of("WebKitNetwork")).collect());
        let own = median_u64(v.iter().map(|s| s.of("app:")).collect());
        println!(
            "| {name} | {:.0} ms ({:.0} – {:.0}) | {:.0} ms | {:.1} MB | {:.1} MB | {:.1} MB | {:.1} MB | {:.2} |",
            ms(starts[starts.len() / 2]),
            ms(starts[0]),
            ms(starts[starts.len() - 1]),
            ms(first),
            mb(total),
            mb(own),
            mb(web),
            mb(net),
            total as f64 / bare_pss as f64
        );
    }
    println!("\n{runs} runs per subject; MB = MiB of PSS; start = new WebDriver session until the rendered element is found.");
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn median_u64(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// One measurement; a session that WebKitWebDriver fails to create (it happens now and then on a
/// busy machine, before the app starts) is retried with a fresh driver, up to 3 times.
fn measure(xvfb: &Xvfb, work: &Path, s: &Subject, run: usize, idle: Duration) -> Result<Sample> {
    let mut attempt = 0;
    loop {
        match measure_once(xvfb, work, s, run, attempt, idle) {
            Err(e) if attempt < 2 && e.to_string().starts_with("new session: ") => {
                eprintln!("run {run}: {}: {e:#}; trying again", s.name);
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "TOLLGATE_BENCH_SMAPS asks for the memory map"
)]
fn measure_once(
    xvfb: &Xvfb,
    work: &Path,
    s: &Subject,
    run: usize,
    attempt: usize,
    idle: Duration,
) -> Result<Sample> {
    let home = work.join(format!(
        "home-{}-{run}-{attempt}",
        s.name.replace([' ', ','], "-")
    ));
    std::fs::create_dir_all(&home)?;
    let log = work.join(format!(
        "{}.log",
        home.file_name().unwrap().to_string_lossy()
    ));
    let config_env: Vec<(&str, &Path)> = s
        .config
        .as_deref()
        .map(|c| vec![("TOLLGATE_CONFIG", c)])
        .unwrap_or_default();
    let mut driver = TauriDriver::start(&xvfb.display, &home, &config_env, &log)?;
    let t0 = Instant::now();
    let session = Session::start(&driver.url, &s.binary, &[])
        .map_err(|e| anyhow::anyhow!("new session: {e:#} (see {})", log.display()))?;
    let deadline = t0 + Duration::from_secs(120);
    loop {
        if !session.find_all(s.ready)?.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "{} did not render {} within 120 s; the page was:\n{}\nlog:\n{}",
                s.name,
                s.ready,
                session.source().unwrap_or_default(),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let start = t0.elapsed();
    std::thread::sleep(idle);
    if std::env::var_os("TOLLGATE_BENCH_SMAPS").is_some() {
        dump_smaps(&s.binary, driver.pid());
    }
    let ours = processes_of_app(&s.binary, driver.pid())?;
    let others = std::fs::read_dir("/proc")?
        .flatten()
        .filter(|e| {
            let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
            let pid: u32 = e.file_name().to_string_lossy().parse().unwrap_or(0);
            comm.starts_with("WebKitWebProces") && !ours.iter().any(|(_, p)| *p == pid)
        })
        .count();
    let pss = pss_of_app(&s.binary, driver.pid())?;
    drop(session);
    drop(driver);
    Ok(Sample { others, start, pss })
}

/// PSS of the app process (the one with this executable below `driver`) and its WebKit children.
fn pss_of_app(binary: &Path, driver: u32) -> Result<Vec<(String, u64)>> {
    processes_of_app(binary, driver)?
        .into_iter()
        .map(|(name, pid)| Ok((name, pss_kb(pid)?)))
        .collect()
}

/// The app process (named `app:`) and its WebKit children (by their 15-character `comm`).
fn processes_of_app(binary: &Path, driver: u32) -> Result<Vec<(String, u32)>> {
    let binary = binary.canonicalize()?;
    let mut parent: HashMap<u32, u32> = HashMap::new();
    let mut app = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
        else {
            continue;
        };
        parent.insert(pid, ppid);
        if std::fs::read_link(entry.path().join("exe")).ok().as_deref() == Some(&binary) {
            app.push(pid);
        }
    }
    let below = |mut pid: u32, ancestor: u32| {
        while let Some(&pp) = parent.get(&pid) {
            if pp == ancestor {
                return true;
            }
            pid = pp;
        }
        false
    };
    app.retain(|&pid| below(pid, driver));
    let [app] = app[..] else {
        bail!("expected one {} process, found {app:?}", binary.display());
    };
    let mut out = vec![("app:".to_string(), app)];
    for &pid in parent.keys() {
        if !below(pid, app) {
            continue;
        }
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap_or_default()
            .trim()
            .to_string();
        if comm.starts_with("WebKit") {
            out.push((comm, pid));
        }
    }
    Ok(out)
}

/// `TOLLGATE_BENCH_SMAPS=1`: the main lines of each measured process's smaps_rollup, to see
/// where the memory is (anonymous vs file-backed).
fn dump_smaps(binary: &Path, driver: u32) {
    for (name, pid) in processes_of_app(binary, driver).unwrap_or_default() {
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let keep: Vec<String> = rollup
            .lines()
            .filter(|l| {
                ["Rss:", "Pss:", "Pss_Anon:", "Pss_File:", "Pss_Shmem:"]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        eprintln!("  {name} ({pid}): {}", keep.join(", "));
    }
}

fn pss_kb(pid: u32) -> Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .with_context(|| format!("read /proc/{pid}/smaps_rollup"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no Pss line in smaps_rollup")
}

fn demo_workspace(cli: &Path, dir: &Path) -> Result<PathBuf> {
    let out = Command::new(cli)
        .arg("demo")
        .arg(dir.join("demo"))
        .arg("--without-signing")
        .output()?;
    if !out.status.success() {
        bail!(
            "tollgate demo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8(out.stdout)?;
    Ok(PathBuf::from(
        stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .context("tollgate demo printed no path")?
            .trim(),
    ))
}

/// A workspace of 100 apps × 4 environments over a history of `events` events, built with the
/// store API (like crates/tollgate/benches/store.rs) once and kept in target/bench-app/.
fn big_workspace(work: &Path, events: usize) -> Result<PathBuf> {
    let cache = bin_dir().join("../bench-app");
    std::fs::create_dir_all(&cache)?;
    let cache = cache.canonicalize()?;
    // v2: approvals are real signed approvals (by APPROVER, whose public key is kept next to it).
    let db = cache.join(format!("history-{events}-v2.db"));
    let done = cache.join(format!("history-{events}-v2.done"));
    let public = cache.join(format!("history-{events}-v2.pub"));
    if !done.is_file() {
        for f in [
            db.clone(),
            db.with_extension("db-wal"),
            db.with_extension("db-shm"),
        ] {
            let _ = std::fs::remove_file(f);
        }
        let started = Instant::now();
        eprintln!(
            "building a history of {events} events in {} …",
            db.display()
        );
        let key = build_history(&db, events)?;
        std::fs::write(&public, key)?;
        std::fs::write(&done, "")?;
        eprintln!("built in {:.1} s", started.elapsed().as_secs_f64());
    }
    let dir = work.join("big");
    std::fs::create_dir_all(dir.join("registry"))?;
    let public = std::fs::read_to_string(&public)?;
    let mut toml = format!(
        "[workspace]\nname = \"big\"\ndatabase = \"{}\"\n\n[[registries]]\nname = \"local\"\nurl = \"oci:registry\"\n\n[[approvers]]\nid = \"{APPROVER}\"\nroles = [\"manager\"]\nkey = \"{}\"\n",
        db.display(),
        public.trim()
    );
    for a in 0..APPS {
        toml.push_str(&format!(
            "\n[[apps]]\nname = \"app{a:03}\"\nrepository = \"local/apps/app{a:03}\"\nenvironments = [\n  {{ name = \"dev\", tag = \"dev\" }},\n  {{ name = \"staging\", tag = \"staging\" }},\n  {{ name = \"preprod\", tag = \"preprod\" }},\n  {{ name = \"production\", tag = \"production\", policy = {{ approvals = 1, roles = [\"manager\"] }} }},\n]\n"
        ));
    }
    let config = dir.join("tollgate.toml");
    std::fs::write(&config, toml)?;
    Ok(config)
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Who signs the big history's approvals (role manager).
const APPROVER: &str = "alice@example.com";

/// What each app × environment runs, to generate a plausible history.
struct World {
    /// Holds the approver's private key while the history is built; dropped afterwards.
    keys: MemoryKeychain,
    rng: Rng,
    current: Vec<[u64; 4]>,
    previous: Vec<[u64; 4]>,
    next_image: u64,
}

impl World {
    fn deploy(&mut self, app: usize, env: usize, image: Option<u64>) -> u64 {
        let image = image.unwrap_or_else(|| {
            self.next_image += 1;
            self.next_image
        });
        self.previous[app][env] = self.current[app][env];
        self.current[app][env] = image;
        image
    }

    /// The same mix as the store benchmark: 92 % observations, then records, approvals,
    /// promotions, rollbacks and drift; one event every 30 s from 2024-01-01. Approvals are
    /// real: the canonical message signed with SSHSIG, as `approve` writes them.
    fn event(&mut self, k: usize) -> Result<NewEvent> {
        let app = self.rng.below(APPS);
        let env = self.rng.below(ENVS.len());
        let roll = self.rng.below(1000);
        let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
            + chrono::Duration::seconds(k as i64 * 30);
        if (952..=961).contains(&roll) {
            let to = env.max(1);
            let digest = Digest::of(format!("image {}", self.current[app][to - 1]).as_bytes());
            let target = Target {
                app: format!("app{app:03}"),
                digest: digest.clone(),
                from: ENVS[to - 1].to_string(),
                to: ENVS[to].to_string(),
            };
            let message =
                ApprovalMessage::new(&target, APPROVER, "manager", at, None, &Anchor::genesis());
            let bytes = message.to_bytes();
            let signature = signing::sign(APPROVER, &bytes, &self.keys)?;
            return Ok(NewEvent {
                at,
                kind: EventKind::Approval,
                app: target.app.clone(),
                env: target.to.clone(),
                digest: Some(digest),
                actor: Some(APPROVER.to_string()),
                data: serde_json::json!({
                    "from": target.from,
                    "to": target.to,
                    "role": "manager",
                    "note": "",
                    "message": String::from_utf8(bytes)?,
                    "signature": signature,
                }),
            });
        }
        let (kind, image, actor) = match roll {
            0..=919 => (EventKind::Observation, Some(self.current[app][env]), None),
            920..=921 => (EventKind::Observation, None, None),
            922..=951 => (
                EventKind::Record,
                Some(self.deploy(app, env, None)),
                Some("ci"),
            ),
            962..=981 => {
                let from = self.current[app][env.saturating_sub(1)];
                let image = self.deploy(app, env, Some(from));
                (EventKind::Promotion, Some(image), Some("bob@example.com"))
            }
            982..=989 => {
                let back = self.previous[app][env];
                let image = self.deploy(app, env, Some(back));
                (EventKind::Rollback, Some(image), Some("bob@example.com"))
            }
            _ => (EventKind::Drift, Some(self.deploy(app, env, None)), None),
        };
        Ok(NewEvent {
            at,
            kind,
            app: format!("app{app:03}"),
            env: ENVS[env].to_string(),
            digest: image.map(|n| Digest::of(format!("image {n}").as_bytes())),
            actor: actor.map(str::to_string),
            data: serde_json::json!({
                "repository": format!("local/apps/app{app:03}"),
                "tag": ENVS[env],
            }),
        })
    }
}

/// Build the history; the approver's public key (`ssh-ed25519 …`).
fn build_history(path: &Path, total: usize) -> Result<String> {
    let mut store = Store::open(path)?;
    let keys = MemoryKeychain::default();
    let public = signing::generate_key(APPROVER, &keys)?.public_key;
    let mut world = World {
        keys,
        rng: Rng(0x9e37_79b9_7f4a_7c15),
        current: (0..APPS as u64)
            .map(|a| [a * 4 + 1, a * 4 + 2, a * 4 + 3, a * 4 + 4])
            .collect(),
        previous: vec![[0; 4]; APPS],
        next_image: APPS as u64 * 4 + 4,
    };
    let mut i = 0;
    while i < total {
        let n = 10_000.min(total - i);
        let batch = (i..i + n)
            .map(|k| world.event(k))
            .collect::<Result<Vec<_>>>()?;
        store.append(batch)?;
        i += n;
    }
    Ok(public)
}
