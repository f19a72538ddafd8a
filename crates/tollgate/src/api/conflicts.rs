//! The team conflicts of the history, for the use cases that state them (status, overview,
//! verify, export): the store reads the events, the domain's rules decide.

use crate::domain::conflicts::{conflicts_of, Conflict};
use crate::signing::signed_move;
use crate::store::Store;
use crate::Result;

/// The conflicts of one app (or all) in the history up to event `upto` (all of it when
/// `None`).
pub(crate) fn of(store: &Store, app: Option<&str>, upto: Option<i64>) -> Result<Vec<Conflict>> {
    Ok(conflicts_of(
        &store.conflict_events(app, upto)?,
        &signed_move,
    ))
}
