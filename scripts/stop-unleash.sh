#!/usr/bin/env bash
# Stop what scripts/start-unleash.sh started, by PID, and remove its temp dir.
# Usage: scripts/stop-unleash.sh [STATE_DIR]  (default $FLIGHTDECK_UNLEASH_STATE_DIR)
set -euo pipefail
T=${1:-${FLIGHTDECK_UNLEASH_STATE_DIR:?pass the state dir or set FLIGHTDECK_UNLEASH_STATE_DIR}}
case "$T" in /tmp/flightdeck-unleash.*) ;; *) echo "stop-unleash: refusing $T" >&2; exit 2;; esac
if [ -f "$T/unleash.pid" ]; then
  PID=$(cat "$T/unleash.pid")
  kill "$PID" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$PID" 2>/dev/null || break; sleep 0.25; done
fi
if [ -f "$T/pgbin" ] && [ -d "$T/pg/data" ]; then
  su postgres -c "$(cat "$T/pgbin")/pg_ctl -D $T/pg/data -m fast -w stop" >/dev/null 2>&1 || true
fi
rm -rf "$T"
echo "stop-unleash: stopped ($T)" >&2
