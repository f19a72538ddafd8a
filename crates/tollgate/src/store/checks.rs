//! Reading the attestations (`check` events) of an app's digests.

use rusqlite::params;

use super::events::{read_event, COLUMNS};
use super::messages::NOT_REPLAYED;
use super::Store;
use crate::domain::{Digest, Event};
use crate::Result;

impl Store {
    /// The `check` events of `app` (of `digest`, or of every digest), in `seq` order; a copy of
    /// a signed message already in the history (a replay) is left out: it counts once.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn check_events(&self, app: &str, digest: Option<&Digest>) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events
              WHERE kind = 'check' AND app = ?1 AND (?2 IS NULL OR digest = ?2) AND {NOT_REPLAYED}
              ORDER BY seq"
        ))?;
        let mut rows = stmt.query(params![app, digest.map(Digest::as_str)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read_event(r)?);
        }
        Ok(out)
    }
}
