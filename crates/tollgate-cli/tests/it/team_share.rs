//! Team sharing of approvals end to end: two desktops (two workspaces, two databases, two
//! identities in the real OS keychain) on one real `docker-registry`. QA approves on desktop B,
//! desktop A's sync imports it and the policy counts it; untrusted artifacts are skipped and
//! named.

use tollgate::api::{self, Context};
use tollgate::config::Workspace;
use tollgate::domain::Digest;
use tollgate::signing::{Anchor, ApprovalMessage, Target};
use tollgate::team::{fallback_tag, ArtifactKind};

use tollgate_testsupport::signed::{
    approve_staging_args, at, rt, t0, SignedWorkspace, SignedWorkspaceBuilder,
};
use tollgate_testsupport::skopeo::skopeo_raw;
use tollgate_testsupport::team::{approve_staging, not_shared_line, plant, sign_as_stranger, sync};

/// Image A in dev; staging needs one QA approval. Alice is the manager, Quinn is QA.
fn team() -> (SignedWorkspace, String, String, String) {
    team_on(SignedWorkspace::builder(
        "team-share",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
        ],
    ))
}

fn team_on(b: SignedWorkspaceBuilder) -> (SignedWorkspace, String, String, String) {
    let f = b
        .image("dev", "team-share-a")
        .approver("alice", &["manager"])
        .approver("quinn", &["qa"])
        .build();
    let a = f.digests[0].clone();
    let [alice, quinn] = <[String; 2]>::try_from(f.approvers.clone()).unwrap();
    (f, a, alice, quinn)
}

fn staging_check(ws: &Workspace, hours: i64, digest: &str) -> api::PromotionCheck {
    api::check(
        ws,
        t0() + chrono::Duration::hours(hours),
        "api",
        "staging",
        digest,
    )
    .unwrap()
}

/// The artifact digests the fallback index of `digest` lists, as skopeo reads it.
fn listed(f: &SignedWorkspace, digest: &str) -> Vec<String> {
    let tag = fallback_tag(&Digest::parse(digest).unwrap());
    let raw = skopeo_raw(&f.reg, &format!("payments/api:{tag}"));
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(v["mediaType"], "application/vnd.oci.image.index.v1+json");
    v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_approval_signed_on_one_desktop_counts_on_another_after_sync() {
    let (f, a, alice, quinn) = team();
    let desktop_a = &f.ws;
    let (_b_dir, desktop_b) = f.desktop();
    sync(desktop_a, &at(0));
    sync(&desktop_b, &at(1));

    // QA approves on desktop B: the approval is published, attached to image A.
    let receipt = approve_staging(&desktop_b, &at(1), &quinn, &a);
    let share = receipt.team.clone().expect("sharing is on by default");
    assert!(share.shared, "{share:?}");
    assert_eq!(share.repository, "local/payments/api");
    assert_eq!(listed(&f, &a), vec![share.artifact.clone()]);

    // Desktop A has not heard of it yet: "missing qa".
    assert!(!staging_check(desktop_a, 2, &a).evaluation.passed);

    // A's sync imports it, once, keeping the exact signed bytes and signature.
    let report = sync(desktop_a, &at(2));
    assert_eq!(report.team.imported, 1, "{:?}", report.team);
    assert_eq!(report.team.untrusted, 0);
    let check = staging_check(desktop_a, 2, &a);
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    assert_eq!(check.evaluation.approvers, vec![quinn.clone()]);
    let again = sync(desktop_a, &at(3));
    assert_eq!(again.team.imported, 0, "{:?}", again.team);
    let store = tollgate::store::Store::open(&desktop_a.db_path).unwrap();
    let imported: Vec<_> = store
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.data.get("imported").is_some())
        .collect();
    assert_eq!(imported.len(), 1);
    assert_eq!(
        imported[0].data_str("message"),
        Some(receipt.message.as_str())
    );
    assert_eq!(
        imported[0].data_str("signature"),
        Some(receipt.signature.as_str())
    );
    assert_eq!(imported[0].data["imported"]["artifact"], share.artifact);
    drop(store);

    // The manager promotes on desktop A with QA's approval from desktop B.
    let outcome = rt()
        .block_on(api::promote(
            desktop_a,
            &at(4),
            api::PromoteRequest {
                app: "api".into(),
                to: "staging".into(),
                digest: a.clone(),
                actor: alice.clone(),
            },
            &|_| {},
        ))
        .unwrap();
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));
    drop(outcome);

    // B's version 2 approval signed B's chain head: on A it anchors nothing, and verify passes.
    let v = api::verify(desktop_a).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert!(v.approvals >= 1);
    // So do the report check and the shell recipe of docs/src/audit/format.md on an export of A.
    let path = f.tmp.path().join("team.json");
    api::export(
        desktop_a,
        &tollgate_testsupport::signed::ctx_at(t0() + chrono::Duration::hours(5)),
        api::ExportRequest::everything(api::ExportFormat::Json, &path),
    )
    .unwrap();
    let check = api::verify_report(&path, None, true).unwrap();
    assert!(check.ok(), "{:?}", check.problems);
    let (code, out) = crate::export::recipe(&path);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn an_approval_signed_by_a_key_not_listed_is_skipped_and_named() {
    let (f, a, _alice, quinn) = team();
    sync(&f.ws, &at(0));
    // Someone signs "quinn approves A" with a key of their own and plants it in the registry.
    let target = Target {
        app: "api".into(),
        digest: Digest::parse(&a).unwrap(),
        from: "dev".into(),
        to: "staging".into(),
    };
    let message =
        ApprovalMessage::new(&target, &quinn, "qa", t0(), None, &Anchor::genesis()).to_bytes();
    let signature = sign_as_stranger(&message);
    let planted = plant(&f, ArtifactKind::Approval, &a, message, signature);
    let report = sync(&f.ws, &at(1));
    assert_eq!(report.team.imported, 0);
    assert_eq!(report.team.untrusted, 1, "{:?}", report.team);
    let line = report
        .team
        .skipped
        .iter()
        .find(|l| l.contains(planted.as_str()))
        .expect("the planted artifact is named");
    assert!(line.contains("not the key listed for"), "{line}");
    assert!(!staging_check(&f.ws, 1, &a).evaluation.passed);
    // The CLI names it too (forget the index read, so that it is read again).
    let digest = Digest::parse(&a).unwrap();
    tollgate::store::Store::open(&f.ws.db_path)
        .unwrap()
        .set_team_index_digest("local/payments/api", &digest, None)
        .unwrap();
    let out = f.tmp.run(&["sync"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("team: 0 approvals imported, 1 untrusted"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(&format!(
            "warning: untrusted approval {} in local/payments/api: signed by key",
            planted
        )),
        "{}",
        out.stderr
    );
}

#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "the approvals were appended at the system time"
)]
fn a_denied_push_keeps_the_approval_local_and_the_next_sync_after_granting_shares_it() {
    let (f, a, _alice, quinn) = team_on(
        SignedWorkspace::builder(
            "team-share-denied",
            &[
                r#"{ name = "dev", tag = "dev" }"#,
                r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
            ],
        )
        .token_auth(),
    );
    sync(&f.ws, &at(0));
    // A read-only user: the token service grants pull only. `tollgate approve` keeps the
    // approval, says why in one line, and exits 0.
    f.reg.set_push_denied(true);
    let out = f.tmp.run(&approve_staging_args(&a, &quinn));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = not_shared_line(&out);
    assert!(line.contains(&f.reg.host()), "{line}");
    assert!(line.contains("push rights on payments/api"), "{line}");
    let tag = fallback_tag(&Digest::parse(&a).unwrap());
    assert_eq!(f.tag(&format!("payments/api:{tag}")), None);
    let unshared = tollgate::store::Store::open(&f.ws.db_path)
        .unwrap()
        .unshared_team_artifacts()
        .unwrap();
    assert_eq!(unshared.len(), 1);
    let artifact = unshared[0].digest.to_string();
    // It counts on this desktop.
    let now = chrono::Utc::now();
    let check = api::check(&f.ws, now, "api", "staging", &a).unwrap();
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    // Still denied: the sync says so and keeps it unshared.
    let denied = sync(&f.ws, &Context::system());
    assert_eq!(denied.team.unshared_retried, 0);
    assert_eq!(denied.team.still_unshared, 1);
    assert!(denied.team.skipped.contains(&line), "{:?}", denied.team);
    // Push granted: the next sync publishes it, and the registry lists it.
    f.reg.set_push_denied(false);
    let granted = sync(&f.ws, &Context::system());
    assert_eq!(granted.team.unshared_retried, 1, "{:?}", granted.team);
    assert_eq!(granted.team.still_unshared, 0);
    assert_eq!(granted.team.imported, 0, "its own approval is not imported");
    assert_eq!(listed(&f, &a), vec![artifact]);
}

#[test]
fn an_imported_approval_is_as_old_as_its_signature_for_approval_max_age() {
    let (f, a, _alice, quinn) = team_on(SignedWorkspace::builder(
        "team-share-age",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"], approval_max_age = "2h" } }"#,
        ],
    ));
    let (_b_dir, desktop_b) = f.desktop();
    sync(&f.ws, &at(0));
    sync(&desktop_b, &at(0));
    approve_staging(&desktop_b, &at(1), &quinn, &a);
    // Imported five hours after it was signed: appended now, but four hours old.
    let report = sync(&f.ws, &at(5));
    assert_eq!(report.team.imported, 1, "{:?}", report.team);
    let check = staging_check(&f.ws, 5, &a);
    assert!(!check.evaluation.passed, "{:?}", check.evaluation);
    assert!(
        check.evaluation.ignored[0]
            .reason
            .contains("older than approval_max_age"),
        "{:?}",
        check.evaluation.ignored
    );
    // On the desktop that signed it, the same answer.
    assert!(!staging_check(&desktop_b, 5, &a).evaluation.passed);
}

#[test]
fn an_approval_the_index_lost_is_listed_again_by_the_next_sync() {
    let (f, a, _alice, quinn) = team();
    sync(&f.ws, &at(0));
    let receipt = approve_staging(&f.ws, &at(1), &quinn, &a);
    let artifact = receipt.team.unwrap().artifact;
    assert_eq!(listed(&f, &a), vec![artifact.clone()]);
    // Another writer's read-merge-write replaced the index with one that lacks it.
    let tag = fallback_tag(&Digest::parse(&a).unwrap());
    let empty = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    rt().block_on(f.reg.client().push_manifest(
        "payments/api",
        &tag,
        empty,
        tollgate::registry::OCI_INDEX,
    ))
    .unwrap();
    assert!(listed(&f, &a).is_empty());
    let report = sync(&f.ws, &at(2));
    assert!(
        report
            .team
            .skipped
            .iter()
            .any(|l| l.contains("no longer list 1 event(s)")),
        "{:?}",
        report.team
    );
    assert_eq!(listed(&f, &a), vec![artifact]);
}
