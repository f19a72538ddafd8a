//! Saying no as a team: a rejection signed on QA's desktop is published as its own artifact
//! type (`application/vnd.tollgate.rejection.v1+json`) on the real `docker-registry`, and the
//! manager's desktop, which pulls the digest's referrers before promoting, refuses the promotion
//! naming QA and the reason, without a sync in between; the unrejection travels the same way
//! and lifts it. A rejection planted with a key tollgate.toml does not list is ignored and named.

use tollgate::api::{self, Context, RejectRequest, RejectionReceipt};
use tollgate::config::Workspace;
use tollgate::domain::{Digest, EventKind};
use tollgate::signing::{Anchor, Rejecting, RejectionMessage, Verdict};
use tollgate::team::{fallback_tag, ArtifactKind};

use tollgate_testsupport::signed::{at, rt, SignedWorkspace};
use tollgate_testsupport::skopeo::skopeo_raw;
use tollgate_testsupport::team::{
    approve_staging, plant, promote_staging, qa_team, sign_as_stranger, sync,
};

fn say(
    ws: &Workspace,
    ctx: &Context,
    verdict: Verdict,
    who: &str,
    digest: &str,
    reason: &str,
) -> RejectionReceipt {
    let req = RejectRequest {
        app: "api".into(),
        digest: digest.into(),
        confirm: digest[7..19].into(),
        reason: reason.into(),
        env: Some("staging".into()),
        approver: Some(who.into()),
    };
    rt().block_on(async {
        match verdict {
            Verdict::Reject => api::reject(ws, ctx, req).await,
            Verdict::Unreject => api::unreject(ws, ctx, req).await,
        }
    })
    .unwrap()
}

/// The artifact types the fallback index of `digest` lists, as skopeo reads it.
fn listed_types(f: &SignedWorkspace, digest: &str) -> Vec<String> {
    let tag = fallback_tag(&Digest::parse(digest).unwrap());
    let raw = skopeo_raw(&f.reg, &format!("payments/api:{tag}"));
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["artifactType"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_rejection_from_qas_desktop_stops_the_managers_promotion_until_it_is_lifted() {
    let (f, a, alice, quinn) = qa_team("team-reject");
    let (_qa_dir, qa) = f.desktop();
    sync(&f.ws, &at(0));
    sync(&qa, &at(0));
    // QA approved earlier, then found a crash and says no, on their own laptop.
    approve_staging(&qa, &at(1), &quinn, &a);
    let receipt = say(
        &qa,
        &at(2),
        Verdict::Reject,
        &quinn,
        &a,
        "crashes on start (INC-9)",
    );
    let team = receipt.team.clone().expect("sharing is on by default");
    assert!(team.shared, "{team:?}");
    let types = listed_types(&f, &a);
    assert!(
        types.contains(&"application/vnd.tollgate.rejection.v1+json".to_string()),
        "{types:?}"
    );

    // The manager promotes without syncing: the pull before promoting brings QA's "no".
    let e = promote_staging(&f.ws, &at(3), &a, &alice).unwrap_err();
    assert!(!e.message.contains('\n'), "one line: {}", e.message);
    assert!(
        e.message.contains("crashes on start (INC-9)") && e.message.contains(&quinn),
        "{}",
        e.message
    );
    assert_eq!(f.tag("payments/api:staging"), None, "nothing moved");
    let store = tollgate::store::Store::open(&f.ws.db_path).unwrap();
    let imported: Vec<_> = store
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::Rejection)
        .collect();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].actor.as_deref(), Some(quinn.as_str()));
    assert_eq!(imported[0].data["imported"]["artifact"], team.artifact);
    assert_eq!(
        imported[0].data_str("message"),
        Some(receipt.message.as_str())
    );
    drop(store);
    let listed = api::rejections(&f.ws, "api", Some(&a)).unwrap();
    assert!(listed.iter().any(|r| r.active && r.verified), "{listed:?}");

    // QA lifts it on their laptop; the manager's next promotion goes through.
    let lifted = say(
        &qa,
        &at(4),
        Verdict::Unreject,
        &quinn,
        &a,
        "fixed in config, not the image",
    );
    assert!(lifted.team.as_ref().is_some_and(|t| t.shared));
    promote_staging(&f.ws, &at(5), &a, &alice).unwrap();
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));
    let v = api::verify(&f.ws).unwrap();
    assert!(v.ok(), "{:?}", v.problems);

    // QA's next sync: nothing new to import of its own, the manager's promotion explains staging.
    let report = sync(&qa, &at(6));
    assert_eq!(report.team.imported_rejections, 0, "{:?}", report.team);
    assert_eq!(report.drifted().count(), 0, "{:?}", report.tags);
}

#[test]
fn a_rejection_signed_by_a_key_tollgate_toml_does_not_list_is_ignored_and_named() {
    let (f, a, alice, quinn) = qa_team("team-reject-forged");
    sync(&f.ws, &at(0));
    approve_staging(&f.ws, &at(1), &quinn, &a);
    // Someone with push rights plants a rejection "by quinn", signed with a key of their own.
    let digest = Digest::parse(&a).unwrap();
    let message = RejectionMessage::new(
        &Rejecting {
            verdict: Verdict::Reject,
            app: "api",
            digest: &digest,
            env: Some("staging"),
            reason: "forged no",
            signer: &quinn,
            role: "qa",
        },
        at(1).clock.now(),
        &Anchor::genesis(),
    );
    let bytes = message.to_bytes();
    let signature = sign_as_stranger(&bytes);
    let planted = plant(&f, ArtifactKind::Rejection, &a, bytes, signature).to_string();

    let report = sync(&f.ws, &at(2));
    assert_eq!(report.team.imported_rejections, 0, "{:?}", report.team);
    assert_eq!(report.team.untrusted, 1, "{:?}", report.team);
    assert!(
        report
            .team
            .skipped
            .iter()
            .any(|s| s.starts_with("untrusted rejection ") && s.contains(&planted)),
        "{:?}",
        report.team.skipped
    );
    // It does not count: the promotion goes through.
    promote_staging(&f.ws, &at(3), &a, &alice).unwrap();
}
