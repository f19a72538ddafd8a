#!/usr/bin/env bash
# Fails if the committed TypeScript bindings in ui/src/lib/bindings are not exactly what the Rust
# types generate now (ts-rs types of the core and the app, and the app's command map).
# Regenerates into a temporary directory, so the working tree is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
committed=ui/src/lib/bindings
fresh=$(mktemp -d /tmp/tollgate-bindings.XXXXXX)
trap 'rm -rf "$fresh"' EXIT

# TS_RS_EXPORT_DIR from the environment wins over the one in .cargo/config.toml.
export TS_RS_EXPORT_DIR="$fresh"
cargo test -q -p tollgate --lib export_bindings >/dev/null
cargo test -q -p tollgate-app export_bindings >/dev/null

if ! diff -ru "$committed" "$fresh"; then
  cat >&2 <<MSG

check-bindings: the TypeScript bindings in $committed are stale (diff above).
Regenerate and commit them:
  cargo test -p tollgate --lib export_bindings && cargo test -p tollgate-app export_bindings
  git add $committed
MSG
  exit 1
fi
echo "check-bindings: $committed is up to date ($(ls "$fresh" | wc -l) files)"
