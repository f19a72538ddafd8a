//! Editing tollgate.toml from the CLI against a real htpasswd `docker-registry` and the real
//! keychain: `tollgate registry add` stores credentials only once the registry accepted them
//! (an unreachable host or a wrong password stores and writes nothing), `tollgate logout`
//! removes them, `tollgate app add` / `tollgate approver add` keep the file's comments.

use tollgate::keychain::OsKeychain;
use tollgate::registry::has_stored_credentials;
use tollgate_testsupport::images::make_image;
use tollgate_testsupport::keys::other_public_key;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::skopeo::{push, skopeo_digest};
use tollgate_testsupport::workspace::{toml_for, TempWorkspace};

/// `tollgate registry add NAME URL --username ci --password-stdin` with `password`.
fn add(
    ws: &TempWorkspace,
    name: &str,
    url: &str,
    password: &str,
) -> tollgate_testsupport::workspace::Run {
    ws.run_with_stdin(
        &[
            "registry",
            "add",
            name,
            url,
            "--username",
            "ci",
            "--password-stdin",
        ],
        Some(password),
    )
}

fn stored(host: &str) -> bool {
    has_stored_credentials(host, &OsKeychain).unwrap()
}

#[test]
fn registry_add_stores_only_what_the_registry_accepted_and_logout_removes_it() {
    let local = TestRegistry::start();
    let ws = TempWorkspace::new(&format!("# keep me\n{}", toml_for(&local.url())));
    let before = std::fs::read_to_string(ws.config()).unwrap();

    // Nothing listens on port 9: refused, nothing stored, nothing written.
    add(&ws, "dead", "http://127.0.0.1:9", "pw\n").fails_with(1, &["nothing was stored"]);
    assert!(!stored("127.0.0.1:9"));
    assert_eq!(std::fs::read_to_string(ws.config()).unwrap(), before);

    // A real registry with htpasswd, and a wrong password: refused the same way.
    let reg = TestRegistry::start_with_auth("ci", "s3cret-pass");
    push(&make_image("edit-auth"), &reg, "team/web:dev");
    let wrong = add(&ws, "hub", &reg.url(), "wrong-pass\n");
    wrong.fails_with(1, &["nothing was stored"]);
    assert!(!stored(&reg.host()));
    assert_eq!(std::fs::read_to_string(ws.config()).unwrap(), before);

    // The right one: stored, and the registry is in the file after the first one, comments kept.
    let right = add(&ws, "hub", &reg.url(), "s3cret-pass\n");
    right.ok();
    assert!(!right.stdout.contains("s3cret-pass") && !right.stderr.contains("s3cret-pass"));
    assert!(right.stdout.contains("+name = \"hub\""), "{}", right.stdout);
    assert!(stored(&reg.host()));
    let after = std::fs::read_to_string(ws.config()).unwrap();
    assert!(after.starts_with("# keep me\n"), "{after}");
    assert!(
        after.contains(&format!(
            "\n[[registries]]\nname = \"hub\"\nurl = \"{}\"\n",
            reg.url()
        )),
        "{after}"
    );

    // An app in it, then sync reads its tag with the stored credentials.
    ws.run(&[
        "app",
        "add",
        "web",
        "--repository",
        "hub/team/web",
        "--env",
        "dev",
    ])
    .ok();
    ws.run(&["sync"]).ok();
    let status = ws.run(&["status", "--app", "web", "--json"]);
    status.ok();
    assert_eq!(
        status.json()[0]["digest"],
        skopeo_digest(&reg, "team/web:dev").as_str()
    );

    // Log out: the keychain entry is gone, and sync says it needs credentials again.
    let out = ws.run(&["logout", "hub"]);
    out.ok();
    assert!(
        out.stdout.contains("removed the credentials"),
        "{}",
        out.stdout
    );
    assert!(!stored(&reg.host()));
    ws.run(&["sync"]).fails_with(1, &["credentials"]);
    let again = ws.run(&["logout", "hub"]);
    again.ok();
    assert!(again.stdout.contains("no credentials"), "{}", again.stdout);
}

#[test]
fn approver_add_from_a_handed_over_key_dry_run_first() {
    let local = TestRegistry::start();
    let ws = TempWorkspace::new(&toml_for(&local.url()));
    let before = std::fs::read_to_string(ws.config()).unwrap();
    let key = other_public_key(ws.path(), "eve@example.com");
    let args = [
        "approver",
        "add",
        "--id",
        "eve@example.com",
        "--key",
        &key,
        "--role",
        "qa",
    ];

    let dry = ws.run(&[&args[..], &["--dry-run"]].concat());
    dry.ok();
    assert!(
        dry.stdout.contains("+id = \"eve@example.com\""),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("nothing was written"), "{}", dry.stdout);
    assert_eq!(std::fs::read_to_string(ws.config()).unwrap(), before);

    ws.run(&[
        "approver",
        "add",
        "--id",
        "mallory@example.com",
        "--key",
        "ssh-ed25519 nope",
    ])
    .fails_with(2, &["key"]);
    assert_eq!(std::fs::read_to_string(ws.config()).unwrap(), before);

    ws.run(&args).ok();
    let after = std::fs::read_to_string(ws.config()).unwrap();
    assert!(after.starts_with(&before), "appended at the end: {after}");
    assert!(
        after.ends_with(&format!(
            "\n[[approvers]]\nid = \"eve@example.com\"\nroles = [\"qa\"]\nkey = \"{key}\"\n"
        )),
        "{after}"
    );
    // The file still loads (any command reads it).
    ws.run(&["status"]).ok();
    ws.run(&args).fails_with(2, &["already in tollgate.toml"]);
}
