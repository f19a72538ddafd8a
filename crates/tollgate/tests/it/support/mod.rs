//! Test harness: temp workspaces and the `tollgate` binary (workspace.rs), real registries and
//! images (registry.rs), workspaces with approvers whose keys are in the OS keychain (signed.rs), and the CI signers every
//! workspace lists (ci.rs).
#![allow(dead_code)]

pub mod ci;
pub mod registry;
pub mod signed;
pub mod workspace;
