//! The write path against the real `git` executable: a bare repository made by git, a signed
//! promotion commit written by [`BareRepo`], and git itself checking it (`verify-commit` with an
//! allowed_signers file Tollgate writes, `cat-file`, `show`, `log`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;
use crate::config::ApproverConfig;
use crate::domain::Digest;
use crate::gitops::testgit::{git, git_ok};
use crate::signing::{
    allowed_signers_in, split_signature, verify_commit, PromotionTrailers, TrustedKeys, Unverified,
    GIT_NAMESPACE,
};

const FILE: &str = "apps/api/production/deployment.yaml";
const BEFORE: &str = "# production\nspec:\n  image: registry.example.com/api@sha256:1111111111111111111111111111111111111111111111111111111111111111 # pinned\n";

/// A bare repository `deploy.git` whose `main` has one commit made by git (the file at
/// [`FILE`] and a README), through a temporary work tree.
fn bare_repo(tmp: &Path) -> PathBuf {
    let bare = tmp.join("deploy.git");
    git_ok(tmp, &["init", "--bare", "-q", "-b", "main", "deploy.git"]);
    let work = tmp.join("work");
    std::fs::create_dir_all(work.join("apps/api/production")).unwrap();
    std::fs::write(work.join(FILE), BEFORE).unwrap();
    std::fs::write(work.join("README.md"), "deployments\n").unwrap();
    let (gd, wt) = (
        format!("--git-dir={}", bare.display()),
        format!("--work-tree={}", work.display()),
    );
    git_ok(tmp, &[&gd, &wt, "add", "-A"]);
    git_ok(tmp, &[&gd, &wt, "commit", "-q", "-m", "first deployment"]);
    bare
}

fn person(name: &str, email: &str) -> GitPerson {
    GitPerson {
        name: name.into(),
        email: email.into(),
        seconds: 1_790_000_000,
        offset_minutes: 60,
    }
}

fn promotion(digest: &Digest) -> String {
    PromotionTrailers {
        app: "api".into(),
        env: "production".into(),
        digest: digest.clone(),
        from: Some("staging".into()),
        approvals: vec!["c".repeat(64)],
    }
    .message()
    .unwrap()
}

fn change<'a>(tip: &'a str, content: &'a [u8], digest: &Digest) -> FileCommit<'a> {
    FileCommit {
        branch: "main",
        expected_tip: tip,
        file: FILE,
        content,
        author: person("Alice Example", "alice@example.com"),
        committer: person("Alice Example", "alice@example.com"),
        message: promotion(digest),
    }
}

fn allowed_signers_file(tmp: &Path, listed: &[ApproverConfig]) -> PathBuf {
    let path = tmp.join("allowed_signers");
    std::fs::write(&path, allowed_signers_in(GIT_NAMESPACE, listed)).unwrap();
    path
}

#[test]
fn a_promotion_commit_is_what_stock_git_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_repo(tmp.path());
    let (alice, alice_listed) = crate::signing::git_commit_tests::signer("alice@example.com");
    let allowed = allowed_signers_file(tmp.path(), std::slice::from_ref(&alice_listed));
    let allowed_arg = format!("gpg.ssh.allowedSignersFile={}", allowed.display());

    let repo = BareRepo::open(&bare).unwrap();
    let tip = repo.branch_tip("main").unwrap().unwrap();
    assert_eq!(tip, git_ok(&bare, &["rev-parse", "main"]).trim());
    assert_eq!(
        repo.file_at(&tip, FILE).unwrap().unwrap(),
        BEFORE.as_bytes()
    );
    assert_eq!(repo.file_at(&tip, "apps/none.yaml").unwrap(), None);
    assert_eq!(repo.branch_tip("nope").unwrap(), None);

    let digest = Digest::of(b"new image");
    let after = BEFORE.replace(
        "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        digest.as_str(),
    );
    let written = repo
        .commit_file(&change(&tip, after.as_bytes(), &digest), &alice)
        .unwrap();

    // Stock git agrees on every count.
    let verified = git(&bare, &["-c", &allowed_arg, "verify-commit", &written.id]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(
        String::from_utf8_lossy(&verified.stderr)
            .contains("Good \"git\" signature for alice@example.com"),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let shown = git_ok(&bare, &["cat-file", "-p", &written.id]);
    assert!(shown.contains(&format!("parent {tip}\n")), "{shown}");
    assert!(
        shown.contains(&format!(
            "\n\nPromote api sha256:{} to production\n\nTollgate-App: api\nTollgate-Env: production\nTollgate-Digest: {digest}\nTollgate-From: staging\nTollgate-Approval: {}\n",
            digest.short(),
            "c".repeat(64)
        )),
        "{shown}"
    );
    assert_eq!(
        git_ok(&bare, &["show", &format!("{}:{FILE}", written.id)]),
        after
    );
    assert_eq!(
        git_ok(&bare, &["show", &format!("{}:README.md", written.id)]),
        "deployments\n"
    );
    assert_eq!(
        git_ok(&bare, &["log", "--format=%H", "-1", "main"]).trim(),
        written.id
    );
    assert_eq!(
        git_ok(&bare, &["diff", "--name-only", &tip, &written.id]).trim(),
        FILE
    );
    git_ok(&bare, &["fsck", "--strict", "--no-progress"]);

    // The raw object git holds is the one written, and it verifies here too.
    let raw = git(&bare, &["cat-file", "commit", &written.id]).stdout;
    assert_eq!(raw, written.raw);
    assert_eq!(repo.raw_commit(&written.id).unwrap(), raw);
    let keys = TrustedKeys::from_approvers(&[alice_listed]);
    let signer = verify_commit(&raw, &keys, None).unwrap();
    assert_eq!(signer.identity, "alice@example.com");
    assert_eq!(signer.fingerprint, alice.fingerprint());
    let message = String::from_utf8_lossy(&raw);
    let body = &message[message.find("\n\n").unwrap() + 2..];
    assert_eq!(
        PromotionTrailers::parse(body).unwrap().unwrap().digest,
        digest
    );

    // One byte of the message changed: no longer verifies.
    let mut altered = raw.clone();
    let at = altered.len() - 10;
    altered[at] = if altered[at] == b'c' { b'd' } else { b'c' };
    assert!(matches!(
        verify_commit(&altered, &keys, None).unwrap_err(),
        Unverified::BadSignature { .. }
    ));
}

#[test]
fn a_commit_by_another_key_fails_in_git_and_here() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_repo(tmp.path());
    let (_, alice_listed) = crate::signing::git_commit_tests::signer("alice@example.com");
    let (mallory, _) = crate::signing::git_commit_tests::signer("mallory@example.com");
    let allowed = allowed_signers_file(tmp.path(), std::slice::from_ref(&alice_listed));
    let allowed_arg = format!("gpg.ssh.allowedSignersFile={}", allowed.display());

    let repo = BareRepo::open(&bare).unwrap();
    let tip = repo.branch_tip("main").unwrap().unwrap();
    let digest = Digest::of(b"mallory's image");
    let written = repo
        .write_file_commit(&change(&tip, b"image: evil\n", &digest), &mallory)
        .unwrap();
    // Written, not on the branch.
    assert_eq!(repo.branch_tip("main").unwrap().unwrap(), tip);

    let out = git(&bare, &["-c", &allowed_arg, "verify-commit", &written.id]);
    assert!(!out.status.success(), "git verified mallory's commit");
    let keys = TrustedKeys::from_approvers(&[alice_listed]);
    assert_eq!(
        verify_commit(&written.raw, &keys, None).unwrap_err(),
        Unverified::UnknownKey {
            fingerprint: mallory.fingerprint()
        }
    );

    // git's own first commit is unsigned.
    let first = repo.raw_commit(&tip).unwrap();
    assert_eq!(split_signature(&first).signature, None);
    assert_eq!(
        verify_commit(&first, &keys, None).unwrap_err(),
        Unverified::Unsigned
    );
}

#[test]
fn a_commit_git_signs_with_a_listed_key_verifies_here() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_repo(tmp.path());
    // A key file made by ssh-keygen, as a person's own git setup has.
    let key = tmp.path().join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "bob", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let work = tmp.path().join("work");
    std::fs::write(work.join(FILE), "image: by-hand\n").unwrap();
    let (gd, wt) = (
        format!("--git-dir={}", bare.display()),
        format!("--work-tree={}", work.display()),
    );
    let signing_key = format!("user.signingkey={}", key.display());
    git_ok(tmp.path(), &[&gd, &wt, "add", "-A"]);
    git_ok(
        tmp.path(),
        &[
            &gd,
            &wt,
            "-c",
            "gpg.format=ssh",
            "-c",
            &signing_key,
            "commit",
            "-q",
            "-S",
            "-m",
            "deploy by hand",
        ],
    );
    let repo = BareRepo::open(&bare).unwrap();
    let tip = repo.branch_tip("main").unwrap().unwrap();
    let raw = repo.raw_commit(&tip).unwrap();
    let bob = ApproverConfig {
        id: "bob@example.com".into(),
        roles: vec![],
        key: public.trim().into(),
        previous_keys: vec![],
    };
    let signer = verify_commit(&raw, &TrustedKeys::from_approvers(&[bob]), None).unwrap();
    assert_eq!(signer.identity, "bob@example.com");
    assert_eq!(
        verify_commit(&raw, &TrustedKeys::default(), None)
            .unwrap_err()
            .message(),
        format!(
            "the commit is signed by key {}, which no identity in tollgate.toml lists",
            signer.fingerprint
        )
    );
}

#[test]
fn the_branch_moves_only_from_the_tip_the_change_was_made_on() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_repo(tmp.path());
    let (alice, _) = crate::signing::git_commit_tests::signer("alice@example.com");
    let repo = BareRepo::open(&bare).unwrap();
    let tip = repo.branch_tip("main").unwrap().unwrap();
    let digest = Digest::of(b"one");
    let first = repo
        .commit_file(&change(&tip, b"image: one\n", &digest), &alice)
        .unwrap();
    // A second change decided on the old tip is refused, naming where the branch is now.
    let e = repo
        .commit_file(&change(&tip, b"image: two\n", &Digest::of(b"two")), &alice)
        .unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(
        e.message
            .contains(&format!("branch main moved: it is at {}", first.id)),
        "{}",
        e.message
    );
    assert_eq!(
        git_ok(&bare, &["rev-parse", "main"]).trim(),
        first.id,
        "the branch stays where it was"
    );

    // A file that is not there, a folder, and bad names are one line each.
    let mut missing = change(&first.id, b"x", &digest);
    missing.file = "apps/web/deployment.yaml";
    assert_eq!(
        repo.commit_file(&missing, &alice).unwrap_err().code,
        Code::NotFound
    );
    let mut folder = change(&first.id, b"x", &digest);
    folder.file = "apps/api";
    assert!(repo
        .commit_file(&folder, &alice)
        .unwrap_err()
        .message
        .contains("is not a file"));
    let mut escape = change(&first.id, b"x", &digest);
    escape.file = "../etc/passwd";
    assert_eq!(
        repo.commit_file(&escape, &alice).unwrap_err().code,
        Code::BadInput
    );
    assert_eq!(repo.branch_tip("main..x").unwrap_err().code, Code::BadInput);
    assert_eq!(repo.file_at("HEAD", FILE).unwrap_err().code, Code::BadInput);
    let e = BareRepo::open(&tmp.path().join("nothing")).unwrap_err();
    assert_eq!(e.code, Code::NotFound);
}

#[test]
fn a_commit_objects_id_is_the_one_git_gives_it() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = bare_repo(tmp.path());
    let gd = format!("--git-dir={}", bare.display());
    let tip = git_ok(tmp.path(), &[&gd, "rev-parse", "main"])
        .trim()
        .to_string();
    let raw = git(tmp.path(), &[&gd, "cat-file", "commit", &tip]).stdout;
    assert_eq!(commit_id(&raw).unwrap(), tip);
    let mut altered = raw.clone();
    altered.push(b'\n');
    assert_ne!(commit_id(&altered).unwrap(), tip);
}
