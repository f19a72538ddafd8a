//! The CLI against a real `docker-registry`: digests cross-checked with skopeo, drift made with
//! `skopeo copy`, credentials from the real keychain and the docker config, tampering.

use insta::assert_snapshot;
use tollgate_testsupport::images::make_image;
use tollgate_testsupport::proxy::FaultProxy;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::skopeo::{
    push, push_to_layout, skopeo_digest, skopeo_layout_digest, skopeo_raw, skopeo_retag,
};
use tollgate_testsupport::snapshot::normalize;
use tollgate_testsupport::workspace::{sqlite3_fails, toml_for, Run, TempWorkspace};

/// `tollgate record --app api --env ENV --image local/payments/api@DIGEST EXTRA...`
fn record(ws: &TempWorkspace, env: &str, digest: &str, extra: &[&str]) -> Run {
    let image = format!("local/payments/api@{digest}");
    let mut args = vec!["record", "--app", "api", "--env", env, "--image", &image];
    args.extend_from_slice(extra);
    ws.run(&args)
}

/// `tollgate login local --username ci --password-stdin`, with `stdin` as its input.
fn login(ws: &TempWorkspace, stdin: &str) -> Run {
    ws.run_with_stdin(
        &["login", "local", "--username", "ci", "--password-stdin"],
        Some(stdin),
    )
}

fn seg_vias(ws: &TempWorkspace, env: &str) -> Vec<(String, String)> {
    let tl = ws.run(&["timeline", "--app", "api", "--env", env, "--json"]);
    tl.ok();
    tl.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["digest"].as_str().unwrap().to_string(),
                s["via"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A registry with dev = image A and staging = image B in payments/api, nothing in production.
fn setup() -> (TestRegistry, TempWorkspace, String, String) {
    let reg = TestRegistry::start();
    push(&make_image("cli-a"), &reg, "payments/api:dev");
    push(&make_image("cli-b"), &reg, "payments/api:staging");
    let ws = TempWorkspace::new(&toml_for(&reg.url()));
    let a = skopeo_digest(&reg, "payments/api:dev");
    let b = skopeo_digest(&reg, "payments/api:staging");
    assert_ne!(a, b);
    (reg, ws, a, b)
}

#[test]
fn sync_reports_the_digests_skopeo_sees() {
    let (_reg, ws, a, b) = setup();
    let out = ws.run(&["sync"]);
    out.ok();
    assert_snapshot!(out.stdout, @"synced 3 tags: 0 moved, 1 missing, 2 new images read");
    let table = ws.run(&["status", "--wide"]);
    table.ok();
    // The test images' versions are 1.0.0-<6 hex of their content>.
    let versions = normalize(&table.stdout)
        .split("1.0.0-")
        .enumerate()
        .map(|(i, part)| match i {
            0 => part.to_string(),
            _ => format!("[VERSION]{}", &part[6..]),
        })
        .collect::<String>();
    assert_snapshot!(versions, @r"
        APP  ENV         TAG         DIGEST                                                                   VERSION       SINCE                    FLAGS
        api  dev         dev         sha256:[DIGEST]  [VERSION]  [TIME]
        api  staging     staging     sha256:[DIGEST]  [VERSION]  [TIME]
        api  production  production  (no tag)
    ");
    let st = ws.run(&["status", "--json"]);
    st.ok();
    let rows = st.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let by_env = |e: &str| rows.iter().find(|r| r["env"] == e).unwrap();
    assert_eq!(by_env("dev")["digest"], a.as_str());
    assert_eq!(by_env("staging")["digest"], b.as_str());
    assert!(
        by_env("production")["digest"].is_null(),
        "missing tag is null"
    );
    for r in rows {
        assert_eq!(r["drift"], false);
        for key in [
            "app",
            "env",
            "repository",
            "tag",
            "digest",
            "since",
            "drift",
        ] {
            assert!(r.get(key).is_some(), "status --json lacks {key}: {r}");
        }
    }
    assert_eq!(by_env("production")["repository"], "local/prod/api");
    assert_eq!(
        seg_vias(&ws, "dev"),
        vec![(a.clone(), "observed".to_string())]
    );
    let tl = ws.run(&["timeline", "--app", "api", "--json"]).json();
    for s in tl.as_array().unwrap() {
        for key in ["app", "env", "digest", "from", "until", "via", "actor"] {
            assert!(s.get(key).is_some(), "timeline --json lacks {key}: {s}");
        }
    }
    // A repeat sync with nothing changed adds observations but no segment.
    ws.run(&["sync"]).ok();
    assert_eq!(seg_vias(&ws, "dev").len(), 1);
    assert!(ws.run(&["verify"]).ok().stdout.contains("chain intact"));
}

#[test]
fn a_tag_moved_outside_tollgate_is_drift() {
    let (reg, ws, a, b) = setup();
    ws.run(&["sync"]).ok();
    skopeo_retag(&reg, "payments/api:dev", "payments/api:staging");
    assert_eq!(skopeo_digest(&reg, "payments/api:staging"), a);
    let out = ws.run(&["sync"]);
    out.fails_with(1, &["drift", "api staging", &a, &b]);
    let staging = ws.status_row("staging");
    assert_eq!(staging["drift"], true);
    assert_eq!(staging["digest"], a.as_str());
    // What ran there before the tag moved: what "Roll back to …" offers.
    assert_eq!(staging["drifted_from"], b.as_str());
    assert_eq!(ws.status_row("dev")["drift"], false);
    assert!(ws.status_row("dev").get("drifted_from").is_none());
    assert_eq!(
        seg_vias(&ws, "staging"),
        vec![(b, "observed".into()), (a.clone(), "drift".into())]
    );
    // Still drift on the next sync, until someone records (acknowledges) it.
    ws.run(&["sync"]).fails_with(1, &["drift"]);
    record(&ws, "staging", &a, &[]).ok();
    assert_eq!(ws.status_row("staging")["drift"], false);
    ws.run(&["sync"]).ok();
}

#[test]
fn a_recorded_deployment_explains_a_moved_tag() {
    let (reg, ws, a, b) = setup();
    ws.run(&["sync"]).ok();
    record(&ws, "staging", &a, &["--actor", "deployer@example.com"]).ok();
    // Recorded after the last sync: status says what the record says runs and who put it there,
    // not the digest the tag had when it was last read beside the record's actor.
    let row = ws.status_row("staging");
    assert_eq!(
        (&row["digest"], &row["via"], &row["actor"]),
        (
            &serde_json::json!(a),
            &serde_json::json!("record"),
            &serde_json::json!("deployer@example.com")
        )
    );
    skopeo_retag(&reg, "payments/api:dev", "payments/api:staging");
    ws.run(&["sync"]).ok();
    assert_eq!(ws.status_row("staging")["drift"], false);
    assert_eq!(ws.status_row("staging")["digest"], a.as_str());
    assert_eq!(
        seg_vias(&ws, "staging"),
        vec![(b, "observed".into()), (a, "record".into())]
    );
    let tl = ws
        .run(&["timeline", "--app", "api", "--env", "staging", "--json"])
        .json();
    assert_eq!(tl[1]["actor"], "deployer@example.com");
    assert_eq!(tl[0]["until"], tl[1]["from"]);
    assert!(tl[1]["until"].is_null());
}

#[test]
fn an_image_is_recorded_by_the_registry_host_as_docker_prints_it() {
    let (reg, ws, a, _b) = setup();
    ws.run(&["sync"]).ok();
    // `host:port/path:tag@digest`, as `docker inspect` prints a RepoDigest with its tag.
    let typed = format!("{}/payments/api:1.4@{a}", reg.host());
    ws.run(&[
        "record",
        "--app",
        "api",
        "--env",
        "staging",
        "--image",
        &typed,
        "--actor",
        "deployer@example.com",
    ])
    .ok();
    let tl = ws
        .run(&["timeline", "--app", "api", "--env", "staging", "--json"])
        .json();
    let last = tl.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["digest"].as_str(), last["via"].as_str()),
        (Some(a.as_str()), Some("record"))
    );
    // A host no registry has is one line naming the registries; nothing is written.
    let before = ws.event_count();
    let unknown = format!("registry.example.com/payments/api@{a}");
    ws.run(&[
        "record",
        "--app",
        "api",
        "--env",
        "staging",
        "--image",
        &unknown,
        "--actor",
        "deployer@example.com",
    ])
    .fails_with(
        2,
        &[
            "'registry.example.com' is neither a registry name nor the host",
            "names: local",
        ],
    );
    assert_eq!(ws.event_count(), before);
}

#[test]
fn record_refuses_a_digest_the_registry_does_not_have() {
    let (_reg, ws, _a, _b) = setup();
    let missing = format!("sha256:{}", "0".repeat(64));
    record(&ws, "dev", &missing, &[]).fails_with(1, &["no such", "check the repository path"]);
    assert_eq!(ws.event_count(), 0);
}

#[test]
fn a_registry_serving_altered_bytes_is_refused_and_nothing_is_written() {
    let (reg, _ws, a, b) = setup();
    // A real registry behind a proxy that swaps a manifest body for other bytes, keeping the
    // registry's Docker-Content-Digest header.
    let proxy = FaultProxy::start(reg.port());
    let ws = TempWorkspace::new(&toml_for(&format!("http://{}", proxy.host())));
    let altered = |digest: &str| {
        let mut bytes = skopeo_raw(&reg, &format!("payments/api@{digest}"));
        let at = bytes.len() - 2;
        bytes[at] = b' ';
        bytes
    };
    // First sync: a tag never seen is read with one GET by tag.
    proxy.replace_body("/manifests/dev", altered(&a), false);
    ws.run(&["sync"]).fails_with(1, &["does not match", &a]);
    assert_eq!(ws.event_count(), 0);

    // Repeat sync: a HEAD finds a new digest, whose manifest is then read by digest.
    let proxy = FaultProxy::start(reg.port());
    let clean = TempWorkspace::new(&toml_for(&format!("http://{}", proxy.host())));
    clean.run(&["sync"]).ok();
    let before = clean.event_count();
    push(&make_image("cli-c"), &reg, "payments/api:dev");
    let c = skopeo_digest(&reg, "payments/api:dev");
    assert_ne!(c, b);
    proxy.replace_body(&format!("/manifests/{c}"), altered(&c), false);
    clean.run(&["sync"]).fails_with(1, &["does not match", &c]);
    assert_eq!(clean.event_count(), before);
}

#[test]
fn an_oci_layout_with_an_altered_manifest_is_refused() {
    let ws = TempWorkspace::empty();
    let demo = ws.path().join("demo");
    ws.run_bare(&["demo", demo.to_str().unwrap(), "--without-signing"])
        .ok();
    let config = demo.join("tollgate.toml");
    let config = config.to_str().unwrap();
    // A new image arrives under the dev tag (the next sync reads its manifest), and its
    // manifest file is altered on disk.
    let layout = demo.join("registry/payments/api");
    push_to_layout(&make_image("layout-tamper"), &layout, "dev");
    let digest = skopeo_layout_digest(&layout, "dev");
    let blob = layout.join("blobs/sha256").join(&digest[7..]);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes.push(b' ');
    std::fs::write(&blob, bytes).unwrap();
    let count = || ws.run_bare(&["--config", config, "verify"]).stdout;
    let before = count();
    ws.run_bare(&["--config", config, "sync"])
        .fails_with(1, &["does not match"]);
    assert_eq!(count(), before, "nothing written");
}

#[test]
fn basic_auth_from_the_keychain_and_from_docker_config() {
    let reg = TestRegistry::start_with_auth("ci", "s3cret-pass");
    push(&make_image("cli-auth"), &reg, "payments/api:dev");
    let a = skopeo_digest(&reg, "payments/api:dev");
    let ws = TempWorkspace::new(&toml_for(&reg.url()));

    ws.run(&["sync"])
        .fails_with(1, &["credentials", "tollgate login"]);
    // Refused by the registry: nothing stored, so sync still has no credentials.
    login(&ws, "wrong-pass\n").fails_with(1, &["nothing was stored"]);
    ws.run(&["sync"]).fails_with(1, &["credentials"]);
    let right = login(&ws, "s3cret-pass\n");
    right.ok();
    assert!(!right.stdout.contains("s3cret-pass") && !right.stderr.contains("s3cret-pass"));
    ws.run(&["sync"]).ok();
    assert_eq!(ws.status_row("dev")["digest"], a.as_str());
    let db = std::fs::read(ws.db()).unwrap();
    assert!(
        !db.windows(11).any(|w| w == b"s3cret-pass"),
        "password in the database"
    );

    // The same registry through a docker config only (a fresh HOME, nothing in the keychain for it).
    let other = TestRegistry::start_with_auth("ci", "other-pass");
    push(&make_image("cli-auth"), &other, "payments/api:dev");
    let ws2 = TempWorkspace::new(&toml_for(&other.url()));
    let docker = ws2.path().join("home/.docker");
    std::fs::create_dir_all(&docker).unwrap();
    let auth = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"ci:other-pass");
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, other.host()),
    )
    .unwrap();
    ws2.run(&["sync"]).ok();
    assert_eq!(ws2.status_row("dev")["digest"], a.as_str());

    // A stopped test registry takes its stored login with it: its port will serve another test.
    let host = reg.host();
    assert!(
        tollgate::registry::has_stored_credentials(&host, &tollgate::keychain::OsKeychain).unwrap()
    );
    drop(reg);
    assert!(
        !tollgate::registry::has_stored_credentials(&host, &tollgate::keychain::OsKeychain)
            .unwrap()
    );
}

#[test]
fn login_refuses_empty_password() {
    let ws = TempWorkspace::new(&toml_for("http://127.0.0.1:9"));
    login(&ws, "").fails_with(2, &["empty"]);
    ws.run(&["login", "local", "--username", "ci"])
        .fails_with(2, &["--password-stdin"]);
}

#[test]
fn editing_or_deleting_a_row_with_sqlite3_is_named_by_verify() {
    let (_reg, ws, a, _b) = setup();
    ws.run(&["sync"]).ok();
    record(&ws, "staging", &a, &[]).ok();
    ws.run(&["verify"]).ok();
    // The trigger refuses edits through SQL...
    let refused = sqlite3_fails(&ws.db(), "UPDATE events SET actor='mallory' WHERE seq=4");
    assert!(refused.contains("append-only"), "{refused}");
    // ...so an attacker drops it first.
    ws.drop_append_only_triggers();
    ws.sqlite("UPDATE events SET actor='mallory' WHERE seq=4");
    // Two witnesses name it: the chain, and the record's signed message (signer ≠ actor).
    let edited = ws.run(&["verify"]);
    assert_eq!(edited.code, 1, "{}", edited.stderr);
    let lines: Vec<&str> = edited
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("error: ") && l.contains("event 4")),
        "{lines:?}"
    );
    assert!(
        lines[0].contains("history chain broken at event 4"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("says signer \"ci@example.com\", the event says \"mallory\""),
        "{lines:?}"
    );

    let (_reg2, ws2, _, _) = setup();
    ws2.run(&["sync"]).ok();
    ws2.run(&["sync"]).ok();
    ws2.drop_append_only_triggers();
    ws2.sqlite("DELETE FROM events WHERE seq=2");
    ws2.run(&["verify"]).fails_with(1, &["event 2"]);
}

#[test]
fn a_database_from_a_newer_tollgate_is_refused() {
    let (_reg, ws, _a, _b) = setup();
    ws.run(&["sync"]).ok();
    ws.sqlite("PRAGMA user_version = 999");
    ws.run(&["status"]).fails_with(1, &["newer"]);
    assert_eq!(ws.sqlite("PRAGMA user_version"), "999");
}
