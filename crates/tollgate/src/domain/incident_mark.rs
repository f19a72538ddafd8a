//! An incident as the status and timeline rows show it (`status --json`, `timeline --json`:
//! `incidents`), read from the signed `incident` and `incident_close` events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One incident on a row's digest in its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct IncidentMark {
    /// The team's incident id (`INC-42`).
    pub id: String,
    pub summary: String,
    /// Who opened it (an approver or `[[signers]]` id).
    pub by: String,
    /// When the history appended the open.
    #[ts(type = "string")]
    pub opened_at: DateTime<Utc>,
    /// When the history appended its close; `null` while it is open.
    #[ts(type = "string | null")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The close's resolution; `null` while it is open.
    pub resolution: Option<String>,
}
