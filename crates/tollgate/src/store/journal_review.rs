//! The promotion journal's entries pushed for review (`push = "branch"`, state `review`): found
//! by the sync that reads the environment's branch, and recorded with the event it appends when
//! their commit reached the branch.

use rusqlite::{params, TransactionBehavior};

use super::journal::{read, stamp, COLUMNS};
use crate::domain::{Event, EventKind, NewEvent};
use crate::store::{Promotion, Store};
use crate::{Error, Result};

impl Store {
    /// The git entries of app × environment pushed for review (`review`, with their commit),
    /// oldest first: a sync records each when it sees its commit reach the branch.
    pub fn journal_in_review(&self, app: &str, env: &str) -> Result<Vec<Promotion>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM promotions WHERE app = ?1 AND to_env = ?2 AND state = 'review' AND git IS NOT NULL AND commit_id IS NOT NULL ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![app, env], |r| Ok(read(r)))?;
        rows.map(|r| r?).collect()
    }

    /// Append `events` and mark each entry of `landed` (in `review`) recorded by its promotion
    /// or rollback event among them (the one whose `data.journal` is its id), in one
    /// transaction. Refused, with nothing written, when such an entry is no longer in review
    /// (another sync recorded it meanwhile) or has no event among `events`.
    pub fn append_landing(&mut self, events: Vec<NewEvent>, landed: &[i64]) -> Result<Vec<Event>> {
        if landed.is_empty() {
            return self.append(events);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored = super::events::append(&tx, events)?;
        for id in landed {
            let event = stored
                .iter()
                .find(|e| {
                    matches!(e.kind, EventKind::Promotion | EventKind::Rollback)
                        && e.data.get("journal").and_then(serde_json::Value::as_i64) == Some(*id)
                })
                .ok_or_else(|| {
                    Error::internal(format!(
                        "promotion {id} landed, but no event of it was made"
                    ))
                })?;
            let n = tx.execute(
                "UPDATE promotions SET state = 'recorded', event_seq = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'review'",
                params![id, event.seq, stamp(event.appended_at())],
            )?;
            if n != 1 {
                return Err(Error::refused(format!(
                    "promotion {id} is no longer in review (another sync recorded it meanwhile); nothing was written"
                ))
                .with_hint(crate::Hint::Sync));
            }
        }
        tx.commit()?;
        Ok(stored)
    }
}
