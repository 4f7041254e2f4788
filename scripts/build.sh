#!/usr/bin/env bash
# Builds everything in release mode: the server (SSR), the dashboard's hydrate WASM and CSS (cargo-leptos),
# and the visitor widget's WASM (its own size-optimised profile).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

# --precompress: brotli and gzip copies beside each file, served as they are (no compression per request).
cargo leptos build --release --precompress --split
scripts/build-widget.sh
