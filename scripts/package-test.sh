#!/usr/bin/env bash
# The packages as a user gets them: build the .deb and .rpm from the debug build the end-to-end
# tests use (scripts/package.sh --debug), install the .deb with apt-get (as root), check what it
# put on the machine, start the INSTALLED app under Xvfb over WebDriver on a demo workspace the
# INSTALLED CLI made (window up, nothing logged at ERROR, `tollgate --version`), then remove it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${TOLLGATE_KEYCHAIN_READY:-}" != 1 ]; then exec scripts/with-keychain.sh scripts/package-test.sh "$@"; fi
[ "$(id -u)" = 0 ] || { echo "package-test: run as root (it installs and removes the .deb)" >&2; exit 2; }

packages=$(scripts/package.sh --debug)
deb=$(grep '\.deb$' <<<"$packages")
rpm=$(grep '\.rpm$' <<<"$packages")
[ -s "$deb" ] && [ -s "$rpm" ] || { echo "package-test: no .deb or .rpm built" >&2; exit 1; }
if dpkg -s tollgate >/dev/null 2>&1; then
  echo "package-test: a tollgate package is installed already; remove it first (apt-get remove tollgate)" >&2
  exit 1
fi
trap 'apt-get remove -y -qq tollgate >/dev/null 2>&1 || true' EXIT
apt-get install -y -qq "$(realpath "$deb")" >/dev/null

version=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="tollgate-cli"))')
[ "$(dpkg-query -W -f='${Version}' tollgate)" = "$version" ] || { echo "package-test: the package's version is not $version" >&2; exit 1; }
[ "$(command -v tollgate)" = /usr/bin/tollgate ] || { echo "package-test: tollgate is not on the PATH from /usr/bin" >&2; exit 1; }
grep -qx 'Exec=tollgate-app' /usr/share/applications/Tollgate.desktop ||
  { echo "package-test: the desktop entry does not start tollgate-app" >&2; exit 1; }
for dep in git openssh-client libwebkit2gtk-4.1-0 libgtk-3-0; do
  dpkg-query -W -f='${Depends}' tollgate | grep -qw "$dep" || { echo "package-test: the .deb does not depend on $dep" >&2; exit 1; }
done

TOLLGATE_APP=/usr/bin/tollgate-app TOLLGATE_CLI=/usr/bin/tollgate \
  cargo test -p tollgate-e2e --test app -- --ignored --exact installed::installed_app_starts_and_logs_no_error

apt-get remove -y -qq tollgate >/dev/null
trap - EXIT
[ ! -e /usr/bin/tollgate ] && [ ! -e /usr/bin/tollgate-app ] || { echo "package-test: apt-get remove left the binaries" >&2; exit 1; }
echo "package-test: $(basename "$deb") installed, started, removed; $(basename "$rpm") built"
