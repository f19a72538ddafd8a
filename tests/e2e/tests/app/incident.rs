//! An incident in the window: from the digest detail, "Incident…" opens one on the digest where
//! it runs (signed after the native confirmation); the promote view's checklist then fails on the
//! `incidents` rule naming it, Promote stays disabled, and the CLI's `promote` is refused.

use std::process::Command;

use anyhow::{ensure, Result};
use tollgate_e2e::cli_binary;

use super::{confirm_natively, staging, synced_window, Synced, WAIT};

const ID: &str = "INC-7";
const SUMMARY: &str = "5xx spike after deploy";

#[test]
#[ignore = "needs Xvfb, tauri-driver, docker-registry, the keychain and the app: run scripts/e2e.sh"]
fn an_incident_opened_in_the_window_fails_the_checklist_on_incidents() -> Result<()> {
    let Synced {
        w,
        ws,
        key,
        registry,
        _tmp,
    } = synced_window("oncall-incident-e2e@example.com", "incident")?;
    let before = staging(&registry)?;

    // The digest detail of A (it runs in dev): Incident… → environment dev, an id, a summary.
    w.route(&format!("#/digest/api/{}", ws.a))?;
    let open = w.wait_for(
        "section[aria-labelledby=incidents-title] button.danger",
        WAIT,
    )?;
    w.click(&open[0])?;
    let id = w.wait_for(".incident-dialog input[name=id]", WAIT)?;
    w.click(&id[0])?;
    w.send_keys(&id[0], ID)?;
    let text = w.wait_for(".incident-dialog input[name=text]", WAIT)?;
    w.click(&text[0])?;
    w.send_keys(&text[0], SUMMARY)?;
    let submit = w.wait_enabled(".incident-dialog button[type=submit]", WAIT)?;
    w.shot("incident-dialog")?;
    w.click(&submit)?;
    confirm_natively(&w, "Sign the incident", Some("incident".into()))?;
    let listed = w.wait_text(&format!("li[data-incident=\"{ID}\"].open"), WAIT)?;
    ensure!(
        listed.contains(SUMMARY) && listed.contains(&key.id),
        "the incidents card says: {listed}"
    );

    // Promoting A out of dev: the checklist fails on `incidents`, naming it; Promote stays off.
    w.route(&format!("#/promote/api/staging/{}", ws.a))?;
    let rule = w.wait_text(
        ".checklist[data-passed=false] .rule[data-rule=incidents][data-passed=false]",
        WAIT,
    )?;
    ensure!(rule.contains(ID), "the incidents rule says: {rule}");
    let run = w.wait_for(".run-button", WAIT)?;
    ensure!(
        !w.enabled(&run[0])?,
        "Promote is enabled with an open incident"
    );
    w.shot("promote-incident")?;

    // The same core refuses the CLI's promotion with a line naming the incident.
    let out = Command::new(cli_binary())
        .arg("--config")
        .arg(&ws.config)
        .args([
            "promote", "--app", "api", "--to", "staging", "--digest", &ws.a,
        ])
        .env("TOLLGATE_ACTOR", &key.id)
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(1) && stderr.contains(ID),
        "promote: {:?} {stderr}",
        out.status.code()
    );
    ensure!(
        staging(&registry)? == before,
        "skopeo: staging moved despite the incident"
    );
    Ok(())
}
