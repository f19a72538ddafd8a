//! The core's own sentences that the UI tests show (checklist reasons), written by the core
//! itself into `ui/src/lib/bindings/sentences.json` by `cargo test -p tollgate-app
//! export_bindings`, so the UI fixtures cannot drift from the core's wording again
//! (`scripts/check-bindings.sh` fails when the committed file is stale).

use std::collections::BTreeMap;
use std::path::PathBuf;

use tollgate::config::Workspace;
use tollgate::domain::{Digest, EventKind, NewEvent};

/// api moves dev → staging; staging needs one approval from the qa role.
const WORKSPACE: &str = r#"
[workspace]
name = "payments"
database = "history.db"

[[registries]]
name = "local"
url = "http://127.0.0.1:5000"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [
  { name = "dev", tag = "dev" },
  { name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } },
]

[[approvers]]
id = "quinn@example.com"
roles = ["qa"]
key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKdmpnWmwS2BK13iCWqOr0QeNYShiC8+BwUlgbvLMSmP quinn@example.com"
"#;

/// Each rule's reason for a digest in dev that nobody approved yet, by rule name.
fn unapproved_reasons() -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tollgate.toml");
    std::fs::write(&file, WORKSPACE).unwrap();
    let ws = Workspace::load(&file, None).unwrap();
    let at = tollgate::domain::parse_time("2026-11-01T08:00:00Z").unwrap();
    let digest = Digest::of(b"api build 1");
    tollgate::store::Store::open(&ws.db_path)
        .unwrap()
        .append(vec![NewEvent {
            at,
            kind: EventKind::Record,
            app: "api".into(),
            env: "dev".into(),
            digest: Some(digest.clone()),
            actor: Some("ci".into()),
            data: serde_json::json!({}),
        }])
        .unwrap();
    let check = tollgate::api::check(
        &ws,
        at + chrono::Duration::hours(1),
        "api",
        "staging",
        &digest.to_string(),
    )
    .unwrap();
    let value = serde_json::to_value(&check.evaluation).unwrap();
    value["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "TS_RS_EXPORT_DIR says where the bindings go"
)]
fn export_bindings_sentences() {
    let reasons = unapproved_reasons();
    let json = serde_json::json!({ "unapproved": reasons });
    let dir =
        PathBuf::from(std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| "./bindings".into()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
    std::fs::write(dir.join("sentences.json"), text).unwrap();
}

/// The two sentences the UI's promote fixtures show.
#[test]
fn the_ui_fixture_sentences_are_the_cores() {
    let reasons = unapproved_reasons();
    assert_eq!(reasons["approvals"], "needs 1 distinct approver, has none");
    assert_eq!(
        reasons["roles"],
        "needs an approval from each of qa; missing qa"
    );
}
