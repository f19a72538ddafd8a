//! Sync benchmark: `cargo bench -p tollgate --bench sync`.
//!
//! Starts a real `docker-registry` on 127.0.0.1, pushes 100 repositories × 5 environment tags
//! (500 tags; by default every tag a distinct digest, so the first sync reads 500 manifests and
//! configs), writes a tollgate.toml with 100 apps × 5 environments, then measures in one run:
//!
//! - (a) a shell loop of `skopeo inspect --format '{{.Digest}}'` (a sample of tags, extrapolated),
//! - (b) a bare loop of HEAD requests over one keep-alive connection (raw HTTP/1.1 on a TcpStream),
//! - (c) the first `tollgate::api::sync` (empty history: resolve + read every new image),
//! - (c'') the registry's own CPU time while serving (c), divided by the cores: the fastest any
//!   first sync can be on this machine (and (c''') Tollgate's own CPU time in (c)),
//! - (d) a repeat sync with no change (HEAD requests only),
//! - (e) the same repeat sync with `[team] share = true`, nothing shared,
//! - (f) with 1,000 teammates' approvals published as OCI artifacts (10 approvers × 100
//!   digests, one per app, each a current environment digest; published during setup, not
//!   timed), the first sync of a fresh desktop (a new database, `share = true`) that pulls,
//!   verifies and imports all of them, and (f') the repeat sync after it (nothing new),
//!
//! and prints ms per tag with the ratios against the targets: first sync at least 20× faster
//! than (a), repeat sync no slower than (b), (e) at most 1.5× (d); (f) is measured and reported.
//!
//! `TOLLGATE_BENCH_APPS=N` (default 100), `TOLLGATE_BENCH_SKOPEO_SAMPLE=N` (default 50; 0 = all),
//! `TOLLGATE_BENCH_DISTINCT=N` (distinct digests per app, 1..=5, default 5),
//! `TOLLGATE_BENCH_APPROVERS=N` (teammates approving each app's digest in (f), default 10).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;

use tollgate::api::{self, Context};
use tollgate::config::{RegistryLocation, Workspace};
use tollgate::domain::{Digest, SystemClock};
use tollgate::keychain::MemoryKeychain;
use tollgate::registry::{Credentials, Registry};
use tollgate::signing::{self, Anchor, ApprovalMessage, Target};
use tollgate::team::{ArtifactKind, Descriptor, Publish, TeamEvent, TeamRegistry};
use tollgate_testsupport::images::make_image;
use tollgate_testsupport::registry::TestRegistry;

const ENVS: [&str; 5] = ["dev", "qa", "staging", "preprod", "production"];
const RUNS: usize = 3;

#[allow(
    clippy::disallowed_methods,
    reason = "the bench sizes come from the environment"
)]
fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn repo(i: usize) -> String {
    format!("bench/app{i:03}")
}

/// CPU time (user + system) a process has used so far, from /proc/PID/stat.
fn cpu_ms(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) * 10.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn median_f64(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ms_per_tag(d: Duration, tags: usize) -> f64 {
    d.as_secs_f64() * 1000.0 / tags as f64
}

/// What [`populate`] pushed: per app, per environment, the image manifest's descriptor.
struct Pushed {
    images: Vec<Vec<Descriptor>>,
}

/// 100 repositories × 5 tags. Blobs go up once (from a umoci layout) and are mounted into the
/// other repositories; each distinct image gets its own config (a revision label) and manifest.
async fn populate(reg: &TestRegistry, apps: usize, distinct: usize) -> Pushed {
    let image = make_image("sync bench");
    let layout_root = image.dir.parent().expect("layout parent");
    let layout_repo = image
        .dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("layout name");
    let layout = Registry::open(
        &RegistryLocation::Layout {
            root: layout_root.to_path_buf(),
        },
        Credentials::Anonymous,
    )
    .expect("layout");
    let base = Digest::parse(&image.digest()).expect("digest");
    let remote = reg.client();
    let manifest = layout
        .fetch_manifest(layout_repo, &base)
        .await
        .expect("base manifest");
    let mut value: serde_json::Value =
        serde_json::from_slice(&manifest.bytes).expect("manifest json");
    // Every distinct image gets its own config (its own revision label), as separate builds do,
    // so a first sync reads as many configs as it reads manifests.
    let config_hex = value["config"]["digest"]
        .as_str()
        .and_then(|d| d.strip_prefix("sha256:"))
        .expect("config digest")
        .to_string();
    let base_config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(image.dir.join("blobs/sha256").join(&config_hex)).expect("base config"),
    )
    .expect("config json");
    let mut digests = Vec::with_capacity(apps);
    for i in 0..apps {
        if i == 0 {
            layout
                .copy_image(layout_repo, &base, &remote, &repo(0), "base")
                .await
                .expect("copy base");
        } else {
            remote
                .copy_image(&repo(0), &base, &remote, &repo(i), "base")
                .await
                .expect("mount base");
        }
        let mut per_env = Vec::new();
        for (e, env) in ENVS.iter().enumerate() {
            // With `distinct` < 5, later environments reuse an earlier environment's digest,
            // as a promotion would.
            let variant = e.min(distinct.max(1) - 1);
            let build = format!("{}-{variant}", repo(i));
            let mut config = base_config.clone();
            config["config"]["Labels"]["org.opencontainers.image.revision"] =
                serde_json::json!(build);
            let config = serde_json::to_vec(&config).expect("config json");
            let config_digest = remote
                .push_blob(&repo(i), &config)
                .await
                .expect("push config");
            value["config"]["digest"] = serde_json::json!(config_digest.as_str());
            value["config"]["size"] = serde_json::json!(config.len());
            value["annotations"] = serde_json::json!({ "bench.build": build });
            let bytes = serde_json::to_vec(&value).expect("json");
            let digest = remote
                .push_manifest(&repo(i), env, &bytes, &manifest.media_type)
                .await
                .expect("push manifest");
            per_env.push(Descriptor {
                media_type: manifest.media_type.clone(),
                digest,
                size: bytes.len() as u64,
            });
        }
        digests.push(per_env);
    }
    Pushed { images: digests }
}

/// The bench workspace in `dir`; `share`: its `[team] share` (team history in the registry);
/// `approvers`: `(id, public key)` of the `[[approvers]]` listed (role `qa`).
fn write_workspace(
    dir: &Path,
    registry_url: &str,
    apps: usize,
    share: bool,
    approvers: &[(String, String)],
) -> Workspace {
    let mut toml = format!("[workspace]\nname = \"bench\"\ndatabase = \"tollgate.db\"\n\n[team]\nshare = {share}\n\n[[registries]]\nname = \"local\"\nurl = \"{registry_url}\"\n");
    for i in 0..apps {
        toml.push_str(&format!(
            "\n[[apps]]\nname = \"app{i:03}\"\nrepository = \"local/{}\"\nenvironments = [\n",
            repo(i)
        ));
        for env in ENVS {
            toml.push_str(&format!("  {{ name = \"{env}\", tag = \"{env}\" }},\n"));
        }
        toml.push_str("]\n");
    }
    for (id, key) in approvers {
        toml.push_str(&format!(
            "\n[[approvers]]\nid = \"{id}\"\nroles = [\"qa\"]\nkey = \"{key}\"\n"
        ));
    }
    std::fs::create_dir_all(dir).expect("workspace dir");
    let path = dir.join("tollgate.toml");
    std::fs::write(&path, toml).expect("write tollgate.toml");
    Workspace::load(&path, None).expect("load workspace")
}

/// (f)'s setup, not timed: `approvers` teammates (keys in their own in-memory keychain, listed
/// as approvers in the pulling desktop's tollgate.toml) each sign one approval per app, for the
/// step from environment `i % 4` to the next, on that environment's current digest, and publish
/// it as an OCI artifact attached to the digest (`TeamRegistry::publish`: the fallback index
/// `sha256-<hex>`, which waits `SETTLE` after each write). Each digest's approvals go one after
/// another (they read-merge-write one fallback index); 32 digests at a time. Returns the
/// approvers' `(id, public key)` and how many approvals were published.
#[allow(
    clippy::disallowed_methods,
    reason = "the teammates signed an hour before this run"
)]
async fn publish_approvals(
    reg: &TestRegistry,
    pushed: &Pushed,
    approvers: usize,
) -> (Vec<(String, String)>, usize) {
    let keychain = MemoryKeychain::default();
    let ids: Vec<(String, String)> = (0..approvers)
        .map(|k| {
            let id = format!("teammate{k:02}@example.com");
            let key = signing::generate_key(&id, &keychain)
                .expect("teammate key")
                .public_key;
            (id, key)
        })
        .collect();
    let at = chrono::Utc::now() - chrono::Duration::hours(1);
    let batches: Vec<(String, Vec<TeamEvent>)> = pushed
        .images
        .iter()
        .enumerate()
        .map(|(i, per_env)| {
            let e = i % (ENVS.len() - 1);
            let subject = per_env[e].clone();
            let target = Target {
                app: format!("app{i:03}"),
                digest: subject.digest.clone(),
                from: ENVS[e].into(),
                to: ENVS[e + 1].into(),
            };
            let events = ids
                .iter()
                .map(|(id, _)| {
                    let message =
                        ApprovalMessage::new(&target, id, "qa", at, None, &Anchor::genesis())
                            .to_bytes();
                    let signature = signing::sign(id, &message, &keychain).expect("sign");
                    TeamEvent {
                        kind: ArtifactKind::Approval,
                        message,
                        signature,
                        subject: subject.clone(),
                        created: at,
                        annotations: BTreeMap::from([
                            ("dev.tollgate.app".to_string(), target.app.clone()),
                            ("dev.tollgate.env".to_string(), target.to.clone()),
                            ("dev.tollgate.actor".to_string(), id.clone()),
                        ]),
                    }
                })
                .collect();
            (repo(i), events)
        })
        .collect();
    let team = TeamRegistry::new(reg.client()).expect("team registry");
    let team = &team;
    let published: usize = futures::stream::iter(batches)
        .map(|(repository, events)| async move {
            for event in &events {
                match team.publish(&repository, event).await.expect("publish") {
                    Publish::Shared(_) => {}
                    Publish::Denied(d) => panic!("publish denied: {}", d.line),
                }
            }
            events.len()
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .sum();
    (ids, published)
}

fn remove_db(ws: &Workspace) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", ws.db_path.display()));
    }
}

/// (a) `skopeo inspect` once per tag, in one shell loop, as a person would script it.
fn skopeo_loop(reg: &TestRegistry, tags: &[(String, &str)]) -> Duration {
    let mut script = String::new();
    for (r, t) in tags {
        script.push_str(&format!("skopeo inspect --tls-verify=false --format '{{{{.Digest}}}}' docker://{}/{r}:{t} >/dev/null || exit 1\n", reg.host()));
    }
    let started = Instant::now();
    let status = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .status()
        .expect("sh");
    let took = started.elapsed();
    assert!(status.success(), "skopeo loop failed");
    took
}

/// (b) HEAD requests one after another over one keep-alive HTTP/1.1 connection.
fn head_loop(reg: &TestRegistry, tags: &[(String, &str)]) -> Duration {
    let stream = TcpStream::connect(reg.host()).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
    let started = Instant::now();
    for (r, t) in tags {
        write!(
            writer,
            "HEAD /v2/{r}/manifests/{t} HTTP/1.1\r\nHost: {}\r\nAccept: {accept}\r\n\r\n",
            reg.host()
        )
        .expect("write");
        writer.flush().expect("flush");
        let mut status = String::new();
        reader.read_line(&mut status).expect("status");
        assert!(status.contains(" 200 "), "HEAD {r}:{t}: {status}");
        let mut digest = false;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            digest |= line
                .to_ascii_lowercase()
                .starts_with("docker-content-digest:");
            if line.trim().is_empty() {
                break;
            }
        }
        assert!(digest, "no Docker-Content-Digest for {r}:{t}");
    }
    started.elapsed()
}

fn main() {
    let apps = env_usize("TOLLGATE_BENCH_APPS", 100);
    let sample = env_usize("TOLLGATE_BENCH_SKOPEO_SAMPLE", 50);
    let distinct = env_usize("TOLLGATE_BENCH_DISTINCT", 5).clamp(1, 5);
    let teammates = env_usize("TOLLGATE_BENCH_APPROVERS", 10).max(1);
    let n_tags = apps * ENVS.len();

    // No credentials from this machine: an empty docker config and an in-memory keychain.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("docker")).expect("docker dir");
    std::env::set_var("DOCKER_CONFIG", dir.path().join("docker"));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let reg = TestRegistry::start();
    println!("registry {} (docker-registry), {apps} repositories × {} tags = {n_tags} tags, {distinct} distinct digest(s) per app", reg.host(), ENVS.len());

    let started = Instant::now();
    let pushed = runtime.block_on(populate(&reg, apps, distinct));
    println!("pushed {n_tags} tags in {:.1} s (tollgate push_manifest; blobs mounted across repositories)", started.elapsed().as_secs_f64());

    // (a)–(d) measure sync itself, with team sharing off; (e) the same repeat sync with it on.
    let ws = write_workspace(dir.path(), &reg.url(), apps, false, &[]);
    let ctx = Context {
        clock: Arc::new(SystemClock),
        secrets: Arc::new(MemoryKeychain::default()),
    };
    let tags: Vec<(String, &str)> = (0..apps)
        .flat_map(|i| ENVS.iter().map(move |e| (repo(i), *e)))
        .collect();

    // (a) skopeo, on an evenly spread sample.
    let step = if sample == 0 || sample >= n_tags {
        1
    } else {
        n_tags / sample
    };
    let sampled: Vec<(String, &str)> = tags.iter().step_by(step).cloned().collect();
    let skopeo = skopeo_loop(&reg, &sampled);
    let skopeo_per_tag = ms_per_tag(skopeo, sampled.len());

    // (b) bare HEADs, best of RUNS.
    let heads = (0..RUNS)
        .map(|_| head_loop(&reg, &tags))
        .min()
        .expect("runs");
    let heads_per_tag = ms_per_tag(heads, n_tags);

    // (c) first sync on an empty history (median of RUNS, a fresh database each time).
    let mut firsts = Vec::new();
    let (mut registry_cpu, mut tollgate_cpu) = (Vec::new(), Vec::new());
    let reg_pid = reg.pid().expect("registry running").to_string();
    for _ in 0..RUNS {
        remove_db(&ws);
        let (reg_cpu, own_cpu) = (cpu_ms(&reg_pid), cpu_ms("self"));
        let started = Instant::now();
        let report = runtime
            .block_on(api::sync(&ws, &ctx, None, &|_| {}))
            .expect("first sync");
        firsts.push(started.elapsed());
        registry_cpu.push(cpu_ms(&reg_pid) - reg_cpu);
        tollgate_cpu.push(cpu_ms("self") - own_cpu);
        assert_eq!(report.tags.len(), n_tags);
        assert_eq!(report.new_images, apps * distinct);
        for (t, i) in report.tags.iter().zip(0..) {
            assert_eq!(
                t.digest.as_ref(),
                Some(&pushed.images[i / ENVS.len()][i % ENVS.len()].digest),
                "{} {}",
                t.app,
                t.env
            );
        }
    }
    let first = median(firsts);

    // (d) repeat sync, nothing changed (median of RUNS).
    let mut repeats = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let report = runtime
            .block_on(api::sync(&ws, &ctx, None, &|_| {}))
            .expect("repeat sync");
        repeats.push(started.elapsed());
        assert_eq!(report.new_images, 0);
        assert_eq!(report.drifted().count(), 0);
    }
    let repeat = median(repeats);

    // (e) repeat sync with team sharing on, nothing shared yet: one tag list per repository
    // (`TeamRegistry::fallbacks`) shows no fallback tag, so no digest costs a request; after one
    // warm-up sync that probes each repository's referrers API once (remembered by the process).
    let shared_ws = write_workspace(dir.path(), &reg.url(), apps, true, &[]);
    let sync_shared = || {
        runtime
            .block_on(api::sync(&shared_ws, &ctx, None, &|_| {}))
            .expect("repeat sync, sharing on")
    };
    sync_shared();
    let mut shared_repeats = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let report = sync_shared();
        shared_repeats.push(started.elapsed());
        assert_eq!(report.drifted().count(), 0);
    }
    let shared_repeat = median(shared_repeats);

    // (d') the registry's share of a repeat sync: every tag resolved, 32 at a time.
    let resolve_only = {
        let client = Registry::open(
            &RegistryLocation::Remote {
                host: reg.host(),
                plain_http: true,
            },
            Credentials::Anonymous,
        )
        .expect("client");
        let run = || {
            runtime.block_on(async {
                futures::stream::iter(tags.iter())
                    .map(|(r, t)| {
                        let client = client.clone();
                        async move {
                            client
                                .resolve_tag(r, t)
                                .await
                                .expect("resolve")
                                .expect("tag")
                        }
                    })
                    .buffer_unordered(32)
                    .collect::<Vec<_>>()
                    .await
            })
        };
        run(); // connections warm, as in a repeat sync
        median(
            (0..RUNS)
                .map(|_| {
                    let started = Instant::now();
                    run();
                    started.elapsed()
                })
                .collect(),
        )
    };

    // (f) 1,000 teammates' approvals in the registry (published now, after (e), so that (e)
    // still finds nothing shared; not timed), then the first sync of a fresh desktop that pulls,
    // verifies and imports them all (median of RUNS, a fresh database each time), and (f') the
    // repeat sync after it, nothing new (median of RUNS).
    let started = Instant::now();
    let (approvers, approvals) = runtime.block_on(publish_approvals(&reg, &pushed, teammates));
    println!(
        "published {approvals} approvals ({teammates} teammates × {apps} digests) in {:.1} s (setup, not timed)",
        started.elapsed().as_secs_f64()
    );
    let team_ws = write_workspace(
        &dir.path().join("desktop-f"),
        &reg.url(),
        apps,
        true,
        &approvers,
    );
    let sync_team = || {
        runtime
            .block_on(api::sync(&team_ws, &ctx, None, &|_| {}))
            .expect("sync with teammates' approvals")
    };
    let (mut team_firsts, mut team_registry_cpu, mut team_own_cpu) =
        (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        remove_db(&team_ws);
        let (reg_cpu, own_cpu) = (cpu_ms(&reg_pid), cpu_ms("self"));
        let started = Instant::now();
        let report = sync_team();
        team_firsts.push(started.elapsed());
        team_registry_cpu.push(cpu_ms(&reg_pid) - reg_cpu);
        team_own_cpu.push(cpu_ms("self") - own_cpu);
        assert_eq!(report.new_images, apps * distinct);
        assert_eq!(report.team.imported, approvals, "{:?}", report.team.skipped);
        assert_eq!(report.team.untrusted, 0, "{:?}", report.team.skipped);
        assert!(report.team.skipped.is_empty(), "{:?}", report.team.skipped);
    }
    let team_first = median(team_firsts);
    let team_registry_cpu = median_f64(team_registry_cpu);
    let team_own_cpu = median_f64(team_own_cpu);
    let mut team_repeats = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let report = sync_team();
        team_repeats.push(started.elapsed());
        assert_eq!(report.new_images, 0);
        assert_eq!(report.team.imported, 0);
        assert_eq!(report.team.untrusted, 0);
        assert_eq!(report.drifted().count(), 0);
    }
    let team_repeat = median(team_repeats);

    let first_per_tag = ms_per_tag(first, n_tags);
    let repeat_per_tag = ms_per_tag(repeat, n_tags);
    let skopeo_total_ms = skopeo_per_tag * n_tags as f64;
    println!();
    println!("| measurement | total ms ({n_tags} tags) | ms per tag | target | result |");
    println!("| --- | ---: | ---: | --- | --- |");
    println!(
        "| (a) skopeo inspect loop ({} tags sampled, extrapolated) | {skopeo_total_ms:.0} | {skopeo_per_tag:.2} | baseline | |",
        sampled.len()
    );
    println!("| (b) bare HEAD loop, one keep-alive connection (best of {RUNS}) | {:.0} | {heads_per_tag:.3} | baseline | |", heads.as_secs_f64() * 1000.0);
    let first_ratio = skopeo_per_tag / first_per_tag;
    println!(
        "| (c) first sync (median of {RUNS}; {} image reads) | {:.0} | {first_per_tag:.3} | ≥ 20× faster than (a) | {first_ratio:.1}× faster: {} |",
        apps * distinct,
        first.as_secs_f64() * 1000.0,
        if first_ratio >= 20.0 { "MET" } else { "NOT MET" }
    );
    // (c'') what the registry itself spent serving (c): spread over every core of this machine,
    // no client could finish a first sync faster than that here.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let registry_cpu = median_f64(registry_cpu);
    let floor_per_tag = registry_cpu / cores as f64 / n_tags as f64;
    println!(
        "| (c'') registry CPU time serving (c) (median) ÷ {cores} cores: the fastest any first sync can be here | {:.0} | {floor_per_tag:.3} | | at best {:.1}× faster than (a) |",
        registry_cpu / cores as f64,
        skopeo_per_tag / floor_per_tag
    );
    let tollgate_cpu = median_f64(tollgate_cpu);
    println!(
        "| (c''') Tollgate's own CPU time in (c) (median) | {tollgate_cpu:.0} | {:.3} | | |",
        tollgate_cpu / n_tags as f64
    );
    let repeat_ratio = heads_per_tag / repeat_per_tag;
    println!(
        "| (d) repeat sync, no change (median of {RUNS}) | {:.0} | {repeat_per_tag:.3} | no slower than (b) | {repeat_ratio:.2}× the speed of (b): {} |",
        repeat.as_secs_f64() * 1000.0,
        if repeat_per_tag <= heads_per_tag { "MET" } else { "NOT MET" }
    );
    println!(
        "| (d') registry share of (d): resolve all, 32 at a time, warm connections (median of {RUNS}) | {:.0} | {:.3} | | |",
        resolve_only.as_secs_f64() * 1000.0,
        ms_per_tag(resolve_only, n_tags)
    );
    let shared_ratio = shared_repeat.as_secs_f64() / repeat.as_secs_f64();
    println!(
        "| (e) repeat sync with `[team] share = true`, nothing shared (median of {RUNS}) | {:.0} | {:.3} | ≤ 1.5× (d) | {shared_ratio:.2}× (d): {} |",
        shared_repeat.as_secs_f64() * 1000.0,
        ms_per_tag(shared_repeat, n_tags),
        if shared_ratio <= 1.5 { "MET" } else { "NOT MET" }
    );
    let team_extra = team_first.as_secs_f64() - first.as_secs_f64();
    println!(
        "| (f) first sync of a fresh desktop, `share = true`, importing {approvals} teammates' approvals on {apps} digests (median of {RUNS}) | {:.0} | {:.3} | measured | {approvals} imported; {:.0} ms more than (c), {:.2} ms per approval; registry CPU {:.0} ms (÷ {cores} cores: {:.0}), Tollgate's own CPU {:.0} ms |",
        team_first.as_secs_f64() * 1000.0,
        ms_per_tag(team_first, n_tags),
        team_extra * 1000.0,
        team_extra * 1000.0 / approvals as f64,
        team_registry_cpu,
        team_registry_cpu / cores as f64,
        team_own_cpu
    );
    println!(
        "| (f') repeat sync after (f), nothing new (median of {RUNS}) | {:.0} | {:.3} | measured | {:.2}× (d), {:.2}× (e) |",
        team_repeat.as_secs_f64() * 1000.0,
        ms_per_tag(team_repeat, n_tags),
        team_repeat.as_secs_f64() / repeat.as_secs_f64(),
        team_repeat.as_secs_f64() / shared_repeat.as_secs_f64()
    );
}
