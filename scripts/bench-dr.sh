#!/usr/bin/env bash
# Benchmark (not a test): the four PostgreSQL backup/restore methods on a
# throwaway primary of ROWS accounts (default 1,000,000, plus half as many
# orders), one after another, with the heartbeat at 100 ms and 3 s of it
# between backup and disaster. Prints RTO, RPO, lost writes, backup size
# and time, and restore time per method.
#
#   scripts/bench-dr.sh               # 1M rows, debug build
#   ROWS=200000 scripts/bench-dr.sh
#   FLIGHTDECK=target/release/flightdeck scripts/bench-dr.sh
#
# Needs PostgreSQL (FLIGHTDECK_PGBIN or /usr/lib/postgresql/*/bin) and
# python3 (for the table). Everything runs on 127.0.0.1 in temp dirs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-1000000}"
FLIGHTDECK="${FLIGHTDECK:-${CARGO_TARGET_DIR:-target}/debug/flightdeck}"
if [ ! -x "$FLIGHTDECK" ]; then
  CARGO_INCREMENTAL=0 cargo build --bin flightdeck >&2
fi
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
for m in dump basebackup wal_archive wal_stream; do
  cat >> "$T/bench.toml" <<TOML
[[drill]]
name = "bench-$m"
kind = "pg_backup_restore"
timeout = "30m"
[drill.params]
method = "$m"
rows = $ROWS
run_after_backup = "3s"
disaster = "kill_group"
start_timeout = "10m"

TOML
done
echo "scripts/bench-dr.sh: $ROWS rows, methods dump basebackup wal_archive wal_stream ($FLIGHTDECK)" >&2
set +e
"$FLIGHTDECK" drill run "$T/bench.toml" --output json > "$T/out.json"
code=$?
set -e
python3 - "$T/out.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
def m(d, name):
    for x in d["measurements"]:
        if x["name"] == name:
            return x["value"]
    return None
def f(v, fmt):
    return "-" if v is None else fmt.format(v)
print(f"{'method':<12} {'verdict':<8} {'RTO s':>7} {'RPO s':>7} {'lost':>6} {'backup MB':>10} {'backup s':>9} {'restore s':>10}")
for d in doc["drills"]:
    print(f"{d['name'][6:]:<12} {str(d['verdict']):<8} {f(d.get('rto_s'), '{:.2f}'):>7} {f(m(d,'rpo_s'), '{:.2f}'):>7} "
          f"{f(m(d,'lost_writes'), '{:.0f}'):>6} {f((m(d,'backup_bytes') or 0)/1e6 if m(d,'backup_bytes') is not None else None, '{:.1f}'):>10} "
          f"{f(m(d,'backup_s'), '{:.2f}'):>9} {f(m(d,'restore_s'), '{:.2f}'):>10}")
    if d["verdict"] != "pass":
        print(f"  {d['summary']}")
PY
exit $code
