//! The `tollgate` binary end to end: its exit codes, its one-line errors, and that a failed
//! command writes nothing. Registry-backed flows are in `cli_registry.rs`.

use insta::assert_snapshot;
use tollgate_testsupport::snapshot::normalize;
use tollgate_testsupport::workspace::{toml_for, TempWorkspace};

const DIGEST: &str = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

fn workspace() -> TempWorkspace {
    TempWorkspace::new(&toml_for("http://127.0.0.1:9"))
}

#[test]
fn init_writes_a_starter_that_loads_and_never_overwrites() {
    let ws = TempWorkspace::empty();
    ws.run_bare(&["init"]).ok();
    let status = ws.run_bare(&["status", "--json"]);
    status.ok();
    let rows = status.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(3), "{rows}");
    assert!(rows[0]["digest"].is_null());
    let before = std::fs::read_to_string(ws.config()).unwrap();
    ws.run_bare(&["init"]).fails_with(2, &["already exists"]);
    assert_eq!(std::fs::read_to_string(ws.config()).unwrap(), before);
}

#[test]
fn unknown_key_in_tollgate_toml_names_key_and_line() {
    let text = toml_for("http://127.0.0.1:9")
        .replace("name = \"api\"", "name = \"api\"\ncolour = \"blue\"");
    let ws = TempWorkspace::new(&text);
    ws.run(&["status"]).fails_with(2, &["colour", "line 11"]);
    assert!(!ws.db().exists(), "nothing may be written");
}

#[test]
fn missing_workspace_file_says_how_to_make_one() {
    let ws = TempWorkspace::empty();
    let line = ws.run_bare(&["status"]).fails_with(2, &[]);
    assert_snapshot!(normalize(&line), @"error: cannot read workspace file tollgate.toml: No such file or directory (os error 2); run `tollgate init` to write one, or pass --config FILE");
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let ws = TempWorkspace::new(&toml_for("http://registry.example.com"));
    let line = ws.run(&["status"]).fails_with(2, &[]);
    assert_snapshot!(normalize(&line), @"error: registry 'local': url 'http://registry.example.com' uses plain http for a host that is not loopback (add insecure = true if you really mean it); write https://host[:port], http://127.0.0.1:PORT, or oci:PATH");
}

#[test]
fn record_refuses_bad_references_and_writes_nothing() {
    let ws = workspace();
    for (image, words) in [
        (
            "local/payments/api:v1".to_string(),
            vec!["has no digest", "tags are labels"],
        ),
        ("local/payments/api".to_string(), vec!["has no digest"]),
        (
            "local/payments/api@sha256:abc".to_string(),
            vec!["not a digest", "64"],
        ),
        (
            format!(
                "local/payments/api@{}",
                DIGEST.to_uppercase().replace("SHA256", "sha256")
            ),
            vec!["not a digest"],
        ),
        (
            format!("local/Payments/API@{DIGEST}"),
            vec!["not a repository"],
        ),
        (
            format!("other/payments/api@{DIGEST}"),
            vec!["'other' is neither a registry name nor the host of one"],
        ),
        (
            format!("local/other/api@{DIGEST}"),
            vec!["not a repository of app 'api'"],
        ),
    ] {
        ws.run(&["record", "--app", "api", "--env", "dev", "--image", &image])
            .fails_with(2, &words);
    }
    ws.run(&[
        "record",
        "--app",
        "api",
        "--env",
        "qa",
        "--image",
        &format!("local/payments/api@{DIGEST}"),
    ])
    .fails_with(2, &["no environment 'qa'", "dev, staging, production"]);
    ws.run(&[
        "record",
        "--app",
        "web",
        "--env",
        "dev",
        "--image",
        &format!("local/payments/api@{DIGEST}"),
    ])
    .fails_with(2, &["no app 'web'"]);
    ws.run(&[
        "record",
        "--app",
        "api",
        "--env",
        "dev",
        "--image",
        &format!("local/payments/api@{DIGEST}"),
        "--at",
        "yesterday",
    ])
    .fails_with(2, &["RFC 3339"]);
    assert_eq!(ws.event_count(), 0);
}

#[test]
fn usage_errors_are_one_line() {
    let ws = workspace();
    let line = ws.run(&["timeline"]).fails_with(2, &[]);
    assert_snapshot!(line, @"error: the following required arguments were not provided: --app <APP>; see `tollgate --help`");
    let line = ws.run(&["frobnicate"]).fails_with(2, &[]);
    assert_snapshot!(line, @"error: unrecognized subcommand 'frobnicate'; see `tollgate --help`");
}

#[test]
fn unreachable_registry_is_one_line_and_writes_nothing() {
    let ws = workspace();
    // The reason quotes the HTTP client and the OS: only what Tollgate says is checked.
    ws.run(&["sync"]).fails_with(1, &["127.0.0.1:9"]);
    assert_eq!(ws.event_count(), 0);
}
