//! Team sharing, as the use cases see it (docs/src/contracts/team-artifacts.md): every
//! authored event published to the registry, teammates' events pulled, verified and imported,
//! and what the desktop shows of it. The registry transport (artifacts, the fallback index,
//! discovery) is [`crate::team`]; the tables are [`crate::store`]'s `team` module.
//!
//! - `sync`: publish, pull, trust and import, and the team channel's problems (the team step of
//!   `sync`, and the one-digest pull before `approve`, `reject`, `promote` and `rollback`).
//! - `status`: `tollgate team status` and Settings → Team ([`team_status`]).
//! - `waiting`: the team part of the overview: the approvals on each waiting digest and the
//!   digests waiting for this machine's approver.

mod status;
pub(crate) mod sync;
pub(crate) mod waiting;

pub use status::{
    team_status, SkippedArtifact, TeamCheckpoint, TeamProblem, TeamPull, TeamRepository,
    TeamStatus, UnsharedEvent, UntrustedEvent,
};
pub use sync::{TeamShare, TeamSyncReport};
pub use waiting::{WaitingApproval, WaitingDigest, WaitingForYou};
