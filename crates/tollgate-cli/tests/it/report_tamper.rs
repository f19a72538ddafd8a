//! An exported report cannot hide an event (issue 17, section 3), against the real registry,
//! keychain, SQLite file and `ssh-keygen`:
//! - a report without filters has no stubs: an event replaced by a link stub (its summary
//!   adjusted) fails `verify FILE` and `verify FILE --config`, sealed or not;
//! - a filtered report's stubs carry their formula 2 header, which proves they are outside the
//!   filters; a stub of an in-filter event, or with a forged header, fails;
//! - the seal (SSHSIG, namespace `tollgate-report`) breaks when the summary is edited, and stock
//!   `ssh-keygen` verifies it; an unsealed report verifies only with `--allow-unsealed`;
//! - an approval marked `imported` must name a team artifact this history imported as it;
//! - a signed-era record without a signature is listed by `verify`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tollgate::api::{self, RejectRequest};
use tollgate::domain::Digest;
use tollgate::store::{chain, EventFilter, Store};

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::signed::{at, rt, SignedWorkspace};
use tollgate_testsupport::skopeo::push;
use tollgate_testsupport::team::{approve_staging, qa_team, sync};
use tollgate_testsupport::workspace::Run;

/// dev → staging (one QA approval) → production (one QA approval), image A in dev, B and C
/// pushed later. The history: baseline, an approval and a promotion of A into staging, a CI
/// record of B into production (unapproved: production has a policy), drift in dev (the tag
/// moved to C outside Tollgate), and Quinn's rejection of B for production.
struct Fixture {
    f: SignedWorkspace,
    quinn: String,
}

fn fixture(name: &str) -> Fixture {
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
    .approver("quinn-report", &["qa"])
    .build();
    let [a, b] = <[String; 2]>::try_from(f.digests.clone()).unwrap();
    let quinn = f.approvers[0].clone();
    f.sync(&at(0));
    f.approve(&at(1), &quinn, "staging", &a, None).unwrap();
    f.promote(&at(2), "staging", &a, "release-bot").unwrap();
    f.record(&at(3), "production", &b);
    push(
        &make_image(&format!("{name}-c")),
        &f.reg,
        "payments/api:dev",
    );
    f.sync(&at(4));
    rt().block_on(api::reject(
        &f.ws,
        &at(5),
        RejectRequest {
            app: "api".into(),
            digest: b.clone(),
            confirm: b[7..19].into(),
            reason: "crashes on start".into(),
            env: Some("production".into()),
            approver: Some(quinn.clone()),
        },
    ))
    .unwrap();
    Fixture { f, quinn }
}

impl Fixture {
    /// `tollgate export --format json` as the CLI runs it, this machine's identity being `who`
    /// (`$TOLLGATE_APPROVER`: its key is in the OS keychain).
    fn export(&self, name: &str, who: &str, extra: &[&str]) -> (PathBuf, Run) {
        let out = self.f.tmp.path().join(name);
        let mut args = vec!["export", "--format", "json", "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let run = self.f.tmp.run_env(&args, &[("TOLLGATE_APPROVER", who)]);
        (out, run)
    }

    /// `tollgate verify FILE [ARGS]`: with `config`, against the workspace's keys.
    fn verify(&self, file: &Path, config: bool, extra: &[&str]) -> Run {
        let mut args = vec!["verify", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        if config {
            self.f.tmp.run(&args)
        } else {
            self.f.tmp.run_bare(&args)
        }
    }
}

/// Exit status 1, and every one of `words` somewhere on stderr; returns stderr.
trait Fails {
    fn fails(&self, words: &[&str]) -> String;
}

impl Fails for Run {
    fn fails(&self, words: &[&str]) -> String {
        assert_eq!(
            self.code, 1,
            "exit status\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        for w in words {
            assert!(self.stderr.contains(w), "'{w}' not in: {}", self.stderr);
        }
        self.stderr.clone()
    }
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn write(path: &Path, v: &Value) -> PathBuf {
    std::fs::write(path, serde_json::to_vec(v).unwrap()).unwrap();
    path.to_path_buf()
}

/// The index in `events` of the first whole event of `kind`.
fn index_of(report: &Value, kind: &str) -> usize {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["kind"] == kind && e.get("stub").is_none())
        .unwrap_or_else(|| panic!("no {kind} in the report"))
}

/// Replace event `i` by a link stub (with its formula 2 header when `header`) and adjust the
/// summary as a careful forger would: one event less, one stub more, the kind's count down.
fn stub_out(report: &Value, i: usize, header: bool) -> Value {
    let mut v = report.clone();
    let e = v["events"][i].clone();
    let mut stub = serde_json::json!({
        "seq": e["seq"], "prev_hash": e["prev_hash"], "hash": e["hash"], "stub": true,
    });
    if header {
        assert_eq!(
            e["formula"], 2,
            "events appended now are hashed with formula 2"
        );
        stub["hashed"] = e["hashed"].clone();
    }
    v["events"][i] = stub;
    let s = &mut v["summary"];
    s["events"] = Value::from(s["events"].as_u64().unwrap() - 1);
    s["stubs"] = Value::from(s["stubs"].as_u64().unwrap() + 1);
    let field = match e["kind"].as_str().unwrap() {
        "drift" => Some("drift"),
        "record" => Some("records"),
        "promotion" => Some("promotions"),
        _ => None,
    };
    if let Some(field) = field {
        let app = s["apps"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|a| a["app"] == e["app"])
            .unwrap();
        app[field] = Value::from(app[field].as_u64().unwrap() - 1);
    }
    v
}

#[test]
fn an_unfiltered_report_with_an_event_replaced_by_a_stub_fails_verify() {
    let fx = fixture("tamper-unfiltered");
    let (path, run) = fx.export("all.json", &fx.quinn, &[]);
    run.ok();
    let good = read(&path);
    assert_eq!(good["version"], 2);
    assert_eq!(good["seal"]["signer"], fx.quinn.as_str());
    assert_eq!(
        good["summary"]["stubs"], 0,
        "a report without filters has no stubs"
    );
    fx.verify(&path, false, &[]).ok();
    fx.verify(&path, true, &[]).ok();

    let drift = index_of(&good, "drift");
    let record = index_of(&good, "record");
    assert_eq!(good["events"][record]["unapproved"], true);
    let rejection = index_of(&good, "rejection");
    for (i, what) in [
        (drift, "drift"),
        (record, "record"),
        (rejection, "rejection"),
    ] {
        let seq = good["events"][i]["seq"].as_i64().unwrap();
        for header in [false, true] {
            let forged = stub_out(&good, i, header);
            let sealed = write(
                &fx.f.tmp.path().join(format!("{what}-{header}.json")),
                &forged,
            );
            // The forger cannot seal again, so they also drop the seal: the report must then be
            // checked with --allow-unsealed, and the stub is still named.
            let mut unsealed = forged.clone();
            unsealed["seal"] = Value::Null;
            let unsealed = write(
                &fx.f
                    .tmp
                    .path()
                    .join(format!("{what}-{header}-unsealed.json")),
                &unsealed,
            );
            let line = format!("event {seq}: is left out of a report without filters");
            for config in [false, true] {
                let out = fx.verify(&sealed, config, &[]).fails(&[&line]);
                assert!(
                    out.contains("the seal does not cover the report as it is"),
                    "{out}"
                );
                fx.verify(&unsealed, config, &["--allow-unsealed"])
                    .fails(&[&line]);
            }
        }
    }
}

#[test]
fn a_filtered_report_proves_its_stubs_and_a_stub_of_an_event_in_the_filters_fails() {
    let fx = fixture("tamper-filtered");
    let (path, run) = fx.export("production.json", "ci", &["--env", "production"]);
    run.ok();
    let good = read(&path);
    assert_eq!(
        good["seal"]["signer"], "ci",
        "a [[signers]] identity seals too"
    );
    let stubs: Vec<&Value> = good["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["stub"] == true)
        .collect();
    assert!(!stubs.is_empty());
    for s in &stubs {
        let hashed = s["hashed"].as_str().unwrap();
        assert!(hashed.starts_with("tollgate.event.v2\n"), "{hashed}");
    }
    fx.verify(&path, false, &[]).ok();
    fx.verify(&path, true, &[]).ok();
    let (code, out) = crate::export::recipe_with(&path, &[]);
    assert_eq!(code, 0, "{out}");

    // The unapproved record into production, in the filters, made a stub with its true header.
    let record = index_of(&good, "record");
    let seq = good["events"][record]["seq"].as_i64().unwrap();
    let hidden = write(
        &fx.f.tmp.path().join("hidden.json"),
        &stub_out(&good, record, true),
    );
    let line = format!("event {seq}: is a stub, but its hashed header says record in app api, environment production");
    fx.verify(&hidden, false, &[]).fails(&[&line]);
    fx.verify(&hidden, true, &[]).fails(&[&line]);
    let (code, out) = crate::export::recipe_with(&hidden, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("event {seq}: a stub")), "{out}");

    // A stub whose header claims another environment (out of the filters) than its event's.
    let mut forged = good.clone();
    let i = good["events"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["stub"] == true)
        .unwrap();
    let stub_seq = good["events"][i]["seq"].as_i64().unwrap();
    let header = good["events"][i]["hashed"].as_str().unwrap();
    let claimed = header.replacen("\"env\":\"", "\"env\":\"x", 1);
    assert_ne!(claimed, header);
    forged["events"][i]["hashed"] = Value::from(claimed);
    let forged = write(&fx.f.tmp.path().join("forged-header.json"), &forged);
    fx.verify(&forged, true, &[]).fails(&[&format!(
        "event {stub_seq}: its hash is not sha256(prev_hash"
    )]);
    // A stub without its header (as version 1 wrote them) proves nothing in version 2.
    let mut bare = good.clone();
    bare["events"][i].as_object_mut().unwrap().remove("hashed");
    let bare = write(&fx.f.tmp.path().join("bare.json"), &bare);
    fx.verify(&bare, false, &[]).fails(&[&format!(
        "event {stub_seq}: is a stub without its hashed header"
    )]);
}

#[test]
fn the_seal_covers_the_summary_and_an_unsealed_report_needs_allow_unsealed() {
    let fx = fixture("tamper-seal");
    let (path, run) = fx.export("sealed.json", &fx.quinn, &[]);
    run.ok();
    let good = read(&path);

    // Stock ssh-keygen verifies the seal over its message, in its own namespace.
    let seal = &good["seal"];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("signers"),
        seal["allowed_signers"].as_str().unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("msg.sig"),
        seal["signature"].as_str().unwrap(),
    )
    .unwrap();
    let message = seal["message"].as_str().unwrap();
    std::fs::write(dir.path().join("msg"), message).unwrap();
    let keygen = |namespace: &str| {
        Command::new("ssh-keygen")
            .args([
                "-Y", "verify", "-f", "signers", "-I", &fx.quinn, "-n", namespace,
            ])
            .args(["-s", "msg.sig"])
            .current_dir(dir.path())
            .stdin(std::fs::File::open(dir.path().join("msg")).unwrap())
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(keygen("tollgate-report"));
    assert!(!keygen("tollgate-approval"), "a seal is never an approval");
    let sealed: Value = serde_json::from_str(message).unwrap();
    assert_eq!(sealed["summary"], good["summary"]);
    assert_eq!(
        sealed["policies"]["api"]["production"]["roles"],
        serde_json::json!(["qa"])
    );
    let (code, out) = crate::export::recipe_with(&path, &[]);
    assert_eq!(code, 0, "{out}");

    // An edited summary breaks the seal (and disagrees with the events).
    let mut edited = good.clone();
    edited["summary"]["apps"][0]["drift"] = Value::from(0);
    let edited = write(&fx.f.tmp.path().join("edited.json"), &edited);
    for config in [false, true] {
        fx.verify(&edited, config, &[]).fails(&[&format!(
            "the seal does not cover the report as it is: summary differ from what {} sealed",
            fx.quinn
        )]);
    }
    let (code, out) = crate::export::recipe_with(&edited, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("seal: the sealed message is not this report's"),
        "{out}"
    );
    // The conflicts the report states are sealed too: none can be taken out (or added).
    let mut conflicts = good.clone();
    conflicts["conflicts"] = serde_json::json!([{"kind": "fork", "description": "made up"}]);
    let conflicts = write(&fx.f.tmp.path().join("conflicts.json"), &conflicts);
    fx.verify(&conflicts, true, &[])
        .fails(&["conflicts differ from what"]);
    // Edited policies too: the unapproved flags are re-derived under the sealed ones.
    let mut freed = good.clone();
    freed["policies"]["api"]["production"] = Value::Null;
    let freed = write(&fx.f.tmp.path().join("freed.json"), &freed);
    fx.verify(&freed, true, &[])
        .fails(&["policies differ", "unapproved is true in the report"]);

    // Exported where no listed identity's key is at hand: unsealed, and the export says so.
    let (unsealed, run) = fx.export("unsealed.json", "nobody@example.com", &[]);
    run.ok();
    assert!(
        run.stderr.contains("warning: the report is not sealed"),
        "{}",
        run.stderr
    );
    assert_eq!(read(&unsealed)["seal"], Value::Null);
    for config in [false, true] {
        fx.verify(&unsealed, config, &[])
            .fails(&["the report is not sealed", "--allow-unsealed"]);
        let run = fx.verify(&unsealed, config, &["--allow-unsealed"]);
        run.ok();
        assert!(
            run.stdout.contains("unproven: the report is not sealed"),
            "{}",
            run.stdout
        );
    }
}

/// What an attacker with the file does after editing rows: recompute every `prev_hash` and
/// `hash` from `from_seq` on, put the append-only triggers back and rebuild the derived tables.
fn rechain(f: &tollgate_testsupport::workspace::TempWorkspace, db: &Path, from_seq: i64) {
    let events = Store::open(db)
        .unwrap()
        .events(&EventFilter::default())
        .unwrap();
    let mut prev = chain::GENESIS.to_string();
    let mut sql = String::from("BEGIN;");
    for mut e in events {
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
    tollgate_testsupport::workspace::sqlite3(db, &sql);
    tollgate_testsupport::workspace::sqlite3(
        db,
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only: a history row cannot be changed'); END;
         CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only: a history row cannot be deleted'); END;",
    );
    Store::open(db).unwrap().rebuild_timeline().unwrap();
    let _ = f;
}

fn drop_triggers(db: &Path) {
    tollgate_testsupport::workspace::sqlite3(
        db,
        "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;",
    );
}

fn problems(ws: &tollgate::config::Workspace) -> Vec<String> {
    let report = api::verify(ws).unwrap();
    assert!(report.chain.broken.is_none(), "the chain itself is intact");
    report.problems.iter().map(|p| p.message.clone()).collect()
}

#[test]
fn an_imported_marker_must_name_the_artifact_this_history_imported() {
    let (f, a, _alice, quinn) = qa_team("tamper-imported");
    let (b_dir, desktop_b) = f.desktop();
    // B first syncs later than A: its history differs from A's from its first event, as two
    // desktops' histories do.
    sync(&f.ws, &at(0));
    sync(&desktop_b, &at(1));
    let local = approve_staging(&f.ws, &at(1), &quinn, &a);
    sync(&desktop_b, &at(2));
    let imported = Store::open(&desktop_b.db_path)
        .unwrap()
        .events(&EventFilter::default())
        .unwrap()
        .into_iter()
        .find(|e| e.data.get("imported").is_some())
        .expect("desktop B imported Quinn's approval");
    assert!(api::verify(&desktop_b).unwrap().ok());
    assert!(api::verify(&f.ws).unwrap().ok());

    // A's own approval marked imported (which turns off its chain-head check), naming an
    // artifact A never pulled.
    let seq = local.event.seq;
    let made_up = Digest::of(b"made up");
    drop_triggers(&f.ws.db_path);
    f.tmp.sqlite(&format!(
        "UPDATE events SET data = json_set(data, '$.imported', json_object('artifact', '{made_up}', 'repository', 'local/payments/api')) WHERE seq = {seq}"
    ));
    rechain(&f.tmp, &f.ws.db_path, seq);
    let lines = problems(&f.ws);
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("event {seq}: approval marked imported from artifact {made_up}, which this history never pulled"))),
        "{lines:?}"
    );

    // Or naming the artifact A itself published for that approval (a row of the team
    // artifacts table, as an imported one has).
    let own = local
        .team
        .as_ref()
        .expect("the approval was published")
        .artifact
        .clone();
    drop_triggers(&f.ws.db_path);
    f.tmp.sqlite(&format!(
        "UPDATE events SET data = json_set(data, '$.imported.artifact', '{own}') WHERE seq = {seq}"
    ));
    rechain(&f.tmp, &f.ws.db_path, seq);
    let lines = problems(&f.ws);
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("event {seq}: approval marked imported from artifact {own}, which this desktop published as its own event"))),
        "{lines:?}"
    );

    // On B: the imported approval's artifact replaced, then its marker removed.
    let seq = imported.seq;
    drop_triggers(&desktop_b.db_path);
    b_dir.sqlite(&format!(
        "UPDATE events SET data = json_set(data, '$.imported.artifact', '{made_up}') WHERE seq = {seq}"
    ));
    rechain(&b_dir, &desktop_b.db_path, seq);
    let lines = problems(&desktop_b);
    assert!(
        lines.iter().any(|l| l.contains(&format!(
            "event {seq}: approval marked imported from artifact {made_up}"
        ))),
        "{lines:?}"
    );
    drop_triggers(&desktop_b.db_path);
    b_dir.sqlite(&format!(
        "UPDATE events SET data = json_remove(data, '$.imported') WHERE seq = {seq}"
    ));
    rechain(&b_dir, &desktop_b.db_path, seq);
    let lines = problems(&desktop_b);
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("event {seq}: "))),
        "without its marker, the head it signed (another machine's) is checked and fails: {lines:?}"
    );
}

#[test]
fn a_signed_era_record_without_its_signature_is_listed() {
    let fx = fixture("tamper-unsigned");
    let f = &fx.f;
    let record = Store::open(&f.ws.db_path)
        .unwrap()
        .events(&EventFilter::default())
        .unwrap()
        .into_iter()
        .find(|e| e.kind == tollgate::domain::EventKind::Record)
        .unwrap();
    assert!(record.data.get("signature").is_some());
    assert!(api::verify(&f.ws).unwrap().ok());
    drop_triggers(&f.ws.db_path);
    f.tmp.sqlite(&format!(
        "UPDATE events SET data = json_remove(data, '$.message', '$.signature', '$.fingerprint', '$.key_source') WHERE seq = {}",
        record.seq
    ));
    rechain(&f.tmp, &f.ws.db_path, record.seq);
    let line = format!(
        "event {}: record without a signature after event",
        record.seq
    );
    let lines = problems(&f.ws);
    assert!(lines.iter().any(|l| l.starts_with(&line)), "{lines:?}");
    f.tmp.run(&["verify"]).fails(&[&line]);

    // A report of that history: `verify FILE --config` lists it too.
    let (path, run) = fx.export("stripped.json", &fx.quinn, &[]);
    run.ok();
    fx.verify(&path, true, &[]).fails(&[&line]);
}
