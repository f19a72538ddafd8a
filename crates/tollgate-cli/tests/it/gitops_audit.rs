//! The whole flow into an environment in a deployment repository, and its audit: sync
//! (backfill) → approve → promote (a signed commit pushed to main) → sync → status without
//! drift and the timeline's last stay at the commit `git log` shows; then the JSON report is
//! checked by `tollgate verify` (with and without the workspace) and by the documented shell
//! recipe, and tampered two ways (one byte of a commit object; a commit signed by another
//! listed identity in place of the promoter's); the CSV report names git, file and commit.

use serde_json::Value;
use tollgate::domain::EventKind;

use super::gitops_promote::{promote_args, text, Fixture, FILE, PROMOTER};
use super::gitops_review::{production_row, timeline};

const OTHER: &str = "deployer@example.com";

#[test]
fn sync_promote_sync_export_and_verify_a_git_environment() {
    // Fixture::new: the hand commit pinning B, then the first sync (the backfill).
    let fx = Fixture::new("gitops-audit");
    let backfilled = timeline(&fx);
    assert_eq!(backfilled.len(), 1);
    assert_eq!(backfilled[0]["commit"], fx.repo.tip().as_str());

    fx.approve(&fx.quinn, &fx.a);
    let out = fx.run(&promote_args(&fx.a));
    assert!(out.status.success(), "{}", text(&out));
    let out = fx.run(&["sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let tip = fx.repo.log()[0].0.clone();
    let row = production_row(&fx);
    assert_eq!(row["drift"], false, "{row}");
    assert_eq!(row["commit"], tip.as_str(), "{row}");
    let last = timeline(&fx).last().cloned().unwrap();
    assert_eq!(last["via"], "promotion", "{last}");
    assert_eq!(last["commit"], tip.as_str(), "{last}");
    assert_eq!(last["actor"], PROMOTER, "{last}");

    // A second promotion (B, recorded in dev by CI), by another listed identity: its commit
    // serves the tampering below. (No sync after it: dev's tag still shows A, which a sync
    // would call drift of dev.)
    fx.f.record(&tollgate::api::Context::system(), "dev", &fx.b);
    fx.approve(&fx.bob, &fx.b);
    let out = fx
        .cli(&promote_args(&fx.b), &[("TOLLGATE_ACTOR", OTHER)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let other_commit = fx.repo.tip();

    // The JSON report.
    let report = fx.f.tmp.path().join("audit.json");
    let out = fx.run(&[
        "export",
        "--format",
        "json",
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let good: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let path = report.to_str().unwrap();
    let bare =
        fx.f.tmp
            .run_bare(&["verify", path, "--allow-unsealed", "--json"]);
    assert_eq!(bare.code, 0, "{}\n{}", bare.stdout, bare.stderr);
    let v: Value = serde_json::from_str(&bare.stdout).unwrap();
    // The backfilled observation, the observation after the promotion, the two promotions.
    assert!(v["git_commits"].as_u64().unwrap() >= 3, "{v}");
    let with = fx.run(&["verify", path, "--allow-unsealed", "--json"]);
    assert!(with.status.success(), "{}", text(&with));
    let v: Value = serde_json::from_slice(&with.stdout).unwrap();
    assert!(v["git_signatures_verified"].as_u64().unwrap() >= 2, "{v}");
    let (code, out) = super::export::recipe(&report);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("report OK: "), "{out}");

    let events = good["events"].as_array().unwrap();
    let first = events
        .iter()
        .position(|e| e["kind"] == "promotion" && e["data"]["commit"] == tip.as_str())
        .unwrap();
    let seq = events[first]["seq"].as_i64().unwrap();
    let second = events
        .iter()
        .position(|e| e["kind"] == "promotion" && e["data"]["commit"] == other_commit.as_str())
        .unwrap();
    assert_eq!(events[second]["actor"], OTHER);

    let write = |name: &str, v: &Value| {
        let p = fx.f.tmp.path().join(name);
        std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
        p
    };

    // One byte of the promotion's commit object changed: verify exits 1 naming that event.
    let mut byte = good.clone();
    let raw = byte["events"][first]["data"]["raw_commit"]
        .as_str()
        .unwrap()
        .replacen("Tollgate-App: api", "Tollgate-App: apI", 1);
    byte["events"][first]["data"]["raw_commit"] = raw.into();
    let byte = write("byte.json", &byte);
    let run =
        fx.f.tmp
            .run_bare(&["verify", byte.to_str().unwrap(), "--allow-unsealed"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!("event {seq}"))
            && run.stderr.contains("commit object hashes to"),
        "{}",
        run.stderr
    );
    let (code, out) = super::export::recipe(&byte);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("event {seq}: its commit object hashes to")),
        "{out}"
    );

    // The promoter's commit replaced by a validly hashed commit another listed identity signed:
    // the signature line names that identity.
    let mut swapped = good.clone();
    for key in ["raw_commit", "commit"] {
        swapped["events"][first]["data"][key] = good["events"][second]["data"][key].clone();
    }
    let swapped = write("swapped.json", &swapped);
    let line = format!("is signed by {OTHER}, not by {PROMOTER}");
    let run =
        fx.f.tmp
            .run_bare(&["verify", swapped.to_str().unwrap(), "--allow-unsealed"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!("event {seq}")) && run.stderr.contains(&line),
        "{}",
        run.stderr
    );
    let run = fx.run(&["verify", swapped.to_str().unwrap(), "--allow-unsealed"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains(&line),
        "{}",
        text(&run)
    );
    let (code, out) = super::export::recipe(&swapped);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("event {seq}: its commit")) && out.contains("is not signed by"),
        "{out}"
    );

    // The CSV report: git, file and commit filled for the git environment's events.
    let csv_path = fx.f.tmp.path().join("audit.csv");
    let out = fx.run(&[
        "export",
        "--format",
        "csv",
        "--out",
        csv_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (kind, env, git, file, commit) = (
        col("kind"),
        col("env"),
        col("git"),
        col("file"),
        col("commit"),
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let promotions: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| &r[kind] == "promotion" && &r[env] == "production")
        .collect();
    assert_eq!(promotions.len(), 2);
    assert_eq!(&promotions[0][git], "deploy");
    assert_eq!(&promotions[0][file], FILE);
    assert_eq!(&promotions[0][commit], tip.as_str());
    assert_eq!(&promotions[1][commit], other_commit.as_str());
    let observations = rows
        .iter()
        .filter(|r| &r[kind] == "observation" && &r[env] == "production");
    for r in observations {
        assert_eq!(&r[git], "deploy");
        assert_eq!(r[commit].len(), 40, "{r:?}");
    }
    assert_eq!(fx.events(EventKind::Drift).len(), 0);
}
