#!/usr/bin/env bash
# Fails when a dashboard page's first visit downloads more than its budget: everything Chromium receives (HTML, CSS,
# JS, the main WASM and the page's own WASM files, brotli as `scripts/build.sh` precompressed them) until the page
# has hydrated, with an empty cache. Printed either way, with the largest files. Budgets are today's sizes plus a
# margin, so a regression fails; the aims are in the README.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

# The sign-in page (what everyone loads first) and the inbox (what an agent opens all day).
LOGIN_BUDGET=${DASHBOARD_LOGIN_BUDGET:-376832}
INBOX_BUDGET=${DASHBOARD_INBOX_BUDGET:-557056}

port=${DASHBOARD_SIZE_PORT:-3195}
data=$(mktemp -d)
password="size-check-$RANDOM-password"
HELPDESK_BIND="127.0.0.1:$port" HELPDESK_DATA_DIR="$data" DATABASE_URL="sqlite://$data/size.db?mode=rwc" \
  HELPDESK_ADMIN_EMAIL="size@check.test" HELPDESK_ADMIN_PASSWORD="$password" RUST_LOG=warn \
  "$CARGO_TARGET_DIR/release/server" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.2; done
curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || { cat "$data/server.log" >&2; exit 1; }

(cd end2end && node dashboard-size.mjs "http://127.0.0.1:$port" size@check.test "$password" \
  "/admin/login=$LOGIN_BUDGET" "/admin/chats=$INBOX_BUDGET")
