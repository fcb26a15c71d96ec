#!/usr/bin/env bash
# A/A calibration trials (not a test): the same check as
# tests/load_calibration.rs with many more trials. It calibrates the demo
# target with known injected noise (uniform 0..20 ms per response), then
# runs N trials of an injected regression of twice the detectable threshold
# and N of half of it, and prints how often each was flagged.
# Usage: scripts/bench-calibration.sh [TRIALS]   (default 20; ~7 s per trial)
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS="${1:-20}"
echo "bench-calibration: $TRIALS trials per size" >&2
FLIGHTDECK_AA_TRIALS="$TRIALS" cargo test --test load_calibration -- --nocapture 2>&1 \
  | grep -E '^(A/A|A p95|B p95|  trial|injected|test result)'
