#!/usr/bin/env bash
# Benchmark: logical replication (issue 3) with pg-ingest into PostgreSQL and into DuckDB, each timed
# in the same run against pg_recvlogical (pgoutput, proto_version 1) reading the same WAL range from
# its own slot:
#   snapshot   the historical load of pgbench_accounts (1M rows) vs the COPY pipe
#   (A)        backlog drain of one transaction updating all 1M rows of pgbench_accounts
#   (B)        backlog drain of pgbench -c 2 -t 25000 -n (200k changes in 50k transactions)
#   latency    commit-to-destination p50/p99 at a steady 2,000 changes/s (streaming, PostgreSQL)
# Target: at most 2x pg_recvlogical's time (A, B) and 2x the COPY pipe (snapshot). See bench/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/logical.sh [--fresh] [--build] [--keep] [--no-latency] [--only STEPS] [--dest DEST] [--jfr]
       (env: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGINGEST_LBENCH_PREFIX)
  --fresh       recreate the source database pgingest_<prefix>_src with pgbench -i -s 10 even if it is there
  --build       rebuild target/pg-ingest.jar first (it is built anyway when missing)
  --keep        keep the temporary directory (DuckDB file, state stores, logs) and the run's destination schema
  --no-latency  skip the commit-to-destination latency measurement (same as leaving latency out of --only)
  --only STEPS  comma-separated steps to run, of snapshot, A, B, latency (default: all of them). Without
                snapshot the pipelines start with loadHistoricalData false and an untimed update of every
                account primes the destinations, so (A) still updates 1M existing rows
  --dest DEST   postgres, duckdb or both (default both)
  --jfr         record every pg-ingest run with Java Flight Recorder (profile settings) into the work
                directory (implies --keep)
  PGINGEST_LBENCH_PREFIX  names of the databases, pipelines, slots and publication (default lbench:
                pgingest_lbench_src, pgingest_lbench_dst, pipelines lbench_postgres/lbench_duckdb, slots
                pgingest_lbench_postgres, lbench_recv_1, ...): set it to run beside another run on one server
USAGE
}

FRESH=false BUILD=false KEEP=false JFR=false ONLY="snapshot,A,B,latency" DEST=both
while [ $# -gt 0 ]; do
  case "$1" in
    --fresh) FRESH=true ;;
    --build) BUILD=true ;;
    --keep) KEEP=true ;;
    --no-latency) NO_LATENCY=true ;;
    --only) [ $# -ge 2 ] || { usage >&2; exit 2; }; ONLY="$2"; shift ;;
    --only=*) ONLY="${1#--only=}" ;;
    --dest) [ $# -ge 2 ] || { usage >&2; exit 2; }; DEST="$2"; shift ;;
    --dest=*) DEST="${1#--dest=}" ;;
    --jfr) JFR=true KEEP=true ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
STEPS=",$ONLY,"
for s in ${ONLY//,/ }; do
  case "$s" in snapshot|A|B|latency) ;; *) echo "bench/logical.sh: --only: unknown step '$s' (allowed: snapshot, A, B, latency)" >&2; exit 2 ;; esac
done
[ "${NO_LATENCY:-false}" = true ] && STEPS="${STEPS//,latency,/,}"
step_on() { [[ "$STEPS" == *",$1,"* ]]; }
case "$DEST" in
  both) DESTS=(postgres duckdb) ;; postgres|duckdb) DESTS=("$DEST") ;;
  *) echo "bench/logical.sh: --dest: '$DEST' is not postgres, duckdb or both" >&2; exit 2 ;;
esac
dest_on() { [[ " ${DESTS[*]} " == *" $1 "* ]]; }
# The latency step reads the destination while pg-ingest streams into it, which a DuckDB file does not allow (one
# process holds it): it runs into PostgreSQL only.
if step_on latency && ! dest_on postgres; then
  echo "bench/logical.sh: the latency step needs the PostgreSQL destination (a DuckDB file cannot be read while" \
       "pg-ingest streams into it): it is skipped with --dest duckdb" >&2
  STEPS="${STEPS//,latency,/,}"
fi

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "$0")/../scripts/lib/common.sh"
require_commands java psql pgbench pg_recvlogical pg_dump createdb dropdb pg_isready awk timeout
# Plain connections on both sides (psql, pgbench, pg_recvlogical here; pg-ingest's routes say ssl: false and
# sslmode=disable): the benchmark measures the data path, not TLS (scripts/setup-postgres.sh turns SSL on for the tests).
export PGSSLMODE=disable

export PGINGEST_LBENCH_PREFIX="${PGINGEST_LBENCH_PREFIX:-lbench}"
[[ "$PGINGEST_LBENCH_PREFIX" =~ ^[a-z][a-z0-9_]{0,20}$ ]] \
  || { echo "bench/logical.sh: PGINGEST_LBENCH_PREFIX '$PGINGEST_LBENCH_PREFIX' must be 1 to 21 characters [a-z0-9_], starting with a letter" >&2; exit 2; }
P=$PGINGEST_LBENCH_PREFIX
SRC=pgingest_${P}_src
DST=pgingest_${P}_dst
ROWS=1000000
HEAP=-Xmx512m
PIPELINES=("${P}_postgres" "${P}_duckdb")          # slots and publications pgingest_<pipeline>
RECV_SLOTS=("${P}_recv_1" "${P}_recv_2")           # pg_recvlogical's: one read before pg-ingest, one after
RECV_PUB=${P}_recv
# Without the snapshot step the pipelines stream changes only (see --only)
if step_on snapshot; then export PGINGEST_LBENCH_HISTORICAL=true; else export PGINGEST_LBENCH_HISTORICAL=false; fi
LATENCY_RATE=2000 LATENCY_SECONDS=20
DRAIN_TIMEOUT=900

WORK=$(mktemp -d /tmp/pgingest-lbench.XXXXXX)
export PGINGEST_LBENCH_SCHEMA="${P}_$(date +%Y%m%d_%H%M%S)"
export PGINGEST_LBENCH_DUCKDB="$WORK/lbench.duckdb"
ROUTES_postgres="file:$ROOT/bench/routes/logical-postgres.camel.yaml"
ROUTES_duckdb="file:$ROOT/bench/routes/logical-duckdb.camel.yaml"
STREAMING_PID=""

# Slots retain WAL for as long as they exist: every slot and publication this script makes is dropped
# at the end, on error and on Ctrl-C.
drop_replication_objects() {
  local s
  database_exists "$SRC" || return 0
  for s in "${PIPELINES[@]/#/pgingest_}" "${RECV_SLOTS[@]}"; do
    pg_value postgres "select pg_terminate_backend(active_pid) from pg_replication_slots
                       where slot_name = '$s' and active_pid is not null" >/dev/null 2>&1 || true
    pg_value postgres "select pg_drop_replication_slot(slot_name) from pg_replication_slots
                       where slot_name = '$s'" >/dev/null 2>&1 || info "could not drop slot $s: drop it by hand"
  done
  for s in "${PIPELINES[@]/#/pgingest_}" "$RECV_PUB"; do
    pg "$SRC" -c "drop publication if exists $s" 2>/dev/null || info "could not drop publication $s: drop it by hand"
  done
}
cleanup() {
  local rc=$?
  if [ -n "$STREAMING_PID" ] && kill -0 "$STREAMING_PID" 2>/dev/null; then
    kill "$STREAMING_PID" 2>/dev/null; wait "$STREAMING_PID" 2>/dev/null || true
  fi
  drop_replication_objects
  if $KEEP || [ "$rc" -ne 0 ]; then
    info "kept $WORK and schema $PGINGEST_LBENCH_SCHEMA of $DST"
  else
    rm -rf "$WORK"
    pg "$DST" -c "drop schema if exists $PGINGEST_LBENCH_SCHEMA cascade" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Source and baselines

prepare_source() {
  if $FRESH || ! database_exists "$SRC" \
     || [ "$(pg_value "$SRC" "select count(*) from pgbench_accounts" 2>/dev/null || echo 0)" != "$ROWS" ]; then
    info "creating $SRC with pgbench -i -s 10 (about a minute)"
    drop_database "$SRC"
    createdb "$SRC"
    PGOPTIONS="-c client_min_messages=warning" pgbench -i -s 10 -q "$SRC" 2>&1 | sed 's/^/  pgbench: /'
  else
    info "$SRC already holds $ROWS rows in pgbench_accounts (use --fresh to recreate it)"
  fi
  # pgbench_history has no primary key: REPLICA IDENTITY FULL lets logical replication include it, so
  # that (B) carries its 200k changes (50k of them inserts into pgbench_history).
  pg "$SRC" -c "truncate pgbench_history" -c "alter table pgbench_history replica identity full" \
    -c "create table if not exists lbench_latency (id bigserial primary key, stamped_at timestamptz not null)" \
    -c "truncate lbench_latency" -c "vacuum analyze"
  drop_replication_objects   # left over from an interrupted run
}

prepare_destination() {
  database_exists "$DST" || createdb "$DST"
  pg "$DST" -c "drop table if exists public.pgbench_accounts"
  pg_dump --schema-only --no-owner --table=public.pgbench_accounts "$SRC" | pg "$DST" >/dev/null
  pg "$DST" -c "create schema $PGINGEST_LBENCH_SCHEMA"
}

checkpoint() { pg postgres -c "checkpoint" 2>/dev/null || info "checkpoint not allowed for $PGUSER: timings may be noisier"; }

# Best of 2; sets COPY_SECONDS.
time_copy_pipe() {
  local best="" run started t
  for run in 1 2; do
    pg "$DST" -c "truncate public.pgbench_accounts"
    checkpoint
    started=$(now)
    psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -c "COPY pgbench_accounts TO STDOUT" \
      | psql -X -q -v ON_ERROR_STOP=1 -d "$DST" -c "COPY pgbench_accounts FROM STDIN"
    t=$(elapsed "$started" "$(now)")
    info "COPY pipe run $run: $t s"
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best="$t"; fi
  done
  [ "$(pg_value "$DST" "select count(*) from public.pgbench_accounts")" = "$ROWS" ] \
    || die "the COPY pipe did not copy $ROWS rows"
  pg "$DST" -c "drop table public.pgbench_accounts"
  COPY_SECONDS="$best"
}

# pg_recvlogical's slots start where the pipelines' slots stand after their snapshots; its publication
# lists the same tables as theirs.
create_recv_slots() {
  local tables s
  tables=$(pg_value "$SRC" "select string_agg(format('%I.%I', schemaname, tablename), ', ')
                            from pg_publication_tables where pubname = 'pgingest_${PIPELINES[0]}'
                            or (pubname = 'pgingest_${PIPELINES[1]}' and not exists (select from pg_publication_tables
                                                                      where pubname = 'pgingest_${PIPELINES[0]}'))")
  [ -n "$tables" ] || die "the pipelines' publication pgingest_${PIPELINES[0]} (or pgingest_${PIPELINES[1]}) lists no table"
  pg "$SRC" -c "create publication $RECV_PUB for table $tables"
  for s in "${RECV_SLOTS[@]}"; do
    pg_value "$SRC" "select lsn from pg_create_logical_replication_slot('$s', 'pgoutput')" >/dev/null
  done
  info "pg_recvlogical: slots ${RECV_SLOTS[*]}, publication $RECV_PUB ($tables)"
}

# Reads the slot up to the LSN; prints the seconds.
time_recvlogical() {
  local slot="$1" endpos="$2" started
  started=$(now)
  timeout "$DRAIN_TIMEOUT" pg_recvlogical -d "$SRC" -S "$slot" --start --endpos "$endpos" --no-loop \
    -o proto_version=1 -o publication_names="$RECV_PUB" -f /dev/null \
    || die "pg_recvlogical on slot $slot did not reach $endpos"
  elapsed "$started" "$(now)"
}

# ---------------------------------------------------------------------------------------------
# pg-ingest runs and destination checks

# Runs pg-ingest --once for one destination (postgres|duckdb); prints the seconds. Log in $WORK.
time_pg_ingest() {
  local dest="$1" step="$2" routes started var
  local jfr=()
  var="ROUTES_$dest"; routes="${!var}"
  if $JFR; then jfr=("-XX:StartFlightRecording=settings=profile,filename=$WORK/$dest-$step.jfr"); fi
  checkpoint
  started=$(now)
  if ! (cd "$ROOT" && timeout "$DRAIN_TIMEOUT" "$LAUNCHER" "$HEAP" -XX:+ExitOnOutOfMemoryError "${jfr[@]}" \
         -Dcamel.main.routes-include-pattern="$routes" -Dpgingest.state.url="jdbc:h2:file:$WORK/state-$dest" \
         --once) > "$WORK/$dest-$step.log" 2>&1; then
    tail -n 40 "$WORK/$dest-$step.log" >&2
    die "pg-ingest -> $dest ($step) failed (last lines of its log above; full log in $WORK/$dest-$step.log)"
  fi
  elapsed "$started" "$(now)"
}

# The historical load twice, like the COPY pipe, each time from nothing (no slot, publication, state or
# destination rows); prints the better time. The second run's slot and rows are the ones (A) and (B) go on from.
time_snapshot() {
  local dest="$1" first second pipeline="${P}_$1"
  first=$(time_pg_ingest "$dest" snapshot-1)
  info "pg-ingest -> $dest (snapshot, run 1): $first s" >&2
  pg_value postgres "select pg_drop_replication_slot(slot_name) from pg_replication_slots
                     where slot_name = 'pgingest_$pipeline'" >/dev/null
  pg "$SRC" -c "drop publication if exists pgingest_$pipeline"
  rm -f "$WORK/state-$dest".*
  if [ "$dest" = postgres ]; then
    pg "$DST" -c "drop schema $PGINGEST_LBENCH_SCHEMA cascade" -c "create schema $PGINGEST_LBENCH_SCHEMA"
  else
    rm -f "$PGINGEST_LBENCH_DUCKDB" "$PGINGEST_LBENCH_DUCKDB.wal"
  fi
  second=$(time_pg_ingest "$dest" snapshot-2)
  info "pg-ingest -> $dest (snapshot, run 2): $second s" >&2
  awk -v a="$first" -v b="$second" 'BEGIN { printf "%.2f", (a < b ? a : b) }'
}

# A query on the destination of one pipeline; {t:name} stands for the destination table of source table name.
dest_query() {
  local dest="$1" sql="$2" name table
  while [[ "$sql" =~ \{t:([a-z_]+)\} ]]; do
    name="${BASH_REMATCH[1]}"
    if [ "$dest" = postgres ]; then
      table="$PGINGEST_LBENCH_SCHEMA.$name"
    else
      table=$(duckdb_tsv "$PGINGEST_LBENCH_DUCKDB" "select '\"' || table_schema || '\".\"' || table_name || '\"'
               from information_schema.tables where table_catalog = current_database()
               and table_name like '%$name' order by length(table_name) limit 1")
      [ -n "$table" ] || die "no $name table in $PGINGEST_LBENCH_DUCKDB"
    fi
    sql="${sql//\{t:$name\}/$table}"
  done
  if [ "$dest" = postgres ]; then pg_value "$DST" "$sql"; else duckdb_tsv "$PGINGEST_LBENCH_DUCKDB" "$sql"; fi
}

# The fingerprint of the state the benchmark changes: per table "rows/sum of the balance column".
FINGERPRINT=(pgbench_accounts:abalance pgbench_tellers:tbalance pgbench_branches:bbalance pgbench_history:delta)

# The tables compared: all of them, but only pgbench_accounts while a changes-only run (no snapshot) has
# not yet seen a change of the others (before (B)).
CHECKED=("${FINGERPRINT[@]}")
source_fingerprint() {
  local e out=""
  for e in "${CHECKED[@]}"; do
    out+="$(pg_value "$SRC" "select count(*) || '/' || coalesce(sum(${e#*:}), 0) from public.${e%%:*}") "
  done
  echo "${out% }"
}

# A table with no row at snapshot time is created in the destination by its first change: absent = "0/0".
destination_fingerprint() {
  local dest="$1" e t out="" exists
  for e in "${CHECKED[@]}"; do
    t="${e%%:*}"
    if [ "$dest" = postgres ]; then
      exists=$(pg_value "$DST" "select to_regclass('$PGINGEST_LBENCH_SCHEMA.$t') is not null")
      [ "$exists" = t ] || { out+="0/0 "; continue; }
    else
      exists=$(duckdb_tsv "$PGINGEST_LBENCH_DUCKDB" "select count(*) from information_schema.tables
               where table_catalog = current_database() and table_name like '%$t'")
      [ "$exists" != 0 ] || { out+="0/0 "; continue; }
    fi
    out+="$(dest_query "$dest" "select count(*) || '/' || coalesce(sum(${e#*:}), 0) from {t:$t}
                                 where not coalesce(_pgingest_deleted, false)") "
  done
  echo "${out% }"
}

expect_destination() {
  local dest="$1" step="$2" want="$3" got
  got=$(destination_fingerprint "$dest")
  [ "$got" = "$want" ] || die "after $step the $dest destination holds (rows/sum per table) '$got', the source '$want'"
  info "$dest after $step: $got (rows/sum of ${CHECKED[*]%%:*}) = source"
}

# Drains the backlog of one step: recv slot 1, pg-ingest -> DuckDB, -> PostgreSQL, recv slot 2. The PostgreSQL
# pipeline goes last: its destination is on the same server, so the WAL of its writes follows the backlog, and a
# pipeline started after it would read that WAL too (its --once run reads up to a marker written at its start).
drain() {
  local step="$1" endpos="$2" want r1 r2 pgs="-" dks="-" d
  want=$(source_fingerprint)
  # every reader starts decoding at its slot's restart point, which may lie before the range (a large transaction the
  # slot read last is decoded again): a fair comparison needs the same amount for every slot, printed here
  info "WAL each slot decodes before the range (from its restart_lsn to $START_LSN): $(pg_value postgres "select
        string_agg(slot_name || ' ' || pg_size_pretty(greatest(pg_wal_lsn_diff('$START_LSN', restart_lsn), 0)), ', '
        order by slot_name) from pg_replication_slots where database = '$SRC'")"
  local pre1 pre2 prepg prepk
  pre_range() { pg_value postgres "select coalesce((select greatest(pg_wal_lsn_diff('$START_LSN', restart_lsn), 0)::bigint
                                   from pg_replication_slots where slot_name = '$1'), 0)"; }
  pre1=$(pre_range "${RECV_SLOTS[0]}") pre2=$(pre_range "${RECV_SLOTS[1]}")
  prepg=$(pre_range "pgingest_${PIPELINES[0]}") prepk=$(pre_range "pgingest_${PIPELINES[1]}")
  r1=$(time_recvlogical "${RECV_SLOTS[0]}" "$endpos"); info "pg_recvlogical ($step, slot 1): $r1 s"
  if dest_on duckdb; then dks=$(time_pg_ingest duckdb "$step"); info "pg-ingest -> DuckDB ($step): $dks s"; fi
  if dest_on postgres; then pgs=$(time_pg_ingest postgres "$step"); info "pg-ingest -> PostgreSQL ($step): $pgs s"; fi
  r2=$(time_recvlogical "${RECV_SLOTS[1]}" "$endpos"); info "pg_recvlogical ($step, slot 2): $r2 s"
  for d in "${DESTS[@]}"; do expect_destination "$d" "$step" "$want"; done
  RECV=$(awk -v a="$r1" -v b="$r2" 'BEGIN { printf "%.2f", (a < b ? a : b) }')
  PG_T="$pgs" DK_T="$dks"
  # like for like: each pipeline against the pg_recvlogical slot that decoded about as much WAL before the range
  # (the nearer amount; the faster read when both are as near), printed beside the ratios against the best read
  matched() { awk -v p="$1" -v a="$pre1" -v b="$pre2" -v ra="$r1" -v rb="$r2" 'BEGIN {
      da = p - a; if (da < 0) da = -da; db = p - b; if (db < 0) db = -db
      if (da < db || (da == db && ra <= rb)) printf "%s %d %.0f", ra, 1, a / 1048576; else printf "%s %d %.0f", rb, 2, b / 1048576 }'; }
  MATCH_PG="$(matched "$prepg") $(awk -v p="$prepg" 'BEGIN { printf "%.0f", p / 1048576 }')"
  MATCH_DK="$(matched "$prepk") $(awk -v p="$prepk" 'BEGIN { printf "%.0f", p / 1048576 }')"
}

# Without the snapshot: each pipeline's first run creates its slot (no data); then an untimed update of every
# account, drained by the pipelines, fills their pgbench_accounts so that (A) updates existing rows.
# pg_recvlogical's slots are made before that update and read it too (untimed): a slot that has read a large
# transaction may have to decode it again before what follows it (its restart point stays before that
# transaction for a while), and the baseline must pay what the pipelines' slots pay. Without this, (B) alone
# compared a pipeline re-reading the priming transaction with slots that never saw it (0.85 s against 3.1 s).
prime_destinations() {
  local d t s end
  for d in "${DESTS[@]}"; do
    t=$(time_pg_ingest "$d" start); info "pg-ingest -> $d (first run, creates the slot): $t s"
  done
  create_recv_slots
  pg "$SRC" -c "update pgbench_accounts set abalance = abalance"
  end=$(pg_value "$SRC" "select pg_current_wal_lsn()")
  CHECKED=("${FINGERPRINT[0]}")
  WANT=$(source_fingerprint)
  for d in "${DESTS[@]}"; do
    t=$(time_pg_ingest "$d" prime); info "pg-ingest -> $d (priming update of $ROWS accounts, untimed): $t s"
    expect_destination "$d" prime "$WANT"
  done
  for s in "${RECV_SLOTS[@]}"; do
    t=$(time_recvlogical "$s" "$end"); info "pg_recvlogical ($s) read the priming update (untimed): $t s"
  done
}

# Autovacuum is kept out of the timed runs (it would take one of the two CPUs from whichever run it falls
# into): before a step, the source's and the PostgreSQL destination's tables are vacuumed (dead rows of the
# earlier steps); after the step's changes, the source's again, before the end of the WAL range, so that
# pg_recvlogical and the pipelines both read its WAL.
vacuum_tables() {
  local tables
  pg "$SRC" -c "vacuum pgbench_accounts, pgbench_tellers, pgbench_branches, pgbench_history"
  if [ "${1:-}" = destinations ] && dest_on postgres; then
    tables=$(pg_value "$DST" "select string_agg(format('%I.%I', schemaname, tablename), ', ') from pg_tables
                              where schemaname = '$PGINGEST_LBENCH_SCHEMA'")
    if [ -n "$tables" ]; then pg "$DST" -c "vacuum $tables"; fi
  fi
}

# Before a step's changes, every slot is brought to the end of the WAL, untimed: the pipelines by an --once run
# with nothing to do, pg_recvlogical's slots by pg_replication_slot_advance. Without this, the WAL the earlier
# steps wrote to the PostgreSQL destination (on this same server: after (A), about 500 MB of upserts) lay inside
# the next step's range, and every timed reader decoded it: pg_recvlogical read (B) in 3.1-4.4 s instead of
# 1.0-1.5 s, which made the ratios look far better than they are (see bench/README.md, eleventh session).
settle_slots() {
  local step="$1" d t s
  for d in "${DESTS[@]}"; do
    t=$(time_pg_ingest "$d" "settle-$step"); info "pg-ingest -> $d (before $step, nothing to drain, untimed): $t s"
  done
  for s in "${RECV_SLOTS[@]}"; do
    pg_value "$SRC" "select pg_replication_slot_advance('$s', pg_current_wal_lsn())" >/dev/null
  done
}

wal_bytes_since() { pg_value "$SRC" "select pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), '$1'))"; }

# User + system CPU ticks (getconf CLK_TCK per second) a process used so far.
process_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# ---------------------------------------------------------------------------------------------
# Latency: pg-ingest streaming (no --once) into PostgreSQL (a DuckDB file cannot be read meanwhile), pgbench
# at a fixed rate stamping clock_timestamp()

measure_latency() {
  local script="$WORK/latency.sql" want got waited=0 dest=postgres var routes
  echo "insert into lbench_latency (stamped_at) values (clock_timestamp());" > "$script"
  var="ROUTES_$dest"; routes="${!var}"
  (cd "$ROOT" && exec "$LAUNCHER" "$HEAP" -Dcamel.main.routes-include-pattern="$routes" \
      -Dpgingest.state.url="jdbc:h2:file:$WORK/state-$dest") > "$WORK/$dest-latency.log" 2>&1 &
  STREAMING_PID=$!
  # streaming once a marker row arrived (the lowest id in the new destination table; the source's sequence is not reset
  # between runs, so it is left out of the latencies by that, not by a fixed id)
  pg "$SRC" -c "insert into lbench_latency (stamped_at) values (clock_timestamp())"
  until [ "$(dest_query "$dest" "select count(*) from {t:lbench_latency}" 2>/dev/null || echo 0)" = 1 ]; do
    kill -0 "$STREAMING_PID" 2>/dev/null || { tail -n 30 "$WORK/$dest-latency.log" >&2; die "pg-ingest (streaming) exited"; }
    sleep 1; waited=$((waited + 1)); [ "$waited" -lt 120 ] || die "pg-ingest (streaming) did not deliver a row within 120 s"
  done
  info "streaming; pgbench --rate $LATENCY_RATE for $LATENCY_SECONDS s"
  local cpu_before wall_before
  cpu_before=$(process_cpu_ticks "$STREAMING_PID"); wall_before=$(date +%s%N)
  pgbench -n -c 4 -j 2 --rate "$LATENCY_RATE" -T "$LATENCY_SECONDS" -f "$script" "$SRC" > "$WORK/latency-pgbench.log" 2>&1 \
    || { cat "$WORK/latency-pgbench.log" >&2; die "pgbench --rate failed"; }
  # pg-ingest's CPU (user + system) over the pgbench run, in percent of one core
  LATENCY_CPU=$(awk -v t="$(( $(process_cpu_ticks "$STREAMING_PID") - cpu_before ))" -v hz="$(getconf CLK_TCK)" \
      -v ns="$(( $(date +%s%N) - wall_before ))" 'BEGIN { printf "%.0f", 100 * (t / hz) / (ns / 1e9) }')
  LATENCY_TPS=$(awk '/^tps = / { printf "%.0f", $3 }' "$WORK/latency-pgbench.log")
  want=$(pg_value "$SRC" "select count(*) from lbench_latency")
  waited=0
  until got=$(dest_query "$dest" "select count(*) from {t:lbench_latency}"); [ "$got" = "$want" ]; do
    sleep 1; waited=$((waited + 1))
    [ "$waited" -lt 120 ] || die "the destination holds $got of $want latency rows 120 s after the writers stopped"
  done
  kill "$STREAMING_PID"; wait "$STREAMING_PID" 2>/dev/null || true; STREAMING_PID=""
  LATENCY=$(dest_query "$dest" "select to_char(1000 * percentile_cont(0.5) within group (order by l), 'FM99990.0')
      || ' ' || to_char(1000 * percentile_cont(0.99) within group (order by l), 'FM99990.0')
      || ' ' || to_char(1000 * max(l), 'FM99990.0')
      from (select extract(epoch from _pgingest_loaded_at - stamped_at) as l from {t:lbench_latency} where id > (select min(id) from {t:lbench_latency})) x")
}

# pg-ingest runs through its launcher, scripts/pg-ingest, with a class-data-sharing archive of its own for
# this benchmark (the default one may come from a table-mode run, without Debezium's classes). The archive is
# made, untimed, over a scratch database into both destinations, the way a running service's archive is made
# by what it did (the JVM writes it when the run ends): a first run loads 10,000 rows without an archive, then
# changes are made (one transaction updating every row, 5,000 small ones), and the run that streams them makes
# the archive. On Java 25 and later the AOT cache also holds the method profiles of that run (JEP 515), so the
# JIT compiles the streaming path early; before the fifteenth session the training run only loaded rows. The
# archive is kept beside the jar for the next runs.
LAUNCHER="$ROOT/scripts/pg-ingest"
export PGINGEST_CDS_ARCHIVE="${JAR%.jar}-logical.jsa"
prepare_archive() {
  if archive_usable "$PGINGEST_CDS_ARCHIVE"; then
    info "class-data-sharing archive: $PGINGEST_CDS_ARCHIVE"
    return
  fi
  local p=cds${P} dir="$WORK/archive"
  info "making the class-data-sharing archive $PGINGEST_CDS_ARCHIVE (untimed runs of pipelines ${p}_postgres and ${p}_duckdb)"
  drop_database "pgingest_${p}_src"; drop_database "pgingest_${p}_dst"
  createdb "pgingest_${p}_src"; createdb "pgingest_${p}_dst"
  pg "pgingest_${p}_src" -c "create table items (id int primary key, name text, amount numeric(12,2), at timestamptz)" \
    -c "insert into items select g, 'item ' || g, g * 1.5, now() from generate_series(1, 10000) g" \
    -c "create table notes (item int, body text, at timestamptz)" -c "alter table notes replica identity full"
  printf '%s\n' '\set id random(1, 10000)' 'update items set amount = amount + 1 where id = :id;' \
    "insert into notes values (:id, 'note', now());" > "$WORK/archive-changes.sql"
  mkdir -p "$dir"
  archive_run() {
    (cd "$ROOT" && PGINGEST_LBENCH_PREFIX=$p PGINGEST_LBENCH_HISTORICAL=true PGINGEST_LBENCH_SCHEMA=public \
      PGINGEST_LBENCH_DUCKDB="$dir/archive.duckdb" timeout 300 "$LAUNCHER" "$HEAP" \
      -Dcamel.main.routes-include-pattern="file:$ROOT/bench/routes/logical-postgres.camel.yaml,file:$ROOT/bench/routes/logical-duckdb.camel.yaml" \
      -Dpgingest.state.url="jdbc:h2:file:$dir/state" --once) >> "$WORK/archive.log" 2>&1
  }
  if ! PGINGEST_CDS=off archive_run \
     || ! pg "pgingest_${p}_src" -c "update items set amount = amount + 1" >> "$WORK/archive.log" 2>&1 \
     || ! pgbench -n -c 2 -j 2 -t 2500 -f "$WORK/archive-changes.sql" "pgingest_${p}_src" >> "$WORK/archive.log" 2>&1 \
     || ! archive_run || ! archive_usable "$PGINGEST_CDS_ARCHIVE"; then
    info "the archive runs failed (log: $WORK/archive.log); the timed runs start without an archive"
  fi
  drop_database "pgingest_${p}_src"; drop_database "pgingest_${p}_dst"
}

# ---------------------------------------------------------------------------------------------

heading "Setup"
require_server
if $BUILD || [ ! -f "$JAR" ]; then build_jar; fi
[ "$(pg_value postgres "show wal_level")" = logical ] || die "wal_level must be logical (scripts/setup-postgres.sh)"
prepare_source
prepare_destination
info "server: PostgreSQL $(pg_value postgres "show server_version") at $PGHOST:$PGPORT; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg); work dir $WORK"
info "java: $(launcher_java_version) ($(launcher_java); set JAVA_HOME to choose another)"
STEP_LIST="${STEPS#,}"; STEP_LIST="${STEP_LIST%,}"
info "steps: ${STEP_LIST:-none}; destinations: ${DESTS[*]}; names: $SRC, $DST, pipelines ${PIPELINES[*]}"
prepare_archive

COPY_SECONDS="-" SNAP_PG="-" SNAP_DK="-"
if step_on snapshot; then
  heading "Historical load: COPY pipe (best of 2) vs pg-ingest snapshot"
  time_copy_pipe
  if dest_on postgres; then SNAP_PG=$(time_snapshot postgres); info "pg-ingest -> PostgreSQL (snapshot, best of 2): $SNAP_PG s"; fi
  if dest_on duckdb; then SNAP_DK=$(time_snapshot duckdb); info "pg-ingest -> DuckDB (snapshot, best of 2): $SNAP_DK s"; fi
  WANT=$(source_fingerprint)
  for d in "${DESTS[@]}"; do expect_destination "$d" snapshot "$WANT"; done
elif step_on A || step_on B; then
  heading "No snapshot: pipelines start with changes only; priming update of every account (untimed)"
  prime_destinations
else
  for d in "${DESTS[@]}"; do t=$(time_pg_ingest "$d" start); info "pg-ingest -> $d (first run, creates the slot): $t s"; done
fi

A_RECV="-" A_PG="-" A_DK="-" B_RECV="-" B_PG="-" B_DK="-"
if step_on snapshot && { step_on A || step_on B; }; then
  create_recv_slots
fi
if step_on A; then
  heading "(A) one transaction updating all $ROWS rows of pgbench_accounts"
  vacuum_tables destinations
  settle_slots A
  START_LSN=$(pg_value "$SRC" "select pg_current_wal_lsn()")
  pg "$SRC" -c "update pgbench_accounts set abalance = abalance + 1"
  vacuum_tables
  END_LSN=$(pg_value "$SRC" "select pg_current_wal_lsn()")
  info "backlog: $START_LSN .. $END_LSN ($(wal_bytes_since "$START_LSN") of WAL)"
  drain A "$END_LSN"; A_RECV=$RECV A_PG=$PG_T A_DK=$DK_T A_MATCH_PG=$MATCH_PG A_MATCH_DK=$MATCH_DK
fi
if step_on B; then
  heading "(B) pgbench -c 2 -t 25000 -n (200k changes in 50k transactions)"
  vacuum_tables destinations
  settle_slots B
  START_LSN=$(pg_value "$SRC" "select pg_current_wal_lsn()")
  pgbench -n -c 2 -j 2 -t 25000 "$SRC" > "$WORK/pgbench-B.log" 2>&1 || { cat "$WORK/pgbench-B.log" >&2; die "pgbench failed"; }
  vacuum_tables
  END_LSN=$(pg_value "$SRC" "select pg_current_wal_lsn()")
  info "backlog: $START_LSN .. $END_LSN ($(wal_bytes_since "$START_LSN") of WAL)"
  CHECKED=("${FINGERPRINT[@]}")   # every table has changes now
  drain B "$END_LSN"; B_RECV=$RECV B_PG=$PG_T B_DK=$DK_T B_MATCH_PG=$MATCH_PG B_MATCH_DK=$MATCH_DK
fi

LATENCY="" LATENCY_TPS="" LATENCY_CPU=""
if step_on latency; then
  heading "Latency: commit to destination at $LATENCY_RATE changes/s (pg-ingest -> postgres, streaming)"
  measure_latency
fi

heading "Summary: logical replication, pgbench scale 10 (load average now $(cut -d' ' -f1-3 /proc/loadavg))"
row() { printf '%-34s %12s %12s %12s %10s %10s\n' "$@"; }
ratio_or_dash() { if [ "$1" = - ] || [ "$2" = - ]; then echo -; else ratio "$1" "$2"; fi; }
row "run" "baseline s" "->PG s" "->DuckDB s" "PG ratio" "DK ratio"
row "----------------------------------" "----------" "------" "----------" "--------" "--------"
if step_on snapshot; then
  row "snapshot 1M rows vs COPY pipe" "$COPY_SECONDS" "$SNAP_PG" "$SNAP_DK" "$(ratio_or_dash "$SNAP_PG" "$COPY_SECONDS")" "$(ratio_or_dash "$SNAP_DK" "$COPY_SECONDS")"
fi
if step_on A; then
  row "(A) 1M-row txn vs pg_recvlogical" "$A_RECV" "$A_PG" "$A_DK" "$(ratio_or_dash "$A_PG" "$A_RECV")" "$(ratio_or_dash "$A_DK" "$A_RECV")"
fi
if step_on B; then
  row "(B) pgbench 50k txn vs recvlogical" "$B_RECV" "$B_PG" "$B_DK" "$(ratio_or_dash "$B_PG" "$B_RECV")" "$(ratio_or_dash "$B_DK" "$B_RECV")"
fi
# "<recv seconds> <slot> <its MB before the range> <the pipeline's MB before the range>"
like_for_like() {
  local label="$1" secs="$2" match="$3" r slot mb own
  [ "$secs" = - ] || [ -z "$match" ] && return 0
  read -r r slot mb own <<<"$match"
  echo "  $label: $(ratio "$secs" "$r")x against pg_recvlogical slot $slot ($r s; $mb MB of WAL before the range, the pipeline's slot $own MB)"
}
if step_on A || step_on B; then
  echo
  echo "like for like (each pipeline against the pg_recvlogical read whose slot decoded about as much WAL before the range):"
  if step_on A; then like_for_like "(A) -> PostgreSQL" "$A_PG" "${A_MATCH_PG:-}"; like_for_like "(A) -> DuckDB" "$A_DK" "${A_MATCH_DK:-}"; fi
  if step_on B; then like_for_like "(B) -> PostgreSQL" "$B_PG" "${B_MATCH_PG:-}"; like_for_like "(B) -> DuckDB" "$B_DK" "${B_MATCH_DK:-}"; fi
fi
echo
echo "targets: every ratio at most 2.00 (Debezium Server 3.6: about 5.6x on A, 8.7x on B, 17x on the snapshot)."
if [ -n "$LATENCY" ]; then
  read -r P50 P99 PMAX <<<"$LATENCY"
  echo "latency commit -> postgres destination at $LATENCY_RATE changes/s requested ($LATENCY_TPS/s achieved, $LATENCY_SECONDS s):" \
       "p50 $P50 ms, p99 $P99 ms, max $PMAX ms; batchWaitMs ${PGINGEST_LBENCH_BATCH_WAIT_MS:-100}, pg-ingest's CPU $LATENCY_CPU% of one core"
fi
echo "pg-ingest times are the wall clock of 'scripts/pg-ingest --once' (java -jar with the archive; JVM and Camel start,"
echo "the drain, the catch-up check, shutdown); baselines: COPY pipe best of 2, pg_recvlogical best of 2 slots."
echo "java: $(launcher_java_version) ($(launcher_java)); archive: $PGINGEST_CDS_ARCHIVE ($(sed -n 2p "$PGINGEST_CDS_ARCHIVE.java" 2>/dev/null || echo none))"
echo
echo "commands:"
echo "  this run:     bench/logical.sh --only $ONLY --dest $DEST   (PGINGEST_LBENCH_PREFIX=$P)"
echo "  baseline A/B: pg_recvlogical -d $SRC -S <slot> --start --endpos <lsn after the change> --no-loop -o proto_version=1 -o publication_names=$RECV_PUB -f /dev/null"
echo "  postgres:     PGINGEST_LBENCH_SCHEMA=<schema> PGINGEST_CDS_ARCHIVE=$PGINGEST_CDS_ARCHIVE scripts/pg-ingest $HEAP -Dcamel.main.routes-include-pattern=$ROUTES_postgres -Dpgingest.state.url=jdbc:h2:file:<dir>/state-postgres --once"
echo "  duckdb:       PGINGEST_LBENCH_DUCKDB=<file> PGINGEST_CDS_ARCHIVE=$PGINGEST_CDS_ARCHIVE scripts/pg-ingest $HEAP -Dcamel.main.routes-include-pattern=$ROUTES_duckdb -Dpgingest.state.url=jdbc:h2:file:<dir>/state-duckdb --once"
