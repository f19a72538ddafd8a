//! Running the real tools the tests cross-check with (umoci, skopeo, htpasswd, openssl,
//! ssh-keygen): a command's stdout, or a panic that shows what it printed.

use std::process::Command;

/// Run a command, panic with its output if it fails; its stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}
