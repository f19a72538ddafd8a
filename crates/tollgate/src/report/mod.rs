//! Audit reports: the history of a period (and of some apps or environments), exported for
//! people (PDF), spreadsheets (CSV) and tools (JSON), and the offline check of a JSON report.
//!
//! - [`select`]: which events a report holds. The events that match the filters, the approvals
//!   their promotions counted, and *link stubs* (`seq`, `prev_hash`, `hash`) for every other event
//!   in between, so that the range of the chain a report covers has no gaps.
//! - [`json`]: the self-contained JSON report (layout: `docs/src/audit/format.md`).
//! - [`csv`]: one row per event, stable columns ([`csv::COLUMNS`]).
//! - [`exceptions`]: what an auditor asks about first (drift, unapproved records, emergency
//!   rollbacks, failed promotions, rejections, conflicts), open or closed; the JSON report's
//!   `exceptions` and the PDF's first page.
//! - [`pdf`]: the report for people: page one with the exceptions, a summary per app, and every promotion,
//!   rollback and drift with its digest, approvers and the policy checklist of the time.
//! - [`signatures`]: the approvals', rejections' and unrejections' signatures of a report being
//!   written, checked against the `allowed_signers` it carries.
//! - [`seal`]: the exporting identity's signature over what no event hash covers (version 2).
//! - [`verify`]: `tollgate verify FILE`, checking a JSON report with nothing but the file, one
//!   file per check.
//! - [`crosscheck`]: what chained events must say of each other (anchors, consumed approvals),
//!   for both `tollgate verify` and `tollgate verify FILE`.
//! - [`output`]: writing a report atomically (temporary file in the same folder, then rename).
//!
//! Domain code: no clock (the generation time is passed in), no configuration file reading.

pub mod crosscheck;
pub mod csv;
pub mod emergency;
pub mod evidence;
pub mod exceptions;
pub mod json;
pub mod output;
pub mod pdf;
pub mod seal;
mod select;
pub mod signatures;
pub mod verify;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::{Event, EventKind};
use crate::store::{BrokenLink, EventFilter};

pub use select::{select, Item, Selection};

/// `format` of every JSON report.
pub const FORMAT: &str = "tollgate.audit-report";
/// `version` of the JSON report layout this build writes (it reads 1 and 2): 2 adds formula 2
/// hashes, stubs that carry their header, formula 1 events included whole as links, the
/// export-time `policies` and the `seal`.
pub const VERSION: u32 = 2;

/// The three kinds of report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ExportFormat {
    Pdf,
    Csv,
    Json,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Pdf => "pdf",
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// Which events a report is about; every field narrows. `since` is inclusive, `until` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Filters {
    pub app: Option<String>,
    pub env: Option<String>,
    #[ts(type = "string | null")]
    pub since: Option<DateTime<Utc>>,
    #[ts(type = "string | null")]
    pub until: Option<DateTime<Utc>>,
}

impl Filters {
    pub fn event_filter(&self) -> EventFilter {
        EventFilter {
            app: self.app.clone(),
            env: self.env.clone(),
            since: self.since,
            until: self.until,
        }
    }

    /// Whether an event with these fields is selected by the filters (the same rule as the
    /// store's query: times compare at whole milliseconds, `since` inclusive, `until` exclusive).
    pub fn matches(&self, app: &str, env: &str, at: DateTime<Utc>) -> bool {
        self.app.as_deref().is_none_or(|a| a == app)
            && self.env.as_deref().is_none_or(|e| e == env)
            && self.since.is_none_or(|s| at >= ceil_ms(s))
            && self.until.is_none_or(|u| at < ceil_ms(u))
    }

    /// One line for people: `app api, env production, from … until …`, or `none`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = &self.app {
            parts.push(format!("app {a}"));
        }
        if let Some(e) = &self.env {
            parts.push(format!("environment {e}"));
        }
        if let Some(s) = self.since {
            parts.push(format!("since {}", rfc3339(s)));
        }
        if let Some(u) = self.until {
            parts.push(format!("until {} (exclusive)", rfc3339(u)));
        }
        if parts.is_empty() {
            "none (the whole history)".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Round up to a whole millisecond (stored times have milliseconds).
fn ceil_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    let sub = t.timestamp_subsec_nanos() % 1_000_000;
    if sub == 0 {
        t
    } else {
        t + chrono::Duration::nanoseconds(i64::from(1_000_000 - sub))
    }
}

/// RFC 3339 in UTC with milliseconds, the form times are stored and hashed in.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What every report states about where it came from.
#[derive(Debug, Clone)]
pub struct Meta {
    pub workspace: String,
    pub generated_at: DateTime<Utc>,
    pub filters: Filters,
    /// The database's own chain check, made just before the export.
    pub database: DatabaseCheck,
    /// `allowed_signers` text for the workspace's approvers (ssh-keygen format).
    pub allowed_signers: String,
    /// For a workspace with deployment repositories (`[[git]]`): `allowed_signers` text for
    /// every identity (approvers and `[[signers]]`) in namespace `git`, the file
    /// `git verify-commit` and `ssh-keygen -Y verify -n git` check the commits with.
    pub allowed_signers_git: Option<String>,
    /// For a workspace with `[[signers]]` (bots that sign records, incidents, attestations):
    /// their `allowed_signers` lines in namespace `tollgate-approval`. With `allowed_signers`
    /// (the approvers) they check every authored event's signature; they never count for an
    /// approval.
    pub allowed_signers_signers: Option<String>,
    /// The policies of tollgate.toml at export time: `{app: {env: policy or null}}`.
    pub policies: serde_json::Value,
}

/// The result of walking the database's chain at export time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DatabaseCheck {
    /// Events in the database.
    #[ts(type = "number")]
    pub events: u64,
    /// `seq` of the newest event (the chain head).
    #[ts(type = "number")]
    pub head_seq: i64,
    /// Hash of the newest event; 64 zeros for an empty history.
    pub head_hash: String,
    /// `true` when every link of the database's chain held.
    pub intact: bool,
    /// The first broken link, when not intact.
    pub broken: Option<BrokenCheck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BrokenCheck {
    #[ts(type = "number")]
    pub seq: i64,
    pub reason: String,
}

impl From<&BrokenLink> for BrokenCheck {
    fn from(b: &BrokenLink) -> Self {
        BrokenCheck {
            seq: b.seq,
            reason: b.reason.clone(),
        }
    }
}

/// One approval as reports show it next to the promotions that counted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalInfo {
    pub seq: i64,
    pub approver: String,
    pub role: String,
    /// `SHA256:…` of the key that signed, as recorded.
    pub fingerprint: String,
    pub at: DateTime<Utc>,
    /// The approver's note (`""` when none).
    pub note: String,
}

impl ApprovalInfo {
    /// Read an approval event's details.
    pub fn of(event: &Event) -> Option<Self> {
        if event.kind != EventKind::Approval {
            return None;
        }
        let s = |k: &str| event.data_str(k).unwrap_or("");
        Some(ApprovalInfo {
            seq: event.seq,
            approver: event.actor.clone().unwrap_or_default(),
            role: s("role").to_string(),
            fingerprint: s("fingerprint").to_string(),
            at: event.at,
            note: s("note").to_string(),
        })
    }

    /// `alice@example.com (manager, SHA256:…)`
    pub fn describe(&self) -> String {
        format!("{} ({}, {})", self.approver, self.role, self.fingerprint)
    }
}

/// Per-app counts: what the summary of every report shows, and what `verify` recomputes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Summary {
    /// Full events in the report (matching the filters, or counted by a promotion in it).
    #[ts(type = "number")]
    pub events: u64,
    /// Link stubs: events in the range that the report does not include.
    #[ts(type = "number")]
    pub stubs: u64,
    pub apps: Vec<AppSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AppSummary {
    pub app: String,
    #[ts(type = "number")]
    pub promotions: u64,
    #[ts(type = "number")]
    pub rollbacks: u64,
    /// Of the rollbacks, the emergency ones (`data.emergency`: fewer approvals under the
    /// policy's `rollback = { approvals = N }`, with a reason).
    #[ts(type = "number")]
    #[serde(default)]
    pub emergency_rollbacks: u64,
    #[ts(type = "number")]
    pub drift: u64,
    #[ts(type = "number")]
    pub approvals: u64,
    #[ts(type = "number")]
    pub records: u64,
    #[ts(type = "number")]
    pub observations: u64,
    /// Everyone whose approval of this app is in the report, by id.
    pub approvers: Vec<ApproverSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ApproverSummary {
    pub id: String,
    /// The roles they approved in, sorted.
    pub roles: Vec<String>,
    #[ts(type = "number")]
    pub approvals: u64,
}

/// What the CSV and PDF writers keep from the items they are given, in order: the summary so
/// far and every approval met so far, by `seq`.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub approvals: HashMap<i64, ApprovalInfo>,
    pub summary: SummaryBuilder,
}

impl Tally {
    /// Count `item`. An event comes back with its `in_filter` and `unapproved` flags; a stub is
    /// counted and gives `None`.
    pub fn take<'a>(&mut self, item: &'a Item) -> Option<(&'a Event, bool, bool)> {
        let (event, in_filter, unapproved) = match item {
            Item::Event {
                event,
                in_filter,
                unapproved,
            } => (event, *in_filter, *unapproved),
            Item::Stub { .. } | Item::Link { .. } => {
                self.summary.stub();
                return None;
            }
        };
        self.summary.event(event);
        if let Some(info) = ApprovalInfo::of(event) {
            self.approvals.insert(event.seq, info);
        }
        Some((event, in_filter, unapproved))
    }
}

/// Builds a [`Summary`] from the items of a report, in order.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    events: u64,
    stubs: u64,
    apps: BTreeMap<String, (AppSummary, BTreeMap<String, ApproverSummary>)>,
}

impl SummaryBuilder {
    pub fn stub(&mut self) {
        self.stubs += 1;
    }

    pub fn event(&mut self, event: &Event) {
        self.events += 1;
        let (app, approvers) = self.apps.entry(event.app.clone()).or_default();
        match event.kind {
            EventKind::Promotion => app.promotions += 1,
            EventKind::Rollback => {
                app.rollbacks += 1;
                if crate::domain::timeline::emergency_reason(&event.data).is_some() {
                    app.emergency_rollbacks += 1;
                }
            }
            EventKind::Drift => app.drift += 1,
            EventKind::Record => app.records += 1,
            EventKind::Observation => app.observations += 1,
            // Listed in the PDF's "Rejected digests" (an unplaced move: in its conflicts); not
            // counted in the summary, whose fields are the report format's.
            // Incidents: listed in the PDF's "Incidents" section.
            EventKind::Rejection
            | EventKind::Unrejection
            | EventKind::Unplaced
            | EventKind::Incident
            | EventKind::IncidentClose
            | EventKind::Check => {}
            EventKind::Approval => {
                app.approvals += 1;
                if let Some(info) = ApprovalInfo::of(event) {
                    let a = approvers.entry(info.approver.clone()).or_default();
                    a.id = info.approver;
                    a.approvals += 1;
                    if !a.roles.contains(&info.role) {
                        a.roles.push(info.role);
                        a.roles.sort();
                    }
                }
            }
        }
    }

    pub fn finish(self) -> Summary {
        Summary {
            events: self.events,
            stubs: self.stubs,
            apps: self
                .apps
                .into_iter()
                .map(|(name, (mut app, approvers))| {
                    app.app = name;
                    app.approvers = approvers.into_values().collect();
                    app
                })
                .collect(),
        }
    }
}
