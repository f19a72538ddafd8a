//! What ran when, in the window: the overview's "as of" picker turns the grid into what every
//! environment ran at a moment of the history (CI's records of early January, made with the
//! real CLI), with a banner and a one-click return to now; a moment the core cannot read is
//! one line under the field.

use anyhow::{ensure, Result};

use super::{synced_window, Synced, WAIT};

/// The cell of `env` showing `digest`.
fn cell(env: &str, digest: &str) -> String {
    format!("[data-app=\"api\"][data-env=\"{env}\"] [data-digest=\"{digest}\"]")
}

#[test]
#[ignore = "needs Xvfb, tauri-driver, docker-registry, the keychain and the app: run scripts/e2e.sh"]
fn the_overview_as_of_a_moment_shows_what_ran_then_and_returns_to_now() -> Result<()> {
    // History: dev ran B from 2026-01-03, staging B from 01-04, dev A from 01-05.
    let Synced {
        w,
        ws,
        key: _key,
        registry: _registry,
        _tmp,
    } = synced_window("qa-as-of-e2e@example.com", "as-of")?;

    // A moment the core cannot read: one line under the field, the grid stays as it is.
    let input = w.wait_for("#as-of-input", WAIT)?;
    w.click(&input[0])?;
    w.send_keys(&input[0], "yesterday-ish")?;
    w.press(&["\u{E007}"])?;
    let error = w.wait_text(".as-of .error", WAIT)?;
    ensure!(
        !error.contains('\n') && error.contains("yesterday-ish"),
        "the error line says: {error}"
    );
    ensure!(w.find_all("[data-testid=as-of-banner]")?.is_empty());

    // 2026-01-04 12:00 UTC: dev still ran B.
    w.execute(
        "const i = document.querySelector('#as-of-input'); i.value = ''; i.dispatchEvent(new Event('input')); return true;",
        serde_json::json!([]),
    )?;
    w.send_keys(&input[0], "2026-01-04T12:00:00Z")?;
    w.press(&["\u{E007}"])?;
    let banner = w.wait_text("[data-testid=as-of-banner]", WAIT)?;
    ensure!(banner.contains("2026"), "the banner says: {banner}");
    w.wait_for(&cell("dev", &ws.b), WAIT)?;
    w.wait_for(&cell("staging", &ws.b), WAIT)?;
    ensure!(
        w.find_all(&cell("dev", &ws.a))?.is_empty(),
        "dev shows A as of a moment before A ran there"
    );
    w.shot("overview-as-of")?;

    // One click back to now.
    let back = w.wait_for("[data-testid=as-of-banner] button", WAIT)?;
    w.click(&back[0])?;
    w.wait_for(&cell("dev", &ws.a), WAIT)?;
    ensure!(w.find_all("[data-testid=as-of-banner]")?.is_empty());
    Ok(())
}
