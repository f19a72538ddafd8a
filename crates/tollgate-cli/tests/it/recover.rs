//! The promotion journal with more than one process: a promotion that is still running is never
//! recovered by another command, two promotions into one tag never interleave, an abandoned
//! entry is finished or failed (also when its registry left tollgate.toml), a push whose answer
//! was lost is recorded when the tag moved, and the status shows the read-back tag afterwards.
//! Real `tollgate` processes, a real registry (through a proxy that loses an answer), SQLite.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

use chrono::Duration;
use tollgate::api::{self, Context, PromoteRequest, PromotionOutcome};
use tollgate::config::Workspace;
use tollgate::domain::Via;
use tollgate::store::Store;
use tollgate::Code;

use tollgate_testsupport::proxy::FaultProxy;
use tollgate_testsupport::signed::{at, rt, t0, SignedWorkspace};
use tollgate_testsupport::skopeo::skopeo_retag;

/// dev (A) → staging (one QA approval); image B under the tag `old`; two QA approvers.
fn fixture(name: &str) -> (SignedWorkspace, String, String, String, String) {
    let f = SignedWorkspace::builder(
        name,
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
        ],
    )
    .image("dev", &format!("{name}-a"))
    .image("old", &format!("{name}-b"))
    .approver("quinn", &["qa"])
    .approver("bob", &["qa"])
    .build();
    let (a, b) = (f.digests[0].clone(), f.digests[1].clone());
    let (quinn, bob) = (f.approvers[0].clone(), f.approvers[1].clone());
    (f, a, b, quinn, bob)
}

/// The real CLI on this workspace, as `release-bot`.
fn cli(f: &SignedWorkspace, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    cmd.arg("--config")
        .arg(f.tmp.config())
        .args(args)
        .env("TOLLGATE_ACTOR", "release-bot")
        .env_remove("TOLLGATE_TEST_KILL_AT")
        .env_remove("TOLLGATE_TEST_PAUSE_AT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn run(f: &SignedWorkspace, args: &[&str]) -> Output {
    cli(f, args, &[]).output().unwrap()
}

fn promote_args(digest: &str) -> Vec<&str> {
    vec![
        "promote", "--app", "api", "--to", "staging", "--digest", digest,
    ]
}

/// A running `tollgate promote` and the rest of its standard error (kept open: it still writes).
struct Paused {
    child: Child,
    stderr: BufReader<std::process::ChildStderr>,
}

impl Paused {
    fn id(&self) -> u32 {
        self.child.id()
    }
}

/// A `tollgate promote` stopped right after `step` (`TOLLGATE_TEST_PAUSE_AT`): returned once it
/// has said so, still running. [`resume`] lets it go on.
fn paused_promotion(f: &SignedWorkspace, digest: &str, step: &str) -> Paused {
    let mut child = cli(
        f,
        &promote_args(digest),
        &[("TOLLGATE_TEST_PAUSE_AT", step)],
    )
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

fn resume(mut p: Paused) -> Output {
    p.child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut p.stderr, &mut rest).unwrap();
    let mut out = p.child.wait_with_output().unwrap();
    out.stderr = rest.into_bytes();
    out
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(lines.len(), 1, "one error line: {}", text(out));
    lines[0].to_string()
}

/// A promotion paused before its push is not recovered by `tollgate status` from another
/// process (today's code failed it and released its approval, and the push that followed moved
/// the tag with no history event); a second promotion into the same tag is refused, naming the
/// open one; the first then finishes and is recorded.
#[test]
fn a_running_promotion_is_left_alone_and_a_second_one_into_its_tag_is_refused() {
    let (f, a, b, quinn, bob) = fixture("running");
    assert!(run(&f, &["sync"]).status.success());
    f.approve(&Context::system(), &quinn, "staging", &a, None)
        .unwrap();

    let first = paused_promotion(&f, &a, "intended");
    assert_eq!(f.tmp.sqlite("SELECT state FROM promotions"), "intended");
    assert_eq!(
        f.tmp
            .sqlite("SELECT owner_pid FROM promotions WHERE id = 1"),
        first.id().to_string(),
        "the entry names the process running it"
    );

    // Another process opens the workspace (CI asking for the status): recovery runs there.
    let status = run(&f, &["status"]);
    assert!(status.status.success(), "{}", text(&status));
    assert_eq!(
        f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1"),
        "intended",
        "a running promotion is not recovered: {}",
        text(&status)
    );
    assert_eq!(
        f.tmp
            .sqlite("SELECT count(*) FROM promotion_approvals WHERE promotion_id = 1"),
        "1",
        "its approval stays reserved"
    );

    // B reaches dev and is approved for staging; promoting it now would interleave.
    skopeo_retag(&f.reg, "payments/api:old", "payments/api:dev");
    f.record(&Context::system(), "dev", &b);
    f.approve(&Context::system(), &bob, "staging", &b, None)
        .unwrap();
    let second = run(&f, &promote_args(&b));
    assert_eq!(second.status.code(), Some(1), "{}", text(&second));
    let line = error_line(&second);
    for word in [
        "promotion 1",
        "release-bot",
        &format!("process {}", first.id()),
        "open since",
        "local/payments/api:staging",
        "wait for it to finish",
    ] {
        assert!(line.contains(word), "'{word}' not in: {line}");
    }
    assert_eq!(f.tmp.sqlite("SELECT count(*) FROM promotions"), "1");
    assert_eq!(f.tag("payments/api:staging"), None, "nothing pushed yet");

    // The first one goes on and is recorded; the registry shows its digest.
    let done = resume(first);
    assert!(done.status.success(), "{}", text(&done));
    assert_eq!(
        f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1"),
        "recorded"
    );
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));
    // Now B may follow.
    let after = run(&f, &promote_args(&b));
    assert!(after.status.success(), "{}", text(&after));
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(b.as_str()));
    assert!(run(&f, &["verify"]).status.success());
}

/// An entry whose owner is gone is recovered; one owned by another host is judged by its
/// heartbeat: fresh, it is left alone; older than the bound (10 minutes), it is recovered.
#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "heartbeats compared with the system time by the recovering process"
)]
fn an_abandoned_entry_is_recovered_once_its_owner_is_gone() {
    let (f, a, _, quinn, _) = fixture("abandoned");
    assert!(run(&f, &["sync"]).status.success());
    f.approve(&Context::system(), &quinn, "staging", &a, None)
        .unwrap();
    let mut first = paused_promotion(&f, &a, "intended");
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert_eq!(f.tmp.sqlite("SELECT state FROM promotions"), "intended");

    // As if it ran on another machine sharing this database, which signalled just now.
    let now = chrono::Utc::now();
    let beat = |t: chrono::DateTime<chrono::Utc>| {
        f.tmp.sqlite(&format!(
            "UPDATE promotions SET owner_host = 'another-host.example', heartbeat_at = '{}' WHERE id = 1",
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ))
    };
    beat(now);
    assert!(run(&f, &["status"]).status.success());
    assert_eq!(
        f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1"),
        "intended",
        "a fresh heartbeat from another host: still running"
    );
    beat(now - Duration::minutes(11));
    let status = run(&f, &["status"]);
    assert!(status.status.success(), "{}", text(&status));
    assert_eq!(
        f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1"),
        "failed",
        "{}",
        text(&status)
    );
    assert!(
        String::from_utf8_lossy(&status.stderr).contains("note: promotion 1"),
        "{}",
        text(&status)
    );
    // Its approval was released: the promotion can run again.
    let again = run(&f, &promote_args(&a));
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));
}

/// A promotion killed with its registry then removed from tollgate.toml: recovery fails the
/// entry with the reason instead of failing every later command and promotion.
#[test]
fn an_entry_whose_registry_left_tollgate_toml_is_failed_with_the_reason() {
    let (f, a, _, quinn, _) = fixture("gone");
    assert!(run(&f, &["sync"]).status.success());
    f.approve(&Context::system(), &quinn, "staging", &a, None)
        .unwrap();
    let killed = cli(
        &f,
        &promote_args(&a),
        &[("TOLLGATE_TEST_KILL_AT", "intended")],
    )
    .output()
    .unwrap();
    assert_eq!(killed.status.code(), None, "{}", text(&killed));

    // The registry is renamed: `local` is no longer in tollgate.toml.
    let toml = std::fs::read_to_string(f.tmp.config()).unwrap();
    let renamed = toml
        .replace("name = \"local\"", "name = \"main\"")
        .replace("\"local/", "\"main/");
    std::fs::write(f.tmp.config(), renamed).unwrap();

    let status = run(&f, &["status"]);
    assert!(status.status.success(), "{}", text(&status));
    assert_eq!(
        f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1"),
        "failed"
    );
    let error = f.tmp.sqlite("SELECT error FROM promotions WHERE id = 1");
    assert!(
        error.contains("registry 'local'") && error.contains("cannot be recovered"),
        "{error}"
    );
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(
        stderr.contains("note: promotion 1") && stderr.contains("registry 'local'"),
        "{stderr}"
    );
    // Later promotions are not held up.
    let again = run(&f, &promote_args(&a));
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));
}

/// The workspace of `f` pointed at the registry through a new fault proxy, synced at hour 0,
/// with `approver`'s approval of `digest` into staging at hour 1.
fn approved_behind_a_proxy(
    f: &SignedWorkspace,
    digest: &str,
    approver: &str,
) -> (FaultProxy, Workspace) {
    let proxy = FaultProxy::start(f.reg.port());
    let toml = std::fs::read_to_string(f.tmp.config()).unwrap();
    std::fs::write(
        f.tmp.config(),
        toml.replace(&f.reg.url(), &format!("http://{}", proxy.host())),
    )
    .unwrap();
    let ws = Workspace::load(&f.tmp.config(), None).unwrap();
    rt().block_on(api::sync(&ws, &at(0), None, &|_| {}))
        .unwrap();
    f.approve_in(&ws, &at(1), approver, "staging", digest, None)
        .unwrap();
    (proxy, ws)
}

/// `release-bot` promotes `digest` of api into staging at hour `hours`, through the core API.
fn promote_to_staging(
    ws: &Workspace,
    hours: i64,
    digest: &str,
) -> tollgate::Result<PromotionOutcome> {
    rt().block_on(api::promote(
        ws,
        &at(hours),
        PromoteRequest {
            app: "api".into(),
            to: "staging".into(),
            digest: digest.to_string(),
            actor: "release-bot".into(),
        },
        &|_| {},
    ))
}

/// The manifest PUT reaches the registry but its answer is lost (the proxy closes the
/// connection): the tag moved, so the promotion is recorded, not failed with its approvals
/// released and the tag moved behind the history's back.
#[test]
fn a_push_whose_answer_was_lost_is_recorded_when_the_tag_moved() {
    let (f, a, _, quinn, _) = fixture("lost");
    let (proxy, ws) = approved_behind_a_proxy(&f, &a, &quinn);

    proxy.lose_answer_to("PUT", "/manifests/staging");
    let out = promote_to_staging(&ws, 2, &a).unwrap();
    let puts = proxy
        .requests()
        .iter()
        .filter(|(m, p)| m == "PUT" && p.contains("/manifests/staging"))
        .count();
    assert_eq!(puts, 1, "one PUT, whose answer was lost");
    assert_eq!(out.promotion.state, tollgate::store::JournalState::Recorded);
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));
    assert_eq!(
        f.tmp.sqlite("SELECT count(*) FROM promotion_approvals"),
        "1",
        "the approval is consumed"
    );
    assert!(api::verify(&ws).unwrap().ok());
}

/// The manifest PUT never reaches the registry (the connection drops on the way): the read-back
/// shows the tag did not move, so the entry is failed and its approval released for a retry.
#[test]
fn a_push_lost_on_the_way_fails_the_entry_and_releases_its_approval() {
    let (f, a, _, quinn, _) = fixture("dropped");
    let (proxy, ws) = approved_behind_a_proxy(&f, &a, &quinn);
    proxy.drop_request_to("PUT", "/manifests/staging");
    let e = promote_to_staging(&ws, 2, &a).unwrap_err();
    assert!(
        e.message.contains("failed while pushing") && e.message.contains("does not show"),
        "{}",
        e.message
    );
    assert_eq!(f.tag("payments/api:staging"), None);
    assert_eq!(
        f.tmp.sqlite("SELECT state FROM promotions WHERE id = 1"),
        "failed"
    );
    assert_eq!(
        f.tmp.sqlite("SELECT count(*) FROM promotion_approvals"),
        "0"
    );
    promote_to_staging(&ws, 3, &a).unwrap();
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));
}

/// After a promotion and a rollback the status shows the digest the read-back saw, observed
/// then, and the next sync finds nothing moved.
#[test]
fn status_after_a_promotion_or_rollback_shows_the_read_back_tag() {
    let (f, a, b, quinn, bob) = fixture("observed");
    f.sync(&at(0));
    let staging = |ws: &Workspace| {
        api::status(ws, Some("api"))
            .unwrap()
            .into_iter()
            .find(|r| r.env == "staging")
            .unwrap()
    };
    assert_eq!(staging(&f.ws).digest, None, "no staging tag yet");

    f.approve(&at(1), &quinn, "staging", &a, None).unwrap();
    f.promote(&at(2), "staging", &a, "release-bot").unwrap();
    let row = staging(&f.ws);
    assert_eq!(
        (
            row.digest.as_ref().map(|d| d.to_string()),
            row.via,
            row.last_observed
        ),
        (
            Some(a.clone()),
            Some(Via::Promotion),
            Some(t0() + Duration::hours(2))
        ),
        "{row:?}"
    );

    skopeo_retag(&f.reg, "payments/api:old", "payments/api:dev");
    f.record(&at(3), "dev", &b);
    f.approve(&at(3), &bob, "staging", &b, None).unwrap();
    f.promote(&at(4), "staging", &b, "release-bot").unwrap();
    f.approve(&at(5), &quinn, "staging", &a, None).unwrap();
    f.rollback(&at(6), "staging", &a, "release-bot").unwrap();
    let row = staging(&f.ws);
    assert_eq!(
        (
            row.digest.as_ref().map(|d| d.to_string()),
            row.via,
            row.last_observed
        ),
        (
            Some(a.clone()),
            Some(Via::Rollback),
            Some(t0() + Duration::hours(6))
        ),
        "{row:?}"
    );
    let synced = f.sync(&at(7));
    assert_eq!(synced.drifted().count(), 0);
    assert_eq!(
        f.tmp
            .sqlite("SELECT data FROM events WHERE kind = 'observation' AND env = 'staging' ORDER BY seq DESC LIMIT 1 OFFSET 1"),
        r#"{"journal":3,"repository":"local/payments/api","tag":"staging"}"#,
        "the observation names the journal entry it was read back for"
    );
}

/// Failing an entry that is already recorded changes nothing: its approvals stay consumed
/// (today's code released them, so they could be used a second time).
#[test]
fn failing_a_recorded_entry_changes_nothing() {
    let (f, a, _, quinn, _) = fixture("refail");
    f.sync(&at(0));
    f.approve(&at(1), &quinn, "staging", &a, None).unwrap();
    let out = f.promote(&at(2), "staging", &a, "release-bot").unwrap();
    let mut store = Store::open(&f.ws.db_path).unwrap();
    let e = store
        .journal_fail(out.promotion.id, "late recovery", t0())
        .unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(e.message.contains("no longer open"), "{}", e.message);
    assert_eq!(
        store.journal_get(out.promotion.id).unwrap().state,
        tollgate::store::JournalState::Recorded
    );
    assert!(store
        .approvals_in_use()
        .unwrap()
        .contains(&out.promotion.approvals[0]));
    assert_eq!(
        f.tmp.sqlite("SELECT count(*) FROM promotion_approvals"),
        "1"
    );
}

/// The journal's owner operations on a real SQLite file: a heartbeat, a claim and a release
/// count only for the token that holds the entry, and a second entry into the same tag cannot
/// begin while the first is open.
#[test]
fn only_the_holder_of_an_entry_refreshes_claims_or_releases_it() {
    use tollgate::store::{JournalOwner, NewPromotion};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("h.db")).unwrap();
    let owner = |token: &str| JournalOwner {
        host: "host-a".into(),
        pid: 4242,
        started: None,
        token: token.into(),
    };
    let new = |tag: &str| NewPromotion {
        kind: tollgate::domain::EventKind::Promotion,
        app: "api".into(),
        from_env: "dev".into(),
        to_env: "staging".into(),
        digest: tollgate::domain::Digest::of(b"a"),
        src_repository: "local/api".into(),
        dst_repository: "local/api".into(),
        tag: tag.into(),
        git: None,
        approvals: vec![],
        evaluation: serde_json::json!({}),
        actor: "ci".into(),
        previous: None,
        at: t0(),
        owner: owner("first"),
        emergency_reason: None,
    };
    let entry = store.journal_begin(&new("staging")).unwrap();
    assert_eq!(entry.owner, Some(owner("first")));
    assert_eq!(entry.heartbeat_at, Some(t0()));

    let e = store.journal_begin(&new("staging")).unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(
        e.message.contains("promotion 1") && e.message.contains("process 4242 on host-a"),
        "{}",
        e.message
    );
    assert!(
        store.journal_begin(&new("other-tag")).is_ok(),
        "another tag may go"
    );

    let later = t0() + Duration::minutes(1);
    assert!(!store
        .journal_heartbeat(entry.id, "intruder", later)
        .unwrap());
    assert!(store.journal_heartbeat(entry.id, "first", later).unwrap());
    assert_eq!(
        store.journal_get(entry.id).unwrap().heartbeat_at,
        Some(later)
    );

    // A claim must name the token it saw: a stale view loses.
    assert!(!store
        .journal_claim(entry.id, Some("intruder"), &owner("second"), later)
        .unwrap());
    assert!(store
        .journal_claim(entry.id, Some("first"), &owner("second"), later)
        .unwrap());
    assert!(
        !store.journal_heartbeat(entry.id, "first", later).unwrap(),
        "the old holder lost it"
    );
    store.journal_release(entry.id, "first").unwrap();
    assert_eq!(
        store.journal_get(entry.id).unwrap().owner,
        Some(owner("second"))
    );
    store.journal_release(entry.id, "second").unwrap();
    assert_eq!(store.journal_get(entry.id).unwrap().owner, None);
    assert!(
        store
            .journal_claim(entry.id, None, &owner("third"), later)
            .unwrap(),
        "an entry without owner can be claimed"
    );
}
