//! The conflicts a report states, re-derived from its events. The seal proves who stated them,
//! not that they are right: a report exported with a conflict left out (or one made up) would
//! otherwise pass. When the report holds the whole history from event 1 with no stubs (a report
//! without filters), the team conflict rules (`domain::conflicts`) run on its events as they ran
//! on the exporting desktop over its history up to the report's head; the conflicts stated must
//! be exactly those.
//!
//! Conflicts involve a teammate's promotion or rollback (imported) or an `unplaced` move: a
//! report with none of them states none. Pure: no clock, no I/O.

use serde_json::Value;

use crate::domain::conflicts::{conflicts_of, team_move, Conflict};
use crate::domain::Event;
use crate::signing::signed_move;

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

/// The conflicts of the whole history `events`.
fn derive(events: &[&Event]) -> Result<Vec<Conflict>, String> {
    if events.iter().zip(1..).any(|(e, seq)| e.seq != seq) {
        return Err("its events are not numbered 1, 2, 3, … without a gap".into());
    }
    Ok(conflicts_of(events.iter().copied(), &signed_move))
}
