#!/usr/bin/env bash
# Desktop app benchmark: cold start to the rendered overview and idle memory (PSS of the app and
# its WebKit processes), against a bare Tauri window (tests/e2e/bare), in the same run, on the
# demo workspace and on a 1,000,000-event history. Figures: docs/BENCHMARKS.md.
#   scripts/bench-app.sh                      5 runs per subject, 1,000,000 events
#   scripts/bench-app.sh --runs 3 --events 100000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-app.sh
cargo build -q -p tollgate-bare-window --features custom-protocol
cargo build -q -p tollgate --bin tollgate
cargo build -q -p tollgate-e2e --bin startup_bench
exec "${CARGO_TARGET_DIR:-target}/debug/startup_bench" "$@"
