#!/usr/bin/env bash
# Benchmark (not a test): Flightdeck's load engine beside wrk (and oha, when
# installed) against one nginx worker on 127.0.0.1, interleaved, same
# connections and duration. Prints req/s, requests per generator CPU-second
# (user+sys from /usr/bin/time), peak RSS, and ratios against wrk.
#
#   scripts/bench-load.sh [-c CONNECTIONS] [-d SECONDS] [-r ROUNDS]
#
# Traffic goes only to 127.0.0.1. nginx runs from a temp prefix and is
# stopped on exit. oha is optional (`cargo install oha --locked` is slow).
set -euo pipefail

CONNS=16 DUR=5 ROUNDS=3
while getopts "c:d:r:" o; do
  case $o in c) CONNS=$OPTARG ;; d) DUR=$OPTARG ;; r) ROUNDS=$OPTARG ;; *) exit 2 ;; esac
done
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get install -y "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# CPU 0 for nginx, the last CPU for the generator, when there are two or more.
NCPU=$(nproc)
if command -v taskset >/dev/null && [ "$NCPU" -ge 2 ]; then
  PIN_SERVER=(taskset -c 0); PIN_GEN=(taskset -c $((NCPU - 1)))
else
  PIN_SERVER=(); PIN_GEN=()
fi

TMP=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$TMP/logs"
cat > "$TMP/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$PORT;
    location / { return 200 "ok\n"; }
  }
}
CONF
"${PIN_SERVER[@]}" "$NGINX" -p "$TMP" -c "$TMP/nginx.conf" &
NGINX_PID=$!
trap 'kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT)).close()" 2>/dev/null && break
  sleep 0.1
done
URL="http://127.0.0.1:$PORT/"

# Our generator: the real subcommand.
cargo build --release --quiet --bin flightdeck
FD=("${CARGO_TARGET_DIR:-target}/release/flightdeck" load)
HAVE_OHA=0; command -v oha >/dev/null && HAVE_OHA=1

# run NAME CMD... -> prints "NAME rps cpu_s rss_kb"
run() {
  local name=$1; shift
  local out="$TMP/$name.out" tf="$TMP/$name.time"
  /usr/bin/time -f "%U %S %M" -o "$tf" "${PIN_GEN[@]}" "$@" >"$out" 2>"$TMP/$name.err" || true
  local rps
  case $name in
    wrk) rps=$(awk '/Requests\/sec/ {print $2}' "$out") ;;
    *) rps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["requestsPerSec"])' "$out") ;;
  esac
  read -r u s m < <(tail -1 "$tf")
  echo "$name $rps $(python3 -c "print($u + $s)") $m"
}

echo "nginx 1 worker on $URL, $CONNS connections, ${DUR}s, $ROUNDS rounds, generator pinned: ${PIN_GEN[*]:-no}"
printf '%-6s %-11s %12s %10s %16s %10s\n' round tool req/s cpu-s req/cpu-s rss-MB
RESULTS="$TMP/results"
for r in $(seq "$ROUNDS"); do
  lines=()
  lines+=("$(run wrk wrk -t1 -c"$CONNS" -d"${DUR}s" "$URL")")
  lines+=("$(run flightdeck "${FD[@]}" "$URL" -c "$CONNS" -z "${DUR}s" --output json)")
  if [ "$HAVE_OHA" = 1 ]; then
    lines+=("$(run oha oha --no-tui -c "$CONNS" -z "${DUR}s" --output-format json "$URL")")
  fi
  for l in "${lines[@]}"; do
    read -r name rps cpu rss <<<"$l"
    echo "$r $name $rps $cpu $rss" >>"$RESULTS"
    python3 -c "import sys; n,rps,cpu,rss=sys.argv[1],float(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4]); print(f'{sys.argv[5]:<6} {n:<11} {rps:12.0f} {cpu:10.2f} {rps*$DUR/max(cpu,1e-9):16.0f} {rss/1024:10.1f}')" "$name" "$rps" "$cpu" "$rss" "$r"
  done
done
python3 - "$RESULTS" "$DUR" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
dur = float(sys.argv[2])
by = {}
for r, name, rps, cpu, rss in rows:
    by.setdefault(name, []).append((float(rps), float(rps) * dur / max(float(cpu), 1e-9), int(rss)))
med = {n: (st.median(x[0] for x in v), st.median(x[1] for x in v), max(x[2] for x in v)) for n, v in by.items()}
print("\nmedians         req/s    req/cpu-s   peak-rss-MB")
for n, (rps, eff, rss) in med.items():
    print(f"{n:<11} {rps:10.0f} {eff:12.0f} {rss/1024:13.1f}")
if "wrk" in med:
    for n in med:
        if n != "wrk":
            print(f"{n}/wrk: req/s x{med[n][0]/med['wrk'][0]:.2f}, req per CPU-second x{med[n][1]/med['wrk'][1]:.2f}")
PY
