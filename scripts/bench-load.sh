#!/usr/bin/env bash
# Benchmark (not a test): Flightdeck's load engine beside wrk (and oha, and
# wrk2, when installed) against one nginx worker on 127.0.0.1, interleaved
# rounds, server and generator pinned to different cores. Four parts:
#
#  1. throughput, closed model: req/s and requests per generator CPU-second
#     (user+sys from /usr/bin/time), peak RSS, ratios against wrk;
#  2. fixed rate, open model: corrected p50/p99 (from the intended send
#     time) beside oha's `--latency-correction` and wrk2's, and the ratio;
#  3. a rate the box cannot sustain: the verdict must be inconclusive, with
#     the send lag shown;
#  4. with -m: peak RSS of a 120 s run against a 10 s run at 1000/s;
#  5. when Locust is found (FLIGHTDECK_LOCUST or PATH): the built-in engine
#     beside Locust (1 master, 2 workers, all pinned to the same generator
#     core), requests per generator CPU-second for each, and the overhead of
#     the Locust master and of Flightdeck's aggregation in CPU-seconds per
#     million requests. -l runs part 5 alone.
#
#   scripts/bench-load.sh [-c CONNECTIONS] [-d SECONDS] [-r ROUNDS] [-q RATE] [-m] [-l]
#
# Traffic goes only to 127.0.0.1; every run is bounded by its duration.
# nginx runs from a temp prefix and is stopped on exit. oha is optional
# (`cargo install oha --locked` is slow); wrk2 is used when on PATH.
# The machine may be shared: compare req/CPU-s rather than req/s, and the
# medians over rounds rather than any one round.
set -euo pipefail

CONNS=16 DUR=5 ROUNDS=3 RATE=2000 MEM=0 LOCUST_ONLY=0
while getopts "c:d:r:q:ml" o; do
  case $o in c) CONNS=$OPTARG ;; d) DUR=$OPTARG ;; r) ROUNDS=$OPTARG ;; q) RATE=$OPTARG ;; m) MEM=1 ;; l) LOCUST_ONLY=1 ;; *) exit 2 ;; esac
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
# BENCH_PROFILE=dev measures the debug build (no release build needed).
if [ "${BENCH_PROFILE:-release}" = dev ]; then
  cargo build --quiet --bin flightdeck
  FD=("${CARGO_TARGET_DIR:-target}/debug/flightdeck" load)
else
  cargo build --release --quiet --bin flightdeck
  FD=("${CARGO_TARGET_DIR:-target}/release/flightdeck" load)
fi
HAVE_OHA=0; command -v oha >/dev/null && HAVE_OHA=1
HAVE_WRK2=0; command -v wrk2 >/dev/null && HAVE_WRK2=1

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

if [ "$LOCUST_ONLY" = 0 ]; then
echo "== 1. throughput: nginx 1 worker on $URL, $CONNS connections, ${DUR}s, $ROUNDS rounds, generator pinned: ${PIN_GEN[*]:-no}"
printf '%-6s %-11s %12s %10s %16s %10s\n' round tool req/s cpu-s req/cpu-s rss-MB
RESULTS="$TMP/results"
for r in $(seq "$ROUNDS"); do
  lines=()
  # The order rotates per round, so that no tool always runs first.
  order=(wrk flightdeck oha)
  for ((i = 0; i < r - 1; i++)); do order=("${order[@]:1}" "${order[0]}"); done
  for tool in "${order[@]}"; do
    case $tool in
      wrk) lines+=("$(run wrk wrk -t1 -c"$CONNS" -d"${DUR}s" "$URL")") ;;
      flightdeck) lines+=("$(run flightdeck "${FD[@]}" "$URL" -c "$CONNS" -z "${DUR}s" --output json)") ;;
      oha) [ "$HAVE_OHA" = 1 ] && lines+=("$(run oha oha --no-tui -c "$CONNS" -z "${DUR}s" --output-format json "$URL")") ;;
    esac
  done
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

echo
echo "== 2. fixed rate: $RATE/s for ${DUR}s, up to $CONNS connections, $ROUNDS rounds; latency from the intended send time (ms)"
LAT="$TMP/latency"
for r in $(seq "$ROUNDS"); do
  "${PIN_GEN[@]}" "${FD[@]}" "$URL" -q "$RATE" --max-connections "$CONNS" -z "${DUR}s" --output json >"$TMP/fdq.json" 2>/dev/null || true
  python3 - "$TMP/fdq.json" "$r" >>"$LAT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
l, u = d["latencyPercentiles"], d["uncorrectedLatencyPercentiles"]
print(sys.argv[2], "flightdeck", l["p50"] * 1e3, l["p99"] * 1e3, u["p99"] * 1e3, d["scheduleLag"]["p99Ms"], d["summary"]["requestsPerSec"])
PY
  if [ "$HAVE_OHA" = 1 ]; then
    "${PIN_GEN[@]}" oha --no-tui -q "$RATE" --latency-correction -c "$CONNS" -z "${DUR}s" --output-format json "$URL" >"$TMP/ohaq.json" 2>/dev/null || true
    python3 - "$TMP/ohaq.json" "$r" >>"$LAT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
l = d["latencyPercentiles"]
print(sys.argv[2], "oha", l["p50"] * 1e3, l["p99"] * 1e3, "nan", "nan", d["summary"]["requestsPerSec"])
PY
  fi
  if [ "$HAVE_WRK2" = 1 ]; then
    "${PIN_GEN[@]}" wrk2 -t1 -c"$CONNS" -d"${DUR}s" -R"$RATE" --latency "$URL" >"$TMP/wrk2.out" 2>/dev/null || true
    python3 - "$TMP/wrk2.out" "$r" >>"$LAT" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(q):
    m = re.search(rf"^\s*{q}%\s+([\d.]+)(us|ms|s)\b", t, re.M)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
print(sys.argv[2], "wrk2", ms("50.000"), ms("99.000"), "nan", "nan", rps.group(1) if rps else "nan")
PY
  fi
done
python3 - "$LAT" <<'PY'
import sys, math, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
print(f"{'round':<6} {'tool':<11} {'p50':>8} {'p99':>8} {'p99-uncorr':>11} {'lag-p99':>8} {'req/s':>8}")
by = {}
for r, n, p50, p99, up99, lag, rps in rows:
    v = [float(x) for x in (p50, p99, up99, lag, rps)]
    by.setdefault(n, []).append(v)
    print(f"{r:<6} {n:<11} " + " ".join(f"{x:{w}.3f}" if not math.isnan(x) else f"{'-':>{w}}" for x, w in zip(v, (8, 8, 11, 8, 8))))
med = {n: [st.median(r[i] for r in v) for i in range(5)] for n, v in by.items()}
print("medians")
for n, v in med.items():
    print(f"{'':<6} {n:<11} " + " ".join(f"{x:{w}.3f}" if not math.isnan(x) else f"{'-':>{w}}" for x, w in zip(v, (8, 8, 11, 8, 8))))
for ref in ("oha", "wrk2"):
    if ref in med and "flightdeck" in med and med[ref][1] > 0:
        print(f"flightdeck/{ref} corrected p99: x{med['flightdeck'][1] / med[ref][1]:.2f} (target <= 1.20)")
PY

echo
echo "== 3. a rate this box cannot sustain (200000/s, 2 connections, 2 s): expect inconclusive with the lag shown"
"${PIN_GEN[@]}" "${FD[@]}" "$URL" -q 200000 --max-rate 250000 --max-connections 2 -z 2s --output json >"$TMP/sat.json" 2>/dev/null || true
python3 - "$TMP/sat.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"verdict {d['verdict']}: {d['verdictLine']}")
print(f"schedule lag p99 {d['scheduleLag']['p99Ms']} ms, saturated windows {d['saturatedWindows']}")
if d["verdict"] != "inconclusive":
    print("UNEXPECTED: a saturated run must be inconclusive")
PY

if [ "$MEM" = 1 ]; then
  echo
  echo "== 4. peak RSS at 1000/s: 10 s against 120 s (about 2 minutes)"
  for d in 10 120; do
    /usr/bin/time -f "%M" -o "$TMP/rss$d" "${PIN_GEN[@]}" "${FD[@]}" "$URL" -q 1000 -z "${d}s" --output json >"$TMP/rss$d.json" 2>/dev/null || true
  done
  python3 - "$TMP/rss10" "$TMP/rss120" <<'PY'
import sys
a, b = (int(open(p).read().split()[-1]) for p in sys.argv[1:3])
print(f"10 s: {a} KB, 120 s: {b} KB, growth {100 * (b - a) / a:+.1f}% (target within 10%)")
PY
fi
fi

LOCUST_BIN="${FLIGHTDECK_LOCUST:-$(command -v locust || true)}"
if [ -n "$LOCUST_BIN" ] && [ -x "$LOCUST_BIN" ]; then
  export FLIGHTDECK_LOCUST="$LOCUST_BIN"
  echo
  echo "== 5. built-in engine vs Locust (1 master + 2 workers): $CONNS connections/users, ${DUR}s, $ROUNDS rounds, all pinned: ${PIN_GEN[*]:-no}"
  # CPU of each Locust process is sampled from /proc until it exits (the
  # master and workers are told apart by their command line); Flightdeck's
  # own share is its total (which includes its reaped children) minus theirs.
  cat >"$TMP/sample.py" <<'PY'
import os, sys, time, json
pid = int(sys.argv[1]); tag = f"flightdeck-locust-{pid}-"; tck = os.sysconf("SC_CLK_TCK")
# `locust --version` (Flightdeck's check before a run) is Locust start-up,
# not aggregation: it is counted apart.
def children(p):
    try:
        return open(f"/proc/{p}/task/{p}/children").read().split()
    except OSError:
        return []
seen = {}
def alive(p):
    try:
        return open(f"/proc/{p}/stat").read().split()[2] != "Z"
    except OSError:
        return False
while alive(pid):
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            cmd = open(f"/proc/{d}/cmdline", "rb").read().replace(b"\0", b" ").decode()
            if tag not in cmd and not (cmd.rstrip().endswith("--version") and d in children(pid)):
                continue
            f = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
            cpu = (int(f[11]) + int(f[12])) / tck
            role = "worker" if " --worker" in cmd else "check" if cmd.rstrip().endswith("--version") else "master"
            seen[d] = (role, cpu)
        except OSError:
            pass
    time.sleep(0.1)
out = {"master": 0.0, "worker": 0.0, "check": 0.0}
for role, cpu in seen.values():
    out[role] += cpu
print(json.dumps(out))
PY
  LRES="$TMP/locust-results"
  for r in $(seq "$ROUNDS"); do
    for eng in builtin locust; do
      extra=(); [ "$eng" = locust ] && extra=(--engine locust --workers 2)
      /usr/bin/time -f "%U %S" -o "$TMP/$eng.time" "${PIN_GEN[@]}" "${FD[@]}" "$URL" -c "$CONNS" -z "${DUR}s" "${extra[@]}" --output json >"$TMP/$eng.json" 2>"$TMP/$eng.err" &
      tpid=$!
      sleep 0.05
      fdpid=$(cat "/proc/$tpid/task/$tpid/children" 2>/dev/null | awk '{print $1}')
      if [ -n "$fdpid" ] && [ "$eng" = locust ]; then python3 "$TMP/sample.py" "$fdpid" >"$TMP/$eng.cpu"; else echo '{"master": 0, "worker": 0}' >"$TMP/$eng.cpu"; fi
      wait "$tpid" || true
      python3 - "$TMP/$eng.json" "$TMP/$eng.time" "$TMP/$eng.cpu" "$eng" "$r" >>"$LRES" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); u, s = open(sys.argv[2]).read().split()[-2:]
cpu = json.load(open(sys.argv[3])); total = float(u) + float(s)
n = d["flightdeck"]["requests"]
fd_self = total - cpu["master"] - cpu["worker"] - cpu.get("check", 0.0)
gen = cpu["worker"] if sys.argv[4] == "locust" else total
print(sys.argv[5], sys.argv[4], n, total, gen, cpu["master"], fd_self)
PY
    done
  done
  python3 - "$LRES" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
print(f"{'round':<6} {'engine':<8} {'requests':>9} {'cpu-s':>7} {'gen-cpu-s':>9} {'req/gen-cpu-s':>14} {'master-cpu-s':>12} {'fd-cpu-s':>9}")
by = {}
for r, e, n, tot, gen, mst, fd in rows:
    n, tot, gen, mst, fd = int(n), float(tot), float(gen), float(mst), float(fd)
    by.setdefault(e, []).append((n, gen, mst, fd))
    print(f"{r:<6} {e:<8} {n:>9} {tot:>7.2f} {gen:>9.2f} {n / max(gen, 1e-9):>14.0f} {mst:>12.2f} {fd:>9.2f}")
print("medians")
for e, v in by.items():
    eff = st.median(n / max(g, 1e-9) for n, g, _, _ in v)
    line = f"{e:<8} requests per generator CPU-second {eff:.0f}"
    if e == "locust":
        m = st.median(1e6 * mst / max(n, 1) for n, _, mst, _ in v)
        f = st.median(1e6 * fd / max(n, 1) for n, _, _, fd in v)
        line += f"; overhead per million requests: master {m:.1f} CPU-s, Flightdeck aggregation {f:.1f} CPU-s"
    print(line)
PY
else
  echo
  echo "== 5. skipped: no Locust (set FLIGHTDECK_LOCUST or put locust on PATH; scripts/test installs it)"
fi
