//! Human tables and JSON on standard output. Times are stored in UTC and shown in local time
//! with their offset.

use chrono::{DateTime, Local, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use tollgate::api::SyncReport;
use tollgate::domain::{Segment, StatusRow, Via};
use tollgate::{Error, Result};

pub use super::diff_text::{checklist_with_diff, release_diff, CheckWithDiff};

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

fn via(v: Via) -> &'static str {
    match v {
        Via::Promotion => "promotion",
        Via::Rollback => "rollback",
        Via::Record => "record",
        Via::Observed => "observed",
        Via::Drift => "DRIFT",
    }
}

fn print_table(header: &[&str], rows: Vec<Vec<String>>) {
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

pub fn status_table(rows_in: &[StatusRow]) {
    let rows = rows_in
        .iter()
        .map(|r| {
            vec![
                r.app.clone(),
                r.env.clone(),
                r.tag.clone(),
                r.digest
                    .as_ref()
                    .map_or("(no tag)".into(), |d| d.to_string()),
                r.since.as_ref().map_or(String::new(), time),
                flags(r.drift, r.unapproved, !r.conflicts.is_empty()),
            ]
        })
        .collect();
    print_table(&["APP", "ENV", "TAG", "DIGEST", "SINCE", "FLAGS"], rows);
    for c in rows_conflicts(rows_in) {
        say!("CONFLICT {} {}", c.kind.as_str(), c.description);
    }
}

/// The conflicts of the rows, each once, in row order.
fn rows_conflicts(
    rows: &[StatusRow],
) -> impl Iterator<Item = &tollgate::domain::conflicts::Conflict> {
    rows.iter().flat_map(|r| r.conflicts.iter())
}

/// `DRIFT`, `UNAPPROVED`, `CONFLICT` (space-separated) or nothing.
fn flags(drift: bool, unapproved: bool, conflict: bool) -> String {
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

pub fn timeline_table(segments: &[Segment]) {
    let rows = segments
        .iter()
        .map(|s| {
            vec![
                s.env.clone(),
                s.digest.to_string(),
                time(&s.from),
                s.until.as_ref().map_or("now".into(), time),
                if s.unapproved {
                    format!("{} UNAPPROVED", via(s.via))
                } else {
                    via(s.via).into()
                },
                s.actor.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_table(&["ENV", "DIGEST", "FROM", "UNTIL", "VIA", "ACTOR"], rows);
}

pub fn sync_report(report: &SyncReport) {
    let moved = report.tags.iter().filter(|t| t.previous.is_some()).count();
    let missing = report.tags.iter().filter(|t| t.digest.is_none()).count();
    say!(
        "synced {} tags: {} moved, {} missing, {} new images read",
        report.tags.len(),
        moved,
        missing,
        report.new_images
    );
    let team = &report.team;
    if team.imported
        + team.imported_events
        + team.untrusted
        + team.unshared_retried
        + team.still_unshared
        + team.unplaced
        + team.replayed
        + team.needs_newer
        > 0
    {
        // Teammates' moves kept unplaced, replayed copies and newer message versions: said only
        // when there are some (each is also a `warning: …` line below).
        let mut unplaced = match team.unplaced {
            0 => String::new(),
            n => format!(", {n} kept unplaced (not placed in this history; checked for conflicts)"),
        };
        if team.replayed > 0 {
            unplaced.push_str(&format!(
                ", {} replayed (a signed statement already in this history, not imported)",
                team.replayed
            ));
        }
        if team.needs_newer > 0 {
            unplaced.push_str(&format!(", {} need a newer Tollgate", team.needs_newer));
        }
        say!(
            "team: {} approvals imported, {} untrusted, {} unshared published, {} still unshared, {} promotions/rollbacks/records imported{unplaced}",
            team.imported, team.untrusted, team.unshared_retried, team.still_unshared, team.imported_events
        );
    }
    for line in &team.skipped {
        esay!("warning: {line}");
    }
    for line in &team.problems {
        esay!("warning: {line}");
    }
    super::checkpoint::sync_lines(report.checkpoint.as_ref());
    for t in report.drifted() {
        esay!("error: {}", Error::from(t).message);
    }
}

pub fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        None,
        if super::commands::interactive() {
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

pub fn key(info: &tollgate::signing::PublicKeyInfo) {
    say!("approver:        {}", info.id);
    say!("fingerprint:     {}", info.fingerprint);
    say!("public key:      {}", info.public_key);
    say!("allowed_signers: {}", info.allowed_signers_line);
    say!("(hand the public key to whoever keeps tollgate.toml: [[approvers]] key = \"...\"; the private key stays in the OS keychain)");
}

pub fn key_rotation(r: &tollgate::api::KeyRotation) {
    say!(
        "rotated the signing key of {}: {} -> {} (the previous private key is gone from the OS keychain)",
        r.current.id, r.previous.fingerprint, r.current.fingerprint
    );
    say!("In tollgate.toml, in the [[approvers]] entry of {}, write (add the entry to previous_keys if it already has some):", r.current.id);
    say!();
    for line in r.toml.lines() {
        say!("  {line}");
    }
    say!();
    say!(
        "Until tollgate.toml lists the new key, approvals by {} are refused.",
        r.current.id
    );
}

pub fn checklist(check: &tollgate::api::PromotionCheck) {
    say!(
        "{} {} → {}  {}  {}",
        check.app,
        check.from,
        check.to,
        check.digest,
        if check.evaluation.passed {
            "READY"
        } else {
            "NOT READY"
        }
    );
    for r in &check.evaluation.rules {
        let mark = if r.passed {
            "ok  "
        } else if r.blocking {
            "FAIL"
        } else {
            "warn"
        };
        say!("  {mark} {:<10} {}", r.rule, r.reason);
    }
    for i in &check.evaluation.ignored {
        say!(
            "  ignored approval {} by {}: {}",
            i.id,
            i.approver,
            i.reason
        );
    }
}

pub fn step(step: tollgate::api::PromotionStep) {
    use tollgate::api::PromotionStep::*;
    let text = match step {
        Intended => "policy holds; intent journalled, approvals reserved",
        Pushed => "pushed the exact manifest bytes under the target tag",
        Verified => "read the target tag back: it resolves to the approved digest",
        Recorded => "recorded in the history",
    };
    esay!("  {text}");
}

pub fn promotion(outcome: &tollgate::api::PromotionOutcome) {
    let p = &outcome.promotion;
    say!(
        "{} {} {} → {} as {} (journal {}, event {})",
        if p.kind == tollgate::domain::EventKind::Rollback {
            "rolled back"
        } else {
            "promoted"
        },
        p.app,
        p.from_env,
        p.to_env,
        p.digest,
        p.id,
        outcome.event.seq
    );
    say!("  {}", outcome.snippets.kubectl);
    say!("  {}", outcome.snippets.compose);
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

/// What `export` wrote; a broken chain or a failed signature is a warning line each.
pub fn export_summary(s: &tollgate::api::ExportSummary, as_json: bool) -> Result<()> {
    if as_json {
        json(s)?;
    } else {
        let range = match (s.first_seq, s.last_seq) {
            (Some(a), Some(b)) => format!(" (events {a} to {b})"),
            _ => String::new(),
        };
        say!(
            "wrote {} ({}, {} bytes): {} events{range}, {} approvals counted from outside the filters, {} link stubs; {} of {} approval signatures verify; chain head {}",
            s.path,
            s.format.as_str(),
            s.bytes,
            s.events,
            s.context_events,
            s.stubs,
            s.signatures.verified,
            s.signatures.approvals,
            s.database.head_hash
        );
    }
    if let Some(b) = &s.database.broken {
        esay!(
            "warning: the history chain is broken at event {}: {}; the report says so",
            b.seq,
            b.reason
        );
    }
    for p in &s.signatures.problems {
        esay!("warning: {}", p.message);
    }
    for c in &s.conflicts {
        esay!("warning: conflict: {}; the report lists it", c.description);
    }
    if let Some(why) = &s.unsealed {
        esay!("warning: the report is not sealed ({why}): it verifies only with `tollgate verify FILE --allow-unsealed`, which cannot prove its summary, filters and range were not edited");
    }
    Ok(())
}

/// The check of an exported report: one line when it holds, one `error:` line per problem.
pub fn report_verification(v: &tollgate::api::ReportVerification, as_json: bool) -> Result<()> {
    if as_json {
        json(v)?;
    }
    if v.ok() {
        if !as_json {
            let range = match (v.first_seq, v.last_seq) {
                (Some(a), Some(b)) => format!("events {a} to {b}"),
                _ => "no events".to_string(),
            };
            say!(
                "report intact: {} events and {} link stubs ({range}), {} of {} approval signatures verify; range ends at hash {}",
                v.events,
                v.stubs,
                v.signatures_verified,
                v.approvals,
                v.end_hash.as_deref().unwrap_or("-")
            );
            if v.keys == "workspace" && v.signed_events > 0 {
                say!(
                    "signed records, promotions and rollbacks: {}, of which {} verify against the listed identities",
                    v.signed_events, v.event_signatures_verified
                );
            }
        }
    } else {
        for p in &v.problems {
            esay!("error: {}", p.message);
        }
    }
    for w in &v.warnings {
        esay!("warning: {}", w.message);
    }
    if !as_json {
        for u in &v.unproven {
            say!("unproven: {u}");
        }
        if let Some(id) = &v.sealed_by {
            say!("sealed by {id}");
        }
        // Said whatever the outcome: what the signatures were checked against.
        let line = match v.keys.as_str() {
            "report" => format!("keys: {}: the signatures are checked against keys the file itself carries, so a report forged whole with its own keys also passes; pass --config tollgate.toml to check them against your workspace's keys", v.keys_from),
            _ => format!("keys: {} (the report's own allowed_signers were not used)", v.keys_from),
        };
        say!("{line}");
    }
    Ok(())
}

/// What `reject` / `unreject` print: what was signed, by whom, with which key.
pub fn rejection(r: &tollgate::api::RejectionReceipt) {
    let x = &r.rejection;
    let scope = x.scope();
    let what = if x.kind == tollgate::domain::EventKind::Rejection {
        format!("rejected {} for {scope}", x.digest)
    } else {
        format!("lifted the rejection of {} for {scope}", x.digest)
    };
    say!(
        "{what} in {} as {} ({}) (event {}, key {})",
        x.app,
        x.by,
        x.role,
        r.event.seq,
        r.fingerprint
    );
    say!("reason: {}", x.reason);
    team_share(r.team.as_ref());
}

/// `status --at T`: one line saying the moment, then each app × environment as of then (or one
/// line when the moment is before the history's first event).
pub fn status_at_table(rows: &[StatusRow], at: DateTime<Utc>) {
    if rows.iter().any(|r| r.before_history) {
        say!(
            "nothing had happened yet at {}: it is before the first event in the history",
            time(&at)
        );
        return;
    }
    say!("as of {}", time(&at));
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                r.app.clone(),
                r.env.clone(),
                r.digest
                    .as_ref()
                    .map_or("(nothing yet)".into(), |d| d.to_string()),
                r.since.as_ref().map_or(String::new(), time),
                match (&r.digest, &r.until) {
                    (None, _) => String::new(),
                    (Some(_), None) => "now".into(),
                    (Some(_), Some(u)) => time(u),
                },
                r.via.map_or(String::new(), |v| via(v).into()),
                r.actor.clone().unwrap_or_default(),
                flags(r.drift, r.unapproved, !r.conflicts.is_empty()),
            ]
        })
        .collect();
    print_table(
        &[
            "APP", "ENV", "DIGEST", "SINCE", "UNTIL", "VIA", "ACTOR", "FLAGS",
        ],
        rows,
    );
}

/// `timeline --app A --at T`: the segment each environment was in at T (and a line for each
/// environment where nothing had begun yet).
pub fn timeline_at_table(
    segments: &[tollgate::api::SegmentAt],
    app: &str,
    envs: &[&str],
    at: DateTime<Utc>,
) {
    say!("{app} as of {}", time(&at));
    let rows = segments
        .iter()
        .map(|s| {
            let seg = &s.segment;
            vec![
                seg.env.clone(),
                seg.digest.to_string(),
                time(&seg.from),
                seg.until.as_ref().map_or("now".into(), time),
                via(seg.via).into(),
                seg.actor.clone().unwrap_or_default(),
                flags(s.drift, seg.unapproved, false),
            ]
        })
        .collect();
    if !segments.is_empty() {
        print_table(
            &["ENV", "DIGEST", "FROM", "UNTIL", "VIA", "ACTOR", "FLAGS"],
            rows,
        );
    }
    for env in envs {
        if !segments.iter().any(|s| s.segment.env == *env) {
            say!("nothing had run in {env} yet at that time, as far as the history knows");
        }
    }
}
