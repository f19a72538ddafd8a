//! Test harness: temp workspaces and the `tollgate` binary (workspace.rs), real registries and
//! images (registry.rs).
#![allow(dead_code)]

pub mod registry;
pub mod workspace;
