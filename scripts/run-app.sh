#!/usr/bin/env bash
# Start the Tollgate desktop app on the demo workspace, from a fresh Debian 12 machine (as root).
#   scripts/run-app.sh                 install, build, create the demo (once), start the app
#   scripts/run-app.sh path/to/tollgate.toml   start it on another workspace
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SKIP_SETUP:-}" = 1 ] || scripts/setup.sh
scripts/build-app.sh
cargo build -q -p tollgate-cli --bin tollgate
target=${CARGO_TARGET_DIR:-target}
config=${1:-}
if [ -z "$config" ]; then
  demo="${XDG_DATA_HOME:-$HOME/.local/share}/tollgate/demo"
  if [ ! -f "$demo/tollgate.toml" ]; then
    rm -rf "$demo"
    config=$("$target/debug/tollgate" demo "$demo")
  else
    config="$demo/tollgate.toml"
  fi
fi
if [ -z "${DISPLAY:-}" ]; then
  echo "run-app: no DISPLAY; starting Xvfb on :99 (look at it with: DISPLAY=:99 import -window root shot.png)"
  Xvfb :99 -screen 0 1280x800x24 >/dev/null 2>&1 &
  export DISPLAY=:99
  sleep 1
fi
echo "run-app: workspace $config"
TOLLGATE_CONFIG="$config" exec "$target/debug/tollgate-app"
