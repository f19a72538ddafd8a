//! Test-only fault hooks, in debug builds; release builds compile them away.
//!
//! - `TOLLGATE_TEST_KILL_AT=<step>` makes the process kill itself with SIGKILL right after that
//!   step is committed, as `kill -9` would.
//! - `TOLLGATE_TEST_PAUSE_AT=<step>` makes it print `paused at <step>` on standard error and wait
//!   for a line on standard input before going on: a promotion caught in the middle, for tests
//!   that run another process meanwhile.

#[cfg(debug_assertions)]
#[allow(
    clippy::disallowed_methods,
    reason = "test fault hooks are set through the environment (debug builds only)"
)]
pub(super) fn point(step: &str) {
    if std::env::var("TOLLGATE_TEST_PAUSE_AT").is_ok_and(|s| s == step) {
        eprintln!("paused at {step}");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }
    if std::env::var("TOLLGATE_TEST_KILL_AT").is_ok_and(|s| s == step) {
        let pid = std::process::id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
        // SIGKILL is not catchable; wait for it to land.
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}

#[cfg(not(debug_assertions))]
pub(super) fn point(_step: &str) {}
