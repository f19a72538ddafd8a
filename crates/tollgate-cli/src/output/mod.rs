//! What several commands print: JSON or the human form (`--json`), times, tables, flags, the
//! progress bar, promotion steps and outcomes, what was shared with the team. The release diff
//! (`diff`, `check`) is in [`diff`], signed checkpoints (`sync`, `verify`) in [`checkpoint`].
//! Times are stored in UTC and shown in local time with their offset.

pub mod checkpoint;
pub mod diff;

use std::io::IsTerminal;

use chrono::{DateTime, Local, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use tollgate::domain::Via;
use tollgate::{Error, Result};

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::internal(format!("cannot write JSON: {e}")))?;
    // JSON escapes control characters itself (`\u001b`), and keeps its own line breaks.
    println!("{text}");
    Ok(())
}

/// JSON when `--json` was given, else the human form.
pub fn show<T: Serialize + ?Sized>(json: bool, value: &T, human: impl FnOnce(&T)) -> Result<()> {
    if json {
        self::json(value)
    } else {
        human(value);
        Ok(())
    }
}

pub fn time(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M %:z")
        .to_string()
}

pub fn via(v: Via) -> &'static str {
    match v {
        Via::Promotion => "promotion",
        Via::Rollback => "rollback",
        Via::Record => "record",
        Via::Observed => "observed",
        Via::Drift => "DRIFT",
    }
}

pub fn print_table(header: &[&str], rows: Vec<Vec<String>>) {
    // Cells escaped before they are measured, so the columns line up with what is shown.
    let rows: Vec<Vec<String>> = (rows.into_iter())
        .map(|r| {
            r.iter()
                .map(|c| tollgate::domain::escape_controls(c).into_owned())
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let s: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        say!("{}", s.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        line(r);
    }
}

/// `DRIFT`, `UNAPPROVED`, `CONFLICT` (space-separated) or nothing.
pub fn flags(drift: bool, unapproved: bool, conflict: bool) -> String {
    [
        (drift, "DRIFT"),
        (unapproved, "UNAPPROVED"),
        (conflict, "CONFLICT"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| *name)
    .collect::<Vec<_>>()
    .join(" ")
}

/// `flags` with `EMERGENCY` first when an emergency rollback began the stay.
pub fn with_emergency(emergency: bool, flags: String) -> String {
    match (emergency, flags.is_empty()) {
        (false, _) => flags,
        (true, true) => "EMERGENCY".into(),
        (true, false) => format!("EMERGENCY {flags}"),
    }
}

/// Whether standard error is a terminal (progress bars only there).
fn interactive() -> bool {
    std::io::stderr().is_terminal()
}

/// The bar `sync` shows on a terminal (hidden elsewhere).
pub fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        None,
        if interactive() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} tags  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// One step of a promotion or rollback, on standard error.
pub fn step(step: tollgate::api::PromotionStep) {
    use tollgate::api::PromotionStep::*;
    let text = match step {
        Intended => "policy holds; intent journalled, approvals reserved",
        Pushed => "pushed the exact manifest bytes under the target tag (a deployment file: the signed commit)",
        Verified => "read the target back: the tag (or the branch's file) shows the approved digest",
        Recorded => "recorded in the history",
    };
    esay!("  {text}");
}

/// What a promotion or rollback did, and the snippets that deploy the digest.
pub fn promotion(outcome: &tollgate::api::PromotionOutcome) {
    let p = &outcome.promotion;
    let what = match (p.kind, &p.emergency_reason) {
        (tollgate::domain::EventKind::Rollback, Some(_)) => "EMERGENCY rolled back",
        (tollgate::domain::EventKind::Rollback, None) => "rolled back",
        _ => "promoted",
    };
    match &outcome.event {
        Some(event) => say!(
            "{what} {} {} → {} as {} (journal {}, event {})",
            p.app,
            p.from_env,
            p.to_env,
            p.digest,
            p.id,
            event.seq
        ),
        // Pushed for review (`push = "branch"`): nothing is in the history until it is merged.
        None => say!(
            "{what} {} {} → {} as {} for review (journal {}, not recorded until a sync sees it merged)",
            p.app,
            p.from_env,
            p.to_env,
            p.digest,
            p.id
        ),
    }
    if let Some(reason) = &p.emergency_reason {
        say!(
            "  emergency rollback with {} approval(s) ({}), reason: {}",
            outcome.check.evaluation.approvers.len(),
            outcome.check.evaluation.approvers.join(", "),
            tollgate::domain::escape_controls(reason)
        );
    }
    match &outcome.git {
        Some(g) => {
            say!(
                "  commit {} on {} of {} ({}), signed by {}",
                g.commit,
                g.review_branch.as_deref().unwrap_or(&g.branch),
                g.git,
                g.file,
                p.actor
            );
            if let Some(review) = &g.review_branch {
                say!("  review branch: {review} (merge it into {})", g.branch);
            }
            if let Some(url) = &g.compare_url {
                say!("  compare: {url}");
            }
        }
        None => {
            say!("  {}", outcome.snippets.kubectl);
            say!("  {}", outcome.snippets.compose);
        }
    }
    team_share(outcome.shared.as_ref());
}

/// What was published of an event: `shared as ARTIFACT in REPOSITORY`, or the one line saying
/// why not yet; nothing when sharing is off.
pub fn team_share(team: Option<&tollgate::api::TeamShare>) {
    match team {
        Some(t) if t.shared => say!("shared as {} in {}", t.artifact, t.repository),
        Some(t) => say!("{}", t.unshared.as_deref().unwrap_or("not shared yet")),
        None => {}
    }
}
