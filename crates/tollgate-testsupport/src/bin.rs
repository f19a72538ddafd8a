//! Where the binaries under test are: the `tollgate` CLI (and the target folder it was built
//! into). Cargo builds a package's binaries before its integration tests, into the profile
//! folder whose `deps/` holds the test executable; `TOLLGATE_CLI` names another binary.
//!
//! (`env!("CARGO_BIN_EXE_tollgate")` exists only while compiling a target of the package that
//! has the binary, not in this shared crate, so the path is found from the test executable.)

use std::path::PathBuf;

/// The cargo target profile directory the binaries were built into (`target/debug`): the test
/// executable itself runs from `<that>/deps/`.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .expect("the test binary runs from target/<profile>/deps")
}

/// The `tollgate` CLI: `$TOLLGATE_CLI`, else `tollgate` in [`target_dir`], which must exist.
#[allow(
    clippy::disallowed_methods,
    reason = "$TOLLGATE_CLI names the CLI binary to test"
)]
pub fn tollgate() -> PathBuf {
    let path = std::env::var_os("TOLLGATE_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join(format!("tollgate{}", std::env::consts::EXE_SUFFIX)));
    assert!(
        path.is_file(),
        "{} does not exist: build it with `cargo build --bin tollgate` (a test of the tollgate-cli package has it built first)",
        path.display()
    );
    path
}
