//! Teammates and an environment in a deployment repository: two desktops (two databases, one
//! tollgate.toml, `[team] share` on by default) over one real `docker-registry` and one bare
//! repository over `file://`. A promotion into the file on desktop A is published as a version 2
//! `tollgate.promotion` message naming `git`, `file` and `commit`; desktop B imports it AND
//! fetches the commit: the commit is explained (via promotion, A's promoter as actor, no drift),
//! and `verify` holds. A listed identity's valid signature over a message whose commit pins
//! another digest, or is not on the branch, is kept `unplaced` with the line saying why, and B's
//! sync still reports the file's real state (drift for an unexplained commit).

use tollgate::api;
use tollgate::domain::EventKind;
use tollgate::keychain::OsKeychain;
use tollgate::signing::{self, Anchor, EventMessage, Move, MovePlace, PROMOTION_KIND};
use tollgate::team::ArtifactKind;

use tollgate_testsupport::deploy_repo::{deployment_yaml, DeployRepo};
use tollgate_testsupport::signed::{at, t0, SignedWorkspace};
use tollgate_testsupport::team::{events_of, plant, sync};
use tollgate_testsupport::workspace::TempWorkspace;

const FILE: &str = "apps/api/deployment.yaml";

/// dev (image A) → production (the file, pinning image B committed by hand); one QA approval.
/// Quinn and Bob are QA, Alice the manager who promotes.
struct Team {
    f: SignedWorkspace,
    repo: DeployRepo,
    a: String,
    b: String,
    quinn: String,
    alice: String,
    bob: String,
    /// The commit by hand that pins B.
    base: String,
}

impl Team {
    fn new(name: &str) -> Team {
        let repo = DeployRepo::new();
        let f = SignedWorkspace::builder(
            name,
            &[
                r#"{ name = "dev", tag = "dev" }"#,
                r#"{ name = "production", git = "deploy", file = "apps/api/deployment.yaml", policy = { approvals = 1, roles = ["qa"] } }"#,
            ],
        )
        .image("dev", &format!("{name}-a"))
        .image("old", &format!("{name}-b"))
        .approver("quinn", &["qa"])
        .approver("alice", &["manager"])
        .approver("bob", &["qa"])
        .extra_toml(&format!(
            "\n[[git]]\nname = \"deploy\"\nurl = \"{}\"\n",
            repo.url()
        ))
        .build();
        let (a, b) = (f.digests[0].clone(), f.digests[1].clone());
        let (quinn, alice, bob) = (
            f.approvers[0].clone(),
            f.approvers[1].clone(),
            f.approvers[2].clone(),
        );
        let base = repo.commit(
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
            bob,
            base,
        }
    }

    fn image(&self, digest: &str) -> String {
        format!("{}/payments/api@{digest}", self.f.reg.host())
    }

    /// A promotion message into production of `digest` naming `commit`, signed with Alice's
    /// listed key (valid: what someone holding her key, or a buggy client, could publish).
    fn signed_by_alice(&self, digest: &str, commit: &str, hours: i64) -> (Vec<u8>, String) {
        self.signed_by_alice_in(FILE, digest, commit, hours)
    }

    /// [`Self::signed_by_alice`] naming `file` of the deployment repository.
    fn signed_by_alice_in(
        &self,
        file: &str,
        digest: &str,
        commit: &str,
        hours: i64,
    ) -> (Vec<u8>, String) {
        let m = EventMessage::new(
            Move {
                kind: PROMOTION_KIND,
                app: "api".into(),
                env: "production".into(),
                from: Some("dev".into()),
                digest: digest.parse().unwrap(),
                previous: Some(self.b.parse().unwrap()),
                repository: "local/payments/api".into(),
                place: MovePlace::Git {
                    git: "deploy".into(),
                    file: file.into(),
                    commit: commit.into(),
                },
                approvals: Vec::new(),
                deployed_at: None,
            },
            &self.alice,
            t0() + chrono::Duration::hours(hours),
            &Anchor::genesis(),
        );
        let bytes = m.to_bytes();
        let signature = signing::sign(&self.alice, &bytes, &OsKeychain).unwrap();
        (bytes, signature)
    }
}

fn timeline(dir: &TempWorkspace) -> Vec<serde_json::Value> {
    let run = dir.run(&["timeline", "--app", "api", "--env", "production", "--json"]);
    run.ok();
    run.json().as_array().unwrap().clone()
}

#[test]
fn a_git_promotion_on_one_desktop_is_imported_and_its_commit_explained_on_another() {
    let t = Team::new("gitteam-promo");
    let (b_dir, desktop_b) = t.f.desktop();
    sync(&t.f.ws, &at(0));
    sync(&desktop_b, &at(0));
    t.f.approve(&at(1), &t.quinn, "production", &t.a, None)
        .unwrap();
    let outcome = t.f.promote(&at(2), "production", &t.a, &t.alice).unwrap();
    let commit = outcome
        .git
        .as_ref()
        .expect("a git promotion")
        .commit
        .clone();
    assert_eq!(
        t.repo.tip(),
        commit,
        "the promotion commit is the branch tip"
    );

    // Published like a tag's move: a version 2 message naming git, file and commit.
    let share = outcome
        .shared
        .clone()
        .expect("published to the team's registry");
    assert!(share.shared, "{share:?}");
    let event = outcome.event.as_ref().unwrap();
    let message = EventMessage::parse(event.data_str("message").unwrap().as_bytes()).unwrap();
    assert_eq!(message.v, 2);
    assert_eq!(message.tag, None);
    assert_eq!(message.git.as_deref(), Some("deploy"));
    assert_eq!(message.file.as_deref(), Some(FILE));
    assert_eq!(message.commit.as_deref(), Some(commit.as_str()));

    // Desktop B imports Alice's promotion and fetches the commit: explained, no drift.
    let report = sync(&desktop_b, &at(3));
    assert_eq!(report.team.imported_events, 1, "{:?}", report.team);
    assert_eq!(report.team.unplaced, 0, "{:?}", report.team);
    assert_eq!(report.team.untrusted, 0, "{:?}", report.team);
    let row = &report.git[0];
    assert!(!row.drift, "{row:?}");
    assert_eq!(row.commit, commit);
    assert_eq!(
        row.digest.as_ref().map(|d| d.to_string()),
        Some(t.a.clone())
    );
    let change = row
        .changes
        .iter()
        .find(|c| c.commit == commit)
        .unwrap_or_else(|| panic!("{row:?}"));
    assert_eq!(change.outcome, "promotion", "{row:?}");
    assert_eq!(report.drifted_git().count(), 0);
    let imported = events_of(&desktop_b, EventKind::Promotion);
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].data["commit"], commit.as_str());
    assert_eq!(imported[0].data["git"], "deploy");
    assert_eq!(imported[0].data["file"], FILE);
    assert!(
        imported[0].data.get("tag").is_none(),
        "{}",
        imported[0].data
    );
    assert!(events_of(&desktop_b, EventKind::Drift).is_empty());

    // The CLI on B: the timeline names the promotion, Alice and the commit `git log` shows.
    let last = timeline(&b_dir).pop().expect("a segment");
    assert_eq!(last["digest"], t.a.as_str(), "{last}");
    assert_eq!(last["via"], "promotion", "{last}");
    assert_eq!(last["actor"], t.alice.as_str(), "{last}");
    assert_eq!(last["commit"], t.repo.log()[0].0.as_str(), "{last}");
    let again = b_dir.run(&["sync"]);
    again.ok();
    assert!(!again.stderr.contains("drift"), "{}", again.stderr);
    let status = b_dir.status_row("production");
    assert_eq!(status["drift"], false, "{status}");
    assert_eq!(status["commit"], commit.as_str(), "{status}");

    // On A: B runs in dev (recorded), goes on to production, and production rolls back to A
    // (a fresh QA approval of A): each a signed commit, each published; on B the last one is
    // via rollback, Alice, at the branch tip, no drift.
    t.f.record(&at(4), "dev", &t.b);
    t.f.approve(&at(4), &t.quinn, "production", &t.b, None)
        .unwrap();
    t.f.promote(&at(4), "production", &t.b, &t.alice).unwrap();
    t.f.approve(&at(5), &t.bob, "production", &t.a, None)
        .unwrap();
    let back = t.f.rollback(&at(5), "production", &t.a, &t.alice).unwrap();
    let back_commit = back.git.as_ref().expect("a git rollback").commit.clone();
    assert!(
        back.shared.as_ref().is_some_and(|s| s.shared),
        "{:?}",
        back.shared
    );
    assert_eq!(t.repo.tip(), back_commit);
    let report = sync(&desktop_b, &at(6));
    assert!(report.team.imported_events >= 2, "{:?}", report.team);
    assert_eq!(report.team.unplaced, 0, "{:?}", report.team);
    assert!(!report.git[0].drift, "{:?}", report.git[0]);
    assert_eq!(report.git[0].commit, back_commit);
    let last = timeline(&b_dir).pop().expect("a segment");
    assert_eq!(last["digest"], t.a.as_str(), "{last}");
    assert_eq!(last["via"], "rollback", "{last}");
    assert_eq!(last["actor"], t.alice.as_str(), "{last}");
    assert_eq!(last["commit"], back_commit.as_str(), "{last}");
    assert_eq!(events_of(&desktop_b, EventKind::Rollback).len(), 1);
    assert!(events_of(&desktop_b, EventKind::Drift)
        .iter()
        .all(|d| d.env != "production"));

    let v = api::verify(&desktop_b).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert!(v.signed_events >= 2);
}

#[test]
fn a_signed_git_move_the_repository_does_not_show_is_unplaced_and_the_file_is_judged_as_it_is() {
    let t = Team::new("gitteam-forged");
    let (_b_dir, desktop_b) = t.f.desktop();
    sync(&desktop_b, &at(0));
    // By hand, unsigned: production now pins A.
    let by_hand = t
        .repo
        .commit(FILE, &deployment_yaml(&t.image(&t.a)), "Deploy A by hand");

    // Alice's valid signature over a promotion of A whose commit pins B (the base commit).
    let (bytes, signature) = t.signed_by_alice(&t.a, &t.base, 1);
    let wrong_digest = plant(&t.f, ArtifactKind::Promotion, &t.a, bytes, signature).to_string();
    // And one naming a commit this repository does not have on its branch.
    let (bytes, signature) = t.signed_by_alice(&t.a, &"f".repeat(40), 1);
    let not_on_branch = plant(&t.f, ArtifactKind::Promotion, &t.a, bytes, signature).to_string();

    // And one naming another file: not this environment's place (untrusted, as a wrong tag).
    let (bytes, signature) = t.signed_by_alice_in("other.yaml", &t.a, &t.base, 1);
    let other_file = plant(&t.f, ArtifactKind::Promotion, &t.a, bytes, signature).to_string();

    let report = sync(&desktop_b, &at(2));
    assert_eq!(report.team.imported_events, 0, "{:?}", report.team);
    assert_eq!(report.team.unplaced, 2, "{:?}", report.team);
    assert_eq!(report.team.untrusted, 1, "{:?}", report.team);
    let line = |artifact: &str| {
        report
            .team
            .skipped
            .iter()
            .find(|s| s.contains(artifact))
            .unwrap_or_else(|| panic!("{artifact}: {:?}", report.team.skipped))
            .clone()
    };
    let pins = line(&wrong_digest);
    assert!(
        pins.contains(&format!("pins {}", t.image(&t.b)))
            || pins.contains(&format!("pins {}", t.b)),
        "{pins}"
    );
    assert!(pins.contains("disagree"), "{pins}");
    let elsewhere = line(&other_file);
    assert!(
        elsewhere.starts_with("untrusted promotion")
            && elsewhere.contains("in deploy:other.yaml, but api production is"),
        "{elsewhere}"
    );
    let absent = line(&not_on_branch);
    assert!(absent.contains("is not on deploy/main"), "{absent}");

    // The file's real state: the commit by hand is drift (nothing explains it).
    let row = &report.git[0];
    assert!(row.drift, "{row:?}");
    assert_eq!(row.commit, by_hand);
    assert!(
        row.changes
            .iter()
            .any(|c| c.commit == by_hand && c.outcome == "drift"),
        "{row:?}"
    );
    assert!(events_of(&desktop_b, EventKind::Promotion).is_empty());
    let unplaced = events_of(&desktop_b, EventKind::Unplaced);
    assert_eq!(unplaced.len(), 2);
    assert!(unplaced.iter().all(|u| u
        .data_str("why")
        .is_some_and(|w| w.contains("signed commit"))));
    // Kept once: a second sync neither imports nor keeps them again; still drift.
    let again = sync(&desktop_b, &at(3));
    assert_eq!(again.team.imported_events, 0, "{:?}", again.team);
    assert_eq!(again.team.unplaced, 0, "{:?}", again.team);
    assert!(again.git[0].drift);
    let v = api::verify(&desktop_b).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
}
