//! Environments that live in a deployment repository (GitOps): a file in a git repository pins
//! the image by digest, and promotion is a commit that changes exactly that digest.
//!
//! - [`file`]: the pure rules of the deployment file: which values are the app's image
//!   references, what they pin, and the lossless edit that pins a new digest. No git, no I/O.
//! - [`repo`]: a bare repository on this machine, through `gix`: a file at a branch's tip, a
//!   signed commit that changes that one file, the branch moved only from the tip it was read
//!   at.
//! - [`remote`]: that bare repository as Tollgate's clone of a `[[git]]` url, locked while in
//!   use, fetched and pushed (fast-forward only) with the `git` executable, so users' SSH
//!   config, agents and credential helpers work as in their shell. The remote's branches are
//!   the clone's `refs/heads/*`.
//! - [`history`]: the deployment file's history in the bare clone: the commits of the branch's
//!   first-parent chain that changed the file, what it pinned at each, and which of them are
//!   deployments.

pub mod file;
pub mod history;
pub mod remote;
pub mod repo;

#[cfg(test)]
pub(crate) mod testgit;

pub use history::{
    contains, digest_changes, file_history, image_reader, Deployed, FileChange, FileHistory,
    FileState, Rewritten,
};
pub use remote::{GitOptions, PushOutcome, RemoteClone};
pub use repo::{commit_id, BareRepo, FileCommit, WrittenCommit};
