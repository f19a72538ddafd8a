//! Reading the incident opens and closes of an app's digests.

use rusqlite::params;

use super::events::{read_event, COLUMNS};
use super::Store;
use crate::domain::{Digest, Event};
use crate::Result;

impl Store {
    /// The `incident` and `incident_close` events of `app`, of `digest` or of every digest, in
    /// `seq` order (one lookup on the partial index of migration 0015).
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn incident_events(&self, app: &str, digest: Option<&Digest>) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events
              WHERE app = ?1 AND kind IN ('incident', 'incident_close')
                AND (?2 IS NULL OR digest = ?2)
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
