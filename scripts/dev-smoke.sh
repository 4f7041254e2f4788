#!/usr/bin/env bash
# A smoke test of the development loop (the README's `scripts/dev.sh`): starts it on its own ports and a throwaway
# data directory, waits (up to 15 minutes: the first debug build is long) until a dashboard page and /widget.js
# answer, checks that the widget's bundle is served, then stops it. Run by the test command.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

port=${DEV_SMOKE_PORT:-3190}
data=$(mktemp -d)
log=$(mktemp)
export LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_RELOAD_PORT=$((port + 1)) HELPDESK_DATA_DIR="$data"
export HELPDESK_ADMIN_PASSWORD="dev-smoke-password" RUST_LOG=warn
# Its own process group, so stopping it stops cargo leptos, the server and the widget watcher together.
setsid scripts/dev.sh >"$log" 2>&1 &
dev=$!
stop() {
  kill -- -"$dev" 2>/dev/null || true
  wait "$dev" 2>/dev/null || true
  rm -rf "$data"
}
trap 'stop; rm -f "$log"' EXIT

base="http://127.0.0.1:$port"
deadline=$((SECONDS + 900))
until curl -sf -o /dev/null "$base/healthz"; do
  if ! kill -0 "$dev" 2>/dev/null; then
    echo "scripts/dev.sh stopped before serving:" >&2
    tail -40 "$log" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "scripts/dev.sh did not serve $base within 15 minutes:" >&2
    tail -40 "$log" >&2
    exit 1
  fi
  sleep 3
done

status=0
page=$(curl -s -o /dev/null -w '%{http_code}' "$base/admin/login")
[ "$page" = 200 ] || { echo "FAIL: /admin/login answered $page" >&2; status=1; }
loader=$(curl -s "$base/widget.js")
if ! grep -q '/widget/[0-9a-f]*/widget_bg' <<<"$loader"; then
  echo "FAIL: /widget.js does not point at the widget's bundle:" >&2
  head -c 300 <<<"$loader" >&2
  status=1
else
  bundle=$(grep -o "/widget/[0-9a-f]*/widget_bg\.wasm" <<<"$loader" | head -1)
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base$bundle")
  [ "$code" = 200 ] || { echo "FAIL: $bundle answered $code" >&2; status=1; }
fi
[ "$status" = 0 ] && echo "dev loop: $base serves the dashboard and the widget"
exit $status
