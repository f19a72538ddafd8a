#!/usr/bin/env bash
# Run a command inside a private D-Bus session with an unlocked gnome-keyring Secret Service,
# so the OS keychain that Tollgate uses is the real one. Nothing touches the user's own keyring:
# XDG_DATA_HOME and XDG_RUNTIME_DIR point at a temporary directory that is removed afterwards.
#   scripts/with-keychain.sh cargo test
set -euo pipefail
if [ "${TOLLGATE_KEYCHAIN_READY:-}" = 1 ]; then exec "$@"; fi
tmp=$(mktemp -d /tmp/tollgate-keychain.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/data" "$tmp/runtime"
chmod 700 "$tmp/runtime"
export XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/runtime" TOLLGATE_KEYCHAIN_READY=1
dbus-run-session -- bash -c '
  eval "$(printf tollgate-test | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  "$@"
' bash "$@"
