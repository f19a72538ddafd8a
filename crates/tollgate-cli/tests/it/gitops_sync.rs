//! `tollgate sync` of environments that live in a deployment repository's file: real `git`
//! over `file://` (and `ssh://` through a real sshd), real registry images, the real CLI. What
//! Tollgate reports is checked against what stock git says (`git log`, `git show`).

use tollgate_testsupport::deploy_repo::{deployment_yaml, git_command, key_file, DeployRepo};
use tollgate_testsupport::images::make_image;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::skopeo::{push, skopeo_digest};
use tollgate_testsupport::sshd::SshServer;
use tollgate_testsupport::workspace::{workspace_toml, TempWorkspace};

const FILE: &str = "apps/api/production/deployment.yaml";

/// A registry holding three images of payments/api, and their digests.
fn images(name: &str) -> (TestRegistry, Vec<String>) {
    let reg = TestRegistry::start();
    let digests = ["a", "b", "c"]
        .iter()
        .map(|t| {
            push(
                &make_image(&format!("{name}-{t}")),
                &reg,
                &format!("payments/api:{t}"),
            );
            skopeo_digest(&reg, &format!("payments/api:{t}"))
        })
        .collect();
    (reg, digests)
}

/// The deployment file pinning `digest` of the registry's payments/api.
fn pinned(reg: &TestRegistry, digest: &str) -> String {
    deployment_yaml(&format!("{}/payments/api@{digest}", reg.host()))
}

/// A workspace whose `production` lives in `FILE` of the `[[git]]` `deploy` at `url`
/// (`policy` gates it), with `extra` appended (signers).
fn workspace(reg: &TestRegistry, url: &str, policy: bool, extra: &str) -> TempWorkspace {
    let production = if policy {
        format!(
            r#"{{ name = "production", git = "deploy", file = "{FILE}", policy = {{ approvals = 1 }} }}"#
        )
    } else {
        format!(r#"{{ name = "production", git = "deploy", file = "{FILE}" }}"#)
    };
    let mut toml = workspace_toml(
        "gitops",
        &reg.url(),
        &if policy {
            // A gated environment is never the first one.
            vec![
                r#"{ name = "staging", tag = "staging" }"#,
                production.as_str(),
            ]
        } else {
            vec![production.as_str()]
        },
    );
    toml.push_str(&format!(
        "\n[[git]]\nname = \"deploy\"\nurl = \"{url}\"\nbranch = \"main\"\n{extra}"
    ));
    TempWorkspace::new(&toml)
}

/// The committer time of `commit` as stock git prints it (`%cI`), in UTC.
fn committed_at(repo: &DeployRepo, commit: &str) -> chrono::DateTime<chrono::Utc> {
    let text = repo.bare_git(&["show", "-s", "--format=%cI", commit]);
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn time(v: &serde_json::Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn timeline(ws: &TempWorkspace) -> Vec<serde_json::Value> {
    let run = ws.run(&["timeline", "--app", "api", "--env", "production", "--json"]);
    run.ok();
    run.json().as_array().unwrap().clone()
}

fn error_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect()
}

#[test]
fn the_first_sync_backfills_each_digest_change_of_the_file_as_a_baseline_stay() {
    let (reg, d) = images("backfill");
    let repo = DeployRepo::new();
    let c1 = repo.commit(FILE, &pinned(&reg, &d[0]), "first");
    let c2 = repo.commit(FILE, &pinned(&reg, &d[1]), "second");
    // A comment-only change: a commit of the file, not a deployment.
    let comment = format!("# reviewed\n{}", pinned(&reg, &d[1]));
    let c2b = repo.commit(FILE, &comment, "comment");
    let c3 = repo.commit(
        FILE,
        &format!("# reviewed\n{}", pinned(&reg, &d[2])),
        "third",
    );
    let log: Vec<String> = repo.log().into_iter().map(|(id, _)| id).rev().collect();
    assert_eq!(log, vec![c1.clone(), c2.clone(), c2b.clone(), c3.clone()]);
    let ws = workspace(&reg, &repo.url(), false, "");

    let sync = ws.run(&["sync"]);
    sync.ok();
    assert!(
        sync.stdout.contains("synced 1 git environments"),
        "{}",
        sync.stdout
    );
    let segments = timeline(&ws);
    let got: Vec<(String, String, String)> = segments
        .iter()
        .map(|s| {
            (
                s["commit"].as_str().unwrap().to_string(),
                s["digest"].as_str().unwrap().to_string(),
                s["via"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (c1.clone(), d[0].clone(), "observed".into()),
            (c2.clone(), d[1].clone(), "observed".into()),
            (c3.clone(), d[2].clone(), "observed".into()),
        ]
    );
    for (s, c) in segments.iter().zip([&c1, &c2, &c3]) {
        assert_eq!(time(&s["from"]), committed_at(&repo, c), "{s}");
        assert_eq!(s["git"], "deploy");
        assert_eq!(s["file"], FILE);
    }
    assert_eq!(
        ws.sqlite("SELECT count(*) FROM events WHERE kind = 'drift'"),
        "0",
        "a baseline is never drift"
    );
    // The backfilled events carry the exact commit object and its author.
    assert_eq!(
        ws.sqlite(&format!(
            "SELECT json_extract(data, '$.raw_commit') FROM events WHERE json_extract(data, '$.commit') = '{c2}' AND json_extract(data, '$.baseline')"
        )),
        repo.raw_commit(&c2).trim_end()
    );
    assert_eq!(
        ws.sqlite(&format!(
            "SELECT json_extract(data, '$.author') || '|' || json_extract(data, '$.unverified') FROM events WHERE json_extract(data, '$.commit') = '{c1}'"
        )),
        "Dev <dev@example.com>|the commit is not signed"
    );

    // The image the tip pins was read from the registry (its manifest and config).
    assert_eq!(
        ws.sqlite(&format!(
            "SELECT count(*) FROM image_info WHERE digest = '{}'",
            d[2]
        )),
        "1"
    );
    let row = ws.status_row("production");
    assert_eq!(row["digest"], d[2].as_str());
    assert_eq!(row["commit"], repo.tip().as_str());
    assert_eq!(row["git"], "deploy");
    assert_eq!(row["file"], FILE);
    assert!(row["tag"].is_null());
    assert_eq!(row["drift"], false);

    // Between the first and the second commit, the first digest ran.
    let between = committed_at(&repo, &c1) + chrono::Duration::minutes(30);
    let at = ws.run(&[
        "status",
        "--app",
        "api",
        "--at",
        &between.to_rfc3339(),
        "--json",
    ]);
    at.ok();
    let rows = at.json();
    let prod = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["env"] == "production")
        .unwrap()
        .clone();
    assert_eq!(prod["digest"], d[0].as_str(), "{prod}");
    assert_eq!(prod["commit"], c1.as_str());
    assert_eq!(prod["via"], "observed");

    // Nothing changed: a repeat sync appends one observation and nothing else.
    let before = ws.event_count();
    ws.run(&["sync"]).ok();
    assert_eq!(ws.event_count(), before + 1);
    assert_eq!(
        ws.sqlite(&format!(
            "SELECT kind || ' ' || json_extract(data, '$.commit') FROM events WHERE seq > {before}"
        )),
        format!("observation {c3}")
    );
    assert_eq!(timeline(&ws).len(), 3);
    ws.run(&["verify"]).ok();
}

#[test]
fn later_commits_signed_by_a_listed_key_are_records_and_any_other_is_drift() {
    let (reg, d) = images("judged");
    let repo = DeployRepo::new();
    let (alice, alice_public) = key_file(repo.dir(), "alice");
    let (mallory, _) = key_file(repo.dir(), "mallory");
    let signers = format!("\n[[signers]]\nid = \"alice@example.com\"\nkey = \"{alice_public}\"\n");
    let c1 = repo.commit(FILE, &pinned(&reg, &d[0]), "first");
    let ws = workspace(&reg, &repo.url(), true, &signers);
    ws.run(&["sync"]).ok();

    // Signed by a listed key: a signed deployment by alice, unapproved in a gated environment.
    let c2 = repo.commit_signed(FILE, &pinned(&reg, &d[1]), "deploy b", &alice);
    ws.run(&["sync"]).ok();
    let last = timeline(&ws).last().unwrap().clone();
    assert_eq!(last["commit"], c2.as_str());
    assert_eq!(last["via"], "record");
    assert_eq!(last["actor"], "alice@example.com");
    assert_eq!(last["unapproved"], true);
    assert_eq!(time(&last["from"]), committed_at(&repo, &c2));
    let row = ws.status_row("production");
    assert_eq!(row["digest"], d[1].as_str());
    assert_eq!(row["unapproved"], true);
    assert_eq!(row["drift"], false);
    assert_eq!(
        ws.sqlite(&format!(
            "SELECT json_extract(data, '$.signer') FROM events WHERE kind = 'record' AND json_extract(data, '$.commit') = '{c2}'"
        )),
        "alice@example.com"
    );

    // An unsigned hand commit: drift, named with its commit and author; sync exits 1.
    let c3 = repo.commit(FILE, &pinned(&reg, &d[2]), "hotfix by hand");
    let run = ws.run(&["sync"]);
    let line = run.fails_with(
        1,
        &[
            "drift",
            "api production deploy:",
            &c3,
            "Dev <dev@example.com>",
            "the commit is not signed",
        ],
    );
    assert!(line.contains(&d[2]), "{line}");
    let row = ws.status_row("production");
    assert_eq!(row["drift"], true);
    assert_eq!(row["digest"], d[2].as_str());
    assert_eq!(row["commit"], c3.as_str());
    // Standing on the next sync, with no second drift event.
    ws.run(&["sync"]).fails_with(
        1,
        &[
            "drift",
            "nobody has acknowledged",
            &format!(
                "put there by commit {c3} by Dev <dev@example.com> (the commit is not signed)"
            ),
        ],
    );
    assert_eq!(
        ws.sqlite("SELECT count(*) FROM events WHERE kind = 'drift'"),
        "1"
    );

    // Signed, but by a key no identity lists: drift too.
    let c4 = repo.commit_signed(FILE, &pinned(&reg, &d[0]), "deploy a again", &mallory);
    ws.run(&["sync"]).fails_with(
        1,
        &["drift", &c4, "which no identity in tollgate.toml lists"],
    );
    assert_eq!(
        ws.sqlite("SELECT count(*) FROM events WHERE kind = 'drift'"),
        "2"
    );
    let _ = c1;
}

#[test]
fn a_rewritten_branch_is_named_kept_and_its_tip_judged_like_drift() {
    let (reg, d) = images("rewrite");
    let repo = DeployRepo::new();
    let c1 = repo.commit(FILE, &pinned(&reg, &d[0]), "first");
    let c2 = repo.commit(FILE, &pinned(&reg, &d[1]), "second");
    let ws = workspace(&reg, &repo.url(), false, "");
    ws.run(&["sync"]).ok();
    assert_eq!(ws.status_row("production")["digest"], d[1].as_str());

    // Force-push back to the first commit: the recorded commit is no longer on main.
    repo.force_main(&c1);
    assert_eq!(repo.tip(), c1);
    let run = ws.run(&["sync"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let named = format!("history of deploy/main was rewritten: commit {c2} is no longer on it");
    assert!(run.stderr.contains(&named), "{}", run.stderr);
    let errors = error_lines(&run.stderr);
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].contains("drift") && errors[0].contains(&d[0]),
        "{}",
        errors[0]
    );
    // Kept in the history: the drift and the observation name the lost commit.
    assert_eq!(
        ws.sqlite(&format!(
            "SELECT group_concat(kind, ',') FROM events WHERE json_extract(data, '$.rewritten.lost') = '{c2}'"
        )),
        "drift,observation"
    );
    let row = ws.status_row("production");
    assert_eq!(row["drift"], true);
    assert_eq!(row["digest"], d[0].as_str());
    assert_eq!(row["commit"], c1.as_str());
    // The next sync walks from the new tip: no second rewrite line.
    let again = ws.run(&["sync"]);
    assert!(
        !again.stderr.lines().any(|l| l.starts_with("warning: ")),
        "{}",
        again.stderr
    );
    // The drift stands, named by what began it.
    again.fails_with(1, &["drift", "nobody has acknowledged", &named]);
}

#[test]
fn a_file_pinned_by_tag_or_removed_is_one_line_and_never_a_guessed_digest() {
    let (reg, d) = images("lines");
    let repo = DeployRepo::new();
    let c1 = repo.commit(FILE, &pinned(&reg, &d[0]), "first");
    let ws = workspace(&reg, &repo.url(), false, "");
    ws.run(&["sync"]).ok();

    let by_tag = deployment_yaml(&format!("{}/payments/api:1.2", reg.host()));
    let c2 = repo.commit(FILE, &by_tag, "use the tag");
    let run = ws.run(&["sync"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: ") && l.contains("deployed by tag 1.2, not pinned"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(warnings[0].contains(&c2), "{}", warnings[0]);
    let row = ws.status_row("production");
    assert!(row["digest"].is_null(), "{row}");
    assert_eq!(row["deployed_by_tag"], "1.2");
    let table = ws.run(&["status"]);
    table.ok();
    assert!(table.stdout.contains("BY-TAG:1.2"), "{}", table.stdout);
    // The PDF lists it once (a second sync that still reads the tag adds no row), with the
    // commit; read back with pdftotext.
    ws.run(&["sync"]);
    let pdf = ws.path().join("report.pdf");
    ws.run(&["export", "--format", "pdf", "--out", pdf.to_str().unwrap()])
        .ok();
    let text = tollgate_testsupport::process::run(
        std::process::Command::new("pdftotext").arg(&pdf).arg("-"),
    );
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        flat.matches("production deployed by tag, not pinned")
            .count(),
        1,
        "{flat}"
    );
    assert!(flat.contains(&format!("commit {c2}")), "{flat}");

    // Two references that disagree (the init container pins another digest): one line.
    let disagree = pinned(&reg, &d[0]).replacen(&d[0], &d[1], 1);
    let c_two = repo.commit(FILE, &disagree, "two digests");
    let run = ws.run(&["sync"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].contains(&c_two) && lines[0].contains(&d[0]) && lines[0].contains(&d[1]),
        "{}",
        lines[0]
    );
    assert!(ws.status_row("production")["digest"].is_null());

    // The file removed: one line naming the commit; the digest null.
    repo.pull();
    repo.work_git(&["rm", "-q", FILE]);
    repo.work_git(&["commit", "-q", "-m", "remove"]);
    repo.work_git(&["push", "-q", "origin", "HEAD:main"]);
    let c3 = repo.tip();
    let run = ws.run(&["sync"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let gone: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: ") && l.contains("the file is not there"))
        .collect();
    assert_eq!(gone.len(), 1, "{}", run.stderr);
    assert!(gone[0].contains(&c3), "{}", gone[0]);
    let row = ws.status_row("production");
    assert!(row["digest"].is_null());
    assert!(row.get("deployed_by_tag").is_none(), "{row}");
    assert_eq!(
        ws.sqlite(&format!(
            "SELECT json_extract(data, '$.problem') IS NOT NULL FROM events WHERE kind = 'observation' AND json_extract(data, '$.commit') = '{c3}'"
        )),
        "1"
    );
    let _ = c1;
}

#[test]
fn an_unreachable_repository_or_unknown_branch_fails_the_sync_and_writes_nothing() {
    let (reg, d) = images("unreach");
    let repo = DeployRepo::new();
    repo.commit(FILE, &pinned(&reg, &d[0]), "first");
    let gone = repo.dir().join("nowhere.git");
    let ws = workspace(&reg, &format!("file://{}", gone.display()), false, "");
    ws.run(&["sync"])
        .fails_with(1, &["deploy", "nowhere.git", "check the url"]);
    assert_eq!(ws.event_count(), 0);

    let ws = workspace(&reg, &repo.url(), false, "");
    let toml = std::fs::read_to_string(ws.config()).unwrap();
    std::fs::write(
        ws.config(),
        toml.replace("branch = \"main\"", "branch = \"release\""),
    )
    .unwrap();
    ws.run(&["sync"])
        .fails_with(1, &["has no branch 'release'", "deploy"]);
    assert_eq!(ws.event_count(), 0);
}

#[test]
fn an_ssh_remote_syncs_like_a_file_one() {
    let (reg, d) = images("ssh");
    let repo = DeployRepo::new();
    repo.commit(FILE, &pinned(&reg, &d[0]), "first");
    let c2 = repo.commit(FILE, &pinned(&reg, &d[1]), "second");
    let server = SshServer::start();
    let ws = workspace(&reg, &server.url(&repo.bare()), false, "");
    let env = server.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = ws.run_env(&["sync"], &env);
    run.ok();
    let row = ws.status_row("production");
    assert_eq!(row["digest"], d[1].as_str());
    assert_eq!(row["commit"], c2.as_str());
    assert_eq!(timeline(&ws).len(), 2);
    // The clone beside the database holds what stock git says main is.
    let clone = ws.path().join("tollgate.db.gitops/deploy.git");
    let out = git_command(&clone)
        .args(["rev-parse", "main"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), c2);
}

/// Tollgate's own promotion commits (their events name the commits, as the promote step writes
/// them) are explained when sync finds them on the branch, also the older of two promotions
/// made since the last sync: no drift, no event but the tip's observation.
#[test]
fn commits_that_promotion_events_name_are_already_explained() {
    let (reg, d) = images("explained");
    let repo = DeployRepo::new();
    repo.commit(FILE, &pinned(&reg, &d[0]), "first");
    let ws = workspace(&reg, &repo.url(), false, "");
    ws.run(&["sync"]).ok();
    // Unsigned commits that promotion events name (written as the promote step would).
    let c2 = repo.commit(FILE, &pinned(&reg, &d[1]), "Promote api b to production");
    let c3 = repo.commit(FILE, &pinned(&reg, &d[2]), "Promote api c to production");
    let mut store = tollgate::store::Store::open(&ws.db()).unwrap();
    let promotion = |commit: &str, digest: &str| tollgate::domain::NewEvent {
        at: committed_at(&repo, commit) + chrono::Duration::minutes(5),
        kind: tollgate::domain::EventKind::Promotion,
        app: "api".into(),
        env: "production".into(),
        digest: Some(tollgate::domain::Digest::parse(digest).unwrap()),
        actor: Some("ci@example.com".into()),
        data: serde_json::json!({
            "repository": "local/payments/api", "git": "deploy", "file": FILE,
            "branch": "main", "commit": commit, "raw_commit": repo.raw_commit(commit),
        }),
    };
    store
        .append(vec![promotion(&c2, &d[1]), promotion(&c3, &d[2])])
        .unwrap();
    drop(store);
    let before = ws.event_count();
    ws.run(&["sync"]).ok();
    assert_eq!(ws.event_count(), before + 1, "only the tip's observation");
    let vias: Vec<(String, String)> = timeline(&ws)
        .iter()
        .map(|s| {
            (
                s["via"].as_str().unwrap().to_string(),
                s["commit"].as_str().unwrap().to_string(),
            )
        })
        .skip(1)
        .collect();
    assert_eq!(
        vias,
        vec![
            ("promotion".into(), c2.clone()),
            ("promotion".into(), c3.clone())
        ]
    );
    let row = ws.status_row("production");
    assert_eq!(row["drift"], false);
    assert_eq!(row["commit"], c3.as_str());
}

/// A lane that has a stay before the file's first sync (a promotion reached the file first)
/// keeps it: the file's earlier commits are not replayed over it as baseline stays.
#[test]
fn a_first_sync_into_a_lane_with_stays_does_not_replay_the_file_over_them() {
    let (reg, d) = images("known");
    let repo = DeployRepo::new();
    repo.commit(FILE, &pinned(&reg, &d[0]), "first");
    let c2 = repo.commit(FILE, &pinned(&reg, &d[1]), "Promote api b to production");
    let ws = workspace(&reg, &repo.url(), false, "");
    ws.run(&["status"]).ok();
    let mut store = tollgate::store::Store::open(&ws.db()).unwrap();
    store
        .append(vec![tollgate::domain::NewEvent {
            at: committed_at(&repo, &c2) + chrono::Duration::minutes(5),
            kind: tollgate::domain::EventKind::Promotion,
            app: "api".into(),
            env: "production".into(),
            digest: Some(tollgate::domain::Digest::parse(&d[1]).unwrap()),
            actor: Some("ci@example.com".into()),
            data: serde_json::json!({
                "repository": "local/payments/api", "git": "deploy", "file": FILE,
                "branch": "main", "commit": c2, "raw_commit": repo.raw_commit(&c2),
            }),
        }])
        .unwrap();
    drop(store);
    ws.run(&["sync"]).ok();
    assert_eq!(
        ws.event_count(),
        2,
        "the promotion and the tip's observation"
    );
    let segments = timeline(&ws);
    assert_eq!(segments.len(), 1);
    assert_eq!(segments[0]["via"], "promotion");
    assert_eq!(ws.status_row("production")["drift"], false);
}

/// A file that pins a digest the registry does not have: the sync goes on (the history says
/// what the file says) and names it in one line.
#[test]
fn a_pinned_digest_the_registry_lacks_is_one_line() {
    let (reg, _d) = images("lacks");
    let repo = DeployRepo::new();
    let absent = format!("sha256:{}", "ab".repeat(32));
    let c1 = repo.commit(FILE, &pinned(&reg, &absent), "first");
    let ws = workspace(&reg, &repo.url(), false, "");
    let run = ws.run(&["sync"]);
    run.ok();
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: ") && l.contains(&absent))
        .collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].contains(&c1) && lines[0].contains("cannot be read"),
        "{}",
        lines[0]
    );
    assert_eq!(ws.status_row("production")["digest"], absent.as_str());
}

#[test]
fn the_checklist_says_when_the_target_file_is_deployed_by_tag() {
    let (reg, d) = images("pinned-rule");
    tollgate_testsupport::skopeo::skopeo_retag(&reg, "payments/api:a", "payments/api:staging");
    let repo = DeployRepo::new();
    repo.commit(
        FILE,
        &deployment_yaml(&format!("{}/payments/api:1.2", reg.host())),
        "by tag",
    );
    let ws = workspace(&reg, &repo.url(), true, "");
    ws.run(&["sync"]);
    let check = ws.run(&[
        "check",
        "--app",
        "api",
        "--to",
        "production",
        "--digest",
        &d[0],
        "--json",
    ]);
    let json = check.json();
    let rules = json["evaluation"]["rules"].as_array().unwrap();
    let notes: Vec<_> = rules.iter().filter(|r| r["rule"] == "pinned").collect();
    assert_eq!(notes.len(), 1, "{json}");
    assert_eq!(notes[0]["blocking"], false);
    let reason = notes[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("deploy:{FILE}")) && reason.contains("by tag 1.2"),
        "{reason}"
    );
    // Pinned by digest: no such line.
    repo.commit(FILE, &pinned(&reg, &d[1]), "pin it");
    ws.run(&["sync"]);
    let json = ws
        .run(&[
            "check",
            "--app",
            "api",
            "--to",
            "production",
            "--digest",
            &d[0],
            "--json",
        ])
        .json();
    assert!(
        json["evaluation"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["rule"] != "pinned"),
        "{json}"
    );
}
