#!/usr/bin/env bash
# README "run": installs what is missing, builds everything in release mode, and serves Helpdesk on
# http://127.0.0.1:3000 (HELPDESK_BIND to change) with an embedded SQLite database under ./data unless
# DATABASE_URL says otherwise. The first start creates a super admin and prints how to sign in. Arguments go to the
# server: `scripts/run.sh demo` fills the database with demo data, `scripts/run.sh help` lists the commands.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

scripts/setup.sh
scripts/build.sh
exec "$CARGO_TARGET_DIR/release/server" "$@"
