#!/usr/bin/env bash
# Build the installable packages: a .deb and an .rpm holding the desktop app (`tollgate-app`,
# its desktop entry and icons) and the `tollgate` CLI on the PATH, with the Tauri CLI 2 pinned
# in ui/package.json (no download at build time).
#   scripts/package.sh            release build -> $TARGET/release/bundle/{deb,rpm}/
#   scripts/package.sh --debug    from the debug build the end-to-end tests use (no second build
#                                 when scripts/e2e.sh ran before) -> $TARGET/debug/bundle/...
# Prints the path of each package, one per line, last. The version is the workspace's
# (Cargo.toml `[workspace.package] version`), the only place it is written.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
flags=(--release)
if [ "${1:-}" = "--debug" ]; then profile=debug; flags=(); fi
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

[ -d ui/node_modules/@tauri-apps/cli ] || npm --prefix ui ci --no-audit --no-fund --loglevel=error
scripts/build-app.sh "${flags[@]}"
cargo build -p tollgate-cli --bin tollgate "${flags[@]}"

# The CLI goes to /usr/bin beside the app; its path is only known here, so this part of the
# bundle configuration is merged in for this run.
cli="$target/$profile/tollgate"
extra=$(python3 -c 'import json,sys; f={"/usr/bin/tollgate": sys.argv[1]}; print(json.dumps({"bundle":{"linux":{"deb":{"files":f},"rpm":{"files":f}}}}))' "$cli")
rm -rf "$target/$profile/bundle"
debug=()
[ "$profile" = debug ] && debug=(--debug)
(cd src-tauri && CARGO_TARGET_DIR="$target" ../ui/node_modules/.bin/tauri bundle "${debug[@]}" \
  --bundles deb,rpm --features custom-protocol --no-sign --ci --config "$extra" >&2)
ls "$target/$profile"/bundle/deb/*.deb "$target/$profile"/bundle/rpm/*.rpm
