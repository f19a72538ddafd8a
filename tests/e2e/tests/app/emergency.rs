//! Break glass in the window: production needs two approvals, or one for an emergency rollback
//! (`rollback = { approvals = 1 }`) to a digest it ran before. The person opens the rollback
//! view, picks A (production's sync baseline), sees it is an emergency rollback needing 1
//! approval instead of 2 and a reason; approves alone (native confirmation), cannot roll back
//! until a reason is typed (blank does not count), then rolls back (native confirmation).
//! Proven on real outputs: skopeo reads A under the production tag, `tollgate timeline --json`
//! and `status --json` mark the stay emergency with the reason, and the window's overview and
//! timeline mark it too.

use std::process::Command;

use anyhow::{ensure, Context, Result};
use serde_json::Value;
use tollgate_e2e::{cli_binary, fixture};
use tollgate_testsupport::registry::TestRegistry;
use tollgate_testsupport::skopeo::skopeo_digest;

use super::{confirm_natively, open_window, Window, WAIT};

const REASON: &str = "checkout is down since 14:02, INC-9";

/// `skopeo inspect` of the production tag: the registry's truth, not the app's.
fn production(registry: &TestRegistry) -> String {
    skopeo_digest(registry, "payments/api:production")
}

/// Scroll the reason and the Roll back button (with why it is disabled) into the screenshot.
fn show_run_panel(w: &Window) -> Result<()> {
    w.execute(
        "document.querySelector('#run-why').scrollIntoView({ block: 'center' }); return true;",
        serde_json::json!([]),
    )?;
    Ok(())
}

#[test]
#[ignore = "needs Xvfb, tauri-driver, docker-registry, the keychain and the app: run scripts/e2e.sh"]
fn an_emergency_rollback_in_the_window_needs_one_approval_and_a_reason() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let cli = cli_binary();
    let registry = TestRegistry::start();
    let key = fixture::key_init(&cli, "oncall-emergency-e2e@example.com")
        .context("the keychain (run under scripts/with-keychain.sh)")?;
    let ws = fixture::emergency_workspace(&cli, tmp.path(), &registry, &key.id, &key.public_key)?;
    ensure!(
        production(&registry) == ws.b,
        "the fixture left production off b"
    );
    let short_a = &ws.a["sha256:".len()..][..12];
    let w = open_window(tmp.path(), &ws.config, "emergency")?;
    for env in ["dev", "production"] {
        w.wait_for(
            &format!(
                "[data-app=\"api\"][data-env=\"{env}\"] [data-digest=\"{}\"]",
                ws.b
            ),
            WAIT,
        )?;
    }
    w.shot("emergency-overview-before")?;

    // The rollback view offers A, the only digest production ran before B.
    w.route("#/rollback/api/production")?;
    let options = w.wait_for(".pick .option", WAIT)?;
    let offered: Vec<String> = options
        .iter()
        .filter_map(|o| w.attribute(o, "data-digest").ok().flatten())
        .collect();
    assert_eq!(
        offered,
        vec![ws.a.clone()],
        "production ran only a before b"
    );
    // Its "ran … · no incidents" line reads on one line under the digest (the picker's grid once
    // put it in the radio button's column, one word per line).
    let lines = w.execute(
        "const r = document.querySelector('.pick .option .ran'); \
         return r.getBoundingClientRect().height / parseFloat(getComputedStyle(r).fontSize);",
        serde_json::json!([]),
    )?;
    ensure!(
        lines.as_f64().is_some_and(|h| h < 2.0),
        "the picker's ran line is {lines} font sizes high: wrapped"
    );
    w.click(&w.wait_for(".pick .option input", WAIT)?[0])?;

    // It says it is an emergency rollback: 1 approval instead of the policy's 2, and a reason.
    let panel = w.wait_text("[data-testid=emergency-rollback]", WAIT)?;
    ensure!(
        panel.contains("Emergency rollback: needs 1 approval and a reason")
            && panel.contains("with 1 instead of 2 approvals"),
        "the emergency panel says: {panel}"
    );
    let rule = w.wait_text(
        ".checklist[data-passed=false] .rule[data-rule=approvals][data-passed=false]",
        WAIT,
    )?;
    ensure!(
        rule.contains("rollback = { approvals = 1 }"),
        "the approvals rule does not name the emergency rule: {rule}"
    );
    let run = w.wait_for(".run-button", WAIT)?;
    ensure!(
        !w.enabled(&run[0])?,
        "Roll back is enabled before any approval"
    );

    // The person's own approval: signed after the native confirmation, and enough.
    let approve = w.wait_enabled(".approve-button", WAIT)?;
    w.shot("emergency-before")?;
    w.click(&approve)?;
    confirm_natively(&w, "Sign the approval", Some("emergency-approve".into()))?;
    let fingerprint = w.wait_text(".signed .fingerprint", WAIT)?;
    assert_eq!(
        fingerprint, key.fingerprint,
        "signed with the keychain's key"
    );
    w.wait_for(
        ".checklist[data-passed=true] .rule[data-rule=approvals][data-passed=true]",
        WAIT,
    )?;

    // Without a reason (blank counts as none) Roll back stays disabled and says why.
    let reason = w.wait_for(
        "[data-testid=emergency-rollback] input[name=emergency-reason]",
        WAIT,
    )?;
    w.click(&reason[0])?;
    w.send_keys(&reason[0], "   ")?;
    let why = w.wait_text("#run-why .disabled-reason", WAIT)?;
    assert_eq!(why, "Give the reason for this emergency rollback.");
    let run = w.wait_for(".run-button", WAIT)?;
    ensure!(
        !w.enabled(&run[0])?,
        "Roll back is enabled without a reason"
    );
    show_run_panel(&w)?;
    w.shot("emergency-no-reason")?;
    ensure!(
        production(&registry) == ws.b,
        "skopeo: production moved without a reason"
    );

    // With the reason: Roll back, answered in the native confirmation.
    w.send_keys(&reason[0], REASON)?;
    let run = w.wait_enabled(".run-button", WAIT)?;
    ensure!(
        w.text(&run)?
            .contains(&format!("Roll back {short_a} to production")),
        "the button says: {}",
        w.text(&run)?
    );
    show_run_panel(&w)?;
    w.shot("emergency-with-reason")?;
    w.click(&run)?;
    confirm_natively(&w, "Sign the rollback", Some("emergency-run".into()))?;
    w.wait_for(".outcome .success, .outcome .failed-outcome", WAIT)?;
    if let Some(failed) = w.find_all(".outcome .failed-outcome")?.first() {
        anyhow::bail!("the window shows a failure: {}", w.text(failed)?);
    }
    let done = w.wait_text("[data-testid=emergency-done]", WAIT)?;
    assert_eq!(
        done,
        format!("Emergency rollback, signed with the reason: {REASON}"),
        "the reason is signed trimmed"
    );
    let steps = w.find_all(".steps .step[data-state=done]")?;
    ensure!(steps.len() == 4, "{} of 4 steps done", steps.len());
    let recorded = w.wait_text(".steps .step[data-step=recorded] .what", WAIT)?;
    ensure!(
        recorded.starts_with("rollback appended"),
        "the last step says: {recorded}"
    );
    w.shot("emergency-after")?;

    // The registry: production is A again.
    assert_eq!(
        production(&registry),
        ws.a,
        "skopeo: production is back on a"
    );

    // The history, as the CLI reads it: the current stay of production is A, by an emergency
    // rollback with the reason; the stays before it are not marked.
    let out = Command::new(&cli)
        .arg("--config")
        .arg(&ws.config)
        .args(["timeline", "--app", "api", "--env", "production", "--json"])
        .output()?;
    ensure!(
        out.status.success(),
        "timeline: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let segments: Vec<Value> = serde_json::from_slice(&out.stdout)?;
    let stays: Vec<(&str, &str, bool)> = segments
        .iter()
        .map(|s| {
            (
                s["digest"].as_str().unwrap_or_default(),
                s["via"].as_str().unwrap_or_default(),
                s["emergency"] == true,
            )
        })
        .collect();
    assert_eq!(
        stays,
        [
            (ws.a.as_str(), "observed", false),
            (ws.b.as_str(), "promotion", false),
            (ws.a.as_str(), "rollback", true),
        ],
        "timeline --json: {segments:?}"
    );
    assert_eq!(
        segments[2]["reason"], REASON,
        "timeline --json: {segments:?}"
    );
    assert_eq!(
        segments[2]["actor"],
        key.id.as_str(),
        "timeline --json: {segments:?}"
    );
    let rows = fixture::status(&cli, &ws.config)?;
    let row = rows
        .iter()
        .find(|r| r["app"] == "api" && r["env"] == "production")
        .context("no api production row")?;
    ensure!(
        row["digest"] == ws.a.as_str()
            && row["emergency"] == true
            && row["reason"] == REASON
            && row["drift"] == false,
        "status --json: {row}"
    );

    // The window marks it too: the overview's badge, and the timeline's selected stay.
    w.route("#/")?;
    let badge = w.wait_for(
        &format!(
            "td[data-app=\"api\"][data-env=\"production\"]:has([data-digest=\"{}\"]) .emergency-badge",
            ws.a
        ),
        WAIT,
    )?;
    let title = w.attribute(&badge[0], "title")?.unwrap_or_default();
    ensure!(title.contains(REASON), "the badge's title: {title}");
    w.shot("emergency-overview")?;
    w.route("#/timeline/api")?;
    let bar_css = format!(
        "g.segment[data-env=\"production\"][data-via=\"rollback\"][data-digest=\"{}\"]",
        ws.a
    );
    let bar = w.wait_for(&bar_css, WAIT)?;
    let label = w.attribute(&bar[0], "aria-label")?.unwrap_or_default();
    ensure!(
        label.contains("emergency rollback"),
        "the bar's label: {label}"
    );
    // Selected by keyboard, as the timeline's hint says (an SVG bar is not "interactable" to a
    // WebDriver click): focus it, then Enter.
    w.execute(
        "document.querySelector(arguments[0]).focus(); return true;",
        serde_json::json!([bar_css]),
    )?;
    w.press(&["\u{E007}"])?;
    let details = w.wait_text(".segment-details [data-emergency]", WAIT)?;
    ensure!(
        details.contains("EMERGENCY ROLLBACK") && details.contains(REASON),
        "the selected stay says: {details}"
    );
    w.shot("emergency-timeline")?;
    Ok(())
}
