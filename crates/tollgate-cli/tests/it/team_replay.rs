//! A signed statement counts once, in its own time (issue 17, section 1), against the real
//! `docker-registry`, the real OS keychain and real SQLite files. Someone with push rights and
//! no approver key moves a tag with skopeo and re-lists an old promotion, unrejection or
//! rejection (its exact signed message and signature) in a new artifact manifest: every
//! teammate's sync names it *replayed* and the tag move it was meant to explain is drift; a
//! desktop that never held the original refuses it because it was signed before the stay it
//! would end began. A rejection signed in a role no covered policy names, a message signed an
//! hour ahead and a message version this build does not read are named and count for nothing.
//! A history that already holds a replayed import (before this rule) shows that move as drift.

use tollgate::api::{self, Context, RejectRequest, RejectionReceipt};
use tollgate::config::Workspace;
use tollgate::domain::{Digest, EventKind, NewEvent, Via};
use tollgate::keychain::OsKeychain;
use tollgate::signing::{self, Anchor, ApprovalMessage, Rejecting, RejectionMessage, Verdict};
use tollgate::store::Store;
use tollgate::team::ArtifactKind;

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::signed::{at, rt, SignedWorkspace};
use tollgate_testsupport::skopeo::{push, skopeo_digest, skopeo_retag};
use tollgate_testsupport::team::{
    approve_staging, plant, plant_copy, promote_staging, qa_team, sync,
};
use tollgate_testsupport::workspace::{sqlite3, TempWorkspace};

/// `tollgate sync` then `tollgate status --json` on desktop `dir`: the staging row.
fn staging_after_sync(dir: &TempWorkspace) -> serde_json::Value {
    let out = dir.run(&["sync"]);
    assert!(
        out.code == 0 || out.code == 1,
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    dir.status_row("staging")
}

/// The skipped artifacts `team status` lists on desktop `ws`: `(class, artifact, reason)`.
fn skipped(ws: &Workspace, ctx: &Context) -> Vec<(String, String, String)> {
    api::team_status(ws, ctx)
        .unwrap()
        .untrusted
        .into_iter()
        .map(|u| (u.class, u.artifact, u.reason))
        .collect()
}

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

#[test]
fn a_replayed_promotion_explains_nothing_and_its_tag_move_is_drift() {
    let (f, a, alice, quinn) = qa_team("replay-move");
    let (b_dir, desktop_b) = f.desktop();
    sync(&f.ws, &at(0));
    sync(&desktop_b, &at(0));
    // Staging: A by a signed promotion, then A → B (X → Y), then rolled back B → A.
    approve_staging(&f.ws, &at(1), &quinn, &a);
    promote_staging(&f.ws, &at(1), &a, &alice).unwrap();
    sync(&desktop_b, &at(1));
    push(&make_image("replay-move-b"), &f.reg, "payments/api:dev");
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
    let forward = promote_staging(&f.ws, &at(3), &b, &alice).unwrap();
    let r = sync(&desktop_b, &at(3));
    assert_eq!(r.drifted().count(), 0, "{:?} {:?}", r.tags, r.team);
    approve_staging(&f.ws, &at(4), &quinn, &a);
    rt().block_on(api::rollback(
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
    let report = sync(&desktop_b, &at(6));
    assert_eq!(
        report.drifted().count(),
        0,
        "{:?} {:?}",
        report.tags,
        report.team
    );
    // Dev moves on to C: B is nobody's current digest any more.
    push(&make_image("replay-move-c"), &f.reg, "payments/api:dev");
    // Desktop C joins now: it never held the A → B promotion.
    let (c_dir, desktop_c) = f.desktop();
    sync(&desktop_c, &at(6));
    assert_eq!(c_dir.status_row("staging")["digest"], a.as_str());

    // The attack: staging moved back to B with skopeo, and the old promotion's message and
    // signature re-published in a new artifact manifest under B's fallback tag.
    skopeo_retag(&f.reg, &format!("payments/api@{b}"), "payments/api:staging");
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(b.as_str()));
    let message = forward
        .event
        .as_ref()
        .unwrap()
        .data_str("message")
        .unwrap()
        .as_bytes()
        .to_vec();
    let signature = forward
        .event
        .as_ref()
        .unwrap()
        .data_str("signature")
        .unwrap()
        .to_string();
    let copy = plant_copy(
        &f,
        ArtifactKind::Promotion,
        &b,
        message,
        signature,
        Some("replay"),
    )
    .to_string();
    assert_ne!(
        Some(copy.as_str()),
        forward.shared.as_ref().map(|s| s.artifact.as_str())
    );

    // Desktop B holds the original: the copy is named replayed, and the move is drift.
    let report = sync(&desktop_b, &at(7));
    assert_eq!(report.team.imported_events, 0, "{:?}", report.team);
    assert_eq!(report.team.replayed, 1, "{:?}", report.team);
    let line = report
        .team
        .skipped
        .iter()
        .find(|s| s.starts_with(&format!("replayed promotion {copy}")))
        .unwrap_or_else(|| panic!("{:?}", report.team.skipped));
    assert!(
        line.contains("is already in this history as event"),
        "{line}"
    );
    assert!(
        report.drifted().any(|t| t.env == "staging"),
        "{:?}",
        report.tags
    );
    let row = b_dir.status_row("staging");
    assert_eq!(
        (&row["digest"], &row["drift"]),
        (&b.as_str().into(), &true.into()),
        "{row}"
    );
    let listed = skipped(&desktop_b, &at(7));
    assert!(
        listed
            .iter()
            .any(|(class, artifact, why)| class == "replayed"
                && artifact == &copy
                && why.starts_with("replayed: ")),
        "{listed:?}"
    );
    let st = b_dir.run(&["team", "status"]);
    assert!(
        st.stdout.contains(&copy) && st.stdout.contains("replayed: "),
        "{}",
        st.stdout
    );

    // Desktop C never held it: signed before the stay of A it would end began (the rollback),
    // it fits nowhere; the move is drift there too (the CLI's sync, as a teammate runs it).
    let row = staging_after_sync(&c_dir);
    assert_eq!(
        (&row["digest"], &row["drift"]),
        (&b.as_str().into(), &true.into()),
        "{row}"
    );
    let store = Store::open(&desktop_c.db_path).unwrap();
    let moves: Vec<_> = store
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.kind == EventKind::Promotion
                && e.digest.as_ref().map(Digest::as_str) == Some(b.as_str())
        })
        .collect();
    assert!(moves.is_empty(), "not imported as a promotion: {moves:?}");
}

#[test]
fn a_relisted_old_unrejection_or_rejection_changes_no_verdict() {
    let (f, a, alice, quinn) = qa_team("replay-verdict");
    let (_qa_dir, qa) = f.desktop();
    sync(&f.ws, &at(0));
    sync(&qa, &at(0));
    approve_staging(&qa, &at(1), &quinn, &a);
    say(
        &qa,
        &at(2),
        Verdict::Reject,
        &quinn,
        &a,
        "crashes on start (INC-1)",
    );
    let lifted = say(
        &qa,
        &at(3),
        Verdict::Unreject,
        &quinn,
        &a,
        "fixed in config",
    );
    assert!(
        lifted.message.contains("\"lifts\":") && lifted.message.contains("\"v\":2"),
        "an unrejection names the rejection it lifts: {}",
        lifted.message
    );
    let again = say(
        &qa,
        &at(4),
        Verdict::Reject,
        &quinn,
        &a,
        "crashes again (INC-2)",
    );
    let e = promote_staging(&f.ws, &at(5), &a, &alice).unwrap_err();
    assert!(e.message.contains("INC-2"), "{}", e.message);

    // The old unrejection re-listed under a new artifact lifts nothing.
    let copy = plant_copy(
        &f,
        ArtifactKind::Unrejection,
        &a,
        lifted.message.clone().into_bytes(),
        lifted.signature.clone(),
        Some("replay"),
    )
    .to_string();
    let e = promote_staging(&f.ws, &at(6), &a, &alice).unwrap_err();
    assert!(e.message.contains("INC-2"), "{}", e.message);
    let listed = skipped(&f.ws, &at(6));
    assert!(
        listed
            .iter()
            .any(|(c, art, _)| c == "replayed" && art == &copy),
        "{listed:?}"
    );

    // QA lifts INC-2; the rejection re-listed under a new artifact re-imposes nothing.
    say(
        &qa,
        &at(7),
        Verdict::Unreject,
        &quinn,
        &a,
        "INC-2 was the load balancer",
    );
    let copy = plant_copy(
        &f,
        ArtifactKind::Rejection,
        &a,
        again.message.clone().into_bytes(),
        again.signature.clone(),
        Some("replay"),
    )
    .to_string();
    promote_staging(&f.ws, &at(8), &a, &alice).unwrap();
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));
    let listed = skipped(&f.ws, &at(8));
    assert!(
        listed
            .iter()
            .any(|(c, art, _)| c == "replayed" && art == &copy),
        "{listed:?}"
    );
    let v = api::verify(&f.ws).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
}

#[test]
fn a_rejection_signed_in_a_role_no_covered_policy_names_counts_nowhere() {
    let (f, a, alice, quinn) = qa_team("replay-roles");
    sync(&f.ws, &at(0));
    approve_staging(&f.ws, &at(1), &quinn, &a);
    // Alice is listed, with her own key, but as a manager: staging's policy names only qa.
    let digest = Digest::parse(&a).unwrap();
    let message = RejectionMessage::new(
        &Rejecting {
            verdict: Verdict::Reject,
            app: "api",
            digest: &digest,
            env: Some("staging"),
            reason: "I do not like it",
            signer: &alice,
            role: "manager",
        },
        at(1).clock.now(),
        &Anchor::genesis(),
    );
    let bytes = message.to_bytes();
    let signature = signing::sign(&alice, &bytes, &OsKeychain).unwrap();
    let planted = plant(
        &f,
        ArtifactKind::Rejection,
        &a,
        bytes.clone(),
        signature.clone(),
    );

    // On import: named, not imported.
    let report = sync(&f.ws, &at(2));
    assert_eq!(report.team.imported_rejections, 0, "{:?}", report.team);
    let line = report
        .team
        .skipped
        .iter()
        .find(|s| s.starts_with(&format!("untrusted rejection {planted}")))
        .unwrap_or_else(|| panic!("{:?}", report.team.skipped));
    assert!(
        line.contains("only a role the policies of staging name (qa)"),
        "{line}"
    );

    // A history that imported it before this rule: the `rejected` rule and `verify` refuse it.
    let mut store = Store::open(&f.ws.db_path).unwrap();
    store
        .append(vec![NewEvent {
            at: at(2).clock.now(),
            kind: EventKind::Rejection,
            app: "api".into(),
            env: "staging".into(),
            digest: Some(digest.clone()),
            actor: Some(alice.clone()),
            data: serde_json::json!({
                "env": "staging",
                "reason": "I do not like it",
                "role": "manager",
                "message": String::from_utf8(bytes).unwrap(),
                "signature": signature,
                "fingerprint": "",
                "imported": { "artifact": planted.as_str(), "repository": "local/payments/api" },
            }),
        }])
        .unwrap();
    drop(store);
    let listed = api::rejections(&f.ws, "api", Some(&a)).unwrap();
    assert!(listed.iter().all(|r| !r.active), "{listed:?}");
    assert!(
        listed[0]
            .problem
            .as_deref()
            .unwrap_or_default()
            .contains("(qa)"),
        "{listed:?}"
    );
    let v = api::verify(&f.ws).unwrap();
    assert!(
        v.problems
            .iter()
            .any(|p| p.reason.contains("does not count")
                && p.reason
                    .contains("only a role the policies of staging name (qa)")),
        "{:?}",
        v.problems
    );
    // And `verify FILE --config` of an export holding it.
    let report = f.tmp.path().join("report.json");
    f.tmp
        .run(&[
            "export",
            "--format",
            "json",
            "--out",
            report.to_str().unwrap(),
        ])
        .ok();
    let checked = api::verify_report(&report, Some(&f.ws), true).unwrap();
    assert!(
        checked.problems.iter().any(|p| p
            .reason
            .contains("only a role the policies of staging name (qa)")),
        "{:?}",
        checked.problems
    );
    promote_staging(&f.ws, &at(3), &a, &alice).unwrap();
}

#[test]
fn a_message_signed_ahead_of_time_or_in_a_newer_version_is_named_and_not_imported() {
    let (f, a, alice, quinn) = qa_team("replay-time");
    sync(&f.ws, &at(0));
    // Quinn's approval, dated an hour after the moment it is pulled: refused, and the
    // promotion it would allow is not.
    let target = signing::Target {
        app: "api".into(),
        digest: Digest::parse(&a).unwrap(),
        from: "dev".into(),
        to: "staging".into(),
    };
    let ahead = ApprovalMessage::new(
        &target,
        &quinn,
        "qa",
        at(3).clock.now(),
        None,
        &Anchor::genesis(),
    );
    let bytes = ahead.to_bytes();
    let signature = signing::sign(&quinn, &bytes, &OsKeychain).unwrap();
    let planted = plant(&f, ArtifactKind::Approval, &a, bytes, signature).to_string();
    let e = promote_staging(&f.ws, &at(2), &a, &alice).unwrap_err();
    assert!(e.message.contains("approval"), "{}", e.message);
    let listed = skipped(&f.ws, &at(2));
    let (_, _, why) = listed
        .iter()
        .find(|(c, art, _)| c == "ahead" && art == &planted)
        .unwrap_or_else(|| panic!("{listed:?}"));
    assert!(why.contains("more than 5 minutes after"), "{why}");

    // A promotion message of version 3 (this build reads up to 2: version 2 names a deployment
    // file's commit), signed by a listed key: needs a newer Tollgate.
    let newer = format!(
        r#"{{"app":"api","digest":"{a}","env":"staging","kind":"tollgate.promotion","v":3}}"#
    );
    let signature = signing::sign(&alice, newer.as_bytes(), &OsKeychain).unwrap();
    let planted = plant(
        &f,
        ArtifactKind::Promotion,
        &a,
        newer.into_bytes(),
        signature,
    )
    .to_string();
    let report = sync(&f.ws, &at(4));
    assert_eq!(report.team.needs_newer, 1, "{:?}", report.team);
    assert!(
        report
            .team
            .skipped
            .iter()
            .any(|s| s.starts_with("needs a newer Tollgate: promotion")
                && s.contains(&planted)
                && s.contains("version 3, and this Tollgate reads up to version 2")),
        "{:?}",
        report.team.skipped
    );
    let listed = skipped(&f.ws, &at(4));
    assert!(
        listed.iter().any(|(c, art, why)| c == "newer"
            && art == &planted
            && why.starts_with("needs a newer Tollgate")),
        "{listed:?}"
    );
}

/// A history written before this rule, holding an imported copy of a promotion already in it:
/// the move it "explained" is drift, in the timeline and in status, once the migration that
/// indexes signed messages has run, and `verify` names the replay.
#[test]
fn a_history_that_already_holds_a_replayed_import_shows_its_move_as_drift() {
    let f = SignedWorkspace::builder(
        "replay-history",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging" }"#,
        ],
    )
    .image("dev", "replay-history-a")
    .build();
    let (x, y) = (Digest::of(b"x"), Digest::of(b"y"));
    let event = |hours: i64, kind: EventKind, digest: &Digest, message: &str| NewEvent {
        at: at(hours).clock.now(),
        kind,
        app: "api".into(),
        env: "staging".into(),
        digest: Some(digest.clone()),
        actor: Some("alice@example.com".into()),
        data: if message.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::json!({ "message": message, "signature": "" })
        },
    };
    let forward = r#"{"at":"2026-11-02T10:00:00Z","kind":"tollgate.promotion","nonce":"1"}"#;
    let back = r#"{"at":"2026-11-02T11:00:00Z","kind":"tollgate.rollback","nonce":"2"}"#;
    let mut store = Store::open(&f.ws.db_path).unwrap();
    store
        .append(vec![
            event(0, EventKind::Observation, &x, ""),
            event(1, EventKind::Promotion, &y, forward),
            event(2, EventKind::Rollback, &x, back),
            event(3, EventKind::Promotion, &y, forward), // the replayed import
        ])
        .unwrap();
    drop(store);
    // As a database from before migration 10 would be: no message index, the timeline as the
    // old rules derived it (rebuilt by the migration).
    sqlite3(
        &f.ws.db_path,
        "DROP INDEX promotions_open_git; ALTER TABLE promotions DROP COLUMN git; ALTER TABLE promotions DROP COLUMN file; ALTER TABLE promotions DROP COLUMN image; ALTER TABLE promotions DROP COLUMN branch; ALTER TABLE promotions DROP COLUMN commit_id; ALTER TABLE promotions DROP COLUMN review_branch; ALTER TABLE team_artifacts DROP COLUMN origin; DROP TABLE checkpoints; DROP TABLE team_skipped; DROP TABLE team_problems; DROP TABLE signed_messages; ALTER TABLE team_untrusted DROP COLUMN class; ALTER TABLE promotions DROP COLUMN emergency_reason; PRAGMA user_version = 9;",
    );
    let store = Store::open(&f.ws.db_path).unwrap();
    let head = store.head("api", "staging").unwrap();
    assert!(head.drift, "{head:?}");
    assert_eq!(head.expected.as_ref(), Some(&y));
    let vias: Vec<_> = store
        .timeline("api", Some("staging"))
        .unwrap()
        .into_iter()
        .map(|s| (s.digest, s.via))
        .collect();
    assert_eq!(
        vias,
        vec![
            (x.clone(), Via::Observed),
            (y.clone(), Via::Promotion),
            (x.clone(), Via::Rollback),
            (y.clone(), Via::Drift),
        ]
    );
    assert_eq!(store.replay_of(4).unwrap(), Some(2));
    drop(store);
    let row = f.tmp.status_row("staging");
    assert_eq!(row["drift"], true, "{row}");
    let v = api::verify(&f.ws).unwrap();
    assert!(v.chain.broken.is_none(), "{:?}", v.chain);
    assert!(
        v.problems
            .iter()
            .any(|p| p.seq == Some(4) && p.reason.contains("replays event 2")),
        "{:?}",
        v.problems
    );
}
