#!/usr/bin/env bash
# Benchmark of `flightdeck data copy` against the raw COPY pipe (not a test).
#
# Starts two throwaway PostgreSQL clusters on 127.0.0.1 (as the postgres
# account when root), loads a table (id, name, email, created) of -n rows
# (default 1,000,000) and one of 100,000 rows, then, interleaved for -r
# rounds (default 3):
#   raw:        psql -c 'COPY t TO STDOUT' | psql -c 'COPY t FROM STDIN'
#   flightdeck: flightdeck data copy --replace with hmac on name and email
# and prints rows/s of each (flightdeck: the table's COPY, and the whole
# command with schema, constraints and the pre-copy classification), their
# ratio, the peak RSS of flightdeck on the big table against the 100k one,
# and the leak scan's rows/s from `flightdeck data verify` (-r rounds).
#
#   scripts/bench-data.sh [-n ROWS] [-r ROUNDS] [-b path/to/flightdeck]
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=1000000
ROUNDS=3
BIN="${FLIGHTDECK_BIN:-target/release/flightdeck}"
while getopts "n:r:b:" o; do
  case $o in
    n) ROWS=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    b) BIN=$OPTARG ;;
    *) echo "usage: $0 [-n ROWS] [-r ROUNDS] [-b BIN]" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || { echo "no flightdeck binary at $BIN (cargo build --release, or -b PATH)" >&2; exit 2; }
PGBIN="${FLIGHTDECK_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)}"
T=$(mktemp -d /tmp/bench-data.XXXXXX)
chmod 755 "$T"
AS=()
if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); chown postgres "$T"; fi
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(port); P2=$(port)
start() { # dir port
  "${AS[@]}" "$PGBIN/initdb" -D "$T/$1" -U postgres --auth=trust --no-locale -E UTF8 >/dev/null
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$T/$1" -l "$T/$1.log" -o "-c listen_addresses=127.0.0.1 -p $2 -k $T -c fsync=off -c synchronous_commit=off" -w start >/dev/null
}
stop() { "${AS[@]}" "$PGBIN/pg_ctl" -D "$T/$1" -m immediate -w stop >/dev/null 2>&1 || true; }
trap 'stop src; stop tgt; rm -rf "$T"' EXIT
start src "$P1"; start tgt "$P2"
export PGOPTIONS="-c client_min_messages=warning"
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres"
for db in big small; do
  n=$ROWS; [ $db = small ] && n=100000
  $PSQL -p "$P1" -d postgres -c "CREATE DATABASE $db"
  $PSQL -p "$P2" -d postgres -c "CREATE DATABASE $db"
  $PSQL -p "$P1" -d $db -c "CREATE TABLE t (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL, created timestamptz NOT NULL);
    INSERT INTO t SELECT i, 'Name ' || i, 'user' || i || '@corp-mail.io', timestamptz '2024-01-01' + i * interval '1 second' FROM generate_series(1, $n) i; ANALYZE t;"
done
cat > "$T/rules.toml" <<'RULES'
hmac_key = { env = "BENCH_DATA_KEY" }
jobs = 2
[[rules]]
column = "public.t.name"
transformer = "hmac"
[[rules]]
column = "public.t.email"
transformer = "hmac"
RULES
export BENCH_DATA_KEY=bench-key SRC_BIG="postgres://postgres@127.0.0.1:$P1/big" TGT_BIG="postgres://postgres@127.0.0.1:$P2/big"
export SRC_SMALL="postgres://postgres@127.0.0.1:$P1/small" TGT_SMALL="postgres://postgres@127.0.0.1:$P2/small"
# Peak RSS (KiB) and wall seconds of a command; its stdout goes to $T/out.json.
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.time()
with open(sys.argv[1], "w") as out:
    r = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
print(f"{time.time() - t:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {r.returncode}")
PY
}
copy_fd() { measure "$T/out.json" "$BIN" data copy --source-env "SRC_$1" --target-env "TGT_$1" --rules "$T/rules.toml" --replace --output json; }
table_rate() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(round(d["tables"][0]["rows_per_sec"]))' "$T/out.json"; }
echo "rows=$ROWS rounds=$ROUNDS bin=$BIN"
raw_rates=(); fd_rates=(); fd_total=()
$PSQL -p "$P2" -d big -c "CREATE TABLE IF NOT EXISTS t (id bigint, name text, email text, created timestamptz)"
for r in $(seq 1 "$ROUNDS"); do
  $PSQL -p "$P2" -d big -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE TABLE t (id bigint, name text, email text, created timestamptz)"
  s=$(date +%s.%N)
  $PSQL -p "$P1" -d big -c "COPY t TO STDOUT" | $PSQL -p "$P2" -d big -c "COPY t FROM STDIN"
  e=$(date +%s.%N)
  raw=$(python3 -c "print(round($ROWS / ($e - $s)))")
  read -r wall rss rc < <(copy_fd BIG)
  [ "$rc" = 0 ] || { echo "flightdeck data copy failed (exit $rc)" >&2; exit 1; }
  fd=$(table_rate)
  tot=$(python3 -c "print(round($ROWS / $wall))")
  echo "round $r: raw pipe $raw rows/s | flightdeck table COPY $fd rows/s, whole command $tot rows/s (${wall}s) | ratio $(python3 -c "print(round($fd / $raw, 2))")x (whole $(python3 -c "print(round($tot / $raw, 2))")x) | peak RSS ${rss} KiB"
  raw_rates+=("$raw"); fd_rates+=("$fd"); fd_total+=("$tot"); big_rss=$rss
done
read -r _ small_rss _ < <(copy_fd SMALL)
read -r _ big_rss _ < <(copy_fd BIG)
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median: raw $(med "${raw_rates[@]}") rows/s, flightdeck table $(med "${fd_rates[@]}") rows/s ($(python3 -c "print(round($(med "${fd_rates[@]}") / $(med "${raw_rates[@]}"), 2))")x), whole command $(med "${fd_total[@]}") rows/s"
echo "peak RSS: $ROWS rows ${big_rss} KiB, 100000 rows ${small_rss} KiB ($(python3 -c "print(f'{($big_rss - $small_rss) / $small_rss * 100:+.1f}%')"))"
# The leak scan, as many rounds: its rows/s is the target scan's own time
# (the source values are hashed before it starts).
scan_rates=()
for r in $(seq 1 "$ROUNDS"); do
  measure "$T/verify.json" "$BIN" data verify --source-env SRC_BIG --target-env TGT_BIG --rules "$T/rules.toml" --output json >/dev/null || true
  line=$(python3 - "$T/verify.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["leak"]
print(round(d['rows'] / d['seconds']), f"{d['rows']} rows, {d['values']} values, {d['source_values']} source values hashed, "
      f"{d['seconds']:.2f}s = {d['rows'] / d['seconds']:.0f} rows/s ({d['values'] / d['seconds']:.0f} values/s), "
      f"{len(d['findings'])} findings")
PY
)
  echo "leak scan round $r: ${line#* }"
  scan_rates+=("${line%% *}")
done
echo "leak scan: median $(med "${scan_rates[@]}") rows/s, slowest $(printf '%s\n' "${scan_rates[@]}" | sort -n | head -n 1) rows/s over $ROUNDS rounds"
