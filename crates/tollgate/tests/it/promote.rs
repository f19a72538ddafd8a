//! Signed approvals, policy gates, promotion and rollback against a real registry and the real
//! OS keychain. Library-level tests pass the clock in; CLI-level tests kill -9 the real binary.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tollgate::api::{self, ApproveRequest, Context, PromoteRequest, RollbackRequest};
use tollgate::config::Workspace;
use tollgate::domain::FixedClock;
use tollgate::keychain::OsKeychain;
use tollgate::Code;

use crate::support::registry::{make_image, push, skopeo_digest, TestRegistry};
use crate::support::workspace::TempWorkspace;

static N: AtomicUsize = AtomicUsize::new(0);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

fn at(hours: i64) -> Context {
    Context {
        clock: Arc::new(FixedClock(t0() + Duration::hours(hours))),
        secrets: Arc::new(OsKeychain),
    }
}

/// Approvers with fresh keys in the real keychain (unique ids per test).
struct People {
    alice: String,
    quinn: String,
    bob: String,
}

fn people() -> (People, String) {
    let n = format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let p = People {
        alice: format!("alice-{n}@example.com"),
        quinn: format!("quinn-{n}@example.com"),
        bob: format!("bob-{n}@example.com"),
    };
    let ctx = at(0);
    let mut toml = String::new();
    for (id, roles) in [
        (&p.alice, "\"manager\""),
        (&p.quinn, "\"qa\""),
        (&p.bob, "\"qa\", \"manager\""),
    ] {
        let key = tollgate::signing::generate_key(id, ctx.secrets.as_ref())
            .expect("keychain (run under scripts/with-keychain.sh)");
        toml.push_str(&format!(
            "\n[[approvers]]\nid = \"{id}\"\nroles = [{roles}]\nkey = \"{}\"\n",
            key.public_key
        ));
    }
    (p, toml)
}

struct Fixture {
    reg: TestRegistry,
    ws: Workspace,
    tmp: TempWorkspace,
    p: People,
    a: String,
    b: String,
}

fn fixture() -> Fixture {
    let reg = TestRegistry::start();
    push(&make_image("promote-a"), &reg, "payments/api:dev");
    push(&make_image("promote-b"), &reg, "payments/api:old");
    let a = skopeo_digest(&reg, "payments/api:dev");
    let b = skopeo_digest(&reg, "payments/api:old");
    let (p, approvers) = people();
    let toml = format!(
        r#"[workspace]
name = "promote"
database = "tollgate.db"

[[registries]]
name = "local"
url = "{}"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [
  {{ name = "dev", tag = "dev" }},
  {{ name = "staging", tag = "staging", policy = {{ approvals = 1, roles = ["qa"] }} }},
  {{ name = "production", tag = "production", repository = "local/prod/api",
    policy = {{ approvals = 2, roles = ["manager", "qa"], min_soak = "24h", four_eyes = true }} }},
]
{approvers}"#,
        reg.url()
    );
    let tmp = TempWorkspace::new(&toml);
    let ws = Workspace::load(&tmp.config(), None).unwrap();
    Fixture {
        reg,
        ws,
        tmp,
        p,
        a,
        b,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn approve(
    f: &Fixture,
    ctx: &Context,
    who: &str,
    to: &str,
    digest: &str,
    role: Option<&str>,
) -> tollgate::Result<api::ApprovalReceipt> {
    api::approve(
        &f.ws,
        ctx,
        ApproveRequest {
            app: "api".into(),
            to: to.into(),
            digest: digest.into(),
            confirm: digest[7..19].into(),
            role: role.map(str::to_string),
            note: Some("looks good".into()),
            approver: Some(who.into()),
        },
    )
}

fn promote(
    f: &Fixture,
    ctx: &Context,
    to: &str,
    digest: &str,
    actor: &str,
) -> tollgate::Result<api::PromotionOutcome> {
    rt().block_on(api::promote(
        &f.ws,
        ctx,
        PromoteRequest {
            app: "api".into(),
            to: to.into(),
            digest: digest.into(),
            actor: actor.into(),
        },
        &|_| {},
    ))
}

fn tag(f: &Fixture, repo_tag: &str) -> Option<String> {
    let out = std::process::Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
        .arg(format!("docker://{}/{repo_tag}", f.reg.host()))
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Every approval in the history verifies with the real `ssh-keygen -Y verify`.
fn ssh_keygen_verifies_every_approval(f: &Fixture) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let signers = dir.path().join("allowed_signers");
    std::fs::write(
        &signers,
        tollgate::signing::allowed_signers(&f.ws.config.approvers),
    )
    .unwrap();
    let store = tollgate::store::Store::open(&f.ws.db_path).unwrap();
    let approvals: Vec<_> = store
        .events(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == tollgate::domain::EventKind::Approval)
        .collect();
    let mut n = 0;
    for e in approvals {
        let message = e.data["message"].as_str().unwrap();
        let signature = e.data["signature"].as_str().unwrap();
        let msg = dir.path().join(format!("m{n}"));
        let sig = dir.path().join(format!("m{n}.sig"));
        std::fs::write(&msg, message).unwrap();
        std::fs::write(&sig, signature).unwrap();
        let status = std::process::Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&signers)
            .args([
                "-I",
                e.actor.as_deref().unwrap(),
                "-n",
                "tollgate-approval",
                "-s",
            ])
            .arg(&sig)
            .stdin(std::fs::File::open(&msg).unwrap())
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "ssh-keygen -Y verify refused approval {}: {}",
            e.seq,
            String::from_utf8_lossy(&status.stderr)
        );
        n += 1;
    }
    n
}

#[test]
fn dev_to_staging_to_production_with_roles_and_soak() {
    let f = fixture();
    rt().block_on(api::sync(&f.ws, &at(0), None, &|_| {}))
        .unwrap();

    // dev → staging: one QA approval.
    let r = approve(&f, &at(1), &f.p.quinn, "staging", &f.a, None).unwrap();
    assert!(r.fingerprint.starts_with("SHA256:"));
    let out = promote(&f, &at(2), "staging", &f.a, "release-bot").unwrap();
    assert_eq!(
        tag(&f, "payments/api:staging").as_deref(),
        Some(f.a.as_str()),
        "skopeo sees the promoted digest"
    );
    assert!(out.snippets.kubectl.contains(&format!("@{}", f.a)));
    assert!(out.snippets.compose.starts_with("image: ") && out.snippets.compose.ends_with(&f.a));

    // The overview shows A waiting for production, with nobody's approval yet.
    let overview = api::overview(&f.ws, t0() + Duration::hours(3)).unwrap();
    let prod = overview
        .cells
        .iter()
        .find(|c| c.status.env == "production")
        .unwrap();
    let waiting = prod.candidate.as_ref().expect("A waits for production");
    assert_eq!(waiting.digest.as_str(), f.a);
    assert!(!waiting.evaluation.passed && waiting.evaluation.counted.is_empty());
    assert!(overview
        .cells
        .iter()
        .find(|c| c.status.env == "staging")
        .unwrap()
        .candidate
        .is_none());

    // staging → production (another repository): manager + QA, 24h soak.
    approve(&f, &at(3), &f.p.alice, "production", &f.a, None).unwrap();
    approve(&f, &at(3), &f.p.quinn, "production", &f.a, None).unwrap();
    let early = promote(&f, &at(4), "production", &f.a, "release-bot").unwrap_err();
    assert_eq!(early.code, Code::Refused);
    assert!(early.message.contains("min_soak"), "{}", early.message);
    assert_eq!(
        tag(&f, "prod/api:production"),
        None,
        "nothing pushed when refused"
    );

    let check =
        api::check_promotion(&f.ws, t0() + Duration::hours(27), "api", "production", &f.a).unwrap();
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    let out = promote(&f, &at(27), "production", &f.a, "release-bot").unwrap();
    assert_eq!(
        tag(&f, "prod/api:production").as_deref(),
        Some(f.a.as_str())
    );
    assert_eq!(out.promotion.approvals.len(), 2);

    let tl = api::timeline(&f.ws, "api", None).unwrap();
    let vias: Vec<_> = tl
        .iter()
        .map(|s| (s.env.as_str(), format!("{:?}", s.via)))
        .collect();
    assert!(
        vias.contains(&("staging", "Promotion".into()))
            && vias.contains(&("production", "Promotion".into())),
        "{vias:?}"
    );
    assert_eq!(ssh_keygen_verifies_every_approval(&f), 3);
    let detail = api::digest_detail(&f.ws, "api", &f.a).unwrap();
    assert_eq!(detail.approvals.len(), 3);
    assert!(detail
        .approvals
        .iter()
        .all(|a| a.verified && a.consumed && a.fingerprint.starts_with("SHA256:")));
    assert_eq!(
        detail
            .stays
            .iter()
            .map(|s| s.env.as_str())
            .collect::<Vec<_>>(),
        ["dev", "staging", "production"]
    );
    assert!(detail.image.as_ref().is_some_and(|i| i.created.is_some()));
    assert_eq!(detail.snippets.len(), 3);
    // A second promotion with the same (now consumed) approvals is refused.
    let again = promote(&f, &at(28), "production", &f.a, "release-bot").unwrap_err();
    assert!(again.message.contains("approvals"), "{}", again.message);
    let verified = api::verify(&f.ws).unwrap();
    assert!(verified.ok(), "{verified:?}");
    assert_eq!(verified.approvals, 3);
}

#[test]
fn refusals_each_say_why_and_push_nothing() {
    let f = fixture();
    let ctx = at(0);
    rt().block_on(api::sync(&f.ws, &ctx, None, &|_| {}))
        .unwrap();
    // Put A into staging (bob promotes, so bob may not approve it for production).
    approve(&f, &at(1), &f.p.quinn, "staging", &f.a, None).unwrap();
    promote(&f, &at(2), "staging", &f.a, &f.p.bob).unwrap();

    // Tag-only and malformed input.
    assert_eq!(
        promote(&f, &at(30), "production", "dev", "x")
            .unwrap_err()
            .code,
        Code::InvalidReference
    );
    let bad_confirm = api::approve(
        &f.ws,
        &at(30),
        ApproveRequest {
            app: "api".into(),
            to: "production".into(),
            digest: f.a.clone(),
            confirm: "000000000000".into(),
            role: None,
            note: None,
            approver: Some(f.p.alice.clone()),
        },
    )
    .unwrap_err();
    assert_eq!(bad_confirm.code, Code::BadInput);
    assert!(bad_confirm.message.contains(&f.a[7..19]));

    // Valid key, wrong role.
    let e = approve(&f, &at(30), &f.p.quinn, "production", &f.a, Some("manager")).unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(
        e.message.contains("does not hold role 'manager'"),
        "{}",
        e.message
    );

    // Not enough approvers, and the missing role.
    approve(&f, &at(30), &f.p.quinn, "production", &f.a, None).unwrap();
    let e = promote(&f, &at(30), "production", &f.a, "release-bot").unwrap_err();
    assert!(
        e.message.contains("approvals") && e.message.contains("roles"),
        "{}",
        e.message
    );

    // Four-eyes: bob put A into staging; his approval does not count.
    approve(&f, &at(30), &f.p.bob, "production", &f.a, Some("manager")).unwrap();
    let e = promote(&f, &at(31), "production", &f.a, "release-bot").unwrap_err();
    assert!(
        e.message.contains("four-eyes") || e.message.contains("four_eyes"),
        "{}",
        e.message
    );

    // Replay: approvals for another digest or another environment do not count.
    let for_staging = approve(&f, &at(31), &f.p.alice, "staging", &f.a, Some("manager")).unwrap();
    let check =
        api::check_promotion(&f.ws, t0() + Duration::hours(31), "api", "production", &f.a).unwrap();
    assert!(!check.evaluation.passed);
    assert!(
        !check.evaluation.counted.contains(&for_staging.event.seq),
        "an approval for staging never counts for production"
    );
    // An approval of A never counts for B (B never ran in staging at all: refused outright).
    let e = promote(&f, &at(31), "production", &f.b, "release-bot").unwrap_err();
    assert!(e.message.contains("never ran"), "{}", e.message);
    assert_eq!(
        tag(&f, "prod/api:production"),
        None,
        "nothing was pushed by any refusal"
    );

    // Unknown key: the approver's listed key changes (a key rotation nobody signed with).
    approve(&f, &at(32), &f.p.alice, "production", &f.a, None).unwrap();
    let check =
        api::check_promotion(&f.ws, t0() + Duration::hours(32), "api", "production", &f.a).unwrap();
    assert!(check.evaluation.passed, "{:?}", check.evaluation);
    let other =
        tollgate::signing::generate_key(&format!("other-{}", f.p.alice), &OsKeychain).unwrap();
    let text = std::fs::read_to_string(f.tmp.config()).unwrap();
    let alice_key =
        f.ws.config
            .approvers
            .iter()
            .find(|a| a.id == f.p.alice)
            .unwrap()
            .key
            .clone();
    std::fs::write(f.tmp.config(), text.replace(&alice_key, &other.public_key)).unwrap();
    let rotated = Workspace::load(&f.tmp.config(), None).unwrap();
    let check = api::check_promotion(
        &rotated,
        t0() + Duration::hours(32),
        "api",
        "production",
        &f.a,
    )
    .unwrap();
    assert!(!check.evaluation.passed);
    assert!(
        check
            .evaluation
            .ignored
            .iter()
            .any(|i| i.approver == f.p.alice),
        "{:?}",
        check.evaluation.ignored
    );
    std::fs::write(f.tmp.config(), text).unwrap();

    // Forged signature: alter a stored signature behind the store's back.
    for t in f
        .tmp
        .sqlite("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='events'")
        .lines()
    {
        f.tmp.sqlite(&format!("DROP TRIGGER {t}"));
    }
    let seq = f.tmp.sqlite(&format!(
        "SELECT max(seq) FROM events WHERE kind='approval' AND actor='{}'",
        f.p.alice
    ));
    f.tmp.sqlite(&format!("UPDATE events SET data = json_set(data, '$.message', replace(json_extract(data, '$.message'), 'looks good', 'looks fine')) WHERE seq = {seq}"));
    let e = promote(&f, &at(33), "production", &f.a, "release-bot").unwrap_err();
    assert!(
        e.message.contains("approvals") || e.message.contains("roles"),
        "{}",
        e.message
    );
    assert_eq!(tag(&f, "prod/api:production"), None);
    let verified = api::verify(&f.ws).unwrap();
    assert!(
        verified.problems.iter().any(|p| p.seq.to_string() == seq),
        "the altered approval is named: {verified:?}"
    );
    assert!(
        verified.chain.broken.is_some(),
        "the chain notices the edit too"
    );
}

#[test]
fn rollback_returns_to_an_earlier_digest_with_the_same_gates() {
    let f = fixture();
    rt().block_on(api::sync(&f.ws, &at(0), None, &|_| {}))
        .unwrap();
    approve(&f, &at(1), &f.p.quinn, "staging", &f.a, None).unwrap();
    promote(&f, &at(2), "staging", &f.a, "release-bot").unwrap();
    // B reaches dev and then staging.
    std::process::Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ])
        .arg(format!("docker://{}/payments/api:old", f.reg.host()))
        .arg(format!("docker://{}/payments/api:dev", f.reg.host()))
        .status()
        .unwrap();
    rt().block_on(api::record(
        &f.ws,
        &at(3),
        api::RecordRequest {
            app: "api".into(),
            env: "dev".into(),
            image: format!("local/payments/api@{}", f.b),
            actor: "ci".into(),
            at: None,
        },
    ))
    .unwrap();
    approve(&f, &at(4), &f.p.quinn, "staging", &f.b, None).unwrap();
    promote(&f, &at(5), "staging", &f.b, "release-bot").unwrap();
    assert_eq!(
        tag(&f, "payments/api:staging").as_deref(),
        Some(f.b.as_str())
    );

    let rb = |h| {
        rt().block_on(api::rollback(
            &f.ws,
            &at(h),
            RollbackRequest {
                app: "api".into(),
                env: "staging".into(),
                digest: f.a.clone(),
                actor: "release-bot".into(),
            },
            &|_| {},
        ))
    };
    // The earlier approval of A for staging was consumed by the first promotion.
    let e = rb(6).unwrap_err();
    assert!(e.message.contains("approvals"), "{}", e.message);
    assert_eq!(
        tag(&f, "payments/api:staging").as_deref(),
        Some(f.b.as_str())
    );
    approve(&f, &at(6), &f.p.quinn, "staging", &f.a, None).unwrap();
    let out = rb(7).unwrap();
    assert_eq!(out.promotion.kind, tollgate::domain::EventKind::Rollback);
    assert_eq!(
        tag(&f, "payments/api:staging").as_deref(),
        Some(f.a.as_str())
    );
    let last = api::timeline(&f.ws, "api", Some("staging"))
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (last.digest.as_str(), last.via),
        (f.a.as_str(), tollgate::domain::Via::Rollback)
    );
    // A digest that never ran there is refused.
    let never = format!("sha256:{}", "1".repeat(64));
    let e = rt()
        .block_on(api::rollback(
            &f.ws,
            &at(8),
            RollbackRequest {
                app: "api".into(),
                env: "staging".into(),
                digest: never,
                actor: "x".into(),
            },
            &|_| {},
        ))
        .unwrap_err();
    assert!(e.message.contains("never ran"), "{}", e.message);
}

/// `kill -9` the real CLI right after each journalled step; the next start finishes or cleanly
/// fails the promotion, no approval is lost or used twice, and the history matches the registry.
#[test]
fn a_promotion_killed_at_any_step_is_finished_or_failed_on_the_next_start() {
    for step in ["intended", "pushed", "verified"] {
        let f = fixture();
        let cli = |args: &[&str], env: &[(&str, &str)]| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"));
            cmd.arg("--config")
                .arg(f.tmp.config())
                .args(args)
                .env("TOLLGATE_ACTOR", "release-bot");
            for (k, v) in env {
                cmd.env(k, v);
            }
            cmd.output().unwrap()
        };
        assert!(cli(&["sync"], &[]).status.success());
        approve(&f, &Context::system(), &f.p.quinn, "staging", &f.a, None).unwrap();
        let killed = cli(
            &[
                "promote", "--app", "api", "--to", "staging", "--digest", &f.a,
            ],
            &[("TOLLGATE_TEST_KILL_AT", step)],
        );
        assert_eq!(
            killed.status.code(),
            None,
            "{step}: killed by a signal: {killed:?}"
        );
        let open = f.tmp.sqlite("SELECT state FROM promotions");
        assert_eq!(open, step, "journal at the step it died in");

        let next = cli(&["status"], &[]);
        assert!(next.status.success(), "{step}: {next:?}");
        let state = f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1");
        let promotions = f
            .tmp
            .sqlite("SELECT count(*) FROM events WHERE kind = 'promotion'");
        let registry = tag(&f, "payments/api:staging");
        match step {
            "intended" => {
                assert_eq!((state.as_str(), promotions.as_str()), ("failed", "0"));
                assert_eq!(registry, None, "nothing published, nothing claimed");
                // The approval was released, not lost: the promotion can run again.
                let again = cli(
                    &[
                        "promote", "--app", "api", "--to", "staging", "--digest", &f.a,
                    ],
                    &[],
                );
                assert!(again.status.success(), "{again:?}");
                assert_eq!(
                    tag(&f, "payments/api:staging").as_deref(),
                    Some(f.a.as_str())
                );
            }
            _ => {
                assert_eq!(
                    (state.as_str(), promotions.as_str()),
                    ("recorded", "1"),
                    "{step}"
                );
                assert_eq!(
                    registry.as_deref(),
                    Some(f.a.as_str()),
                    "the history claims only what the registry shows"
                );
                // The approval is consumed: a second promotion with it is refused.
                let again = cli(
                    &[
                        "promote", "--app", "api", "--to", "staging", "--digest", &f.a,
                    ],
                    &[],
                );
                assert_eq!(again.status.code(), Some(1), "{again:?}");
            }
        }
        assert!(cli(&["verify"], &[]).status.success());
    }
}
