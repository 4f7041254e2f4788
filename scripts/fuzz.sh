#!/usr/bin/env bash
# Fuzzes what the server parses from strangers, each target for a bounded time (default 60 s; `scripts/fuzz.sh 600`
# for ten minutes): socket frames (`protocol_decoder`) and business hours (`business_hours`). Uses the nightly
# toolchain and cargo-fuzz (installed from crates.io if missing). Seeds are in fuzz/seeds/<target>; what libFuzzer
# learns goes to fuzz/corpus/<target> (not committed). A crash leaves its input in fuzz/artifacts/<target> and fails
# the run: turn that input into a test beside the code it broke, then fix the code.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

seconds=${1:-60}
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "the nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
# The fuzz workspace builds in its own target directory: sanitizer flags would rebuild the main one.
export CARGO_TARGET_DIR="$HOME/.cache/helpdesk/fuzz-target"
status=0
for target in protocol_decoder business_hours; do
  mkdir -p "fuzz/corpus/$target"
  echo "==> $target for ${seconds}s"
  if ! cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -max_len=4096 -print_final_stats=1; then
    echo "FAIL: $target crashed; the input is in fuzz/artifacts/$target" >&2
    status=1
  fi
done
exit $status
