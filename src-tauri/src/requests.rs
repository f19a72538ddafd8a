//! The requests of the commands whose core function takes plain arguments (the others take the
//! core's own request types: `ApproveRequest`, `PromoteRequest`, `RollbackRequest`). Each is
//! what the page sends, deserialized as is, and exported to TypeScript.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tollgate::api::ExportFormat;
use ts_rs::TS;

/// One app (`timeline`).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct AppRequest {
    pub app: String,
}

/// One digest of one app (`digest_detail`).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct DigestRequest {
    pub app: String,
    pub digest: String,
}

/// One digest of one app moving into environment `to` (`check`, `diff`).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct CheckRequest {
    pub app: String,
    pub to: String,
    pub digest: String,
}

/// What runs in an environment, to record as right (`record`: the drift fix): the image is
/// the environment's repository at `digest`; who signs is this machine's identity.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct RecordRunningRequest {
    pub app: String,
    pub env: String,
    pub digest: String,
}

/// The approver id a new signing key is for (`key_init`).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct KeyInitRequest {
    pub id: String,
}

/// Registry credentials for the OS keychain (`login`). The password is never sent back.
#[derive(Clone, Deserialize, TS)]
#[ts(export)]
pub struct LoginRequest {
    pub registry: String,
    pub username: String,
    pub password: String,
}

/// The registry (name in tollgate.toml, or host) whose keychain credentials go (`logout`).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct LogoutRequest {
    pub registry: String,
}

/// A tollgate.toml to open (`open_workspace`): exactly one of the token `choose_workspace`
/// issued for the file chosen in the native open dialog (used once), or the `path` of an entry
/// of `recent_workspaces`. The page never opens a path of its own.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct OpenWorkspaceRequest {
    pub token: Option<String>,
    pub recent: Option<String>,
}

/// A file this window exported, to show in the file manager (`reveal_file`).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct RevealRequest {
    pub path: String,
}

/// A forge or source page to open in the default browser (`open_link`).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct OpenLinkRequest {
    pub url: String,
}

/// What the native save dialog offers (`choose_export_path`): the format's file type and a
/// suggested file name (the person may pick any other).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ChooseExportRequest {
    pub format: ExportFormat,
    pub suggested_name: String,
}

/// The file the person chose in the native save dialog: `token` is what `export`
/// accepts (once), `path` is for showing only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ExportTarget {
    pub token: String,
    pub path: String,
}

/// What to export (`export`): the core's `ExportRequest` without its `out`, which is the
/// file behind `target` (a token `choose_export_path` issued): the page never names a path.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ExportToChosenRequest {
    pub target: String,
    pub format: ExportFormat,
    pub app: Option<String>,
    pub env: Option<String>,
    /// Inclusive.
    #[ts(type = "string | null")]
    pub since: Option<DateTime<Utc>>,
    /// Exclusive.
    #[ts(type = "string | null")]
    pub until: Option<DateTime<Utc>>,
}

/// A moment (`overview_at`): RFC 3339 (`2026-11-25T08:00:00Z`) or before now (`-3h`, `-2d`),
/// as `tollgate status --at` takes it.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct AtRequest {
    pub at: String,
}

/// The registry a new workspace starts from, and the credentials to try (`registry_probe`):
/// none for anonymous access or the ones already stored.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct RegistryProbeRequest {
    pub url: String,
    pub login: Option<tollgate::api::RegistryLogin>,
}

/// The repositories of a new workspace whose tags to list (`registry_tags`).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct RegistryTagsRequest {
    pub url: String,
    pub repositories: Vec<String>,
}

/// Attest from the window (`attest`): the attestation, and whether to attach a report file, which
/// the Rust side then asks for in a native open dialog (the page never names a file to upload).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct AttestInWindowRequest {
    /// Its `file` is ignored: see `attach_report`.
    pub attest: tollgate::api::AttestRequest,
    pub attach_report: bool,
}
