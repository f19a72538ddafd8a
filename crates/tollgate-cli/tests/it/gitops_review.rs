//! A promotion pushed for review (`push = "branch"`) reaches the environment's branch the ways a
//! person or a forge merges it — `git merge --no-ff`, `git merge --squash` with the signed
//! commit's message — done with stock git in the deployment repository's work tree; the next
//! `tollgate sync` records the promotion from its journal entry. A hand commit that copies the
//! trailers over another digest is drift. And a promotion still running (paused after its push)
//! is no drift for a sync from another process meanwhile.

use serde_json::Value;
use tollgate::domain::{Event, EventKind};

use super::gitops_promote::{finish, paused, promote_args, resume, text, Fixture, FILE, PROMOTER};
use tollgate_testsupport::deploy_repo::deployment_yaml;

/// Promote A for review: the review branch and the signed commit on it.
fn push_for_review(fx: &Fixture) -> (String, String) {
    fx.approve(&fx.quinn, &fx.a);
    let out = fx.run(&promote_args(&fx.a));
    assert!(out.status.success(), "{}", text(&out));
    let review = format!("tollgate/api-production-{}", &fx.a[7..19]);
    let signed = fx.repo.bare_git(&["rev-parse", &review]).trim().to_string();
    assert_eq!(
        fx.f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1"),
        "review"
    );
    (review, signed)
}

/// The work tree at the remote's main, with the review branch fetched (`FETCH_HEAD`).
fn fetch_review(fx: &Fixture, review: &str) {
    fx.repo.pull();
    fx.repo.work_git(&["fetch", "-q", "origin", review]);
}

fn push_main(fx: &Fixture) -> String {
    fx.repo.work_git(&["push", "-q", "origin", "HEAD:main"]);
    fx.repo.tip()
}

pub(crate) fn json_of(fx: &Fixture, args: &[&str]) -> Value {
    let out = fx.run(args);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(crate) fn timeline(fx: &Fixture) -> Vec<Value> {
    json_of(
        fx,
        &["timeline", "--app", "api", "--env", "production", "--json"],
    )
    .as_array()
    .unwrap()
    .clone()
}

pub(crate) fn production_row(fx: &Fixture) -> Value {
    json_of(fx, &["status", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["env"] == "production")
        .cloned()
        .unwrap()
}

/// The events of production (dev is a tag environment: each sync observes it too).
fn event_count(fx: &Fixture) -> usize {
    fx.f.tmp
        .sqlite("SELECT count(*) FROM events WHERE env = 'production'")
        .parse()
        .unwrap()
}

/// The one promotion event, after the sync that saw the review land.
fn the_promotion(fx: &Fixture) -> Event {
    let promotions = fx.events(EventKind::Promotion);
    assert_eq!(promotions.len(), 1, "{promotions:?}");
    promotions.into_iter().next().unwrap()
}

/// What a sync that recorded the landing leaves: the promotion (by the promoter, from journal
/// entry 1, no drift), the entry recorded with that event, the timeline's last stay via it at
/// `commit`; and a second sync appends only the tip's observation.
fn assert_landed(fx: &Fixture, commit: &str) -> Event {
    let p = the_promotion(fx);
    assert_eq!(p.actor.as_deref(), Some(PROMOTER));
    assert_eq!(p.digest.as_ref().unwrap().as_str(), fx.a);
    assert_eq!(p.data["commit"], commit);
    assert_eq!(p.data["raw_commit"], fx.repo.raw_commit(commit).as_str());
    assert_eq!(p.data["journal"], 1);
    assert_eq!(p.data["git"], "deploy");
    assert_eq!(p.data["file"], FILE);
    assert!(p.data["signature"].is_string(), "{}", p.data);
    assert_eq!(
        fx.f.tmp
            .sqlite("SELECT state || ' ' || event_seq FROM promotions WHERE id = 1"),
        format!("recorded {}", p.seq)
    );
    assert!(fx.events(EventKind::Drift).is_empty());
    let last = timeline(fx).last().cloned().unwrap();
    assert_eq!(last["via"], "promotion", "{last}");
    assert_eq!(last["actor"], PROMOTER, "{last}");
    assert_eq!(last["commit"], commit, "{last}");
    let row = production_row(fx);
    assert_eq!(row["drift"], false, "{row}");
    assert_eq!(row["digest"], fx.a.as_str());

    let before = event_count(fx);
    let again = fx.run(&["sync"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(
        event_count(fx),
        before + 1,
        "only the tip's observation: {}\n{}",
        fx.f.tmp.sqlite(
            "SELECT seq, kind, env, at, substr(data, 1, 300) FROM events ORDER BY seq DESC LIMIT 3"
        ),
        text(&again)
    );
    assert_eq!(fx.events(EventKind::Promotion).len(), 1);
    let verify = fx.run(&["verify"]);
    assert!(verify.status.success(), "{}", text(&verify));
    p
}

#[test]
fn a_review_branch_merged_with_a_merge_commit_is_the_promotion() {
    let fx = Fixture::with_git("gitops-merged", "push = \"branch\"\n");
    let (review, signed) = push_for_review(&fx);
    // Before the merge, sync sees nothing of it: main still pins B, the entry stays in review.
    let out = fx.run(&["sync"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(fx.events(EventKind::Promotion).is_empty());

    fetch_review(&fx, &review);
    fx.repo.work_git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        &format!("Merge branch '{review}'"),
        "FETCH_HEAD",
    ]);
    let merge = push_main(&fx);
    assert_ne!(merge, signed);
    assert_eq!(
        fx.repo
            .bare_git(&["rev-parse", &format!("{merge}^2")])
            .trim(),
        signed
    );

    let out = fx.run(&["sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "api production: recorded promotion 1 by {PROMOTER}, pushed for review to {review} (merged), at commit {merge} on main"
        )),
        "{stdout}"
    );
    let p = assert_landed(&fx, &merge);
    assert_eq!(p.data["landed"], "merged");
    assert_eq!(p.data["review_commit"], signed.as_str());
    assert_eq!(
        p.data["raw_review_commit"],
        fx.repo.raw_commit(&signed).as_str()
    );
    assert_eq!(p.data["review_branch"], review.as_str());
}

#[test]
fn a_squash_with_the_signed_commits_message_is_attributed_and_names_both_commits() {
    let fx = Fixture::with_git("gitops-squash", "push = \"branch\"\n");
    let (review, signed) = push_for_review(&fx);
    let message = fx.repo.bare_git(&["log", "-1", "--format=%B", &signed]);
    fetch_review(&fx, &review);
    fx.repo.work_git(&["merge", "-q", "--squash", "FETCH_HEAD"]);
    fx.repo.work_git(&["commit", "-q", "-m", &message]);
    let squash = push_main(&fx);
    assert_ne!(squash, signed);
    // Stock git: one parent, the old main; no signature.
    assert_eq!(
        fx.repo
            .bare_git(&["log", "-1", "--format=%P", &squash])
            .split_whitespace()
            .count(),
        1
    );
    assert!(!fx.repo.raw_commit(&squash).contains("gpgsig"));

    let out = fx.run(&["sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let p = assert_landed(&fx, &squash);
    assert_eq!(p.data["landed"], "squashed");
    assert_eq!(p.data["review_commit"], signed.as_str());
    assert_eq!(
        p.data["raw_review_commit"],
        fx.repo.raw_commit(&signed).as_str()
    );

    // The report: the promoter's signature is checked on the review commit, the squash commit
    // is only hashed; an altered review commit object fails naming the event.
    let report = fx.f.tmp.path().join("squash.json");
    let out = fx.run(&[
        "export",
        "--format",
        "json",
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let ok = fx.run(&[
        "verify",
        report.to_str().unwrap(),
        "--allow-unsealed",
        "--json",
    ]);
    assert!(ok.status.success(), "{}", text(&ok));
    let v: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert!(v["git_signatures_verified"].as_u64().unwrap() >= 1, "{v}");
    let (code, out) = super::export::recipe(&report);
    assert_eq!(code, 0, "{out}");

    let mut bad: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let i = bad["events"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["seq"] == p.seq)
        .unwrap();
    let raw = bad["events"][i]["data"]["raw_review_commit"]
        .as_str()
        .unwrap()
        .replacen("Tollgate-Env: production", "Tollgate-Env: productioN", 1);
    bad["events"][i]["data"]["raw_review_commit"] = raw.into();
    // Keep the event's hash right: only the commit check may fail (a real forger would also
    // have to fix the chain, which verify checks apart).
    let tampered = fx.f.tmp.path().join("squash-bad.json");
    std::fs::write(&tampered, serde_json::to_vec(&bad).unwrap()).unwrap();
    let out = fx.run(&["verify", tampered.to_str().unwrap(), "--allow-unsealed"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("event {}", p.seq)) && stderr.contains("review commit"),
        "{stderr}"
    );
    let (code, out) = super::export::recipe(&tampered);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "event {}: its review commit object hashes to",
            p.seq
        )),
        "{out}"
    );
}

#[test]
fn a_hand_commit_with_the_trailers_over_another_digest_is_drift() {
    let fx = Fixture::with_git("gitops-forged", "push = \"branch\"\n");
    let (_review, signed) = push_for_review(&fx);
    let message = fx.repo.bare_git(&["log", "-1", "--format=%B", &signed]);
    let other = format!("sha256:{}", "3".repeat(64));
    let forged = fx
        .repo
        .commit(FILE, &deployment_yaml(&fx.image(&other)), &message);
    assert!(fx
        .repo
        .raw_commit(&forged)
        .contains(&format!("Tollgate-Digest: {}", fx.a)));

    let out = fx.run(&["sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&forged), "{stderr}");
    assert!(fx.events(EventKind::Promotion).is_empty());
    let drift = fx.events(EventKind::Drift);
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0].data["commit"], forged.as_str());
    assert_eq!(
        fx.f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1"),
        "review"
    );
    assert_eq!(production_row(&fx)["drift"], true);
}

/// A promotion paused right after its push: a sync from another process meanwhile sees the
/// commit on main and calls it no drift (its journal entry is open); after the promotion
/// finishes, the next sync appends nothing for that commit and status has no drift.
#[test]
fn a_sync_while_a_promotion_is_between_push_and_record_is_no_drift() {
    let fx = Fixture::new("gitops-inflight");
    fx.approve(&fx.quinn, &fx.a);
    let mut p = paused(fx.cli(&promote_args(&fx.a), &[]), "pushed");
    let commit = fx.repo.tip();
    assert_eq!(
        fx.f.tmp
            .sqlite("SELECT state || ' ' || commit_id FROM promotions WHERE id = 1"),
        format!("pushed {commit}")
    );

    // `tollgate sync` exits 1 on drift.
    let before = event_count(&fx);
    let out = fx.run(&["sync"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(fx.events(EventKind::Drift).is_empty());
    assert_eq!(event_count(&fx), before + 1, "only the tip's observation");
    let observed = fx.f.tmp.sqlite(
        "SELECT json_extract(data, '$.commit') FROM events WHERE kind = 'observation' ORDER BY seq DESC LIMIT 1",
    );
    assert_eq!(observed, commit);
    assert_eq!(production_row(&fx)["drift"], false);

    resume(&mut p);
    let out = finish(p);
    assert!(out.status.success(), "{}", text(&out));
    let promotions = fx.events(EventKind::Promotion);
    assert_eq!(promotions.len(), 1);
    assert_eq!(promotions[0].data["commit"], commit.as_str());

    let before = event_count(&fx);
    let out = fx.run(&["sync"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(event_count(&fx), before + 1, "nothing for the commit");
    assert!(fx.events(EventKind::Drift).is_empty());
    let row = production_row(&fx);
    assert_eq!(row["drift"], false, "{row}");
    assert_eq!(row["commit"], commit.as_str());
    let last = timeline(&fx).last().cloned().unwrap();
    assert_eq!(last["via"], "promotion");
    assert_eq!(last["commit"], commit.as_str());
}

/// Merged fast-forward: the branch now holds the signed commit itself; the event names it alone
/// (no review commit apart).
#[test]
fn a_review_branch_merged_fast_forward_is_the_promotion_of_the_signed_commit() {
    let fx = Fixture::with_git("gitops-ff", "push = \"branch\"\n");
    let (review, signed) = push_for_review(&fx);
    fetch_review(&fx, &review);
    fx.repo
        .work_git(&["merge", "-q", "--ff-only", "FETCH_HEAD"]);
    assert_eq!(push_main(&fx), signed);
    let out = fx.run(&["sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let p = assert_landed(&fx, &signed);
    assert_eq!(p.data["landed"], "fast_forward");
    assert!(p.data.get("review_commit").is_none(), "{}", p.data);
    assert!(p.data.get("raw_review_commit").is_none(), "{}", p.data);
}
