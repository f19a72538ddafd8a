//! The one integration-test binary: real SQLite files, a real `docker-registry`, real
//! `skopeo`/`umoci`/`ssh-keygen`/`sqlite3`, and the real `tollgate` binary. It lives in the CLI's
//! package because only the package that has the binary gets it built before its tests; the
//! core is tested here through the CLI and through its library API.
//! The helpers (registry, images, skopeo, proxy, keys, workspaces) are the `tollgate-testsupport`
//! crate's.

mod anchor;
mod checkpoint;
mod checks;
mod cli;
mod cli_registry;
mod demo;
mod diff;
mod drift;
mod emergency;
mod export;
mod export_safety;
mod gate;
mod gitops_audit;
mod gitops_diff;
mod gitops_promote;
mod gitops_review;
mod gitops_sync;
mod gitops_team;
mod gitops_team_review;
mod identity;
mod incidents;
mod init_registry;
mod point_in_time;
mod promote;
mod recover;
mod registry;
mod reject;
mod report_tamper;
mod signing;
mod store;
mod team;
mod team_conflicts;
mod team_events;
mod team_poison;
mod team_rejections;
mod team_replay;
mod team_share;
mod team_status;
mod team_sync_cost;
mod team_unplaced;
mod token;
mod workspace_edit;
