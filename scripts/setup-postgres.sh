#!/usr/bin/env bash
# Makes the local PostgreSQL ready for pg-ingest's tests and demo: running, reachable on
# $PGHOST:$PGPORT, and configured with wal_level=logical (needed by log-based pipelines).
# Idempotent: does nothing when the server already runs with wal_level=logical.
set -euo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: scripts/setup-postgres.sh   (env: PGHOST, PGPORT, PGUSER; defaults 127.0.0.1, 5432, postgres)"
  exit 0
fi

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
# The admin commands below always talk to the maintenance database, whatever the caller's shell says.
export PGDATABASE=postgres

say() { echo "setup-postgres: $*"; }

# Empty (not a failure) when no local cluster exists: set -e must not end the script silently.
cluster_version() { { ls /etc/postgresql 2>/dev/null || true; } | sort -V | tail -n 1; }

start_cluster() {
  local v; v=$(cluster_version)
  if [ -z "$v" ]; then
    say "no local PostgreSQL cluster under /etc/postgresql; set PGHOST/PGPORT to a server with wal_level=logical"
    return 1
  fi
  say "starting PostgreSQL $v"
  pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
}

wait_ready() {
  for _ in $(seq 1 60); do
    pg_isready -q && return 0
    sleep 1
  done
  say "PostgreSQL at $PGHOST:$PGPORT did not become ready in 60 s"
  return 1
}

pg_isready -q || start_cluster
wait_ready

level=$(psql -XAtqc "show wal_level")
if [ "$level" != "logical" ]; then
  say "wal_level is '$level': setting wal_level=logical and restarting"
  psql -Xqc "alter system set wal_level = logical"
  psql -Xqc "alter system set max_replication_slots = 20"
  psql -Xqc "alter system set max_wal_senders = 20"
  v=$(cluster_version)
  if [ -n "$v" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$v" main restart
  else
    say "cannot restart a remote server: restart it yourself so that wal_level=logical applies"
    exit 1
  fi
  wait_ready
  level=$(psql -XAtqc "show wal_level")
  [ "$level" = "logical" ] || { say "wal_level is still '$level'"; exit 1; }
fi
say "PostgreSQL $(psql -XAtqc 'show server_version') at $PGHOST:$PGPORT, wal_level=$level"
