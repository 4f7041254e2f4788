#!/usr/bin/env bash
# Builds everything in release mode without cargo-leptos: the server (SSR) and the dashboard's WASM side by side,
# then the site (xtask: split, wasm-bindgen, wasm-opt, CSS, content-hashed names, precompressed copies; the same
# site as `cargo leptos build --release --precompress --split`, which scripts/site-check.sh proves in CI), then the
# visitor widget.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

# Read at compile time by Leptos (the hydration script's file names), as cargo-leptos sets it.
export LEPTOS_OUTPUT_NAME=helpdesk
# The dashboard's WASM and the build tool in their own target directory (where cargo-leptos keeps the WASM too),
# so they compile beside the server instead of waiting for its lock.
(
  cargo build --profile xtask -p xtask --target-dir "$FRONT_TARGET_DIR"
  # Relocations kept so the lazy routes can be split into their own modules.
  RUSTFLAGS="-Clink-args=--emit-relocs" cargo build -p frontend --lib --target wasm32-unknown-unknown \
    --profile wasm-release --target-dir "$FRONT_TARGET_DIR"
) &
front=$!
cargo build --release -p server --bin server
wait "$front"

"$XTASK" site --wasm "$FRONT_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm" \
  --site "$LEPTOS_SITE_ROOT" --hash-file "$CARGO_TARGET_DIR/release/hash.txt"
scripts/build-widget.sh
