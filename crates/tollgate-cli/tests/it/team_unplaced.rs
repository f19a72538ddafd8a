//! A fork in the real team flow, with sharing on: desktop A promotes S→X into staging, desktop B
//! promotes S→W from the tag as it read it (the tag was put back to S before B's promotion: B
//! read it before A's PUT landed, as two desktops promoting at the same moment do), and B does
//! not pull A's promotion first. When A syncs, B's promotion fits nowhere in A's lane (A's
//! history has X there, the tag shows W): it is kept, once, as an `unplaced` event, which moves
//! no timeline, and the fork between A's local promotion and B's is detected: in
//! `status --json`, in `verify` (exit 1) and in the exports.

use tollgate::api::{self, Context};
use tollgate::config::Workspace;
use tollgate::domain::{Event, EventKind};
use tollgate::store::Store;

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::signed::{at, rt, SignedWorkspace};
use tollgate_testsupport::skopeo::{push, skopeo_digest, skopeo_retag};
use tollgate_testsupport::team::sync;

fn promote(ws: &Workspace, ctx: &Context, digest: &str, who: &str) -> api::PromotionOutcome {
    rt().block_on(api::promote(
        ws,
        ctx,
        api::PromoteRequest {
            app: "api".into(),
            to: "staging".into(),
            digest: digest.into(),
            actor: who.into(),
        },
        &|_| {},
    ))
    .unwrap()
}

fn unplaced(ws: &Workspace) -> Vec<Event> {
    Store::open(&ws.db_path)
        .unwrap()
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::Unplaced)
        .collect()
}

#[test]
fn two_desktops_promote_from_one_previous_digest_and_the_fork_is_detected_after_sync() {
    let name = "unplaced-fork";
    let f = SignedWorkspace::builder(
        name,
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging" }"#,
        ],
    )
    .image("dev", &format!("{name}-x"))
    .image("staging", &format!("{name}-s"))
    .approver("alice", &["manager"])
    .approver("bob", &["manager"])
    .build();
    let (x, s) = (f.digests[0].clone(), f.digests[1].clone());
    let [alice, bob] = <[String; 2]>::try_from(f.approvers.clone()).unwrap();
    let (_b_dir, desktop_b) = f.desktop();
    sync(&f.ws, &at(0));
    sync(&desktop_b, &at(0));

    // Desktop A: staging S → X, shared.
    let a_move = promote(&f.ws, &at(1), &x, &alice);
    assert!(
        a_move.shared.as_ref().is_some_and(|s| s.shared),
        "{:?}",
        a_move.shared
    );
    assert_eq!(
        a_move.event.as_ref().unwrap().data_str("previous"),
        Some(s.as_str())
    );
    // B read the tag before A's PUT landed: as far as B's registry reads go, staging is S.
    skopeo_retag(&f.reg, &format!("payments/api@{s}"), "payments/api:staging");
    // Image W goes to dev, recorded (and shared) on desktop B.
    push(
        &make_image(&format!("{name}-w")),
        &f.reg,
        "payments/api:dev",
    );
    let w = skopeo_digest(&f.reg, "payments/api:dev");
    rt().block_on(api::record(
        &desktop_b,
        &at(2),
        api::RecordRequest {
            app: "api".into(),
            env: "dev".into(),
            image: format!("local/payments/api@{w}"),
            actor: bob.clone(),
            at: None,
        },
    ))
    .unwrap();
    // Desktop B syncs (dev is W, staging S: A's promotion, attached to X, is not asked about)
    // and promotes S → W, shared.
    let b_sync = sync(&desktop_b, &at(2));
    assert_eq!(b_sync.team.imported_events, 0, "{:?}", b_sync.team);
    let b_move = promote(&desktop_b, &at(3), &w, &bob);
    assert!(
        b_move.shared.as_ref().is_some_and(|s| s.shared),
        "{:?}",
        b_move.shared
    );
    assert_eq!(
        b_move.event.as_ref().unwrap().data_str("previous"),
        Some(s.as_str())
    );

    // Desktop A syncs: B's promotion does not fit A's lane (A has X there): kept unplaced.
    // (B's record of W into dev continues A's dev lane: imported as usual.)
    let report = sync(&f.ws, &at(4));
    assert_eq!(report.team.imported_events, 1, "{:?}", report.team);
    assert_eq!(report.team.unplaced, 1, "{:?}", report.team);
    assert!(
        report
            .team
            .skipped
            .iter()
            .any(|l| l.contains("kept as unplaced event")),
        "{:?}",
        report.team.skipped
    );
    let kept = unplaced(&f.ws);
    assert_eq!(kept.len(), 1);
    let u = &kept[0];
    assert_eq!(u.actor.as_deref(), Some(bob.as_str()));
    assert_eq!(u.digest.as_ref().map(|d| d.to_string()), Some(w.clone()));
    assert_eq!(u.env, "staging");
    assert_eq!(u.data_str("moved"), Some("promotion"));
    assert_eq!(u.data_str("previous"), Some(s.as_str()));
    assert_eq!(
        u.data_str("message"),
        b_move.event.as_ref().unwrap().data_str("message")
    );
    assert_eq!(
        u.data_str("signature"),
        b_move.event.as_ref().unwrap().data_str("signature")
    );
    assert!(u
        .data_str("why")
        .is_some_and(|w| w.contains("this history has")));
    let share = b_move.shared.clone().unwrap();
    assert_eq!(u.data["imported"]["artifact"], share.artifact);
    // Nothing was placed: the tag's move to W is A's drift, not B's promotion.
    let row = f.tmp.status_row("staging");
    assert_eq!(row["digest"], w, "{row}");
    assert_eq!(row["via"], "drift", "{row}");
    // The fork names both actors: A's local promotion and B's unplaced one.
    let conflicts = row["conflicts"].as_array().expect("conflicts").clone();
    assert_eq!(conflicts.len(), 1, "one fork, nothing else: {row}");
    let c = &conflicts[0];
    assert_eq!(c["kind"], "fork", "{c}");
    let events = c["events"].as_array().unwrap();
    let named: Vec<(&str, &str, bool)> = events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
                e["imported"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            ("promotion", alice.as_str(), false),
            ("unplaced", bob.as_str(), true)
        ],
        "{c}"
    );
    assert_eq!(events[0]["seq"], a_move.event.as_ref().unwrap().seq, "{c}");
    assert_eq!(events[1]["seq"], u.seq, "{c}");
    let description = c["description"].as_str().unwrap();
    assert!(description.contains(&s[7..19]), "{description}");
    assert!(
        description.contains(&alice) && description.contains(&bob),
        "{description}"
    );

    // verify: the unplaced event's signature is checked like an imported move's; the fork
    // makes it exit 1.
    let v = api::verify(&f.ws).unwrap();
    assert!(v.chain.broken.is_none(), "{:?}", v.chain);
    assert_eq!(v.conflicts.len(), 1, "{:?}", v.conflicts);
    assert_eq!(v.problems.len(), 1, "only the conflict: {:?}", v.problems);
    assert!(
        v.problems[0].reason.starts_with("conflict: "),
        "{:?}",
        v.problems
    );
    assert!(v.signed_events >= 2, "{v:?}");
    let out = f.tmp.run(&["verify"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("conflict"), "{said}");
    assert!(said.contains(&bob), "{said}");

    // A second sync appends nothing more: the same artifact is kept once.
    let again = sync(&f.ws, &at(5));
    assert_eq!(again.team.unplaced, 0, "{:?}", again.team);
    assert_eq!(again.team.imported_events, 0, "{:?}", again.team);
    assert!(
        again
            .team
            .skipped
            .iter()
            .any(|l| l.contains("kept as an unplaced event already")),
        "{:?}",
        again.team.skipped
    );
    assert_eq!(unplaced(&f.ws).len(), 1);
    let row = f.tmp.status_row("staging");
    assert_eq!(row["conflicts"].as_array().unwrap().len(), 1, "{row}");

    // The exports list it: the JSON report holds the event, and checks it; the CSV has a row.
    let report = f.tmp.path().join("report.json");
    let out = f.tmp.run(&[
        "export",
        "--format",
        "json",
        "--out",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert!(json["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "unplaced" && e["seq"] == u.seq));
    let checked = api::verify_report(&report, Some(&f.ws), true).unwrap();
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    let csv = f.tmp.path().join("report.csv");
    let out = f
        .tmp
        .run(&["export", "--format", "csv", "--out", csv.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains(",unplaced,") && l.contains(&w)),
        "{csv}"
    );
}
