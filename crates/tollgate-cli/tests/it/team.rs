//! Team history in the registry, the transport: event artifacts published to and discovered in
//! a real `docker-registry` (distribution 2.8: no referrers API, so the fallback tag), checked
//! with `skopeo`, `curl` and `ssh-keygen -Y verify`.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Barrier};

use chrono::{TimeZone, Utc};
use tollgate::domain::Digest;
use tollgate::keychain::MemoryKeychain;
use tollgate::registry::{Credentials, Registry};
use tollgate::store::{Store, TeamArtifact};
use tollgate::team::{
    fallback_tag, ArtifactKind, Descriptor, Entry, Publish, Published, Seen, Source, TeamEvent,
    TeamRegistry,
};

use tollgate_testsupport::docs::fenced_block;
use tollgate_testsupport::images::make_image;
use tollgate_testsupport::process::run;
use tollgate_testsupport::proxy::FaultProxy;
use tollgate_testsupport::registry::{fast_options, TestRegistry};
use tollgate_testsupport::signed::rt;
use tollgate_testsupport::skopeo::{push, skopeo_digest, skopeo_raw};

const REPO: &str = "payments/api";
/// The same repository as the history names it (`<registry name>/<path>`).
const STORE_REPO: &str = "local/payments/api";

/// An image pushed as `payments/api:dev`, as a subject descriptor (digest, size and media type
/// as skopeo reads them).
fn subject(reg: &TestRegistry, content: &str) -> Descriptor {
    push(&make_image(content), reg, &format!("{REPO}:dev"));
    let digest = skopeo_digest(reg, &format!("{REPO}:dev"));
    let raw = skopeo_raw(reg, &format!("{REPO}@{digest}"));
    // umoci's manifests carry no mediaType field: an OCI config makes it an OCI manifest.
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    let media_type = match v["mediaType"].as_str() {
        Some(m) => m.to_string(),
        None => {
            assert_eq!(
                v["config"]["mediaType"],
                "application/vnd.oci.image.config.v1+json"
            );
            "application/vnd.oci.image.manifest.v1+json".to_string()
        }
    };
    Descriptor {
        media_type,
        digest: Digest::parse(&digest).unwrap(),
        size: raw.len() as u64,
    }
}

/// A signer with a fresh key in a memory keychain.
struct Signer {
    id: String,
    public_key: String,
    keys: MemoryKeychain,
}

impl Signer {
    fn new(id: &str) -> Self {
        let keys = MemoryKeychain::default();
        let info = tollgate::signing::generate_key(id, &keys).unwrap();
        Signer {
            id: id.into(),
            public_key: info.public_key,
            keys,
        }
    }

    /// An event of `kind` about `subject` whose message is `note`, signed.
    fn event(&self, kind: ArtifactKind, subject: &Descriptor, note: &str) -> TeamEvent {
        let message = format!(
            r#"{{"kind":"tollgate.{}","note":"{note}","subject":"{}"}}"#,
            kind.as_str(),
            subject.digest
        )
        .into_bytes();
        let signature = tollgate::signing::sign(&self.id, &message, &self.keys).unwrap();
        TeamEvent {
            kind,
            message,
            signature,
            subject: subject.clone(),
            created: Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap(),
            annotations: BTreeMap::from([
                ("dev.tollgate.app".to_string(), "api".to_string()),
                ("dev.tollgate.signer".to_string(), self.id.clone()),
            ]),
        }
    }
}

fn team(client: Registry) -> TeamRegistry {
    TeamRegistry::new(client).unwrap()
}

fn shared(p: Publish) -> Published {
    match p {
        Publish::Shared(p) => p,
        Publish::Denied(d) => panic!("denied: {}", d.line),
    }
}

/// `e` published to [`REPO`], which must share it.
fn publish(rt: &tokio::runtime::Runtime, t: &TeamRegistry, e: &TeamEvent) -> Published {
    shared(rt.block_on(t.publish(REPO, e)).unwrap())
}

/// The fallback index as skopeo reads it: its media type and `(digest, artifactType)` of each entry.
fn index_by_skopeo(reg: &TestRegistry, subject: &Digest) -> (String, Vec<(String, String)>) {
    let raw = skopeo_raw(reg, &format!("{REPO}:{}", fallback_tag(subject)));
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    let entries = v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["digest"].as_str().unwrap().to_string(),
                m["artifactType"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (v["mediaType"].as_str().unwrap().to_string(), entries)
}

fn curl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("curl")
        .args(["-sS", "--fail"])
        .args(args)
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// PUT manifest bytes with curl (outside Tollgate) under `reference`.
fn curl_put_manifest(reg: &TestRegistry, reference: &str, media_type: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.json");
    std::fs::write(&file, bytes).unwrap();
    curl(&[
        "-X",
        "PUT",
        "-H",
        &format!("Content-Type: {media_type}"),
        "--data-binary",
        &format!("@{}", file.display()),
        &format!("{}/v2/{REPO}/manifests/{reference}", reg.url()),
    ]);
}

fn entry(p: &Published, kind: ArtifactKind) -> Entry {
    Entry {
        digest: p.artifact.clone(),
        size: p.size,
        media_type: tollgate::registry::OCI_MANIFEST.into(),
        artifact_type: Some(kind.artifact_type()),
        annotations: BTreeMap::new(),
    }
}

/// Two artifacts published for one digest are both in its fallback index, which skopeo reads
/// as an OCI index whose entries carry their artifactType; discovery lists both; publishing the
/// same event again adds nothing.
#[test]
fn two_artifacts_for_one_digest_are_both_listed_in_the_fallback_index() {
    let reg = TestRegistry::start();
    let subject = subject(&reg, "team-two");
    let alice = Signer::new("alice@example.com");
    let t = team(reg.client());
    let rt = rt();
    let approval = alice.event(ArtifactKind::Approval, &subject, "ok");
    let promotion = alice.event(ArtifactKind::Promotion, &subject, "promoted");
    let a = publish(&rt, &t, &approval);
    let b = publish(&rt, &t, &promotion);
    assert_eq!(
        t.knows_api(REPO),
        Some(false),
        "distribution 2.8 has no referrers API"
    );
    assert_ne!(a.artifact, b.artifact);
    let (media_type, entries) = index_by_skopeo(&reg, &subject.digest);
    assert_eq!(media_type, "application/vnd.oci.image.index.v1+json");
    assert_eq!(
        entries,
        vec![
            (
                a.artifact.to_string(),
                "application/vnd.tollgate.approval.v1+json".to_string()
            ),
            (
                b.artifact.to_string(),
                "application/vnd.tollgate.promotion.v1+json".to_string()
            ),
        ]
    );
    // The artifact as skopeo reads it: the contract's shape.
    let raw = skopeo_raw(&reg, &format!("{REPO}@{}", a.artifact));
    let m: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        m["artifactType"],
        "application/vnd.tollgate.approval.v1+json"
    );
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    assert_eq!(
        m["config"]["digest"],
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    assert_eq!(
        m["layers"][1]["mediaType"],
        "application/vnd.tollgate.sshsig.v1"
    );
    assert_eq!(m["subject"]["digest"], subject.digest.as_str());
    assert_eq!(m["subject"]["size"], subject.size);
    assert_eq!(
        m["annotations"]["org.opencontainers.image.created"],
        "2026-12-01T12:00:00.000Z"
    );

    let found = rt
        .block_on(t.pull(REPO, &subject.digest, &Seen::default()))
        .unwrap();
    assert_eq!(found.referrers.source, Source::FallbackTag);
    assert!(found.skipped.is_empty(), "{:?}", found.skipped);
    let got: Vec<(&Digest, &[u8])> = found
        .fetched
        .iter()
        .map(|f| (&f.manifest.digest, f.message.as_slice()))
        .collect();
    assert_eq!(
        got,
        vec![
            (&a.artifact, approval.message.as_slice()),
            (&b.artifact, promotion.message.as_slice())
        ]
    );
    assert_eq!(found.fetched[0].signature, approval.signature);

    let again = publish(&rt, &t, &approval);
    assert_eq!(again.artifact, a.artifact);
    assert!(again.fallback.unwrap().added.is_empty());
    assert_eq!(index_by_skopeo(&reg, &subject.digest).1.len(), 2);
}

/// The signed message layer and the signature layer fetched with curl verify with stock
/// `ssh-keygen -Y verify` against the signer's allowed_signers line: the
/// recipe of docs/src/team/working-as-a-team.md.
#[test]
fn the_signed_layer_fetched_with_curl_verifies_with_ssh_keygen() {
    let reg = TestRegistry::start();
    let subject = subject(&reg, "team-curl");
    let alice = Signer::new("alice@example.com");
    let t = team(reg.client());
    let rt = rt();
    let p = publish(
        &rt,
        &t,
        &alice.event(ArtifactKind::Approval, &subject, "curl"),
    );
    let dir = tempfile::tempdir().unwrap();
    let index = curl(&[
        "-H",
        "Accept: application/vnd.oci.image.index.v1+json",
        &format!(
            "{}/v2/{REPO}/manifests/sha256-{}",
            reg.url(),
            subject.digest.hex()
        ),
    ]);
    let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
    assert_eq!(index["manifests"][0]["digest"], p.artifact.as_str());
    let manifest = curl(&[
        "-H",
        "Accept: application/vnd.oci.image.manifest.v1+json",
        &format!("{}/v2/{REPO}/manifests/{}", reg.url(), p.artifact),
    ]);
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let blob = |i: usize, name: &str| {
        let digest = manifest["layers"][i]["digest"].as_str().unwrap();
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            curl(&[&format!("{}/v2/{REPO}/blobs/{digest}", reg.url())]),
        )
        .unwrap();
        path
    };
    let msg = blob(0, "msg");
    let sig = blob(1, "msg.sig");
    let allowed = dir.path().join("allowed_signers");
    std::fs::write(
        &allowed,
        format!(
            "{} namespaces=\"tollgate-approval\" {}\n",
            alice.id, alice.public_key
        ),
    )
    .unwrap();
    let verify = |file: &std::path::Path| {
        Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&allowed)
            .args(["-I", &alice.id, "-n", "tollgate-approval", "-s"])
            .arg(&sig)
            .stdin(std::fs::File::open(file).unwrap())
            .output()
            .unwrap()
    };
    let out = verify(&msg);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And ssh-keygen tells an altered message apart.
    let altered = dir.path().join("altered");
    let mut bytes = std::fs::read(&msg).unwrap();
    bytes[2] ^= 1;
    std::fs::write(&altered, bytes).unwrap();
    assert!(!verify(&altered).status.success());
}

/// Two desktops publish to the same fallback index at the same moment (two threads, two
/// clients). Each reads back and retries until its entry is there; if the other's later write
/// still lost one, `ensure_listed` with both known artifacts puts it back. Both end up listed,
/// as skopeo reads the index.
#[test]
fn concurrent_publishing_ends_with_both_listed_after_a_re_add_pass() {
    let reg = TestRegistry::start();
    let subject = subject(&reg, "team-race");
    let signers = [
        Signer::new("alice@example.com"),
        Signer::new("quinn@example.com"),
    ];
    let events: Vec<TeamEvent> = signers
        .iter()
        .map(|s| s.event(ArtifactKind::Approval, &subject, &s.id))
        .collect();
    let barrier = Arc::new(Barrier::new(2));
    let published: Vec<Published> = std::thread::scope(|scope| {
        let handles: Vec<_> = events
            .iter()
            .map(|e| {
                let (barrier, client) = (barrier.clone(), reg.client());
                scope.spawn(move || {
                    let t = team(client);
                    let rt = rt();
                    barrier.wait();
                    publish(&rt, &t, e)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let known: Vec<Entry> = published
        .iter()
        .map(|p| entry(p, ArtifactKind::Approval))
        .collect();
    let t = team(reg.client());
    let rt = rt();
    rt.block_on(t.ensure_listed(REPO, &subject.digest, &known))
        .unwrap();
    let mut listed: Vec<String> = index_by_skopeo(&reg, &subject.digest)
        .1
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    listed.sort();
    let mut want: Vec<String> = published.iter().map(|p| p.artifact.to_string()).collect();
    want.sort();
    assert_eq!(listed, want);
    // Nothing missing now: no write.
    assert_eq!(
        rt.block_on(t.ensure_listed(REPO, &subject.digest, &known))
            .unwrap(),
        None
    );
}

/// A fallback index that lost an entry (another writer's index replaced it: planted here with
/// curl) is reported against what the history knows, not read as "nothing else exists";
/// `ensure_listed` puts the entry back; then an unchanged index costs one request (a HEAD).
#[test]
fn a_shrunk_index_is_reported_and_re_added_and_an_unchanged_one_costs_one_request() {
    let reg = TestRegistry::start();
    let subject = subject(&reg, "team-shrink");
    let alice = Signer::new("alice@example.com");
    let t = team(reg.client());
    let rt = rt();
    let a = publish(&rt, &t, &alice.event(ArtifactKind::Approval, &subject, "a"));
    let b = publish(
        &rt,
        &t,
        &alice.event(ArtifactKind::Deployment, &subject, "b"),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    for (p, kind) in [(&a, "approval"), (&b, "deployment")] {
        store
            .put_team_artifact(&TeamArtifact {
                digest: p.artifact.clone(),
                subject: subject.digest.clone(),
                repository: STORE_REPO.into(),
                kind: kind.into(),
                size: p.size,
                shared: true,
                event_seq: None,
                imported: Some(false),
            })
            .unwrap();
    }
    store
        .set_team_index_digest(
            STORE_REPO,
            &subject.digest,
            Some(&b.fallback.as_ref().unwrap().index),
        )
        .unwrap();

    // Another writer's index, which lists only `a`.
    let tag = fallback_tag(&subject.digest);
    let raw = skopeo_raw(&reg, &format!("{REPO}:{tag}"));
    let mut v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    v["manifests"]
        .as_array_mut()
        .unwrap()
        .retain(|m| m["digest"] == a.artifact.as_str());
    curl_put_manifest(
        &reg,
        &tag,
        "application/vnd.oci.image.index.v1+json",
        &serde_json::to_vec(&v).unwrap(),
    );

    let seen = store
        .team_seen(STORE_REPO, &subject.digest, &Digest::of(b"ids"))
        .unwrap();
    let found = rt
        .block_on(t.discover(REPO, &subject.digest, &seen))
        .unwrap();
    assert!(!found.unchanged);
    assert_eq!(found.lost, vec![b.artifact.clone()]);
    let line = found.lost_line(REPO, &subject.digest).unwrap();
    assert!(
        line.contains("no longer list 1 event") && line.contains(b.artifact.short()),
        "{line}"
    );
    assert!(!line.contains('\n'));

    let known = vec![
        entry(&a, ArtifactKind::Approval),
        entry(&b, ArtifactKind::Deployment),
    ];
    let w = rt
        .block_on(t.ensure_listed(REPO, &subject.digest, &known))
        .unwrap()
        .unwrap();
    assert_eq!(w.added, vec![b.artifact.clone()]);
    assert_eq!(index_by_skopeo(&reg, &subject.digest).1.len(), 2);
    store
        .set_team_index_digest(STORE_REPO, &subject.digest, Some(&w.index))
        .unwrap();

    // Through a counting proxy: the unchanged index is one HEAD, after the one-time probe.
    let proxy = FaultProxy::start(reg.port());
    let t = team(proxy.client(Credentials::Anonymous, fast_options()));
    let seen = store
        .team_seen(STORE_REPO, &subject.digest, &Digest::of(b"ids"))
        .unwrap();
    let first = rt
        .block_on(t.discover(REPO, &subject.digest, &seen))
        .unwrap();
    assert!(first.unchanged && first.lost.is_empty());
    proxy.clear_requests();
    let second = rt
        .block_on(t.discover(REPO, &subject.digest, &seen))
        .unwrap();
    assert!(second.unchanged);
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].0, "HEAD");
    assert!(requests[0].1.ends_with(&tag), "{requests:?}");
}

/// A fallback index holding, besides a real Tollgate artifact, another tool's referrer (a
/// cosign-like artifactType) and a manifest with Tollgate's artifactType but one layer: both
/// are skipped and named, the real one is fetched.
#[test]
fn planted_foreign_and_malformed_referrers_are_skipped_and_named() {
    let reg = TestRegistry::start();
    let subject = subject(&reg, "team-planted");
    let alice = Signer::new("alice@example.com");
    let t = team(reg.client());
    let rt = rt();
    let real = publish(
        &rt,
        &t,
        &alice.event(ArtifactKind::Approval, &subject, "real"),
    );
    let raw_real = skopeo_raw(&reg, &format!("{REPO}@{}", real.artifact));
    let mut foreign: serde_json::Value = serde_json::from_slice(&raw_real).unwrap();
    foreign["artifactType"] = "application/vnd.dev.cosign.artifact.sig.v1+json".into();
    let mut malformed: serde_json::Value = serde_json::from_slice(&raw_real).unwrap();
    malformed["layers"].as_array_mut().unwrap().truncate(1);
    let tag = fallback_tag(&subject.digest);
    let mut index: serde_json::Value =
        serde_json::from_slice(&skopeo_raw(&reg, &format!("{REPO}:{tag}"))).unwrap();
    let mut planted = Vec::new();
    for m in [&foreign, &malformed] {
        let bytes = serde_json::to_vec(m).unwrap();
        let digest = Digest::of(&bytes);
        curl_put_manifest(
            &reg,
            digest.as_str(),
            "application/vnd.oci.image.manifest.v1+json",
            &bytes,
        );
        index["manifests"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest.as_str(), "size": bytes.len(), "artifactType": m["artifactType"],
            }));
        planted.push(digest.to_string());
    }
    curl_put_manifest(
        &reg,
        &tag,
        "application/vnd.oci.image.index.v1+json",
        &serde_json::to_vec(&index).unwrap(),
    );

    let pulled = rt
        .block_on(t.pull(REPO, &subject.digest, &Seen::default()))
        .unwrap();
    assert_eq!(pulled.fetched.len(), 1);
    assert_eq!(pulled.fetched[0].manifest.digest, real.artifact);
    let lines: Vec<String> = pulled.skipped.iter().map(|s| s.line(REPO)).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains(&planted[0]) && lines[0].contains("not a Tollgate one"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains(&planted[1]) && lines[1].contains("1 layers, not 2"),
        "{lines:?}"
    );
    // A later publish keeps the other tool's entry in the index.
    publish(
        &rt,
        &t,
        &alice.event(ArtifactKind::Rollback, &subject, "later"),
    );
    let listed: Vec<String> = index_by_skopeo(&reg, &subject.digest)
        .1
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    assert!(
        listed.contains(&planted[0]) && listed.len() == 4,
        "{listed:?}"
    );
}

/// A user the token service grants pull only: publishing answers `Denied` with one line naming
/// the registry and the right to ask for, nothing is listed, and the same user still discovers;
/// once push is granted, the same event is shared.
#[test]
fn a_read_only_user_gets_the_denied_answer_and_shares_once_granted() {
    let reg = TestRegistry::start_with_token_auth("carol", "team-pw");
    let subject = subject(&reg, "team-denied");
    let alice = Signer::new("alice@example.com");
    let event = alice.event(ArtifactKind::Approval, &subject, "denied");
    reg.set_push_denied(true);
    let t = team(reg.client());
    let rt = rt();
    let denied = match rt.block_on(t.publish(REPO, &event)).unwrap() {
        Publish::Denied(d) => d,
        Publish::Shared(p) => panic!("a read-only user published {}", p.artifact),
    };
    assert_eq!(denied.registry, reg.host());
    assert_eq!(denied.repository, REPO);
    assert!(
        denied.line.contains(&reg.host())
            && denied.line.contains("push rights on payments/api")
            && !denied.line.contains('\n'),
        "{}",
        denied.line
    );
    let found = rt
        .block_on(t.discover(REPO, &subject.digest, &Seen::default()))
        .unwrap();
    assert!(found.listing.entries.is_empty() && found.index_digest.is_none());

    reg.set_push_denied(false);
    let t = team(reg.client());
    let p = publish(&rt, &t, &event);
    let found = rt
        .block_on(t.discover(REPO, &subject.digest, &Seen::default()))
        .unwrap();
    assert_eq!(found.listing.entries.len(), 1);
    assert_eq!(found.listing.entries[0].digest, p.artifact);
}

/// An OCI layout folder is not a place for team sharing: one clear line.
#[test]
fn an_oci_layout_is_not_supported_for_team_sharing() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Registry::open(
        &tollgate::config::RegistryLocation::Layout {
            root: dir.path().to_path_buf(),
        },
        Credentials::Anonymous,
    )
    .unwrap();
    let e = TeamRegistry::new(layout).err().unwrap();
    assert!(
        e.message.contains("not supported for team sharing"),
        "{}",
        e.message
    );
    let _ = run;
}

/// The "Check it without Tollgate" recipe of docs/src/team/working-as-a-team.md, between its
/// marker comments, run with bash
/// against two approvals and a promotion published for one digest: both approvals verify; with
/// one approval's message layer altered in storage, the recipe fails.
#[test]
fn the_readme_recipe_verifies_published_approvals() {
    let mut reg = TestRegistry::start();
    let subject = subject(&reg, "team-recipe");
    let alice = Signer::new("alice@example.com");
    let t = team(reg.client());
    let rt = rt();
    let first = alice.event(ArtifactKind::Approval, &subject, "one");
    for e in [
        &first,
        &alice.event(ArtifactKind::Approval, &subject, "two"),
        &alice.event(ArtifactKind::Promotion, &subject, "promoted"),
    ] {
        publish(&rt, &t, e);
    }
    let script = fenced_block(
        "docs/src/team/working-as-a-team.md",
        "<!-- team-recipe:begin -->",
        "<!-- team-recipe:end -->",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("recipe.sh"), &script).unwrap();
    let host = reg.host();
    let run_recipe = || {
        Command::new("bash")
            .arg("recipe.sh")
            .current_dir(dir.path())
            .env("REG", &host)
            .env("REPO", REPO)
            .env("DIGEST", subject.digest.as_str())
            .env("SIGNER", &alice.id)
            .env("KEY", &alice.public_key)
            .env("TLS", "--tls-verify=false")
            .env("SCHEME", "http")
            .output()
            .unwrap()
    };
    let out = run_recipe();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let said = format!("{stdout}{stderr}");
    assert_eq!(
        said.matches("Good \"tollgate-approval\" signature for alice@example.com")
            .count(),
        2,
        "{said}"
    );
    assert_eq!(
        stdout.matches("application/vnd.tollgate.").count(),
        3,
        "{stdout}"
    );

    // The registry now serves other bytes for the first approval's message layer.
    let mut altered = first.message.clone();
    altered[2] ^= 1;
    reg.tamper(Digest::of(&first.message).as_str(), &altered);
    let out = run_recipe();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("FAILED"), "{said}");
}

/// Publishing writes the fallback tag `sha256-<hex>` into the app's repository; a sync of the
/// workspace before and after sees no drift and observes environment tags only,
/// and a tollgate.toml naming a `sha256-` tag as an environment tag is refused with its line.
#[test]
fn fallback_tags_are_never_environment_tags_nor_drift() {
    use tollgate_testsupport::workspace::{toml_for, TempWorkspace};
    let reg = TestRegistry::start();
    let subject = subject(&reg, "team-sync");
    let ws = TempWorkspace::new(&toml_for(&reg.url()));
    ws.run(&["sync"]).ok();
    let alice = Signer::new("alice@example.com");
    let t = team(reg.client());
    let rt = rt();
    publish(&rt, &t, &alice.event(ArtifactKind::Approval, &subject, "s"));
    // The fallback tag is there (skopeo reads it as an index).
    let (media_type, _) = index_by_skopeo(&reg, &subject.digest);
    assert_eq!(media_type, "application/vnd.oci.image.index.v1+json");
    ws.run(&["sync"]).ok();
    // What sync observed after the publish: the environment tags only, and no drift.
    let observed = ws.sqlite(
        "SELECT DISTINCT json_extract(data, '$.tag') FROM events WHERE kind = 'observation' ORDER BY 1",
    );
    assert_eq!(observed.trim(), "dev\nproduction\nstaging", "{observed}");
    assert_eq!(
        ws.sqlite("SELECT count(*) FROM events WHERE kind = 'drift'")
            .trim(),
        "0"
    );
    let status = ws.run(&["status", "--json"]).ok().json();
    assert!(
        status
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["drift"] == false),
        "{status}"
    );

    let bad = TempWorkspace::new(&toml_for(&reg.url()).replace(
        r#"tag = "staging""#,
        &format!(r#"tag = "{}""#, fallback_tag(&subject.digest)),
    ));
    let msg = bad
        .run(&["sync"])
        .fails_with(2, &["sha256-", "line 14", "never environment tags"]);
    assert!(!msg.trim().contains('\n'), "{msg}");
}

/// An artifact whose manifest was deleted from the registry (an admin, garbage collection)
/// makes distribution refuse every index that still lists it. Publishing another event then
/// leaves that entry out, names it in `dropped`, and lists the rest; re-adding it is skipped the
/// same way instead of failing.
#[test]
fn an_entry_whose_manifest_is_gone_is_left_out_and_named() {
    let reg = TestRegistry::start();
    let subject = subject(&reg, "team-gone");
    let alice = Signer::new("alice@example.com");
    let t = team(reg.client());
    let rt = rt();
    let a = publish(&rt, &t, &alice.event(ArtifactKind::Approval, &subject, "a"));
    let b = publish(&rt, &t, &alice.event(ArtifactKind::Approval, &subject, "b"));
    curl(&[
        "-X",
        "DELETE",
        &format!("{}/v2/{REPO}/manifests/{}", reg.url(), b.artifact),
    ]);
    let c = publish(
        &rt,
        &t,
        &alice.event(ArtifactKind::Promotion, &subject, "c"),
    );
    let w = c.fallback.unwrap();
    assert_eq!(w.dropped, vec![b.artifact.clone()]);
    assert_eq!(w.added, vec![c.artifact.clone()]);
    let listed: Vec<String> = index_by_skopeo(&reg, &subject.digest)
        .1
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    assert_eq!(listed, vec![a.artifact.to_string(), c.artifact.to_string()]);
    let known = vec![
        entry(&a, ArtifactKind::Approval),
        entry(&b, ArtifactKind::Approval),
    ];
    let again = rt
        .block_on(t.ensure_listed(REPO, &subject.digest, &known))
        .unwrap()
        .expect("b was missing");
    assert_eq!(again.dropped, vec![b.artifact.clone()]);
    assert!(again.added.is_empty());
    assert_eq!(index_by_skopeo(&reg, &subject.digest).1.len(), 2);
}

/// Layers are read with size caps and checked against their digests: an artifact whose message
/// layer the registry now serves altered, and one whose message layer is over 64 KiB, are
/// skipped and named; the intact one is fetched.
#[test]
fn altered_and_oversized_layers_are_skipped_and_named() {
    let mut reg = TestRegistry::start();
    let subject = subject(&reg, "team-layers");
    let alice = Signer::new("alice@example.com");
    let t = team(reg.client());
    let rt = rt();
    let intact = publish(
        &rt,
        &t,
        &alice.event(ArtifactKind::Approval, &subject, "intact"),
    );
    let altered_event = alice.event(ArtifactKind::Approval, &subject, "altered");
    let altered = publish(&rt, &t, &altered_event);

    // A Tollgate-typed artifact whose message layer is a real 70,000-byte blob.
    let big = vec![b'x'; 70_000];
    let big_digest = rt.block_on(reg.client().push_blob(REPO, &big)).unwrap();
    let mut oversized: serde_json::Value =
        serde_json::from_slice(&skopeo_raw(&reg, &format!("{REPO}@{}", intact.artifact))).unwrap();
    oversized["layers"][0]["digest"] = big_digest.as_str().into();
    oversized["layers"][0]["size"] = 70_000.into();
    let bytes = serde_json::to_vec(&oversized).unwrap();
    let oversized_digest = Digest::of(&bytes);
    curl_put_manifest(
        &reg,
        oversized_digest.as_str(),
        "application/vnd.oci.image.manifest.v1+json",
        &bytes,
    );
    let entry = Entry {
        digest: oversized_digest.clone(),
        size: bytes.len() as u64,
        media_type: tollgate::registry::OCI_MANIFEST.into(),
        artifact_type: Some(ArtifactKind::Approval.artifact_type()),
        annotations: BTreeMap::new(),
    };
    rt.block_on(t.ensure_listed(REPO, &subject.digest, &[entry]))
        .unwrap()
        .unwrap();

    let mut message = altered_event.message.clone();
    message[3] ^= 1;
    reg.tamper(Digest::of(&altered_event.message).as_str(), &message);
    let t = team(reg.client());
    let pulled = rt
        .block_on(t.pull(REPO, &subject.digest, &Seen::default()))
        .unwrap();
    assert_eq!(pulled.fetched.len(), 1);
    assert_eq!(pulled.fetched[0].manifest.digest, intact.artifact);
    let lines: Vec<String> = pulled.skipped.iter().map(|s| s.line(REPO)).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let about = |d: &Digest| {
        lines
            .iter()
            .find(|l| l.contains(d.as_str()))
            .unwrap_or_else(|| panic!("{d} not named: {lines:?}"))
    };
    assert!(
        about(&altered.artifact).contains("its message layer"),
        "{lines:?}"
    );
    assert!(about(&oversized_digest).contains("over 65536"), "{lines:?}");
}
