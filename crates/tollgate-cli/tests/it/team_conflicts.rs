//! Team conflicts, detected and shown, never resolved: two desktops (two databases) on one real
//! `docker-registry`, promoting from the same previous digest. Each desktop's promotion is
//! copied into the other history as a teammate's (imported) event, the shape sync imports them
//! in (`data.imported` and the original signed `data.message` / `data.signature`); sharing is
//! off so that nothing else moves between the steps. Then `status --json`, `status`, `verify`,
//! the overview and the exports of the real binary and core name the conflict.

use chrono::Duration;
use tollgate::api;
use tollgate::config::Workspace;
use tollgate::domain::{Digest, Event, EventKind, NewEvent};
use tollgate::store::Store;

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::process::run;
use tollgate_testsupport::signed::{at, t0, SignedWorkspace};
use tollgate_testsupport::skopeo::{push, skopeo_digest, skopeo_retag};
use tollgate_testsupport::workspace::TempWorkspace;

/// A team: image S in staging and A in dev; staging needs one QA approval. Alice and Bob
/// promote, Quinn is QA. Desktop A is the built workspace, desktop B another one; both with
/// `[team] share = false`.
struct Team {
    f: SignedWorkspace,
    a: Workspace,
    b_tmp: TempWorkspace,
    b: Workspace,
    s: String,
    img_a: String,
    alice: String,
    bob: String,
    quinn: String,
}

fn team(name: &str) -> Team {
    let f = SignedWorkspace::builder(
        name,
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
        ],
    )
    .image("dev", &format!("{name}-a"))
    .image("staging", &format!("{name}-s"))
    .approver("alice", &["manager"])
    .approver("bob", &["manager"])
    .approver("quinn", &["qa"])
    .build();
    let a = sharing_off(&f.tmp);
    let (b_tmp, _) = f.desktop();
    let b = sharing_off(&b_tmp);
    let [alice, bob, quinn] = <[String; 3]>::try_from(f.approvers.clone()).unwrap();
    Team {
        img_a: f.digests[0].clone(),
        s: f.digests[1].clone(),
        a,
        b_tmp,
        b,
        alice,
        bob,
        quinn,
        f,
    }
}

fn sharing_off(tmp: &TempWorkspace) -> Workspace {
    let mut toml = std::fs::read_to_string(tmp.config()).unwrap();
    toml.push_str("\n[team]\nshare = false\n");
    std::fs::write(tmp.config(), toml).unwrap();
    Workspace::load(&tmp.config(), None).unwrap()
}

fn sync(ws: &Workspace, hours: i64) -> api::SyncReport {
    tollgate_testsupport::signed::rt()
        .block_on(api::sync(ws, &at(hours), None, &|_| {}))
        .unwrap()
}

fn approve(ws: &Workspace, hours: i64, who: &str, digest: &str) -> Event {
    tollgate_testsupport::signed::rt()
        .block_on(api::approve(
            ws,
            &at(hours),
            api::ApproveRequest {
                app: "api".into(),
                to: "staging".into(),
                digest: digest.into(),
                confirm: digest[7..19].into(),
                role: None,
                note: Some("verified in staging".into()),
                approver: Some(who.into()),
            },
        ))
        .unwrap();
    last_event(ws, EventKind::Approval)
}

fn promote(ws: &Workspace, hours: i64, who: &str, digest: &str) -> Event {
    tollgate_testsupport::signed::rt()
        .block_on(api::promote(
            ws,
            &at(hours),
            api::PromoteRequest {
                app: "api".into(),
                to: "staging".into(),
                digest: digest.into(),
                actor: who.into(),
            },
            &|_| {},
        ))
        .unwrap();
    last_event(ws, EventKind::Promotion)
}

fn last_event(ws: &Workspace, kind: EventKind) -> Event {
    Store::open(&ws.db_path)
        .unwrap()
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .rev()
        .find(|e| e.kind == kind)
        .unwrap()
}

/// Append `e` (from a teammate's history) to `ws`'s history as sync imports a teammate's
/// event: the original signed message and signature, `data.imported`, and nothing that names
/// the other history's seqs or chain (`approvals`, `head`, `head_seq`, `journal`).
fn import_into(ws: &Workspace, e: &Event, hours: i64) -> Event {
    let mut data = e.data.clone();
    let obj = data.as_object_mut().unwrap();
    for k in [
        "approvals",
        "head",
        "head_seq",
        "journal",
        "evaluation",
        "recovered",
    ] {
        obj.remove(k);
    }
    let message = e.data_str("message").expect("a signed event");
    obj.insert(
        "imported".into(),
        serde_json::json!({
            "artifact": Digest::of(message.as_bytes()).as_str(),
            "repository": "local/payments/api",
        }),
    );
    Store::open(&ws.db_path)
        .unwrap()
        .append(vec![NewEvent {
            at: t0() + Duration::hours(hours),
            kind: e.kind,
            app: e.app.clone(),
            env: e.env.clone(),
            digest: e.digest.clone(),
            actor: e.actor.clone(),
            data,
        }])
        .unwrap()
        .pop()
        .unwrap()
}

fn kinds(row: &serde_json::Value) -> Vec<String> {
    row["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Both desktops read staging = S; A promotes image A and B promotes image B over it (the tag
/// ends at B); A imports B's promotion, then the tag is put back to A before A's next sync.
/// A's history holds two promotions from S to different digests (fork) and a teammate's
/// promotion no sync of A ever saw land (move_not_seen).
#[test]
fn two_promotions_from_one_previous_digest_and_a_move_never_seen() {
    let t = team("conflict-fork");
    sync(&t.a, 0);
    sync(&t.b, 0);

    // Desktop A: QA approves A, Alice promotes it (S → A).
    approve(&t.a, 1, &t.quinn, &t.img_a);
    let pa = promote(&t.a, 1, &t.alice, &t.img_a);
    assert_eq!(pa.data["previous"], t.s.as_str());

    // Desktop B read staging before A's push landed: the tag shows S again for B, and CI has
    // pushed image B to dev. QA approves B on B, Bob promotes it (S → B).
    skopeo_retag(
        &t.f.reg,
        &format!("payments/api@{}", t.s),
        "payments/api:staging",
    );
    push(&make_image("conflict-fork-b"), &t.f.reg, "payments/api:dev");
    let img_b = skopeo_digest(&t.f.reg, "payments/api:dev");
    tollgate_testsupport::signed::rt()
        .block_on(api::record(
            &t.b,
            &at(2),
            api::RecordRequest {
                app: "api".into(),
                env: "dev".into(),
                image: format!("local/payments/api@{img_b}"),
                actor: "ci".into(),
                at: None,
            },
        ))
        .unwrap();
    let report = sync(&t.b, 2);
    assert!(
        report.tags.iter().any(|x| x.env == "staging" && !x.drift),
        "B reads S in staging, as its history says"
    );
    approve(&t.b, 2, &t.quinn, &img_b);
    let pb = promote(&t.b, 3, &t.bob, &img_b);
    assert_eq!(pb.data["previous"], t.s.as_str());

    // A learns of Bob's promotion; then someone puts the tag back to A before A syncs.
    let imported = import_into(&t.a, &pb, 4);
    skopeo_retag(
        &t.f.reg,
        &format!("payments/api@{}", t.img_a),
        "payments/api:staging",
    );
    sync(&t.a, 5);

    // status --json: the staging row lists both conflicts, with the events and their actors.
    let row = t.f.tmp.status_row("staging");
    assert_eq!(kinds(&row), vec!["fork", "move_not_seen"], "{row}");
    let fork = &row["conflicts"][0];
    assert_eq!(fork["app"], "api");
    assert_eq!(fork["env"], "staging");
    let seqs: Vec<i64> = fork["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![pa.seq, imported.seq]);
    assert_eq!(fork["events"][0]["actor"], t.alice.as_str());
    assert_eq!(fork["events"][1]["actor"], t.bob.as_str());
    assert_eq!(fork["events"][1]["imported"], true);
    let text = fork["description"].as_str().unwrap();
    assert!(text.contains(&t.s[7..19]), "{text}");
    let unseen = &row["conflicts"][1];
    assert_eq!(unseen["events"][0]["seq"], imported.seq);
    assert!(
        unseen["description"]
            .as_str()
            .unwrap()
            .contains(&img_b[7..19]),
        "{unseen}"
    );
    assert_eq!(
        t.f.tmp.status_row("dev")["conflicts"],
        serde_json::json!([])
    );

    // status (text): the flag and one CONFLICT line each.
    let st = t.f.tmp.run(&["status"]);
    st.ok();
    let lines: Vec<&str> = st
        .stdout
        .lines()
        .filter(|l| l.starts_with("CONFLICT "))
        .collect();
    assert_eq!(lines.len(), 2, "{}", st.stdout);
    assert!(
        lines[0].starts_with("CONFLICT fork api staging: "),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("CONFLICT move_not_seen "), "{lines:?}");
    assert!(st.stdout.contains("CONFLICT\n") || st.stdout.contains(" CONFLICT"));

    // verify: one problem per conflict and nothing else, exit 1.
    let v = t.f.tmp.run(&["verify"]);
    assert_eq!(v.code, 1, "{}\n{}", v.stdout, v.stderr);
    let errors: Vec<&str> = v.stderr.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(errors.len(), 2, "{}", v.stderr);
    for e in &errors {
        assert!(
            e.starts_with("error: event ") && e.contains(": conflict: "),
            "{e}"
        );
    }
    let vj = t.f.tmp.run(&["verify", "--json"]);
    assert_eq!(vj.code, 1);
    assert_eq!(vj.json()["conflicts"].as_array().unwrap().len(), 2);

    // The overview says the same.
    let overview = api::overview(&t.a, &at(6)).unwrap();
    let kinds: Vec<&str> = overview.conflicts.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, vec!["fork", "move_not_seen"]);

    // Desktop B, without A's promotion, has none.
    let b_row = t.b_tmp.status_row("staging");
    assert_eq!(b_row["conflicts"], serde_json::json!([]));
}

/// QA's one approval reaches desktop B (imported); A and B each promote image A with it from
/// the same previous digest S. Same digest: no fork, but the approval was consumed twice. The
/// exports of A state it: JSON key `conflicts`, CSV column `conflicts`, PDF section "Conflicts".
#[test]
fn one_approval_consumed_by_two_promotions_is_shown_in_verify_and_the_exports() {
    let t = team("conflict-reuse");
    sync(&t.a, 0);
    sync(&t.b, 0);
    let approval = approve(&t.a, 1, &t.quinn, &t.img_a);
    let on_b = import_into(&t.b, &approval, 1);
    let pa = promote(&t.a, 1, &t.alice, &t.img_a);
    skopeo_retag(
        &t.f.reg,
        &format!("payments/api@{}", t.s),
        "payments/api:staging",
    );
    assert_eq!(sync(&t.b, 2).drifted().count(), 0);
    let pb = promote(&t.b, 2, &t.bob, &t.img_a);
    assert_eq!(pb.data["approvals"], serde_json::json!([on_b.seq]));
    let imported = import_into(&t.a, &pb, 3);
    sync(&t.a, 4);

    let row = t.f.tmp.status_row("staging");
    assert_eq!(kinds(&row), vec!["approval_reused"], "{row}");
    let seqs: Vec<i64> = row["conflicts"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![approval.seq, pa.seq, imported.seq]);
    let text = row["conflicts"][0]["description"].as_str().unwrap();
    assert!(
        text.contains(&format!("approval {} by {}", approval.seq, t.quinn)),
        "{text}"
    );

    let v = t.f.tmp.run(&["verify"]);
    assert_eq!(v.code, 1, "{}", v.stderr);
    let errors: Vec<&str> = v.stderr.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(errors.len(), 1, "{}", v.stderr);
    assert!(
        errors[0].contains("conflict: api staging: approval"),
        "{}",
        errors[0]
    );

    // Exports of A.
    let out = |ext: &str| t.f.tmp.path().join(format!("report.{ext}"));
    for format in ["json", "csv", "pdf"] {
        let e = t.f.tmp.run(&[
            "export",
            "--format",
            format,
            "--out",
            out(format).to_str().unwrap(),
        ]);
        e.ok();
        assert!(
            e.stderr
                .contains("warning: conflict: api staging: approval"),
            "{}",
            e.stderr
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out("json")).unwrap()).unwrap();
    assert_eq!(json["conflicts"][0]["kind"], "approval_reused");
    assert_eq!(json["conflicts"][0]["events"][2]["seq"], imported.seq);
    // The report still checks (the key is outside what `verify FILE` checks).
    let check =
        t.f.tmp
            .run(&["verify", out("json").to_str().unwrap(), "--allow-unsealed"]);
    check.ok();
    // The same report with the conflict left out (and the seal, which covers the conflicts,
    // dropped): its events still give the conflict, so it fails.
    let mut hidden = json.clone();
    hidden["conflicts"] = serde_json::json!([]);
    hidden["seal"] = serde_json::Value::Null;
    hidden["unsealed"] = "no key at hand".into();
    let hidden_path = t.f.tmp.path().join("hidden.json");
    std::fs::write(&hidden_path, serde_json::to_vec(&hidden).unwrap()).unwrap();
    let caught =
        t.f.tmp
            .run(&["verify", hidden_path.to_str().unwrap(), "--allow-unsealed"]);
    assert_eq!(caught.code, 1, "{}\n{}", caught.stdout, caught.stderr);
    assert!(
        caught.stderr.contains(
            "it states the conflicts none, but its events give approval_reused in api staging"
        ),
        "{}",
        caught.stderr
    );

    let mut csv = ::csv::Reader::from_path(out("csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let col = header.iter().position(|h| h == "conflicts").unwrap();
    assert_eq!(
        col,
        header.len() - 14,
        "added at the end (before git, file, commit, incident, incident_text, closes, the six columns of checks and emergency, added after it)"
    );
    let with: Vec<i64> = csv
        .records()
        .map(|r| r.unwrap())
        .filter(|r| !r[col].is_empty())
        .map(|r| r[0].parse().unwrap())
        .collect();
    assert_eq!(with, vec![approval.seq, pa.seq, imported.seq]);

    let pdf = run(std::process::Command::new("pdftotext")
        .arg(out("pdf"))
        .arg("-"));
    let section = pdf.split("Conflicts").nth(1).expect("a Conflicts section");
    assert!(section.contains("approval_reused"), "{pdf}");
    assert!(
        section.contains(&format!("approval {} by", approval.seq)),
        "{pdf}"
    );
}
