//! The history store: one SQLite file (WAL), numbered migrations, an append-only hash-chained
//! event log guarded by triggers, and the timeline/status queries built on it.
//!
//! OWNER: store helper. Public API below is what the use cases call; keep it stable.

use std::path::Path;

use crate::domain::{Digest, Event, ImageInfo, NewEvent, Segment};
use crate::Result;

/// Result of walking the chain.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ChainReport {
    /// Events checked.
    pub events: u64,
    /// Hash of the last event (the chain head); 64 zeros for an empty chain.
    pub head: String,
    /// `None` when every link holds; otherwise the first broken link.
    pub broken: Option<BrokenLink>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct BrokenLink {
    /// The `seq` of the first row that does not hold (or that is missing).
    pub seq: i64,
    /// What is wrong, in one line.
    pub reason: String,
}

/// The current state of one app × environment, for `status`.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub segment: Option<Segment>,
    pub drift: bool,
    pub last_observation: Option<Event>,
}

/// Which events to read (for exports and the UI); every field narrows.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub app: Option<String>,
    pub env: Option<String>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

pub struct Store {}

impl Store {
    /// Open (creating if needed) the database at `path`: WAL, busy timeout, pending migrations
    /// in one transaction; a database from a newer Tollgate is refused (`Code::SchemaTooNew`).
    pub fn open(_path: &Path) -> Result<Self> {
        todo!("store helper")
    }

    /// Append events in one transaction, chaining each to the previous; returns them as stored.
    pub fn append(&mut self, _events: Vec<NewEvent>) -> Result<Vec<Event>> {
        todo!("store helper")
    }

    /// The newest observation of this app × environment.
    pub fn last_observation(&self, _app: &str, _env: &str) -> Result<Option<Event>> {
        todo!("store helper")
    }

    /// Is there a record, promotion or rollback of `digest` into this app × environment with
    /// `seq > after_seq`? (What makes a moved tag *not* drift.)
    pub fn explained_since(&self, _app: &str, _env: &str, _digest: &Digest, _after_seq: i64) -> Result<bool> {
        todo!("store helper")
    }

    /// Segments of one app (one environment, or all), oldest first.
    pub fn timeline(&self, _app: &str, _env: Option<&str>) -> Result<Vec<Segment>> {
        todo!("store helper")
    }

    /// Current segment, drift flag and last observation of one app × environment.
    pub fn head(&self, _app: &str, _env: &str) -> Result<Head> {
        todo!("store helper")
    }

    /// Events in `seq` order, narrowed by `filter`.
    pub fn events(&self, _filter: &EventFilter) -> Result<Vec<Event>> {
        todo!("store helper")
    }

    /// Walk the whole chain and report the first broken link.
    pub fn verify_chain(&self) -> Result<ChainReport> {
        todo!("store helper")
    }

    /// Cached registry metadata of a digest.
    pub fn image_info(&self, _digest: &Digest) -> Result<Option<ImageInfo>> {
        todo!("store helper")
    }

    pub fn put_image_info(&mut self, _info: &ImageInfo) -> Result<()> {
        todo!("store helper")
    }
}
