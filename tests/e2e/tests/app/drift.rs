//! Drift fixed where it is shown: the staging tag is moved with skopeo, outside Tollgate; after
//! the sync click the banner names it and offers "This is right: record it", which signs a
//! record of what runs there with this machine's key after the native confirmation. Then
//! `tollgate status --json` shows the stay acknowledged (no drift, unapproved), and the
//! record's signature verifies with `ssh-keygen -Y verify` against the key tollgate.toml lists.

use std::process::Command;

use anyhow::{ensure, Context, Result};
use serde_json::Value;
use tollgate_e2e::{cli_binary, fixture};
use tollgate_testsupport::skopeo::skopeo_retag;

use super::{confirm_natively, staging, synced_window, Synced, WAIT};

#[test]
#[ignore = "needs Xvfb, tauri-driver, docker-registry, the keychain and the app: run scripts/e2e.sh"]
fn drift_made_outside_tollgate_is_recorded_as_right_in_the_window() -> Result<()> {
    let Synced {
        w,
        ws,
        key,
        registry,
        _tmp,
    } = synced_window("qa-drift-e2e@example.com", "drift")?;

    // The first sync (clicked by `synced_window`) has finished: its result is shown.
    w.wait_for(".sync-result[role=status]", WAIT)?;
    // Someone moves staging to A by hand: skopeo, not Tollgate.
    skopeo_retag(&registry, "payments/api:dev", "payments/api:staging");
    ensure!(staging(&registry)? == ws.a, "skopeo did not move staging");
    let sync = w.wait_for("button.sync-button", WAIT)?;
    w.click(&sync[0])?;
    let banner = w.wait_text(
        "[data-testid=drift-banner] [data-drifted=\"api/staging\"]",
        WAIT,
    )?;
    ensure!(
        banner.contains(&format!("Roll back to {}", &ws.b["sha256:".len()..][..12])),
        "the banner offers no rollback to what ran before: {banner}"
    );
    let record = w.wait_enabled(
        "[data-testid=drift-banner] [data-drifted=\"api/staging\"] button.record",
        WAIT,
    )?;
    w.shot("drift-banner")?;
    w.click(&record)?;
    confirm_natively(&w, "Sign the record", Some("drift-record".into()))?;
    // The overview shows the new state: staging runs A, recorded (unapproved: staging has a
    // policy), and no longer drifted.
    w.wait_for(
        &format!(
            "td[data-app=\"api\"][data-env=\"staging\"].unapproved:not(.drift) [data-digest=\"{}\"]",
            ws.a
        ),
        WAIT,
    )?;
    ensure!(
        w.find_all("[data-testid=drift-banner]")?.is_empty(),
        "the drift banner is still shown"
    );
    w.shot("drift-recorded")?;

    let cli = cli_binary();
    let rows = fixture::status(&cli, &ws.config)?;
    let row = rows
        .iter()
        .find(|r| r["app"] == "api" && r["env"] == "staging")
        .context("no api staging row")?;
    // The stay still began by drift; the record acknowledged it: no drift, and unapproved
    // (staging has a policy) until an approved promotion replaces it.
    ensure!(
        row["digest"] == ws.a.as_str() && row["drift"] == false && row["unapproved"] == true,
        "status --json: {row}"
    );

    // The record, as a report holds it: its signed message and signature, checked with
    // ssh-keygen alone against the key tollgate.toml lists for this identity.
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("report.json");
    let out = Command::new(&cli)
        .arg("--config")
        .arg(&ws.config)
        .args(["export", "--format", "json", "--app", "api", "--out"])
        .arg(&report)
        .output()?;
    ensure!(
        out.status.success(),
        "export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&report)?)?;
    let event = report["events"]
        .as_array()
        .context("report has no events")?
        .iter()
        .rfind(|e| e["kind"] == "record" && e["env"] == "staging" && e["digest"] == ws.a.as_str())
        .context("no record of A in staging in the report")?;
    ensure!(
        event["actor"] == key.id.as_str(),
        "record by {}",
        event["actor"]
    );
    let message = event["data"]["message"].as_str().context("no message")?;
    let signature = event["data"]["signature"]
        .as_str()
        .context("no signature")?;
    ensure!(
        message.contains(&ws.a) && message.contains(&key.id),
        "the signed message: {message}"
    );
    std::fs::write(
        dir.path().join("allowed_signers"),
        format!("{} {}\n", key.id, key.public_key),
    )?;
    std::fs::write(dir.path().join("msg"), message)?;
    std::fs::write(dir.path().join("msg.sig"), signature)?;
    let verified = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f", "allowed_signers", "-I", &key.id])
        .args(["-n", "tollgate-approval", "-s", "msg.sig"])
        .current_dir(dir.path())
        .stdin(std::fs::File::open(dir.path().join("msg"))?)
        .output()?;
    ensure!(
        verified.status.success(),
        "ssh-keygen -Y verify: {}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    Ok(())
}
