# Sourced by the other scripts: where builds go and where the tools are.
# Builds live outside the checkout so fresh clones (and CI) reuse them; override with CARGO_TARGET_DIR.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/helpdesk/target}"
export PATH="$HOME/.cargo/bin:$ROOT/tools/node_modules/.bin:$PATH"
# The site (dashboard CSS/JS/WASM, widget) is assembled in the checkout, where the server looks for it.
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$ROOT/target/site}"
# The widget's build (scripts/build-widget.sh), served under /widget; dev.sh keeps it outside the site, which
# `cargo leptos watch` empties when it starts.
export HELPDESK_WIDGET_DIR="${HELPDESK_WIDGET_DIR:-$LEPTOS_SITE_ROOT/widget}"
