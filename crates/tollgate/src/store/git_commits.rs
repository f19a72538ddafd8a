//! Queries for environments in a deployment repository: the events that name a commit.

use rusqlite::{params, OptionalExtension};

use super::events::event_by_seq;
use super::Store;
use crate::domain::Event;
use crate::Result;

impl Store {
    /// The promotion or rollback of this app × environment whose `data.commit` is `commit`:
    /// Tollgate's own commit, which a sync then finds on the branch (already explained).
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn move_of_commit(&self, app: &str, env: &str, commit: &str) -> Result<Option<Event>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq FROM events WHERE app = ?1 AND env = ?2 AND kind IN ('promotion', 'rollback')
               AND json_extract(data, '$.commit') = ?3 ORDER BY seq DESC LIMIT 1",
        )?;
        let seq: Option<i64> = stmt
            .query_row(params![app, env, commit], |r| r.get(0))
            .optional()?;
        seq.map(|s| event_by_seq(&self.conn, s)).transpose()
    }

    /// The newest drift event of this app × environment.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn last_drift(&self, app: &str, env: &str) -> Result<Option<Event>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT max(seq) FROM events WHERE app = ?1 AND env = ?2 AND kind = 'drift'",
        )?;
        let seq: Option<i64> = stmt.query_row(params![app, env], |r| r.get(0))?;
        seq.map(|s| event_by_seq(&self.conn, s)).transpose()
    }
}
