//! Evidence: `[[checks]]` a policy requires, attested by the identities tollgate.toml allows,
//! against a real registry and the real OS keychain (run under `scripts/with-keychain.sh`). A
//! missing check refuses the promotion naming it; a pass from an identity the check does not
//! allow counts for nothing; a fail signed after a pass blocks until a later pass; the report
//! attached with `--file` is fetched back with `curl` (the blob by digest) and `skopeo` (the
//! artifact) and matches the signed sha256; `ssh-keygen -Y verify` accepts the check message;
//! an attestation made on one desktop opens the gate on another after its sync.

use std::process::{Command, Stdio};

use sha2::{Digest as _, Sha256};
use tollgate::api::{self, AttestRequest, Context};
use tollgate::config::Workspace;
use tollgate::domain::{Digest, EventKind};
use tollgate::policy::Rule;
use tollgate::signing::{self, CheckResult, NAMESPACE};
use tollgate::team::{fallback_tag, REPORT_ARTIFACT_TYPE};
use tollgate::Code;

use tollgate_testsupport::signed::{at, rt, t0, SignedWorkspace};
use tollgate_testsupport::skopeo::skopeo_raw;

const CHECKS: &str = "\n[[checks]]\nname = \"load-test\"\nsigners = [\"ci@example.com\"]\n\n[[checks]]\nname = \"security-review\"\nroles = [\"security\"]\n";

/// Image A in dev; staging requires `load-test` (by CI) and `security-review` (role security)
/// and no approval. Sam holds `security`, Dave `ops`.
fn fixture(name: &str) -> (SignedWorkspace, String, String, String) {
    let f = SignedWorkspace::builder(
        name,
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { checks = ["load-test", "security-review"] } }"#,
        ],
    )
    .image("dev", &format!("{name}-a"))
    .approver("sam", &["security"])
    .approver("dave", &["ops"])
    .extra_toml(CHECKS)
    .build();
    let a = f.digests[0].clone();
    let [sam, dave] = <[String; 2]>::try_from(f.approvers.clone()).unwrap();
    (f, a, sam, dave)
}

fn attest(
    ws: &Workspace,
    ctx: &Context,
    who: &str,
    digest: &str,
    check: &str,
    result: CheckResult,
) -> tollgate::Result<api::AttestReceipt> {
    rt().block_on(api::attest(
        ws,
        ctx,
        AttestRequest {
            app: "api".into(),
            digest: digest.into(),
            check: check.into(),
            result,
            summary: format!("{check} by {who}"),
            url: Some("https://ci.example.com/runs/42".into()),
            file: None,
            actor: Some(who.into()),
        },
    ))
}

/// The `checks` rules of the staging checklist of `digest` at `hours`: (passed, reason).
fn checks(ws: &Workspace, hours: i64, digest: &str) -> Vec<(bool, String)> {
    api::check(
        ws,
        t0() + chrono::Duration::hours(hours),
        "api",
        "staging",
        digest,
    )
    .unwrap()
    .evaluation
    .rules
    .iter()
    .filter(|r| r.rule == Rule::Checks)
    .map(|r| (r.passed, r.reason.clone()))
    .collect()
}

fn promote(ws: &Workspace, ctx: &Context, digest: &str) -> tollgate::Result<api::PromotionOutcome> {
    tollgate_testsupport::team::promote_staging(ws, ctx, digest, "ci@example.com")
}

#[test]
fn required_checks_gate_the_promotion_by_who_attested_and_in_signing_order() {
    let (f, a, sam, dave) = fixture("checks-gate");
    f.sync(&at(0));

    // Nothing attested: both checks missing, one refusal line each, the tag does not move.
    let rules = checks(&f.ws, 0, &a);
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert!(rules.iter().all(|(passed, _)| !passed));
    assert!(
        rules[0]
            .1
            .starts_with("load-test has no passing attestation"),
        "{}",
        rules[0].1
    );
    let e = promote(&f.ws, &at(0), &a).unwrap_err();
    assert_eq!(e.code, Code::Refused);
    let lines: Vec<&str> = e.message.lines().collect();
    assert_eq!(lines.len(), 2, "{}", e.message);
    assert!(
        lines[0].starts_with("checks: load-test has no passing attestation"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("checks: security-review has no passing attestation"),
        "{}",
        lines[1]
    );
    assert_eq!(f.tag("payments/api:staging"), None);

    // Dave (ops) may not attest the security review: refused, nothing signed.
    let e = attest(
        &f.ws,
        &at(1),
        &dave,
        &a,
        "security-review",
        CheckResult::Pass,
    )
    .unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(
        e.message.contains("may not attest check 'security-review'")
            && e.message.contains("role security"),
        "{}",
        e.message
    );
    let e = attest(&f.ws, &at(1), &sam, &a, "perf", CheckResult::Pass).unwrap_err();
    assert!(
        e.message.contains("no check 'perf'")
            && e.message.contains("declared: load-test, security-review"),
        "{}",
        e.message
    );

    // CI passes the load test, then fails it again later: the fail blocks.
    let pass = attest(
        &f.ws,
        &at(1),
        "ci@example.com",
        &a,
        "load-test",
        CheckResult::Pass,
    )
    .unwrap();
    assert_eq!(pass.event.kind, EventKind::Check);
    assert!(pass.attestation.verified, "{:?}", pass.attestation.problem);
    attest(
        &f.ws,
        &at(1),
        &sam,
        &a,
        "security-review",
        CheckResult::Pass,
    )
    .unwrap();
    let rules = checks(&f.ws, 1, &a);
    assert!(rules.iter().all(|(p, _)| *p), "{rules:?}");
    assert!(rules[1].1.contains(&format!("security-review passed: {sam} at 2026-11-02T10:00:00Z (https://ci.example.com/runs/42)")), "{}", rules[1].1);
    attest(
        &f.ws,
        &at(2),
        "ci@example.com",
        &a,
        "load-test",
        CheckResult::Fail,
    )
    .unwrap();
    let rules = checks(&f.ws, 2, &a);
    assert!(
        !rules[0].0
            && rules[0]
                .1
                .starts_with("load-test failed: ci@example.com at 2026-11-02T11:00:00Z"),
        "{}",
        rules[0].1
    );
    let e = promote(&f.ws, &at(2), &a).unwrap_err();
    assert_eq!(e.message.lines().count(), 1, "{}", e.message);
    assert!(
        e.message.starts_with("checks: load-test failed"),
        "{}",
        e.message
    );

    // Sam's review stops counting once tollgate.toml no longer lets the security role attest it.
    let changed = std::fs::read_to_string(f.tmp.config()).unwrap().replace(
        "name = \"security-review\"\nroles = [\"security\"]",
        "name = \"security-review\"\nsigners = [\"ci@example.com\"]",
    );
    std::fs::write(f.tmp.config(), changed).unwrap();
    let narrowed = Workspace::load(&f.tmp.config(), None).unwrap();
    let rules = checks(&narrowed, 2, &a);
    assert!(
        !rules[1].0
            && rules[1].1.contains(&format!(
                "{sam}'s does not count (may not attest security-review: ci@example.com)"
            )),
        "{}",
        rules[1].1
    );
    f.restore_config();

    // A later pass opens the gate; the promotion goes through.
    attest(
        &f.ws,
        &at(3),
        "ci@example.com",
        &a,
        "load-test",
        CheckResult::Pass,
    )
    .unwrap();
    assert!(checks(&f.ws, 3, &a).iter().all(|(p, _)| *p));
    promote(&f.ws, &at(3), &a).unwrap();
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));

    // verify checks every attestation's signature; the exports carry them and the evidence.
    f.tmp.run(&["verify"]).ok();
    let csv_path = f.tmp.path().join("audit.csv");
    f.tmp
        .run(&[
            "export",
            "--format",
            "csv",
            "--out",
            csv_path.to_str().unwrap(),
        ])
        .ok();
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let results: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| &r[col("kind")] == "check")
        .map(|r| (&r[col("check")], &r[col("result")]))
        .collect();
    assert_eq!(
        results,
        [
            ("load-test", "pass"),
            ("security-review", "pass"),
            ("load-test", "fail"),
            ("load-test", "pass")
        ]
    );
    let promotion = rows
        .iter()
        .find(|r| &r[col("kind")] == "promotion")
        .unwrap();
    let evidence = &promotion[col("evidence")];
    assert!(
        evidence.starts_with(
            "load-test pass by ci@example.com at 2026-11-02T12:00:00Z (message sha256 "
        ) && evidence.contains(&format!(
            "; security-review pass by {sam} at 2026-11-02T10:00:00Z"
        )),
        "{evidence}"
    );
    let json_path = f.tmp.path().join("audit.json");
    f.tmp
        .run(&[
            "export",
            "--format",
            "json",
            "--out",
            json_path.to_str().unwrap(),
        ])
        .ok();
    let verified = f.tmp.run(&[
        "verify",
        json_path.to_str().unwrap(),
        "--allow-unsealed",
        "--json",
    ]);
    verified.ok();
    let v = verified.json();
    assert!(v["problems"].as_array().unwrap().is_empty(), "{v}");
    // The four attestations and the promotion, each signature checked against tollgate.toml.
    assert_eq!(v["signed_events"], 5, "{v}");
    assert_eq!(v["event_signatures_verified"], 5, "{v}");
    let pdf_path = f.tmp.path().join("audit.pdf");
    f.tmp
        .run(&[
            "export",
            "--format",
            "pdf",
            "--out",
            pdf_path.to_str().unwrap(),
        ])
        .ok();
    // The documented shell recipe checks the attestations' signatures (CI's by the report's
    // [[signers]] lines) and finds the promotion's evidence as cited.
    let (code, said) = crate::export::recipe(&json_path);
    assert_eq!(code, 0, "{said}");
    let mut cites_other: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let promotion_seq = {
        let p = cites_other["events"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|e| e["kind"] == "promotion")
            .unwrap();
        p["data"]["evaluation"]["evidence"][0]["sha256"] = "0".repeat(64).into();
        p["seq"].clone()
    };
    let cites_path = f.tmp.path().join("cites-other.json");
    std::fs::write(&cites_path, cites_other.to_string()).unwrap();
    let (code, said) = crate::export::recipe(&cites_path);
    assert!(
        code == 1
            && said.contains(&format!(
                "event {promotion_seq}: the attestation it relied on (event "
            ))
            && said.contains("load-test pass by ci@example.com) is not in the report as cited"),
        "{said}"
    );
    // The report states who could attest each required check (sealed with the policies).
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let stated = &report["policies"]["api"]["staging"]["checks"];
    assert_eq!(stated[0]["name"], "load-test", "{stated}");
    assert_eq!(
        stated[0]["attesters"],
        serde_json::json!(["ci@example.com"])
    );
    assert_eq!(stated[1]["attesters"], serde_json::json!([sam]));

    // Under a policy where only the security role attests load-test, the promotion relied on
    // an attestation by someone it does not allow: verify names it, for the database and for a
    // report exported under that policy.
    let strict = std::fs::read_to_string(f.tmp.config()).unwrap().replace(
        "name = \"load-test\"\nsigners = [\"ci@example.com\"]",
        "name = \"load-test\"\nroles = [\"security\"]",
    );
    std::fs::write(f.tmp.config(), strict).unwrap();
    let needle = "ci@example.com may not attest load-test under the stated policy of staging (who may: role security)";
    let db = f.tmp.run(&["verify", "--json"]);
    let problems = db.json()["problems"].to_string();
    assert!(db.code == 1 && problems.contains(needle), "{problems}");
    let strict_path = f.tmp.path().join("strict.json");
    f.tmp
        .run(&[
            "export",
            "--format",
            "json",
            "--out",
            strict_path.to_str().unwrap(),
        ])
        .ok();
    let checked = f.tmp.run(&[
        "verify",
        strict_path.to_str().unwrap(),
        "--allow-unsealed",
        "--json",
    ]);
    let problems = checked.json()["problems"].to_string();
    assert!(checked.code == 1 && problems.contains(needle), "{problems}");
    f.restore_config();
}

#[test]
fn the_attached_report_is_fetched_back_and_the_check_message_verifies_with_ssh_keygen() {
    let (f, a, _sam, _dave) = fixture("checks-report");
    f.sync(&at(0));
    let report = f.tmp.path().join("k6-summary.json");
    let bytes = br#"{"p99_ms":180,"rps":2400,"errors":0}"#;
    std::fs::write(&report, bytes).unwrap();
    let out = f.tmp.run(&[
        "attest",
        "--app",
        "api",
        "--digest",
        &a,
        "--check",
        "load-test",
        "--result",
        "pass",
        "--summary",
        "p99 180 ms at 2x peak",
        "--url",
        "https://ci.example.com/runs/7",
        "--file",
        report.to_str().unwrap(),
        "--json",
    ]);
    out.ok();
    let receipt = out.json();
    let sha = hex::encode(Sha256::digest(bytes));
    let signed: serde_json::Value =
        serde_json::from_str(receipt["message"].as_str().unwrap()).unwrap();
    assert_eq!(signed["kind"], "tollgate.check");
    assert_eq!(signed["signer"], "ci@example.com");
    assert_eq!(signed["report"]["sha256"], sha.as_str());
    assert_eq!(signed["report"]["size"], bytes.len());
    assert_eq!(signed["report"]["media_type"], "application/json");
    assert_eq!(receipt["report"]["blob"], format!("sha256:{sha}"));

    // The file, fetched by an auditor with curl (the blob by digest), has the signed hash.
    let blob = Command::new("curl")
        .args([
            "-sfS",
            &format!("{}/v2/payments/api/blobs/sha256:{sha}", f.reg.url()),
        ])
        .output()
        .expect("curl is installed");
    assert!(
        blob.status.success(),
        "{}",
        String::from_utf8_lossy(&blob.stderr)
    );
    assert_eq!(hex::encode(Sha256::digest(&blob.stdout)), sha);
    // The artifact, read with skopeo: one layer (the file), about the image, listed among the
    // image's referrers (the fallback tag on this registry).
    let artifact = receipt["report"]["artifact"].as_str().unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&skopeo_raw(&f.reg, &format!("payments/api@{artifact}"))).unwrap();
    assert_eq!(manifest["artifactType"], REPORT_ARTIFACT_TYPE);
    assert_eq!(manifest["subject"]["digest"], a.as_str());
    assert_eq!(manifest["layers"][0]["digest"], format!("sha256:{sha}"));
    let tag = fallback_tag(&Digest::parse(&a).unwrap());
    let index: serde_json::Value =
        serde_json::from_slice(&skopeo_raw(&f.reg, &format!("payments/api:{tag}"))).unwrap();
    let types: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["artifactType"].as_str().unwrap_or_default())
        .collect();
    assert!(types.contains(&REPORT_ARTIFACT_TYPE), "{types:?}");
    assert!(
        types.contains(&"application/vnd.tollgate.check.v1+json"),
        "{types:?}"
    );
    // A sync reads the listing without calling the report a skipped or foreign referrer.
    let report_lines = f.sync(&at(0)).team.skipped;
    assert!(report_lines.is_empty(), "{report_lines:?}");

    // A teammate's desktop imports the attestation with its sync and saves the report it
    // names from the registry: the same bytes, checked against the signed sha256.
    // (The attestation was signed by the CLI now, so the teammate syncs now too.)
    let (other, _other_ws) = f.desktop();
    other.run(&["sync"]).ok();
    let saved = other.path().join("saved").join("k6.json");
    std::fs::create_dir_all(saved.parent().unwrap()).unwrap();
    let fetched = other
        .run(&[
            "fetch-report",
            "--app",
            "api",
            "--report",
            &format!("sha256:{sha}"),
            "--out",
            saved.to_str().unwrap(),
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(std::fs::read(&saved).unwrap(), bytes);
    assert_eq!(fetched["by"], "ci@example.com");
    assert_eq!(
        fetched["source"],
        format!("local/payments/api@sha256:{sha}")
    );
    // A hash no attestation names is refused, and nothing is written.
    let unknown = other.path().join("unknown.json");
    other
        .run(&[
            "fetch-report",
            "--app",
            "api",
            "--report",
            &"ab".repeat(32),
            "--out",
            unknown.to_str().unwrap(),
        ])
        .fails_with(
            1,
            &["no verified attestation of api names a report with sha256"],
        );
    assert!(!unknown.exists());

    // ssh-keygen -Y verify accepts the signed message for the listed key of ci@example.com.
    let ci = f.ws.config.identity("ci@example.com").unwrap();
    let key = signing::parse_approver_key(&ci).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("allowed_signers"),
        signing::allowed_signers_line("ci@example.com", &key).unwrap() + "\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("msg"), receipt["message"].as_str().unwrap()).unwrap();
    std::fs::write(
        dir.path().join("sig"),
        receipt["signature"].as_str().unwrap(),
    )
    .unwrap();
    let verify = |msg: &str| {
        Command::new("ssh-keygen")
            .args([
                "-Y",
                "verify",
                "-f",
                "allowed_signers",
                "-I",
                "ci@example.com",
            ])
            .args(["-n", NAMESPACE, "-s", "sig"])
            .current_dir(dir.path())
            .stdin(Stdio::from(
                std::fs::File::open(dir.path().join(msg)).unwrap(),
            ))
            .output()
            .expect("ssh-keygen (openssh-client) is installed")
    };
    let ok = verify("msg");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let altered = receipt["message"]
        .as_str()
        .unwrap()
        .replace("\"pass\"", "\"fail\"");
    std::fs::write(dir.path().join("altered"), altered).unwrap();
    assert!(
        !verify("altered").status.success(),
        "an altered result does not verify"
    );
}

#[test]
fn an_attestation_made_on_one_desktop_opens_the_gate_on_another_after_its_sync() {
    let (f, a, sam, _dave) = fixture("checks-team");
    let (_b_dir, b) = f.desktop();
    f.sync(&at(0));
    tollgate_testsupport::team::sync(&b, &at(0));
    attest(
        &b,
        &at(1),
        "ci@example.com",
        &a,
        "load-test",
        CheckResult::Pass,
    )
    .unwrap();
    let review = attest(&b, &at(1), &sam, &a, "security-review", CheckResult::Pass).unwrap();
    assert!(
        review.team.as_ref().is_some_and(|t| t.shared),
        "{:?}",
        review.team
    );
    assert!(
        checks(&f.ws, 1, &a).iter().all(|(p, _)| !p),
        "nothing on A before its sync"
    );
    let team = f.sync(&at(1)).team;
    assert_eq!(team.imported_checks, 2, "{:?}", team.skipped);
    let rules = checks(&f.ws, 1, &a);
    assert!(rules.iter().all(|(p, _)| *p), "{rules:?}");
    // The timeline shows the evidence on the stay of A that was running when it was signed.
    let segments = tollgate::api::timeline(&f.ws, "api", None).unwrap();
    let attested: Vec<_> = segments
        .iter()
        .filter(|s| s.digest.as_str() == a)
        .flat_map(|s| {
            s.checks
                .iter()
                .map(|c| (c.check.clone(), c.result.clone(), c.verified))
        })
        .collect();
    assert!(
        attested.contains(&("load-test".into(), "pass".into(), true))
            && attested.contains(&("security-review".into(), "pass".into(), true)),
        "{attested:?}"
    );
    promote(&f.ws, &at(1), &a).unwrap();
    // Synced again: nothing imported twice.
    let again = f.sync(&at(2)).team;
    assert_eq!(again.imported_checks, 0);
}

/// Push, over HTTP as another tool would, an artifact of `artifact_type` with one layer
/// `body` about image `subject` in `payments/api`; its index entry (as the fallback index lists
/// it).
fn push_foreign(
    f: &SignedWorkspace,
    subject: &serde_json::Value,
    artifact_type: &str,
    layer_type: &str,
    body: &[u8],
    created: &str,
) -> serde_json::Value {
    let reg = f.reg.client();
    rt().block_on(async {
        let empty = reg.push_blob("payments/api", b"{}").await.unwrap();
        let layer = reg.push_blob("payments/api", body).await.unwrap();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": artifact_type,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty.as_str(), "size": 2},
            "layers": [{"mediaType": layer_type, "digest": layer.as_str(), "size": body.len()}],
            "subject": subject,
            "annotations": {"org.opencontainers.image.created": created},
        });
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let d = reg
            .push_manifest_by_digest(
                "payments/api",
                &bytes,
                "application/vnd.oci.image.manifest.v1+json",
            )
            .await
            .unwrap();
        serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": d.as_str(),
            "size": bytes.len(),
            "artifactType": artifact_type,
            "annotations": {"org.opencontainers.image.created": created},
        })
    })
}

#[test]
fn what_others_attached_is_listed_as_not_verified_and_never_opens_the_gate() {
    let (f, a, _sam, _dave) = fixture("checks-others");
    f.sync(&at(0));
    let digest = Digest::parse(&a).unwrap();
    let image = rt()
        .block_on(f.reg.client().fetch_manifest("payments/api", &digest))
        .unwrap();
    let subject =
        serde_json::json!({"mediaType": image.media_type, "digest": a, "size": image.bytes.len()});
    // A cosign signature and an SPDX SBOM, listed in the fallback tag as cosign and oras do on
    // a registry without the referrers API (docker-registry 2.8).
    let sig = push_foreign(
        &f,
        &subject,
        "application/vnd.dev.cosign.artifact.sig.v1+json",
        "application/vnd.dev.cosign.simplesigning.v1+json",
        br#"{"critical":{"image":{"docker-manifest-digest":"x"}}}"#,
        "2026-11-02T08:00:00Z",
    );
    let sbom = push_foreign(
        &f,
        &subject,
        "application/spdx+json",
        "application/spdx+json",
        br#"{"spdxVersion":"SPDX-2.3","name":"api"}"#,
        "2026-11-02T08:30:00Z",
    );
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [sig, sbom],
    });
    rt().block_on(f.reg.client().push_manifest(
        "payments/api",
        &fallback_tag(&digest),
        &serde_json::to_vec(&index).unwrap(),
        "application/vnd.oci.image.index.v1+json",
    ))
    .unwrap();

    let others = rt()
        .block_on(api::referrers(&f.ws, &at(0), "api", &a))
        .unwrap();
    assert!(others.problems.is_empty(), "{:?}", others.problems);
    let seen: Vec<(&str, u64, Option<String>, bool)> = others
        .referrers
        .iter()
        .map(|r| {
            (
                r.artifact_type.as_str(),
                r.size,
                r.created.map(|t| t.to_rfc3339()),
                r.verified,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "application/vnd.dev.cosign.artifact.sig.v1+json",
                sig["size"].as_u64().unwrap(),
                Some("2026-11-02T08:00:00+00:00".to_string()),
                false
            ),
            (
                "application/spdx+json",
                sbom["size"].as_u64().unwrap(),
                Some("2026-11-02T08:30:00+00:00".to_string()),
                false
            ),
        ]
    );
    // Tollgate's own attestation joins the same index and is not among "others"; the others
    // stay listed, and open no gate.
    attest(
        &f.ws,
        &at(1),
        "ci@example.com",
        &a,
        "load-test",
        CheckResult::Pass,
    )
    .unwrap();
    let others = rt()
        .block_on(api::referrers(&f.ws, &at(1), "api", &a))
        .unwrap();
    assert_eq!(others.referrers.len(), 2, "{:?}", others.referrers);
    let rules = checks(&f.ws, 1, &a);
    assert!(rules[0].0 && !rules[1].0, "{rules:?}");
}
