//! Deployment-repository benchmark: `cargo bench -p tollgate --bench gitops`.
//!
//! Against a real `docker-registry` on 127.0.0.1 and a bare git repository over `file://` (built
//! with `git fast-import`), measures, each beside the same figure for tag environments:
//!
//! - (a) the first sync (empty history, no clone yet) of one environment whose file has
//!   10,000 commits of history (every commit edits the file, one in ten changes the digest:
//!   1,000 deployments backfilled), against the first sync of one tag environment;
//! - (b) a repeat sync of 100 git environments in one repository (100 files) when nothing
//!   changed (one fetch, no walk), against a repeat sync of 100 tag environments.
//!
//! `TOLLGATE_BENCH_COMMITS=N` (default 10000), `TOLLGATE_BENCH_ENVS=N` (default 100).

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tollgate::api::{self, Context};
use tollgate::config::Workspace;
use tollgate::domain::SystemClock;
use tollgate::keychain::MemoryKeychain;
use tollgate_testsupport::deploy_repo::git_command;
use tollgate_testsupport::images::make_image;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::skopeo::{push, skopeo_digest};

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

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The deployment file pinning `image`, with a comment that changes in every commit.
fn deployment(image: &str, revision: usize) -> String {
    format!(
        "# revision {revision}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: {image}\n"
    )
}

/// A bare repository `deploy.git` in `dir` whose `main` has `commits` commits, each writing
/// `files` (path, content by commit number); made with one `git fast-import`.
fn fast_import(dir: &Path, commits: usize, files: &dyn Fn(usize) -> Vec<(String, String)>) {
    let out = git_command(dir)
        .args(["init", "-q", "--bare", "-b", "main", "deploy.git"])
        .output()
        .expect("git init");
    assert!(out.status.success(), "git init");
    let mut child = git_command(&dir.join("deploy.git"))
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    {
        let mut stream = std::io::BufWriter::new(child.stdin.take().expect("stdin"));
        for n in 0..commits {
            let message = format!("deploy {n}\n");
            write!(
                stream,
                "commit refs/heads/main\nmark :{}\ncommitter Dev <dev@example.com> {} +0000\ndata {}\n{message}",
                n + 1,
                1_700_000_000 + n * 60,
                message.len()
            )
            .expect("write");
            if n > 0 {
                writeln!(stream, "from :{n}").expect("write");
            }
            for (path, content) in files(n) {
                write!(
                    stream,
                    "M 100644 inline {path}\ndata {}\n{content}\n",
                    content.len()
                )
                .expect("write");
            }
        }
    }
    assert!(
        child.wait().expect("fast-import").success(),
        "git fast-import"
    );
}

fn workspace(dir: &Path, registry_url: &str, git_url: &str, envs: &[String]) -> Workspace {
    let mut toml = format!(
        "[workspace]\nname = \"bench\"\ndatabase = \"tollgate.db\"\n\n[team]\nshare = false\n\n[[registries]]\nname = \"local\"\nurl = \"{registry_url}\"\n\n[[git]]\nname = \"deploy\"\nurl = \"{git_url}\"\n"
    );
    for (i, env) in envs.iter().enumerate() {
        toml.push_str(&format!(
            "\n[[apps]]\nname = \"app{i:03}\"\nrepository = \"local/bench/api\"\nenvironments = [{env}]\n"
        ));
    }
    std::fs::create_dir_all(dir).expect("workspace dir");
    let path = dir.join("tollgate.toml");
    std::fs::write(&path, toml).expect("write tollgate.toml");
    Workspace::load(&path, None).expect("bench workspace")
}

/// The history database and the clones beside it, gone: the next sync is a first one.
fn forget(ws: &Workspace) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", ws.db_path.display()));
    }
    let _ = std::fs::remove_dir_all(format!("{}.gitops", ws.db_path.display()));
}

fn sync(runtime: &tokio::runtime::Runtime, ws: &Workspace, ctx: &Context) -> Duration {
    let started = Instant::now();
    let report = runtime
        .block_on(api::sync(ws, ctx, None, &|_| {}))
        .expect("sync");
    let took = started.elapsed();
    assert!(
        report.tags.iter().all(|t| !t.drift) && report.git.iter().all(|g| !g.drift),
        "no drift in the bench"
    );
    took
}

fn main() {
    let commits = env_usize("TOLLGATE_BENCH_COMMITS", 10_000).max(10);
    let envs = env_usize("TOLLGATE_BENCH_ENVS", 100).max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("docker")).expect("docker dir");
    // No credentials from this machine: an empty docker config and an in-memory keychain.
    std::env::set_var("DOCKER_CONFIG", dir.path().join("docker"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ctx = Context {
        clock: Arc::new(SystemClock),
        secrets: Arc::new(MemoryKeychain::default()),
    };
    let reg = TestRegistry::start();
    push(&make_image("gitops bench"), &reg, "bench/api:dev");
    let digest = skopeo_digest(&reg, "bench/api:dev");
    let image = format!("{}/bench/api@{digest}", reg.host());
    println!("registry {}, image {image}", reg.host());

    // (a) One file, `commits` commits; the tip pins the registry's image, the earlier
    //     deployments other digests (only the tip's image is read from the registry).
    let long = dir.path().join("long");
    std::fs::create_dir_all(&long).expect("dir");
    let started = Instant::now();
    fast_import(&long, commits, &|n| {
        let pinned = if n + 1 == commits {
            image.clone()
        } else {
            format!("{}/bench/api@sha256:{:064x}", reg.host(), n / 10)
        };
        vec![("apps/api.yaml".to_string(), deployment(&pinned, n))]
    });
    println!(
        "(a) built a file with {commits} commits ({} digest changes) in {:.1} s",
        commits / 10,
        started.elapsed().as_secs_f64()
    );
    let git_ws = workspace(
        &dir.path().join("ws-git-long"),
        &reg.url(),
        &format!("file://{}", long.join("deploy.git").display()),
        &["{ name = \"production\", git = \"deploy\", file = \"apps/api.yaml\" }".to_string()],
    );
    let tag_ws = workspace(
        &dir.path().join("ws-tag-one"),
        &reg.url(),
        &format!("file://{}", long.join("deploy.git").display()),
        &["{ name = \"dev\", tag = \"dev\" }".to_string()],
    );
    let mut git_first = Vec::new();
    let mut tag_first = Vec::new();
    for _ in 0..RUNS {
        forget(&git_ws);
        git_first.push(sync(&runtime, &git_ws, &ctx));
        forget(&tag_ws);
        tag_first.push(sync(&runtime, &tag_ws, &ctx));
    }
    let (git_first, tag_first) = (median(git_first), median(tag_first));
    println!(
        "(a) first sync, one git environment, {commits} commits: {:.0} ms (clone, walk, backfill {} stays); one tag environment: {:.0} ms; ratio {:.1}×",
        ms(git_first),
        commits / 10,
        ms(tag_first),
        ms(git_first) / ms(tag_first)
    );

    // (b) `envs` files in one repository, a few commits each; repeat syncs with nothing new.
    let many = dir.path().join("many");
    std::fs::create_dir_all(&many).expect("dir");
    fast_import(&many, 3, &|n| {
        (0..envs)
            .map(|i| (format!("apps/app{i:03}.yaml"), deployment(&image, n)))
            .collect()
    });
    let git_envs: Vec<String> = (0..envs)
        .map(|i| {
            format!("{{ name = \"production\", git = \"deploy\", file = \"apps/app{i:03}.yaml\" }}")
        })
        .collect();
    let tag_envs: Vec<String> = (0..envs)
        .map(|_| "{ name = \"dev\", tag = \"dev\" }".to_string())
        .collect();
    let url = format!("file://{}", many.join("deploy.git").display());
    let git_ws = workspace(&dir.path().join("ws-git-many"), &reg.url(), &url, &git_envs);
    let tag_ws = workspace(&dir.path().join("ws-tag-many"), &reg.url(), &url, &tag_envs);
    forget(&git_ws);
    forget(&tag_ws);
    sync(&runtime, &git_ws, &ctx);
    sync(&runtime, &tag_ws, &ctx);
    let git_repeat = median((0..RUNS).map(|_| sync(&runtime, &git_ws, &ctx)).collect());
    let tag_repeat = median((0..RUNS).map(|_| sync(&runtime, &tag_ws, &ctx)).collect());
    println!(
        "(b) repeat sync, nothing changed: {envs} git environments in one repository {:.0} ms ({:.2} ms each, one fetch); {envs} tag environments {:.0} ms ({:.2} ms each); ratio {:.1}×",
        ms(git_repeat),
        ms(git_repeat) / envs as f64,
        ms(tag_repeat),
        ms(tag_repeat) / envs as f64,
        ms(git_repeat) / ms(tag_repeat)
    );
}
