//! Incidents (issue 20), against a real registry, the real OS keychain, a real `ssh-agent` and
//! `ssh-keygen -Y verify`: an open incident on a digest in the source environment blocks its
//! promotion with a line naming it; its close restarts the soak; an on-call bot listed under
//! `[[signers]]` opens one through ssh-agent; an incident opened on one desktop blocks the
//! promotion on another after its sync; a replayed old close lifts nothing.

use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{Duration, SecondsFormat};
use tollgate::api::{self, Context, IncidentCloseRequest, IncidentOpenRequest, IncidentReceipt};
use tollgate::config::Workspace;
use tollgate::domain::EventKind;
use tollgate::policy::Rule;
use tollgate::team::ArtifactKind;
use tollgate::Code;

use tollgate_testsupport::images::make_image;
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::signed::{at, production_check, rt, t0, unique_id, SignedWorkspace};
use tollgate_testsupport::skopeo::{push, skopeo_digest};
use tollgate_testsupport::team::{approve_staging, plant_copy, promote_staging, qa_team, sync};
use tollgate_testsupport::workspace::{toml_for, TempWorkspace};

use crate::identity::{keygen, Agent};

fn open(
    ws: &Workspace,
    ctx: &Context,
    env: &str,
    digest: &str,
    id: &str,
    actor: &str,
) -> tollgate::Result<IncidentReceipt> {
    rt().block_on(api::incident_open(
        ws,
        ctx,
        IncidentOpenRequest {
            app: "api".into(),
            env: env.into(),
            digest: digest.into(),
            id: id.into(),
            summary: "5xx spike after deploy".into(),
            actor: Some(actor.into()),
        },
    ))
}

fn close(
    ws: &Workspace,
    ctx: &Context,
    id: &str,
    actor: &str,
) -> tollgate::Result<IncidentReceipt> {
    rt().block_on(api::incident_close(
        ws,
        ctx,
        IncidentCloseRequest {
            app: "api".into(),
            id: id.into(),
            resolution: "rolled back the feature flag".into(),
            actor: Some(actor.into()),
        },
    ))
}

fn secs(hours: i64) -> String {
    (t0() + Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[test]
fn an_open_incident_blocks_the_promotion_naming_it_and_its_close_restarts_the_soak() {
    let f = SignedWorkspace::builder(
        "incident-soak",
        &[
            r#"{ name = "dev", tag = "dev" }"#,
            r#"{ name = "staging", tag = "staging" }"#,
            r#"{ name = "production", tag = "production", repository = "local/prod/api", policy = { approvals = 1, min_soak = "24h" } }"#,
        ],
    )
    .image("dev", "incident-soak-a")
    .approver("alice", &["manager"])
    .build();
    let (a, alice) = (f.digests[0].clone(), f.approvers[0].clone());
    f.sync(&at(0));
    f.promote(&at(1), "staging", &a, "release-bot").unwrap();
    f.approve(&at(2), &alice, "production", &a, None).unwrap();

    // Not a digest that ran in production: refused, nothing written.
    let e = open(&f.ws, &at(3), "production", &a, "INC-42", "ci").unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(
        e.message.contains("never ran in api production"),
        "{}",
        e.message
    );
    // The sentence names no command line (the app shows it); the fix is a fact each front end
    // words: a sync.
    assert!(!e.message.contains("tollgate "), "{}", e.message);
    assert_eq!(e.hint, Some(tollgate::Hint::Sync));

    // The on-call bot (a [[signers]] identity) opens INC-42 on A in staging at hour 3.
    let opened = open(&f.ws, &at(3), "staging", &a, "INC-42", "ci").unwrap();
    assert_eq!(opened.event.kind, EventKind::Incident);
    assert!(opened.incident.open && opened.incident.verified);
    let m: serde_json::Value = serde_json::from_str(&opened.message).unwrap();
    assert_eq!(m["kind"], "tollgate.incident");
    assert_eq!(m["id"], "INC-42");
    assert_eq!(m["env"], "staging");
    assert_eq!(m["digest"], a.as_str());
    assert_eq!(m["signer"], "ci");
    // The same id cannot be opened twice.
    let e = open(&f.ws, &at(3), "staging", &a, "inc-42", "ci").unwrap_err();
    assert!(e.message.contains("is open already"), "{}", e.message);

    // A day later everything else passes, but the incident blocks, named.
    let check = production_check(&f.ws, 30, &a);
    assert!(!check.evaluation.passed);
    let rule = &check.evaluation.rules[0];
    assert_eq!(
        (rule.rule, rule.passed, rule.blocking),
        (Rule::Incidents, false, true)
    );
    assert!(
        rule.reason.starts_with(&format!(
            "INC-42 is open on {} in staging since {} (opened by ci: 5xx spike after deploy)",
            &a[7..19],
            secs(3)
        )),
        "{}",
        rule.reason
    );
    let e = f
        .promote(&at(30), "production", &a, "release-bot")
        .unwrap_err();
    assert_eq!(e.code, Code::Refused);
    assert!(
        e.message.contains("incidents: INC-42 is open"),
        "{}",
        e.message
    );
    assert_eq!(f.tag("prod/api:production"), None, "nothing pushed");
    let staging = api::status(&f.ws, Some("api")).unwrap();
    let row = staging.iter().find(|r| r.env == "staging").unwrap();
    assert_eq!(row.incidents.len(), 1);
    assert_eq!(row.incidents[0].id, "INC-42");

    // Alice closes it at hour 10: the soak counts from there.
    let closed = close(&f.ws, &at(10), "INC-42", &alice).unwrap();
    assert_eq!(closed.event.kind, EventKind::IncidentClose);
    assert_eq!(closed.incident.paired, Some(opened.event.seq));
    let m: serde_json::Value = serde_json::from_str(&closed.message).unwrap();
    assert_eq!(m["kind"], "tollgate.incident_close");
    assert_eq!(m["closes"], opened.incident.sha256.as_str());
    let e = close(&f.ws, &at(11), "INC-42", &alice).unwrap_err();
    assert!(
        e.message.contains("no incident INC-42 of api is open"),
        "{}",
        e.message
    );

    let check = production_check(&f.ws, 30, &a);
    assert!(!check.evaluation.passed);
    let soak = check
        .evaluation
        .rules
        .iter()
        .find(|r| r.rule == Rule::MinSoak)
        .unwrap();
    assert_eq!(
        soak.reason,
        format!(
            "soaked 20h in staging, needs 24h (ready at {}); counted from the close of incident INC-42 at {} (by {alice}), which reset the soak",
            secs(34),
            secs(10)
        )
    );
    let incidents = &check.evaluation.rules[0];
    assert!(incidents.passed && incidents.rule == Rule::Incidents);
    assert!(incidents.reason.contains("the last, INC-42, was closed at"));
    assert!(f.promote(&at(30), "production", &a, "release-bot").is_err());

    // The timeline marks the stay's incident, with its close.
    let timeline = api::timeline(&f.ws, "api", Some("staging")).unwrap();
    let marks = &timeline.last().unwrap().incidents;
    assert_eq!(marks.len(), 1);
    assert_eq!(
        marks[0].resolution.as_deref(),
        Some("rolled back the feature flag")
    );
    assert_eq!(marks[0].closed_at, Some(t0() + Duration::hours(10)));
    // As of hour 5 (timeline --at) the incident was open; as of hour 2 there was none.
    let as_of = |h: i64| {
        api::timeline_at(&f.ws, "api", Some("staging"), t0() + Duration::hours(h))
            .unwrap()
            .remove(0)
            .segment
            .incidents
    };
    let then = as_of(5);
    assert_eq!((then.len(), then[0].closed_at), (1, None));
    assert_eq!(then[0].resolution, None);
    assert_eq!(as_of(12)[0].closed_at, Some(t0() + Duration::hours(10)));
    assert!(as_of(2).is_empty());

    assert!(production_check(&f.ws, 34, &a).evaluation.passed);
    f.promote(&at(34), "production", &a, "release-bot").unwrap();
    assert_eq!(f.tag("prod/api:production").as_deref(), Some(a.as_str()));
    let report = api::verify(&f.ws).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn an_incident_opened_on_one_desktop_blocks_the_other_and_a_replayed_close_lifts_nothing() {
    let (f, a, _alice, quinn) = qa_team("incident-team");
    let (_b_dir, b) = f.desktop();
    sync(&f.ws, &at(0));
    sync(&b, &at(0));
    approve_staging(&f.ws, &at(1), &quinn, &a);

    // Desktop B: INC-7 opened and closed, then opened again.
    let first = open(&b, &at(2), "dev", &a, "INC-7", "ci").unwrap();
    assert!(
        first.team.as_ref().is_some_and(|t| t.shared),
        "{:?}",
        first.team
    );
    let old_close = close(&b, &at(3), "INC-7", &quinn).unwrap();
    let again = open(&b, &at(4), "dev", &a, "INC-7", "ci").unwrap();
    assert_ne!(again.incident.sha256, first.incident.sha256);

    // Desktop A syncs: INC-7 is open again there too, and the promotion is refused naming it.
    let report = sync(&f.ws, &at(5));
    assert_eq!(report.team.imported_incidents, 3, "{:?}", report.team);
    let check = api::check(&f.ws, t0() + Duration::hours(5), "api", "staging", &a).unwrap();
    assert!(!check.evaluation.passed);
    assert_eq!(check.evaluation.rules[0].rule, Rule::Incidents);
    assert!(check.evaluation.rules[0]
        .reason
        .starts_with("INC-7 is open on"));
    let e = promote_staging(&f.ws, &at(5), &a, "release-bot").unwrap_err();
    assert!(
        e.message.contains("incidents: INC-7 is open"),
        "{}",
        e.message
    );

    // The old close, re-listed under a new artifact: a replay, imported nowhere, lifting nothing.
    plant_copy(
        &f,
        ArtifactKind::IncidentClose,
        &a,
        old_close.message.clone().into_bytes(),
        old_close.signature.clone(),
        Some("again"),
    );
    let report = sync(&f.ws, &at(6));
    let team = &report.team;
    assert_eq!((team.imported_incidents, team.replayed), (0, 1), "{team:?}");
    let incidents = api::incidents(&f.ws, "api", Some(&a)).unwrap();
    let open_now: Vec<_> = incidents.iter().filter(|i| i.open).collect();
    assert_eq!(open_now.len(), 1);
    assert_eq!(open_now[0].sha256, again.incident.sha256);
    assert!(promote_staging(&f.ws, &at(6), &a, "release-bot").is_err());

    // B closes the new one; A's promotion (which pulls the digest first) goes ahead.
    close(&b, &at(7), "INC-7", &quinn).unwrap();
    promote_staging(&f.ws, &at(8), &a, "release-bot").unwrap();
    assert_eq!(f.tag("payments/api:staging").as_deref(), Some(a.as_str()));
}

/// `ssh-keygen -Y verify` of `event`'s stored message and signature against `key` for `id`.
fn ssh_keygen_verifies(dir: &Path, id: &str, key: &str, event: &serde_json::Value) -> bool {
    let data = &event["data"];
    std::fs::write(
        dir.join("allowed_signers"),
        format!("{id} namespaces=\"tollgate-approval\" {key}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("msg"), data["message"].as_str().unwrap()).unwrap();
    std::fs::write(dir.join("msg.sig"), data["signature"].as_str().unwrap()).unwrap();
    let out = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f", "allowed_signers", "-I", id])
        .args(["-n", "tollgate-approval", "-s", "msg.sig"])
        .current_dir(dir)
        .stdin(Stdio::from(std::fs::File::open(dir.join("msg")).unwrap()))
        .output()
        .unwrap();
    out.status.success()
}

#[test]
fn an_on_call_bot_opens_an_incident_through_ssh_agent_and_ssh_keygen_verifies_both_messages() {
    let dir = tempfile::tempdir().unwrap();
    let bot = unique_id("oncall-bot");
    let (file, public) = keygen(dir.path(), "bot_key", &bot);
    let reg = TestRegistry::start();
    push(&make_image("incident cli v1"), &reg, "payments/api:dev");
    let digest = skopeo_digest(&reg, "payments/api:dev");
    let ws = TempWorkspace::new(&format!(
        "{}\n[[signers]]\nid = \"{bot}\"\nkey = \"{public}\"\n",
        toml_for(&reg.url())
    ));
    ws.run(&["sync"]).ok();
    let agent = Agent::start(dir.path());
    agent.add(&file);
    std::fs::remove_file(&file).unwrap();
    let sock = agent.socket.to_str().unwrap().to_string();
    let bot_env = [("SSH_AUTH_SOCK", sock.as_str()), ("TOLLGATE_ACTOR", "")];

    let opened = ws
        .run_env(
            &[
                "incident",
                "open",
                "--app",
                "api",
                "--env",
                "dev",
                "--digest",
                &digest,
                "--id",
                "INC-42",
                "--summary",
                "error rate 30%",
                "--json",
            ],
            &bot_env,
        )
        .ok()
        .json();
    assert_eq!(opened["incident"]["by"], bot.as_str());
    assert_eq!(opened["incident"]["open"], true);
    assert_eq!(opened["event"]["kind"], "incident");
    assert_eq!(opened["event"]["data"]["key_source"], "ssh-agent");
    let status = ws.run(&["status", "--json"]).ok().json();
    let dev = status
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["env"] == "dev")
        .unwrap();
    assert_eq!(dev["incidents"][0]["id"], "INC-42");

    // The checklist and the promotion name it, in one line.
    let check = ws.run(&[
        "check", "--app", "api", "--to", "staging", "--digest", &digest,
    ]);
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("NOT READY"), "{}", check.stdout);
    assert!(
        check.stdout.contains("FAIL incidents  INC-42 is open on"),
        "{}",
        check.stdout
    );
    let refused = ws.run(&[
        "promote", "--app", "api", "--to", "staging", "--digest", &digest, "--actor", "ci",
    ]);
    let line = refused.fails_with(1, &["incidents: INC-42 is open on", "error rate 30%"]);
    assert_eq!(line.trim().lines().count(), 1, "{line}");

    let closed = ws
        .run_env(
            &[
                "incident",
                "close",
                "--app",
                "api",
                "--id",
                "INC-42",
                "--resolution",
                "scaled the pool back",
                "--json",
            ],
            &bot_env,
        )
        .ok()
        .json();
    assert_eq!(closed["incident"]["kind"], "incident_close");
    assert_eq!(closed["incident"]["paired"], opened["event"]["seq"]);

    // Both messages, as the JSON export holds them, verify with ssh-keygen against the bot's
    // listed key; with another key they do not.
    let out = ws.path().join("export.json");
    ws.run(&["export", "--format", "json", "--out", out.to_str().unwrap()])
        .ok();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let events = report["events"].as_array().unwrap();
    let find = |kind: &str| events.iter().find(|e| e["kind"] == kind).unwrap().clone();
    let (open_event, close_event) = (find("incident"), find("incident_close"));
    assert!(ssh_keygen_verifies(dir.path(), &bot, &public, &open_event));
    assert!(ssh_keygen_verifies(dir.path(), &bot, &public, &close_event));
    let (_, other) = keygen(dir.path(), "other", "other");
    assert!(!ssh_keygen_verifies(dir.path(), &bot, &other, &open_event));
    // The documented shell recipe checks both signatures against the report's [[signers]]
    // lines (the bot is no approver); without those lines it cannot, and says which events.
    let (code, said) = crate::export::recipe(&out);
    assert_eq!(code, 0, "{said}");
    assert!(report["allowed_signers_signers"]
        .as_str()
        .unwrap()
        .contains(&format!("{bot} namespaces=\"tollgate-approval\"")));
    let mut keyless = report.clone();
    keyless
        .as_object_mut()
        .unwrap()
        .remove("allowed_signers_signers");
    let keyless_path = ws.path().join("keyless.json");
    std::fs::write(&keyless_path, keyless.to_string()).unwrap();
    let (code, said) = crate::export::recipe(&keyless_path);
    assert_eq!(code, 1, "{said}");
    for e in [&open_event, &close_event] {
        assert!(
            said.contains(&format!(
                "event {}: the signature of its signed message does not verify",
                e["seq"]
            )),
            "{said}"
        );
    }
    ws.run(&["verify"]).ok();
    // The report, against this workspace's keys: both incident signatures verify (they are
    // counted with the signed events; the sync's observations are not signed).
    let checked = ws
        .run(&[
            "verify",
            out.to_str().unwrap(),
            "--allow-unsealed",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(checked["keys"], "workspace", "{checked}");
    assert_eq!(checked["event_signatures_verified"], 2, "{checked}");
    assert!(
        checked["problems"].as_array().unwrap().is_empty(),
        "{checked}"
    );

    // The CSV rows name the incident.
    let csv = ws.path().join("export.csv");
    ws.run(&["export", "--format", "csv", "--out", csv.to_str().unwrap()])
        .ok();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains("INC-42,error rate 30%,"), "{text}");
    assert!(text.contains("INC-42,scaled the pool back,"), "{text}");

    // The PDF lists the period's incidents: the open and its close.
    let pdf = ws.path().join("export.pdf");
    ws.run(&["export", "--format", "pdf", "--out", pdf.to_str().unwrap()])
        .ok();
    let text = tollgate_testsupport::process::run(Command::new("pdftotext").arg(&pdf).arg("-"));
    assert!(text.contains("Incidents"), "{text}");
    assert!(text.contains("INC-42 opened in dev"), "{text}");
    assert!(text.contains("INC-42 closed in dev"), "{text}");
    assert!(text.contains("error rate 30%") && text.contains("scaled the pool back"));

    ws.run(&[
        "check", "--app", "api", "--to", "staging", "--digest", &digest,
    ])
    .ok();
}

/// A rollback counts the digest's earlier stays in the source environment toward `min_soak`,
/// but only their incident-free time: A ran 44h in staging, yet only the 5h after its incident
/// was closed count, so rolling production back to A does not pass on soak.
#[test]
fn a_rollback_counts_only_the_incident_free_time_of_earlier_stays() {
    let f = SignedWorkspace::builder(
        "incident-rollback",
        &[
            r#"{ name = "staging", tag = "staging" }"#,
            r#"{ name = "production", tag = "production", repository = "local/prod/api", policy = { approvals = 1, min_soak = "24h" } }"#,
        ],
    )
    .image("staging", "incident-rollback-a")
    .image("next", "incident-rollback-b")
    .approver("alice", &["manager"])
    .build();
    let (a, b, alice) = (
        f.digests[0].clone(),
        f.digests[1].clone(),
        f.approvers[0].clone(),
    );
    f.sync(&at(0));
    f.approve(&at(25), &alice, "production", &a, None).unwrap();
    f.promote(&at(26), "production", &a, "release-bot").unwrap();
    // An incident on A in staging from hour 27 to hour 40; B replaces A there at hour 45.
    open(&f.ws, &at(27), "staging", &a, "INC-7", "ci").unwrap();
    close(&f.ws, &at(40), "INC-7", &alice).unwrap();
    tollgate_testsupport::skopeo::skopeo_retag(&f.reg, "payments/api:next", "payments/api:staging");
    f.sync(&at(45));
    f.record(&at(45), "staging", &b);
    f.approve(&at(69), &alice, "production", &b, None).unwrap();
    f.promote(&at(70), "production", &b, "release-bot").unwrap();

    // Rolling production back to A: its stay in staging lasted 44h, 5h of them incident-free.
    let check = production_check(&f.ws, 71, &a);
    let soak = check
        .evaluation
        .rules
        .iter()
        .find(|r| r.rule == Rule::MinSoak)
        .unwrap();
    assert!(!soak.passed, "{}", soak.reason);
    assert!(
        soak.reason.contains("its longest stay there was 5h"),
        "{}",
        soak.reason
    );
}
