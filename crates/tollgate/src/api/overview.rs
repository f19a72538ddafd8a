use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::api::gate::{self, PromotionCheck};
use crate::api::{open, status};
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
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Overview {
    pub cells: Vec<OverviewCell>,
    /// The newest observation of any tag: when sync last ran.
    #[ts(type = "string | null")]
    pub last_sync: Option<DateTime<Utc>>,
    /// The team conflicts of the history (every app and environment), detected and never
    /// resolved: the banner above the grid.
    pub conflicts: Vec<crate::report::conflicts::Conflict>,
}

/// Status of every app and environment plus what is waiting to be promoted where.
#[tracing::instrument(skip(ws, now), fields(workspace = %ws.config.workspace.name))]
pub fn overview(ws: &Workspace, now: DateTime<Utc>) -> Result<Overview> {
    let rows = status(ws, None)?;
    let store = open::store(ws)?;
    let mut cells = Vec::with_capacity(rows.len());
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
        cells.push(OverviewCell {
            status: row.clone(),
            candidate,
        });
    }
    let last_sync = rows.iter().filter_map(|r| r.last_observed).max();
    let conflicts = store.conflicts(None)?;
    Ok(Overview {
        cells,
        last_sync,
        conflicts,
    })
}
