#!/usr/bin/env bash
# Start PostgreSQL + unleash-server 8.2.0 on 127.0.0.1 for the Unleash flag
# provider tests. Idempotent: installs what is missing, reuses the npm cache.
# Prints `export FLIGHTDECK_UNLEASH_URL=... FLIGHTDECK_UNLEASH_TOKEN=...` lines
# (and FLIGHTDECK_UNLEASH_STATE_DIR for scripts/stop-unleash.sh) on stdout;
# progress goes to stderr. Usage: eval "$(scripts/start-unleash.sh)"
# A fresh database per start (INIT_*_API_TOKENS only apply to an empty token table).
set -euo pipefail

CACHE=${FLIGHTDECK_UNLEASH_CACHE:-/var/cache/flightdeck/unleash}
VERSION=8.2.0
log() { echo "start-unleash: $*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  log "installing postgresql"
  apt-get install -y postgresql >&2 || { apt-get update >&2 && apt-get install -y postgresql >&2; }
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)

if [ ! -f "$CACHE/node_modules/unleash-server/dist/server.js" ]; then
  log "npm install unleash-server@$VERSION into $CACHE (about 40 s)"
  mkdir -p "$CACHE"
  (cd "$CACHE" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
    && npm install "unleash-server@$VERSION" --no-audit --no-fund >&2)
fi

T=$(mktemp -d /tmp/flightdeck-unleash.XXXXXX)
chmod 755 "$T"
mkdir -p "$T/pg" && chown postgres "$T/pg"
PGPORT=$(free_port)
log "PostgreSQL cluster in $T/pg on 127.0.0.1:$PGPORT"
su postgres -c "$PGBIN/initdb -D $T/pg/data -U postgres --auth=trust --no-locale -E UTF8" >/dev/null
su postgres -c "$PGBIN/pg_ctl -D $T/pg/data -l $T/pg/log -o '-c listen_addresses=127.0.0.1 -p $PGPORT -k $T/pg' -w start" >/dev/null
echo "$PGBIN" > "$T/pgbin"
psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE USER unleash PASSWORD 'unleash'" -c "CREATE DATABASE unleash OWNER unleash" >/dev/null

PORT=$(free_port)
TOKEN='*:*.admin-secret'
log "unleash-server on 127.0.0.1:$PORT"
# Started directly (not in a subshell or `&&` list) so that $! is node's own PID.
cd "$CACHE"
DATABASE_URL="postgres://unleash:unleash@127.0.0.1:$PGPORT/unleash" DATABASE_SSL=false \
  HTTP_HOST=127.0.0.1 HTTP_PORT=$PORT INIT_ADMIN_API_TOKENS="$TOKEN" \
  INIT_CLIENT_API_TOKENS='*:development.client-secret' CHECK_VERSION=false SEND_TELEMETRY=false LOG_LEVEL=warn \
  node node_modules/unleash-server/dist/server.js >"$T/unleash.log" 2>&1 </dev/null &
echo $! > "$T/unleash.pid"
cd - >/dev/null

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
    log "ready"
    echo "export FLIGHTDECK_UNLEASH_URL=http://127.0.0.1:$PORT"
    echo "export FLIGHTDECK_UNLEASH_TOKEN='$TOKEN'"
    echo "export FLIGHTDECK_UNLEASH_STATE_DIR=$T"
    exit 0
  fi
  if ! kill -0 "$(cat "$T/unleash.pid")" 2>/dev/null; then
    log "unleash-server exited; log:"; tail -n 30 "$T/unleash.log" >&2; exit 1
  fi
  sleep 0.5
done
log "unleash-server did not answer /health within 60 s; log:"; tail -n 30 "$T/unleash.log" >&2
exit 1
