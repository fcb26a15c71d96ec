#!/usr/bin/env bash
# History store figures (not a test): index N synthetic finished runs one
# by one into SQLite, a catch-up with nothing to do, a rebuild from the
# journals, the run list, the context a run is handed at its start, and
# calibrate. Usage: scripts/bench-history.sh [RUNS]   (default 1000)
# BENCH_PROFILE=dev skips the release build (slower figures, same shape).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-1000}"
PROFILE=(--release)
[ "${BENCH_PROFILE:-release}" = dev ] && PROFILE=()
FLIGHTDECK_BENCH_RUNS="$RUNS" cargo test "${PROFILE[@]}" --test history_store \
  bench_index_catch_up_rebuild_and_queries -- --ignored --nocapture 2>&1 \
  | grep -E '^[0-9]+ runs|test result'
