//! The promotion journal's failed entries: promotions and rollbacks that were started and did
//! not finish (recovery failed them, or their push failed). They are not events of the chain;
//! the PDF report lists them among its exceptions.

use super::journal::{read, COLUMNS};
use crate::store::{Promotion, Store};
use crate::Result;

impl Store {
    /// Every failed journal entry, oldest first.
    pub fn journal_failed(&self) -> Result<Vec<Promotion>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM promotions WHERE state = 'failed' ORDER BY id"
        ))?;
        let rows = stmt.query_map([], |r| Ok(read(r)))?;
        rows.map(|r| r?).collect()
    }
}
