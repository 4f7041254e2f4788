#!/usr/bin/env bash
# Installs what building Helpdesk needs, only from package registries: the wasm32 target (rustup) and wasm-opt
# (npm) for a release build (scripts/build.sh); with --dev also cargo-leptos and wasm-bindgen-cli (crates.io) for
# the development loop (scripts/dev.sh); with --test also Playwright (npm), Chromium, nginx and redis-server
# (Debian), and aiosmtpd (PyPI) for the test SMTP server. Idempotent, and quick when everything is already there.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

for_dev=0
for_tests=0
case "${1:-}" in
  --dev) for_dev=1 ;;
  --test) for_dev=1; for_tests=1 ;;
  "") ;;
  *) echo "usage: scripts/setup.sh [--dev|--test]" >&2; exit 2 ;;
esac

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$for_dev" = 1 ]; then
  # 0.3.11 needs a newer rustc; no_downloads makes it use the tools on PATH instead of fetching binaries.
  if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
    step "cargo install cargo-leptos 0.3.10"
    # In a target directory of their own, so the project's builds need not wait for the tools' (and the reverse).
    CARGO_TARGET_DIR="$CARGO_TARGET_DIR/tools" cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
  fi
  # cargo-leptos calls the wasm-bindgen CLI, which must match the wasm-bindgen crate in Cargo.lock exactly.
  wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wasm_bindgen_version"; then
    step "cargo install wasm-bindgen-cli $wasm_bindgen_version"
    CARGO_TARGET_DIR="$CARGO_TARGET_DIR/tools" cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
  fi
fi

if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
  step "npm ci (binaryen: wasm-opt)"
  (cd tools && npm ci --no-audit --no-fund)
fi

if [ "$for_tests" = 1 ]; then
  if [ ! -d end2end/node_modules/@playwright/test ]; then
    step "npm ci (Playwright)"
    (cd end2end && npm ci --no-audit --no-fund)
  fi
  # Chromium for the browser tests; nginx (the deployment check, scripts/deploy-check.sh) and redis-server (the
  # tests start Redis servers of their own) from Debian too.
  # The test SMTP server (tools/smtp/sink.py): aiosmtpd from PyPI, in a virtualenv of its own.
  if ! "$HELPDESK_PY/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    step "pip install aiosmtpd (the test SMTP server) into $HELPDESK_PY"
    python3 -m venv "$HELPDESK_PY"
    "$HELPDESK_PY/bin/pip" install --quiet --disable-pip-version-check -r tools/smtp/requirements.txt
  fi
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  if [ "${#missing[@]}" -gt 0 ]; then
    step "apt-get install ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
  fi
fi
