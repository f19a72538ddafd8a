//! Working as a team, in the window: a workspace with sharing on against the real registry; a
//! teammate (QA, on another desktop: another database) approves through the CLI, this desktop's
//! CLI `sync` imports it; the overview shows the teammate's approval on the waiting digest and
//! what waits for this machine's approver (the manager), and Settings → Team the last pull.

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};
use tollgate_e2e::{cli_binary, fixture};
use tollgate_testsupport::process::run;
use tollgate_testsupport::registry::TestRegistry;

use super::{open_window, WAIT};

/// `tollgate --config CONFIG [--db DB] ARGS`, which must succeed; its stdout.
fn tollgate(cli: &Path, config: &Path, db: Option<&Path>, args: &[&str]) -> Result<String> {
    let mut command = Command::new(cli);
    command.arg("--config").arg(config);
    if let Some(db) = db {
        command.arg("--db").arg(db);
    }
    command
        .args(args)
        .env_remove("TOLLGATE_SIGNING_KEY")
        .env_remove("SSH_AUTH_SOCK");
    Ok(run(&mut command))
}

/// Make `manager-e2e@example.com` (listed by the fixture with a key nobody holds) this
/// machine's identity: its key from `key init`, written into tollgate.toml.
fn manager_is_me(config: &Path, key: &str) -> Result<()> {
    let text = std::fs::read_to_string(config)?;
    let at = text
        .find("id = \"manager-e2e@example.com\"")
        .context("the fixture lists the manager")?;
    let line = text[at..]
        .find("key = \"")
        .map(|i| at + i)
        .context("the manager's key line")?;
    let end = line + text[line..].find('\n').context("end of the key line")?;
    let changed = format!("{}key = \"{key}\"{}", &text[..line], &text[end..]);
    std::fs::write(config, changed)?;
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, tauri-driver, docker-registry, the keychain and the app: run scripts/e2e.sh"]
fn a_teammates_approval_shows_on_the_overview_and_settings_shows_the_last_pull() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let cli = cli_binary();
    let registry = TestRegistry::start();
    // QA's key (the teammate's desktop), then the manager's: `key init` remembers the last one,
    // so this machine signs as the manager.
    let qa = fixture::key_init(&cli, "qa-team-e2e@example.com")
        .context("the keychain (run under scripts/with-keychain.sh)")?;
    let ws = fixture::approval_workspace(&cli, tmp.path(), &registry, &qa.id, &qa.public_key)?;
    let me = fixture::key_init(&cli, "manager-e2e@example.com")?;
    manager_is_me(&ws.config, &me.public_key)?;
    let short_a = &ws.a["sha256:".len()..][..12];

    // The teammate's desktop: its own history; it syncs, then approves a for staging, which
    // publishes the approval to the registry.
    let theirs = tmp.path().join("teammate.db");
    tollgate(&cli, &ws.config, Some(&theirs), &["sync"])?;
    let approved = tollgate(
        &cli,
        &ws.config,
        Some(&theirs),
        &[
            "approve",
            "--app",
            "api",
            "--to",
            "staging",
            "--digest",
            &ws.a,
            "--confirm",
            short_a,
            "--approver",
            &qa.id,
            "--note",
            "verified by QA",
        ],
    )?;
    ensure!(
        approved.contains("shared as sha256:") && approved.contains("in local/payments/api"),
        "the teammate's approval was not shared: {approved}"
    );

    // This desktop's CLI sync imports it.
    let synced = tollgate(&cli, &ws.config, None, &["sync"])?;
    ensure!(
        synced.contains("team: 1 approvals imported"),
        "the sync did not import it: {synced}"
    );
    let status: serde_json::Value = serde_json::from_str(&tollgate(
        &cli,
        &ws.config,
        None,
        &["team", "status", "--json"],
    )?)?;
    let pulled = status["last_pull"]["at"]
        .as_str()
        .context("team status has a last pull")?
        .to_string();

    let w = open_window(tmp.path(), &ws.config, "team")?;
    w.wait_for("table.overview-grid", WAIT)?;
    // Staging's waiting digest a: QA's approval, from a teammate, and it counts (ready).
    let staging = "td[data-app=\"api\"][data-env=\"staging\"]";
    let approval = w.wait_for(
        &format!(
            "{staging} .team-approvals li[data-approver=\"{}\"][data-teammate=true]",
            qa.id
        ),
        WAIT,
    )?;
    let text = w.text(&approval[0])?;
    ensure!(
        text.contains("qa") && text.contains("from a teammate"),
        "the approval says: {text}"
    );
    w.wait_for(&format!("{staging} .candidate.ready"), WAIT)?;
    // Production's waiting digest b needs a manager: waiting for this machine's approver.
    let waiting = w.wait_text("[data-testid=waiting-for-you]", WAIT)?;
    ensure!(
        waiting.contains("1 waiting for you") && waiting.contains("api → production"),
        "waiting for you: {waiting}"
    );
    w.shot("team-overview")?;

    // The digest detail lists it as a teammate's.
    w.route(&format!("#/digest/api/{}", ws.a))?;
    w.wait_for(
        &format!("tr[data-approver=\"{}\"] [data-testid=teammate]", qa.id),
        WAIT,
    )?;
    w.shot("team-digest-detail")?;

    // Settings → Team: sharing on, each app's repository, the last pull.
    w.route("#/settings")?;
    let last = w.wait_text("[data-testid=team-last-pull]", WAIT)?;
    let shown = format!("{} UTC", &pulled[..16].replace('T', " "));
    ensure!(
        last.starts_with(&shown) && last.contains("1 imported"),
        "last pull shows {last:?}, the CLI says {pulled}"
    );
    ensure!(
        w.wait_text("[data-testid=team-sharing]", WAIT)?
            .starts_with("on"),
        "sharing is on"
    );
    assert_eq!(w.wait_text("[data-testid=unshared-count]", WAIT)?, "0");
    assert_eq!(w.wait_text("[data-testid=untrusted-count]", WAIT)?, "0");
    w.wait_for("[data-testid=team-settings]", WAIT)?;
    w.execute(
        "document.querySelector('[data-testid=team-settings]').scrollIntoView(); return true;",
        serde_json::json!([]),
    )?;
    w.shot("team-settings")?;
    Ok(())
}
