#!/usr/bin/env bash
# The release archive (scripts/package.sh) unpacked in an empty directory and started there with no toolchain and
# nothing of the checkout in reach: it must serve the sign-in page with its hashed files, the widget, and be ready.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

archive=$(scripts/package.sh --no-build)
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
tar -C "$tmp" -xzf "$archive"
dir=$(echo "$tmp"/helpdesk-*)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/data"
cd "$tmp"
env -i PATH=/usr/bin:/bin HOME="$tmp" HELPDESK_BIND="127.0.0.1:$port" HELPDESK_DATA_DIR="$tmp/data" \
  LEPTOS_SITE_ROOT="$dir/site" HELPDESK_ADMIN_EMAIL=admin@package.test HELPDESK_ADMIN_PASSWORD=package-password-1 \
  "$dir/bin/helpdesk" >"$tmp/server.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
fail() { echo "package check failed: $*" >&2; tail -n 20 "$tmp/server.log" >&2; exit 1; }
curl -fs "$base/readyz" | grep -q '"status":"ready"' || fail "not ready"
page=$(curl -fs "$base/admin/login") || fail "no sign-in page"
js=$(grep -oE '/pkg/helpdesk\.[A-Za-z0-9_-]+\.js' <<<"$page" | head -n 1)
[ -n "$js" ] || fail "the sign-in page names no hashed script"
curl -fs -o /dev/null "$base$js" || fail "$js is not served"
chat=$(curl -fs "$base/widget.js" | grep -oE '/widget/[0-9a-f]+/widget_bg\.wasm' | head -n 1)
[ -n "$chat" ] || fail "the widget loader names no chat bundle"
curl -fs -o /dev/null "$base$chat" || fail "$chat is not served"
curl -fs -X POST "$base/api/auth/login" -H 'content-type: application/json' \
  -d '{"email":"admin@package.test","password":"package-password-1"}' | grep -q '"token"' || fail "cannot sign in"
echo "package check: $(basename "$archive") ($(du -h "$archive" | cut -f1)) starts from an empty directory and serves the dashboard and the widget"
