#!/usr/bin/env bash
# End to end: the real desktop app in a virtual X display, driven over WebDriver
# (tauri-driver + WebKitWebDriver), against a workspace made with the real CLI.
# Builds the app with its UI embedded and the CLI first. Screenshots: test-output/e2e/*.png.
#   scripts/e2e.sh                  all end-to-end tests
#   scripts/e2e.sh overview         only those whose name contains "overview"
# The app and the CLI share the real OS keychain (gnome-keyring in a private D-Bus session):
# without one already set up (scripts/with-keychain.sh), this script starts one for itself.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${TOLLGATE_KEYCHAIN_READY:-}" != 1 ]; then exec scripts/with-keychain.sh scripts/e2e.sh "$@"; fi
scripts/build-app.sh
cargo build -p tollgate-cli --bin tollgate
rm -rf test-output/e2e
# The tests are #[ignore]d so that `cargo test --workspace` never opens windows; run them here,
# one at a time (each starts its own Xvfb, tauri-driver and app).
cargo test -p tollgate-e2e --test app -- --ignored --test-threads=1 "$@"
