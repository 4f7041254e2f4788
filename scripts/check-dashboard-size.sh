#!/usr/bin/env bash
# Fails when the dashboard's first load passes its budget: the sign-in page's HTML plus the CSS, JS and WASM it
# loads, as a browser receives them (brotli, from the precompressed files `scripts/build.sh` leaves). Printed
# either way, with each part. The budget is today's size plus a margin, so a regression fails; the aim (README)
# is lower.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

BUDGET=${DASHBOARD_BUDGET:-563200}
pkg="$LEPTOS_SITE_ROOT/pkg"
hashes="$CARGO_TARGET_DIR/release/hash.txt"
[ -f "$hashes" ] || { echo "no $hashes: build with scripts/build.sh" >&2; exit 1; }
hash() { awk -v k="$1:" '$1 == k { print $2 }' "$hashes"; }
size() {
  local file="$pkg/helpdesk.$(hash "$1").$1"
  [ -f "$file.br" ] || { echo "missing $file.br (scripts/build.sh precompresses)" >&2; exit 1; }
  wc -c < "$file.br"
}
wasm=$(size wasm)
js=$(size js)
css=$(size css)

# The sign-in page as served, from the release build.
port=${DASHBOARD_SIZE_PORT:-3195}
data=$(mktemp -d)
HELPDESK_BIND="127.0.0.1:$port" HELPDESK_DATA_DIR="$data" HELPDESK_ADMIN_PASSWORD="size-check-password" RUST_LOG=warn \
  "$CARGO_TARGET_DIR/release/server" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.2; done
html=$(curl -s -H 'Accept-Encoding: br, gzip' -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/admin/login")

total=$((html + css + js + wasm))
printf 'dashboard first load (brotli): %d B = html %d + css %d + js %d + wasm %d (budget %d)\n' \
  "$total" "$html" "$css" "$js" "$wasm" "$BUDGET"
if [ "$total" -gt "$BUDGET" ]; then echo "FAIL: the dashboard's first load is over its budget" >&2; exit 1; fi
