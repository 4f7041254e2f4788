#!/usr/bin/env bash
# Proves that scripts/build.sh's site (the xtask, no cargo-leptos) is the one cargo-leptos makes from the same
# build: `cargo leptos build --release --precompress --split` and `xtask site` each write a site of their own,
# compared file by file (xtask compare). cargo-leptos's JS minifier is turned off: it is most of cargo-leptos's
# compile time and the xtask has none (docs/decisions.md). Needs cargo-leptos (scripts/setup.sh --dev).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

lock_version() { awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock; }
if [ "$(lock_version wasm-bindgen)" != "$(lock_version wasm-bindgen-cli-support)" ]; then
  echo "wasm-bindgen $(lock_version wasm-bindgen) and xtask's wasm-bindgen-cli-support $(lock_version wasm-bindgen-cli-support) differ" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$CARGO_TARGET_DIR/release/hash-cargo-leptos.txt"' EXIT
export LEPTOS_OUTPUT_NAME=helpdesk
LEPTOS_SITE_ROOT="$work/cargo-leptos" LEPTOS_HASH_FILE_NAME=hash-cargo-leptos.txt \
  cargo leptos build --release --precompress --split --js-minify false
cargo build --profile xtask -p xtask --target-dir "$FRONT_TARGET_DIR"
"$XTASK" site --wasm "$FRONT_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm" \
  --site "$work/xtask" --hash-file "$work/xtask-hash.txt"
"$XTASK" compare "$work/cargo-leptos" "$CARGO_TARGET_DIR/release/hash-cargo-leptos.txt" \
  "$work/xtask" "$work/xtask-hash.txt"
