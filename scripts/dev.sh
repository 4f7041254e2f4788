#!/usr/bin/env bash
# Development: `cargo leptos watch` (server + dashboard, rebuilt and reloaded on change) and, beside it, the widget
# rebuilt whenever widget-wasm/ changes. With LEPTOS_ENV=DEV the server re-reads the widget on every request.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

scripts/setup.sh --dev
# Outside the site directory: `cargo leptos watch` empties that when it starts, widget and all.
export HELPDESK_WIDGET_DIR="$ROOT/target/widget"
scripts/build-widget.sh

stamp=$(mktemp)
watch_widget() {
  while sleep 2; do
    if [ -n "$(find widget-wasm protocol -newer "$stamp" -type f \( -name '*.rs' -o -name '*.css' -o -name '*.js' -o -name Cargo.toml \) -print -quit)" ]; then
      touch "$stamp"
      scripts/build-widget.sh || echo "widget build failed; fix and save again" >&2
    fi
  done
}
watch_widget &
watcher=$!
trap 'kill $watcher 2>/dev/null; rm -f "$stamp"' EXIT
LEPTOS_ENV=DEV cargo leptos watch
