#!/usr/bin/env bash
# Fails when the widget passes its budget: the loader (/widget.js) at most 3 KB gzip, the chat as it opens (wasm + its
# JS glue; its CSS is inside the wasm) at most 40 KB gzip. The forms module (forms.js: offline and pre-chat forms,
# transcript, rating), imported the first time a form is shown, is printed outside the budget. Sizes are
# deterministic for a given build; printed either way.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

LOADER_BUDGET=${LOADER_BUDGET:-3072}
CHAT_BUDGET=${CHAT_BUDGET:-40960}
dir="$HELPDESK_WIDGET_DIR"
for f in widget.js widget_bg.wasm forms.js; do
  [ -f "$dir/$f" ] || { echo "widget not built: $dir/$f missing (run scripts/build-widget.sh)" >&2; exit 1; }
done

gz() { gzip -9c "$1" | wc -c; }
# The loader as served: its two placeholders become /widget/<16 hex>/widget.js and widget_bg.wasm.
loader=$(sed -e 's|__HD_JS__|/widget/0123456789abcdef/widget.js|' -e 's|__HD_WASM__|/widget/0123456789abcdef/widget_bg.wasm|' \
  widget-wasm/loader.js | gzip -9c | wc -c)
glue=$(gz "$dir/widget.js")
wasm=$(gz "$dir/widget_bg.wasm")
forms=$(gz "$dir/forms.js")
chat=$((glue + wasm))
printf 'widget sizes (gzip -9): loader %d B (budget %d), chat %d B = wasm %d + glue %d (budget %d); forms module %d B on demand\n' \
  "$loader" "$LOADER_BUDGET" "$chat" "$wasm" "$glue" "$CHAT_BUDGET" "$forms"
status=0
if [ "$loader" -gt "$LOADER_BUDGET" ]; then echo "FAIL: the loader is over its budget" >&2; status=1; fi
if [ "$chat" -gt "$CHAT_BUDGET" ]; then echo "FAIL: the chat bundle is over its budget" >&2; status=1; fi
exit $status
