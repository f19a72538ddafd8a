//! The team-sharing tables, none of them part of the hash chain: what this desktop knows of
//! the history it shares through the registry.
//!
//! - `artifacts`: the event artifacts this desktop knows (published or pulled) and the
//!   referrers index digest it read last per subject.
//! - `status`: what the team step of a sync leaves for `team status`: the last pull, why
//!   unshared events are not shared yet, the untrusted artifacts seen, the team channel's
//!   problems.
//! - `skipped`: the artifacts a pull skipped, remembered until tollgate.toml's identities change.

mod artifacts;
mod skipped;
mod status;

pub use artifacts::TeamArtifact;
pub use skipped::SkippedRow;
pub use status::{ProblemRow, TeamPullRow, UntrustedRow};
