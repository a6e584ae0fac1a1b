#!/usr/bin/env bash
# Benchmark: the first load of a database of many tables (default 32 tables of 31,250 rows, 1M rows in all, each
# like pgbench_accounts) by pg-ingest, one table at a time and several at once (concurrentObjects), against COPY
# pipes measured in the same run, one table at a time and as many at once, and one pg_dump | psql for all tables:
#   psql -c "COPY <table> TO STDOUT" | psql -c "COPY <table> FROM STDIN"
#   pg_dump --data-only <source> | psql <destination>
# Into PostgreSQL and DuckDB, with table mode's Full Load and a logical-replication pipeline's historical load.
# See bench/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/many-tables.sh [options]   (env: PGHOST, PGPORT, PGUSER, PGPASSWORD)
  --tables N        tables in the source database pgingest_mtbench_src (default 32)
  --rows N          rows per table (default 31250)
  --concurrent LIST comma-separated concurrentObjects values to time (default 1,4); the parallel COPY pipes run
                    as many tables at once as the largest
  --modes LIST      comma-separated: table, logical-replication (default both)
  --dest D          postgres, duckdb or both (default both)
  --fresh           recreate the source database even if it has the tables and rows asked for
  --build           rebuild target/pg-ingest.jar first (it is built anyway when missing)
  --keep            keep the temporary directory (DuckDB files, state stores, logs)
USAGE
}

TABLES=32 ROWS_PER_TABLE=31250 CONCURRENT=1,4 MODES=table,logical-replication DEST=both FRESH=false BUILD=false KEEP=false
while [ $# -gt 0 ]; do
  case "$1" in
    --tables) TABLES="${2:?--tables needs a number}"; shift ;;
    --rows) ROWS_PER_TABLE="${2:?--rows needs a number}"; shift ;;
    --concurrent) CONCURRENT="${2:?--concurrent needs a list}"; shift ;;
    --modes) MODES="${2:?--modes needs a list}"; shift ;;
    --dest) DEST="${2:?--dest needs postgres, duckdb or both}"; shift ;;
    --fresh) FRESH=true ;;
    --build) BUILD=true ;;
    --keep) KEEP=true ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[[ "$TABLES" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "bench/many-tables.sh: --tables must be 1 to 9999" >&2; exit 2; }
[[ "$ROWS_PER_TABLE" =~ ^[1-9][0-9]{0,8}$ ]] || { echo "bench/many-tables.sh: --rows must be a positive number" >&2; exit 2; }
[[ "$CONCURRENT" =~ ^[1-9][0-9]?(,[1-9][0-9]?)*$ ]] || { echo "bench/many-tables.sh: --concurrent must be numbers 1 to 64, e.g. 1,4" >&2; exit 2; }
[[ "$MODES" =~ ^(table|logical-replication)(,(table|logical-replication))*$ ]] \
  || { echo "bench/many-tables.sh: --modes takes table and/or logical-replication" >&2; exit 2; }
case "$DEST" in postgres) DESTS=(postgres) ;; duckdb) DESTS=(duckdb) ;; both) DESTS=(postgres duckdb) ;;
  *) echo "bench/many-tables.sh: --dest must be postgres, duckdb or both" >&2; exit 2 ;; esac
IFS=, read -r -a CONCURRENCIES <<< "$CONCURRENT"
IFS=, read -r -a MODE_LIST <<< "$MODES"

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "$0")/../scripts/lib/common.sh"
require_commands java psql pg_dump createdb dropdb pg_isready awk xargs
export PGSSLMODE=disable # plain connections on both sides, as in the other benchmarks

SRC=pgingest_mtbench_src
DST=pgingest_mtbench_dst
TOTAL=$((TABLES * ROWS_PER_TABLE))
HEAP=-Xmx512m
PARALLEL=$(printf '%s\n' "${CONCURRENCIES[@]}" | sort -n | tail -n 1)
WORK=$(mktemp -d /tmp/pgingest-mtbench.XXXXXX)
export PGINGEST_MTBENCH_SCHEMA=mtbench

drop_slots() {
  local d
  for d in postgres duckdb; do
    pg_value postgres "select pg_drop_replication_slot(slot_name) from pg_replication_slots
                       where slot_name = 'pgingest_mtbench_$d'" >/dev/null 2>&1 || true
    pg "$SRC" -c "drop publication if exists pgingest_mtbench_$d" 2>/dev/null || true
  done
}
cleanup() {
  if database_exists "$SRC"; then drop_slots; fi
  if $KEEP; then info "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

table_name() { printf 'mt_%04d\n' "$1"; }

prepare_source() {
  if ! $FRESH && database_exists "$SRC" && [ "$(pg_value "$SRC" "select count(*) || '/' || coalesce(sum(n_live_tup), 0)
       from pg_stat_user_tables where relname like 'mt\_%'" 2>/dev/null)" = "$TABLES/$TOTAL" ]; then
    info "$SRC already holds $TABLES tables of $ROWS_PER_TABLE rows (use --fresh to recreate it)"
    return
  fi
  info "creating $SRC: $TABLES tables of $ROWS_PER_TABLE rows"
  drop_database "$SRC"
  createdb "$SRC"
  local i
  for i in $(seq 1 "$TABLES"); do
    echo "create table $(table_name "$i") (aid int primary key, bid int not null, abalance int not null, filler char(84));
          insert into $(table_name "$i") select n, n / 100000 + 1, 0, '' from generate_series(1, $ROWS_PER_TABLE) n;"
  done | pg "$SRC"
  pg "$SRC" -c "vacuum analyze"
  [ "$(pg_value "$SRC" "select count(*) || '/' || sum(n_live_tup) from pg_stat_user_tables where relname like 'mt\_%'")" \
    = "$TABLES/$TOTAL" ] || die "$SRC does not hold $TABLES tables of $ROWS_PER_TABLE rows after its creation"
}

# The baselines' targets: the source's tables, keys included, empty.
prepare_destination() {
  drop_database "$DST"
  createdb "$DST"
  pg_dump --schema-only --no-owner "$SRC" | pg "$DST" >/dev/null
}

checkpoint() { pg postgres -c "checkpoint" 2>/dev/null || true; }

all_tables() { seq 1 "$TABLES" | while read -r i; do table_name "$i"; done; }

# COPY pipes of every table, $1 at a time (xargs -P).
copy_pipes() {
  all_tables | xargs -P "$1" -I{} sh -c "psql -X -q -v ON_ERROR_STOP=1 -d $SRC -c 'COPY {} TO STDOUT' \
    | psql -X -q -v ON_ERROR_STOP=1 -d $DST -c 'COPY {} FROM STDIN'"
}

# pg_dump --data-only of every table piped into psql: one pair of processes and sessions for all tables (the COPY
# pipes start two psql per table, which dominates them when the tables are small).
dump_pipe() { pg_dump --data-only --no-owner "$SRC" | psql -X -q -v ON_ERROR_STOP=1 -d "$DST" >/dev/null; }

# usage: time_baseline <what> <command...>: the command copies every table into the emptied tables of $DST; best of 2
# into BEST, after checking that every row arrived.
time_baseline() {
  local what="$1" run started ended t copied
  shift
  BEST=""
  for run in 1 2; do
    pg "$DST" -c "truncate $(all_tables | paste -sd,)"
    checkpoint
    started=$(now)
    "$@"
    ended=$(now)
    t=$(elapsed "$started" "$ended")
    info "$what, run $run: $t s"
    if [ -z "$BEST" ] || awk -v a="$t" -v b="$BEST" 'BEGIN { exit !(a < b) }'; then BEST="$t"; fi
  done
  copied=$(pg_value "$DST" "select sum(n) from ($(all_tables | sed 's/.*/select count(*) n from &/' | paste -sd'|' \
    | sed 's/|/ union all /g')) s")
  [ "$copied" = "$TOTAL" ] || die "$what copied $copied rows, expected $TOTAL"
}

# Rows in the destination tables pg-ingest made (names may carry a prefix; soft-deleted rows would count too: none),
# counted 50 tables per query (DuckDB's parser crashes on a UNION ALL of hundreds).
destination_rows() {
  local dest="$1" duckdb="$2" tables total=0 n chunk
  if [ "$dest" = postgres ]; then
    tables=$(pg_value "$DST" "select '$PGINGEST_MTBENCH_SCHEMA.' || quote_ident(table_name) from information_schema.tables
             where table_schema = '$PGINGEST_MTBENCH_SCHEMA' and table_name like '%mt\_%'")
  else
    tables=$(duckdb_tsv "$duckdb" "select '\"' || table_schema || '\".\"' || table_name || '\"' from information_schema.tables
             where table_catalog = current_database() and table_name like '%mt\_%' escape '\\'")
  fi
  [ -n "$tables" ] || { echo 0; return; }
  while read -r chunk; do
    chunk="select sum(n) from ($(echo "$chunk" | tr ' ' '\n' | sed 's/.*/select count(*) n from &/' | paste -sd'|' \
      | sed 's/|/ union all /g')) s"
    if [ "$dest" = postgres ]; then n=$(pg_value "$DST" "$chunk"); else n=$(duckdb_tsv "$duckdb" "$chunk"); fi
    total=$((total + n))
  done < <(echo "$tables" | xargs -n 50 echo)
  echo "$total"
}

# One pg-ingest --once run from nothing (destination, state store, slot); prints the seconds. Log in $WORK.
time_pg_ingest() {
  local mode="$1" dest="$2" concurrent="$3" name="$4" started ended rows
  drop_slots
  if [ "$dest" = postgres ]; then
    pg "$DST" -c "drop schema if exists $PGINGEST_MTBENCH_SCHEMA cascade" -c "create schema $PGINGEST_MTBENCH_SCHEMA"
  fi
  export PGINGEST_MTBENCH_DUCKDB="$WORK/$name.duckdb" PGINGEST_MTBENCH_MODE="$mode" PGINGEST_MTBENCH_CONCURRENT="$concurrent"
  checkpoint
  started=$(now)
  if ! (cd "$ROOT" && scripts/pg-ingest "$HEAP" -Dcamel.main.routes-include-pattern="file:$ROOT/bench/routes/many-tables-$dest.camel.yaml" \
         -Dpgingest.state.url="jdbc:h2:file:$WORK/state-$name" --once) > "$WORK/$name.log" 2>&1; then
    tail -n 40 "$WORK/$name.log" >&2
    KEEP=true
    die "pg-ingest $name failed (last lines of its log above; full log kept in $WORK/$name.log)"
  fi
  ended=$(now)
  rows=$(destination_rows "$dest" "$PGINGEST_MTBENCH_DUCKDB")
  [ "$rows" = "$TOTAL" ] || { KEEP=true; die "pg-ingest $name left $rows rows at the destination, expected $TOTAL (log: $WORK/$name.log)"; }
  elapsed "$started" "$ended"
}

heading "Setup"
require_server
if $BUILD || [ ! -f "$JAR" ]; then build_jar; fi
prepare_source
prepare_destination
info "server: PostgreSQL $(pg_value postgres "show server_version") at $PGHOST:$PGPORT; $(nproc) CPUs; work dir $WORK"
info "java: $(launcher_java_version) ($(launcher_java); set JAVA_HOME to choose another)"
# scripts/pg-ingest makes its class-data-sharing archive in its first run after a build: that run is made here, untimed
WARMUP=$(time_pg_ingest table duckdb 4 warmup)
info "untimed first run (makes the launcher's class-data-sharing archive when the jar changed): $WARMUP s"

heading "Baselines: COPY pipes and pg_dump | psql, best of 2"
time_baseline "COPY pipes, 1 at a time" copy_pipes 1
BASE_1="$BEST" BASE_P="$BEST"
if [ "$PARALLEL" -gt 1 ]; then
  time_baseline "COPY pipes, $PARALLEL at a time" copy_pipes "$PARALLEL"
  BASE_P="$BEST"
fi
time_baseline "pg_dump --data-only | psql" dump_pipe
BASELINE_DUMP="$BEST"

RESULTS=()
for mode in "${MODE_LIST[@]}"; do
  for dest in "${DESTS[@]}"; do
    for c in "${CONCURRENCIES[@]}"; do
      heading "pg-ingest $mode -> $dest, concurrentObjects $c, best of 2"
      best="" runs=""
      for run in 1 2; do
        t=$(time_pg_ingest "$mode" "$dest" "$c" "$mode-$dest-$c-$run")
        info "run $run: $t s"
        runs="${runs:+$runs, }$t"
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best="$t"; fi
      done
      RESULTS+=("$mode|$dest|$c|$best|$runs")
    done
  done
done

heading "Summary: $TABLES tables of $ROWS_PER_TABLE rows ($TOTAL rows)"
printf '%-52s %8s %10s %10s %10s   %s\n' "run (each best of 2)" "seconds" "vs pipes 1" "vs pipes $PARALLEL" "vs dump" "both runs"
row() { printf '%-52s %8s %10s %10s %10s   %s\n' "$1" "$2" "$(ratio "$2" "$BASE_1")" "$(ratio "$2" "$BASE_P")" \
  "$(ratio "$2" "$BASELINE_DUMP")" "$3"; }
row "COPY pipes, one table at a time" "$BASE_1" ""
if [ "$PARALLEL" -gt 1 ]; then row "COPY pipes, $PARALLEL tables at a time" "$BASE_P" ""; fi
row "pg_dump --data-only | psql" "$BASELINE_DUMP" ""
for r in "${RESULTS[@]}"; do
  IFS='|' read -r mode dest c best runs <<< "$r"
  row "pg-ingest $mode -> $dest, $c at a time" "$best" "$runs"
done
echo
echo "pg-ingest times are the wall clock of 'scripts/pg-ingest --once' from nothing (JVM and Camel start, the loads, for"
echo "logical replication the slot's creation and the catch-up check, shutdown); the COPY pipes copy into tables made"
echo "beforehand. java: $(launcher_java_version) ($(launcher_java))"
echo "commands:"
echo "  pipes:     psql -d $SRC -c \"COPY <table> TO STDOUT\" | psql -d $DST -c \"COPY <table> FROM STDIN\"   (xargs -P <n>)"
echo "  dump:      pg_dump --data-only --no-owner $SRC | psql -d $DST"
echo "  pg-ingest: PGINGEST_MTBENCH_MODE=<mode> PGINGEST_MTBENCH_CONCURRENT=<n> scripts/pg-ingest $HEAP -Dcamel.main.routes-include-pattern=file:bench/routes/many-tables-<dest>.camel.yaml -Dpgingest.state.url=jdbc:h2:file:<dir>/state --once"
