#!/usr/bin/env bash
# Build the desktop app with its UI embedded (no dev server needed):
#   scripts/build-app.sh              -> $CARGO_TARGET_DIR/debug/tollgate-app (default target/)
#   scripts/build-app.sh --release    -> .../release/tollgate-app
# For UI work instead: `npm --prefix ui run dev` and `cargo run -p tollgate-app` (loads the Vite
# dev server), with `-- --workspace path/to/tollgate.toml`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d ui/node_modules ] || npm --prefix ui ci --no-audit --no-fund --loglevel=error
npm --prefix ui run --silent build
cargo build -p tollgate-app --features custom-protocol "$@"
