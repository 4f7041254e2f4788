#!/usr/bin/env bash
# Builds widget-wasm with the `widget` profile, then generates its JS glue and shrinks it with wasm-opt (xtask
# widget) into $HELPDESK_WIDGET_DIR (the site's widget/ unless set), where the server serves it from.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

cargo build --profile xtask -p xtask --target-dir "$FRONT_TARGET_DIR"
cargo build -p widget-wasm --target wasm32-unknown-unknown --profile widget
"$XTASK" widget --wasm "$CARGO_TARGET_DIR/wasm32-unknown-unknown/widget/widget_wasm.wasm" --out "$HELPDESK_WIDGET_DIR"
