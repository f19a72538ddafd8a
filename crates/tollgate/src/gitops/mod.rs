//! Deployment repositories (GitOps): git repositories whose files pin images by digest.
//!
//! - [`repo`]: a bare repository on this machine, through `gix`: a file at a branch's tip, a
//!   signed commit that changes that one file, the branch moved only from the tip it was read
//!   at. Cloning, fetching and pushing run the `git` executable (later parts), so users' SSH
//!   config, agents and credential helpers work as in their shell.

pub mod repo;

pub use repo::{BareRepo, FileCommit, WrittenCommit};
