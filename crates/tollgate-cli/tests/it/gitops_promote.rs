//! Promotion and rollback into an environment that lives in a deployment repository's file:
//! the real `tollgate` binary, a real registry, a bare repository over `file://` checked with
//! stock git (`git log`, `git show`, `git verify-commit` with the allowed_signers file that
//! `tollgate key show --git` prints), two real processes racing for one file, and a process
//! killed right after its push.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

use tollgate::api::Context;
use tollgate::domain::EventKind;
use tollgate::store::Store;

use tollgate_testsupport::deploy_repo::{deployment_yaml, DeployRepo};
use tollgate_testsupport::signed::SignedWorkspace;

pub(crate) const FILE: &str = "apps/api/deployment.yaml";
pub(crate) const PROMOTER: &str = "release-bot";

/// dev (image A) → production, a file in the deployment repository that pins image B (an
/// image committed by hand), one QA approval; quinn and bob are QA.
pub(crate) struct Fixture {
    pub(crate) f: SignedWorkspace,
    pub(crate) repo: DeployRepo,
    pub(crate) a: String,
    pub(crate) b: String,
    pub(crate) quinn: String,
    pub(crate) bob: String,
}

impl Fixture {
    pub(crate) fn new(name: &str) -> Fixture {
        Fixture::with_git(name, "")
    }

    /// [`Fixture::new`] with more lines in the `[[git]]` entry (`push = "branch"`).
    pub(crate) fn with_git(name: &str, git_lines: &str) -> Fixture {
        Fixture::build(name, "", git_lines)
    }

    /// Production with `env_keys` added to its entry (`repository = "..."`, ending in `, `).
    fn build(name: &str, env_keys: &str, git_lines: &str) -> Fixture {
        let repo = DeployRepo::new();
        let production = format!(
            r#"{{ name = "production", {env_keys}git = "deploy", file = "apps/api/deployment.yaml", policy = {{ approvals = 1, roles = ["qa"] }} }}"#
        );
        let f = SignedWorkspace::builder(name, &[r#"{ name = "dev", tag = "dev" }"#, &production])
            .image("dev", &format!("{name}-a"))
            .image("old", &format!("{name}-b"))
            .approver("quinn", &["qa"])
            .approver("bob", &["qa"])
            .extra_toml(&format!(
                "\n[[git]]\nname = \"deploy\"\nurl = \"{}\"\n{git_lines}",
                repo.url()
            ))
            .build();
        let (a, b) = (f.digests[0].clone(), f.digests[1].clone());
        let (quinn, bob) = (f.approvers[0].clone(), f.approvers[1].clone());
        let fx = Fixture {
            f,
            repo,
            a,
            b,
            quinn,
            bob,
        };
        fx.repo
            .commit(FILE, &deployment_yaml(&fx.image(&fx.b)), "Deploy B by hand");
        let synced = fx.run(&["sync"]);
        assert!(synced.status.success(), "{}", text(&synced));
        fx
    }

    /// The reference the file holds for `digest`.
    pub(crate) fn image(&self, digest: &str) -> String {
        format!("{}/payments/api@{digest}", self.f.reg.host())
    }

    pub(crate) fn cli(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        cli_in(&self.f.tmp.config(), args, env)
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cli(args, &[]).output().unwrap()
    }

    pub(crate) fn approve(&self, who: &str, digest: &str) {
        self.f
            .approve(&Context::system(), who, "production", digest, None)
            .unwrap();
    }

    /// `tollgate key show --git`, written to a file for `gpg.ssh.allowedSignersFile`.
    pub(crate) fn allowed_signers(&self) -> std::path::PathBuf {
        let out = self.run(&["key", "show", "--git"]);
        assert!(out.status.success(), "{}", text(&out));
        let path = self.repo.dir().join("allowed_signers");
        std::fs::write(&path, &out.stdout).unwrap();
        path
    }

    /// The subjects of `main`, newest first.
    fn subjects(&self) -> Vec<String> {
        self.repo.log().into_iter().map(|(_, s)| s).collect()
    }

    pub(crate) fn events(&self, kind: EventKind) -> Vec<tollgate::domain::Event> {
        Store::open(&self.f.ws.db_path)
            .unwrap()
            .events(&Default::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == kind)
            .collect()
    }
}

pub(crate) fn cli_in(config: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .env("TOLLGATE_ACTOR", PROMOTER)
        .env_remove("TOLLGATE_TEST_KILL_AT")
        .env_remove("TOLLGATE_TEST_PAUSE_AT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

pub(crate) fn promote_args(digest: &str) -> Vec<&str> {
    vec![
        "promote",
        "--app",
        "api",
        "--to",
        "production",
        "--digest",
        digest,
    ]
}

fn subject(digest: &str) -> String {
    format!("Promote api sha256:{} to production", &digest[7..19])
}

pub(crate) fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The one `error: ` line of a failed run.
pub(crate) fn error_line(out: &Output) -> String {
    assert!(!out.status.success(), "{}", text(out));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(lines.len(), 1, "one error line: {}", text(out));
    lines[0].to_string()
}

/// A running `tollgate promote` stopped right after `step`.
pub(crate) struct Paused {
    child: Child,
    stderr: BufReader<std::process::ChildStderr>,
}

pub(crate) fn paused(mut cmd: Command, step: &str) -> Paused {
    let mut child = cmd
        .env("TOLLGATE_TEST_PAUSE_AT", step)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the promotion ended before pausing at {step}"
        );
        if line.trim() == format!("paused at {step}") {
            break;
        }
    }
    Paused { child, stderr }
}

pub(crate) fn resume(p: &mut Paused) {
    p.child.stdin.take().unwrap().write_all(b"\n").unwrap();
}

pub(crate) fn finish(mut p: Paused) -> Output {
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut p.stderr, &mut rest).unwrap();
    let mut out = p.child.wait_with_output().unwrap();
    out.stderr = rest.into_bytes();
    out
}

/// The lines a commit's diff removes and adds (`git show -U0`), headers left out.
fn changed_lines(repo: &DeployRepo, commit: &str) -> (Vec<String>, Vec<String>) {
    let show = repo.bare_git(&["show", "--format=", "-U0", commit]);
    let (mut minus, mut plus) = (Vec::new(), Vec::new());
    for l in show.lines() {
        if l.starts_with("---") || l.starts_with("+++") {
            continue;
        }
        if let Some(l) = l.strip_prefix('-') {
            minus.push(l.to_string());
        } else if let Some(l) = l.strip_prefix('+') {
            plus.push(l.to_string());
        }
    }
    (minus, plus)
}

#[test]
fn promotion_into_a_git_environment_is_a_signed_commit_that_changes_only_the_image_lines() {
    let fx = Fixture::new("gitops-promote");
    let before = fx.repo.tip();
    fx.approve(&fx.quinn, &fx.a);

    let out = fx.run(&promote_args(&fx.a));
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);

    // git log: the promotion on top of the hand commit.
    let log = fx.repo.log();
    assert_eq!(
        fx.subjects(),
        vec![subject(&fx.a), "Deploy B by hand".to_string()]
    );
    let commit = log[0].0.clone();
    assert!(
        stdout.contains(&format!("commit {commit} on main of deploy")),
        "{stdout}"
    );
    assert_eq!(
        fx.repo
            .bare_git(&["rev-parse", &format!("{commit}^")])
            .trim(),
        before
    );

    // Stock git verifies the signature with the allowed_signers file Tollgate prints.
    let signers = fx.allowed_signers();
    let good = fx.repo.verify_commit(&commit, &signers).unwrap();
    assert!(
        good.contains(&format!("Good \"git\" signature for {PROMOTER}")),
        "{good}"
    );
    // ...and not with a file that lists nobody.
    let nobody = fx.repo.dir().join("nobody");
    std::fs::write(&nobody, "").unwrap();
    assert!(fx.repo.verify_commit(&commit, &nobody).is_err());

    // The whole file is the hand-written one with A in place of B: comments, quoting, the
    // initContainer's trailing comment and the sidecar are byte for byte the same.
    assert_eq!(fx.repo.file_at_tip(FILE), deployment_yaml(&fx.image(&fx.a)));
    let (minus, plus) = changed_lines(&fx.repo, &commit);
    assert_eq!(minus.len(), 2, "{minus:?}");
    assert_eq!(plus.len(), 2, "{plus:?}");
    for (m, p) in minus.iter().zip(&plus) {
        assert_eq!(m.replace(&fx.b, &fx.a), *p);
    }

    // The trailers name the app, environment, digest, source and the consumed approval.
    let raw = fx.repo.raw_commit(&commit);
    let approval = &fx.events(EventKind::Approval)[0];
    let approval_id =
        tollgate::signing::approval_id(approval.data_str("message").unwrap().as_bytes());
    for trailer in [
        "Tollgate-App: api".to_string(),
        "Tollgate-Env: production".to_string(),
        format!("Tollgate-Digest: {}", fx.a),
        "Tollgate-From: dev".to_string(),
        format!("Tollgate-Approval: {approval_id}"),
    ] {
        assert!(
            raw.contains(&format!("\n{trailer}\n")),
            "{trailer} in {raw}"
        );
    }
    assert!(raw.contains(&format!(
        "committer {PROMOTER} <{PROMOTER}@tollgate.invalid>"
    )));

    // The history event names the commit and keeps the raw signed object; no tag.
    let promotions = fx.events(EventKind::Promotion);
    assert_eq!(promotions.len(), 1);
    let data = &promotions[0].data;
    assert_eq!(data["commit"], commit.as_str());
    assert_eq!(data["raw_commit"], raw.as_str());
    assert_eq!(data["git"], "deploy");
    assert_eq!(data["file"], FILE);
    assert_eq!(data["branch"], "main");
    assert_eq!(data["previous"], fx.b.as_str());
    assert!(data.get("tag").is_none(), "{data}");
    assert!(data["signature"].is_string(), "{data}");
    assert_eq!(
        fx.f.tmp
            .sqlite("SELECT state || ' ' || commit_id FROM promotions WHERE id = 1"),
        format!("recorded {commit}")
    );
    // `tollgate verify` accepts the chain with the git promotion in it.
    let verify = fx.run(&["verify"]);
    assert!(verify.status.success(), "{}", text(&verify));
}

#[test]
fn the_gate_refuses_and_nothing_is_pushed() {
    let fx = Fixture::new("gitops-gate");
    let before = fx.repo.tip();
    // The gate says each unmet rule on a line of its own, as for a tag.
    let out = fx.run(&promote_args(&fx.a));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: approvals: needs 1 distinct approver, has none"),
        "{stderr}"
    );
    assert_eq!(fx.repo.tip(), before, "nothing reached the remote");
    assert_eq!(fx.subjects(), vec!["Deploy B by hand".to_string()]);
    assert_eq!(fx.f.tmp.sqlite("SELECT count(*) FROM promotions"), "0");

    // One approval where the policy now asks for two does not open the gate either.
    let toml = std::fs::read_to_string(fx.f.tmp.config()).unwrap();
    std::fs::write(
        fx.f.tmp.config(),
        toml.replace(
            "approvals = 1, roles = [\"qa\"] } }",
            "approvals = 2, roles = [\"qa\"] } }",
        ),
    )
    .unwrap();
    fx.approve(&fx.quinn, &fx.a);
    let out = fx.run(&promote_args(&fx.a));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs 2 distinct approvers"),
        "{}",
        text(&out)
    );
    assert_eq!(fx.repo.tip(), before, "nothing reached the remote");
    assert_eq!(fx.subjects(), vec!["Deploy B by hand".to_string()]);
}

#[test]
fn an_unrelated_commit_meanwhile_is_built_on_and_a_changed_digest_is_refused() {
    let fx = Fixture::new("gitops-cas");
    fx.approve(&fx.quinn, &fx.a);

    // The branch moves while the promotion is between its read and its push: another file.
    let mut p = paused(fx.cli(&promote_args(&fx.a), &[]), "intended");
    let readme = fx.repo.commit("README.md", "deploy repo\n", "Add a README");
    resume(&mut p);
    let out = finish(p);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        fx.subjects(),
        vec![
            subject(&fx.a),
            "Add a README".to_string(),
            "Deploy B by hand".to_string()
        ]
    );
    let commit = fx.repo.tip();
    assert_eq!(
        fx.repo
            .bare_git(&["rev-parse", &format!("{commit}^")])
            .trim(),
        readme,
        "re-committed on the new tip"
    );
    let signers = fx.allowed_signers();
    fx.repo.verify_commit(&commit, &signers).unwrap();
    assert_eq!(fx.repo.file_at_tip("README.md"), "deploy repo\n");
    assert_eq!(fx.repo.file_at_tip(FILE), deployment_yaml(&fx.image(&fx.a)));

    // Now B goes back through dev, and while it is promoted someone pins another digest by
    // hand: refused, naming that commit; nothing pushed, the approval released.
    fx.f.record(&Context::system(), "dev", &fx.b);
    fx.approve(&fx.bob, &fx.b);
    let other = format!("sha256:{}", "1".repeat(64));
    let mut p = paused(fx.cli(&promote_args(&fx.b), &[]), "intended");
    let by_hand = fx
        .repo
        .commit(FILE, &deployment_yaml(&fx.image(&other)), "Pin 111 by hand");
    resume(&mut p);
    let out = finish(p);
    let line = error_line(&out);
    assert!(
        line.contains(&by_hand) && line.contains("Pin 111 by hand"),
        "{line}"
    );
    assert_eq!(fx.repo.tip(), by_hand, "nothing pushed");
    assert_eq!(
        fx.f.tmp
            .sqlite("SELECT state FROM promotions ORDER BY id DESC LIMIT 1"),
        "failed"
    );
    assert_eq!(
        fx.f.tmp.sqlite(
            "SELECT count(*) FROM promotion_approvals a JOIN promotions p ON p.id = a.promotion_id WHERE p.state = 'failed'"
        ),
        "0",
        "its approval is released"
    );

    // The history still says A: a new promotion is refused at once, naming the commit.
    let out = fx.run(&promote_args(&fx.b));
    let line = error_line(&out);
    assert!(line.contains(&by_hand), "{line}");
    assert_eq!(fx.repo.tip(), by_hand);
}

#[test]
fn two_processes_promoting_into_one_file_at_once_one_wins() {
    let fx = Fixture::new("gitops-race");
    fx.approve(&fx.quinn, &fx.a);
    // A second desktop: same tollgate.toml, its own database and clone.
    let (tmp2, ws2) = fx.f.desktop();
    let synced = cli_in(&tmp2.config(), &["sync"], &[]).output().unwrap();
    assert!(synced.status.success(), "{}", text(&synced));
    fx.f.approve_in(&ws2, &Context::system(), &fx.bob, "production", &fx.a, None)
        .unwrap();

    // Both read the file and begin; then both push at once.
    let mut one = paused(fx.cli(&promote_args(&fx.a), &[]), "intended");
    // Another person on the other desktop (the same person at the same second would make the
    // very same signed commit, which lands once whoever pushes it).
    let mut two = paused(
        cli_in(
            &tmp2.config(),
            &promote_args(&fx.a),
            &[("TOLLGATE_ACTOR", "deployer@example.com")],
        ),
        "intended",
    );
    resume(&mut one);
    resume(&mut two);
    let (one, two) = (finish(one), finish(two));
    let won: Vec<&Output> = [&one, &two]
        .into_iter()
        .filter(|o| o.status.success())
        .collect();
    assert_eq!(won.len(), 1, "one:\n{}\ntwo:\n{}", text(&one), text(&two));
    let lost = if one.status.success() { &two } else { &one };
    let line = error_line(lost);
    let winner = fx.repo.tip();
    assert!(line.contains(&winner), "{line}");
    let promotions = fx
        .subjects()
        .into_iter()
        .filter(|s| s.starts_with("Promote "))
        .count();
    assert_eq!(promotions, 1, "{:?}", fx.subjects());
    assert_eq!(fx.repo.file_at_tip(FILE), deployment_yaml(&fx.image(&fx.a)));
}

#[test]
fn a_promotion_killed_after_its_push_is_recorded_by_the_next_command() {
    let fx = Fixture::new("gitops-crash");
    fx.approve(&fx.quinn, &fx.a);
    let killed = fx
        .cli(&promote_args(&fx.a), &[("TOLLGATE_TEST_KILL_AT", "pushed")])
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), None, "{}", text(&killed));
    let commit = fx.repo.tip();
    assert_eq!(fx.subjects()[0], subject(&fx.a));
    assert_eq!(
        fx.f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1"),
        "pushed"
    );

    let status = fx.run(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(
        stderr.contains("note: promotion 1") && stderr.contains("recorded"),
        "{stderr}"
    );
    let promotions = fx.events(EventKind::Promotion);
    assert_eq!(promotions.len(), 1);
    assert_eq!(promotions[0].data["commit"], commit.as_str());
    assert_eq!(promotions[0].data["recovered"], true);
    assert_eq!(
        promotions[0].data["raw_commit"],
        fx.repo.raw_commit(&commit).as_str()
    );

    // Killed before its commit: recovery fails it, nothing reached the remote.
    fx.f.record(&Context::system(), "dev", &fx.b);
    fx.approve(&fx.bob, &fx.b);
    let killed = fx
        .cli(
            &promote_args(&fx.b),
            &[("TOLLGATE_TEST_KILL_AT", "intended")],
        )
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), None, "{}", text(&killed));
    let status = fx.run(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
    assert_eq!(
        fx.f.tmp.sqlite("SELECT state FROM promotions WHERE id = 2"),
        "failed"
    );
    assert_eq!(fx.repo.tip(), commit);

    // Killed after its commit was made but before the push, and the file changed by hand
    // meanwhile: recovery fails it naming that commit; the made commit never reaches the remote.
    fx.approve(&fx.quinn, &fx.b);
    let killed = fx
        .cli(
            &promote_args(&fx.b),
            &[("TOLLGATE_TEST_KILL_AT", "committed")],
        )
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), None, "{}", text(&killed));
    let made =
        fx.f.tmp
            .sqlite("SELECT commit_id FROM promotions WHERE id = 3");
    assert_eq!(made.len(), 40, "{made}");
    let other = format!("sha256:{}", "2".repeat(64));
    let by_hand = fx
        .repo
        .commit(FILE, &deployment_yaml(&fx.image(&other)), "Pin 222 by hand");
    let status = fx.run(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
    assert_eq!(
        fx.f.tmp.sqlite("SELECT state FROM promotions WHERE id = 3"),
        "failed"
    );
    let error = fx.f.tmp.sqlite("SELECT error FROM promotions WHERE id = 3");
    assert!(
        error.contains("moved past what it evaluated") && error.contains(&by_hand),
        "{error}"
    );
    assert!(fx.repo.log().iter().all(|(id, _)| *id != made));
    assert_eq!(fx.repo.tip(), by_hand);
}

#[test]
fn rollback_into_a_git_environment_pins_the_earlier_digest() {
    let fx = Fixture::new("gitops-rollback");
    fx.approve(&fx.quinn, &fx.a);
    let out = fx.run(&promote_args(&fx.a));
    assert!(out.status.success(), "{}", text(&out));
    fx.f.record(&Context::system(), "dev", &fx.b);
    fx.approve(&fx.bob, &fx.b);
    let out = fx.run(&promote_args(&fx.b));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(fx.repo.file_at_tip(FILE), deployment_yaml(&fx.image(&fx.b)));

    // Back to A: the same gate (a fresh QA approval of A), a signed commit without From.
    fx.approve(&fx.bob, &fx.a);
    let out = fx.run(&[
        "rollback",
        "--app",
        "api",
        "--env",
        "production",
        "--digest",
        &fx.a,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(fx.repo.file_at_tip(FILE), deployment_yaml(&fx.image(&fx.a)));
    let commit = fx.repo.tip();
    let raw = fx.repo.raw_commit(&commit);
    assert!(
        raw.contains(&format!("Tollgate-Digest: {}\n", fx.a)),
        "{raw}"
    );
    assert!(!raw.contains("Tollgate-From"), "{raw}");
    let signers = fx.allowed_signers();
    fx.repo.verify_commit(&commit, &signers).unwrap();
    let rollbacks = fx.events(EventKind::Rollback);
    assert_eq!(rollbacks.len(), 1);
    assert_eq!(rollbacks[0].data["commit"], commit.as_str());
    assert_eq!(rollbacks[0].data["previous"], fx.b.as_str());
    assert_eq!(fx.subjects().len(), 4);
}

/// The journal of git entries on a real SQLite file: one open entry per git, file and
/// selector (another file or selector may go), the commit id kept, `review` closes an entry
/// without recording it (its approvals stay consumed), and a closed entry takes no commit.
#[test]
fn the_journal_keeps_one_open_entry_per_deployment_file() {
    use tollgate::store::{GitPlace, JournalOwner, JournalState, NewPromotion};
    let t0 = tollgate_testsupport::signed::t0();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    let place = |file: &str, image: Option<&str>| GitPlace {
        git: "deploy".into(),
        file: file.into(),
        image: image.map(str::to_string),
        branch: "main".into(),
    };
    let new = |place: GitPlace, approvals: Vec<i64>| NewPromotion {
        kind: EventKind::Promotion,
        app: "api".into(),
        from_env: "dev".into(),
        to_env: "production".into(),
        digest: tollgate::domain::Digest::of(b"a"),
        src_repository: "local/api".into(),
        dst_repository: "local/api".into(),
        tag: String::new(),
        git: Some(place),
        approvals,
        evaluation: serde_json::json!({}),
        actor: "ci".into(),
        previous: None,
        at: t0,
        owner: JournalOwner {
            host: "host-a".into(),
            pid: 4242,
            started: None,
            token: "t".into(),
        },
        emergency_reason: None,
    };
    let first = store
        .journal_begin(&new(place("apps/api.yaml", None), vec![7]))
        .unwrap();
    assert_eq!(first.git, Some(place("apps/api.yaml", None)));
    assert_eq!(first.tag, "");
    let busy = store
        .journal_begin(&new(place("apps/api.yaml", None), vec![]))
        .unwrap_err();
    assert!(
        busy.message.contains("promotion 1") && busy.message.contains("deploy:apps/api.yaml"),
        "{}",
        busy.message
    );
    assert!(store
        .journal_begin(&new(place("apps/web.yaml", None), vec![]))
        .is_ok());
    assert!(store
        .journal_begin(&new(place("apps/api.yaml", Some("api.image")), vec![]))
        .is_ok());
    // A tag entry with an empty tag is not taken for a git one, nor the other way round.
    assert!(store.journal_open_for("local/api", "").unwrap().is_none());

    let commit = "0123456789abcdef0123456789abcdef01234567";
    store.journal_set_commit(first.id, commit, t0).unwrap();
    store
        .journal_advance(first.id, JournalState::Pushed, t0)
        .unwrap();
    store
        .journal_review(first.id, "tollgate/api-production-0123456789ab", t0)
        .unwrap();
    let reviewed = store.journal_get(first.id).unwrap();
    assert_eq!(reviewed.state, JournalState::Review);
    assert_eq!(reviewed.commit.as_deref(), Some(commit));
    assert_eq!(
        reviewed.review_branch.as_deref(),
        Some("tollgate/api-production-0123456789ab")
    );
    assert!(store
        .journal_open()
        .unwrap()
        .iter()
        .all(|p| p.id != first.id));
    assert!(store.approvals_in_use().unwrap().contains(&7));
    assert!(store.journal_set_commit(first.id, commit, t0).is_err());
    assert!(store.journal_fail(first.id, "no", t0).is_err());
    // The file is free again.
    assert!(store
        .journal_begin(&new(place("apps/api.yaml", None), vec![]))
        .is_ok());
}

#[test]
fn push_branch_pushes_the_signed_commit_for_review_and_leaves_main_alone() {
    let fx = Fixture::with_git("gitops-review", "push = \"branch\"\n");
    let main = fx.repo.tip();
    fx.approve(&fx.quinn, &fx.a);
    let out = fx.run(&promote_args(&fx.a));
    assert!(out.status.success(), "{}", text(&out));
    let review = format!("tollgate/api-production-{}", &fx.a[7..19]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("review branch: {review} (merge it into main)")),
        "{stdout}"
    );
    assert!(stdout.contains("for review"), "{stdout}");

    assert_eq!(fx.repo.tip(), main, "main is unchanged");
    let commit = fx.repo.bare_git(&["rev-parse", &review]).trim().to_string();
    assert_eq!(
        fx.repo
            .bare_git(&["rev-parse", &format!("{commit}^")])
            .trim(),
        main
    );
    assert_eq!(
        fx.repo
            .bare_git(&["log", "-1", "--format=%s", &review])
            .trim(),
        subject(&fx.a)
    );
    assert_eq!(
        fx.repo.bare_git(&["show", &format!("{review}:{FILE}")]),
        deployment_yaml(&fx.image(&fx.a))
    );
    let signers = fx.allowed_signers();
    fx.repo.verify_commit(&commit, &signers).unwrap();

    // Pushed for review: not recorded, the approval stays consumed by the signed commit.
    assert_eq!(
        fx.f.tmp.sqlite(
            "SELECT state || ' ' || commit_id || ' ' || review_branch FROM promotions WHERE id = 1"
        ),
        format!("review {commit} {review}")
    );
    assert!(fx.events(EventKind::Promotion).is_empty());
    assert_eq!(
        fx.f.tmp.sqlite("SELECT count(*) FROM promotion_approvals"),
        "1"
    );
    // The file is free for another promotion (the review is not an open entry).
    let again = fx.run(&promote_args(&fx.a));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success() && !stderr.contains("still moving"),
        "{}",
        text(&again)
    );
    assert_eq!(fx.repo.tip(), main);
}

/// A production whose file references another repository than dev's: images are not copied
/// for git environments, so a digest that repository lacks is refused in one line, before
/// anything is committed.
#[test]
fn a_digest_missing_from_the_environments_repository_is_refused_before_any_commit() {
    let fx = Fixture::build("gitops-elsewhere", "repository = \"local/prod/api\", ", "");
    // The file references local/prod/api: pin B there by hand (B is not in that repository
    // either; the file is what it is).
    let file = deployment_yaml(&format!("{}/prod/api@{}", fx.f.reg.host(), fx.b));
    fx.repo.commit(FILE, &file, "Reference prod/api");
    let before = fx.repo.tip();
    fx.approve(&fx.quinn, &fx.a);
    let out = fx.run(&promote_args(&fx.a));
    let line = error_line(&out);
    assert!(
        line.contains("is not readable in local/prod/api")
            && line.contains("copy it from local/")
            && line.contains("to local/prod/api by digest"),
        "{line}"
    );
    assert_eq!(fx.repo.tip(), before, "nothing pushed");
    assert_eq!(fx.f.tmp.sqlite("SELECT count(*) FROM promotions"), "0");
}

/// The desktop's file diff (`api::git_preview`) is the edit the promotion then commits: the
/// same lines, read at the tip the commit is built on; nothing is written by reading it; a tag
/// environment has none; an unreachable remote is one error.
#[test]
fn the_preview_shows_the_lines_the_promotion_commits() {
    let fx = Fixture::new("gitops-preview");
    let before = fx.repo.tip();
    let preview = tollgate::api::git_preview(&fx.f.ws, "api", "production", &fx.a)
        .unwrap()
        .expect("production lives in a deployment file");
    assert_eq!(
        (
            preview.git.as_str(),
            preview.file.as_str(),
            preview.branch.as_str()
        ),
        ("deploy", FILE, "main")
    );
    assert_eq!(preview.tip, before);
    assert_eq!(preview.pinned, fx.b);
    assert_eq!(preview.review_branch, None);
    assert_eq!(fx.repo.tip(), before, "reading commits nothing");
    assert_eq!(fx.f.tmp.sqlite("SELECT count(*) FROM promotions"), "0");

    fx.approve(&fx.quinn, &fx.a);
    let out = fx.run(&promote_args(&fx.a));
    assert!(out.status.success(), "{}", text(&out));
    let (minus, plus) = changed_lines(&fx.repo, &fx.repo.tip());
    let before_lines: Vec<String> = preview
        .changes
        .iter()
        .filter_map(|c| c.before.clone())
        .collect();
    let after_lines: Vec<String> = preview.changes.iter().map(|c| c.after.clone()).collect();
    assert_eq!(before_lines, minus);
    assert_eq!(after_lines, plus);
    let text_now = fx.repo.file_at_tip(FILE);
    for c in &preview.changes {
        assert_eq!(text_now.lines().nth(c.line - 1), Some(c.after.as_str()));
    }

    // Now the file pins A: promoting A again changes nothing.
    let again = tollgate::api::git_preview(&fx.f.ws, "api", "production", &fx.a)
        .unwrap()
        .unwrap();
    assert!(again.changes.is_empty(), "{again:?}");
    assert_eq!(again.pinned, fx.a);

    assert_eq!(
        tollgate::api::git_preview(&fx.f.ws, "api", "dev", &fx.a).unwrap(),
        None
    );
    let e = tollgate::api::git_preview(&fx.f.ws, "api", "production", "sha256:nope").unwrap_err();
    assert_eq!(e.code, tollgate::Code::InvalidReference, "{e:?}");

    // The remote gone: one error naming it, and nothing else happens.
    std::fs::rename(fx.repo.bare(), fx.repo.dir().join("moved.git")).unwrap();
    let e = tollgate::api::git_preview(&fx.f.ws, "api", "production", &fx.b).unwrap_err();
    assert!(!e.message.contains('\n'), "{}", e.message);
    assert_eq!(fx.f.tmp.sqlite("SELECT count(*) FROM promotions"), "1");
}
