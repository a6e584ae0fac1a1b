#!/usr/bin/env bash
# The project's test command: makes the local PostgreSQL ready (running, wal_level=logical), then
# runs every unit test (*Test) and integration test (*IT) with `mvn -B verify`.
# Extra arguments go to Maven, e.g. scripts/test.sh -Dtest='DuckDbQueryTest' -Dit.test='none'
set -euo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: scripts/test.sh [extra mvn arguments...]   (env: PGHOST, PGPORT, PGUSER, PGPASSWORD)"
  exit 0
fi

cd "$(dirname "$0")/.."
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"

echo "==== PostgreSQL ===="
scripts/setup-postgres.sh || { echo "test.sh: ERROR: PostgreSQL is not ready (see above); integration tests need it" >&2; exit 1; }

echo "==== mvn -B verify${*:+ $*} ===="
exec mvn -B verify "$@"
