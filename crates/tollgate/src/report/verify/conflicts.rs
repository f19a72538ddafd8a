//! The conflicts a report states, re-derived from its events. The seal proves who stated them,
//! not that they are right: a report exported with a conflict left out (or one made up) would
//! otherwise pass. When the report holds the whole history from event 1 with no stubs (a report
//! without filters), its events are appended in order to a scratch history database (a
//! temporary file, removed afterwards) and the team conflict rules run there as they ran on the
//! exporting desktop; the conflicts stated must be exactly those.
//!
//! Conflicts involve a teammate's promotion or rollback (imported) or an `unplaced` move: a
//! report with none of them states none, and nothing is replayed.

use serde_json::Value;

use crate::domain::{Event, EventKind};
use crate::report::conflicts::Conflict;
use crate::store::Store;

/// Whether conflicts can arise from `e` (see the module's rules).
fn team_move(e: &Event) -> bool {
    e.kind == EventKind::Unplaced
        || (matches!(e.kind, EventKind::Promotion | EventKind::Rollback)
            && e.data.get("imported").is_some_and(|v| !v.is_null()))
}

/// Why the conflicts `stated` (the report's `conflicts` value) are not those the whole history
/// `events` (seq 1, 2, 3, … with no gap) gives; `None` when they are.
pub fn check(events: &[&Event], stated: Option<&Value>) -> Option<String> {
    let stated: Vec<Conflict> = match stated.map(|v| serde_json::from_value(v.clone())) {
        None => Vec::new(),
        Some(Ok(c)) => c,
        Some(Err(e)) => return Some(format!("its `conflicts` do not read as conflicts: {e}")),
    };
    let derived = if events.iter().any(|e| team_move(e)) {
        match derive(events) {
            Ok(d) => d,
            Err(why) => {
                return Some(format!(
                    "its conflicts could not be re-derived from its events: {why}"
                ))
            }
        }
    } else {
        Vec::new()
    };
    if derived == stated {
        return None;
    }
    let names = |c: &[Conflict]| {
        if c.is_empty() {
            "none".to_string()
        } else {
            c.iter()
                .map(|c| {
                    format!(
                        "{} in {} {} (events {:?})",
                        c.kind.as_str(),
                        c.app,
                        c.env,
                        c.seqs()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    Some(format!(
        "it states the conflicts {}, but its events give {}: the conflicts were edited or left out at export",
        names(&stated),
        names(&derived)
    ))
}

/// The conflicts of `events`, appended in order to a scratch history.
fn derive(events: &[&Event]) -> Result<Vec<Conflict>, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("no scratch folder: {e}"))?;
    let mut store = Store::open(&dir.path().join("replay.db")).map_err(|e| e.message)?;
    let appended = store
        .append(events.iter().map(|e| e.to_new()).collect())
        .map_err(|e| e.message)?;
    if appended.iter().zip(events).any(|(a, e)| a.seq != e.seq) {
        return Err("its events are not numbered 1, 2, 3, … without a gap".into());
    }
    store.conflicts(None).map_err(|e| e.message)
}
