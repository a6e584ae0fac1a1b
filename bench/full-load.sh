#!/usr/bin/env bash
# Benchmark: Full Load of pgbench_accounts (pgbench scale 10, 1,000,000 rows) with pg-ingest into
# PostgreSQL and into DuckDB, each timed against a COPY pipe measured in the same run:
#   psql -c "COPY pgbench_accounts TO STDOUT" | psql -c "COPY pgbench_accounts FROM STDIN"
# Target: pg-ingest -> PostgreSQL takes at most 2x the COPY pipe's time. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/full-load.sh [--fresh] [--build] [--keep]   (env: PGHOST, PGPORT, PGUSER, PGPASSWORD)
  --fresh  recreate the source database pgingest_bench_src with pgbench -i -s 10 even if it is there
  --build  rebuild target/pg-ingest.jar first (it is built anyway when missing)
  --keep   keep the temporary directory (DuckDB file, state stores, logs) instead of deleting it
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

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "$0")/../scripts/lib/common.sh"
require_commands java psql pgbench pg_dump createdb dropdb pg_isready awk
# Plain connections on both sides (psql, pgbench, pg_recvlogical here; pg-ingest's routes say ssl: false and
# sslmode=disable): the benchmark measures the data path, not TLS (scripts/setup-postgres.sh turns SSL on for the tests).
export PGSSLMODE=disable

SRC=pgingest_bench_src
DST=pgingest_bench_dst
ROWS=1000000
HEAP=-Xmx256m
ROUTES_PG="file:$ROOT/bench/routes/full-load-postgres.camel.yaml"
ROUTES_DUCKDB="file:$ROOT/bench/routes/full-load-duckdb.camel.yaml"

WORK=$(mktemp -d /tmp/pgingest-bench.XXXXXX)
cleanup() { if $KEEP; then info "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
export PGINGEST_BENCH_DUCKDB="$WORK/full-load.duckdb"

# ---------------------------------------------------------------------------------------------

prepare_source() {
  if ! $FRESH && database_exists "$SRC" \
     && [ "$(pg_value "$SRC" "select count(*) from pgbench_accounts" 2>/dev/null || echo 0)" = "$ROWS" ]; then
    info "$SRC already holds $ROWS rows in pgbench_accounts (use --fresh to recreate it)"
    return
  fi
  info "creating $SRC with pgbench -i -s 10 (about a minute)"
  drop_database "$SRC"
  createdb "$SRC"
  PGOPTIONS="-c client_min_messages=warning" pgbench -i -s 10 -q "$SRC" 2>&1 | sed 's/^/  pgbench: /'
  [ "$(pg_value "$SRC" "select count(*) from pgbench_accounts")" = "$ROWS" ] \
    || die "pgbench -i -s 10 did not leave $ROWS rows in $SRC.pgbench_accounts"
}

# The baseline's target: an empty pgbench_accounts with the source's DDL, primary key included.
prepare_destination() {
  drop_database "$DST"
  createdb "$DST"
  pg_dump --schema-only --no-owner --table=public.pgbench_accounts "$SRC" | pg "$DST" >/dev/null
  pg_value "$DST" "select count(*) from pg_constraint where conrelid = 'public.pgbench_accounts'::regclass
                   and contype = 'p'" | grep -qx 1 || die "the baseline table in $DST has no primary key"
}

# Every timed run starts with no dirty buffers left over from the previous one.
checkpoint() { pg postgres -c "checkpoint" 2>/dev/null || info "checkpoint not allowed for $PGUSER: timings may be noisier"; }

time_copy_pipe() {
  local best="" run started ended t
  for run in 1 2; do
    pg "$DST" -c "truncate public.pgbench_accounts"
    checkpoint
    started=$(now)
    psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -c "COPY pgbench_accounts TO STDOUT" \
      | psql -X -q -v ON_ERROR_STOP=1 -d "$DST" -c "COPY pgbench_accounts FROM STDIN"
    ended=$(now)
    t=$(elapsed "$started" "$ended")
    info "COPY pipe run $run: $t s"
    BASELINE_RUNS="${BASELINE_RUNS:+$BASELINE_RUNS, }$t"
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best="$t"; fi
  done
  local copied; copied=$(pg_value "$DST" "select count(*) from public.pgbench_accounts")
  [ "$copied" = "$ROWS" ] || die "the COPY pipe copied $copied rows, expected $ROWS"
  BASELINE="$best"
}

# Runs pg-ingest once with a fresh state store; sets SECONDS_TAKEN. Log in $WORK/<name>.log.
# With "launcher", through scripts/pg-ingest (the class-data-sharing archive, see prepare_archive); with "plain",
# as `java -jar` without it.
time_pg_ingest() {
  local name="$1" routes="$2" how="$3" started ended
  local state="jdbc:h2:file:$WORK/state-$name"
  local command=("${JAVA_HOME:+$JAVA_HOME/bin/}java" "$HEAP" -XX:+ExitOnOutOfMemoryError -Dcamel.main.routes-include-pattern="$routes"
                 -Dpgingest.state.url="$state" -jar "$JAR" --once)
  if [ "$how" = launcher ]; then
    command=("$ROOT/scripts/pg-ingest" "$HEAP" -XX:+ExitOnOutOfMemoryError -Dcamel.main.routes-include-pattern="$routes"
             -Dpgingest.state.url="$state" --once)
  fi
  info "pg-ingest -> $name: ${command[*]#"$ROOT/"} (log: $WORK/$name.log)"
  checkpoint
  started=$(now)
  if ! (cd "$ROOT" && "${command[@]}") > "$WORK/$name.log" 2>&1; then
    tail -n 40 "$WORK/$name.log" >&2
    KEEP=true
    die "pg-ingest -> $name failed (last lines of its log above; full log kept in $WORK/$name.log)"
  fi
  ended=$(now)
  SECONDS_TAKEN=$(elapsed "$started" "$ended")
  info "pg-ingest -> $name: $SECONDS_TAKEN s"
}

# scripts/pg-ingest makes its class-data-sharing archive in the first run of pipelines after a build, which
# then takes about a second more to save it: that run is made here, untimed, as a user's first run would be.
prepare_archive() {
  local archive="${JAR%.jar}.jsa"
  if archive_usable "$archive"; then
    info "class-data-sharing archive: $archive"
    return
  fi
  info "no class-data-sharing archive for this jar yet: a first, untimed run of the PostgreSQL load makes it"
  pg "$DST" -c "drop schema if exists pgingest cascade" -c "create schema pgingest"
  time_pg_ingest archive "$ROUTES_PG" launcher
  [ -f "$archive" ] || info "scripts/pg-ingest made no archive ($archive): the timed runs start without it"
}

# The destination table pg-ingest made for pgbench_accounts in schema "pgingest" (name may carry a prefix).
postgres_destination_count() {
  local table
  table=$(pg_value "$DST" "select quote_ident(table_name) from information_schema.tables
           where table_schema = 'pgingest' and table_name like '%pgbench_accounts' order by length(table_name) limit 1")
  [ -n "$table" ] || die "no pgbench_accounts table in schema pgingest of $DST after the pg-ingest run"
  pg_value "$DST" "select count(*) from pgingest.$table"
}

duckdb_destination_count() {
  [ -f "$PGINGEST_BENCH_DUCKDB" ] || die "pg-ingest did not create $PGINGEST_BENCH_DUCKDB"
  local table
  table=$(duckdb_tsv "$PGINGEST_BENCH_DUCKDB" "select '\"' || table_schema || '\".\"' || table_name || '\"'
           from information_schema.tables where table_catalog = current_database()
           and table_name like '%pgbench_accounts' order by length(table_name) limit 1")
  [ -n "$table" ] || die "no pgbench_accounts table in $PGINGEST_BENCH_DUCKDB after the pg-ingest run"
  duckdb_tsv "$PGINGEST_BENCH_DUCKDB" "select count(*) from $table"
}

expect_rows() {
  local where="$1" count="$2"
  [ "$count" = "$ROWS" ] || die "$where holds $count rows after the load, expected $ROWS"
  info "$where: $count rows"
}

# ---------------------------------------------------------------------------------------------

heading "Setup"
require_server
if $BUILD || [ ! -f "$JAR" ]; then build_jar; fi
prepare_source
prepare_destination
info "server: PostgreSQL $(pg_value postgres "show server_version") at $PGHOST:$PGPORT; $(nproc) CPUs; work dir $WORK"
info "java: $(launcher_java_version) ($(launcher_java); set JAVA_HOME to choose another)"

heading "Baseline: COPY pipe (best of 2)"
time_copy_pipe

# Like the baseline, each pg-ingest load runs twice, each time into an empty destination, and the better
# time counts; both times are printed.
reset_postgres() { pg "$DST" -c "drop schema if exists pgingest cascade" -c "create schema pgingest"; }
reset_duckdb() { rm -f "$PGINGEST_BENCH_DUCKDB" "$PGINGEST_BENCH_DUCKDB.wal"; }
# usage: best_of_2 <name> <routes> <launcher|plain> <reset function> <count function> <what>; sets BEST, RUNS
best_of_2() {
  local name="$1" routes="$2" how="$3" reset="$4" count="$5" what="$6" run
  BEST="" RUNS=""
  for run in 1 2; do
    "$reset"
    time_pg_ingest "$name-$run" "$routes" "$how"
    expect_rows "$what" "$("$count")"
    RUNS="${RUNS:+$RUNS, }$SECONDS_TAKEN"
    if [ -z "$BEST" ] || awk -v a="$SECONDS_TAKEN" -v b="$BEST" 'BEGIN { exit !(a < b) }'; then BEST="$SECONDS_TAKEN"; fi
  done
}

heading "pg-ingest -> PostgreSQL (schema pgingest of $DST), best of 2"
prepare_archive
best_of_2 postgres "$ROUTES_PG" launcher reset_postgres postgres_destination_count "$DST.pgingest.pgbench_accounts"
PG_SECONDS="$BEST" PG_RUNS="$RUNS"

heading "pg-ingest -> DuckDB ($PGINGEST_BENCH_DUCKDB), best of 2"
best_of_2 duckdb "$ROUTES_DUCKDB" launcher reset_duckdb duckdb_destination_count "DuckDB pgbench_accounts"
DUCKDB_SECONDS="$BEST" DUCKDB_RUNS="$RUNS"

heading "pg-ingest -> PostgreSQL as plain 'java -jar' (no class-data-sharing archive), best of 2"
best_of_2 postgres-plain "$ROUTES_PG" plain reset_postgres postgres_destination_count "$DST.pgingest.pgbench_accounts"
PLAIN_SECONDS="$BEST" PLAIN_RUNS="$RUNS"

PG_RATIO=$(ratio "$PG_SECONDS" "$BASELINE")
DUCKDB_RATIO=$(ratio "$DUCKDB_SECONDS" "$BASELINE")
PLAIN_RATIO=$(ratio "$PLAIN_SECONDS" "$BASELINE")
if awk -v r="$PG_RATIO" 'BEGIN { exit !(r + 0 <= 2.0) }'; then VERDICT="met"; else VERDICT="NOT met"; fi

heading "Summary: Full Load of pgbench_accounts, $ROWS rows (pgbench scale 10)"
printf '%-44s %10s %10s   %s\n' "run (each best of 2)" "seconds" "ratio" "both runs"
printf '%-44s %10s %10s   %s\n' "--------------------------------------------" "-------" "-----" "---------"
printf '%-44s %10s %10s   %s\n' "COPY pipe (baseline)" "$BASELINE" "1.00" "$BASELINE_RUNS"
printf '%-44s %10s %10s   %s\n' "pg-ingest -> PostgreSQL" "$PG_SECONDS" "$PG_RATIO" "$PG_RUNS"
printf '%-44s %10s %10s   %s\n' "pg-ingest -> DuckDB" "$DUCKDB_SECONDS" "$DUCKDB_RATIO" "$DUCKDB_RUNS"
printf '%-44s %10s %10s   %s\n' "pg-ingest -> PostgreSQL, plain java -jar" "$PLAIN_SECONDS" "$PLAIN_RATIO" "$PLAIN_RUNS"
echo
echo "target: pg-ingest -> PostgreSQL at most 2.00x the COPY pipe: $VERDICT (ratio $PG_RATIO)"
echo "pg-ingest times are wall-clock of the whole command: JVM start, Camel start, load, shutdown. The first two"
echo "run through scripts/pg-ingest, the launcher the README uses (java -jar plus the class-data-sharing archive"
echo "it made in an earlier run); the last one is the same load as plain java -jar, without the archive."
echo "java: $(launcher_java_version) ($(launcher_java)); archive kind: $(sed -n 2p "${JAR%.jar}.jsa.java" 2>/dev/null || echo none)"
echo
echo "commands:"
echo "  baseline:   psql -d $SRC -c \"COPY pgbench_accounts TO STDOUT\" | psql -d $DST -c \"COPY pgbench_accounts FROM STDIN\""
echo "  postgres:   scripts/pg-ingest $HEAP -Dcamel.main.routes-include-pattern=$ROUTES_PG -Dpgingest.state.url=jdbc:h2:file:$WORK/state-postgres-<run> --once"
echo "  duckdb:     PGINGEST_BENCH_DUCKDB=$PGINGEST_BENCH_DUCKDB scripts/pg-ingest $HEAP -Dcamel.main.routes-include-pattern=$ROUTES_DUCKDB -Dpgingest.state.url=jdbc:h2:file:$WORK/state-duckdb-<run> --once"
echo "  plain:      java $HEAP -Dcamel.main.routes-include-pattern=$ROUTES_PG -Dpgingest.state.url=jdbc:h2:file:$WORK/state-postgres-plain-<run> -jar target/pg-ingest.jar --once"
