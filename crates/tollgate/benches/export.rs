//! Audit export benchmark: `cargo bench -p tollgate --bench export`.
//!
//! 1. A history of 100,000 events (20 apps × 3 environments: observations, records, approvals
//!    with real Ed25519 SSHSIG signatures, promotions carrying their policy checklist, drift),
//!    built through `Store::append` in a temporary folder, exported whole to CSV and to JSON
//!    (each export also re-walks the database chain and verifies every approval signature), and
//!    the JSON checked back with `verify_report`.
//! 2. A history of 1,000 promotions (each with its two signed approvals), exported to PDF.
//!
//! Median of 3 runs each, printed against the targets. `TOLLGATE_BENCH_EVENTS=N` changes the
//! size of the first history.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use tollgate::api::{self, ExportFormat, ExportRequest};
use tollgate::config::Workspace;
use tollgate::domain::{Digest, EventKind, NewEvent};
use tollgate::keychain::MemoryKeychain;
use tollgate::signing::{self, Anchor, ApprovalMessage, Target};
use tollgate::store::Store;

const APPS: usize = 20;
const ENVS: [&str; 3] = ["dev", "staging", "production"];
const BATCH: usize = 10_000;
const APPROVERS: [(&str, &str); 2] = [
    ("alice@example.com", "manager"),
    ("quinn@example.com", "qa"),
];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

/// A workspace file in `dir` with the approvers' public keys; the keys live in `keys`.
fn workspace(dir: &Path, keys: &MemoryKeychain) -> Workspace {
    let mut toml = String::from(
        "[workspace]\nname = \"bench\"\ndatabase = \"history.db\"\n\n[[registries]]\nname = \"local\"\nurl = \"http://127.0.0.1:9\"\n",
    );
    for a in 0..APPS {
        toml.push_str(&format!(
            "\n[[apps]]\nname = \"app{a:02}\"\nrepository = \"local/apps/app{a:02}\"\nenvironments = [\n  {{ name = \"dev\", tag = \"dev\" }},\n  {{ name = \"staging\", tag = \"staging\" }},\n  {{ name = \"production\", tag = \"production\", policy = {{ approvals = 2, roles = [\"manager\", \"qa\"] }} }},\n]\n"
        ));
    }
    for (id, role) in APPROVERS {
        let key = signing::generate_key(id, keys).expect("key");
        toml.push_str(&format!(
            "\n[[approvers]]\nid = \"{id}\"\nroles = [\"{role}\"]\nkey = \"{}\"\n",
            key.public_key
        ));
    }
    let path = dir.join("tollgate.toml");
    std::fs::write(&path, toml).expect("write tollgate.toml");
    Workspace::load(&path, None).expect("load workspace")
}

/// A signed approval event of `digest` for `app` staging → production.
fn approval(
    keys: &MemoryKeychain,
    at: DateTime<Utc>,
    app: &str,
    digest: &Digest,
    who: usize,
) -> NewEvent {
    let (id, role) = APPROVERS[who];
    let target = Target {
        app: app.into(),
        digest: digest.clone(),
        from: "staging".into(),
        to: "production".into(),
    };
    let message = ApprovalMessage::new(
        &target,
        id,
        role,
        at,
        Some("soaked fine"),
        &Anchor::genesis(),
    );
    let bytes = message.to_bytes();
    let signature = signing::sign(id, &bytes, keys).expect("sign");
    let fingerprint = signing::signer_key(&signature)
        .and_then(|k| signing::fingerprint(&k))
        .expect("fingerprint");
    NewEvent {
        at,
        kind: EventKind::Approval,
        app: app.into(),
        env: "production".into(),
        digest: Some(digest.clone()),
        actor: Some(id.into()),
        data: serde_json::json!({
            "from": "staging", "to": "production", "role": role, "note": "soaked fine",
            "message": String::from_utf8(bytes).expect("utf-8"),
            "signature": signature, "fingerprint": fingerprint,
        }),
    }
}

fn promotion(
    at: DateTime<Utc>,
    app: &str,
    digest: &Digest,
    previous: &Digest,
    approvals: [i64; 2],
) -> NewEvent {
    NewEvent {
        at,
        kind: EventKind::Promotion,
        app: app.into(),
        env: "production".into(),
        digest: Some(digest.clone()),
        actor: Some("release-bot".into()),
        data: serde_json::json!({
            "from": "staging", "to": "production",
            "repository": format!("local/apps/{app}"), "source_repository": format!("local/apps/{app}"),
            "tag": "production", "previous": previous.to_string(),
            "approvals": approvals,
            "evaluation": {
                "passed": true,
                "rules": [
                    {"rule": "approvals", "passed": true, "reason": "has 2 distinct approvers (alice@example.com, quinn@example.com), needs 2", "blocking": true},
                    {"rule": "roles", "passed": true, "reason": "has an approval from each role: manager (alice@example.com), qa (quinn@example.com)", "blocking": true},
                    {"rule": "signatures", "passed": true, "reason": "2 approvals on record verify against the keys in tollgate.toml", "blocking": false},
                ],
                "counted": approvals, "ignored": [],
            },
            "journal": approvals[1], "recovered": false,
        }),
    }
}

/// Append `total` events: every 100th event starts a release (two approvals and a promotion),
/// 1 % are records, 0.5 % drift, the rest observations.
fn build_history(store: &mut Store, keys: &MemoryKeychain, total: usize) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut seq = 0i64;
    let mut release = 0u64;
    let mut current = vec![Digest::of(b"initial"); APPS];
    while (seq as usize) < total {
        let i = seq as usize;
        let at = t0() + chrono::Duration::seconds(i as i64 * 30);
        let app = i % APPS;
        let name = format!("app{app:02}");
        if i.is_multiple_of(100) && (seq as usize) + 3 <= total {
            release += 1;
            let digest = Digest::of(format!("release {release}").as_bytes());
            batch.push(approval(keys, at, &name, &digest, 0));
            batch.push(approval(keys, at, &name, &digest, 1));
            batch.push(promotion(
                at,
                &name,
                &digest,
                &current[app],
                [seq + 1, seq + 2],
            ));
            current[app] = digest;
            seq += 3;
        } else {
            let env = ENVS[(i / APPS) % 3];
            let (kind, actor) = match i % 200 {
                1 | 2 => (EventKind::Record, Some("ci".to_string())),
                3 => (EventKind::Drift, None),
                _ => (EventKind::Observation, None),
            };
            batch.push(NewEvent {
                at,
                kind,
                app: name.clone(),
                env: env.into(),
                digest: Some(current[app].clone()),
                actor,
                data: serde_json::json!({"repository": format!("local/apps/{name}"), "tag": env}),
            });
            seq += 1;
        }
        if batch.len() >= BATCH {
            store.append(std::mem::take(&mut batch)).expect("append");
        }
    }
    store.append(batch).expect("append");
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

#[allow(
    clippy::disallowed_methods,
    reason = "exported at the system time, as the CLI does"
)]
fn export(ws: &Workspace, format: ExportFormat, out: &Path) -> api::ExportSummary {
    let summary = api::export(
        ws,
        &tollgate::api::Context {
            clock: std::sync::Arc::new(tollgate::domain::FixedClock(Utc::now())),
            secrets: std::sync::Arc::new(tollgate::keychain::OsKeychain),
        },
        ExportRequest::everything(format, out),
    )
    .expect("export");
    assert!(summary.clean(), "{:?}", summary.signatures.problems.first());
    summary
}

fn report(what: &str, took: Duration, target: Duration, extra: &str) {
    println!(
        "{what:<44} {:>9.1} ms {extra:<28} target < {:.0} s: {}",
        took.as_secs_f64() * 1e3,
        target.as_secs_f64(),
        if took < target { "met" } else { "MISSED" }
    );
}

#[allow(
    clippy::disallowed_methods,
    reason = "the bench size comes from the environment"
)]
fn main() {
    let total: usize = std::env::var("TOLLGATE_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let keys = MemoryKeychain::default();

    // 1. CSV and JSON of the whole history.
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = workspace(dir.path(), &keys);
    let mut store = Store::open(&ws.db_path).expect("open");
    let start = Instant::now();
    build_history(&mut store, &keys, total);
    drop(store);
    println!(
        "built {total} events ({} signed approvals) in {:.1} s",
        total / 100 * 2,
        start.elapsed().as_secs_f64()
    );
    let csv = dir.path().join("audit.csv");
    let json = dir.path().join("audit.json");
    let mut size = 0;
    let took = time(3, || size = export(&ws, ExportFormat::Csv, &csv).bytes);
    report(
        &format!("export CSV, {total} events"),
        took,
        Duration::from_secs(2),
        &format!("({:.1} MB)", size as f64 / 1e6),
    );
    let took = time(3, || size = export(&ws, ExportFormat::Json, &json).bytes);
    report(
        &format!("export JSON, {total} events"),
        took,
        Duration::from_secs(2),
        &format!("({:.1} MB)", size as f64 / 1e6),
    );
    let took = time(3, || {
        let v = api::verify_report(&json, None, true).expect("verify");
        assert!(v.ok(), "{:?}", v.problems.first());
    });
    report(
        &format!("verify JSON report, {total} events"),
        took,
        Duration::from_secs(2),
        "",
    );

    // 2. PDF of 1,000 promotions.
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = MemoryKeychain::default();
    let ws = workspace(dir.path(), &keys);
    let mut store = Store::open(&ws.db_path).expect("open");
    let mut events = Vec::new();
    let mut previous = Digest::of(b"initial");
    for p in 0..1000i64 {
        let at = t0() + chrono::Duration::hours(p);
        let app = format!("app{:02}", p as usize % APPS);
        let digest = Digest::of(format!("release {p}").as_bytes());
        events.push(approval(&keys, at, &app, &digest, 0));
        events.push(approval(&keys, at, &app, &digest, 1));
        events.push(promotion(
            at,
            &app,
            &digest,
            &previous,
            [p * 3 + 1, p * 3 + 2],
        ));
        previous = digest;
    }
    store.append(events).expect("append");
    drop(store);
    let pdf = dir.path().join("audit.pdf");
    let took = time(3, || size = export(&ws, ExportFormat::Pdf, &pdf).bytes);
    let pages = std::fs::read(&pdf)
        .map(|b| {
            b.windows(b"/Type /Page\n".len())
                .filter(|w| w.starts_with(b"/Type /Page") && !w.starts_with(b"/Type /Pages"))
                .count()
        })
        .unwrap_or(0);
    report(
        "export PDF, 1,000 promotions (3,000 events)",
        took,
        Duration::from_secs(5),
        &format!("({:.1} MB, {pages} pages)", size as f64 / 1e6),
    );
}
