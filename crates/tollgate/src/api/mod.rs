//! The use cases: one public function each. The CLI (`src/cli`) and the Tauri commands
//! (`src-tauri`) are thin adapters over these and hold no logic of their own.
//!
//! Every function opens a `tracing` span named after the use case.

mod context;
mod status;

pub use context::Context;
pub use status::status;
