//! `tollgate status`: the current digest per app and environment with its flags, or with
//! `--at T` what ran at that moment.

use chrono::{DateTime, Utc};

use tollgate::api::{self, Context};
use tollgate::domain::{parse_at, StatusRow};
use tollgate::Result;

use super::{load_and_recover, Load};
use crate::args::StatusArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: StatusArgs) -> Result<i32> {
    let StatusArgs {
        app,
        json,
        at,
        wide,
    } = args;
    match at {
        None => {
            let rows = api::status(&load_and_recover(load, ctx).await?, app.as_deref())?;
            output::show(json, rows.as_slice(), |rows| status_table(rows, wide))?;
            Ok(0)
        }
        Some(at) => {
            let at = parse_at(&at, ctx.clock.now())?;
            let ws = load_and_recover(load, ctx).await?;
            let rows = api::status_at(&ws, app.as_deref(), Some(at))?;
            output::show(json, rows.as_slice(), |rows| {
                status_at_table(rows, at, wide)
            })?;
            Ok(0)
        }
    }
}

/// The table of `status`: 120 columns for usual names (a digest's first 12 hex digits, which
/// every command takes back; a deployment file by its name), or with `wide` everything whole.
fn status_table(rows_in: &[StatusRow], wide: bool) {
    let rows = rows_in
        .iter()
        .map(|r| {
            vec![
                r.app.clone(),
                r.env.clone(),
                place(r, wide),
                r.digest.as_ref().map_or(
                    if r.tag.is_some() {
                        "(no tag)"
                    } else {
                        "(none)"
                    }
                    .into(),
                    |d| digest_cell(d, wide),
                ),
                r.version.clone().unwrap_or_default(),
                r.since.as_ref().map_or(String::new(), output::time),
                row_flags(r),
            ]
        })
        .collect();
    output::print_table(
        &["APP", "ENV", "TAG", "DIGEST", "VERSION", "SINCE", "FLAGS"],
        rows,
    );
    for c in rows_conflicts(rows_in) {
        say!("CONFLICT {} {}", c.kind.as_str(), c.description);
    }
}

/// The FLAGS cell of a row now: drift, unapproved, conflict, and "BY-TAG:<tag>" when the file
/// references the image by tag only (deployed by tag, not pinned).
fn row_flags(r: &StatusRow) -> String {
    let flags = output::with_emergency(
        r.emergency,
        output::flags(r.drift, r.unapproved, !r.conflicts.is_empty()),
    );
    match &r.deployed_by_tag {
        Some(tag) if flags.is_empty() => format!("BY-TAG:{tag}"),
        Some(tag) => format!("{flags} BY-TAG:{tag}"),
        None => flags,
    }
}

/// A digest in a table: whole, or its first 12 hex digits (what `--digest` takes back).
fn digest_cell(d: &tollgate::domain::Digest, wide: bool) -> String {
    if wide {
        d.to_string()
    } else {
        d.short().to_string()
    }
}

/// Where the row's digest is read: its tag, or `git:file@commit` for a deployment repository
/// (narrow: the file's name alone and 7 digits of the commit, as `git log --oneline`).
fn place(r: &StatusRow, wide: bool) -> String {
    match (&r.tag, &r.git, &r.file) {
        (Some(tag), _, _) => tag.clone(),
        (None, Some(git), Some(file)) => {
            let file = if wide {
                file.as_str()
            } else {
                file.rsplit('/').next().unwrap_or(file)
            };
            let digits = if wide { 12 } else { 7 };
            match &r.commit {
                Some(c) => format!("{git}:{file}@{}", &c[..c.len().min(digits)]),
                None => format!("{git}:{file}"),
            }
        }
        _ => String::new(),
    }
}

/// The conflicts of the rows, each once, in row order.
fn rows_conflicts(
    rows: &[StatusRow],
) -> impl Iterator<Item = &tollgate::domain::conflicts::Conflict> {
    rows.iter().flat_map(|r| r.conflicts.iter())
}

/// `status --at T`: one line saying the moment, then each app × environment as of then (or one
/// line when the moment is before the history's first event).
fn status_at_table(rows: &[StatusRow], at: DateTime<Utc>, wide: bool) {
    if rows.iter().any(|r| r.before_history) {
        say!(
            "nothing had happened yet at {}: it is before the first event in the history",
            output::time(&at)
        );
        return;
    }
    say!("as of {}", output::time(&at));
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                r.app.clone(),
                r.env.clone(),
                r.digest
                    .as_ref()
                    .map_or("(nothing yet)".into(), |d| digest_cell(d, wide)),
                r.version.clone().unwrap_or_default(),
                r.since.as_ref().map_or(String::new(), output::time),
                match (&r.digest, &r.until) {
                    (None, _) => String::new(),
                    (Some(_), None) => "now".into(),
                    (Some(_), Some(u)) => output::time(u),
                },
                r.via.map_or(String::new(), |v| output::via(v).into()),
                r.actor.clone().unwrap_or_default(),
                output::with_emergency(
                    r.emergency,
                    output::flags(r.drift, r.unapproved, !r.conflicts.is_empty()),
                ),
            ]
        })
        .collect();
    output::print_table(
        &[
            "APP", "ENV", "DIGEST", "VERSION", "SINCE", "UNTIL", "VIA", "ACTOR", "FLAGS",
        ],
        rows,
    );
}
