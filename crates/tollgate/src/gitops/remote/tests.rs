//! The clone against real git: upstream bare repositories made by `git init --bare` and moved
//! by real pushes from a work clone (fast-forward and forced), reached over file:// and over
//! ssh:// (OpenSSH's sshd and an ssh-agent, from tollgate-testsupport); the remote checked with
//! `git log`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;
use tollgate_testsupport::sshd::SshServer;

fn git_ok(dir: &Path, args: &[&str]) -> String {
    crate::gitops::testgit::git_ok(dir, args).trim().to_string()
}

/// An upstream `up.git` and a work clone `work` of it; `main` has one commit.
struct Upstream {
    bare: PathBuf,
    work: PathBuf,
}

impl Upstream {
    fn new(tmp: &Path) -> Upstream {
        git_ok(tmp, &["init", "--bare", "-q", "-b", "main", "up.git"]);
        git_ok(tmp, &["init", "-q", "-b", "main", "work"]);
        let up = Upstream {
            bare: tmp.join("up.git"),
            work: tmp.join("work"),
        };
        git_ok(&up.work, &["remote", "add", "origin", &up.url()]);
        up.commit("first deployment");
        up.push(&["origin", "main"]);
        up
    }

    /// An upstream with no commit at all.
    fn empty(tmp: &Path) -> PathBuf {
        git_ok(tmp, &["init", "--bare", "-q", "-b", "main", "empty.git"]);
        tmp.join("empty.git")
    }

    fn url(&self) -> String {
        format!("file://{}", self.bare.display())
    }

    /// A commit in the work clone changing deployment.yaml; its id.
    fn commit(&self, message: &str) -> String {
        std::fs::write(self.work.join("deployment.yaml"), format!("# {message}\n")).unwrap();
        git_ok(&self.work, &["add", "-A"]);
        git_ok(&self.work, &["commit", "-q", "-m", message]);
        git_ok(&self.work, &["rev-parse", "HEAD"])
    }

    fn push(&self, args: &[&str]) {
        let mut all = vec!["push", "-q"];
        all.extend(args);
        git_ok(&self.work, &all);
    }

    /// The upstream's `main` per `git log` (newest first): ids and subjects.
    fn log(&self, branch: &str) -> Vec<String> {
        git_ok(&self.bare, &["log", "--format=%H %s", branch])
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn tip(&self, branch: &str) -> String {
        git_ok(&self.bare, &["rev-parse", branch])
    }
}

/// A commit written in the clone on top of `parent` (the tree of `parent`, a new subject),
/// not on any branch: what Tollgate's own promotion commit is before its push.
fn commit_in_clone(clone: &RemoteClone, parent: &str, subject: &str) -> String {
    let tree = git_ok(clone.dir(), &["rev-parse", &format!("{parent}^{{tree}}")]);
    git_ok(
        clone.dir(),
        &["commit-tree", &tree, "-p", parent, "-m", subject],
    )
}

/// Options for the tests. The lock is waited for a little: a git child another test thread is
/// spawning holds a copy of every open descriptor between its fork and exec (close-on-exec
/// closes it only at exec), so a lock just released can read as held for that moment.
fn quick() -> GitOptions {
    GitOptions {
        timeout: Duration::from_secs(60),
        lock_wait: Duration::from_secs(10),
        env: Vec::new(),
    }
}

/// [`quick`] without any wait for the lock: for the openers that must be refused at once.
fn no_wait() -> GitOptions {
    GitOptions {
        lock_wait: Duration::ZERO,
        ..quick()
    }
}

#[test]
fn an_empty_remote_gives_an_empty_clone_that_gix_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = Upstream::empty(tmp.path());
    let dir = tmp.path().join("db/history.git");
    let url = format!("file://{}", empty.display());
    // What a crashed creation left beside it is replaced, not used.
    std::fs::create_dir_all(tmp.path().join("db/.history.git.new/objects")).unwrap();
    let clone = RemoteClone::open_or_create_with(&dir, &url, quick()).unwrap();
    assert_eq!(clone.fetch("main").unwrap(), None);
    assert_eq!(
        clone.fetch_branches(&[]).unwrap(),
        Vec::<Option<String>>::new()
    );
    assert_eq!(
        BareRepo::open(&dir).unwrap().branch_tip("main").unwrap(),
        None
    );
    assert!(lock_path(&dir).unwrap().ends_with("db/history.git.lock"));
    assert!(lock_path(&dir).unwrap().exists());
    drop(clone);
    // Reopened: the same url is accepted, and nothing half-made is left beside it.
    RemoteClone::open_or_create_with(&dir, &url, quick()).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(tmp.path().join("db"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["history.git", "history.git.lock"]);
}

#[test]
fn fetch_sees_new_commits_and_a_force_push() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Upstream::new(tmp.path());
    let dir = tmp.path().join("clone.git");
    let clone = RemoteClone::open_or_create_with(&dir, &up.url(), quick()).unwrap();
    let first = up.tip("main");
    assert_eq!(
        clone.fetch("main").unwrap().as_deref(),
        Some(first.as_str())
    );
    let repo = clone.repo().unwrap();
    assert_eq!(repo.branch_tip("main").unwrap(), Some(first.clone()));
    assert_eq!(
        repo.file_at(&first, "deployment.yaml").unwrap().unwrap(),
        b"# first deployment\n"
    );

    let second = up.commit("second");
    up.push(&["origin", "main"]);
    assert_eq!(clone.fetch("main").unwrap(), Some(second.clone()));

    // Rewrite upstream: drop `second`, push another commit on `first` with --force.
    git_ok(&up.work, &["reset", "-q", "--hard", &first]);
    let rewritten = up.commit("rewritten");
    up.push(&["--force", "origin", "main"]);
    assert_eq!(clone.fetch("main").unwrap(), Some(rewritten.clone()));
    assert_eq!(
        BareRepo::open(&dir).unwrap().branch_tip("main").unwrap(),
        Some(rewritten)
    );
    // What the force-push removed upstream is still in the clone, on the branch's reflog.
    let reflog = git_ok(&dir, &["reflog", "--format=%H", "refs/heads/main"]);
    assert!(reflog.lines().any(|l| l == second), "{reflog}");
    git_ok(&dir, &["cat-file", "-e", &format!("{second}^{{commit}}")]);
}

#[test]
fn several_branches_in_one_fetch_and_a_missing_one_is_none() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Upstream::new(tmp.path());
    let main = up.tip("main");
    let prod = up.commit("prod");
    up.push(&["origin", "HEAD:refs/heads/deploy/prod"]);
    let clone =
        RemoteClone::open_or_create_with(&tmp.path().join("c.git"), &up.url(), quick()).unwrap();
    let tips = clone
        .fetch_branches(&["main", "nope", "deploy/prod", "main"])
        .unwrap();
    assert_eq!(tips, [Some(main.clone()), None, Some(prod), Some(main)]);
    assert!(clone.fetch_branches(&["main", "bad..name"]).is_err());
    assert_eq!(clone.fetch("gone").unwrap(), None);
}

#[test]
fn a_fast_forward_push_reaches_the_remote() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Upstream::new(tmp.path());
    let clone =
        RemoteClone::open_or_create_with(&tmp.path().join("c.git"), &up.url(), quick()).unwrap();
    let tip = clone.fetch("main").unwrap().unwrap();
    let promotion = commit_in_clone(&clone, &tip, "Promote api sha256:abc to production");
    assert_eq!(clone.push(&promotion, "main").unwrap(), PushOutcome::Pushed);
    assert_eq!(
        up.log("main")[0],
        format!("{promotion} Promote api sha256:abc to production")
    );
    assert_eq!(
        clone.repo().unwrap().branch_tip("main").unwrap(),
        Some(promotion.clone())
    );
    // Pushing it again (a retry after a lost answer) is `Pushed` too.
    assert_eq!(clone.push(&promotion, "main").unwrap(), PushOutcome::Pushed);
    // A commit the clone does not have is bad input, not a push.
    let err = clone.push(&"1".repeat(40), "main").unwrap_err();
    assert_eq!(err.code, Code::BadInput, "{}", err.message);
    assert!(clone.push("HEAD", "main").is_err());
}

#[test]
fn a_push_after_the_remote_moved_is_rejected_never_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Upstream::new(tmp.path());
    let clone =
        RemoteClone::open_or_create_with(&tmp.path().join("c.git"), &up.url(), quick()).unwrap();
    let tip = clone.fetch("main").unwrap().unwrap();
    let ours = commit_in_clone(&clone, &tip, "ours");
    let theirs = up.commit("theirs");
    up.push(&["origin", "main"]);

    // The remote's new tip is unknown here: git says "fetch first".
    let outcome = clone.push(&ours, "main").unwrap();
    let PushOutcome::Rejected { why } = outcome else {
        panic!("pushed over a moved branch: {outcome:?}")
    };
    assert!(
        why.contains("has moved") && why.contains("fetch first"),
        "{why}"
    );
    // Known but not an ancestor: "non-fast-forward".
    assert_eq!(clone.fetch("main").unwrap(), Some(theirs.clone()));
    let PushOutcome::Rejected { why } = clone.push(&ours, "main").unwrap() else {
        panic!("pushed a non-fast-forward")
    };
    assert!(why.contains("non-fast-forward"), "{why}");
    assert_eq!(up.tip("main"), theirs);
    assert!(!why.contains('\n'));
}

#[test]
fn a_new_branch_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Upstream::new(tmp.path());
    let clone =
        RemoteClone::open_or_create_with(&tmp.path().join("c.git"), &up.url(), quick()).unwrap();
    let tip = clone.fetch("main").unwrap().unwrap();
    let branch = "tollgate/api-production-0123456789ab";
    let first = commit_in_clone(&clone, &tip, "first");
    assert_eq!(
        clone.push_new_branch(&first, branch).unwrap(),
        PushOutcome::Pushed
    );
    assert_eq!(up.tip(branch), first);
    assert_eq!(
        clone.push_new_branch(&first, branch).unwrap(),
        PushOutcome::Pushed
    );
    // A fast-forward of the existing branch is still an overwrite: refused.
    let second = commit_in_clone(&clone, &first, "second");
    let PushOutcome::Rejected { why } = clone.push_new_branch(&second, branch).unwrap() else {
        panic!("overwrote an existing branch")
    };
    assert!(why.contains("already exists"), "{why}");
    assert_eq!(up.tip(branch), first);
}

#[test]
fn a_refusal_by_the_remote_is_an_error_not_a_rejection() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Upstream::new(tmp.path());
    let hook = up.bare.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'main is a protected branch' >&2\nexit 1\n",
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&hook).status().unwrap();
    let clone =
        RemoteClone::open_or_create_with(&tmp.path().join("c.git"), &up.url(), quick()).unwrap();
    let tip = clone.fetch("main").unwrap().unwrap();
    let ours = commit_in_clone(&clone, &tip, "ours");
    let err = clone.push(&ours, "main").unwrap_err();
    assert_eq!(err.code, Code::Refused);
    assert!(
        err.message.contains("[remote rejected]") && err.message.contains(&up.url()),
        "{}",
        err.message
    );
    assert!(!err.message.contains('\n'), "{}", err.message);
    assert_eq!(up.tip("main"), tip);
}

#[test]
fn a_bad_url_is_one_line_without_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = format!("file://{}/nothing-here.git", tmp.path().display());
    let clone =
        RemoteClone::open_or_create_with(&tmp.path().join("a.git"), &missing, quick()).unwrap();
    let err = clone.fetch("main").unwrap_err();
    assert_eq!(err.code, Code::Unreachable);
    assert!(
        err.message.contains(&missing)
            && err
                .message
                .contains("does not appear to be a git repository"),
        "{}",
        err.message
    );
    assert!(!err.message.contains('\n'), "{}", err.message);

    // Nothing listens on port 1: a connection error, with the password kept out.
    let secret = "https://deployer:s3cr3t-t0ken@127.0.0.1:1/acme/deploy.git";
    let clone =
        RemoteClone::open_or_create_with(&tmp.path().join("b.git"), secret, quick()).unwrap();
    let err = clone.fetch("main").unwrap_err();
    assert_eq!(err.code, Code::Unreachable);
    assert!(!err.message.contains("s3cr3t"), "{}", err.message);
    assert!(!err.message.contains("deployer"), "{}", err.message);
    assert!(err.message.contains("127.0.0.1"), "{}", err.message);
    assert!(!format!("{clone:?}").contains("s3cr3t"));

    for bad in [
        "",
        "--upload-pack=touch /tmp/x",
        "relative/deploy.git",
        "a\nb",
    ] {
        let err =
            RemoteClone::open_or_create_with(&tmp.path().join("c.git"), bad, quick()).unwrap_err();
        assert_eq!(err.code, Code::Config, "{bad:?}: {}", err.message);
    }
}

#[test]
fn a_clone_of_another_url_or_a_foreign_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Upstream::new(tmp.path());
    let dir = tmp.path().join("c.git");
    drop(RemoteClone::open_or_create_with(&dir, &up.url(), quick()).unwrap());
    let other = "https://user:pw@git.example.com/other.git";
    let err = RemoteClone::open_or_create_with(&dir, other, quick()).unwrap_err();
    assert_eq!(err.code, Code::Config);
    assert!(
        err.message.contains(&format!("is for {}", up.url()))
            && err.message.contains("https://git.example.com/other.git")
            && !err.message.contains("pw@"),
        "{}",
        err.message
    );
    let foreign = tmp.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let err = RemoteClone::open_or_create_with(&foreign, &up.url(), quick()).unwrap_err();
    assert!(
        err.message.contains("not a bare git repository"),
        "{}",
        err.message
    );
    assert!(foreign.join("notes.txt").exists());
}

#[test]
fn the_lock_excludes_a_second_opener_in_this_process_and_another() {
    let tmp = tempfile::tempdir().unwrap();
    let up = Upstream::new(tmp.path());
    let dir = tmp.path().join("c.git");
    let first = RemoteClone::open_or_create_with(&dir, &up.url(), quick()).unwrap();
    let err = RemoteClone::open_or_create_with(&dir, &up.url(), no_wait()).unwrap_err();
    assert_eq!(err.code, Code::Refused);
    assert!(
        err.message
            .starts_with("another Tollgate process is using the git clone at"),
        "{}",
        err.message
    );
    // A bounded wait gives up too, after about its time.
    let started = Instant::now();
    let waiting = GitOptions {
        lock_wait: Duration::from_millis(300),
        ..quick()
    };
    assert!(RemoteClone::open_or_create_with(&dir, &up.url(), waiting).is_err());
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A waiter gets the clone once the holder lets it go.
    let (d, url) = (dir.clone(), up.url());
    let waiter = std::thread::spawn(move || {
        let patient = GitOptions {
            lock_wait: Duration::from_secs(30),
            ..quick()
        };
        RemoteClone::open_or_create_with(&d, &url, patient).map(|c| c.fetch("main"))
    });
    std::thread::sleep(Duration::from_millis(100));
    drop(first);
    assert!(waiter.join().unwrap().unwrap().unwrap().is_some());

    // Another process (util-linux `flock` on the same file) holds it: refused until it exits.
    let lock = lock_path(&dir).unwrap();
    let mut holder = Command::new("flock")
        .arg("-x")
        .arg(&lock)
        .args(["-c", "echo held; read line"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("flock (util-linux) runs");
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "held");
    let err = RemoteClone::open_or_create_with(&dir, &up.url(), no_wait()).unwrap_err();
    assert_eq!(err.code, Code::Refused, "{}", err.message);
    holder.stdin.take().unwrap().write_all(b"\n").unwrap();
    assert!(holder.wait().unwrap().success());
    RemoteClone::open_or_create_with(&dir, &up.url(), quick()).unwrap();
}

#[test]
fn a_remote_that_never_answers_is_stopped_at_the_time_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let ssh = tmp.path().join("hanging-ssh");
    let pid_file = tmp.path().join("ssh.pid");
    std::fs::write(
        &ssh,
        format!(
            "#!/bin/sh\necho $$ > '{}'\nexec sleep 600\n",
            pid_file.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&ssh).status().unwrap();
    let options = GitOptions {
        timeout: Duration::from_secs(1),
        lock_wait: Duration::ZERO,
        env: vec![("GIT_SSH_COMMAND".into(), ssh.display().to_string())],
    };
    let clone = RemoteClone::open_or_create_with(
        &tmp.path().join("c.git"),
        "ssh://git@deploy.invalid/acme/deploy.git",
        options,
    )
    .unwrap();
    let started = Instant::now();
    let err = clone.fetch("main").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(err.code, Code::Unreachable);
    assert!(err.message.contains("did not finish"), "{}", err.message);
    // The "ssh" git started was ended with it (its process group), not left running.
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_string();
    let gone = || {
        !Command::new("kill")
            .args(["-0", &pid])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    let started = Instant::now();
    while !gone() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the hanging ssh {pid} outlived git"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn fetch_and_push_over_ssh_through_the_agent() {
    let server = SshServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let up = Upstream::new(tmp.path());
    let url = server.url(&up.bare);
    assert!(url.starts_with("ssh://"), "{url}");
    let options = GitOptions {
        env: server.env(),
        ..quick()
    };
    let clone = RemoteClone::open_or_create_with(&tmp.path().join("c.git"), &url, options).unwrap();
    let tip = clone.fetch("main").unwrap();
    assert_eq!(tip.as_deref(), Some(up.tip("main").as_str()));
    let promotion = commit_in_clone(&clone, &up.tip("main"), "Promote over ssh");
    assert_eq!(clone.push(&promotion, "main").unwrap(), PushOutcome::Pushed);
    assert_eq!(up.log("main")[0], format!("{promotion} Promote over ssh"));
    assert!(
        server.log().contains("Accepted publickey"),
        "{}",
        server.log()
    );
    drop(clone);

    // Without the agent, the same url is one line naming it, and nothing waits for a person.
    let mut env = server.env();
    env.retain(|(k, _)| k != "SSH_AUTH_SOCK");
    env.push(("SSH_AUTH_SOCK".into(), "/nonexistent/agent.sock".into()));
    let no_agent = GitOptions { env, ..quick() };
    let clone =
        RemoteClone::open_or_create_with(&tmp.path().join("d.git"), &url, no_agent).unwrap();
    let err = clone.fetch("main").unwrap_err();
    assert_eq!(err.code, Code::Unreachable);
    assert!(err.message.contains(&url), "{}", err.message);
    assert!(!err.message.contains('\n'), "{}", err.message);

    // Dropping the server ends the two processes it started.
    let pids = server.pids();
    assert_eq!(pids.len(), 2);
    drop(server);
    for pid in pids {
        let alive = Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(!alive, "process {pid} outlived the SshServer");
    }
}
