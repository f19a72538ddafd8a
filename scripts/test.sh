#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs what it needs, then
# lints, Rust tests (real SQLite, real docker-registry, real keychain), UI tests, the app build,
# and the end-to-end tests of the real window over WebDriver.
#   scripts/test.sh            everything
#   SKIP_SETUP=1 scripts/test.sh   skip the install step (for a quick re-run on a set-up machine)
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

if [ "${SKIP_SETUP:-}" != 1 ]; then
  step "setup"
  scripts/setup.sh
fi

step "rustfmt"
cargo fmt --all --check

step "no non-test source file over 700 lines"
scripts/check-file-size.sh

step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "no unused dependencies (cargo machete)"
cargo machete

step "typed bindings are up to date"
scripts/check-bindings.sh

step "no module of the core imports from a layer above it"
scripts/check-layers.py

step "no sentence the app can show names a CLI flag (hints word what to do)"
scripts/check-app-words.py

step "docs: the book builds, and its links and anchors resolve (the CLI reference is checked by the rust tests)"
mdbook build docs
scripts/check-doc-links.py

step "ui: eslint, prettier, svelte-check and vitest"
(cd ui && npm run --silent lint && npm run --silent format:check && npm run --silent check && npm test --silent)

step "rust tests (real registry, SQLite and keychain)"
scripts/with-keychain.sh cargo test --workspace --locked --exclude tollgate-e2e

step "end to end: the real app under Xvfb over WebDriver"
scripts/with-keychain.sh scripts/e2e.sh

step "packages: build the .deb and .rpm, install the .deb, start the installed app"
scripts/with-keychain.sh scripts/package-test.sh

step "all tests passed"
