//! Saying no in the window: QA rejects the candidate from the promote view (reason typed, the
//! first 12 hex digits typed to confirm, signed with the keychain's key); the checklist then
//! fails on the `rejected` rule naming who and why, the Promote button stays disabled, the CLI's
//! `promote` is refused with that one line, and skopeo shows staging did not move.

use std::process::Command;

use anyhow::{ensure, Result};
use tollgate_e2e::cli_binary;

use super::{staging, synced_window, Synced, WAIT};

const REASON: &str = "crashes on start, see INC-77";

#[test]
#[ignore = "needs Xvfb, tauri-driver, docker-registry, the keychain and the app: run scripts/e2e.sh"]
fn qa_rejects_the_candidate_in_the_window_and_its_promotion_is_refused() -> Result<()> {
    let Synced {
        w,
        ws,
        key,
        registry,
        _tmp,
    } = synced_window("qa-reject-e2e@example.com", "reject")?;
    let short_a = &ws.a["sha256:".len()..][..12];

    // The promote view of the candidate: Reject… beside the checklist.
    w.route(&format!("#/promote/api/staging/{}", ws.a))?;
    w.wait_for(".checklist", WAIT)?;
    let open = w.wait_for(".reject-here button.open-reject", WAIT)?;
    w.click(&open[0])?;
    let reason = w.wait_for(".reject-dialog input[name=reason]", WAIT)?;
    w.click(&reason[0])?;
    w.send_keys(&reason[0], REASON)?;
    let confirm = w.wait_for(".reject-dialog input[name=confirm]", WAIT)?;
    w.click(&confirm[0])?;
    w.send_keys(&confirm[0], short_a)?;
    let submit = w.wait_enabled(".reject-dialog button[type=submit]", WAIT)?;
    w.shot("reject-dialog")?;
    w.click(&submit)?;
    // Nothing is signed until the app's own native confirmation is answered.
    super::confirm_natively(&w, "Sign the rejection", Some("reject".into()))?;

    // The checklist now fails on the rejected rule, naming who and why; Promote stays off.
    let rule = w.wait_text(
        ".checklist[data-passed=false] .rule[data-rule=rejected][data-passed=false]",
        WAIT,
    )?;
    ensure!(
        rule.contains(REASON) && rule.contains(&key.id),
        "the rejected rule says: {rule}"
    );
    let run = w.wait_for(".run-button", WAIT)?;
    ensure!(
        !w.enabled(&run[0])?,
        "Promote is enabled for a rejected digest"
    );
    w.shot("promote-rejected")?;

    // The same core refuses the CLI's promotion, with one line, and nothing moves.
    let out = Command::new(cli_binary())
        .arg("--config")
        .arg(&ws.config)
        .args([
            "promote", "--app", "api", "--to", "staging", "--digest", &ws.a,
        ])
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        !out.status.success(),
        "promote of a rejected digest succeeded"
    );
    ensure!(
        stderr.contains(REASON) && stderr.trim().lines().count() == 1,
        "promote said: {stderr}"
    );
    ensure!(
        staging(&registry)? == ws.b,
        "skopeo: staging moved off {}",
        ws.b
    );
    Ok(())
}
