#!/usr/bin/env bash
# Memory check: a 5,000,000-row table of several column types loads into DuckDB with the JVM heap
# capped at 256 MB (java -Xmx256m ... --once), and every row arrives. Not part of CI (minutes long).
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/large-table-memory.sh [--fresh] [--build] [--keep]   (env: PGHOST, PGPORT, PGUSER, PGPASSWORD)
  --fresh  recreate the source database pgingest_mem even if it already holds the 5M rows
  --build  rebuild target/pg-ingest.jar first (it is built anyway when missing)
  --keep   keep the temporary directory (DuckDB file, state store, log)
USAGE
}

FRESH=false BUILD=false KEEP=false
for arg in "$@"; do
  case "$arg" in
    --fresh) FRESH=true ;;
    --build) BUILD=true ;;
    --keep) KEEP=true ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"
require_commands java psql createdb dropdb pg_isready awk

DB=pgingest_mem
ROWS=5000000
HEAP=-Xmx256m
ROUTES="file:$ROOT/bench/routes/large-table-duckdb.camel.yaml"

WORK=$(mktemp -d /tmp/pgingest-mem.XXXXXX)
cleanup() { if $KEEP; then info "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
export PGINGEST_MEM_DUCKDB="$WORK/large-table.duckdb"
LOG="$WORK/pg-ingest.log"

prepare_source() {
  if ! $FRESH && database_exists "$DB" \
     && [ "$(pg_value "$DB" "select count(*) from wide_rows" 2>/dev/null || echo 0)" = "$ROWS" ]; then
    info "$DB already holds $ROWS rows in wide_rows (use --fresh to recreate it)"
    return
  fi
  info "creating $DB.wide_rows with $ROWS rows (a few minutes)"
  drop_database "$DB"
  createdb "$DB"
  # The key is added after the insert: building the index once is much faster than row by row.
  pg "$DB" <<SQL
CREATE TABLE wide_rows (
    id          bigint        NOT NULL,
    label       text          NOT NULL,
    amount      numeric(14,2) NOT NULL,
    ratio       double precision,
    created_at  timestamptz   NOT NULL,
    day         date          NOT NULL,
    flag        boolean       NOT NULL,
    ref         uuid          NOT NULL,
    doc         jsonb         NOT NULL,
    tags        text[]        NOT NULL
);
INSERT INTO wide_rows
SELECT g,
       'row ' || g || ' ' || repeat('x', (g % 40)::int),
       (g % 10000000) / 100.0,
       CASE WHEN g % 11 = 0 THEN NULL ELSE g / 7.0 END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       date '2024-01-01' + (g % 365)::int,
       g % 2 = 0,
       md5(g::text)::uuid,
       jsonb_build_object('g', g, 'kind', 'k' || g % 10),
       ARRAY['t' || g % 3, 't' || g % 5]
FROM generate_series(1, $ROWS) AS g;
ALTER TABLE wide_rows ADD PRIMARY KEY (id);
ANALYZE wide_rows;
SQL
}

duckdb_count() {
  [ -f "$PGINGEST_MEM_DUCKDB" ] || die "pg-ingest did not create $PGINGEST_MEM_DUCKDB"
  local table
  table=$(duckdb_tsv "$PGINGEST_MEM_DUCKDB" "select '\"' || table_schema || '\".\"' || table_name || '\"'
           from information_schema.tables where table_catalog = current_database()
           and table_name like '%wide_rows' order by length(table_name) limit 1")
  [ -n "$table" ] || die "no wide_rows table in $PGINGEST_MEM_DUCKDB after the run"
  duckdb_tsv "$PGINGEST_MEM_DUCKDB" "select count(*) from $table"
}

heading "Setup"
require_server
if $BUILD || [ ! -f "$JAR" ]; then build_jar; fi
prepare_source
info "source size: $(pg_value "$DB" "select pg_size_pretty(pg_total_relation_size('wide_rows'))")"

heading "pg-ingest -> DuckDB with $HEAP"
echo "\$ PGINGEST_MEM_DUCKDB=$PGINGEST_MEM_DUCKDB java $HEAP -XX:+ExitOnOutOfMemoryError" \
     "-Dcamel.main.routes-include-pattern=$ROUTES -Dpgingest.state.url=jdbc:h2:file:$WORK/state -jar target/pg-ingest.jar --once"
TIME_REPORT="$WORK/time.txt"
started=$(now)
# /usr/bin/time (when present) reports the peak resident set size of the whole JVM.
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -v -o "$TIME_REPORT")
if ! "${timer[@]}" java "$HEAP" -XX:+ExitOnOutOfMemoryError \
      -Dcamel.main.routes-include-pattern="$ROUTES" -Dpgingest.state.url="jdbc:h2:file:$WORK/state" \
      -jar "$JAR" --once > "$LOG" 2>&1; then
  tail -n 40 "$LOG" >&2
  KEEP=true
  grep -q OutOfMemoryError "$LOG" && die "pg-ingest ran out of heap ($HEAP) loading $ROWS rows (log: $LOG)"
  die "pg-ingest --once failed (last lines of its log above; full log kept in $LOG)"
fi
ended=$(now)
grep -q OutOfMemoryError "$LOG" && { KEEP=true; die "OutOfMemoryError in the log although the run exited 0 (log: $LOG)"; }

heading "Result"
count=$(duckdb_count)
seconds=$(elapsed "$started" "$ended")
info "loaded in $seconds s ($(awk -v n="$ROWS" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }') rows/s)"
if [ -f "$TIME_REPORT" ]; then
  info "peak resident memory of the JVM: $(awk -F': ' '/Maximum resident set size/ { printf "%.0f MB", $2 / 1024 }' "$TIME_REPORT")"
fi
[ "$count" = "$ROWS" ] || die "DuckDB holds $count rows, expected $ROWS"
info "OK: $count rows in DuckDB with $HEAP"
