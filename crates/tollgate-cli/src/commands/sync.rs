//! `tollgate sync`: resolve every environment tag, record observations and drift, share and
//! pull the team's events; exit 1 when a tag drifted.

use tollgate::api::{self, Context, SyncReport};
use tollgate::{Error, Result};

use super::{load_and_recover, Load};
use crate::args::SyncArgs;
use crate::output;

pub async fn run(load: Load<'_>, ctx: &Context, args: SyncArgs) -> Result<i32> {
    let ws = load_and_recover(load, ctx).await?;
    let bar = output::progress_bar();
    let report = api::sync(&ws, ctx, args.app.as_deref(), &|p| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(format!("{} {}", p.app, p.env));
    })
    .await;
    bar.finish_and_clear();
    let report = report?;
    sync_report(&report);
    Ok(
        if report.drifted().next().is_some() || report.drifted_git().next().is_some() {
            1
        } else {
            0
        },
    )
}

fn sync_report(report: &SyncReport) {
    let moved = report.tags.iter().filter(|t| t.previous.is_some()).count();
    let missing = report.tags.iter().filter(|t| t.digest.is_none()).count();
    say!(
        "synced {} tags: {} moved, {} missing, {} new images read",
        report.tags.len(),
        moved,
        missing,
        report.new_images
    );
    if !report.git.is_empty() {
        let changed: usize = report
            .git
            .iter()
            .map(|g| {
                g.changes
                    .iter()
                    .filter(|c| c.outcome != "unchanged")
                    .count()
            })
            .sum();
        let missing = report.git.iter().filter(|g| g.digest.is_none()).count();
        say!(
            "synced {} git environments: {} commits changed a digest, {} without a pinned digest",
            report.git.len(),
            changed,
            missing
        );
        // Promotions pushed for review that reached the branch: recorded by this sync.
        for g in &report.git {
            for c in g.changes.iter().filter(|c| c.outcome == "promotion") {
                if let Some(why) = &c.why {
                    say!(
                        "{} {}: recorded {why}, at commit {} on {}",
                        g.app,
                        g.env,
                        c.commit,
                        g.branch
                    );
                    // Published to the team's registry like a direct promotion.
                    output::team_share(c.shared.as_ref());
                }
            }
        }
    }
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
    output::checkpoint::sync_lines(report.checkpoint.as_ref());
    for g in &report.git {
        for line in &g.problems {
            esay!("warning: {line}");
        }
    }
    for t in report.drifted() {
        esay!("error: {}", Error::from(t).message);
    }
    for g in report.drifted_git() {
        esay!("error: {}", Error::from(g).message);
    }
}
