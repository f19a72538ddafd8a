//! `tollgate diff` (and the diff in `check`, in the promotion event and in the PDF) against a
//! real `docker-registry`: images built with `umoci` that differ in config (user to root,
//! environment variable names, ports, entrypoint, volumes, labels with source, revision,
//! version and base), in layers (shared and added), and multi-arch indexes with a platform
//! added, pushed with `skopeo`. No environment variable value ever reaches the output.

use std::path::{Path, PathBuf};
use std::process::Command;

use insta::assert_snapshot;
use sha2::{Digest as _, Sha256};

use tollgate_testsupport::process::run;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::skopeo::skopeo_digest;
use tollgate_testsupport::snapshot::normalize;
use tollgate_testsupport::workspace::{Run, TempWorkspace};

/// Env values the images carry: none may appear in any output.
const SECRETS: [&str; 2] = ["hunter2-never-shown", "old-secret-value"];

const REV_OLD: &str = "aaa1111111111111111111111111111111111111";
const REV_NEW: &str = "bbb2222222222222222222222222222222222222";

/// An OCI layout made with umoci, holding tags `cur` and `cand` (sharing one layer) and
/// `arm` (for the index).
struct Images {
    dir: tempfile::TempDir,
}

impl Images {
    fn layout(&self) -> PathBuf {
        self.dir.path().join("oci")
    }

    fn image(&self, tag: &str) -> String {
        format!("{}:{tag}", self.layout().display())
    }

    fn insert(&self, tag: &str, name: &str, content: &str) {
        let file = self.dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        run(Command::new("umoci")
            .args(["insert", "--image", &self.image(tag)])
            .arg(&file)
            .arg(format!("/{name}")));
    }

    fn config(&self, tag: &str, args: &[&str]) {
        run(Command::new("umoci")
            .args(["config", "--image", &self.image(tag)])
            .args(args));
    }

    fn tag(&self, from: &str, to: &str) {
        run(Command::new("umoci").args(["tag", "--image", &self.image(from), to]));
    }

    fn build() -> Images {
        let images = Images {
            dir: tempfile::tempdir().unwrap(),
        };
        run(Command::new("umoci")
            .args(["init", "--layout"])
            .arg(images.layout()));
        run(Command::new("umoci").args(["new", "--image", &images.image("base")]));
        images.insert("base", "shared", "a layer both images have");
        for t in ["cur", "cand", "arm"] {
            images.tag("base", t);
        }
        let labels = |rev: &str, version: &str, base: &str| {
            vec![
                format!("--config.label=org.opencontainers.image.revision={rev}"),
                format!("--config.label=org.opencontainers.image.version={version}"),
                "--config.label=org.opencontainers.image.source=https://github.com/acme/api.git"
                    .to_string(),
                "--config.label=org.opencontainers.image.base.name=docker.io/library/debian:12"
                    .to_string(),
                format!("--config.label=org.opencontainers.image.base.digest=sha256:{base}"),
            ]
        };
        images.insert("cur", "app", "version one");
        let mut cur = vec![
            "--created=2026-11-01T10:00:00Z",
            "--architecture=amd64",
            "--os=linux",
            "--config.user=app",
            "--config.env=PATH=/usr/bin",
            "--config.env=OLD_TOKEN=old-secret-value",
            "--config.entrypoint=/app",
            "--config.exposedports=8080/tcp",
            "--config.volume=/data",
            "--config.label=team=payments",
            "--config.label=gone=soon",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        cur.extend(labels(REV_OLD, "1.0.0", &"a".repeat(64)));
        images.config("cur", &cur.iter().map(String::as_str).collect::<Vec<_>>());

        images.insert("cand", "app", "version two");
        images.insert("cand", "extra", "a layer only the candidate has");
        let mut cand = vec![
            "--created=2026-11-02T10:00:00Z",
            "--architecture=amd64",
            "--os=linux",
            "--config.user=0",
            "--config.env=PATH=/usr/bin",
            "--config.env=DB_PASSWORD=hunter2-never-shown",
            "--config.entrypoint=/app",
            "--config.entrypoint=--debug",
            "--config.exposedports=8080/tcp",
            "--config.exposedports=22/tcp",
            "--config.label=team=payments-core",
            "--config.label=new=yes",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        cand.extend(labels(REV_NEW, "1.1.0", &"b".repeat(64)));
        images.config("cand", &cand.iter().map(String::as_str).collect::<Vec<_>>());

        images.insert("arm", "app", "version two");
        let mut arm = vec![
            "--created=2026-11-02T10:00:00Z",
            "--architecture=arm64",
            "--os=linux",
            "--config.user=app",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        arm.extend(labels(REV_NEW, "1.1.0", &"b".repeat(64)));
        images.config("arm", &arm.iter().map(String::as_str).collect::<Vec<_>>());
        run(Command::new("umoci")
            .args(["gc", "--layout"])
            .arg(images.layout()));
        images
    }

    /// The manifest descriptor of `tag` in the layout's index.json.
    fn descriptor(&self, tag: &str) -> serde_json::Value {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.layout().join("index.json")).unwrap())
                .unwrap();
        let mut d = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
            .unwrap()
            .clone();
        d.as_object_mut().unwrap().remove("annotations");
        d
    }

    /// Write an OCI index over `(tag, arch)` entries as tag `name` of the layout.
    fn index(&self, name: &str, entries: &[(&str, &str)]) {
        let manifests: Vec<serde_json::Value> = entries
            .iter()
            .map(|(tag, arch)| {
                let mut d = self.descriptor(tag);
                d["platform"] = serde_json::json!({"os": "linux", "architecture": arch});
                d
            })
            .collect();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        }))
        .unwrap();
        let hex = hex(&Sha256::digest(&index));
        std::fs::write(self.layout().join("blobs/sha256").join(&hex), &index).unwrap();
        let path = self.layout().join("index.json");
        let mut top: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        top["manifests"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": format!("sha256:{hex}"),
                "size": index.len(),
                "annotations": {"org.opencontainers.image.ref.name": name},
            }));
        std::fs::write(&path, serde_json::to_vec(&top).unwrap()).unwrap();
    }

    fn push(&self, tag: &str, registry: &TestRegistry, repo_tag: &str) {
        run(Command::new("skopeo")
            .args([
                "copy",
                "--quiet",
                "--all",
                "--preserve-digests",
                "--dest-tls-verify=false",
            ])
            .arg(format!("oci:{}", self.image(tag)))
            .arg(format!("docker://{}/{repo_tag}", registry.host())));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn toml(registry: &TestRegistry) -> String {
    format!(
        r#"[workspace]
name = "diff"
database = "tollgate.db"

[[registries]]
name = "local"
url = "{}"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [{{ name = "dev", tag = "dev" }}, {{ name = "staging", tag = "staging" }}, {{ name = "production", tag = "production" }}]

[[apps]]
name = "multi"
repository = "local/payments/multi"
environments = [{{ name = "dev", tag = "dev" }}, {{ name = "staging", tag = "staging" }}]
{}"#,
        registry.url(),
        tollgate_testsupport::keys::ci_signers_toml()
    )
}

/// A registry with api dev = cand, staging = cur; multi dev = index(amd64 cand, arm64),
/// staging = index(amd64 cur); synced.
fn setup() -> (TestRegistry, TempWorkspace, Images) {
    let reg = TestRegistry::start();
    let images = Images::build();
    images.push("cur", &reg, "payments/api:staging");
    images.push("cand", &reg, "payments/api:dev");
    images.index("multi-cur", &[("cur", "amd64")]);
    images.index("multi-cand", &[("cand", "amd64"), ("arm", "arm64")]);
    images.push("multi-cur", &reg, "payments/multi:staging");
    images.push("multi-cand", &reg, "payments/multi:dev");
    let ws = TempWorkspace::new(&toml(&reg));
    ws.run(&["sync"]).ok();
    (reg, ws, images)
}

fn no_secrets(out: &Run) {
    for s in SECRETS {
        assert!(!out.stdout.contains(s), "{s} in stdout: {}", out.stdout);
        assert!(!out.stderr.contains(s), "{s} in stderr: {}", out.stderr);
    }
}

fn flag_codes(diff: &serde_json::Value) -> Vec<String> {
    diff["risk_flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn strings(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn diff_names_every_change_and_never_an_env_value() {
    let (reg, ws, _images) = setup();
    let cand = skopeo_digest(&reg, "payments/api:dev");
    let cur = skopeo_digest(&reg, "payments/api:staging");
    let out = ws.run(&["diff", "--app", "api", "--to", "staging", "--json"]);
    out.ok();
    no_secrets(&out);
    let d = out.json();
    assert_eq!(
        d["candidate"]["digest"],
        cand.as_str(),
        "the candidate is what dev runs"
    );
    assert_eq!(d["current"]["digest"], cur.as_str());
    assert_eq!(d["first_deployment"], false);
    assert_eq!(d["source"]["from_revision"], REV_OLD);
    assert_eq!(d["source"]["to_revision"], REV_NEW);
    assert_eq!(d["source"]["forge"], "github");
    assert_eq!(
        d["source"]["compare_url"],
        format!("https://github.com/acme/api/compare/{REV_OLD}...{REV_NEW}")
    );
    assert_eq!(d["version"]["from"], "1.0.0");
    assert_eq!(d["version"]["to"], "1.1.0");
    assert_eq!(d["created"]["built_before_current"], false);
    assert_eq!(d["base"]["changed"], true);
    assert_eq!(d["base"]["to_digest"], format!("sha256:{}", "b".repeat(64)));
    // umoci's base layer is empty; shared: the "shared" layer; cur adds app v1, cand app v2 + extra.
    assert_eq!(d["layers"]["shared"], 1, "{}", d["layers"]);
    assert_eq!(d["layers"]["added"], 2);
    assert_eq!(d["layers"]["removed"], 1);
    let size_change = d["layers"]["size_change"].as_i64().unwrap();
    assert_eq!(
        size_change,
        d["layers"]["size_to"].as_i64().unwrap() - d["layers"]["size_from"].as_i64().unwrap()
    );
    assert!(size_change > 0);
    let r = &d["runtime"];
    assert_eq!(r["user"]["from"], "app");
    assert_eq!(r["user"]["to"], "0");
    assert_eq!(strings(&r["entrypoint"]["to"]), ["/app", "--debug"]);
    assert_eq!(r["entrypoint"]["changed"], true);
    assert_eq!(strings(&r["exposed_ports"]["added"]), ["22/tcp"]);
    assert_eq!(strings(&r["env_names"]["added"]), ["DB_PASSWORD"]);
    assert_eq!(strings(&r["env_names"]["removed"]), ["OLD_TOKEN"]);
    assert_eq!(strings(&r["volumes"]["removed"]), ["/data"]);
    let keys = |k: &str| -> Vec<String> {
        r["labels"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys("added"), ["new"]);
    assert_eq!(keys("removed"), ["gone"]);
    assert!(keys("changed").contains(&"team".to_string()));
    assert_eq!(
        flag_codes(&d),
        [
            "user_root",
            "base_changed",
            "entrypoint_changed",
            "ports_changed",
            "env_names_changed",
            "volumes_changed"
        ]
    );

    // The text form says the same, values never.
    let text = ws.run(&["diff", "--app", "api", "--to", "staging"]);
    text.ok();
    no_secrets(&text);
    assert!(text.stdout.contains(REV_NEW), "{}", text.stdout);
    // The layers' sizes depend on how this run's tar layers were compressed.
    let shown: Vec<String> = (normalize(&text.stdout).lines())
        .map(|l| match l.split_once(", size ") {
            Some((head, _)) if l.trim_start().starts_with("layers") => {
                format!("{head}, size [SIZES]")
            }
            _ => l.to_string(),
        })
        .collect();
    assert_snapshot!(shown.join("\n"), @r"
        api staging: sha256:[DIGEST] replaces sha256:[DIGEST]
          RISK user_root            runs as root now: user app → 0
          RISK base_changed         base image changed: docker.io/library/debian:12@sha256:[DIGEST] → docker.io/library/debian:12@sha256:[DIGEST]
          RISK entrypoint_changed   entrypoint [/app] → [/app --debug]
          RISK ports_changed        exposed ports: added 22/tcp
          RISK env_names_changed    environment variables: added DB_PASSWORD; removed OLD_TOKEN
          RISK volumes_changed      volumes: removed /data
          source     https://github.com/acme/api  aaa1111111111111111111111111111111111111 → bbb2222222222222222222222222222222222222
          compare    https://github.com/acme/api/compare/aaa1111111111111111111111111111111111111...bbb2222222222222222222222222222222222222
          version    1.0.0 → 1.1.0
          created    [TIME] → [TIME]
          base       docker.io/library/debian:12@sha256:[DIGEST] → docker.io/library/debian:12@sha256:[DIGEST]
          platforms  linux/amd64
          layers     linux/amd64: 1 shared, 2 added, 1 removed, size [SIZES]
          config of  linux/amd64
          user       app → 0
          entrypoint [/app] → [/app --debug]
          cmd        (not set) (unchanged)
          ports      +22/tcp
          env names  +DB_PASSWORD -OLD_TOKEN  (values are never shown)
          volumes    -/data
          labels     +new -gone ~org.opencontainers.image.base.digest ~org.opencontainers.image.revision ~org.opencontainers.image.version ~team
    ");

    // Explicitly the other way round: a rollback-like move to the older build.
    let back = ws.run(&[
        "diff", "--app", "api", "--to", "dev", "--digest", &cur, "--json",
    ]);
    back.ok();
    no_secrets(&back);
    let b = back.json();
    assert!(flag_codes(&b).contains(&"built_before_current".to_string()));
    assert!(!flag_codes(&b).contains(&"user_root".to_string()));
}

#[test]
fn an_index_is_compared_per_platform_and_a_new_platform_is_added() {
    let (reg, ws, _images) = setup();
    let out = ws.run(&["diff", "--app", "multi", "--to", "staging", "--json"]);
    out.ok();
    no_secrets(&out);
    let d = out.json();
    assert_eq!(strings(&d["platforms"]["added"]), ["linux/arm64"]);
    assert!(d["platforms"]["removed"].as_array().unwrap().is_empty());
    assert_eq!(strings(&d["platforms"]["compared"]), ["linux/amd64"]);
    assert_eq!(
        strings(&d["candidate"]["platforms"]),
        ["linux/amd64", "linux/arm64"]
    );
    assert_eq!(d["platform"], "linux/amd64");
    assert_eq!(d["runtime"]["user"]["to"], "0");
    assert!(flag_codes(&d).contains(&"user_root".to_string()));

    // The other way: arm64 would be dropped.
    let staging = skopeo_digest(&reg, "payments/multi:staging");
    let down = ws.run(&[
        "diff", "--app", "multi", "--to", "dev", "--digest", &staging, "--json",
    ]);
    down.ok();
    let d = down.json();
    assert_eq!(strings(&d["platforms"]["removed"]), ["linux/arm64"]);
    assert!(flag_codes(&d).contains(&"platform_removed".to_string()));
}

#[test]
fn first_deployment_and_clear_errors() {
    let (reg, ws, _images) = setup();
    let cand = skopeo_digest(&reg, "payments/api:dev");
    let out = ws.run(&[
        "diff",
        "--app",
        "api",
        "--to",
        "production",
        "--digest",
        &cand,
        "--json",
    ]);
    out.ok();
    let d = out.json();
    assert_eq!(d["first_deployment"], true);
    assert!(d["current"].is_null());
    assert_eq!(flag_codes(&d), ["first_deployment"]);
    // Without --digest, production's candidate is what staging runs.
    let staged = ws.run(&["diff", "--app", "api", "--to", "production", "--json"]);
    staged.ok();
    assert_eq!(
        staged.json()["candidate"]["digest"],
        skopeo_digest(&reg, "payments/api:staging").as_str()
    );

    ws.run(&["diff", "--app", "nope", "--to", "staging"])
        .fails_with(2, &["no app 'nope'"]);
    ws.run(&["diff", "--app", "api", "--to", "qa"])
        .fails_with(2, &["no environment 'qa'"]);
    ws.run(&["diff", "--app", "api", "--to", "dev"])
        .fails_with(2, &["first environment", "--digest"]);
    ws.run(&[
        "diff",
        "--app",
        "api",
        "--to",
        "staging",
        "--digest",
        "sha256:12",
    ])
    .fails_with(2, &["not a digest"]);
    let unknown = format!("sha256:{}", "e".repeat(64));
    ws.run(&[
        "diff", "--app", "api", "--to", "staging", "--digest", &unknown,
    ])
    .fails_with(1, &[&unknown, "is not in", "local/payments/api"]);
}

#[test]
fn check_shows_the_diff_and_the_promotion_keeps_its_summary_for_the_pdf() {
    let (reg, ws, _images) = setup();
    let cand = skopeo_digest(&reg, "payments/api:dev");
    let check = ws.run(&[
        "check", "--app", "api", "--to", "staging", "--digest", &cand, "--json",
    ]);
    no_secrets(&check);
    let c = check.json();
    assert_eq!(
        c["digest"],
        cand.as_str(),
        "the checklist's fields are still there"
    );
    assert!(c["evaluation"]["rules"].is_array());
    assert_eq!(c["diff"]["source"]["to_revision"], REV_NEW);
    assert!(flag_codes(&c["diff"]).contains(&"user_root".to_string()));
    let text = ws.run(&[
        "check", "--app", "api", "--to", "staging", "--digest", &cand,
    ]);
    assert!(text.stdout.contains("release diff"), "{}", text.stdout);
    assert!(text.stdout.contains("RISK user_root"), "{}", text.stdout);

    ws.run(&[
        "promote", "--app", "api", "--to", "staging", "--digest", &cand,
    ])
    .ok();
    let data: serde_json::Value = serde_json::from_str(
        &ws.sqlite("SELECT data FROM events WHERE kind = 'promotion' ORDER BY seq DESC LIMIT 1"),
    )
    .unwrap();
    assert_eq!(data["diff"]["from_revision"], REV_OLD);
    assert_eq!(data["diff"]["to_revision"], REV_NEW);
    let codes: Vec<&str> = data["diff"]["risk_flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"user_root"), "{data}");
    assert!(!data.to_string().contains(SECRETS[0]));
    // The signed message gains nothing.
    assert!(!data["message"].as_str().unwrap().contains("risk"));
    ws.run(&["verify"]).ok();

    let pdf = ws.path().join("audit.pdf");
    ws.run(&["export", "--format", "pdf", "--out", pdf.to_str().unwrap()])
        .ok();
    let text = pdf_text(&pdf);
    let flat: String = text.split_whitespace().collect();
    assert!(
        flat.contains(&format!("revisions{REV_OLD}→{REV_NEW}")),
        "{text}"
    );
    assert!(flat.contains("RISKuser_root"), "{text}");
    for s in SECRETS {
        assert!(!text.contains(s));
    }
}

fn pdf_text(pdf: &Path) -> String {
    run(Command::new("pdftotext").arg(pdf).arg("-"))
}
