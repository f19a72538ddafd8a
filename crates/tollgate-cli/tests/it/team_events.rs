//! Every authored event shared through the registry, end to end: two desktops (two databases,
//! two identities in the real OS keychain) and a CI runner on one real `docker-registry`. A
//! promotion, a rollback and a CI record (signed through the real `ssh-agent`) from one machine
//! explain the tag's move on the others (`via promotion` with the teammate as actor, no drift);
//! forged and altered artifacts are ignored and named; an approval consumed anywhere never
//! counts again; and two `tollgate approve` processes publishing at the same moment both end up
//! in the fallback index.

use std::process::Stdio;

use tollgate::api::{self, Context};
use tollgate::domain::Digest;
use tollgate::keychain::OsKeychain;
use tollgate::signing::{self, Anchor, EventMessage, Move, MovePlace, PROMOTION_KIND};
use tollgate::team::{fallback_tag, ArtifactKind};

use crate::identity::{keygen, Agent};
use tollgate_testsupport::images::make_image;
use tollgate_testsupport::signed::{approve_staging_args, at, rt, unique_id, SignedWorkspace};
use tollgate_testsupport::skopeo::{push, skopeo_digest, skopeo_raw, skopeo_retag};
use tollgate_testsupport::team::{
    approve_staging, plant, promote_staging, qa_team, sign_as_stranger, sync,
};
use tollgate_testsupport::workspace::TempWorkspace;

/// The segments of `env` as `tollgate timeline --json` prints them on desktop `dir`.
fn timeline(dir: &TempWorkspace, env: &str) -> Vec<serde_json::Value> {
    let out = dir.run(&["timeline", "--app", "api", "--env", env, "--json"]);
    out.ok();
    out.json().as_array().unwrap().clone()
}

/// `(digest, via, actor)` of each segment of `env` on desktop `dir`.
fn segments(dir: &TempWorkspace, env: &str) -> Vec<(String, String, String)> {
    timeline(dir, env)
        .iter()
        .map(|s| {
            (
                s["digest"].as_str().unwrap().to_string(),
                s["via"].as_str().unwrap().to_string(),
                s["actor"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `tollgate sync` on desktop `dir` reports no drift; then `tollgate status --json` shows `env`
/// at `digest` `via`, without drift, and `tollgate timeline --json` names `actor` for it.
fn explained(dir: &TempWorkspace, env: &str, digest: &str, via: &str, actor: &str) {
    let out = dir.run(&["sync"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(!out.stderr.contains("drift"), "{}", out.stderr);
    let row = dir.status_row(env);
    assert_eq!(row["digest"], digest, "{row}");
    assert_eq!(row["drift"], false, "{row}");
    assert_eq!(row["via"], via, "{row}");
    let last = timeline(dir, env).pop().expect("a segment");
    assert_eq!(last["digest"], digest, "{last}");
    assert_eq!(last["via"], via, "{last}");
    assert_eq!(last["actor"], actor, "{last}");
}

/// The artifact digests and types the fallback index of `digest` lists, as skopeo reads it.
fn listed(f: &SignedWorkspace, digest: &str) -> Vec<(String, String)> {
    let tag = fallback_tag(&Digest::parse(digest).unwrap());
    let raw = skopeo_raw(&f.reg, &format!("payments/api:{tag}"));
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(v["mediaType"], "application/vnd.oci.image.index.v1+json");
    v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["digest"].as_str().unwrap().to_string(),
                m["artifactType"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_promotion_from_one_desktop_is_via_promotion_on_another_without_drift() {
    let (f, a, alice, quinn) = qa_team("events-promo");
    let (b_dir, desktop_b) = f.desktop();
    sync(&f.ws, &at(0));
    sync(&desktop_b, &at(0));
    approve_staging(&f.ws, &at(1), &quinn, &a);
    let outcome = promote_staging(&f.ws, &at(2), &a, &alice).unwrap();
    let share = outcome.shared.clone().expect("sharing is on by default");
    assert!(share.shared, "{share:?}");
    assert!(listed(&f, &a).contains(&(
        share.artifact.clone(),
        "application/vnd.tollgate.promotion.v1+json".into()
    )));

    // Desktop B sees staging appear at A: explained by Alice's promotion, no drift.
    let report = sync(&desktop_b, &at(3));
    assert_eq!(report.drifted().count(), 0, "{:?}", report.tags);
    assert_eq!(report.team.imported_events, 1, "{:?}", report.team);
    assert_eq!(report.team.untrusted, 0, "{:?}", report.team);
    explained(&b_dir, "staging", &a, "promotion", &alice);
    // Imported once, with the original signed message and signature; verify holds.
    let again = sync(&desktop_b, &at(4));
    assert_eq!(again.team.imported_events, 0, "{:?}", again.team);
    let store = tollgate::store::Store::open(&desktop_b.db_path).unwrap();
    let promotions: Vec<_> = store
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == tollgate::domain::EventKind::Promotion)
        .collect();
    assert_eq!(promotions.len(), 1);
    assert_eq!(promotions[0].data["imported"]["artifact"], share.artifact);
    assert_eq!(
        promotions[0].data_str("message"),
        outcome.event.as_ref().unwrap().data_str("message")
    );
    // The release diff the reports show, read on B from the registry: what A's event keeps.
    assert!(
        outcome.event.as_ref().unwrap().data["diff"].is_object(),
        "{}",
        outcome.event.as_ref().unwrap().data
    );
    assert_eq!(
        promotions[0].data["diff"],
        outcome.event.as_ref().unwrap().data["diff"]
    );
    drop(store);
    let v = api::verify(&desktop_b).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert!(v.signed_events >= 1);
}

#[test]
fn a_rollback_from_one_desktop_is_via_rollback_on_another_without_drift() {
    let (f, a, alice, quinn) = qa_team("events-rollback");
    let (b_dir, desktop_b) = f.desktop();
    sync(&f.ws, &at(0));
    sync(&desktop_b, &at(0));
    approve_staging(&f.ws, &at(1), &quinn, &a);
    promote_staging(&f.ws, &at(1), &a, &alice).unwrap();
    explained(&b_dir, "staging", &a, "promotion", &alice);
    // Image B goes to dev (CI records it) and on to staging.
    push(&make_image("events-rollback-b"), &f.reg, "payments/api:dev");
    let b = skopeo_digest(&f.reg, "payments/api:dev");
    rt().block_on(api::record(
        &f.ws,
        &at(2),
        api::RecordRequest {
            app: "api".into(),
            env: "dev".into(),
            image: format!("local/payments/api@{b}"),
            actor: "ci".into(),
            at: None,
        },
    ))
    .unwrap();
    approve_staging(&f.ws, &at(2), &quinn, &b);
    promote_staging(&f.ws, &at(3), &b, &alice).unwrap();
    let report = sync(&desktop_b, &at(3));
    assert_eq!(report.drifted().count(), 0, "{:?}", report.tags);
    explained(&b_dir, "staging", &b, "promotion", &alice);
    // Alice rolls staging back to A (a fresh QA approval: the first one was consumed).
    approve_staging(&f.ws, &at(4), &quinn, &a);
    let rolled = rt()
        .block_on(api::rollback(
            &f.ws,
            &at(5),
            api::RollbackRequest {
                app: "api".into(),
                env: "staging".into(),
                digest: a.clone(),
                reason: None,
                actor: alice.clone(),
            },
            &|_| {},
        ))
        .unwrap();
    assert!(
        rolled.shared.as_ref().is_some_and(|t| t.shared),
        "{:?}",
        rolled.shared
    );
    let report = sync(&desktop_b, &at(6));
    assert_eq!(report.drifted().count(), 0, "{:?}", report.tags);
    explained(&b_dir, "staging", &a, "rollback", &alice);
    let vias = segments(&b_dir, "staging");
    assert_eq!(
        vias,
        vec![
            (a.clone(), "promotion".into(), alice.clone()),
            (b.clone(), "promotion".into(), alice.clone()),
            (a.clone(), "rollback".into(), alice.clone()),
        ]
    );
}

#[test]
fn a_ci_record_signed_through_the_real_ssh_agent_reaches_both_desktops() {
    let (f, a, _alice, _quinn) = qa_team("events-ci");
    // CI's identity: a key only in the real ssh-agent, listed under [[signers]].
    let keys = tempfile::tempdir().unwrap();
    let ci = unique_id("ci-runner");
    let (key_file, public) = keygen(keys.path(), "ci_key", &ci);
    let agent = Agent::start(keys.path());
    agent.add(&key_file);
    std::fs::remove_file(&key_file).unwrap();
    let sock = agent.socket.to_str().unwrap().to_string();
    let toml = format!(
        "{}\n[[signers]]\nid = \"{ci}\"\nkey = \"{public}\"\n",
        std::fs::read_to_string(f.tmp.config()).unwrap()
    );
    let desktops: Vec<TempWorkspace> = (0..2).map(|_| TempWorkspace::new(&toml)).collect();
    let runner = TempWorkspace::new(&toml);
    for d in &desktops {
        d.run(&["sync"]).ok();
    }
    // The pipeline: sync, deploy image B to dev, record it (signed in the agent).
    runner.run(&["sync"]).ok();
    push(&make_image("events-ci-b"), &f.reg, "payments/api:dev");
    let b = skopeo_digest(&f.reg, "payments/api:dev");
    let image = format!("local/payments/api@{b}");
    let out = runner.run_env(
        &[
            "record", "--app", "api", "--env", "dev", "--image", &image, "--actor", &ci,
        ],
        &[("SSH_AUTH_SOCK", &sock)],
    );
    out.ok();
    assert!(out.stdout.contains("shared as sha256:"), "{}", out.stdout);
    let listed = listed(&f, &b);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].1, "application/vnd.tollgate.deployment.v1+json");
    // Both desktops: dev moved A → B, explained by CI's record.
    for d in &desktops {
        explained(d, "dev", &b, "record", &ci);
        let tl = segments(d, "dev");
        assert_eq!(tl[0].0, a);
        d.run(&["verify"]).ok();
    }
}

/// A promotion message of `digest` into staging by `signer`, signed with `key_id`'s key.
fn promotion_message(digest: &str, signer: &str) -> EventMessage {
    EventMessage::new(
        Move {
            kind: PROMOTION_KIND,
            app: "api".into(),
            env: "staging".into(),
            from: Some("dev".into()),
            digest: Digest::parse(digest).unwrap(),
            previous: None,
            repository: "local/payments/api".into(),
            place: MovePlace::Tag("staging".into()),
            approvals: Vec::new(),
            deployed_at: None,
        },
        signer,
        tollgate_testsupport::signed::t0(),
        &Anchor::genesis(),
    )
}

#[test]
fn forged_and_altered_promotions_planted_in_the_registry_are_ignored_named_and_the_move_stays_drift(
) {
    let (f, a, alice, _quinn) = qa_team("events-forged");
    sync(&f.ws, &at(0));
    // Someone moves staging outside Tollgate and plants "alice promoted it": one signed with a
    // key of their own, one signed by Alice's key over other bytes and then altered.
    skopeo_retag(&f.reg, "payments/api:dev", "payments/api:staging");
    let forged = promotion_message(&a, &alice).to_bytes();
    let forged_sig = sign_as_stranger(&forged);
    let honest = promotion_message(&a, &alice).to_bytes();
    let honest_sig = signing::sign(&alice, &honest, &OsKeychain).unwrap();
    let altered = String::from_utf8(honest)
        .unwrap()
        .replace("\"previous\":null", &format!("\"previous\":\"{a}\""))
        .into_bytes();
    let planted: Vec<String> = [(forged, forged_sig), (altered, honest_sig)]
        .into_iter()
        .map(|(message, signature)| {
            plant(&f, ArtifactKind::Promotion, &a, message, signature).to_string()
        })
        .collect();
    let report = sync(&f.ws, &at(1));
    assert_eq!(report.team.imported_events, 0, "{:?}", report.team);
    assert_eq!(report.team.untrusted, 2, "{:?}", report.team);
    for p in &planted {
        let line = report
            .team
            .skipped
            .iter()
            .find(|l| l.contains(p.as_str()))
            .unwrap_or_else(|| panic!("{p} is named: {:?}", report.team.skipped));
        assert!(line.starts_with("untrusted promotion"), "{line}");
    }
    let drifted: Vec<_> = report.drifted().map(|t| t.env.clone()).collect();
    assert_eq!(drifted, vec!["staging".to_string()]);
    let row = f.tmp.status_row("staging");
    assert_eq!(row["drift"], true, "{row}");
    assert_eq!(row["via"], "drift", "{row}");
}

#[test]
fn an_approval_consumed_by_a_promotion_on_one_desktop_does_not_count_on_another() {
    let (f, a, alice, quinn) = qa_team("events-consumed");
    let (_b_dir, desktop_b) = f.desktop();
    sync(&f.ws, &at(0));
    sync(&desktop_b, &at(0));
    // Quinn approves on desktop B; B's own history counts it.
    approve_staging(&desktop_b, &at(1), &quinn, &a);
    let check = api::check(&desktop_b, at(1).clock.now(), "api", "staging", &a).unwrap();
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    // Alice promotes on desktop A with it (A pulls it just before promoting).
    promote_staging(&f.ws, &at(2), &a, &alice).unwrap();
    // B syncs: Alice's promotion lists Quinn's approval as consumed: it no longer counts on B.
    let report = sync(&desktop_b, &at(3));
    assert_eq!(report.team.imported_events, 1, "{:?}", report.team);
    let check = api::check(&desktop_b, at(3).clock.now(), "api", "staging", &a).unwrap();
    assert!(!check.evaluation.passed, "{:?}", check.evaluation);
    assert!(
        check
            .evaluation
            .ignored
            .iter()
            .any(|i| i.reason.contains("already used")),
        "{:?}",
        check.evaluation.ignored
    );
    // And B cannot promote with it.
    let e = promote_staging(&desktop_b, &at(3), &a, &alice).unwrap_err();
    assert!(e.message.contains("qa"), "{}", e.message);
}

#[test]
fn the_manager_promotes_with_qas_approval_from_another_desktop_and_qa_sees_it_without_drift() {
    let (f, a, alice, quinn) = qa_team("events-manager");
    let (qa_dir, qa_desktop) = f.desktop();
    sync(&f.ws, &at(0));
    sync(&qa_desktop, &at(0));
    // QA signs "verified in staging" on their laptop.
    let receipt = approve_staging(&qa_desktop, &at(1), &quinn, &a);
    assert!(receipt.team.as_ref().is_some_and(|t| t.shared));
    // The manager promotes without a sync: the promotion pulls the digest's referrers first.
    let outcome = promote_staging(&f.ws, &at(2), &a, &alice).unwrap();
    assert_eq!(outcome.check.evaluation.approvers, vec![quinn.clone()]);
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));
    // QA's next sync: staging via the manager's promotion, no drift.
    let report = sync(&qa_desktop, &at(3));
    assert_eq!(report.drifted().count(), 0, "{:?}", report.tags);
    explained(&qa_dir, "staging", &a, "promotion", &alice);
}

/// Spawn `tollgate approve` of `digest` into staging as `who` on desktop `dir`.
fn spawn_approve(dir: &TempWorkspace, digest: &str, who: &str) -> std::process::Child {
    let mut cmd = dir.command();
    cmd.arg("--config")
        .arg(dir.config())
        .args(approve_staging_args(digest, who))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("tollgate starts")
}

#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "the approvals were appended at the system time"
)]
fn two_approve_processes_publishing_at_the_same_moment_both_reach_the_index() {
    let f = SignedWorkspace::builder(
        "events-race",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 2, roles = ["qa"] } }"#,
        ],
    )
    .image("dev", "events-race-a")
    .approver("quinn", &["qa"])
    .approver("quincy", &["qa"])
    .build();
    let a = f.digests[0].clone();
    let (b_dir, desktop_b) = f.desktop();
    f.tmp.run(&["sync"]).ok();
    b_dir.run(&["sync"]).ok();
    // Both at once: start both processes, then wait for both.
    let children = [
        spawn_approve(&f.tmp, &a, &f.approvers[0]),
        spawn_approve(&b_dir, &a, &f.approvers[1]),
    ];
    let mut artifacts = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("shared as "))
            .unwrap_or_else(|| panic!("{stdout}"));
        artifacts.push(line.split(' ').next().unwrap().to_string());
    }
    // The index lists both, as skopeo reads it.
    let mut in_index: Vec<String> = listed(&f, &a).into_iter().map(|(d, _)| d).collect();
    in_index.sort();
    artifacts.sort();
    assert_eq!(in_index, artifacts);
    // Desktop B's next sync imports A's approval: both count there.
    let report = sync(&desktop_b, &Context::system());
    assert_eq!(report.team.imported, 1, "{:?}", report.team);
    let check = api::check(&desktop_b, chrono::Utc::now(), "api", "staging", &a).unwrap();
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    let mut approvers = check.evaluation.approvers.clone();
    approvers.sort();
    let mut expected = f.approvers.clone();
    expected.sort();
    assert_eq!(approvers, expected);
}
