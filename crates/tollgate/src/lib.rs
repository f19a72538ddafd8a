//! Tollgate core: everything the CLI and the desktop app share. No Tauri in here.
//!
//! - [`api`]: one public function per use case; the CLI and the Tauri commands call only these.
//! - [`config`]: the `tollgate.toml` workspace file.
//! - [`diff`]: the release diff: what changes if a candidate digest replaces what runs now.
//! - [`domain`]: digests, references, events, segments: the vocabulary.
//! - [`registry`]: OCI Distribution registries and local OCI image-layout folders.
//! - [`store`]: the SQLite history: append-only hash-chained events and timeline queries.
//! - [`gitops`]: deployment repositories: the image values of a deployment file and their
//!   lossless edit.
//! - [`signing`]: Ed25519 keys in the OS keychain and SSHSIG approvals.
//! - [`gitops`]: deployment repositories: a bare clone read and written with `gix` (files at a
//!   commit, the signed promotion commit).
//! - [`policy`]: the per-environment gates a promotion must pass.
//! - [`report`]: audit reports (PDF, CSV, JSON) and the offline check of a JSON report.
//! - [`team`]: team history in the registry: events as OCI artifacts, published and discovered.
//! - [`hint`]: what to do next, as facts each front end words for itself.
//! - [`keychain`]: the OS keychain (Secret Service, Keychain, Credential Manager).
//! - [`logging`]: how log fields are written (control characters escaped); the CLI and the app
//!   install the subscribers.

pub mod api;
pub mod config;
pub mod diff;
pub mod domain;
pub mod error;
pub mod gitops;
pub mod hint;
pub mod keychain;
pub mod logging;
pub mod policy;
pub mod registry;
pub mod report;
pub mod signing;
pub mod store;
pub mod team;

pub use error::{Code, Error, Result};
pub use hint::Hint;
