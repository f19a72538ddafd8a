//! The gate counts only what is proven (issue 9, sections 3 and 4), against a real registry,
//! the real OS keychain and real SQLite files: soak is the current stay in append time,
//! `record --at` cannot backdate a soak or place a stay before its start or its image, old
//! approvals expire, four-eyes fails closed, a drifted digest needs a record that vouches for
//! it, and actors are identities resolved once for the CLI and the app.

use std::process::Command;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use tollgate::api::{self, Context, RecordRequest};
use tollgate::domain::{Event, Via};
use tollgate::keychain::OsKeychain;
use tollgate::policy::{Rule, RuleResult};
use tollgate::Code;

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::process::run;
use tollgate_testsupport::signed::{at, production_check, rt, t0, unique_id, SignedWorkspace};
use tollgate_testsupport::skopeo::{push, skopeo_digest, skopeo_retag};
use tollgate_testsupport::workspace::{workspace_toml, Run, TempWorkspace};

/// `dev` → `staging` (no policy) → `production`, which needs one approval, 24 hours in staging
/// and four eyes (plus `extra` policy keys). Images A (`gate-a`) and B (`gate-b`) are pushed
/// under `tag_a` and `old`; approvers alice (manager), quinn (qa), bob (qa).
fn fixture(tag_a: &str, extra: &str) -> (SignedWorkspace, [String; 2], [String; 3]) {
    let production = format!(
        r#"{{ name = "production", tag = "production", repository = "local/prod/api", policy = {{ approvals = 1, min_soak = "24h", four_eyes = true{extra} }} }}"#
    );
    let f = SignedWorkspace::builder(
        "gate",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging" }"#,
            &production,
        ],
    )
    .image(tag_a, "gate-a")
    .image("old", "gate-b")
    .approver("alice", &["manager"])
    .approver("quinn", &["qa"])
    .approver("bob", &["qa"])
    .build();
    let digests = <[String; 2]>::try_from(f.digests.clone()).unwrap();
    let people = <[String; 3]>::try_from(f.approvers.clone()).unwrap();
    (f, digests, people)
}

fn rule(check: &api::PromotionCheck, name: Rule) -> &RuleResult {
    check
        .evaluation
        .rules
        .iter()
        .find(|r| r.rule == name)
        .unwrap_or_else(|| panic!("no rule {name} in {:?}", check.evaluation))
}

/// `api::record` of `local/payments/api@{digest}` into `env` by `actor`, claiming `claimed`.
fn record_as(
    f: &SignedWorkspace,
    ctx: &Context,
    env: &str,
    digest: &str,
    actor: &str,
    claimed: Option<DateTime<Utc>>,
) -> tollgate::Result<Event> {
    rt().block_on(api::record(
        &f.ws,
        ctx,
        RecordRequest {
            app: "api".into(),
            env: env.into(),
            image: format!("local/payments/api@{digest}"),
            actor: actor.into(),
            at: claimed,
        },
    ))
    .map(|r| r.event)
}

/// The config's `created` of `REPO:TAG`, as skopeo reads the image config from the registry.
fn skopeo_created(f: &SignedWorkspace, repo_tag: &str) -> DateTime<Utc> {
    let config = run(Command::new("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--config",
        "--raw",
        &format!("docker://{}/{repo_tag}", f.reg.host()),
    ]));
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    DateTime::parse_from_rfc3339(config["created"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[test]
fn min_soak_counts_only_the_digest_s_current_stay_in_the_source_environment() {
    let (f, [a, b], [alice, ..]) = fixture("dev", "");
    f.sync(&at(0));
    f.promote(&at(1), "staging", &a, "release-bot").unwrap();
    // Two hours later B replaces A in staging.
    skopeo_retag(&f.reg, "payments/api:old", "payments/api:dev");
    f.record(&at(2), "dev", &b);
    f.promote(&at(3), "staging", &b, "release-bot").unwrap();
    f.approve(&at(30), &alice, "production", &a, None).unwrap();
    f.approve(&at(26), &alice, "production", &b, None).unwrap();

    // A ran two hours in staging, a day ago: that is no soak.
    let check = production_check(&f.ws, 30, &a);
    assert!(!check.evaluation.passed, "{:?}", check.evaluation);
    let soak = rule(&check, Rule::MinSoak);
    assert!(!soak.passed);
    assert!(
        soak.reason
            .starts_with("this digest is no longer in staging")
            && soak.reason.contains("its longest stay there was 2h")
            && soak.reason.contains("counts only its current stay"),
        "{}",
        soak.reason
    );
    let e = f
        .promote(&at(30), "production", &a, "release-bot")
        .unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(e.message.contains("min_soak"), "{}", e.message);
    assert_eq!(f.tag("prod/api:production"), None, "nothing pushed");

    // B, which is still there, soaks from when it arrived (hour 3): not at 26, at 27.
    let check = production_check(&f.ws, 26, &b);
    assert_eq!(
        rule(&check, Rule::MinSoak).reason,
        format!(
            "soaked 23h in staging, needs 24h (ready at {})",
            rfc3339(t0() + Duration::hours(27))
        )
    );
    f.promote(&at(27), "production", &b, "release-bot").unwrap();
    assert_eq!(f.tag("prod/api:production").as_deref(), Some(b.as_str()));
}

#[test]
fn a_backdated_record_never_satisfies_min_soak() {
    let (f, [_, b], [alice, ..]) = fixture("dev", "");
    f.sync(&at(0));
    skopeo_retag(&f.reg, "payments/api:old", "payments/api:staging");
    // At hour 100, CI says B has been in staging since hour 28 (three days ago).
    let claimed = t0() + Duration::hours(28);
    let rec = record_as(&f, &at(100), "staging", &b, "ci", Some(claimed)).unwrap();
    assert_eq!(rec.at, claimed, "the claim is kept as the deployment time");
    assert_eq!(
        f.tmp.sqlite(&format!(
            "SELECT json_extract(data, '$.appended_at') FROM events WHERE seq = {}",
            rec.seq
        )),
        "2026-11-06T13:00:00.000Z",
        "and the append time beside it"
    );
    let staging = api::timeline(&f.ws, "api", Some("staging")).unwrap();
    assert_eq!(staging.last().unwrap().from, claimed);
    f.approve(&at(100), &alice, "production", &b, None).unwrap();

    // Soak counts from when the history learned of it: 1 hour, not 73.
    let check = production_check(&f.ws, 101, &b);
    assert!(!check.evaluation.passed);
    assert_eq!(
        rule(&check, Rule::MinSoak).reason,
        "soaked 1h in staging, needs 24h (ready at 2026-11-07T13:00:00Z)"
    );
    assert!(f
        .promote(&at(101), "production", &b, "release-bot")
        .is_err());
    // A day after the record, it has soaked.
    let check = production_check(&f.ws, 124, &b);
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    f.promote(&at(124), "production", &b, "release-bot")
        .unwrap();
    assert_eq!(f.tag("prod/api:production").as_deref(), Some(b.as_str()));
}

#[test]
fn record_at_is_refused_before_the_image_was_created_or_the_current_stay_began() {
    let (f, [a, b], _) = fixture("dev", "");
    let created = skopeo_created(&f, "payments/api:dev");
    let image_a = format!("local/payments/api@{a}");
    let image_b = format!("local/payments/api@{b}");
    let record = |env: &str, image: &str, claimed: &str| {
        f.tmp.run(&[
            "record", "--app", "api", "--env", env, "--image", image, "--at", claimed,
        ])
    };

    // Before the image existed: refused, nothing written.
    for early in [
        "1970-01-01T00:00:00Z".to_string(),
        rfc3339(created - Duration::seconds(1)),
    ] {
        record("dev", &image_a, &early)
            .fails_with(2, &[&early, "before", &rfc3339(created), "created"]);
    }
    assert_eq!(f.tmp.event_count(), 0);
    // At the moment it was created: accepted.
    record("dev", &image_a, &rfc3339(created)).ok();

    // B arrives in dev now (the real clock); a claim placing A after it but before B's
    // arrival would end B's stay before it began.
    f.tmp
        .run(&[
            "record", "--app", "api", "--env", "dev", "--image", &image_b,
        ])
        .ok();
    let timeline = |env: &str| {
        let out = f
            .tmp
            .run(&["timeline", "--app", "api", "--env", env, "--json"]);
        out.ok();
        out.json().as_array().unwrap().clone()
    };
    let b_from = timeline("dev").last().unwrap()["from"]
        .as_str()
        .unwrap()
        .to_string();
    let before_b = rfc3339(created + Duration::hours(1));
    let line = record("dev", &image_a, &before_b)
        .fails_with(2, &[&before_b, "before the current stay in api dev began"]);
    assert!(line.contains(&b[7..19]), "{line}");
    assert_eq!(f.tmp.event_count(), 2);
    // At B's arrival or later: accepted, and no stay ends before it starts.
    record("dev", &image_a, &b_from).ok();
    let segments = timeline("dev");
    assert_eq!(segments.len(), 3, "{segments:?}");
    for s in &segments {
        if let Some(until) = s["until"].as_str() {
            let (from, until) = (
                DateTime::parse_from_rfc3339(s["from"].as_str().unwrap()).unwrap(),
                DateTime::parse_from_rfc3339(until).unwrap(),
            );
            assert!(from <= until, "{s}");
        }
    }
}

#[test]
fn approvals_older_than_approval_max_age_do_not_count() {
    let (f, [a, _], [alice, quinn, _]) = fixture("staging", r#", approval_max_age = "7d""#);
    f.sync(&at(0));
    record_as(&f, &at(0), "staging", &a, "release-bot", None).unwrap();
    f.approve(&at(1), &alice, "production", &a, None).unwrap();

    // Seven days after signing it still counts.
    let check = production_check(&f.ws, 1 + 7 * 24, &a);
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    // An hour later it does not, and the checklist says why.
    let check = production_check(&f.ws, 2 + 7 * 24, &a);
    assert!(!check.evaluation.passed);
    let why = format!("approval by {alice} ignored: it was signed 7d1h ago (2026-11-02T10:00:00Z), older than approval_max_age 7d; sign a fresh one");
    assert_eq!(check.evaluation.ignored[0].reason, why);
    assert_eq!(
        rule(&check, Rule::Approvals).reason,
        format!("needs 1 distinct approver, has none; {why}")
    );
    let e = f
        .promote(&at(2 + 7 * 24), "production", &a, "release-bot")
        .unwrap_err();
    assert!(e.message.contains("approval_max_age 7d"), "{}", e.message);
    assert_eq!(f.tag("prod/api:production"), None);
    // A fresh approval counts.
    f.approve(&at(3 + 7 * 24), &quinn, "production", &a, None)
        .unwrap();
    f.promote(&at(3 + 7 * 24), "production", &a, "release-bot")
        .unwrap();
    assert_eq!(f.tag("prod/api:production").as_deref(), Some(a.as_str()));
}

#[test]
fn four_eyes_fails_closed_for_a_digest_first_seen_by_sync_until_a_record_names_the_deployer() {
    let (f, [a, _], [alice, quinn, _]) = fixture("staging", "");
    f.sync(&at(0));
    f.approve(&at(1), &alice, "production", &a, None).unwrap();

    // Nobody is known to have put A into staging: four-eyes cannot pass.
    let check = production_check(&f.ws, 30, &a);
    assert!(!check.evaluation.passed, "{:?}", check.evaluation);
    let four_eyes = rule(&check, Rule::FourEyes);
    assert!(!four_eyes.passed && four_eyes.blocking);
    assert!(
        four_eyes
            .reason
            .contains("no one is known to have put this digest into staging: it was first seen there by a sync"),
        "{}",
        four_eyes.reason
    );
    assert!(f
        .promote(&at(30), "production", &a, "release-bot")
        .unwrap_err()
        .message
        .contains("four_eyes"));
    assert_eq!(f.tag("prod/api:production"), None);

    // Alice says she deployed it, spelling her name in capitals and without the domain: the
    // history records her approver id, and her own approval stops counting.
    let short = alice.split('@').next().unwrap().to_uppercase();
    let rec = record_as(&f, &at(31), "staging", &a, &short, None).unwrap();
    assert_eq!(rec.actor.as_deref(), Some(alice.as_str()));
    let check = production_check(&f.ws, 32, &a);
    assert_eq!(check.entered_by.as_deref(), Some(alice.as_str()));
    assert!(!check.evaluation.passed);
    assert_eq!(
        rule(&check, Rule::FourEyes).reason,
        format!("{alice} put this digest into staging and may not approve it (four-eyes); that approval does not count")
    );
    // Someone else's approval counts; the soak still runs from the first sighting.
    f.approve(&at(32), &quinn, "production", &a, None).unwrap();
    let out = f.promote(&at(33), "production", &a, "release-bot").unwrap();
    assert_eq!(out.check.evaluation.counted.len(), 1);
    assert_eq!(f.tag("prod/api:production").as_deref(), Some(a.as_str()));
}

#[test]
fn a_digest_that_arrived_by_drift_is_not_promoted_until_a_record_vouches_for_it() {
    let (f, [_, b], [alice, quinn, _]) = fixture("staging", "");
    f.sync(&at(0));
    // The staging tag moves to B outside Tollgate; the next sync sees drift.
    skopeo_retag(&f.reg, "payments/api:old", "payments/api:staging");
    f.sync(&at(1));
    let staging = api::timeline(&f.ws, "api", Some("staging")).unwrap();
    assert_eq!(staging.last().unwrap().via, Via::Drift);
    f.approve(&at(2), &alice, "production", &b, None).unwrap();

    let e = f
        .promote(&at(30), "production", &b, "release-bot")
        .unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(
        e.message
            .contains("provenance: this digest came into staging by drift")
            && e.message.contains("no record vouches for it")
            && e.message.contains("four_eyes: no one is known"),
        "{}",
        e.message
    );
    assert_eq!(f.tag("prod/api:production"), None, "nothing pushed");

    // Quinn vouches for it with a record: she is now who put it there.
    let rec = record_as(&f, &at(31), "staging", &b, &quinn, None).unwrap();
    assert_eq!(rec.actor.as_deref(), Some(quinn.as_str()));
    let check = production_check(&f.ws, 31, &b);
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    assert_eq!(
        rule(&check, Rule::Provenance).reason,
        format!("this digest came into staging by drift; {quinn} vouched for it with a record")
    );
    // ...so her approval would not count, alice's does.
    f.approve(&at(31), &quinn, "production", &b, None).unwrap();
    let out = f.promote(&at(32), "production", &b, "release-bot").unwrap();
    assert_eq!(out.check.evaluation.approvers, [alice.as_str()]);
    assert_eq!(f.tag("prod/api:production").as_deref(), Some(b.as_str()));
}

/// The real CLI with HOME in `tmp`, the keychain of the test session, and none of
/// `$TOLLGATE_ACTOR`, `$USER`, `$USERNAME`, `$TOLLGATE_APPROVER` unless given in `env`.
fn cli(tmp: &TempWorkspace, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    cmd.arg("--config")
        .arg(tmp.config())
        .args(args)
        .current_dir(tmp.path())
        .env("HOME", tmp.path().join("home"))
        .env("DOCKER_CONFIG", tmp.path().join("home/.docker"))
        .env_remove("TOLLGATE_CONFIG")
        .env_remove("TOLLGATE_LOG");
    for var in ["TOLLGATE_ACTOR", "USER", "USERNAME", "TOLLGATE_APPROVER"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("tollgate runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The actor of the newest segment of `env`, as `timeline --json` shows it.
fn last_actor(tmp: &TempWorkspace, env: &str) -> String {
    let out = cli(
        tmp,
        &["timeline", "--app", "api", "--env", env, "--json"],
        &[],
    );
    out.ok();
    out.json().as_array().unwrap().last().unwrap()["actor"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_cli_resolves_actors_as_identities_with_the_keychain_identity_before_the_login_name() {
    let reg = tollgate_testsupport::registry::TestRegistry::start();
    push(&make_image("gate-actor"), &reg, "payments/api:dev");
    let digest = skopeo_digest(&reg, "payments/api:dev");
    let image = format!("local/payments/api@{digest}");
    let dana = unique_id("dana");
    let base = workspace_toml(
        "actors",
        &reg.url(),
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging" }"#,
        ],
    );
    // This machine's signing identity: `tollgate key init` puts it in the real keychain.
    let outside = TempWorkspace::new(&base);
    cli(&outside, &["key", "init", "--id", &dana], &[]).ok();
    let key = tollgate::signing::public_key(&dana, &OsKeychain).unwrap();
    let listed = TempWorkspace::new(&format!(
        "{base}\n[[approvers]]\nid = \"{dana}\"\nroles = [\"qa\"]\nkey = \"{}\"\n",
        key.public_key
    ));
    let record = ["record", "--app", "api", "--env", "dev", "--image", &image];

    // No --actor, no $TOLLGATE_ACTOR, no $USER (as under cron): the listed keychain identity.
    cli(&listed, &record, &[]).ok();
    assert_eq!(last_actor(&listed, "dev"), dana);
    // Where tollgate.toml does not list it, nothing names the actor: one clear line, exit 2.
    cli(&outside, &record, &[]).fails_with(2, &["who is acting?", "--actor", "TOLLGATE_ACTOR"]);
    assert_eq!(outside.event_count(), 0);
    // ...until $USER does.
    cli(&outside, &record, &[("USER", "ops-person")]).ok();
    assert_eq!(last_actor(&outside, "dev"), "ops-person");

    // $TOLLGATE_ACTOR comes before the keychain; a name that is an approver's is their id.
    let short = dana.split('@').next().unwrap().to_uppercase();
    let staging = [
        "record", "--app", "api", "--env", "staging", "--image", &image,
    ];
    cli(&listed, &staging, &[("TOLLGATE_ACTOR", "ci@example.com")]).ok();
    assert_eq!(last_actor(&listed, "staging"), "ci@example.com");
    // --actor comes before $TOLLGATE_ACTOR.
    let mut explicit = record.to_vec();
    explicit.extend(["--actor", &short]);
    cli(&listed, &explicit, &[("TOLLGATE_ACTOR", "ci@example.com")]).ok();
    let actors = listed.sqlite("SELECT actor FROM events WHERE kind = 'record' ORDER BY seq");
    assert_eq!(
        actors.lines().collect::<Vec<_>>(),
        [dana.as_str(), "ci@example.com", dana.as_str()],
        "--actor {short} is recorded as {dana}"
    );
}

#[test]
fn durations_too_long_for_the_clock_are_config_errors_not_panics() {
    for (value, command) in [("200000000000d", "status"), ("100000000d", "check")] {
        let toml = workspace_toml(
            "long",
            "http://127.0.0.1:9",
            &[
                r#"{ name = "dev", tag = "dev" }"#,
                &format!(
                    r#"{{ name = "staging", tag = "staging", policy = {{ min_soak = "{value}" }} }}"#
                ),
            ],
        );
        let tmp = TempWorkspace::new(&toml);
        let args: Vec<&str> = match command {
            "check" => vec![
                "check",
                "--app",
                "api",
                "--to",
                "staging",
                "--digest",
                "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            ],
            _ => vec!["status"],
        };
        tmp.run(&args)
            .fails_with(2, &["line 14", "min_soak", value, "too long a duration"]);
    }
}
