//! Signed checkpoints in human form: what a sync published, and what `verify --checkpoints` /
//! `verify FILE --config` found against the registry.

use tollgate::api::{CheckpointCheck, CheckpointSync};

/// The checkpoint lines of a sync: each one published, and each problem as a warning (a
/// checkpoint skipped by how this desktop is set up is in `team status`).
pub fn sync_lines(c: Option<&CheckpointSync>) {
    let Some(c) = c else { return };
    for line in &c.published {
        say!("{line}");
    }
    for line in &c.problems {
        esay!("warning: {line}");
    }
}

/// What a checkpoint check found: problems on stderr (`error:` contradicts, exit 1;
/// `warning:` flags), the summary on stdout unless `json` (stdout then holds the JSON). `what`
/// is "this history" or "the report".
pub fn check(c: &CheckpointCheck, what: &str, json: bool) {
    for line in &c.unread {
        esay!("warning: could not check checkpoints in {line}");
    }
    for line in &c.untrusted {
        esay!("warning: {line}");
    }
    for line in &c.warnings {
        esay!("warning: {line}");
    }
    for line in &c.contradictions {
        esay!("error: checkpoint contradicted: {line}");
    }
    if json {
        return;
    }
    if !c.checked {
        say!("checkpoints: could not check: the team's registry could not be read");
        return;
    }
    let whose = c
        .exporter
        .as_deref()
        .map(|x| format!(" of {x} (the exporting identity)"))
        .unwrap_or_default();
    match &c.newest {
        None if c.checkpoints.is_empty() => {
            say!("checkpoints: none of this chain in the team's registry");
        }
        None => say!(
            "checkpoints: {} of this chain, none{whose}",
            c.checkpoints.len()
        ),
        Some(n) => say!(
            "checkpoints: {} of this chain; the newest{whose} is event {} ({}…) signed by {} at {}; {what} ends at event {}: {}{}",
            c.checkpoints.len(),
            n.seq,
            n.hash.get(..12).unwrap_or(&n.hash),
            n.signer,
            n.at,
            c.end_seq,
            if c.at_or_after_newest == Some(true) {
                "at or after it"
            } else {
                "BEFORE it"
            },
            match c.newest_holds {
                Some(true) => format!("; {what} holds its event {} with that hash", n.seq),
                Some(false) => format!("; {what}'s event {} has ANOTHER hash", n.seq),
                None => String::new(),
            }
        ),
    }
}
