//! `tollgate team status`: sharing on or off, the repositories, the last pull, unshared and
//! untrusted events, the team channel's problems, skipped artifacts and checkpoints.

use tollgate::api::{self, Context, TeamStatus};
use tollgate::Result;

use crate::commands::Load;
use crate::output::{self, time};

pub fn run(load: Load<'_>, ctx: &Context, json: bool) -> Result<i32> {
    let status = api::team_status(&load()?, ctx)?;
    output::show(json, &status, print)?;
    Ok(0)
}

fn print(s: &TeamStatus) {
    say!(
        "sharing: {} ({})",
        if s.sharing { "on" } else { "off" },
        s.change
    );
    match &s.ledger {
        Some(ledger) => say!("ledger: {ledger} (every app's events)"),
        None => say!("ledger: none (each app's events go to its own repository)"),
    }
    for r in &s.repositories {
        let note = if r.can_share {
            ""
        } else {
            " (a local OCI layout: cannot share)"
        };
        say!("  {}: {}{note}", r.app, r.repository);
    }
    match &s.last_pull {
        Some(p) => say!(
            "last pull: {} ({} digests asked, {} imported, {} untrusted)",
            time(&p.at),
            p.digests,
            p.imported,
            p.untrusted
        ),
        None if s.sharing => say!("last pull: never (run `tollgate sync`)"),
        None => say!("last pull: never (sharing is off)"),
    }
    say!("unshared events: {}", s.unshared.len());
    for u in &s.unshared {
        say!(
            "  {} {} {} {} (event {}): {}",
            u.kind,
            u.app,
            u.env,
            u.digest.as_deref().unwrap_or("-"),
            u.seq,
            u.reason
        );
    }
    say!("untrusted events seen: {}", s.untrusted.len());
    for u in &s.untrusted {
        say!(
            "  {} {} in {} on {} (first seen {}, last {}): {}",
            u.kind,
            u.artifact,
            u.repository,
            u.subject,
            time(&u.first_seen),
            time(&u.last_seen),
            u.reason
        );
    }
    say!("team channel problems: {}", s.problems.len());
    for p in &s.problems {
        say!(
            "  {} (first met {}, last {})",
            p.line,
            time(&p.first_seen),
            time(&p.last_seen)
        );
    }
    say!(
        "skipped artifacts remembered: {} (not fetched again until tollgate.toml's identities change)",
        s.skipped.len()
    );
    for k in &s.skipped {
        say!("  {} {} {}: {}", k.reason, k.kind, k.artifact, k.line);
    }
    if let Some(rows) = &s.checkpoints {
        for c in rows {
            let last = match (&c.seq, &c.published_at) {
                (Some(seq), Some(at)) => format!("last published: event {seq} at {at}"),
                _ => "none published yet".to_string(),
            };
            say!("checkpoints in {} ({last}): {}", c.repository, c.line);
        }
    }
}
