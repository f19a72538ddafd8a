use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::api::gate::{self, PromotionCheck};
use crate::api::team::waiting::{self, WaitingApproval, WaitingForYou};
use crate::api::{conflicts, open, status, Context};
use crate::config::Workspace;
use crate::domain::StatusRow;
use crate::Result;

/// One app × environment of the overview: its status, and the digest waiting to come in from
/// the previous environment with its policy checklist (pending approvals, soak, ...).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OverviewCell {
    pub status: StatusRow,
    /// The digest in the previous environment that this one does not run yet, and whether it
    /// may come in now. `None` for the first environment, or when both run the same digest.
    pub candidate: Option<PromotionCheck>,
    /// The approvals of the candidate, oldest first (teammates' ones imported through the
    /// registry, this desktop's shared or not yet); empty without a candidate.
    pub approvals: Vec<WaitingApproval>,
    /// The rejection in force (the newest) that covers this environment for the digest it runs
    /// now; absent when there is none. (A rejected candidate shows as its failed `rejected` rule.)
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rejection: Option<crate::policy::Rejection>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Overview {
    pub cells: Vec<OverviewCell>,
    /// The newest observation of any tag: when sync last ran.
    #[ts(type = "string | null")]
    pub last_sync: Option<DateTime<Utc>>,
    /// The waiting digests this machine's approver may approve and has not (none as of a
    /// moment).
    pub waiting_for_you: WaitingForYou,
    /// The moment the grid shows ("as of"); `None` for now. With a moment, each cell's status
    /// is as of then (`status --at`) and no cell has a candidate.
    #[ts(type = "string | null")]
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// The team conflicts of the history (every app and environment), detected and never
    /// resolved: the banner above the grid.
    pub conflicts: Vec<crate::domain::conflicts::Conflict>,
}

/// Status of every app and environment plus what is waiting to be promoted where, the
/// approvals on each waiting digest, and what waits for this machine's approver:
/// [`overview_at`] now.
pub fn overview(ws: &Workspace, ctx: &Context) -> Result<Overview> {
    overview_at(ws, ctx, None)
}

/// The overview now (`at` = `None`), or the grid as of a moment: every cell's status at `at`
/// (see [`status::status_at`]), with no candidates (what waited then, and whether it could
/// come in, depends on approvals and soak as they were, which the grid does not replay);
/// `last_sync` stays the newest observation of any tag.
#[tracing::instrument(skip(ws, ctx), fields(workspace = %ws.config.workspace.name))]
pub fn overview_at(ws: &Workspace, ctx: &Context, at: Option<DateTime<Utc>>) -> Result<Overview> {
    let now = ctx.clock.now();
    let rows = status(ws, None)?;
    if let Some(t) = at {
        let cells = status::status_at(ws, None, Some(t))?
            .into_iter()
            .map(|status| OverviewCell {
                status,
                candidate: None,
                approvals: Vec::new(),
                rejection: None,
            })
            .collect();
        let last_sync = rows.iter().filter_map(|r| r.last_observed).max();
        return Ok(Overview {
            cells,
            last_sync,
            waiting_for_you: WaitingForYou::default(),
            at: Some(t),
            conflicts: conflicts::of(&open::store(ws)?, None, None)?,
        });
    }
    let store = open::store(ws)?;
    let unshared = store.unshared_events()?;
    let in_use = store.approvals_in_use()?;
    let mut cells = Vec::with_capacity(rows.len());
    let mut rejections = std::collections::HashMap::new();
    for row in &rows {
        let app = ws.app(&row.app)?;
        let candidate = match ws.previous_env(app, &row.env) {
            Some(prev) => {
                let here = store.head(&row.app, &row.env)?.segment.map(|s| s.digest);
                let there = store.head(&row.app, &prev.name)?.segment.map(|s| s.digest);
                match there {
                    Some(d) if Some(&d) != here.as_ref() => {
                        let env = ws.env(app, &row.env)?;
                        Some(gate::evaluate(ws, &store, now, app, prev, env, &d)?)
                    }
                    _ => None,
                }
            }
            None => None,
        };
        if !rejections.contains_key(&app.name) {
            let list = crate::api::reject::rejections_of(ws, &store, app, None)?;
            rejections.insert(app.name.clone(), list);
        }
        let order: Vec<&str> = app.environments.iter().map(|e| e.name.as_str()).collect();
        let rejection = row.digest.as_ref().and_then(|d| {
            let of_digest: Vec<_> = rejections[&app.name]
                .iter()
                .filter(|r| &r.digest == d)
                .cloned()
                .collect();
            crate::policy::rejected::covering(&of_digest, &order, &row.env)
                .pop()
                .cloned()
        });
        let approvals = match &candidate {
            Some(c) => waiting::waiting_approvals(&store, c, &unshared, &in_use)?,
            None => Vec::new(),
        };
        cells.push(OverviewCell {
            status: row.clone(),
            candidate,
            approvals,
            rejection,
        });
    }
    let last_sync = rows.iter().filter_map(|r| r.last_observed).max();
    let candidates: Vec<_> = cells
        .iter()
        .filter_map(|c| Some((c.candidate.as_ref()?, c.approvals.as_slice())))
        .collect();
    let conflicts = conflicts::of(&store, None, None)?;
    let waiting_for_you = waiting::waiting_for_you(ws, ctx, &candidates);
    Ok(Overview {
        cells,
        last_sync,
        waiting_for_you,
        at: None,
        conflicts,
    })
}
