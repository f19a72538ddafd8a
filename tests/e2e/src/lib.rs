//! End-to-end test helpers: the real `tollgate-app` in a real (virtual) X display, driven over
//! WebDriver, against a workspace made with the real `tollgate` CLI.
//!
//! Why Rust and not a Node script: the project's tests are cargo tests (one integration binary
//! per crate), failures show up in the same `cargo test` report, `Drop` guards stop Xvfb and
//! tauri-driver even when an assertion panics, and the only extra dependency is a tiny blocking
//! HTTP client (`ureq` without TLS) — WebDriver is a few JSON calls.
//!
//! - [`display`]: an Xvfb server on a display number it picks itself (`-displayfd`).
//! - [`driver`]: `tauri-driver` (which spawns WebKitWebDriver, which spawns the app) on free ports.
//! - [`webdriver`]: the handful of W3C WebDriver calls the tests need.
//! - [`fixture`]: a workspace with history, made with the CLI, and what `status --json` says.
//! - [`process`]: a child process in its own process group, stopped on drop.
//!
//! The real registry, its images and skopeo come from the `tollgate-testsupport` crate, as in the
//! CLI's integration tests.

pub mod display;
pub mod driver;
pub mod fixture;
pub mod process;
pub mod webdriver;

use std::path::PathBuf;

pub use tollgate_testsupport::bin::target_dir;

/// The app binary: `$TOLLGATE_APP`, else `tollgate-app` in [`target_dir`].
#[allow(
    clippy::disallowed_methods,
    reason = "$TOLLGATE_APP names the app binary to test"
)]
pub fn app_binary() -> PathBuf {
    std::env::var_os("TOLLGATE_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("tollgate-app"))
}

/// The CLI binary: `$TOLLGATE_CLI`, else `tollgate` in [`target_dir`].
pub fn cli_binary() -> PathBuf {
    tollgate_testsupport::bin::tollgate()
}

/// Where screenshots go: `<repository>/test-output/e2e`.
pub fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-output/e2e");
    std::fs::create_dir_all(&dir).expect("create test-output/e2e");
    dir.canonicalize().expect("test-output/e2e exists")
}
