//! `tollgate team status` in human form.

use tollgate::api::TeamStatus;

use super::output::time;

pub fn status(s: &TeamStatus) {
    println!(
        "sharing: {} ({})",
        if s.sharing { "on" } else { "off" },
        s.change
    );
    match &s.ledger {
        Some(ledger) => println!("ledger: {ledger} (every app's events)"),
        None => println!("ledger: none (each app's events go to its own repository)"),
    }
    for r in &s.repositories {
        let note = if r.can_share {
            ""
        } else {
            " (a local OCI layout: cannot share)"
        };
        println!("  {}: {}{note}", r.app, r.repository);
    }
    match &s.last_pull {
        Some(p) => println!(
            "last pull: {} ({} digests asked, {} imported, {} untrusted)",
            time(&p.at),
            p.digests,
            p.imported,
            p.untrusted
        ),
        None if s.sharing => println!("last pull: never (run `tollgate sync`)"),
        None => println!("last pull: never (sharing is off)"),
    }
    println!("unshared events: {}", s.unshared.len());
    for u in &s.unshared {
        println!(
            "  {} {} {} {} (event {}): {}",
            u.kind,
            u.app,
            u.env,
            u.digest.as_deref().unwrap_or("-"),
            u.seq,
            u.reason
        );
    }
    println!("untrusted events seen: {}", s.untrusted.len());
    for u in &s.untrusted {
        println!(
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
    println!("team channel problems: {}", s.problems.len());
    for p in &s.problems {
        println!(
            "  {} (first met {}, last {})",
            p.line,
            time(&p.first_seen),
            time(&p.last_seen)
        );
    }
    println!(
        "skipped artifacts remembered: {} (not fetched again until tollgate.toml's identities change)",
        s.skipped.len()
    );
    for k in &s.skipped {
        println!("  {} {} {}: {}", k.reason, k.kind, k.artifact, k.line);
    }
    if let Some(rows) = &s.checkpoints {
        for c in rows {
            let last = match (&c.seq, &c.published_at) {
                (Some(seq), Some(at)) => format!("last published: event {seq} at {at}"),
                _ => "none published yet".to_string(),
            };
            println!("checkpoints in {} ({last}): {}", c.repository, c.line);
        }
    }
}
