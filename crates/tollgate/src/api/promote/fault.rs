//! A test-only fault hook: in debug builds, `TOLLGATE_TEST_KILL_AT=<step>` makes the process
//! kill itself with SIGKILL right after that step is committed, as `kill -9` would. Release
//! builds compile it away.

#[cfg(debug_assertions)]
pub(super) fn point(step: &str) {
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
