//! The range of a report: `seq` ascending without gaps or repeats; each `prev_hash` is the
//! previous event's `hash` (stubs included); the stated ends (`range.first_seq`, `last_seq`,
//! `start_prev_hash`, `end_hash`) are the events' own; event 1 links to 64 zeros; and the last
//! event is no later than the database head stated at export time, and is that head when the
//! range ends there.

use serde_json::Value;

use super::events::Entry;
use super::{short, Checker, Problem};
use crate::store::chain::GENESIS;

impl Checker<'_> {
    /// Order, gaps, links, and the stated ends of the range.
    pub(super) fn check_range(
        &mut self,
        entries: &[Entry],
    ) -> (Option<i64>, Option<i64>, Option<String>) {
        // Order as written.
        for pair in entries.windows(2) {
            let (a, b) = (pair[0].seq(), pair[1].seq());
            if b == a {
                self.problem(Some(b), "appears twice");
            } else if b < a {
                self.problem(
                    Some(b),
                    format!("is out of order: it comes after event {a}"),
                );
            }
        }
        let mut sorted: Vec<&Entry> = entries.iter().collect();
        sorted.sort_by_key(|e| e.seq());
        sorted.dedup_by_key(|e| e.seq());
        // Gaps and links, in seq order.
        for pair in sorted.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if b.seq() > a.seq() + 1 {
                let missing = if b.seq() == a.seq() + 2 {
                    format!("event {} is missing", a.seq() + 1)
                } else {
                    format!("events {} to {} are missing", a.seq() + 1, b.seq() - 1)
                };
                self.problems.push(Problem::worded(
                    a.seq() + 1,
                    format!(
                        "{missing} (between events {} and {}): a report's range has no gaps, so it was removed from the file",
                        a.seq(),
                        b.seq()
                    ),
                ));
            } else if b.prev_hash() != a.hash() {
                self.problem(
                    Some(b.seq()),
                    format!(
                        "prev_hash does not link to the hash of event {}: the chain is broken here",
                        a.seq()
                    ),
                );
            }
        }
        let range = self.top.get("range").and_then(Value::as_object);
        let stated = |k: &str| range.and_then(|r| r.get(k)).cloned().unwrap_or(Value::Null);
        let (first, last) = (sorted.first(), sorted.last());
        let first_seq = first.map(|e| e.seq());
        let last_seq = last.map(|e| e.seq());
        let end_hash = last.map(|e| e.hash().to_string());
        if range.is_none() {
            self.problem(None, "the report has no \"range\"");
        } else {
            let checks = [
                ("first_seq", first_seq.map(Value::from)),
                ("last_seq", last_seq.map(Value::from)),
                ("start_prev_hash", first.map(|e| Value::from(e.prev_hash()))),
                ("end_hash", end_hash.clone().map(Value::from)),
            ];
            for (k, actual) in checks {
                let actual = actual.unwrap_or(Value::Null);
                if stated(k) != actual {
                    self.problem(
                        None,
                        format!(
                            "range.{k} is {} but the events give {}: the range was edited or events were added or removed at its ends",
                            short(&stated(k)),
                            short(&actual)
                        ),
                    );
                }
            }
        }
        if let Some(f) = first {
            if f.seq() == 1 && f.prev_hash() != GENESIS {
                self.problem(
                    Some(1),
                    "prev_hash of the first event of the history is not 64 zeros",
                );
            }
        }
        // The database head stated at export time.
        let db = self.top.get("database").and_then(Value::as_object);
        let head_seq = db.and_then(|d| d.get("head_seq")).and_then(Value::as_i64);
        let head_hash = db.and_then(|d| d.get("head_hash")).and_then(Value::as_str);
        match (last, head_seq, head_hash) {
            (Some(l), Some(hs), Some(hh)) => {
                if l.seq() > hs {
                    self.problem(
                        Some(l.seq()),
                        format!("is after the database head (event {hs}) stated in the report"),
                    );
                } else if l.seq() == hs && l.hash() != hh {
                    self.problem(
                        Some(l.seq()),
                        "ends the history but its hash is not the database head stated in the report",
                    );
                }
            }
            (_, None, _) | (_, _, None) => self.problem(
                None,
                "the report states no database head (database.head_seq, database.head_hash)",
            ),
            _ => {}
        }
        (first_seq, last_seq, end_hash)
    }
}
