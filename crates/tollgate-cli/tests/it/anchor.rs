//! The anchored chain (issue 9, section 6), against the real SQLite file (edited with the real
//! `sqlite3` as an attacker with the file would), the real keychain and registry, and the real
//! `ssh-keygen`: approvals sign the chain head they saw, promotions state theirs, promotions are
//! checked against the approvals they consumed from the chained events, a previous key counts
//! only for what the history appended by its `until`, and `verify FILE --config` checks a
//! report against the workspace's keys.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use tollgate::api;
use tollgate::domain::{canonical_json, Digest, EventKind, NewEvent};
use tollgate::keychain::OsKeychain;
use tollgate::report::ExportFormat;
use tollgate::signing::{self, Anchor, ApprovalMessage, Target};
use tollgate::store::{chain, EventFilter, Store};

use tollgate_testsupport::signed::{at, t0, SignedWorkspace};

/// dev → staging (one QA approval) → production (one QA approval); images A (in dev) and B.
fn fixture(name: &str) -> (SignedWorkspace, String, String, String) {
    let f = SignedWorkspace::builder(
        name,
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
            r#"{ name = "production", tag = "production", policy = { approvals = 1, roles = ["qa"] } }"#,
        ],
    )
    .image("dev", &format!("{name}-a"))
    .image("next", &format!("{name}-b"))
    .approver("quinn-anchor", &["qa"])
    .build();
    let [a, b] = <[String; 2]>::try_from(f.digests.clone()).unwrap();
    let quinn = f.approvers[0].clone();
    (f, a, b, quinn)
}

fn events(f: &SignedWorkspace) -> Vec<tollgate::domain::Event> {
    Store::open(&f.ws.db_path)
        .unwrap()
        .events(&EventFilter::default())
        .unwrap()
}

/// What an attacker with the file does after deleting or editing rows: recompute every
/// `prev_hash` and `hash` from `from_seq` on, put the append-only triggers back and rebuild the
/// derived tables, so that the chain itself is intact again.
fn rechain(f: &SignedWorkspace, from_seq: i64) {
    let mut prev = chain::GENESIS.to_string();
    let mut sql = String::from("BEGIN;");
    for mut e in events(f) {
        if e.seq >= from_seq {
            e.prev_hash = prev.clone();
            e.hash = chain::recompute(&e);
            sql.push_str(&format!(
                "UPDATE events SET prev_hash = '{}', hash = '{}' WHERE seq = {};",
                e.prev_hash, e.hash, e.seq
            ));
        }
        prev = e.hash;
    }
    sql.push_str("COMMIT;");
    f.tmp.sqlite(&sql);
    f.tmp.sqlite(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only: a history row cannot be changed'); END;
         CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only: a history row cannot be deleted'); END;",
    );
    Store::open(&f.ws.db_path)
        .unwrap()
        .rebuild_timeline()
        .unwrap();
}

fn problems(report: &api::VerifyReport) -> Vec<String> {
    report.problems.iter().map(|p| p.message.clone()).collect()
}

fn ssh_keygen_accepts(dir: &Path, id: &str, message: &str, signature: &str, signers: &str) -> bool {
    std::fs::write(dir.join("allowed_signers"), signers).unwrap();
    std::fs::write(dir.join("msg"), message).unwrap();
    std::fs::write(dir.join("msg.sig"), signature).unwrap();
    Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f", "allowed_signers", "-I", id])
        .args(["-n", "tollgate-approval", "-s", "msg.sig"])
        .current_dir(dir)
        .stdin(std::fs::File::open(dir.join("msg")).unwrap())
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn removing_a_promotion_below_a_later_approval_is_detected_even_with_the_chain_rehashed() {
    let (f, a, _, quinn) = fixture("anchor-cut");
    f.sync(&at(0));
    f.approve(&at(1), &quinn, "staging", &a, None).unwrap();
    let promoted = f.promote(&at(2), "staging", &a, "release-bot").unwrap();
    let later = f.approve(&at(3), &quinn, "production", &a, None).unwrap();

    // The later approval is a version 2 message signed on the head after the promotion, and
    // stock ssh-keygen accepts it.
    let m: Value = serde_json::from_str(&later.message).unwrap();
    assert_eq!(m["v"], 2);
    assert_eq!(m["head_seq"], later.event.seq - 1);
    assert_eq!(m["head"], later.event.prev_hash.as_str());
    let dir = tempfile::tempdir().unwrap();
    assert!(ssh_keygen_accepts(
        dir.path(),
        &quinn,
        &later.message,
        &later.signature,
        &signing::allowed_signers(&f.ws.config.approvers),
    ));
    // The promotion states the head it was appended after.
    assert_eq!(
        promoted.event.as_ref().unwrap().data["head_seq"],
        promoted.event.as_ref().unwrap().seq - 1
    );
    assert_eq!(
        promoted.event.as_ref().unwrap().data["head"],
        promoted.event.as_ref().unwrap().prev_hash.as_str()
    );
    assert!(api::verify(&f.ws).unwrap().ok());

    // Truncate the history at the promotion but keep the later approval (a valid signature):
    // delete the rows, move the approval down, recompute the chain, triggers and tables back.
    let (p, l) = (promoted.event.as_ref().unwrap().seq, later.event.seq);
    f.tmp.drop_append_only_triggers();
    f.tmp.sqlite(&format!(
        "DELETE FROM events WHERE seq >= {p} AND seq < {l}; UPDATE events SET seq = {p} WHERE seq = {l}; DELETE FROM promotion_approvals; DELETE FROM promotions;"
    ));
    rechain(&f, p);
    let report = api::verify(&f.ws).unwrap();
    assert!(report.chain.broken.is_none(), "the chain itself is intact");
    assert!(!report.ok());
    let lines = problems(&report);
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("event {p}: "))
            && l.contains("the chain head this approval signed")
            && l.contains("were removed")),
        "{lines:?}"
    );
    let run = f.tmp.run(&["verify"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("were removed"), "{}", run.stderr);
}

#[test]
fn a_cut_tail_is_caught_only_while_the_journal_remembers_it_and_verify_says_how_far_signatures_vouch(
) {
    let (f, a, _, quinn) = fixture("anchor-tail");
    f.sync(&at(0));
    let approval = f.approve(&at(1), &quinn, "staging", &a, None).unwrap();
    let promoted = f.promote(&at(2), "staging", &a, "release-bot").unwrap();
    f.sync(&at(3));
    let run = f.tmp.run(&["verify"]);
    run.ok();
    let anchored = approval.event.seq - 1;
    assert!(
        run.stdout.contains(&format!(
            "anchored up to event {anchored} by a signed approval"
        )),
        "{}",
        run.stdout
    );
    // Cut the promotion and what follows. Left alone, the promotion journal (not chained) still
    // says the promotion was recorded: that witness catches it.
    f.tmp.drop_append_only_triggers();
    f.tmp.sqlite(&format!(
        "DELETE FROM events WHERE seq >= {}",
        promoted.event.as_ref().unwrap().seq
    ));
    rechain(&f, promoted.event.as_ref().unwrap().seq);
    let report = api::verify(&f.ws).unwrap();
    let lines = problems(&report);
    assert_eq!(
        lines,
        [format!(
            "the promotion journal says promotion {} was recorded as event {}, which the chain does not have (or not as that promotion): events were removed or rewritten",
            promoted.promotion.id, promoted.event.as_ref().unwrap().seq
        )]
    );
    // Clear the journal as well: nothing surviving vouches for the cut events.
    f.tmp
        .sqlite("DELETE FROM promotion_approvals; DELETE FROM promotions;");
    let report = api::verify(&f.ws).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.anchored_seq, anchored);
}

#[test]
fn promotions_are_checked_against_the_approvals_they_consumed_in_the_chain() {
    let (f, a, b, quinn) = fixture("anchor-moves");
    f.sync(&at(0));
    let a1 = f.approve(&at(1), &quinn, "staging", &a, None).unwrap();
    f.promote(&at(2), "staging", &a, "release-bot").unwrap();
    let a2 = f.approve(&at(3), &quinn, "production", &a, None).unwrap();
    f.record(&at(4), "dev", &b);
    f.approve(&at(5), &quinn, "staging", &b, None).unwrap();
    let p2 = f.promote(&at(6), "staging", &b, "release-bot").unwrap();
    f.approve(&at(7), &quinn, "staging", &a, None).unwrap();
    let r = f.rollback(&at(8), "staging", &a, "release-bot").unwrap();
    assert!(api::verify(&f.ws).unwrap().ok());

    // Edit the chained events and recompute the chain: B's promotion claims A's unused
    // production approval; the rollback claims the approval A's first promotion consumed.
    let (a1, a2, p2, r) = (
        a1.event.seq,
        a2.event.seq,
        p2.event.as_ref().unwrap().seq,
        r.event.as_ref().unwrap().seq,
    );
    f.tmp.drop_append_only_triggers();
    f.tmp.sqlite(&format!(
        "UPDATE events SET data = json_set(data, '$.approvals', json('[{a2}]')) WHERE seq = {p2};
         UPDATE events SET data = json_set(data, '$.approvals', json('[{a1}]')) WHERE seq = {r};"
    ));
    rechain(&f, p2);
    let report = api::verify(&f.ws).unwrap();
    assert!(report.chain.broken.is_none());
    let lines = problems(&report);
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("event {p2}: "))
            && l.contains(&format!("counted approval {a2}, which is signed for api "))
            && l.contains("staging → production, not for this api ")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("event {r}: "))
            && l.contains(&format!("approval {a1} was already consumed"))),
        "{lines:?}"
    );

    // The report check finds the same in an export of the edited history.
    let path = f.tmp.path().join("moves.json");
    api::export(
        &f.ws,
        &tollgate_testsupport::signed::ctx_at(t0() + chrono::Duration::days(1)),
        api::ExportRequest::everything(ExportFormat::Json, &path),
    )
    .unwrap();
    let check = api::verify_report(&path, None, true).unwrap();
    let lines: Vec<String> = check.problems.iter().map(|p| p.message.clone()).collect();
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("event {r}: "))
            && l.contains(&format!("approval {a1} was already consumed"))),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("event {p2}: "))
            && l.contains(&format!("counted approval {a2}"))),
        "{lines:?}"
    );
}

#[test]
fn a_previous_key_cannot_backdate_an_approval_past_its_until() {
    let (f, a, _, quinn) = fixture("anchor-backdate");
    f.sync(&at(0));
    // Quinn's key is retired at t0 + 2 h; the keychain still holds it (leaked, say).
    let kept = f.rotate_key_keeping_old(&quinn, "2026-11-02T11:00:00Z");
    // At t0 + 5 h someone signs with the old key a message dated t0 + 1 h and appends it.
    let mut store = Store::open(&f.ws.db_path).unwrap();
    let (head_seq, head) = store.chain_head().unwrap();
    let target = Target {
        app: "api".into(),
        digest: Digest::parse(&a).unwrap(),
        from: "dev".into(),
        to: "staging".into(),
    };
    let message = ApprovalMessage::new(
        &target,
        &quinn,
        "qa",
        t0() + chrono::Duration::hours(1),
        None,
        &Anchor {
            seq: head_seq,
            hash: head,
        },
    );
    let bytes = message.to_bytes();
    let signature = signing::sign(&quinn, &bytes, &OsKeychain).unwrap();
    let old_key = signing::public_key(&quinn, &OsKeychain).unwrap();
    let appended = store
        .append(vec![NewEvent {
            at: t0() + chrono::Duration::hours(5),
            kind: EventKind::Approval,
            app: "api".into(),
            env: "staging".into(),
            digest: Some(target.digest.clone()),
            actor: Some(quinn.clone()),
            data: serde_json::json!({
                "from": "dev", "to": "staging", "role": "qa", "note": "",
                "message": String::from_utf8(bytes).unwrap(),
                "signature": signature,
                "fingerprint": old_key.fingerprint,
            }),
        }])
        .unwrap()
        .pop()
        .unwrap();
    // A second one, its event dated before `until` too (t0 + 1 h 30), appended after the first.
    let signed = message_at_head(&mut store, &target, &quinn);
    let set_back = store
        .append(vec![approval_event(
            t0() + chrono::Duration::minutes(90),
            &quinn,
            &target,
            &signed,
            &old_key.fingerprint,
        )])
        .unwrap()
        .pop()
        .unwrap()
        .seq;
    drop(store);
    let seq = appended.seq;

    let report = api::verify(&kept).unwrap();
    let lines = problems(&report);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("event {seq}: "))
                && l.contains("is retired")
                && l.contains("appended at 2026-11-02T14:00:00Z")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("event {set_back}: "))
                && l.contains("is retired")
                && l.contains("appended at 2026-11-02T14:00:00Z")),
        "{lines:?}"
    );
    // The gate does not count it.
    let check = api::check(
        &kept,
        t0() + chrono::Duration::hours(6),
        "api",
        "staging",
        &a,
    )
    .unwrap();
    assert!(!check.evaluation.passed);
    assert!(
        check
            .evaluation
            .ignored
            .iter()
            .any(|i| i.id == seq && i.reason.contains("is retired")),
        "{:?}",
        check.evaluation.ignored
    );
    assert!(
        check
            .evaluation
            .ignored
            .iter()
            .any(|i| i.id == set_back && i.reason.contains("appended at 2026-11-02T14:00:00Z")),
        "the gate takes the append time of what precedes it: {:?}",
        check.evaluation.ignored
    );
    // Nor does an export: Tollgate's check and the documented ssh-keygen recipe, which use the
    // append time for -Overify-time.
    let path = f.tmp.path().join("backdated.json");
    api::export(
        &kept,
        &tollgate_testsupport::signed::ctx_at(t0() + chrono::Duration::days(1)),
        api::ExportRequest::everything(ExportFormat::Json, &path),
    )
    .unwrap();
    let check = api::verify_report(&path, None, true).unwrap();
    assert!(
        check
            .problems
            .iter()
            .any(|p| p.seq == Some(seq) && p.reason.contains("is retired")),
        "{:?}",
        check.problems
    );
    assert!(
        check
            .problems
            .iter()
            .any(|p| p.seq == Some(set_back) && p.reason.contains("is retired")),
        "{:?}",
        check.problems
    );
    let (code, out) = crate::export::recipe(&path);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            format!("event {seq}: the approval signature does not verify against allowed_signers"),
            format!(
                "event {set_back}: the approval signature does not verify against allowed_signers"
            ),
        ],
        "{out}"
    );
    f.restore_config();
}

/// A message for `target` by `who`, dated t0 + 1 h, on the store's head, signed in the keychain:
/// `(message, signature)`.
fn message_at_head(store: &mut Store, target: &Target, who: &str) -> (String, String) {
    let (seq, hash) = store.chain_head().unwrap();
    let m = ApprovalMessage::new(
        target,
        who,
        "qa",
        t0() + chrono::Duration::hours(1),
        None,
        &Anchor { seq, hash },
    );
    let bytes = m.to_bytes();
    let signature = signing::sign(who, &bytes, &OsKeychain).unwrap();
    (String::from_utf8(bytes).unwrap(), signature)
}

/// The approval event `approve` would append, at `at`.
fn approval_event(
    at: chrono::DateTime<chrono::Utc>,
    who: &str,
    target: &Target,
    (message, signature): &(String, String),
    fingerprint: &str,
) -> NewEvent {
    NewEvent {
        at,
        kind: EventKind::Approval,
        app: target.app.clone(),
        env: target.to.clone(),
        digest: Some(target.digest.clone()),
        actor: Some(who.into()),
        data: serde_json::json!({
            "from": target.from, "to": target.to, "role": "qa", "note": "",
            "message": message, "signature": signature, "fingerprint": fingerprint,
        }),
    }
}

#[test]
fn version_1_approvals_still_verify_and_count() {
    let (f, a, _, quinn) = fixture("anchor-v1");
    f.sync(&at(0));
    // A version 1 message (no chain head), as Tollgate signed them before, appended at t0 + 1 h.
    let digest = Digest::parse(&a).unwrap();
    let text = format!(
        r#"{{"app":"api","approver":"{quinn}","at":"2026-11-02T10:00:00Z","digest":"{a}","from":"dev","kind":"tollgate.approval","nonce":"00112233445566778899aabbccddeeff","note":"","role":"qa","to":"staging","v":1}}"#
    );
    let m = ApprovalMessage::parse(text.as_bytes()).unwrap();
    assert_eq!((m.v, m.anchor()), (1, None));
    let signature = signing::sign(&quinn, text.as_bytes(), &OsKeychain).unwrap();
    let key = signing::public_key(&quinn, &OsKeychain).unwrap();
    let mut store = Store::open(&f.ws.db_path).unwrap();
    store
        .append(vec![NewEvent {
            at: t0() + chrono::Duration::hours(1),
            kind: EventKind::Approval,
            app: "api".into(),
            env: "staging".into(),
            digest: Some(digest),
            actor: Some(quinn.clone()),
            data: serde_json::json!({
                "from": "dev", "to": "staging", "role": "qa", "note": "",
                "message": text, "signature": signature, "fingerprint": key.fingerprint,
            }),
        }])
        .unwrap();
    drop(store);
    let report = api::verify(&f.ws).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.approvals, 1);
    let promoted = f.promote(&at(2), "staging", &a, "release-bot").unwrap();
    assert_eq!(promoted.check.evaluation.counted.len(), 1);
    assert!(api::verify(&f.ws).unwrap().ok());
    let path = f.tmp.path().join("v1.json");
    api::export(
        &f.ws,
        &tollgate_testsupport::signed::ctx_at(t0() + chrono::Duration::days(1)),
        api::ExportRequest::everything(ExportFormat::Json, &path),
    )
    .unwrap();
    assert!(api::verify_report(&path, None, true).unwrap().ok());
    assert_eq!(crate::export::recipe(&path).0, 0);
}

/// Re-sign every approval of a report with `key` (an ssh-keygen key file), put that key in its
/// allowed_signers and recompute every hash: a report forged whole.
fn forge(report: &mut Value, key: &Path, principal: &str) {
    let dir = key.parent().unwrap();
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let mut prev = chain::GENESIS.to_string();
    let mut hashes: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    for e in report["events"].as_array_mut().unwrap() {
        // The heads it vouches for, as the forged chain has them (a promotion's is unsigned).
        if let Some(n) = e["data"]["head_seq"].as_i64().filter(|n| *n > 0) {
            e["data"]["head"] = Value::from(hashes[&n].clone());
        }
        if e["kind"] == "approval" {
            let mut m =
                ApprovalMessage::parse(e["data"]["message"].as_str().unwrap().as_bytes()).unwrap();
            if let Some(n) = m.head_seq.filter(|n| *n > 0) {
                m.head = Some(hashes[&n].clone());
            }
            let text = String::from_utf8(m.to_bytes()).unwrap();
            e["data"]["message"] = Value::from(text.clone());
            let msg = dir.join("forged-msg");
            std::fs::write(&msg, &text).unwrap();
            let _ = std::fs::remove_file(dir.join("forged-msg.sig"));
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-Y", "sign", "-n", "tollgate-approval", "-f"])
                .arg(key)
                .arg(&msg)
                .status()
                .unwrap()
                .success();
            assert!(ok);
            let sig = std::fs::read_to_string(dir.join("forged-msg.sig")).unwrap();
            e["data"]["signature"] = Value::from(sig);
            e["data"]["fingerprint"] = Value::from(signing::fingerprint(public.trim()).unwrap());
        }
        let hashed = canonical_json(&serde_json::json!({
            "seq": e["seq"], "at": e["at"], "kind": e["kind"], "app": e["app"],
            "env": e["env"], "digest": e["digest"], "actor": e["actor"], "data": e["data"],
        }));
        let hash = hex(&format!("{prev}\n{hashed}"));
        e["prev_hash"] = Value::from(prev.clone());
        e["hashed"] = Value::from(hashed);
        e["hash"] = Value::from(hash.clone());
        hashes.insert(e["seq"].as_i64().unwrap(), hash.clone());
        prev = hash;
    }
    report["range"]["end_hash"] = Value::from(prev.clone());
    report["database"]["head_hash"] = Value::from(prev);
    // A seal (when the export had one) no longer covers the forged range: the forger drops it
    // (the checks below run with --allow-unsealed).
    report["seal"] = Value::Null;
    let mut parts = public.split_whitespace();
    let (kind, b64) = (parts.next().unwrap(), parts.next().unwrap());
    report["allowed_signers"] = Value::from(format!(
        "{principal} namespaces=\"tollgate-approval\" {kind} {b64}\n"
    ));
}

fn hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_report_forged_with_its_own_keys_fails_against_the_workspace_keys() {
    let (f, a, _, quinn) = fixture("anchor-forged");
    f.sync(&at(0));
    f.approve(&at(1), &quinn, "staging", &a, None).unwrap();
    f.promote(&at(2), "staging", &a, "release-bot").unwrap();
    let genuine = f.tmp.path().join("genuine.json");
    api::export(
        &f.ws,
        &tollgate_testsupport::signed::ctx_at(t0() + chrono::Duration::days(1)),
        api::ExportRequest::everything(ExportFormat::Json, &genuine),
    )
    .unwrap();
    // The genuine report passes both ways, and says which keys it used.
    let own = f
        .tmp
        .run_bare(&["verify", "genuine.json", "--allow-unsealed"]);
    own.ok();
    assert!(
        own.stdout
            .contains("keys: the report's own allowed_signers: the signatures are checked against keys the file itself carries"),
        "{}",
        own.stdout
    );
    let config = f.tmp.config().display().to_string();
    let with = f.tmp.run(&["verify", "genuine.json", "--allow-unsealed"]);
    with.ok();
    assert!(
        with.stdout
            .contains(&format!("keys: the approvers of {config}")),
        "{}",
        with.stdout
    );

    // Forged whole: every approval re-signed by mallory's key, which its allowed_signers lists.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("mallory");
    assert!(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap()
        .success());
    let mut report: Value =
        serde_json::from_str(&std::fs::read_to_string(&genuine).unwrap()).unwrap();
    forge(&mut report, &key, &quinn);
    let forged = f.tmp.path().join("forged.json");
    std::fs::write(&forged, serde_json::to_string(&report).unwrap()).unwrap();

    // Without --config it is intact as far as its own keys go, and the output says so.
    let own = f
        .tmp
        .run_bare(&["verify", "forged.json", "--allow-unsealed"]);
    assert_eq!(own.code, 0, "{}{}", own.stdout, own.stderr);
    assert!(own.stdout.starts_with("report intact: "), "{}", own.stdout);
    assert!(
        own.stdout
            .contains("a report forged whole with its own keys also passes"),
        "{}",
        own.stdout
    );
    // Against the workspace's keys it fails, with the global flag before or after `verify`.
    for run in [
        f.tmp.run(&["verify", "forged.json", "--allow-unsealed"]),
        f.tmp.run_bare(&[
            "verify",
            "forged.json",
            "--allow-unsealed",
            "--config",
            &config,
        ]),
    ] {
        assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("is not the key listed for"),
            "{}",
            run.stderr
        );
        assert!(
            run.stdout
                .contains(&format!("keys: the approvers of {config}")),
            "{}",
            run.stdout
        );
    }
    let check = api::verify_report(&forged, Some(&f.ws), true).unwrap();
    assert_eq!(check.keys, "workspace");
    assert_eq!(check.signatures_verified, 0);
}
