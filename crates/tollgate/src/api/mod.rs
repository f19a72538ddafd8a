//! The use cases: one public function each. The CLI (`src/cli`) and the Tauri commands
//! (`src-tauri`) are thin adapters over these and hold no logic of their own.
//!
//! Every function opens a `tracing` span named after the use case.

mod context;
mod demo;
mod init;
mod login;
mod open;
mod record;
mod status;
mod sync;
mod timeline;
mod verify;

pub use context::Context;
pub use demo::demo;
pub use init::init;
pub use login::login;
pub use record::{record, RecordRequest};
pub use status::status;
pub use sync::{sync, SyncProgress, SyncReport, SyncedTag};
pub use timeline::timeline;
pub use verify::verify;
