#!/usr/bin/env bash
# README "test": formatting, lints, every Rust test against SQLite and MariaDB/MySQL, a dependency check on the
# WASM bundle, a release build, and the browser tests in Chromium.
#
# MySQL: HELPDESK_TEST_MYSQL_URL if set, else MariaDB on 127.0.0.1:3306 (root, no password) when it answers.
# In CI (CI=true) a missing MySQL fails the run instead of silently skipping those tests.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

scripts/setup.sh --test

if [ -z "${HELPDESK_TEST_MYSQL_URL:-}" ]; then
  if (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; then
    export HELPDESK_TEST_MYSQL_URL="mysql://root@127.0.0.1:3306/test"
  elif [ "${CI:-}" = "true" ]; then
    echo "MariaDB does not answer on 127.0.0.1:3306 and HELPDESK_TEST_MYSQL_URL is not set; CI must run the MySQL tests." >&2
    exit 1
  else
    echo "warning: no MariaDB/MySQL on 127.0.0.1:3306 — the mysql:: tests are skipped" >&2
  fi
fi
if [ -n "${HELPDESK_TEST_MYSQL_URL:-}" ] && command -v mariadb >/dev/null 2>&1 \
  && [ "$HELPDESK_TEST_MYSQL_URL" = "mysql://root@127.0.0.1:3306/test" ]; then
  # Databases left behind by interrupted test runs.
  mariadb -uroot -h127.0.0.1 -N -e "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'hd\\_t\\_%'" \
    | while read -r db; do mariadb -uroot -h127.0.0.1 -e "DROP DATABASE \`$db\`"; done || true
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (server side, and the two WASM crates for wasm32)"
cargo clippy --all-targets -- -D warnings
cargo clippy -p frontend -p widget-wasm --target wasm32-unknown-unknown -- -D warnings

step "the dashboard's WASM must not pull server-only crates"
for crate in domain sea-orm sqlx tokio argon2 jsonwebtoken; do
  if cargo tree -p app --no-default-features --features hydrate --target wasm32-unknown-unknown -e normal -i "$crate" 2>/dev/null | grep -q .; then
    echo "app with hydrate depends on $crate" >&2
    exit 1
  fi
done

step "the fuzz targets build (they run with scripts/fuzz.sh)"
cargo check --manifest-path fuzz/Cargo.toml --bins

step "cargo test (SQLite${HELPDESK_TEST_MYSQL_URL:+ and MySQL})"
# Without a MySQL the mysql:: tests are skipped by name (they would fail, never pass, if run without one).
skip=()
[ -n "${HELPDESK_TEST_MYSQL_URL:-}" ] || skip=(-- --skip mysql::)
timeout 1500 cargo test "${skip[@]}" 2>&1 | tee "$logs/cargo-test.log"
mysql_ran=$(grep -cE '^test mysql::.* \.\.\. ok$' "$logs/cargo-test.log" || true)
sqlite_ran=$(grep -cE '^test sqlite::.* \.\.\. ok$' "$logs/cargo-test.log" || true)
echo "database tests passed: $sqlite_ran on SQLite, $mysql_ran on MySQL/MariaDB"
if [ -n "${HELPDESK_TEST_MYSQL_URL:-}" ] && { [ "$mysql_ran" -eq 0 ] || [ "$mysql_ran" -ne "$sqlite_ran" ]; }; then
  echo "expected every database test to run on MySQL too" >&2
  exit 1
fi
[ -n "${HELPDESK_TEST_MYSQL_URL:-}" ] || echo "skipped: the mysql:: tests (no MySQL/MariaDB)"

step "release build (scripts/build.sh, no cargo-leptos)"
scripts/build.sh

step "the release build's site is the one cargo-leptos makes"
scripts/site-check.sh

step "the release archive (scripts/package.sh) starts from an empty directory with no toolchain"
scripts/package-check.sh

step "widget and dashboard size budgets"
scripts/check-widget-size.sh
scripts/check-dashboard-size.sh

step "browser tests (Playwright + Chromium)"
(cd end2end && npx playwright test) 2>&1 | tee "$logs/e2e.log"

step "the deployment of docs/deploy.md: nginx with TLS in front of two nodes on MariaDB and Redis"
if [ -n "${HELPDESK_TEST_MYSQL_URL:-}" ]; then
  scripts/deploy-check.sh 2>&1 | tee "$logs/deploy.log"
else
  echo "skipped: the deployment check (no MySQL/MariaDB)"
fi

step "the development loop (scripts/dev.sh) serves the dashboard and the widget"
scripts/dev-smoke.sh

rust_passed=$(grep -oE 'test result: ok\. [0-9]+ passed' "$logs/cargo-test.log" | awk '{s += $4} END {print s + 0}')
e2e_passed=$(cat "$logs/e2e.log" "$logs/deploy.log" 2>/dev/null | grep -oE '^ +[0-9]+ passed' | awk '{s += $1} END {print s + 0}')
echo
echo "$((rust_passed + e2e_passed)) passed, 0 failed"
