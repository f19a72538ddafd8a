//! History store benchmark: `cargo bench -p tollgate --bench store`.
//!
//! Builds a history of 1,000,000 events (100 apps × 4 environments; mostly observations, with
//! records, approvals, promotions, rollbacks and drift) in a temporary folder, then times the
//! queries behind `timeline`, `status`, `status --at` and `verify` (median of several runs),
//! and the whole `status` use case as the CLI and the overview call it (`api::status` over a
//! tollgate.toml of the same 100 apps: heads, unapproved flags, open incidents, team conflicts,
//! versions) and the desktop's overview (`api::overview`: that grid with each environment's
//! candidate and checklist), and prints them against their targets. `TOLLGATE_BENCH_EVENTS=N` changes the size.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use tollgate::domain::{Digest, EventKind, NewEvent};
use tollgate::store::{EventFilter, Store};

const APPS: usize = 100;
const ENVS: [&str; 4] = ["dev", "staging", "preprod", "production"];
const BATCH: usize = 10_000;

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

/// What each app × environment currently runs, to generate a plausible history.
struct World {
    rng: Rng,
    current: Vec<[u64; 4]>,
    previous: Vec<[u64; 4]>,
    next_image: u64,
}

impl World {
    fn event(&mut self, i: usize) -> NewEvent {
        let app = self.rng.below(APPS);
        let env = self.rng.below(ENVS.len());
        let roll = self.rng.below(1000);
        let mut actor = None;
        let (kind, image) = match roll {
            0..=919 => (EventKind::Observation, Some(self.current[app][env])),
            920..=921 => (EventKind::Observation, None), // the tag was missing
            922..=951 => {
                actor = Some("ci".to_string());
                (EventKind::Record, Some(self.deploy(app, env, None)))
            }
            952..=961 => {
                actor = Some("alice@example.com".to_string());
                (
                    EventKind::Approval,
                    Some(self.current[app][env.saturating_sub(1)]),
                )
            }
            962..=981 => {
                actor = Some("bob@example.com".to_string());
                let from = self.current[app][env.saturating_sub(1)];
                (
                    EventKind::Promotion,
                    Some(self.deploy(app, env, Some(from))),
                )
            }
            982..=989 => {
                actor = Some("bob@example.com".to_string());
                let back = self.previous[app][env];
                (EventKind::Rollback, Some(self.deploy(app, env, Some(back))))
            }
            _ => (EventKind::Drift, Some(self.deploy(app, env, None))),
        };
        NewEvent {
            at: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
                + chrono::Duration::seconds(i as i64 * 30),
            kind,
            app: format!("app{app:03}"),
            env: ENVS[env].to_string(),
            digest: image.map(|n| Digest::of(format!("image {n}").as_bytes())),
            actor,
            data: serde_json::json!({
                "repository": format!("local/apps/app{app:03}"),
                "tag": ENVS[env],
            }),
        }
    }

    fn deploy(&mut self, app: usize, env: usize, image: Option<u64>) -> u64 {
        let image = image.unwrap_or_else(|| {
            self.next_image += 1;
            self.next_image
        });
        self.previous[app][env] = self.current[app][env];
        self.current[app][env] = image;
        image
    }
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

#[allow(
    clippy::disallowed_methods,
    reason = "the bench size comes from the environment"
)]
fn main() {
    let total: usize = std::env::var("TOLLGATE_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("history.db");

    // Build.
    let mut store = Store::open(&path).expect("open");
    let mut world = World {
        rng: Rng(0x9e37_79b9_7f4a_7c15),
        current: (0..APPS)
            .map(|a| {
                [
                    a as u64 * 4 + 1,
                    a as u64 * 4 + 2,
                    a as u64 * 4 + 3,
                    a as u64 * 4 + 4,
                ]
            })
            .collect(),
        previous: vec![[0; 4]; APPS],
        next_image: APPS as u64 * 4 + 4,
    };
    let start = Instant::now();
    let mut i = 0;
    while i < total {
        let n = BATCH.min(total - i);
        let batch: Vec<NewEvent> = (i..i + n).map(|k| world.event(k)).collect();
        store.append(batch).expect("append");
        i += n;
    }
    let build = start.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("history.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    drop(store);
    let store = Store::open(&path).expect("reopen");

    // One app × environment's timeline, and one app's (all environments).
    let segments = store
        .timeline("app042", Some("production"))
        .expect("timeline")
        .len();
    let timeline = time(51, || {
        store
            .timeline("app042", Some("production"))
            .expect("timeline")
    });
    let app_segments = store.timeline("app042", None).expect("timeline").len();
    let app_timeline = time(51, || store.timeline("app042", None).expect("timeline"));

    // status: head() of every app × environment.
    let status = time(21, || {
        let mut drifting = 0;
        for a in 0..APPS {
            for e in ENVS {
                let head = store.head(&format!("app{a:03}"), e).expect("head");
                drifting += usize::from(head.drift);
            }
        }
        drifting
    });

    // status --at: the stay covering a moment of every app × environment, in the middle of the
    // history and near its end (production gated, as a policy would make it).
    let first = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let span = chrono::Duration::seconds(total as i64 * 30);
    let status_at = |at: chrono::DateTime<Utc>| {
        let mut found = 0;
        for a in 0..APPS {
            for e in ENVS {
                let stay = store
                    .stay_at(&format!("app{a:03}"), e, at, e == "production")
                    .expect("stay_at");
                found += usize::from(stay.is_some());
            }
        }
        found
    };
    let middle = first + span / 2;
    let status_at_middle = time(21, || status_at(middle));
    let status_at_recent = time(21, || status_at(first + span - chrono::Duration::hours(3)));

    // The whole status use case (`tollgate status`, the desktop's overview): a tollgate.toml of
    // the same apps and environments over this database, production gated.
    let mut toml = String::from(
        "[workspace]\nname = \"bench\"\ndatabase = \"history.db\"\n\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:9\"\n",
    );
    for a in 0..APPS {
        toml.push_str(&format!(
            "\n[[apps]]\nname = \"app{a:03}\"\nrepository = \"local/bench/app{a:03}\"\nenvironments = [\n  {{ name = \"dev\", tag = \"dev\" }},\n  {{ name = \"staging\", tag = \"staging\" }},\n  {{ name = \"preprod\", tag = \"preprod\" }},\n  {{ name = \"production\", tag = \"production\", policy = {{ approvals = 1 }} }},\n]\n"
        ));
    }
    let config = dir.path().join("tollgate.toml");
    std::fs::write(&config, toml).expect("write tollgate.toml");
    let ws = tollgate::config::Workspace::load(&config, None).expect("load tollgate.toml");
    let rows = tollgate::api::status(&ws, None).expect("status").len();
    assert_eq!(rows, APPS * ENVS.len());
    let status_api = time(21, || tollgate::api::status(&ws, None).expect("status"));
    // The desktop's overview: the same grid with each environment's candidate and its checklist.
    let ctx = tollgate::api::Context {
        clock: std::sync::Arc::new(tollgate::domain::SystemClock),
        secrets: std::sync::Arc::new(tollgate::keychain::MemoryKeychain::default()),
    };
    tollgate::api::overview(&ws, &ctx).expect("overview");
    let overview = time(11, || tollgate::api::overview(&ws, &ctx).expect("overview"));

    // What sync asks for each environment.
    let some = Digest::of(b"image 12345");
    let explained = time(51, || {
        store
            .explained_since("app042", "production", &some, 0)
            .expect("explained_since")
    });

    // Export of one app × environment (all its events).
    let filter = EventFilter {
        app: Some("app042".into()),
        env: Some("production".into()),
        ..Default::default()
    };
    let exported = store.events(&filter).expect("events").len();
    let export = time(11, || store.events(&filter).expect("events").len());

    // verify: the whole chain.
    let mut verified = 0;
    let verify = time(3, || {
        let report = store.verify_chain().expect("verify");
        assert!(report.broken.is_none(), "{:?}", report.broken);
        verified = report.events;
    });
    let verify_rate = verified as f64 / verify.as_secs_f64();

    println!();
    println!(
        "History store: {total} events, {APPS} apps × {} envs, database {:.0} MB",
        ENVS.len(),
        size as f64 / 1e6
    );
    println!();
    println!("| measurement | median | target | ok |");
    println!("| --- | --- | --- | --- |");
    let row = |what: String, got: String, target: &str, ok: bool| {
        println!(
            "| {what} | {got} | {target} | {} |",
            if ok { "yes" } else { "NO" }
        );
    };
    row(
        format!("append {total} events (batches of {BATCH})"),
        format!(
            "{:.1} s ({:.0} events/s)",
            build.as_secs_f64(),
            total as f64 / build.as_secs_f64()
        ),
        "seconds, not minutes",
        build < Duration::from_secs(60),
    );
    row(
        format!("timeline of one app × env ({segments} segments)"),
        ms(timeline),
        "< 20 ms",
        timeline < Duration::from_millis(20),
    );
    row(
        format!("timeline of one app, all envs ({app_segments} segments)"),
        ms(app_timeline),
        "-",
        true,
    );
    row(
        format!("status: head() of {} app × envs", APPS * ENVS.len()),
        ms(status),
        "< 50 ms",
        status < Duration::from_millis(50),
    );
    row(
        format!(
            "`tollgate status` (api::status) of {} app × envs",
            APPS * ENVS.len()
        ),
        ms(status_api),
        "< 100 ms",
        status_api < Duration::from_millis(100),
    );
    row(
        format!(
            "the desktop's overview (api::overview) of {} app × envs",
            APPS * ENVS.len()
        ),
        ms(overview),
        "< 500 ms",
        overview < Duration::from_millis(500),
    );
    row(
        format!(
            "status --at (middle of the history): stay_at() of {} app × envs",
            APPS * ENVS.len()
        ),
        ms(status_at_middle),
        "< 20 ms",
        status_at_middle < Duration::from_millis(20),
    );
    row(
        format!(
            "status --at (3 h before the last event): stay_at() of {} app × envs",
            APPS * ENVS.len()
        ),
        ms(status_at_recent),
        "< 20 ms",
        status_at_recent < Duration::from_millis(20),
    );
    row(
        "explained_since (one app × env)".into(),
        ms(explained),
        "-",
        true,
    );
    row(
        format!("events of one app × env ({exported} events)"),
        ms(export),
        "-",
        true,
    );
    row(
        format!("verify_chain ({verified} events)"),
        format!(
            "{:.2} s ({:.0} events/s)",
            verify.as_secs_f64(),
            verify_rate
        ),
        "≥ 100,000 events/s",
        verify_rate >= 100_000.0,
    );
}
