//! Teammates and git environments, the parts that arrive later than a direct promotion: a
//! promotion pushed for review (`push = "branch"`) is published to the team's registry by the
//! sync that sees it land, and a teammate's sync imports it; a review entry that lands before
//! the environment's first sync is that promotion, not a baseline stay; the pull before
//! `approve` fetches the deployment repository, so a teammate's git promotion counts at once;
//! and a git promotion killed after its push, recovered by the next command, is published too.
//! Two desktops (two databases, one tollgate.toml) over one real `docker-registry` and one bare
//! repository over `file://`, merged with stock git.

use serde_json::Value;
use tollgate::api::Context;
use tollgate::config::Workspace;
use tollgate::domain::{Event, EventKind};

use super::gitops_promote::{promote_args, text, Fixture, PROMOTER};
use tollgate_testsupport::deploy_repo::{deployment_yaml, DeployRepo};
use tollgate_testsupport::signed::{at, SignedWorkspace};
use tollgate_testsupport::skopeo::skopeo_raw;
use tollgate_testsupport::team::{events_of, sync};
use tollgate_testsupport::workspace::TempWorkspace;

const FILE: &str = "apps/api/deployment.yaml";
const PROMOTION_TYPE: &str = "application/vnd.tollgate.promotion.v1+json";

/// App `api` with `environments`, image A in dev (and image B pushed as `old`), the deployment
/// repository's file pinning B (committed by hand), `[[git]] deploy` with `git_lines` added.
/// Quinn is QA, Alice the manager who promotes.
struct Team {
    f: SignedWorkspace,
    repo: DeployRepo,
    a: String,
    b: String,
    quinn: String,
    alice: String,
}

impl Team {
    fn new(name: &str, environments: &[&str], git_lines: &str) -> Team {
        let repo = DeployRepo::new();
        let f = SignedWorkspace::builder(name, environments)
            .image("dev", &format!("{name}-a"))
            .image("old", &format!("{name}-b"))
            .approver("quinn", &["qa"])
            .approver("alice", &["manager"])
            .extra_toml(&format!(
                "\n[[git]]\nname = \"deploy\"\nurl = \"{}\"\n{git_lines}",
                repo.url()
            ))
            .build();
        let (a, b) = (f.digests[0].clone(), f.digests[1].clone());
        let (quinn, alice) = (f.approvers[0].clone(), f.approvers[1].clone());
        repo.commit(
            FILE,
            &deployment_yaml(&format!("{}/payments/api@{b}", f.reg.host())),
            "Deploy B by hand",
        );
        Team {
            f,
            repo,
            a,
            b,
            quinn,
            alice,
        }
    }

    /// dev → production (the file; one QA approval), review branches for production.
    fn for_review(name: &str) -> Team {
        Team::new(
            name,
            &[
                r#"{ name = "dev", tag = "dev" }"#,
                r#"{ name = "production", git = "deploy", file = "apps/api/deployment.yaml", policy = { approvals = 1, roles = ["qa"] } }"#,
            ],
            "push = \"branch\"\n",
        )
    }

    /// Quinn approves A for production, Alice promotes it (at `ctx`'s time): pushed for
    /// review. The review branch.
    fn promote_for_review(&self, ctx: &Context) -> String {
        self.f
            .approve(ctx, &self.quinn, "production", &self.a, None)
            .unwrap();
        let outcome = self
            .f
            .promote(ctx, "production", &self.a, &self.alice)
            .unwrap();
        assert!(outcome.event.is_none(), "recorded when it lands");
        assert!(outcome.shared.is_none(), "nothing to share before it lands");
        outcome
            .git
            .and_then(|g| g.review_branch)
            .expect("pushed to a review branch")
    }

    /// Merge `review` into main with `git merge --no-ff` in the work tree and push: the merge
    /// commit.
    fn merge(&self, review: &str) -> String {
        self.repo.pull();
        self.repo.work_git(&["fetch", "-q", "origin", review]);
        self.repo.work_git(&[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            &format!("Merge branch '{review}'"),
            "FETCH_HEAD",
        ]);
        self.repo.work_git(&["push", "-q", "origin", "HEAD:main"]);
        self.repo.tip()
    }
}

/// The last segment of `env` in `timeline --json` of the desktop in `dir`.
fn last_segment(dir: &TempWorkspace, env: &str) -> Value {
    let run = dir.run(&["timeline", "--app", "api", "--env", env, "--json"]);
    run.ok();
    run.json()
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .expect("a segment")
}

/// The artifact `artifact` in the registry (read with skopeo): a promotion attached to `subject`.
fn assert_promotion_artifact(f: &SignedWorkspace, artifact: &str, subject: &str) {
    let raw = skopeo_raw(&f.reg, &format!("payments/api@{artifact}"));
    let manifest: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(manifest["artifactType"], PROMOTION_TYPE, "{manifest}");
    assert_eq!(manifest["subject"]["digest"], subject, "{manifest}");
}

#[test]
fn a_review_promotion_is_published_when_it_lands_and_a_teammate_imports_it() {
    // The real clock throughout: A's sync runs the `tollgate` binary, and B must not see its
    // signature as made in the future.
    let now = Context::system();
    let t = Team::for_review("gitrev-team");
    let (b_dir, desktop_b) = t.f.desktop();
    sync(&t.f.ws, &now);
    sync(&desktop_b, &now);
    let review = t.promote_for_review(&now);
    let merge = t.merge(&review);

    // A's sync sees the merge land: it records the promotion and publishes it.
    let out = t.f.tmp.run(&["sync"]);
    out.ok();
    assert!(
        out.stdout.contains(&format!(
            "api production: recorded promotion 1 by {}, pushed for review to {review} (merged), at commit {merge} on main",
            t.alice
        )),
        "{}",
        out.stdout
    );
    let promotion = events_of(&t.f.ws, EventKind::Promotion);
    assert_eq!(promotion.len(), 1, "{promotion:?}");
    let artifact = t.f.tmp.sqlite(&format!(
        "SELECT digest || ' ' || shared || ' ' || kind FROM team_artifacts WHERE event_seq = {}",
        promotion[0].seq
    ));
    let (artifact, rest) = artifact.split_once(' ').expect("a team artifact row");
    assert_eq!(rest, "1 promotion", "shared");
    assert!(
        out.stdout
            .contains(&format!("shared as {artifact} in local/payments/api")),
        "{}",
        out.stdout
    );
    assert_promotion_artifact(&t.f, artifact, &t.a);

    // B's sync imports it (its own fetch shows the merge commit pinning A): the merge commit
    // is explained, no drift, and B's status and timeline name Alice's promotion.
    let report = sync(&desktop_b, &now);
    assert_eq!(report.team.imported_events, 1, "{:?}", report.team);
    assert_eq!(report.team.unplaced, 0, "{:?}", report.team);
    assert_eq!(report.team.untrusted, 0, "{:?}", report.team);
    let row = &report.git[0];
    assert!(!row.drift, "{row:?}");
    assert_eq!(row.commit, merge);
    assert!(
        row.changes
            .iter()
            .any(|c| c.commit == merge && c.outcome == "promotion"),
        "{row:?}"
    );
    let imported = events_of(&desktop_b, EventKind::Promotion);
    assert_eq!(imported.len(), 1, "{imported:?}");
    assert_eq!(imported[0].actor.as_deref(), Some(t.alice.as_str()));
    assert_eq!(imported[0].digest.as_ref().unwrap().as_str(), t.a);
    assert_eq!(imported[0].data["commit"], merge.as_str());
    assert_eq!(imported[0].data["imported"]["artifact"], artifact);
    assert!(events_of(&desktop_b, EventKind::Drift).is_empty());
    assert!(events_of(&desktop_b, EventKind::Unplaced).is_empty());

    let status = b_dir.status_row("production");
    assert_eq!(status["digest"], t.a.as_str(), "{status}");
    assert_eq!(status["drift"], false, "{status}");
    assert_eq!(status["via"], "promotion", "{status}");
    assert_eq!(status["actor"], t.alice.as_str(), "{status}");
    assert_eq!(status["commit"], merge.as_str(), "{status}");
    let last = last_segment(&b_dir, "production");
    assert_eq!(last["digest"], t.a.as_str(), "{last}");
    assert_eq!(last["via"], "promotion", "{last}");
    assert_eq!(last["actor"], t.alice.as_str(), "{last}");
    assert_eq!(last["commit"], merge.as_str(), "{last}");
    let verify = b_dir.run(&["verify"]);
    verify.ok();
}

#[test]
fn a_review_promotion_that_lands_before_the_first_sync_of_its_environment_is_that_promotion() {
    let t = Team::for_review("gitrev-backfill");
    // Production has never been synced: CI recorded A in dev, and the promotion reads what the
    // file pins at the branch tip (B) as its baseline.
    t.f.record(&at(0), "dev", &t.a);
    let review = t.promote_for_review(&at(1));
    let merge = t.merge(&review);

    // The first sync backfills the file's history: the hand commit is the baseline, the merge
    // is Alice's promotion (not a baseline stay of the merge's committer).
    let report = sync(&t.f.ws, &at(2));
    let row = &report.git[0];
    assert!(!row.drift, "{row:?}");
    let outcomes: Vec<(&str, &str)> = row
        .changes
        .iter()
        .map(|c| (c.commit.as_str(), c.outcome.as_str()))
        .collect();
    let base = t.repo.log()[1].0.clone();
    assert_eq!(
        outcomes,
        vec![(base.as_str(), "baseline"), (merge.as_str(), "promotion")],
        "{row:?}"
    );
    let landed = row.changes.last().unwrap();
    assert!(
        landed
            .why
            .as_deref()
            .is_some_and(|w| w.contains("promotion 1") && w.contains("(merged)")),
        "{landed:?}"
    );
    assert!(
        landed.shared.as_ref().is_some_and(|s| s.shared),
        "{landed:?}"
    );
    let promotion = events_of(&t.f.ws, EventKind::Promotion);
    assert_eq!(promotion.len(), 1, "{promotion:?}");
    assert_eq!(promotion[0].actor.as_deref(), Some(t.alice.as_str()));
    assert_eq!(promotion[0].data["commit"], merge.as_str());
    assert_eq!(promotion[0].data["landed"], "merged");
    assert_eq!(promotion[0].data["journal"], 1);
    assert_eq!(promotion[0].data["previous"], t.b.as_str());
    assert_eq!(
        t.f.tmp
            .sqlite("SELECT state || ' ' || event_seq FROM promotions WHERE id = 1"),
        format!("recorded {}", promotion[0].seq)
    );
    // The baseline: one observation of B at the hand commit, none at the merge.
    let baseline: Vec<Event> = events_of(&t.f.ws, EventKind::Observation)
        .into_iter()
        .filter(|o| o.env == "production" && o.data.get("baseline").is_some())
        .collect();
    assert_eq!(baseline.len(), 1, "{baseline:?}");
    assert_eq!(baseline[0].digest.as_ref().unwrap().as_str(), t.b);
    assert_eq!(baseline[0].data["commit"], base.as_str());
    assert!(events_of(&t.f.ws, EventKind::Drift).is_empty());

    let last = last_segment(&t.f.tmp, "production");
    assert_eq!(last["digest"], t.a.as_str(), "{last}");
    assert_eq!(last["via"], "promotion", "{last}");
    assert_eq!(last["actor"], t.alice.as_str(), "{last}");
    assert_eq!(last["commit"], merge.as_str(), "{last}");
    let status = t.f.tmp.status_row("production");
    assert_eq!(status["digest"], t.a.as_str(), "{status}");
    assert_eq!(status["drift"], false, "{status}");
    // A second sync: nothing new for the merge.
    let again = sync(&t.f.ws, &at(3));
    assert!(!again.git[0].drift);
    assert!(again.git[0].changes.is_empty(), "{:?}", again.git[0]);
    assert_eq!(events_of(&t.f.ws, EventKind::Promotion).len(), 1);
    t.f.tmp.run(&["verify"]).ok();
}

/// dev → staging (the file, no gate) → production (a tag; one QA approval), desktops A and B
/// both synced, then Alice promotes A into staging on desktop A (a signed commit on main,
/// published). Desktop B has not synced since. The commit.
fn staging_promoted_on_a(name: &str) -> (Team, TempWorkspace, Workspace, String) {
    let t = Team::new(
        name,
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", git = "deploy", file = "apps/api/deployment.yaml" }"#,
            r#"{ name = "production", tag = "production", policy = { approvals = 1, roles = ["qa"] } }"#,
        ],
        "",
    );
    let (b_dir, desktop_b) = t.f.desktop();
    sync(&t.f.ws, &at(0));
    sync(&desktop_b, &at(0));
    let outcome = t.f.promote(&at(1), "staging", &t.a, &t.alice).unwrap();
    let commit = outcome
        .git
        .as_ref()
        .expect("a git promotion")
        .commit
        .clone();
    assert_eq!(t.repo.tip(), commit);
    assert!(
        outcome.shared.as_ref().is_some_and(|s| s.shared),
        "{:?}",
        outcome.shared
    );
    (t, b_dir, desktop_b, commit)
}

#[test]
fn the_pull_before_approve_fetches_the_repository_so_a_teammates_git_promotion_counts_at_once() {
    let (t, b_dir, desktop_b, commit) = staging_promoted_on_a("gitrev-pull");

    // On desktop B, with no sync since: Quinn approves A for production. The pull before the
    // approval fetches the deployment repository, so Alice's promotion is imported (its commit
    // is on the branch, pinning A) and A ran in staging: the approval is given.
    let receipt =
        t.f.approve_in(&desktop_b, &at(2), &t.quinn, "production", &t.a, None)
            .unwrap();
    assert_eq!(receipt.event.env, "production");
    assert!(events_of(&desktop_b, EventKind::Unplaced).is_empty());
    let imported = events_of(&desktop_b, EventKind::Promotion);
    assert_eq!(imported.len(), 1, "{imported:?}");
    assert_eq!(imported[0].actor.as_deref(), Some(t.alice.as_str()));
    assert_eq!(imported[0].data["commit"], commit.as_str());
    let last = last_segment(&b_dir, "staging");
    assert_eq!(last["digest"], t.a.as_str(), "{last}");
    assert_eq!(last["via"], "promotion", "{last}");
    assert_eq!(last["actor"], t.alice.as_str(), "{last}");
    // Status: the stay is Alice's promotion; `digest` and `commit` stay what B's last sync read
    // until the next one (as for a tag).
    let status = b_dir.status_row("staging");
    assert_eq!(status["via"], "promotion", "{status}");
    assert_eq!(status["actor"], t.alice.as_str(), "{status}");
    assert_eq!(status["drift"], false, "{status}");

    // B's next sync finds the commit explained: no drift, nothing more imported or unplaced.
    let report = sync(&desktop_b, &at(3));
    let row = report.git.iter().find(|g| g.env == "staging").unwrap();
    assert!(!row.drift, "{row:?}");
    assert_eq!(row.commit, commit);
    assert!(
        row.changes
            .iter()
            .all(|c| c.commit != commit || c.outcome == "promotion"),
        "{row:?}"
    );
    assert_eq!(report.team.unplaced, 0, "{:?}", report.team);
    assert!(events_of(&desktop_b, EventKind::Drift).is_empty());
    assert_eq!(events_of(&desktop_b, EventKind::Promotion).len(), 1);
    let status = b_dir.status_row("staging");
    assert_eq!(status["digest"], t.a.as_str(), "{status}");
    assert_eq!(status["commit"], commit.as_str(), "{status}");
    assert_eq!(status["via"], "promotion", "{status}");
    b_dir.run(&["verify"]).ok();
}

/// The same, with the deployment repository unreachable from B during the pull: the move is
/// kept `unplaced`, its line naming the failed fetch, and the approval is refused (A never ran
/// in staging as B knows it). With the repository back, the next pull fetches it and the move
/// is imported.
#[test]
fn a_failed_fetch_before_approve_keeps_the_teammates_git_move_unplaced_and_says_why() {
    let (t, _b_dir, desktop_b, commit) = staging_promoted_on_a("gitrev-pull-fail");
    let away = t.repo.dir().join("away.git");
    std::fs::rename(t.repo.bare(), &away).unwrap();
    let refused =
        t.f.approve_in(&desktop_b, &at(2), &t.quinn, "production", &t.a, None)
            .unwrap_err();
    assert!(
        refused.message.contains("never ran in api staging"),
        "{}",
        refused.message
    );
    let unplaced = events_of(&desktop_b, EventKind::Unplaced);
    assert_eq!(unplaced.len(), 1, "{unplaced:?}");
    let why = unplaced[0].data_str("why").unwrap();
    assert!(
        why.contains(&format!("its signed commit {}", &commit[..12]))
            && why.contains("fetching git 'deploy' failed"),
        "{why}"
    );
    assert!(events_of(&desktop_b, EventKind::Promotion).is_empty());

    std::fs::rename(&away, t.repo.bare()).unwrap();
    t.f.approve_in(&desktop_b, &at(2), &t.quinn, "production", &t.a, None)
        .unwrap();
    let imported = events_of(&desktop_b, EventKind::Promotion);
    assert_eq!(imported.len(), 1, "{imported:?}");
    assert_eq!(imported[0].data["commit"], commit.as_str());
}

#[test]
fn a_git_promotion_killed_after_its_push_is_recovered_and_published_to_the_team() {
    let fx = Fixture::new("gitrev-recover");
    let (b_dir, desktop_b) = fx.f.desktop();
    sync(&desktop_b, &Context::system());
    fx.approve(&fx.quinn, &fx.a);
    let killed = fx
        .cli(&promote_args(&fx.a), &[("TOLLGATE_TEST_KILL_AT", "pushed")])
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), None, "{}", text(&killed));
    let commit = fx.repo.tip();
    assert_eq!(
        fx.f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1"),
        "pushed"
    );

    // The next command recovers it: recorded, and published like any promotion.
    let status = fx.run(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
    let promotions = fx.events(EventKind::Promotion);
    assert_eq!(promotions.len(), 1, "{promotions:?}");
    assert_eq!(promotions[0].data["recovered"], true);
    assert_eq!(promotions[0].data["commit"], commit.as_str());
    let artifact = fx.f.tmp.sqlite(&format!(
        "SELECT digest || ' ' || shared FROM team_artifacts WHERE event_seq = {}",
        promotions[0].seq
    ));
    let (artifact, shared) = artifact.split_once(' ').expect("a team artifact row");
    assert_eq!(shared, "1");
    assert_promotion_artifact(&fx.f, artifact, &fx.a);

    // B imports it: the commit (signed by the promoter's listed key) is that promotion, not a
    // signed deployment.
    let out = b_dir.run(&["sync"]);
    out.ok();
    let imported = events_of(&desktop_b, EventKind::Promotion);
    assert_eq!(imported.len(), 1, "{imported:?}\n{}", out.stdout);
    assert_eq!(imported[0].data["imported"]["artifact"], artifact);
    assert!(events_of(&desktop_b, EventKind::Record).is_empty());
    let last = last_segment(&b_dir, "production");
    assert_eq!(last["digest"], fx.a.as_str(), "{last}");
    assert_eq!(last["via"], "promotion", "{last}");
    assert_eq!(last["actor"], PROMOTER, "{last}");
    assert_eq!(last["commit"], commit.as_str(), "{last}");
}

/// The teammate syncs after the merge but before the promoter's sync published the promotion:
/// the forge's merge commit is drift there (nothing explains it yet). Once the promoter's sync
/// publishes it, the teammate's next sync imports it as the late explanation of that drift.
#[test]
fn a_teammate_who_saw_the_merge_first_has_its_drift_explained_when_the_promotion_is_published() {
    let now = Context::system();
    let t = Team::for_review("gitrev-late");
    let (b_dir, desktop_b) = t.f.desktop();
    sync(&t.f.ws, &now);
    sync(&desktop_b, &now);
    let review = t.promote_for_review(&now);
    let merge = t.merge(&review);

    let early = sync(&desktop_b, &now);
    assert!(early.git[0].drift, "{:?}", early.git[0]);
    assert_eq!(b_dir.status_row("production")["drift"], true);

    let shared = sync(&t.f.ws, &now);
    let landed = shared.git[0]
        .changes
        .iter()
        .find(|c| c.commit == merge)
        .unwrap_or_else(|| panic!("{:?}", shared.git[0]));
    assert_eq!(landed.outcome, "promotion");
    assert!(
        landed.shared.as_ref().is_some_and(|s| s.shared),
        "{landed:?}"
    );

    let report = sync(&desktop_b, &now);
    assert_eq!(report.team.imported_events, 1, "{:?}", report.team);
    assert_eq!(report.team.unplaced, 0, "{:?}", report.team);
    assert!(!report.git[0].drift, "{:?}", report.git[0]);
    let imported = events_of(&desktop_b, EventKind::Promotion);
    assert_eq!(imported.len(), 1, "{imported:?}");
    assert_eq!(imported[0].actor.as_deref(), Some(t.alice.as_str()));
    assert_eq!(imported[0].data["commit"], merge.as_str());
    // The drift is explained (no longer drifting); the stay still began as it was seen, by the
    // merge commit (a later move of the same digest does not restart a stay, as for a tag).
    let status = b_dir.status_row("production");
    assert_eq!(status["drift"], false, "{status}");
    assert_eq!(status["digest"], t.a.as_str(), "{status}");
    let last = last_segment(&b_dir, "production");
    assert_eq!(last["digest"], t.a.as_str(), "{last}");
    assert_eq!(last["commit"], merge.as_str(), "{last}");
    let again = b_dir.run(&["sync"]);
    again.ok();
    assert!(!again.stderr.contains("drift"), "{}", again.stderr);
    b_dir.run(&["verify"]).ok();
}
