//! Test harness: temp workspaces and the `tollgate` binary (workspace.rs), real registries and
//! images (registry.rs), what team-sharing tests do on each desktop (team.rs), workspaces with approvers whose keys are in the OS keychain (signed.rs), the CI signers every
//! workspace lists (ci.rs), and the recipes the documentation shows (docs.rs).
#![allow(dead_code)]

pub mod ci;
pub mod docs;
pub mod registry;
pub mod signed;
pub mod team;
pub mod workspace;
