#!/usr/bin/env bash
# Desktop app benchmark: cold start to the rendered overview and idle memory (PSS of the app and
# its WebKit processes), against a bare Tauri window (tests/e2e/bare), in the same run, on the
# demo workspace and on a 1,000,000-event history. Figures: docs/BENCHMARKS.md.
#   scripts/bench-app.sh                      debug builds (as scripts/build-app.sh makes them), 5 runs
#   scripts/bench-app.sh --release            release builds of the app, the bare window and the CLI
#   scripts/bench-app.sh --runs 3 --events 100000 --only demo
# The first run builds the big history (signed approvals; ~5 min in a debug build) into
# target/bench-app/ and keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
flags=()
if [ "${1:-}" = --release ]; then
  shift
  profile=release
  flags=(--release)
fi
[ -d ui/node_modules ] || npm --prefix ui ci --no-audit --no-fund --loglevel=error
npm --prefix ui run --silent build
cargo build -q "${flags[@]}" -p tollgate-cli -p tollgate-app -p tollgate-bare-window -p tollgate-e2e --bins \
  --features tollgate-app/custom-protocol,tollgate-bare-window/custom-protocol
exec "${CARGO_TARGET_DIR:-target}/$profile/startup_bench" "$@"
