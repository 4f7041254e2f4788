#!/usr/bin/env bash
# Builds widget-wasm with the `widget` profile, generates its JS glue, shrinks it with wasm-opt, and puts it in
# $HELPDESK_WIDGET_DIR (the site's widget/ unless set), where the server serves it from.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

cargo build -p widget-wasm --target wasm32-unknown-unknown --profile widget
out="$HELPDESK_WIDGET_DIR"
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name widget \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/widget/widget_wasm.wasm"
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  "$out/widget_bg.wasm" -o "$out/widget_bg.wasm"
printf 'widget: %s bytes wasm, %s bytes gzip\n' "$(wc -c < "$out/widget_bg.wasm")" "$(gzip -9c "$out/widget_bg.wasm" | wc -c)"
