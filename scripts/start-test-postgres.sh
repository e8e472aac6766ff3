#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the tests and print its SQLAlchemy URL on stdout.
#
#   export JINPAI_TEST_POSTGRES_URL="$(scripts/start-test-postgres.sh)"
#
# Idempotent: when the server is already up it only makes sure the database exists. The cluster
# lives in its own data directory (default /tmp/jinpai-test-pg) with trust auth on loopback only,
# so it never touches a system cluster. Installs Debian's postgresql package when the server
# binaries are missing and we are root. Everything but the URL goes to stderr.
set -euo pipefail

PORT="${JINPAI_TEST_PG_PORT:-54329}"
DATA="${JINPAI_TEST_PG_DATA:-/tmp/jinpai-test-pg}"
DB="${JINPAI_TEST_PG_DB:-jinpai_test}"

log() { echo "start-test-postgres: $*" >&2; }

find_bin() {
  # The newest installed major version (Debian keeps them under /usr/lib/postgresql/N/bin).
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/pg_ctl" ]]; then
    echo "$dir"
  elif command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  fi
}

BIN="$(find_bin)"
if [[ -z "$BIN" ]]; then
  if [[ "$(id -u)" != 0 ]]; then
    log "PostgreSQL server binaries not found; install the 'postgresql' package"
    exit 1
  fi
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  BIN="$(find_bin)"
fi

# PostgreSQL refuses to run as root: use the postgres account the Debian package creates.
if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

SOCKETS="$DATA/sockets"
if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    log "initialising $DATA"
    mkdir -p "$DATA"
    if [[ "$(id -u)" == 0 ]]; then chown postgres: "$DATA"; fi
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >/dev/null
  fi
  as_pg mkdir -p "$SOCKETS"
  # Test data is disposable: skip fsync so CREATE DATABASE per test stays fast.
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -k $SOCKETS -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null
  log "server started on 127.0.0.1:$PORT (log: $DATA/server.log)"
fi

exists="$("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = '$DB'")"
if [[ "$exists" != 1 ]]; then
  "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
fi

echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"
