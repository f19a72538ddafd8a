//! Signed checkpoints against a real `docker-registry`, the real OS keychain, the SQLite file
//! and stock `ssh-keygen`/`skopeo`/`curl`: a sync publishes this desktop's chain head signed by
//! its listed identity under a tag derived from the chain; `verify --checkpoints` and `verify
//! FILE --config` catch a cut tail or a rewritten past against it; read-only users and
//! machines without a listed key skip with one line; a checkpoint by an unlisted key is named
//! and ignored.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tollgate::team::{checkpoint_tag, TeamRegistry};

use tollgate_testsupport::process::run;
use tollgate_testsupport::signed::{rt, SignedWorkspace, SignedWorkspaceBuilder};
use tollgate_testsupport::skopeo::skopeo_raw;
use tollgate_testsupport::workspace::{Run, TempWorkspace};

/// Image A in dev; Alice is an approver whose key is in the OS keychain.
fn fixture(b: SignedWorkspaceBuilder) -> (SignedWorkspace, String, String) {
    let f = b
        .image("dev", "checkpoint-a")
        .approver("alice", &["manager"])
        .build();
    let a = f.digests[0].clone();
    let alice = f.approvers[0].clone();
    (f, a, alice)
}

fn builder(name: &str) -> SignedWorkspaceBuilder {
    SignedWorkspace::builder(name, &[r#"{ name = "dev", tag = "dev" }"#])
}

/// `tollgate ARGS` on `ws` as a desktop whose keychain identity is `who`.
fn as_id(ws: &TempWorkspace, who: &str, args: &[&str]) -> Run {
    ws.run_env(args, &[("TOLLGATE_APPROVER", who)])
}

/// CI records image `digest` into dev, as `actor`.
fn record(ws: &TempWorkspace, digest: &str, actor: &str) {
    let image = format!("local/payments/api@{digest}");
    ws.run(&[
        "record", "--app", "api", "--env", "dev", "--image", &image, "--actor", actor,
    ])
    .ok();
}

/// The hash of event `seq` of the workspace's database.
fn hash_at(ws: &TempWorkspace, seq: i64) -> String {
    ws.sqlite(&format!("SELECT hash FROM events WHERE seq = {seq}"))
}

/// A blob of payments/api, read over the registry's HTTP API.
fn blob(f: &SignedWorkspace, digest: &str) -> Vec<u8> {
    let out = Command::new("curl")
        .args([
            "-fsS",
            &format!("{}/v2/payments/api/blobs/{digest}", f.reg.url()),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ssh_keygen_verifies(dir: &Path, id: &str, key: &str, namespace: &str) -> bool {
    std::fs::write(
        dir.join("allowed_signers"),
        format!("{id} namespaces=\"{namespace}\" {key}\n"),
    )
    .unwrap();
    Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-f",
            "allowed_signers",
            "-I",
            id,
            "-n",
            namespace,
        ])
        .args(["-s", "msg.sig"])
        .current_dir(dir)
        .stdin(std::fs::File::open(dir.join("msg")).unwrap())
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn a_sync_publishes_a_checkpoint_ssh_keygen_verifies_and_a_repeat_publishes_nothing() {
    let (f, a, alice) = fixture(builder("checkpoint-publish"));
    let out = as_id(&f.tmp, &alice, &["sync"]);
    out.ok();
    let genesis = hash_at(&f.tmp, 1);
    let tag = checkpoint_tag(&genesis, &alice);
    assert!(
        out.stdout.contains(&format!(
            "checkpoint of event 1 ({}…) signed by {alice} published to local/payments/api:{tag}",
            &genesis[..12]
        )),
        "{}",
        out.stdout
    );

    // The registry (skopeo) shows it under the tag: an OCI artifact of the checkpoint type.
    let raw = skopeo_raw(&f.reg, &format!("payments/api:{tag}"));
    let manifest: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        manifest["artifactType"],
        "application/vnd.tollgate.checkpoint.v1+json"
    );
    let message = blob(&f, manifest["layers"][0]["digest"].as_str().unwrap());
    let signature = blob(&f, manifest["layers"][1]["digest"].as_str().unwrap());
    let m: Value = serde_json::from_slice(&message).unwrap();
    assert_eq!(m["kind"], "tollgate.checkpoint");
    assert_eq!(m["v"], 1);
    assert_eq!(
        (m["seq"].as_i64(), m["signer"].as_str()),
        (Some(1), Some(alice.as_str()))
    );
    assert_eq!(m["hash"], genesis.as_str());
    assert_eq!(m["genesis"], genesis.as_str());

    // Stock ssh-keygen accepts it in the checkpoint namespace, and in no other.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("msg"), &message).unwrap();
    std::fs::write(dir.path().join("msg.sig"), &signature).unwrap();
    let key = &f.ws.config.identity(&alice).unwrap().key;
    assert!(ssh_keygen_verifies(
        dir.path(),
        &alice,
        key,
        "tollgate-checkpoint"
    ));
    assert!(!ssh_keygen_verifies(
        dir.path(),
        &alice,
        key,
        "tollgate-approval"
    ));

    // A second sync with nothing but observations publishes nothing new.
    let again = as_id(&f.tmp, &alice, &["sync"]);
    again.ok();
    assert!(
        !again.stdout.contains("checkpoint of event"),
        "{}",
        again.stdout
    );
    assert_eq!(skopeo_raw(&f.reg, &format!("payments/api:{tag}")), raw);

    // An authored event moves it: the next sync replaces the checkpoint under the same tag.
    record(&f.tmp, &a, "ci@example.com");
    let moved = as_id(&f.tmp, &alice, &["sync"]);
    moved.ok();
    let head: i64 = f.tmp.sqlite("SELECT max(seq) FROM events").parse().unwrap();
    assert!(
        moved
            .stdout
            .contains(&format!("checkpoint of event {head} ")),
        "{}",
        moved.stdout
    );
    assert_ne!(skopeo_raw(&f.reg, &format!("payments/api:{tag}")), raw);
    let status = f.tmp.run(&["team", "status"]);
    assert!(
        status.stdout.contains(&format!(
            "checkpoints in local/payments/api (last published: event {head} at "
        )),
        "{}",
        status.stdout
    );
    // And the database agrees with it.
    let verified = as_id(&f.tmp, &alice, &["verify", "--checkpoints"]);
    verified.ok();
    assert!(
        verified
            .stdout
            .contains(&format!("the newest is event {head} (")),
        "{}",
        verified.stdout
    );
    assert!(verified.stdout.contains("this history ends at event"));
    assert!(
        verified.stdout.contains(&format!(
            ": at or after it; this history holds its event {head} with that hash"
        )),
        "{}",
        verified.stdout
    );
}

/// The report at `from` with its last events cut off so that it ends at `last`: range,
/// database head and summary adjusted as someone hiding the tail would.
fn cut_tail(from: &Path, to: &Path, last: i64) {
    let mut r: Value = serde_json::from_slice(&std::fs::read(from).unwrap()).unwrap();
    let events = r["events"].as_array().unwrap().clone();
    let (kept, cut): (Vec<Value>, Vec<Value>) = events
        .into_iter()
        .partition(|e| e["seq"].as_i64().unwrap() <= last);
    let end = kept.last().unwrap()["hash"].clone();
    r["range"]["last_seq"] = last.into();
    r["range"]["end_hash"] = end.clone();
    r["database"]["head_seq"] = last.into();
    r["database"]["head_hash"] = end;
    r["database"]["events"] = last.into();
    r["summary"]["events"] = (kept.len() as i64).into();
    for e in &cut {
        let field = match e["kind"].as_str().unwrap() {
            "record" => "records",
            "observation" => "observations",
            other => panic!("cut an unexpected {other}"),
        };
        for app in r["summary"]["apps"].as_array_mut().unwrap() {
            if app["app"] == e["app"] {
                app[field] = (app[field].as_i64().unwrap() - 1).into();
            }
        }
    }
    r["events"] = Value::Array(kept);
    std::fs::write(to, serde_json::to_vec(&r).unwrap()).unwrap();
}

#[test]
fn a_report_whose_tail_was_cut_is_caught_against_the_registry() {
    let (mut f, a, alice) = fixture(builder("checkpoint-report"));
    as_id(&f.tmp, &alice, &["sync"]).ok();
    let old = f.tmp.path().join("old.json");
    as_id(
        &f.tmp,
        &alice,
        &["export", "--format", "json", "--out", old.to_str().unwrap()],
    )
    .ok();
    record(&f.tmp, &a, "ci@example.com");
    let synced = as_id(&f.tmp, &alice, &["sync"]);
    synced.ok();
    assert!(
        synced.stdout.contains("checkpoint of event 3 "),
        "{}",
        synced.stdout
    );
    let full = f.tmp.path().join("full.json");
    as_id(
        &f.tmp,
        &alice,
        &[
            "export",
            "--format",
            "json",
            "--out",
            full.to_str().unwrap(),
        ],
    )
    .ok();

    // The whole report: at the newest checkpoint.
    let ok = as_id(&f.tmp, &alice, &["verify", full.to_str().unwrap()]);
    assert!(
        ok.stdout.contains(&format!(
            "the newest of {alice} (the exporting identity) is event 3 ({}…) signed by {alice}",
            &hash_at(&f.tmp, 3)[..12]
        )),
        "{}\n{}",
        ok.stdout,
        ok.stderr
    );
    assert!(ok.stdout.contains(
        "the report ends at event 3: at or after it; the report holds its event 3 with that hash"
    ));
    assert!(
        !ok.stderr.contains("checkpoint contradicted"),
        "{}",
        ok.stderr
    );

    // Its tail cut (the record and the last observation): the checkpoint, signed before the
    // report was generated, says event 3 existed.
    let cut = f.tmp.path().join("cut.json");
    cut_tail(&full, &cut, 1);
    let caught = as_id(&f.tmp, &alice, &["verify", cut.to_str().unwrap()]);
    assert_eq!(caught.code, 1, "{}\n{}", caught.stdout, caught.stderr);
    assert!(
        caught.stderr.contains(&format!(
            "error: checkpoint contradicted: the report ends at event 1, but {alice} signed a checkpoint of event 3 at "
        )) && caught.stderr.contains("its tail was cut"),
        "{}",
        caught.stderr
    );
    assert!(caught
        .stdout
        .contains("the report ends at event 1: BEFORE it"));

    // The honest export made before the record: flagged as older than the checkpoint, not
    // contradicted.
    let older = as_id(&f.tmp, &alice, &["verify", old.to_str().unwrap()]);
    assert!(
        older.stderr.contains(&format!(
            "warning: the report ends at event 1, before {alice}'s checkpoint of event 3"
        )) && older
            .stderr
            .contains("the report is older than that checkpoint"),
        "{}",
        older.stderr
    );
    assert!(
        !older.stderr.contains("checkpoint contradicted"),
        "{}",
        older.stderr
    );

    // Without registry access it says it could not check.
    f.reg.stop();
    let offline = as_id(&f.tmp, &alice, &["verify", full.to_str().unwrap()]);
    assert!(
        offline
            .stdout
            .contains("checkpoints: could not check: the team's registry could not be read"),
        "{}\n{}",
        offline.stdout,
        offline.stderr
    );
}

#[test]
fn a_database_copy_whose_history_diverges_is_caught_and_cannot_replace_the_checkpoint() {
    let (f, a, alice) = fixture(builder("checkpoint-fork"));
    as_id(&f.tmp, &alice, &["sync"]).ok();
    // A copy of the database as it is now, in another folder with the same tollgate.toml.
    let (copy, _) = f.desktop();
    f.tmp
        .sqlite(&format!("VACUUM INTO '{}'", copy.db().to_str().unwrap()));
    // The original goes on: a record, and a checkpoint of event 3.
    record(&f.tmp, &a, "ci@example.com");
    as_id(&f.tmp, &alice, &["sync"]).ok();
    let original_3 = hash_at(&f.tmp, 3);

    // The copy's history diverges at event 2 (another record), then reaches event 3 too.
    record(&copy, &a, "deployer@example.com");
    let forked = as_id(&copy, &alice, &["sync"]);
    forked.ok();
    assert_ne!(hash_at(&copy, 3), original_3);
    assert!(
        forked.stderr.contains(
            "warning: checkpoint not published to local/payments/api: the checkpoint already under"
        ) && forked.stderr.contains("it is kept as evidence"),
        "{}",
        forked.stderr
    );
    let genesis = hash_at(&f.tmp, 1);
    let tag = checkpoint_tag(&genesis, &alice);
    let m: Value = serde_json::from_slice(&blob(
        &f,
        serde_json::from_slice::<Value>(&skopeo_raw(&f.reg, &format!("payments/api:{tag}")))
            .unwrap()["layers"][0]["digest"]
            .as_str()
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(m["hash"], original_3.as_str(), "the evidence was kept");

    let caught = as_id(&copy, &alice, &["verify", "--checkpoints"]);
    assert_eq!(caught.code, 1, "{}\n{}", caught.stdout, caught.stderr);
    assert!(
        caught.stderr.contains(&format!(
            "error: checkpoint contradicted: {alice} signed a checkpoint of event 3 of this chain at "
        )) && caught.stderr.contains("its past was rewritten"),
        "{}",
        caught.stderr
    );
    // The original agrees with it.
    as_id(&f.tmp, &alice, &["verify", "--checkpoints"]).ok();
}

#[test]
fn a_read_only_user_and_a_machine_without_a_listed_key_skip_with_one_line() {
    let (f, _, alice) = fixture(builder("checkpoint-readonly").token_auth());
    // No listed identity on this machine: the sync says nothing, team status says why.
    let plain = f
        .tmp
        .run_env(&["sync"], &[("TOLLGATE_APPROVER", "nobody@example.com")]);
    plain.ok();
    assert!(!plain.stdout.contains("checkpoint"), "{}", plain.stdout);
    let status = f.tmp.run(&["team", "status"]).stdout;
    assert!(
        status.contains("checkpoints in local/payments/api (none published yet): checkpoint not published: no identity listed in"),
        "{status}"
    );

    // Alice may only pull.
    f.reg.set_push_denied(true);
    record(&f.tmp, &f.digests[0], "ci@example.com");
    let denied = as_id(&f.tmp, &alice, &["sync"]);
    denied.ok();
    assert!(
        !denied.stdout.contains("checkpoint of event"),
        "{}",
        denied.stdout
    );
    let json: Value = f.tmp.run(&["team", "status", "--json"]).json();
    let line = json["checkpoints"][0]["line"].as_str().unwrap().to_string();
    assert!(
        line.starts_with(&format!(
            "checkpoint not published: registry {} does not let you push to local/payments/api (pull rights only)",
            f.reg.host()
        )),
        "{line}"
    );
    assert_eq!(json["checkpoints"][0]["seq"], Value::Null);

    // Granted: the next sync publishes.
    f.reg.set_push_denied(false);
    let granted = as_id(&f.tmp, &alice, &["sync"]);
    assert!(
        granted.stdout.contains("checkpoint of event 4 "),
        "{}",
        granted.stdout
    );
}

#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "any time will do here: the artifact's creation time"
)]
fn a_checkpoint_signed_by_an_unlisted_key_is_named_and_ignored() {
    let (f, _, alice) = fixture(builder("checkpoint-stranger"));
    as_id(&f.tmp, &alice, &["sync"]).ok();
    let genesis = hash_at(&f.tmp, 1);
    // Mallory (a key tollgate.toml does not list) claims the chain reached event 99, once as
    // herself and once as Alice, signed with stock ssh-keygen in the checkpoint namespace.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("mallory");
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key));
    let team = TeamRegistry::new(f.reg.client()).unwrap();
    let mut tags = Vec::new();
    for (claimed, tag_of) in [
        ("mallory@example.com", "mallory@example.com"),
        (alice.as_str(), "impostor"),
    ] {
        let message = format!(
            "{{\"at\":\"2026-12-06T21:00:00.000Z\",\"genesis\":\"{genesis}\",\"hash\":\"{}\",\"kind\":\"tollgate.checkpoint\",\"seq\":99,\"signer\":\"{claimed}\",\"v\":1}}",
            "f".repeat(64)
        );
        let msg = dir.path().join("msg");
        std::fs::write(&msg, &message).unwrap();
        let _ = std::fs::remove_file(dir.path().join("msg.sig"));
        run(Command::new("ssh-keygen")
            .args(["-Y", "sign", "-n", "tollgate-checkpoint", "-f"])
            .arg(&key)
            .arg(&msg));
        let signature = std::fs::read_to_string(dir.path().join("msg.sig")).unwrap();
        let tag = checkpoint_tag(&genesis, tag_of);
        rt().block_on(team.push_checkpoint(
            "payments/api",
            &tag,
            message.as_bytes(),
            &signature,
            chrono::Utc::now(),
        ))
        .unwrap();
        tags.push(tag);
    }

    let out = as_id(&f.tmp, &alice, &["verify", "--checkpoints"]);
    assert_eq!(
        out.code, 0,
        "ignored, so nothing contradicts: {}\n{}",
        out.stdout, out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "warning: checkpoint local/payments/api:{} (",
            tags[0]
        )) && out.stderr.contains(
            "ignored: it says it is signed by mallory@example.com, who is not an approver or signer in tollgate.toml"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "warning: checkpoint local/payments/api:{} (",
            tags[1]
        )) && out.stderr.contains(&format!(
            "which is not the key tollgate.toml lists for {alice}"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("the newest is event 1 ("),
        "{}",
        out.stdout
    );
}
