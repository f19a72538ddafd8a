//! What the tests of every Tollgate crate share: the CLI's integration tests
//! (crates/tollgate-cli/tests/it), the core's benchmarks (crates/tollgate/benches) and the
//! end-to-end crate (tests/e2e) run against the same real tools through these helpers.
//!
//! - [`registry`]: a real `docker-registry` on 127.0.0.1 (anonymous, htpasswd or token auth),
//!   with the token service in [`token`].
//! - [`images`]: small distinct OCI images built with `umoci`.
//! - [`skopeo`]: skopeo as the independent cross-check (push, digest, raw, retag, pull).
//! - [`proxy`]: a fault-injecting, paging HTTP proxy in front of a registry ([`http`]: the bit
//!   of HTTP/1.1 it and the token service speak).
//! - [`keys`]: the CI signers' keys in the OS keychain, throwaway `ssh-keygen` keys.
//! - [`workspace`]: temp workspaces and runs of the real `tollgate` binary ([`bin`] finds it).
//! - [`signed`]: a workspace with approvers whose keys are in the OS keychain, and the library
//!   calls of a release on it; [`team`]: what team-sharing tests do on each desktop.
//! - [`docs`]: the recipes the documentation shows, read from the repository's files.
//! - [`process`]: running a tool, panicking with its output when it fails.
//! - [`sshd`]: a real `ssh://` git remote: OpenSSH's sshd on 127.0.0.1 and an ssh-agent
//!   holding the only key it accepts.
//! - [`snapshot`]: output with its run-specific parts (digests, times, ports, temp folders)
//!   replaced, for inline snapshots.

pub mod bin;
pub mod deploy_repo;
pub mod docs;
pub mod images;
pub mod keys;
pub mod process;
pub mod proxy;
pub mod registry;
pub mod signed;
pub mod skopeo;
pub mod snapshot;
pub mod sshd;
pub mod team;
pub mod token;
pub mod workspace;

mod http;
