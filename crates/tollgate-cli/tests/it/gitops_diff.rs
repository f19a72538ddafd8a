//! `tollgate diff` into an environment that lives in a deployment repository's file: the
//! release diff and the exact edit a promotion would commit, read from the real repository
//! (the line as `git show` prints it), and the release diff still shown when the remote is gone.

use crate::gitops_promote::{text, Fixture, FILE};

fn diff_args(digest: &str, json: bool) -> Vec<&str> {
    let mut args = vec![
        "diff",
        "--app",
        "api",
        "--to",
        "production",
        "--digest",
        digest,
    ];
    if json {
        args.push("--json");
    }
    args
}

/// The 1-based numbers and texts of the lines of `main:FILE` (as `git show` reads it) that hold
/// `needle`.
fn lines_with(fx: &Fixture, needle: &str) -> Vec<(usize, String)> {
    fx.repo
        .file_at_tip(FILE)
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

#[test]
fn gitops_diff_prints_the_exact_edit_of_the_file_as_git_holds_it() {
    let fx = Fixture::new("gdiff-edit");
    let lines = lines_with(&fx, &fx.b);
    assert_eq!(
        lines.len(),
        2,
        "the fixture pins B in a container and an init container"
    );

    let out = fx.run(&diff_args(&fx.a, true));
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["candidate"]["digest"],
        fx.a.as_str(),
        "the release diff is there"
    );
    assert_eq!(v["file"]["git"], "deploy");
    assert_eq!(v["file"]["file"], FILE);
    assert_eq!(v["file"]["tip"], fx.repo.tip().as_str());
    let changes = v["file"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), lines.len(), "{v}");
    for (change, (n, before)) in changes.iter().zip(&lines) {
        assert_eq!(change["line"], *n);
        assert_eq!(change["before"], before.as_str());
        assert_eq!(change["after"], before.replace(&fx.b, &fx.a).as_str());
    }
    assert!(v.get("file_error").is_none(), "{v}");

    let out = fx.run(&diff_args(&fx.a, false));
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "deploy:{FILE} on main at {}",
            &fx.repo.tip()[..12]
        )),
        "{stdout}"
    );
    for (n, before) in &lines {
        let after = before.replace(&fx.b, &fx.a);
        assert!(stdout.contains(&format!("{n} - {before}\n")), "{stdout}");
        assert!(stdout.contains(&format!("{n} + {after}\n")), "{stdout}");
    }
    assert!(stdout.contains("signed, pushed onto main"), "{stdout}");
    // Nothing was committed by looking.
    assert_eq!(fx.repo.file_at_tip(FILE).matches(&fx.a).count(), 0);
}

#[test]
fn gitops_diff_shows_the_release_diff_when_the_deployment_repository_cannot_be_read() {
    let fx = Fixture::new("gdiff-gone");
    let bare = fx.repo.bare();
    std::fs::rename(&bare, bare.with_extension("moved")).unwrap();

    let out = fx.run(&diff_args(&fx.a, false));
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("api production: {} replaces {}", fx.a, fx.b)),
        "{stdout}"
    );
    let file_line: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("file"))
        .collect();
    assert_eq!(file_line.len(), 1, "{stdout}");
    assert!(file_line[0].contains("not read:"), "{stdout}");

    let out = fx.run(&diff_args(&fx.a, true));
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("file").is_none(), "{v}");
    assert!(!v["file_error"].as_str().unwrap().is_empty(), "{v}");
}
