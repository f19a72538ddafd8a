//! The checks added with report format version 2 (issue 17, "An exported report cannot hide an
//! event"), each in its own file so that [`super::check`] (a report) and `api::verify` (the
//! database) call them in one line each:
//!
//! - [`stubs`]: a report without filters has no stubs; a stub carries its formula 2 header,
//!   which must be outside the filters; a formula 1 event left out is included whole (a link).
//! - [`seal`]: the exporting identity's seal over the version, range, database head, filters,
//!   summary and policies; a report without one verifies only with `--allow-unsealed`.
//! - [`unapproved`]: the `unapproved` flags re-derived from the events and the sealed policies.
//! - [`unsigned`]: records, promotions and rollbacks without a signature after the first signed
//!   one (the signed era).
//! - [`conflicts`]: the conflicts a report without filters states, re-derived from its events
//!   by the team conflict rules (`domain::conflicts`).
//! - [`imported`]: an approval or verdict marked `imported` names a team artifact that this
//!   history imported as that very event.
//!
//! Pure rules: no clock, no I/O (the team artifacts are looked up by the caller's
//! closure).

pub mod conflicts;
pub mod imported;
pub mod seal;
pub mod stubs;
pub mod unapproved;
pub mod unsigned;
