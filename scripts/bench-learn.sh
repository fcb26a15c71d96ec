#!/usr/bin/env bash
# Benchmark of `flightdeck load learn` (not a test): generates a synthetic
# combined-format access log of SIZE_MB (default 1024) in a temp dir, then
# learns from it (plain, and gzipped with -z) and prints the wall time,
# throughput and peak RSS (/usr/bin/time). The issue asks for >= 1 GB in
# under a minute with flat memory: compare the peak RSS of a 100 MB run with
# the full one.
#   scripts/bench-learn.sh [SIZE_MB] [-z]
# BENCH_PROFILE=dev uses the debug build (much slower).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB="${1:-1024}"
GZ="${2:-}"
PROFILE="${BENCH_PROFILE:-release}"
if [ "$PROFILE" = release ]; then
  cargo build --release --quiet
  BIN="${CARGO_TARGET_DIR:-target}/release/flightdeck"
else
  cargo build --quiet
  BIN="${CARGO_TARGET_DIR:-target}/debug/flightdeck"
fi
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT

# A 1 MB chunk of varied lines (ids, UUID-ish tokens, statuses, statics,
# a malformed line now and then), repeated to the size wanted.
python3 - "$T/chunk.log" <<'PY'
import random, sys
random.seed(7)
paths = ["/api/users/{n}", "/api/users/{n}/orders", "/api/orders/{u}", "/search?q=shoes&page={p}",
         "/api/cart", "/static/app.{n}.js", "/img/{n}.png", "/api/products/{n}?ref=mail&email=a{n}%40x.com",
         "/healthz", "/api/v2/items/{h}"]
out = []
size = 0
i = 0
while size < 1 << 20:
    t = random.choice(paths).format(n=random.randint(1, 10**6), u="%08x-1234-4abc-8def-%012x" % (i, i),
                                    p=i % 9, h="%040x" % (i * 2654435761))
    m = "POST" if t == "/api/cart" else "GET"
    st = random.choice([200] * 18 + [404, 500])
    line = '10.%d.%d.%d - - [06/Dec/2026:%02d:%02d:%02d +0000] "%s %s HTTP/1.1" %d %d "-" "Mozilla/5.0 (bench)"\n' % (
        i % 256, (i >> 8) % 256, (i >> 16) % 256, (i // 3600) % 24, (i // 60) % 60, i % 60, m, t, st, random.randint(100, 9000))
    if i % 5000 == 4999:
        line = "garbage line %d\n" % i
    out.append(line)
    size += len(line)
    i += 1
open(sys.argv[1], "w").write("".join(out))
PY
LOG="$T/access.log"
for _ in $(seq 1 "$SIZE_MB"); do cat "$T/chunk.log"; done > "$LOG"
BYTES=$(stat -c %s "$LOG")
run() {
  local file="$1" label="$2"
  /usr/bin/time -f "%e %M" -o "$T/time" "$BIN" load learn "$file" --output json > "$T/out.json"
  read -r secs rss < "$T/time"
  local lines
  lines=$(python3 -c "import json;d=json.load(open('$T/out.json'));print(d['lines'], d['requests'], d['unmatched'], len(d['templates']), round(d['coverage']*100,1))")
  python3 - "$label" "$BYTES" "$secs" "$rss" "$lines" <<'PY'
import sys
label, size, secs, rss, figs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split()
print(f"{label}: {size/1e6:.0f} MB (uncompressed), {figs[0]} lines ({figs[2]} unmatched), "
      f"{figs[3]} templates, coverage {figs[4]}%: {secs:.1f} s, {size/1e6/max(secs,1e-9):.0f} MB/s, peak RSS {rss/1024:.1f} MB")
PY
}
head -c $((100 * 1024 * 1024)) "$LOG" > "$T/small.log"
SMALL_BYTES=$BYTES; BYTES=$(stat -c %s "$T/small.log")
run "$T/small.log" "100 MB plain"
BYTES=$SMALL_BYTES
run "$LOG" "full plain"
if [ "$GZ" = "-z" ]; then
  gzip -1 -c "$LOG" > "$LOG.gz"
  run "$LOG.gz" "full .gz"
fi
