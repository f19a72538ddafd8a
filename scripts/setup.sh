#!/usr/bin/env bash
# Installs everything Tollgate needs on a fresh Debian 12 machine (run as root):
# Debian packages, the WebDriver bridge for end-to-end tests, cargo-machete, and the UI's npm
# packages.
# Safe to run again: every step is an ordinary package-manager install.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
APT_PACKAGES=(
  # build + Tauri 2 on Linux
  build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev
  # the real parts the tests start: registry, image tools, keychain, display, WebDriver
  docker-registry skopeo umoci apache2-utils gnome-keyring dbus dbus-x11 xvfb xauth
  webkit2gtk-driver imagemagick xdotool
  # tools the tests check Tollgate's output with
  sqlite3 openssh-client poppler-utils qpdf jq curl ca-certificates hyperfine git
  # an ssh:// deployment repository for the gitops tests (started by the test, never as a service)
  openssh-server
)
echo "setup: apt packages"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: node.js from Debian"
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# Vite 7 needs Node.js 20.19+ (or 22.12+); Debian 12's own nodejs is 18, which cannot build the UI.
node_ok=$(node -e 'const [a, b] = process.versions.node.split(".").map(Number); console.log(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? 1 : 0)')
if [ "$node_ok" != 1 ]; then
  echo "setup: Node.js $(node --version) is too old for the UI build (Vite 7 needs 20.19+ or 22.12+): install a newer Node.js (e.g. from nodejs.org or NodeSource) and run this again" >&2
  exit 2
fi
# rust-toolchain.toml pins an exact version. rustup would download it under that name even when
# the installed `stable` is that very version: give the installed one the pinned name instead.
pinned=$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)
if command -v rustup >/dev/null && ! rustup toolchain list | grep -q "^$pinned-"; then
  stable=$(rustup run stable rustc -vV 2>/dev/null || true)
  host=$(printf '%s\n' "$stable" | sed -n 's/^host: //p')
  if [ "$(printf '%s\n' "$stable" | sed -n 's/^release: //p')" = "$pinned" ]; then
    echo "setup: the installed stable toolchain is $pinned: using it for rust-toolchain.toml"
    toolchains="${RUSTUP_HOME:-$HOME/.rustup}/toolchains"
    ln -s "$toolchains/stable-$host" "$toolchains/$pinned-$host"
  else
    echo "setup: rust-toolchain.toml pins Rust $pinned; rustup installs it on first use"
  fi
fi
if ! command -v cargo >/dev/null; then
  echo "setup: cargo is missing: install Rust with rustup (https://rustup.rs) and run this again" >&2
  exit 2
fi

echo "setup: tauri-driver (WebDriver bridge for the end-to-end tests)"
cargo install tauri-driver --locked --quiet
echo "setup: cargo-machete (finds unused dependencies; scripts/test.sh runs it)"
cargo install cargo-machete --locked --quiet

echo "setup: mdbook (builds the book under docs/; scripts/test.sh builds it and checks its links)"
cargo install mdbook --version 0.5.4 --locked --quiet   # book.toml is written for 0.5

echo "setup: npm packages for the UI"
(cd ui && npm ci --no-audit --no-fund --loglevel=error)
echo "setup: done"
