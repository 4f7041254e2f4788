#!/usr/bin/env bash
# Installs what building Helpdesk needs (and, with --test, what testing it needs), only from package registries:
# the wasm32 target (rustup), cargo-leptos and wasm-bindgen-cli (crates.io), wasm-opt and Playwright (npm),
# Chromium, nginx and redis-server (Debian). Idempotent, and quick when everything is already there.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

for_tests=0
[ "${1:-}" = "--test" ] && for_tests=1

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 0.3.11 needs a newer rustc; no_downloads makes it use the tools on PATH instead of fetching binaries.
if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  step "cargo install cargo-leptos 0.3.10"
  cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
fi

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wasm_bindgen_version"; then
  step "cargo install wasm-bindgen-cli $wasm_bindgen_version"
  cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
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
