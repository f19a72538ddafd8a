use std::path::{Path, PathBuf};

use super::*;
use crate::config::test_key;

/// A workspace file with comments in every place a person puts them.
const FILE: &str = r#"# Our workspace. Keep this comment.
[workspace]
name = "payments"
database = "history.db"   # next to this file

# The registry CI pushes to.
[[registries]]
name = "local"
url = "http://127.0.0.1:5000"  # loopback: plain http is fine

[[apps]]
name = "api"
repository = "local/payments/api"   # registry/path
environments = [
  { name = "dev",        tag = "dev" },
  { name = "production", tag = "production" },
]

# People who approve.
[[approvers]]
id = "alice@example.com"
roles = ["qa"]
key = "KEY1"
# Trailing comment.
"#;

fn file(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("tollgate.toml");
    let text = FILE.replace("KEY1", &test_key(1, "alice@example.com"));
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

/// Every line of `before` is in `after`, in the same order.
fn keeps_every_line(before: &str, after: &str) {
    let mut rest = after.lines();
    for line in before.lines() {
        assert!(
            rest.any(|l| l == line),
            "line {line:?} lost or moved:\n{after}"
        );
    }
}

#[test]
fn a_registry_goes_after_the_last_one_with_every_comment_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = file(dir.path());
    let edit = add_registry(
        &path,
        &text,
        &NewRegistry {
            name: "hub".into(),
            url: "registry.example.com:5000/".into(),
            insecure: false,
        },
    )
    .unwrap();
    keeps_every_line(&text, &edit.after);
    assert!(
        edit.after.contains(
            "url = \"http://127.0.0.1:5000\"  # loopback: plain http is fine\n\n[[registries]]\nname = \"hub\"\nurl = \"https://registry.example.com:5000\"\n\n[[apps]]"
        ),
        "{}",
        edit.after
    );
    assert_eq!(
        edit.summary,
        "add registry 'hub' (https://registry.example.com:5000)"
    );
    assert!(edit.diff.contains("+name = \"hub\"\n"), "{}", edit.diff);
    assert!(!edit.diff.contains("\n-"), "nothing removed: {}", edit.diff);

    edit.write().unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edit.after);
    let ws = Workspace::load(&path, None).unwrap();
    assert_eq!(
        ws.config.registries[1].url,
        "https://registry.example.com:5000"
    );
    assert!(!dir.path().join(".tollgate.toml.edit").exists());
}

#[test]
fn an_app_goes_after_the_last_app_and_loads() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = file(dir.path());
    let edit = add_app(
        &path,
        &text,
        &NewApp {
            name: "worker".into(),
            repository: "local/payments/worker".into(),
            environments: vec![
                NewEnvironment {
                    name: "dev".into(),
                    tag: "dev".into(),
                },
                NewEnvironment {
                    name: "prod".into(),
                    tag: "prod".into(),
                },
            ],
        },
    )
    .unwrap();
    keeps_every_line(&text, &edit.after);
    assert!(
        edit.after.contains(
            "]\n\n[[apps]]\nname = \"worker\"\nrepository = \"local/payments/worker\"\nenvironments = [\n  { name = \"dev\", tag = \"dev\" },\n  { name = \"prod\", tag = \"prod\" },\n]\n\n# People who approve."
        ),
        "{}",
        edit.after
    );
    edit.write().unwrap();
    let ws = Workspace::load(&path, None).unwrap();
    assert_eq!(ws.config.apps[1].environments[1].tag(), Some("prod"));
}

#[test]
fn an_approver_goes_after_the_last_one_and_loads() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = file(dir.path());
    let key = test_key(2, "bob@example.com");
    let edit = add_approver(
        &path,
        &text,
        &NewApprover {
            id: "bob@example.com".into(),
            roles: vec!["qa".into(), " manager ".into(), "".into()],
            key: format!("  {key}\n"),
        },
    )
    .unwrap();
    keeps_every_line(&text, &edit.after);
    assert!(
        edit.after.ends_with(&format!(
            "key = \"{}\"\n\n[[approvers]]\nid = \"bob@example.com\"\nroles = [\"qa\", \"manager\"]\nkey = \"{key}\"\n# Trailing comment.\n",
            test_key(1, "alice@example.com")
        )),
        "{}",
        edit.after
    );
    assert_eq!(
        edit.summary,
        "add approver 'bob@example.com' (roles qa, manager)"
    );
    edit.write().unwrap();
    let ws = Workspace::load(&path, None).unwrap();
    assert_eq!(ws.config.approvers[1].roles, ["qa", "manager"]);
}

#[test]
fn the_first_of_a_kind_goes_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tollgate.toml");
    let text = "# only a name\n[workspace]\nname = \"x\"\n";
    std::fs::write(&path, text).unwrap();
    let edit = add_registry(
        &path,
        text,
        &NewRegistry {
            name: "hub".into(),
            url: "https://hub.example.com".into(),
            insecure: false,
        },
    )
    .unwrap();
    assert_eq!(
        edit.after,
        "# only a name\n[workspace]\nname = \"x\"\n\n[[registries]]\nname = \"hub\"\nurl = \"https://hub.example.com\"\n"
    );
}

/// Refused edits name what is wrong and leave the file as it was.
#[test]
fn invalid_input_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = file(dir.path());
    let reg = |name: &str, url: &str| NewRegistry {
        name: name.into(),
        url: url.into(),
        insecure: false,
    };
    let cases: Vec<(Result<ConfigEdit>, &str)> = vec![
        (
            add_registry(&path, &text, &reg("local", "https://x.example.com")),
            "already in tollgate.toml",
        ),
        (
            add_registry(&path, &text, &reg("a b", "https://x.example.com")),
            "must be letters",
        ),
        // Plain http to a remote host: the loader refuses it, so the edit does.
        (
            add_registry(&path, &text, &reg("far", "http://registry.example.com")),
            "plain http",
        ),
        (
            add_app(
                &path,
                &text,
                &NewApp {
                    name: "api".into(),
                    repository: "local/x".into(),
                    environments: vec![NewEnvironment {
                        name: "dev".into(),
                        tag: "dev".into(),
                    }],
                },
            ),
            "already in tollgate.toml",
        ),
        (
            add_app(
                &path,
                &text,
                &NewApp {
                    name: "web".into(),
                    repository: "nowhere/web".into(),
                    environments: vec![NewEnvironment {
                        name: "dev".into(),
                        tag: "dev".into(),
                    }],
                },
            ),
            "registry 'nowhere', which is not in [[registries]]",
        ),
        (
            add_app(
                &path,
                &text,
                &NewApp {
                    name: "web".into(),
                    repository: "local/web".into(),
                    environments: vec![],
                },
            ),
            "no environments",
        ),
        (
            add_app(
                &path,
                &text,
                &NewApp {
                    name: "web".into(),
                    repository: "local/web".into(),
                    environments: vec![NewEnvironment {
                        name: "dev".into(),
                        tag: "-bad".into(),
                    }],
                },
            ),
            "not a valid tag",
        ),
        (
            add_approver(
                &path,
                &text,
                &NewApprover {
                    id: "alice@example.com".into(),
                    roles: vec![],
                    key: test_key(3, "a"),
                },
            ),
            "already in tollgate.toml",
        ),
        (
            add_approver(
                &path,
                &text,
                &NewApprover {
                    id: "carol@example.com".into(),
                    roles: vec![],
                    key: "ssh-rsa AAAA nope".into(),
                },
            ),
            "key",
        ),
        (
            // The same key as alice: the loader refuses one person under two ids.
            add_approver(
                &path,
                &text,
                &NewApprover {
                    id: "carol@example.com".into(),
                    roles: vec![],
                    key: test_key(1, "carol"),
                },
            ),
            "tollgate.toml invalid",
        ),
    ];
    for (result, expected) in cases {
        let e = result.unwrap_err();
        assert!(
            e.message.contains(expected),
            "{expected:?} not in {:?}",
            e.message
        );
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn a_file_changed_since_the_edit_was_made_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = file(dir.path());
    let edit = add_registry(
        &path,
        &text,
        &NewRegistry {
            name: "hub".into(),
            url: "https://hub.example.com".into(),
            insecure: false,
        },
    )
    .unwrap();
    let changed = text.replace("payments", "billing");
    std::fs::write(&path, &changed).unwrap();
    let e = edit.write().unwrap_err();
    assert!(e.message.contains("changed on disk"), "{}", e.message);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), changed);
}
