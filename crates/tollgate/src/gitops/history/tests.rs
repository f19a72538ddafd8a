//! The history walk against repositories made by the real `git` executable: linear history,
//! merges, a file removed and added again, the walk stopped at the recorded commit (on the
//! chain, or brought in by a merge's second parent), rewritten history, and a commit signed by
//! git with an SSH key.

use std::process::Command;

use super::*;
use crate::config::ApproverConfig;
use crate::gitops::testgit::{Work, FIRST_COMMIT};
use crate::Code;

const FILE: &str = "apps/api/production/deployment.yaml";

fn matcher() -> RepositoryMatcher {
    RepositoryMatcher::new("registry.example.com", "acme/api").unwrap()
}

fn digest(n: u8) -> Digest {
    Digest::parse(&format!("sha256:{}", format!("{n:x}").repeat(64))).unwrap()
}

/// A Deployment pinning `image` (`@sha256:...` or `:tag`), with a comment.
fn manifest(image: &str, comment: &str) -> String {
    format!(
        "# {comment}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/acme/api{image}\n"
    )
}

fn pinned(n: u8, comment: &str) -> String {
    manifest(&format!("@{}", digest(n)), comment)
}

fn history(work: &Work, tip: &str, stop: Option<&str>) -> FileHistory {
    let m = matcher();
    let read = image_reader(FILE, &m, None);
    file_history(&work.repo(), tip, FILE, stop, &read).unwrap()
}

fn ids(changes: &[FileChange]) -> Vec<&str> {
    changes.iter().map(|c| c.commit.as_str()).collect()
}

fn refs<'a>(changes: &[&'a FileChange]) -> Vec<&'a str> {
    changes.iter().map(|c| c.commit.as_str()).collect()
}

#[test]
fn a_linear_history_lists_each_change_and_the_deployments_among_them() {
    let work = Work::new();
    work.write("README.md", "deployments\n");
    let readme_only = work.commit("a readme, no file yet");
    work.write(FILE, &pinned(1, "first"));
    let added = work.commit("deploy 1");
    work.write("README.md", "deployments, more\n");
    let other = work.commit("readme only");
    work.write(FILE, &pinned(1, "a comment changed"));
    let comment = work.commit("comment only");
    work.write(FILE, &pinned(2, "a comment changed"));
    let second = work.commit("deploy 2");
    work.write(FILE, &manifest(":v3", "by tag"));
    let by_tag = work.commit("deploy by tag");
    work.write(FILE, &pinned(1, "back"));
    let back = work.commit("roll back to 1");

    let h = history(&work, &back, None);
    assert_eq!(ids(&h.changes), [&added, &comment, &second, &by_tag, &back]);
    assert_eq!(h.walked, 7);
    assert_eq!((h.since.as_deref(), &h.rewritten), (None, &None));
    assert_eq!(h.tip, back);
    assert_eq!(h.latest().unwrap().commit, back);

    let first = &h.changes[0];
    assert_eq!(first.parent.as_deref(), Some(readme_only.as_str()));
    assert!(first.merged.is_empty());
    assert_eq!(first.subject, "deploy 1");
    assert_eq!(first.message, "deploy 1\n");
    assert_eq!(first.trailers, Ok(None));
    assert_eq!(first.author.email, "dev@example.com");
    assert_eq!(
        (first.author.seconds, first.author.offset_minutes),
        (FIRST_COMMIT + 3600, 60)
    );
    assert_eq!(first.committed_at.timestamp(), FIRST_COMMIT + 3600);
    assert_eq!(first.deployed(), Deployed::Digest(digest(1)));
    assert_eq!(
        first.blob.as_deref(),
        Some(work.git(&["rev-parse", &format!("{added}:{FILE}")]).trim())
    );
    let raw = Command::new("git")
        .args(["cat-file", "commit", &added])
        .current_dir(&work.dir)
        .output()
        .unwrap()
        .stdout;
    assert_eq!(first.raw, raw);
    assert_eq!(h.changes[3].deployed(), Deployed::Tag(Some("v3".into())));
    assert!(matches!(&h.changes[3].state, FileState::Image(i) if i.deployed_by_tag()));
    assert_eq!(h.changes[4].parent.as_deref(), Some(by_tag.as_str()));
    assert!(!ids(&h.changes).contains(&other.as_str()));

    // The comment-only edit is a change of the file, not a deployment.
    assert_eq!(
        refs(&digest_changes(&h.changes, None)),
        [&added, &second, &by_tag, &back]
    );
    // Compared with what was recorded before: the first change repeats it.
    assert_eq!(
        refs(&digest_changes(
            &h.changes,
            Some(&Deployed::Digest(digest(1)))
        )),
        [&second, &by_tag, &back]
    );
}

#[test]
fn a_change_merged_in_is_the_merge_commits() {
    let work = Work::new();
    work.write(FILE, &pinned(1, "first"));
    let first = work.commit("deploy 1");
    work.git(&["checkout", "-q", "-b", "feature"]);
    work.write(FILE, &pinned(2, "on a branch"));
    let on_branch = work.commit("deploy 2 on a branch");
    work.git(&["checkout", "-q", "main"]);
    work.write("README.md", "main moves on\n");
    let readme = work.commit("readme");
    work.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    work.tick();
    let merge = work.head();

    let h = history(&work, &merge, None);
    assert_eq!(ids(&h.changes), [&first, &merge]);
    let merged = &h.changes[1];
    assert_eq!(merged.parent.as_deref(), Some(readme.as_str()));
    assert_eq!(merged.merged, [on_branch]);
    assert_eq!(merged.subject, "merge feature");
    assert_eq!(merged.deployed(), Deployed::Digest(digest(2)));
    // Three first-parent commits: the merge, the readme, the first.
    assert_eq!(h.walked, 3);
}

#[test]
fn a_file_removed_and_added_again_and_one_that_does_not_read() {
    let work = Work::new();
    work.write(FILE, &pinned(1, "first"));
    let added = work.commit("deploy 1");
    work.git(&["rm", "-q", FILE]);
    let removed = work.commit("remove the environment");
    work.write(FILE, &pinned(1, "first"));
    let again = work.commit("bring it back");
    work.write(FILE, "image: [unclosed\n");
    let broken = work.commit("break it");
    work.write(FILE, "# a comment\nimage: [unclosed\n");
    let still = work.commit("still broken");
    std::fs::remove_file(work.dir.join(FILE)).unwrap();
    work.write(&format!("{FILE}/inner.yaml"), &pinned(3, "a folder now"));
    let folder = work.commit("a folder where the file was");

    let h = history(&work, &folder, None);
    assert_eq!(
        ids(&h.changes),
        [&added, &removed, &again, &broken, &still, &folder]
    );
    assert_eq!(h.changes[1].state, FileState::Missing);
    assert_eq!(h.changes[1].blob, None);
    // The same content as the first commit: the same blob, read again as the same image.
    assert_eq!(h.changes[2].blob, h.changes[0].blob);
    assert_eq!(h.changes[2].state, h.changes[0].state);
    let FileState::Invalid(why) = &h.changes[3].state else {
        panic!("{:?}", h.changes[3].state)
    };
    assert!(!why.contains('\n') && why.contains(FILE), "{why}");
    let FileState::Invalid(why) = &h.changes[5].state else {
        panic!("{:?}", h.changes[5].state)
    };
    assert!(why.contains("is not a file"), "{why}");
    assert_eq!(
        refs(&digest_changes(&h.changes, None)),
        // Unreadable twice in a row, then unreadable as a folder: one state.
        [&added, &removed, &again, &broken]
    );
}

#[test]
fn the_walk_stops_at_the_recorded_commit() {
    let work = Work::new();
    work.write(FILE, &pinned(1, "first"));
    let one = work.commit("deploy 1");
    work.write(FILE, &pinned(2, "second"));
    let two = work.commit("deploy 2");
    work.write("README.md", "x\n");
    let recorded = work.commit("readme");
    work.write(FILE, &pinned(3, "third"));
    let three = work.commit("deploy 3");
    work.write("other/file.txt", "y\n");
    let tip = work.commit("another folder");

    let h = history(&work, &tip, Some(&recorded));
    assert_eq!(ids(&h.changes), [&three]);
    assert_eq!(h.since.as_deref(), Some(recorded.as_str()));
    assert_eq!(h.rewritten, None);
    assert_eq!(h.walked, 2);
    // Stopping at a commit that changed the file leaves that change out.
    let h = history(&work, &tip, Some(&two));
    assert_eq!(ids(&h.changes), [&three]);
    let h = history(&work, &tip, Some(&one));
    assert_eq!(ids(&h.changes), [&two, &three]);
    // Nothing new since the recorded commit.
    let h = history(&work, &tip, Some(&tip));
    assert!(h.changes.is_empty());
    assert_eq!((h.walked, h.since.as_deref()), (0, Some(tip.as_str())));
}

#[test]
fn a_recorded_commit_brought_in_by_a_second_parent_ends_the_walk_at_the_fork() {
    let work = Work::new();
    work.write(FILE, &pinned(1, "first"));
    let base = work.commit("deploy 1");
    work.write(FILE, &pinned(2, "second"));
    let recorded = work.commit("deploy 2");
    // Someone's local main, still at `base`, commits and then pulls: a merge whose first parent
    // is the local commit and whose second parent is the recorded one.
    work.git(&["checkout", "-q", "-b", "local", &base]);
    work.write("README.md", "local work\n");
    let local = work.commit("local work");
    work.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'main'",
        "main",
    ]);
    work.tick();
    let merge = work.head();

    let h = history(&work, &merge, Some(&recorded));
    assert_eq!(
        h.rewritten, None,
        "the recorded commit is still in the history"
    );
    assert_eq!(h.since.as_deref(), Some(base.as_str()));
    assert_eq!(h.walked, 2, "the merge and the local commit");
    assert_eq!(ids(&h.changes), [&merge]);
    assert_eq!(h.changes[0].parent.as_deref(), Some(local.as_str()));
    assert_eq!(h.changes[0].merged, [recorded.as_str()]);
    // The merge brings what was recorded: no new deployment.
    let before = Deployed::Digest(digest(2));
    assert!(digest_changes(&h.changes, Some(&before)).is_empty());
    assert_eq!(refs(&digest_changes(&h.changes, None)), [&merge]);
}

#[test]
fn the_walk_ends_at_the_newest_first_parent_commit_behind_the_recorded_one() {
    // main: root - b - a, then t = merge(a, S); S = merge(b, side) with side made on a. The
    // recorded S reaches the chain at b first (its first parent) and at a through side: the
    // walk ends at a, the newer one.
    let work = Work::new();
    work.write(FILE, &pinned(1, "root"));
    work.commit("root");
    work.write(FILE, &pinned(2, "b"));
    let b = work.commit("b");
    work.write("README.md", "a\n");
    let a = work.commit("a");
    work.git(&["checkout", "-q", "-b", "side"]);
    work.write(FILE, &pinned(3, "side"));
    work.commit("side");
    work.git(&["checkout", "-q", "-b", "recorded", &b]);
    work.git(&["merge", "-q", "--no-ff", "-m", "S", "side"]);
    work.tick();
    let recorded = work.head();
    work.git(&["checkout", "-q", "main"]);
    work.git(&["merge", "-q", "--no-ff", "-m", "t", "recorded"]);
    work.tick();
    let tip = work.head();

    let h = history(&work, &tip, Some(&recorded));
    assert_eq!(h.rewritten, None);
    assert_eq!(h.since.as_deref(), Some(a.as_str()));
    assert_eq!(h.walked, 1);
    assert_eq!(ids(&h.changes), [&tip]);
    assert_eq!(h.changes[0].deployed(), Deployed::Digest(digest(3)));
}

#[test]
fn a_recorded_commit_no_longer_on_the_branch_is_rewritten_history() {
    let work = Work::new();
    work.write(FILE, &pinned(1, "first"));
    let base = work.commit("deploy 1");
    work.write(FILE, &pinned(2, "second"));
    let recorded = work.commit("deploy 2");
    // A force-push: main reset to `base` and a new commit on it.
    work.git(&["reset", "-q", "--hard", &base]);
    work.write(FILE, &pinned(3, "third"));
    let forced = work.commit("deploy 3");

    let h = history(&work, &forced, Some(&recorded));
    let rewritten = h.rewritten.clone().unwrap();
    assert_eq!(rewritten.lost, recorded);
    assert_eq!(rewritten.fork.as_deref(), Some(base.as_str()));
    assert_eq!(
        rewritten.message("deploy/main"),
        format!("history of deploy/main was rewritten: commit {recorded} is no longer on it (the branch parted from it after commit {base}); what the file pins now is judged like drift")
    );
    // The whole first-parent chain.
    assert_eq!(ids(&h.changes), [&base, &forced]);
    assert_eq!(h.since, None);

    // A rewind to an older commit.
    let h = history(&work, &base, Some(&recorded));
    assert_eq!(
        h.rewritten.as_ref().unwrap().fork.as_deref(),
        Some(base.as_str())
    );
    assert_eq!(ids(&h.changes), [&base]);

    // A recorded commit the repository no longer has (collected after the force-push).
    let gone = "0123456789abcdef0123456789abcdef01234567";
    let h = history(&work, &forced, Some(gone));
    assert_eq!(
        h.rewritten,
        Some(Rewritten {
            lost: gone.into(),
            fork: None
        })
    );
    assert_eq!(ids(&h.changes), [&base, &forced]);

    // Not rewritten: the recorded commit is on the chain.
    assert_eq!(history(&work, &forced, Some(&base)).rewritten, None);
}

#[test]
fn a_commit_signed_by_git_carries_its_trailers_and_verifies() {
    let work = Work::new();
    work.write(FILE, &pinned(1, "first"));
    let unsigned = work.commit("deploy 1 by hand");
    let key = work.tmp().join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "bob", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let trailers = PromotionTrailers {
        app: "api".into(),
        env: "production".into(),
        digest: digest(2),
        from: Some("staging".into()),
        approvals: vec!["c".repeat(64)],
    };
    work.write(FILE, &pinned(2, "promoted"));
    let signed = work.commit_signed(&key, &trailers.message().unwrap());
    work.write(FILE, &pinned(3, "broken trailers"));
    let broken = work.commit_signed(
        &key,
        &format!(
            "deploy 3\n\nTollgate-App: api\nTollgate-Digest: {}\n",
            digest(3)
        ),
    );

    let h = history(&work, &broken, None);
    assert_eq!(ids(&h.changes), [&unsigned, &signed, &broken]);
    let change = &h.changes[1];
    assert_eq!(change.trailers, Ok(Some(trailers.clone())));
    assert_eq!(change.subject, trailers.subject());
    assert_eq!(change.deployed(), Deployed::Digest(digest(2)));
    let bob = ApproverConfig {
        id: "bob@example.com".into(),
        roles: vec![],
        key: public.trim().into(),
        previous_keys: vec![],
    };
    let keys = TrustedKeys::from_approvers(&[bob]);
    let signer = change.verify(&keys, None).unwrap();
    assert_eq!(signer.identity, "bob@example.com");
    assert!(matches!(
        change.verify(&TrustedKeys::default(), None),
        Err(Unverified::UnknownKey { .. })
    ));
    assert_eq!(h.changes[0].verify(&keys, None), Err(Unverified::Unsigned));
    let why = h.changes[2].trailers.clone().unwrap_err();
    assert!(why.contains("Tollgate-Env is missing"), "{why}");
    assert_eq!(
        h.changes[2].verify(&keys, None).unwrap().identity,
        "bob@example.com"
    );
}

#[test]
fn bad_input_is_one_clear_line() {
    let work = Work::new();
    work.write(FILE, &pinned(1, "first"));
    let tip = work.commit("deploy 1");
    let repo = work.repo();
    let m = matcher();
    let read = image_reader(FILE, &m, None);
    let walk = |tip: &str, file: &str, stop: Option<&str>| {
        file_history(&repo, tip, file, stop, &read).unwrap_err()
    };

    let e = walk("main", FILE, None);
    assert_eq!(e.code, Code::BadInput);
    assert!(
        e.message.contains("is not a git commit id"),
        "{}",
        e.message
    );
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let e = walk(missing, FILE, None);
    assert_eq!(e.code, Code::NotFound);
    assert!(
        e.message
            .starts_with(&format!("commit {missing} is not in the git repository")),
        "{}",
        e.message
    );
    let e = walk(&tip, "../etc/passwd", None);
    assert_eq!(e.code, Code::BadInput);
    assert!(
        e.message.contains("is not a path inside a git repository"),
        "{}",
        e.message
    );
    assert_eq!(walk(&tip, FILE, Some("HEAD~1")).code, Code::BadInput);
    let tree = work.git(&["rev-parse", &format!("{tip}^{{tree}}")]);
    let e = walk(tree.trim(), FILE, None);
    assert_eq!(e.code, Code::BadInput);
    assert!(e.message.contains("not a commit"), "{}", e.message);
    for e in [walk("main", FILE, None), walk(missing, FILE, None)] {
        assert!(!e.message.contains('\n'), "{}", e.message);
    }

    // A file that is not there is no history at all, not an error.
    let h = file_history(&repo, &tip, "apps/web/deployment.yaml", None, &read).unwrap();
    assert!(h.changes.is_empty());
    assert_eq!(h.walked, 1);
    // Nor is a path through a file.
    let h = file_history(&repo, &tip, &format!("{FILE}/x"), None, &read).unwrap();
    assert!(h.changes.is_empty());
}

#[test]
fn tollgates_own_promotion_commit_reads_back_as_written() {
    let work = Work::new();
    work.write(FILE, &pinned(1, "first"));
    let first = work.commit("deploy 1");
    let (alice, listed) = crate::signing::git_commit_tests::signer("alice@example.com");
    let trailers = PromotionTrailers {
        app: "api".into(),
        env: "production".into(),
        digest: digest(2),
        from: None,
        approvals: vec![],
    };
    let alice_person = GitPerson {
        name: "Alice Example".into(),
        email: "alice@example.com".into(),
        seconds: FIRST_COMMIT + 86_400,
        offset_minutes: -90,
    };
    let content = pinned(2, "first");
    let written = work
        .repo()
        .commit_file(
            &crate::gitops::FileCommit {
                branch: "main",
                expected_tip: &first,
                file: FILE,
                content: content.as_bytes(),
                author: alice_person.clone(),
                committer: alice_person.clone(),
                message: trailers.message().unwrap(),
            },
            &alice,
        )
        .unwrap();

    let h = history(&work, &written.id, Some(&first));
    assert_eq!(h.changes.len(), 1);
    let change = &h.changes[0];
    assert_eq!(change.commit, written.id);
    assert_eq!(change.raw, written.raw);
    assert_eq!(
        (&change.author, &change.committer),
        (&alice_person, &alice_person)
    );
    assert_eq!(change.committed_at.timestamp(), FIRST_COMMIT + 86_400);
    assert_eq!(change.trailers, Ok(Some(trailers)));
    let keys = TrustedKeys::from_approvers(&[listed]);
    assert_eq!(
        change.verify(&keys, None).unwrap().identity,
        "alice@example.com"
    );
    assert_eq!(
        refs(&digest_changes(
            &h.changes,
            Some(&Deployed::Digest(digest(1)))
        )),
        [&written.id]
    );
}

#[test]
fn a_branch_contains_its_commits_through_every_parent_and_nothing_else() {
    let work = Work::new();
    work.write(FILE, "a: 1\n");
    let first = work.commit("first");
    work.git(&["checkout", "-q", "-b", "side"]);
    work.write("other.txt", "x\n");
    let side = work.commit("side");
    work.git(&["checkout", "-q", "main"]);
    work.write(FILE, "a: 2\n");
    work.commit("second");
    work.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    let merge = work.head();
    let repo = work.repo();
    assert!(contains(&repo, &merge, &merge).unwrap());
    assert!(contains(&repo, &merge, &first).unwrap());
    assert!(
        contains(&repo, &merge, &side).unwrap(),
        "through the second parent"
    );
    assert!(!contains(&repo, &first, &merge).unwrap());
    assert!(
        !contains(&repo, &merge, &"0".repeat(40)).unwrap(),
        "not in the repository"
    );
}
