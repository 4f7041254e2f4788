#!/usr/bin/env bash
# A release archive that runs on another machine of the same kind (x86_64 Linux with glibc) with no toolchain:
# dist/helpdesk-<version>-<arch>-linux.tar.gz holding bin/helpdesk (the server, with the list of its hashed file
# names beside it), site/ (the dashboard's and the widget's files), deploy/ (systemd unit, nginx site, example env)
# and docs/deploy.md. Laid out for /opt/helpdesk, as the systemd unit expects. Builds first (scripts/build.sh)
# unless given --no-build. Prints the archive's path.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

[ "${1:-}" = "--no-build" ] || scripts/build.sh >&2
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
name="helpdesk-$version-$(uname -m)-linux"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage="$work/$name"
mkdir -p "$stage/bin" "$stage/docs" dist
install -m 755 "$CARGO_TARGET_DIR/release/server" "$stage/bin/helpdesk"
# Leptos finds the dashboard's content-hashed file names in hash.txt beside the binary.
install -m 644 "$CARGO_TARGET_DIR/release/hash.txt" "$stage/bin/hash.txt"
cp -r "$LEPTOS_SITE_ROOT" "$stage/site"
[ -f "$stage/site/widget/widget_bg.wasm" ] || { echo "no widget build in $LEPTOS_SITE_ROOT/widget" >&2; exit 1; }
cp -r deploy "$stage/deploy"
cp docs/deploy.md "$stage/docs/deploy.md"
cp LICENSE "$stage/LICENSE"
tar -C "$work" -czf "dist/$name.tar.gz" "$name"
echo "$ROOT/dist/$name.tar.gz"
