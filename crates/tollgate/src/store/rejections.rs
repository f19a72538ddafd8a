//! Reading the rejections and unrejections of an app's digests.

use rusqlite::params;

use super::events::{read_event, COLUMNS};
use super::Store;
use crate::domain::{Digest, Event};
use crate::Result;

impl Store {
    /// The rejection and unrejection events of `app` whose scope is one of `scopes` (environment
    /// names; `""` for every environment), of `digest` or of every digest, in `seq` order. Each
    /// scope is one lookup on the (app, env, kind) index, so this stays cheap on a long history.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn rejection_events(
        &self,
        app: &str,
        scopes: &[&str],
        digest: Option<&Digest>,
    ) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events
              WHERE app = ?1 AND env = ?2 AND kind IN ('rejection', 'unrejection')
                AND (?3 IS NULL OR digest = ?3)
              ORDER BY seq"
        ))?;
        let mut out = Vec::new();
        for scope in scopes {
            let mut rows = stmt.query(params![app, scope, digest.map(Digest::as_str)])?;
            while let Some(r) = rows.next()? {
                out.push(read_event(r)?);
            }
        }
        out.sort_by_key(|e| e.seq);
        out.dedup_by_key(|e| e.seq);
        Ok(out)
    }
}
