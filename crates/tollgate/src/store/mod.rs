//! The history store: one SQLite file (WAL), numbered migrations, an append-only hash-chained
//! event log guarded by triggers, and the timeline/status queries built on it.
//!
//! OWNER: store helper. Public API below is what the use cases call; keep it stable.
//!
//! - [`migrations`]: numbered `.sql` files, `PRAGMA user_version`, one transaction.
//! - [`chain`]: the hash formula ([`chain::event_hash`]) and the chain walk behind
//!   [`Store::verify_chain`].
//! - `timeline`: the segment and drift rules (`domain::timeline`), kept incrementally in the
//!   `segments` and `heads` tables in the same transaction as each append, and their queries.
//! - `journal`: the promotion journal (its entries, their owners, the newest entry of a tag).
//! - `events`: appending and reading rows; `images`: the image metadata cache.
//! - `point_in_time`: the segment that covers a moment (`status --at`), by two index seeks.
//! - `team`: the team-sharing tables: the artifacts shared through the registry and the
//!   referrers index digests seen (`team::artifacts`), what `team status` shows (the last pull,
//!   why unshared events are not shared, untrusted artifacts, channel problems:
//!   `team::status`), the skipped artifacts remembered (`team::skipped`).
//! - `checkpoints`: the last signed checkpoint this desktop published per team repository.
//! - `conflicts`: the events the team-conflict rules (`domain::conflicts`) decide on.
//! - `messages`: signed statements by the sha256 of their message bytes, and which events
//!   replay an earlier one (`domain::statement`).

pub mod chain;
mod checkpoints;
mod checks;
mod conflicts;
mod events;
mod git_commits;
mod images;
mod incidents;
mod journal;
mod journal_failed;
mod journal_review;
mod messages;
pub mod migrations;
mod point_in_time;
mod rejections;
mod team;
mod timeline;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use crate::domain::{Digest, Event, ImageInfo, NewEvent, Segment};
use crate::{Error, Result};

pub use chain::event_hash;
pub use checkpoints::{CheckpointRow, PublishedRow};
pub use journal::{
    busy as journal_busy, GitPlace, JournalOutcome, JournalOwner, JournalState, NewPromotion,
    Promotion, TagPromotion,
};
pub use messages::HeldStatement;
pub use point_in_time::StayAt;
pub use team::{ProblemRow, SkippedRow, TeamArtifact, TeamPullRow, UntrustedRow};

/// Result of walking the chain.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ChainReport {
    /// Events checked.
    #[ts(type = "number")]
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
    #[ts(type = "number")]
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
    /// What the history says the tag points to now: the current
    /// segment's digest, or `None` when there is none or the newest change is a drift to a
    /// missing tag. `sync` compares the registry with this.
    pub expected: Option<Digest>,
}

/// Which events to read (for exports and the UI); every field narrows.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub app: Option<String>,
    pub env: Option<String>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// An open history database. Reads take `&self`, writes `&mut self`; the connection is not
/// shared between threads (wrap the store in a mutex, or open one per thread: SQLite in WAL
/// mode lets readers and one writer work at the same time, across processes too).
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Page cache of every connection opened from now on, in KiB.
static CACHE_KIB: AtomicI64 = AtomicI64::new(32_000);

/// Set the page cache of every store this process opens from now on, in KiB (default 32,000;
/// SQLite's own default is 2,000). The CLI keeps the default; the desktop app, which stays open
/// with the history idle, takes less.
pub fn set_cache_kib(kib: u32) {
    CACHE_KIB.store(i64::from(kib.max(1)), Ordering::Relaxed);
}

impl Store {
    /// Open (creating if needed) the database at `path`: WAL, busy timeout, pending migrations
    /// in one transaction; a database from a newer Tollgate is refused (`Code::SchemaTooNew`).
    #[tracing::instrument(level = "debug", fields(path = %path.display()))]
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                Error::database(format!(
                    "cannot create the folder {} for the history database: {e}; choose another place ([workspace] database in tollgate.toml)",
                    parent.display()
                ))
            })?;
        }
        let opening = |e: rusqlite::Error| open_error(path, e);
        let mut conn = Connection::open(path).map_err(opening)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(opening)?;
        // The first read of the file: this is where "not a database" shows up.
        let version = migrations::schema_version(&conn).map_err(opening)?;
        migrations::check_not_newer(path, version)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(opening)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode, "the history database could not switch to WAL");
        }
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(opening)?;
        // 32 MB of page cache by default (SQLite's is 2 MB): index pages of a large history
        // stay in memory. A long-running process may choose less: `set_cache_kib`.
        conn.pragma_update(None, "cache_size", -CACHE_KIB.load(Ordering::Relaxed))
            .map_err(opening)?;
        migrations::migrate(&mut conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append events in one transaction, chaining each to the previous; returns them as stored
    /// (times truncated to milliseconds, `seq`, `prev_hash` and `hash` filled in).
    #[tracing::instrument(level = "debug", skip_all, fields(events = events.len()))]
    pub fn append(&mut self, events: Vec<NewEvent>) -> Result<Vec<Event>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored = events::append(&tx, events)?;
        tx.commit()?;
        tracing::debug!(last_seq = stored.last().map(|e| e.seq), "appended");
        Ok(stored)
    }

    /// `seq` and `hash` of the last event: the chain head (`0` and 64 zeros when empty).
    pub fn chain_head(&self) -> Result<(i64, String)> {
        events::chain_head(&self.conn)
    }

    /// When the history appended the approval `e`, as the chain shows it: its `at`, or the
    /// latest append time of an event before it when that is later (an approval cannot have
    /// been appended before what precedes it; a `record`'s own `at` may be a claimed time and
    /// does not count). What a previous key's `until` is compared with.
    pub fn approval_appended_at(&self, e: &Event) -> Result<DateTime<Utc>> {
        let latest: Option<String> = self.conn.query_row(
            "SELECT max(at) FROM events WHERE seq < ?1 AND kind != 'record'",
            [e.seq],
            |r| r.get(0),
        )?;
        let latest = latest
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc));
        Ok(latest.map_or(e.at, |l| l.max(e.at)))
    }

    /// `(journal id, event seq)` of each promotion the journal marks recorded whose history
    /// event the chain does not have (no event at that seq, or not that entry's promotion or
    /// rollback). The journal is not chained: this is a witness of removed events only as long
    /// as whoever removed them left the journal alone.
    pub fn recorded_promotions_not_in_chain(&self) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT p.id, p.event_seq FROM promotions p LEFT JOIN events e ON e.seq = p.event_seq
             WHERE p.state = 'recorded' AND (e.seq IS NULL OR e.kind NOT IN ('promotion', 'rollback')
                 OR json_extract(e.data, '$.journal') IS NOT p.id)
             ORDER BY p.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The hash of the event at `seq`; `None` when there is no such event.
    pub fn hash_at(&self, seq: i64) -> Result<Option<String>> {
        events::hash_at(&self.conn, seq)
    }

    /// The distinct digests of `app` in the history whose hex starts with `hex_prefix` (lower-case
    /// hex digits only), at most `limit`, in hex order.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn digests_starting_with(
        &self,
        app: &str,
        hex_prefix: &str,
        limit: usize,
    ) -> Result<Vec<Digest>> {
        events::digests_starting_with(&self.conn, app, hex_prefix, limit)
    }

    /// The newest observation of this app × environment.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn last_observation(&self, app: &str, env: &str) -> Result<Option<Event>> {
        timeline::last_observation(&self.conn, app, env)
    }

    /// Is there a record, promotion or rollback of `digest` into this app × environment with
    /// `seq > after_seq`? The same question as [`last_vouch`](Self::last_vouch), answered yes or no.
    #[tracing::instrument(level = "debug", skip(self), fields(digest = %digest))]
    pub fn explained_since(
        &self,
        app: &str,
        env: &str,
        digest: &Digest,
        after_seq: i64,
    ) -> Result<bool> {
        Ok(events::last_vouch(&self.conn, app, env, digest, after_seq, None)?.is_some())
    }

    /// Segments of one app (one environment, or all), oldest first. The rules are in
    /// [`crate::domain::timeline`].
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn timeline(&self, app: &str, env: Option<&str>) -> Result<Vec<Segment>> {
        timeline::timeline(&self.conn, app, env)
    }

    /// Whether `digest` ever began a segment in `app` × `env` (it ran there before, or runs
    /// there now), without reading the lane's timeline.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn ran_in(&self, app: &str, env: &str, digest: &Digest) -> Result<bool> {
        timeline::ran_in(&self.conn, app, env, digest)
    }

    /// The digest of the segment before the one that begins at event `seq` in `app` × `env`
    /// (what ran there before, e.g. before a drift); `None` for the first. One indexed lookup.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn digest_before(&self, app: &str, env: &str, seq: i64) -> Result<Option<Digest>> {
        timeline::digest_before(&self.conn, app, env, seq)
    }

    /// Current segment, drift flag and last observation of one app × environment.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn head(&self, app: &str, env: &str) -> Result<Head> {
        timeline::head(&self.conn, app, env)
    }

    /// What this app × environment ran at `at` and how it got there: the newest segment that
    /// began at or before `at` (the rule is in `point_in_time`), as of that moment; `None` when none had
    /// begun. `gated`: the environment has a policy (for [`Segment::unapproved`]).
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn stay_at(
        &self,
        app: &str,
        env: &str,
        at: DateTime<Utc>,
        gated: bool,
    ) -> Result<Option<StayAt>> {
        point_in_time::stay_at(&self.conn, app, env, at, gated)
    }

    /// The time of the earliest event in the history; `None` when it has none.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn first_event_at(&self) -> Result<Option<DateTime<Utc>>> {
        point_in_time::first_event_at(&self.conn)
    }

    /// Fill in [`Segment::unapproved`] for the segments of environments where `gated(app, env)`
    /// (those with a policy). `segments` must be whole timelines of their app × environments,
    /// oldest first, as [`timeline`](Self::timeline) returns them (a lone current segment too).
    #[tracing::instrument(level = "debug", skip_all, fields(segments = segments.len()))]
    pub fn flag_unapproved(
        &self,
        segments: &mut [Segment],
        gated: &dyn Fn(&str, &str) -> bool,
    ) -> Result<()> {
        timeline::flag_unapproved(&self.conn, segments, gated)
    }

    /// Was this `record` event an unapproved deployment when it was appended: no promotion or
    /// rollback into its app × environment since the segment it belongs to began? (The caller
    /// checks that the environment has a policy.) `false` for any other kind.
    #[tracing::instrument(level = "debug", skip_all, fields(seq = event.seq))]
    pub fn record_unapproved(&self, event: &Event) -> Result<bool> {
        timeline::record_unapproved(&self.conn, event)
    }

    /// The newest promotion journal entry for this app × environment and `repository:tag`
    /// (read only): a tag that moved to its digest is that promotion still running (open) or its
    /// PUT landing after the entry was failed.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn newest_promotion(
        &self,
        app: &str,
        env: &str,
        repository: &str,
        tag: &str,
    ) -> Result<Option<TagPromotion>> {
        journal::newest_promotion(&self.conn, app, env, repository, tag)
    }

    /// The event with this `seq` (a database error when there is none).
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn event(&self, seq: i64) -> Result<Event> {
        events::event_by_seq(&self.conn, seq)
    }

    /// The newest record, promotion or rollback of `digest` into this app × environment after
    /// event `after` (and before event `before`, when given): who vouched for the stay that
    /// event `after` began.
    #[tracing::instrument(level = "debug", skip(self), fields(digest = %digest))]
    pub fn last_vouch(
        &self,
        app: &str,
        env: &str,
        digest: &Digest,
        after: i64,
        before: Option<i64>,
    ) -> Result<Option<Event>> {
        events::last_vouch(&self.conn, app, env, digest, after, before)
    }

    /// Events in `seq` order, narrowed by `filter`. For large exports use
    /// [`for_each_event`](Self::for_each_event), which does not hold them all in memory.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        events::for_each(&self.conn, filter, |e| {
            out.push(e);
            Ok(())
        })?;
        Ok(out)
    }

    /// Call `f` with each event that matches `filter`, in `seq` order, reading them one at a
    /// time; an error from `f` stops the walk and is returned.
    #[tracing::instrument(level = "debug", skip(self, f))]
    pub fn for_each_event(
        &self,
        filter: &EventFilter,
        f: impl FnMut(Event) -> Result<()>,
    ) -> Result<()> {
        events::for_each(&self.conn, filter, f)
    }

    /// Walk the whole chain and report the first broken link: a missing `seq` (deleted row), a
    /// `prev_hash` that does not link to the previous row (reordered or replaced rows), or
    /// content that no longer produces its hash (an edited row). Also reported: missing
    /// append-only triggers (with `seq` 0 when the chain itself holds), and `segments`/`heads`
    /// tables that disagree with the events. Only the events are trusted.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn verify_chain(&self) -> Result<ChainReport> {
        // One read transaction: the walk and the checks after it see the same snapshot, even
        // while another process appends.
        let tx = self.conn.unchecked_transaction()?;
        let report = chain::verify(&tx)?;
        tx.commit()?;
        Ok(report)
    }

    /// Recompute the derived timeline tables (`segments`, `heads`) from the events, in one
    /// transaction: the repair when [`verify_chain`](Self::verify_chain) finds them altered.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn rebuild_timeline(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        timeline::rebuild(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Cached registry metadata of a digest.
    #[tracing::instrument(level = "debug", skip(self), fields(digest = %digest))]
    pub fn image_info(&self, digest: &Digest) -> Result<Option<ImageInfo>> {
        images::get(&self.conn, digest)
    }

    /// Cache registry metadata of a digest (replacing what was cached).
    #[tracing::instrument(level = "debug", skip_all, fields(digest = %info.digest))]
    pub fn put_image_info(&mut self, info: &ImageInfo) -> Result<()> {
        images::put(&self.conn, info)
    }

    /// Cache the metadata of many digests in one transaction.
    #[tracing::instrument(level = "debug", skip_all, fields(images = infos.len()))]
    pub fn put_image_infos(&mut self, infos: &[ImageInfo]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for info in infos {
            images::put(&tx, info)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// One line for a database that cannot be opened.
fn open_error(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Error::database(format!(
            "{} is not a Tollgate history database (not an SQLite file): point [workspace] database at the right file, or move this one away",
            path.display()
        )),
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Error::database(format!(
            "history database {} is locked by another process: wait for it to finish and try again",
            path.display()
        )),
        _ => Error::database(format!("cannot open the history database {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    #[test]
    fn stores_opened_after_set_cache_kib_use_that_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let size = |s: &Store| {
            s.conn
                .query_row("PRAGMA cache_size", [], |r| r.get::<_, i64>(0))
                .unwrap()
        };
        let before = Store::open(&dir.path().join("a.db")).unwrap();
        assert_eq!(size(&before), -32_000);
        set_cache_kib(2_000);
        let after = Store::open(&dir.path().join("b.db")).unwrap();
        set_cache_kib(32_000);
        assert_eq!(size(&after), -2_000);
        assert_eq!(size(&before), -32_000, "open stores keep theirs");
    }
}
