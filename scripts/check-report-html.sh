#!/usr/bin/env bash
# Look at report.html in a real browser: Debian's chromium, headless, takes
# screenshots of a run's report at desktop (1280 px) and phone (390 px)
# widths, and keeps them beside the report as artefacts of the check:
#   <run dir>/report-html-check/desktop.png, phone.png, dom.html
# The DOM chromium built is kept too: it shows that the page rendered with
# its stylesheet (the CSP allows it by hash) and nothing else.
#
# Usage: scripts/check-report-html.sh [RUN_DIR]
#   without RUN_DIR, a quick headless degraded demo is run first (in a temp
#   state dir) and its report is checked.
# Installs chromium (Debian, without recommends) when it is missing. The
# browser runs with networking limited to nothing the page could ask for:
# the page itself loads nothing (CSP default-src 'none').
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "check-report-html: $*" >&2; }

CHROMIUM="${FLIGHTDECK_CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  log "installing chromium"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium \
    || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium; }
  CHROMIUM="$(command -v chromium)"
fi
"$CHROMIUM" --version >&2

RUN_DIR="${1:-}"
if [ -z "$RUN_DIR" ]; then
  STATE="$(mktemp -d)"
  log "no run dir given: running the quick degraded demo in $STATE"
  cargo run --quiet -- demo --headless --quick --scenario degraded --state-dir "$STATE" || true
  RUN_DIR="$(ls -d "$STATE"/runs/* | head -n 1)"
fi
REPORT="$(cd "$RUN_DIR" && pwd)/report.html"
[ -f "$REPORT" ] || { log "no report.html in $RUN_DIR"; exit 2; }
OUT="$RUN_DIR/report-html-check"
mkdir -p "$OUT"
PROFILE="$(mktemp -d)"
trap 'rm -rf "$PROFILE"' EXIT

shoot() {
  local name="$1" size="$2"
  # --no-sandbox: the check may run as root in a container.
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$PROFILE" --no-first-run --disable-background-networking \
    --window-size="$size" --screenshot="$OUT/$name.png" "file://$REPORT" >/dev/null 2>&1
  log "$name ($size): $OUT/$name.png"
}

# Tall windows: the screenshot shows the whole top of the page, the
# decision, points lost, timeline and the first charts.
shoot desktop 1280,2400
shoot phone 390,2400
timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$PROFILE" \
  --no-first-run --disable-background-networking --dump-dom "file://$REPORT" > "$OUT/dom.html" 2>/dev/null
log "dom: $OUT/dom.html"
echo "$OUT"
