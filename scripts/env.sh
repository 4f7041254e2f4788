# Sourced by the other scripts: where builds go and where the tools are.
# Builds live outside the checkout so fresh clones (and CI) reuse them; override with CARGO_TARGET_DIR.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/helpdesk/target}"
export PATH="$HOME/.cargo/bin:$ROOT/tools/node_modules/.bin:$PATH"
# A shell that sourced another checkout's env.sh carries that checkout's site paths: drop them (paths set by hand
# stay), so a clone's scripts never build into, or serve from, another checkout.
if [ -n "${HELPDESK_ENV_ROOT:-}" ] && [ "$HELPDESK_ENV_ROOT" != "$ROOT" ]; then
  [ "${LEPTOS_SITE_ROOT:-}" != "$HELPDESK_ENV_ROOT/target/site" ] || unset LEPTOS_SITE_ROOT
  [ "${HELPDESK_WIDGET_DIR:-}" != "$HELPDESK_ENV_ROOT/target/site/widget" ] || unset HELPDESK_WIDGET_DIR
fi
export HELPDESK_ENV_ROOT="$ROOT"
# The site (dashboard CSS/JS/WASM, widget) is assembled in the checkout, where the server looks for it.
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$ROOT/target/site}"
# The widget's build (scripts/build-widget.sh), served under /widget; dev.sh keeps it outside the site, which
# `cargo leptos watch` empties when it starts.
export HELPDESK_WIDGET_DIR="${HELPDESK_WIDGET_DIR:-$LEPTOS_SITE_ROOT/widget}"
# Where cargo-leptos builds the dashboard's WASM (target/front), and the build tool beside it (scripts/build.sh).
export FRONT_TARGET_DIR="$CARGO_TARGET_DIR/front"
# The Python virtualenv with the test SMTP server (aiosmtpd; scripts/setup.sh --test installs it).
export HELPDESK_PY="${HELPDESK_PY:-$HOME/.cache/helpdesk/py}"
XTASK="$FRONT_TARGET_DIR/xtask/xtask"
