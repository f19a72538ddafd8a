//! A poisoned or flaky team channel never hides drift (issue 17, section 2), against a real
//! `docker-registry` (distribution 2.8: fallback tags), the real OS keychain and SQLite file:
//!
//! - a plain image manifest, or a 4 MiB body, pushed under the fallback tag `sha256-<M>`
//!   of the digest a tag was moved to: `sync` still writes the observation and the drift
//!   (`status --json` shows M with `drift: true`), says the problem in one named line, and
//!   `team status` keeps it;
//! - `approve` and `promote` of that digest fail closed with that line; `rollback` to a digest
//!   whose channel is poisoned goes on with the history held here, warns in one line and
//!   records it in the rollback event's data;
//! - a skipped (untrusted) artifact is fetched once, not again while tollgate.toml's identities
//!   are the same, and again once an identity is added (counted at a proxy);
//! - an index that lost an entry this desktop knows, where this user may not push: the re-list
//!   the registry forbids is one line kept by `team status`, and the sync goes on;
//! - a fallback index another writer replaces right after each of this desktop's writes:
//!   publishing gives up after a bounded number of rounds with one line, the approval counts
//!   here marked unshared, and the next sync, once the contention is over, lists it.

use std::process::Command;

use tollgate::config::Workspace;
use tollgate::domain::Digest;
use tollgate::signing::{Anchor, ApprovalMessage, Target};
use tollgate::store::Store;
use tollgate::team::{fallback_tag, ArtifactKind, MAX_INDEX_ATTEMPTS, MAX_LISTING_BYTES};

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::proxy::FaultProxy;
use tollgate_testsupport::signed::{approve_staging_args, at, rt, t0, unique_id, SignedWorkspace};
use tollgate_testsupport::skopeo::{push, skopeo_digest, skopeo_raw};
use tollgate_testsupport::team::{approve_staging, plant, qa_team, sign_as_stranger, sync};
use tollgate_testsupport::workspace::TempWorkspace;

/// Move `dev` outside Tollgate to a new image; its digest.
fn move_dev(f: &SignedWorkspace, content: &str) -> String {
    push(&make_image(content), &f.reg, "payments/api:dev");
    skopeo_digest(&f.reg, "payments/api:dev")
}

/// PUT `bytes` as a manifest of `media_type` under `payments/api:{tag}` with curl, as anyone
/// with push rights could.
fn curl_put(f: &SignedWorkspace, tag: &str, media_type: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.json");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("curl")
        .args(["-sS", "--fail", "-X", "PUT", "-H"])
        .arg(format!("Content-Type: {media_type}"))
        .arg("--data-binary")
        .arg(format!("@{}", file.display()))
        .arg(format!("{}/v2/payments/api/manifests/{tag}", f.reg.url()))
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A plain image manifest under the fallback tag of `digest`.
fn poison_with_image(f: &SignedWorkspace, digest: &str) {
    let tag = fallback_tag(&Digest::parse(digest).unwrap());
    push(
        &make_image("poison"),
        &f.reg,
        &format!("payments/api:{tag}"),
    );
}

/// `tollgate sync` on `dir`, whose one team channel line (stderr) is returned; the sync exits
/// 1 (drift) or 0, never with an error.
fn sync_line(dir: &TempWorkspace, digest: &str) -> String {
    let out = dir.run(&["sync"]);
    assert!(
        out.code == 0 || out.code == 1,
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: team channel: "))
        .collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].contains(digest), "{}", lines[0]);
    lines[0].trim_start_matches("warning: ").to_string()
}

/// After the poisoned sync: dev shows `moved` with drift, the line is kept by `team status`
/// (human and JSON), and approve / promote of `moved` are refused, saying `why` and what to do.
fn drift_shown_and_gates_closed(
    f: &SignedWorkspace,
    moved: &str,
    line: &str,
    why: &str,
    quinn: &str,
) {
    let tag = fallback_tag(&Digest::parse(moved).unwrap());
    let row = f.tmp.status_row("dev");
    assert_eq!(row["digest"], moved, "{row}");
    assert_eq!(row["drift"], true, "{row}");

    let status = f.tmp.run(&["team", "status", "--json"]);
    status.ok();
    let problems = status.json()["problems"].clone();
    assert_eq!(problems.as_array().map(Vec::len), Some(1), "{problems}");
    assert_eq!(problems[0]["subject"], moved);
    assert_eq!(problems[0]["repository"], "local/payments/api");
    assert_eq!(problems[0]["line"], line);
    let human = f.tmp.run(&["team", "status"]).stdout;
    assert!(human.contains("team channel problems: 1"), "{human}");
    assert!(human.contains(line), "{human}");

    let approve = f.tmp.run(&approve_staging_args(moved, quinn));
    approve.fails_with(
        1,
        &[
            "approve refused (fails closed)",
            moved,
            why,
            &tag,
            "sync again",
        ],
    );
    let promote = f.tmp.run(&[
        "promote", "--app", "api", "--to", "staging", "--digest", moved,
    ]);
    promote.fails_with(
        1,
        &[
            "promote refused (fails closed)",
            moved,
            why,
            &tag,
            "sync again",
        ],
    );
}

#[test]
fn a_plain_image_under_the_fallback_tag_does_not_hide_drift() {
    let (f, _a, _alice, quinn) = qa_team("poison-image");
    f.tmp.run(&["sync"]).ok();
    let moved = move_dev(&f, "poison-image-m");
    poison_with_image(&f, &moved);

    let line = sync_line(&f.tmp, &moved);
    let why = "has no manifests list; it is not an OCI image index";
    assert!(line.contains(why), "{line}");
    drift_shown_and_gates_closed(&f, &moved, &line, why, &quinn);
}

#[test]
fn a_4_mib_body_under_the_fallback_tag_does_not_hide_drift() {
    let (f, _a, _alice, quinn) = qa_team("poison-big");
    f.tmp.run(&["sync"]).ok();
    let moved = move_dev(&f, "poison-big-m");
    // An image's manifest padded by an annotation to 4 MiB, the most distribution 2.8 accepts.
    push(&make_image("poison-big-p"), &f.reg, "payments/api:padding");
    let mut body: serde_json::Value =
        serde_json::from_slice(&skopeo_raw(&f.reg, "payments/api:padding")).unwrap();
    body["mediaType"] = "application/vnd.oci.image.manifest.v1+json".into();
    body["annotations"] = serde_json::json!({ "pad": "" });
    let pad = 4 * 1024 * 1024 - serde_json::to_vec(&body).unwrap().len();
    body["annotations"]["pad"] = "x".repeat(pad).into();
    let bytes = serde_json::to_vec(&body).unwrap();
    assert_eq!(bytes.len(), 4 * 1024 * 1024);
    let tag = fallback_tag(&Digest::parse(&moved).unwrap());
    curl_put(
        &f,
        &tag,
        "application/vnd.oci.image.manifest.v1+json",
        &bytes,
    );

    let line = sync_line(&f.tmp, &moved);
    let why = format!("over the cap of {MAX_LISTING_BYTES} bytes (1 MiB) per listing");
    assert!(line.contains(&why), "{line}");
    drift_shown_and_gates_closed(&f, &moved, &line, &why, &quinn);
}

#[test]
fn a_rollback_goes_on_without_the_team_channel_and_says_so() {
    let (f, a, alice, _quinn) = qa_team("poison-rollback");
    f.tmp.run(&["sync"]).ok();
    move_dev(&f, "poison-rollback-b");
    f.tmp.run(&["sync"]); // drift to B
    poison_with_image(&f, &a);

    let out = f.tmp.run(&[
        "rollback", "--app", "api", "--env", "dev", "--digest", &a, "--actor", &alice,
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| {
            l.starts_with("warning: the rollback goes on with the history this desktop holds")
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(
        warnings[0].contains(&a) && warnings[0].contains("not an OCI image index"),
        "{}",
        warnings[0]
    );
    assert_eq!(f.tag("payments/api:dev").as_deref(), Some(a.as_str()));
    let recorded = f
        .tmp
        .sqlite("SELECT json_extract(data, '$.team_unread') FROM events WHERE kind = 'rollback'");
    assert_eq!(recorded, warnings[0].trim_start_matches("warning: "));
}

#[test]
fn a_skipped_artifact_is_fetched_once_until_an_identity_is_added() {
    let (f, a, _alice, quinn) = qa_team("poison-memory");
    let proxy = FaultProxy::start(f.reg.port());
    let toml = std::fs::read_to_string(f.tmp.config())
        .unwrap()
        .replace(&f.reg.url(), &format!("http://{}", proxy.host()));
    let desktop = TempWorkspace::new(&toml);
    let ws = Workspace::load(&desktop.config(), None).unwrap();
    sync(&ws, &at(0));

    // "quinn approves A", signed with a stranger's key, planted in the registry.
    let digest = Digest::parse(&a).unwrap();
    let target = Target {
        app: "api".into(),
        digest: digest.clone(),
        from: "dev".into(),
        to: "staging".into(),
    };
    let message =
        ApprovalMessage::new(&target, &quinn, "qa", t0(), None, &Anchor::genesis()).to_bytes();
    let planted = plant(
        &f,
        ArtifactKind::Approval,
        &a,
        message.clone(),
        sign_as_stranger(&message),
    );
    let fetches = || {
        let path = format!("/v2/payments/api/manifests/{planted}");
        proxy
            .requests()
            .iter()
            .filter(|(m, p)| m == "GET" && p == &path)
            .count()
    };
    // The index changes under it (read again): as when a teammate publishes on A.
    let forget = || {
        Store::open(&ws.db_path)
            .unwrap()
            .set_team_index_digest("local/payments/api", &digest, None)
            .unwrap()
    };

    let first = sync(&ws, &at(1));
    assert_eq!(first.team.untrusted, 1, "{:?}", first.team);
    assert_eq!(fetches(), 1);
    forget();
    let second = sync(&ws, &at(2));
    assert_eq!(
        fetches(),
        1,
        "a remembered skipped artifact is not fetched again"
    );
    assert_eq!(second.team.untrusted, 1, "still named: {:?}", second.team);
    assert!(
        second
            .team
            .skipped
            .iter()
            .any(|l| l.contains(planted.as_str()) && l.contains("remembered")),
        "{:?}",
        second.team.skipped
    );
    let remembered = tollgate::api::team_status(&ws, &at(2)).unwrap().skipped;
    assert_eq!(remembered.len(), 1, "{remembered:?}");
    assert_eq!(remembered[0].artifact, planted.to_string());
    assert_eq!(remembered[0].reason, "untrusted");

    // An identity added to tollgate.toml: it may now verify, so it is fetched again (once).
    let ci = unique_id("ci");
    let key = tollgate::signing::generate_key(&ci, &tollgate::keychain::OsKeychain)
        .unwrap()
        .public_key;
    std::fs::write(
        desktop.config(),
        format!("{toml}\n[[signers]]\nid = \"{ci}\"\nkey = \"{key}\"\n"),
    )
    .unwrap();
    let ws = Workspace::load(&desktop.config(), None).unwrap();
    let third = sync(&ws, &at(3));
    assert_eq!(fetches(), 2, "fetched again after an identity was added");
    assert_eq!(third.team.untrusted, 1, "{:?}", third.team);
    sync(&ws, &at(4));
    forget();
    sync(&ws, &at(5));
    assert_eq!(
        fetches(),
        2,
        "and remembered again under the new identities"
    );
}

/// Someone with push rights replaces the fallback index of a digest with one that lists
/// nothing; this desktop knows the approval it listed, but may only pull now: the re-list is
/// forbidden. One named line, kept by `team status`; the sync goes on, and the approval still
/// counts here.
#[test]
fn a_relist_the_registry_forbids_is_one_kept_line_and_the_sync_goes_on() {
    let f = SignedWorkspace::builder(
        "poison-relist",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
        ],
    )
    .image("dev", "poison-relist-a")
    .approver("alice", &["manager"])
    .approver("quinn", &["qa"])
    .token_auth()
    .build();
    let a = f.digests[0].clone();
    let quinn = f.approvers[1].clone();
    sync(&f.ws, &at(0));
    let approval = approve_staging(&f.ws, &at(1), &quinn, &a);
    assert!(
        approval.team.as_ref().is_some_and(|t| t.shared),
        "{:?}",
        approval.team
    );
    let tag = fallback_tag(&Digest::parse(&a).unwrap());
    let index = "application/vnd.oci.image.index.v1+json";
    let empty = format!(r#"{{"schemaVersion":2,"mediaType":"{index}","manifests":[]}}"#);
    rt().block_on(
        f.reg
            .client()
            .push_manifest("payments/api", &tag, empty.as_bytes(), index),
    )
    .unwrap();
    f.reg.set_push_denied(true);

    let report = sync(&f.ws, &at(2));
    assert_eq!(report.team.problems.len(), 1, "{:?}", report.team);
    let line = &report.team.problems[0];
    assert!(line.contains("could not be listed again"), "{line}");
    assert!(line.contains(&a), "{line}");
    let status = f.tmp.run(&["team", "status", "--json"]);
    status.ok();
    assert_eq!(status.json()["problems"][0]["line"], line.as_str());
    // The index still lists nothing: nothing was written.
    assert_eq!(
        skopeo_raw(&f.reg, &format!("payments/api:{tag}")),
        empty.as_bytes()
    );
    let now = at(3).clock.now();
    let check = tollgate::api::check(&f.ws, now, "api", "staging", &a).unwrap();
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
}

/// The fallback index of A as skopeo reads it: the digests it lists.
fn listed_by_skopeo(f: &SignedWorkspace, tag: &str) -> Vec<String> {
    let raw = skopeo_raw(&f.reg, &format!("payments/api:{tag}"));
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_string())
        .collect()
}

/// Another writer replaces the fallback index of A right after each write this desktop makes
/// (a proxy in front of the registry PUTs an empty index after every PUT of that tag, before
/// answering: the worst interleaving, every time). Publishing the approval gives up after
/// [`MAX_INDEX_ATTEMPTS`] rounds with one line; the approval counts here, marked unshared with
/// that line (`team status`); its artifact is in the registry but not listed. Once the other
/// writer stops, the next sync lists it, as skopeo reads the index.
#[test]
fn an_index_replaced_after_every_write_gives_up_bounded_and_the_next_sync_lists_it() {
    let (f, a, _alice, quinn) = qa_team("poison-contention");
    let proxy = FaultProxy::start(f.reg.port());
    let toml = std::fs::read_to_string(f.tmp.config())
        .unwrap()
        .replace(&f.reg.url(), &format!("http://{}", proxy.host()));
    let desktop = TempWorkspace::new(&toml);
    let ws = Workspace::load(&desktop.config(), None).unwrap();
    sync(&ws, &at(0));

    let tag = fallback_tag(&Digest::parse(&a).unwrap());
    let index = "application/vnd.oci.image.index.v1+json";
    let empty = format!(r#"{{"schemaVersion":2,"mediaType":"{index}","manifests":[]}}"#);
    proxy.overwrite_after_put(Some((
        &format!("/manifests/{tag}"),
        empty.clone().into_bytes(),
    )));

    let approval = approve_staging(&ws, &at(1), &quinn, &a);
    let share = approval.team.expect("sharing is on");
    assert!(!share.shared, "{share:?}");
    let line = share.unshared.clone().expect("a reason");
    assert!(
        line.contains(&format!(
            "kept being replaced by other writers ({MAX_INDEX_ATTEMPTS} attempts)"
        )),
        "{line}"
    );
    assert!(line.contains("run sync again"), "{line}");
    assert!(!line.contains('\n'), "one line: {line}");
    assert_eq!(
        proxy.overwrites(),
        MAX_INDEX_ATTEMPTS as usize,
        "one write per round, bounded"
    );
    // Pushed (skopeo reads it by digest), not listed.
    let artifact: serde_json::Value = serde_json::from_slice(&skopeo_raw(
        &f.reg,
        &format!("payments/api@{}", share.artifact),
    ))
    .unwrap();
    assert_eq!(artifact["subject"]["digest"], a.as_str());
    assert_eq!(listed_by_skopeo(&f, &tag), Vec::<String>::new());
    assert_eq!(
        skopeo_raw(&f.reg, &format!("payments/api:{tag}")),
        empty.as_bytes()
    );

    let status = desktop.run(&["team", "status", "--json"]);
    status.ok();
    let unshared = status.json()["unshared"].clone();
    assert_eq!(unshared.as_array().map(Vec::len), Some(1), "{unshared}");
    assert_eq!(unshared[0]["artifact"], share.artifact.as_str());
    assert_eq!(unshared[0]["reason"], line.as_str());
    let check = tollgate::api::check(&ws, at(2).clock.now(), "api", "staging", &a).unwrap();
    assert!(
        check.evaluation.passed,
        "counts here: {:?}",
        check.evaluation
    );

    proxy.overwrite_after_put(None);
    let report = sync(&ws, &at(3));
    assert_eq!(report.team.unshared_retried, 1, "{:?}", report.team);
    assert_eq!(listed_by_skopeo(&f, &tag), vec![share.artifact.clone()]);
    let status = desktop.run(&["team", "status", "--json"]);
    status.ok();
    assert_eq!(status.json()["unshared"], serde_json::json!([]));
}
