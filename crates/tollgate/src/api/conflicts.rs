//! The team conflicts of the history, for the use cases that state them (status, overview,
//! verify, export): the store reads the events, the domain's rules decide.

use crate::domain::conflicts::{conflicts_of, landing_queries, Conflict};
use crate::signing::signed_move;
use crate::store::Store;
use crate::Result;

/// The conflicts of one app (or all) in the history up to event `upto` (all of it when
/// `None`): the events of the lanes with a teammate's move, then the observations that answer
/// the rules' landing queries about them.
pub(crate) fn of(store: &Store, app: Option<&str>, upto: Option<i64>) -> Result<Vec<Conflict>> {
    let mut events = store.conflict_events(app, upto)?;
    let queries = landing_queries(&events, &signed_move);
    events.extend(store.landing_observations(&queries, upto)?);
    Ok(conflicts_of(&events, &signed_move))
}
