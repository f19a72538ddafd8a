//! The one integration-test binary of the core crate: real SQLite files, a real
//! `docker-registry`, real `skopeo`/`umoci`/`ssh-keygen`/`sqlite3`, and the real `tollgate` binary.

mod support;

mod anchor;
mod cli;
mod cli_registry;
mod drift;
mod export;
mod export_safety;
mod gate;
mod identity;
mod promote;
mod recover;
mod registry;
mod signing;
mod store;
mod team;
mod team_conflicts;
mod team_share;
mod team_sync_cost;
mod token;
