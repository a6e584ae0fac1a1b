#!/usr/bin/env bash
# Benchmark: the backlog drains (A) and (B) of bench/logical.sh timed in a JVM that keeps running, as a
# service does: pg-ingest embedded (bench/WarmDrain.java), its pipeline's route stopped while the changes
# are made and started again; the time runs from the route's start until a marker row, written after the
# changes, is in the destination (PostgreSQL, or with --dest duckdb a DuckDB file) and so is every change (the
# balances equal the source's). Baseline: pg_recvlogical reading the same WAL range from its own slot, best of 2,
# in the same run. bench/logical.sh times the same drains with a new JVM each
# (--once); the difference is the JVM's start and the compilation of its code. See bench/README.md.
set -euo pipefail

usage() {
  echo "usage: bench/logical-warm.sh [--rounds N] [--dest postgres|duckdb]   (env: PGHOST, PGPORT, PGUSER, PGPASSWORD;"
  echo "       needs the source of bench/logical.sh)"
}
ROUNDS=2 DEST=postgres
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) [ $# -ge 2 ] || { usage >&2; exit 2; }; ROUNDS="$2"; shift ;;
    --dest) [ $# -ge 2 ] || { usage >&2; exit 2; }; DEST="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[[ "$ROUNDS" =~ ^[1-9][0-9]?$ ]] || { echo "bench/logical-warm.sh: --rounds must be a number from 1 to 99" >&2; exit 2; }
case "$DEST" in postgres|duckdb) ;; *) echo "bench/logical-warm.sh: --dest: '$DEST' is not postgres or duckdb" >&2; exit 2 ;; esac

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "$0")/../scripts/lib/common.sh"
require_commands java psql pgbench pg_recvlogical awk
export PGSSLMODE=disable
# bench/logical.sh's databases and pipelines (bench/routes/logical-<dest>.camel.yaml): do not run both at once
export PGINGEST_LBENCH_PREFIX=lbench PGINGEST_LBENCH_HISTORICAL=true
SRC=pgingest_lbench_src DST=pgingest_lbench_dst
PIPELINE_SLOT=pgingest_lbench_$DEST RECV_SLOTS=(lbwarm_recv_1 lbwarm_recv_2) RECV_PUB=lbwarm_recv
export PGINGEST_LBENCH_SCHEMA="lbwarm_$(date +%Y%m%d_%H%M%S)"
WORK=$(mktemp -d /tmp/pgingest-lbwarm.XXXXXX)
# The destination as bench/WarmDrain.java reads it, and the schema of its tables there
if [ "$DEST" = duckdb ]; then
  export PGINGEST_LBENCH_DUCKDB="$WORK/lbwarm.duckdb"
  DEST_URL="duckdb:$PGINGEST_LBENCH_DUCKDB" DSCHEMA=main
else
  DEST_URL="jdbc:postgresql://$PGHOST:$PGPORT/$DST?user=$PGUSER&password=${PGPASSWORD:-}&sslmode=disable" DSCHEMA=$PGINGEST_LBENCH_SCHEMA
fi
COPROC_PID=""

database_exists "$SRC" && [ "$(pg_value "$SRC" "select count(*) from pgbench_accounts" 2>/dev/null || echo 0)" = 1000000 ] \
  || die "run bench/logical.sh first: it creates $SRC (pgbench scale 10) and $DST"
[ -f "$JAR" ] || build_jar

drop_replication_objects() {
  local s
  for s in "$PIPELINE_SLOT" "${RECV_SLOTS[@]}"; do
    pg_value postgres "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = '$s' and active_pid is not null" >/dev/null 2>&1 || true
    pg_value postgres "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = '$s'" >/dev/null 2>&1 || true
  done
  pg "$SRC" -c "drop publication if exists $PIPELINE_SLOT" -c "drop publication if exists $RECV_PUB" 2>/dev/null || true
}
cleanup() {
  [ -z "$COPROC_PID" ] || kill "$COPROC_PID" 2>/dev/null || true
  drop_replication_objects
  pg "$DST" -c "drop schema if exists $PGINGEST_LBENCH_SCHEMA cascade" 2>/dev/null || true
  info "log, state (and DuckDB file) in $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
drop_replication_objects   # left over from an interrupted run
[ "$DEST" = duckdb ] || pg "$DST" -c "create schema $PGINGEST_LBENCH_SCHEMA"
pg "$SRC" -c "alter table pgbench_history replica identity full" \
  -c "create table if not exists lbench_latency (id bigserial primary key, stamped_at timestamptz not null)"

coproc WARM { exec java -Xmx512m -XX:+ExitOnOutOfMemoryError \
  -Dcamel.main.routes-include-pattern="file:$ROOT/bench/routes/logical-$DEST.camel.yaml" \
  -Dpgingest.state.url="jdbc:h2:file:$WORK/state" -cp "$JAR" "$ROOT/bench/WarmDrain.java" "$WORK/pg-ingest.log" \
  "lbench-$DEST" "$DEST_URL" 2>&1; }
COPROC_PID=$WARM_PID
# The answer goes into ANSWER (a coprocess's descriptors are not open in a $(...) subshell).
reply() {
  local line
  while read -r -t 900 -u "${WARM[0]}" line; do
    case "$line" in WARMDRAIN\ error*) die "${line#WARMDRAIN }";; WARMDRAIN*) ANSWER="${line#WARMDRAIN }"; return;; esac
  done
  die "pg-ingest (bench/WarmDrain.java) did not answer; see $WORK/pg-ingest.log"
}
send() { echo "$*" >&"${WARM[1]}"; reply; }

reply   # ready: the pipeline creates its slot and publication, loads the tables, then streams
marker() { pg_value "$SRC" "insert into lbench_latency (stamped_at) values (clock_timestamp()) returning id"; }
vacuum_tables() {
  pg "$SRC" -c "vacuum pgbench_accounts, pgbench_tellers, pgbench_branches, pgbench_history"
  [ "${1:-}" = destination ] && [ "$DEST" = postgres ] || return 0
  pg "$DST" -c "vacuum $(pg_value "$DST" "select string_agg(format('%I.%I', schemaname, tablename), ', ') from pg_tables
                                         where schemaname = '$PGINGEST_LBENCH_SCHEMA'")" 2>/dev/null || true
}
# Before a step's changes, the slots are brought to the end of the WAL (untimed): the running pipeline reads up to
# there, pg_recvlogical's slots are advanced. Otherwise the WAL of the previous drain's writes into the destination
# (on this same server) lay inside the step's range and both sides decoded it, which flattered the ratio.
settle() {
  local target waited=0 s
  target=$(pg_value "$SRC" "select pg_current_wal_lsn()")
  until [ "$(pg_value postgres "select confirmed_flush_lsn >= '$target' from pg_replication_slots
                                where slot_name = '$PIPELINE_SLOT'")" = t ]; do
    sleep 0.5; waited=$((waited + 1))
    [ "$waited" -lt 240 ] || die "the pipeline's slot $PIPELINE_SLOT did not reach $target within 120 s"
  done
  for s in "${RECV_SLOTS[@]}"; do
    pg_value "$SRC" "select pg_replication_slot_advance('$s', pg_current_wal_lsn())" >/dev/null
  done
}
change_A() { pg "$SRC" -c "update pgbench_accounts set abalance = abalance + 1"; }
change_B() { pgbench -n -c 2 -j 2 -t 25000 "$SRC" > "$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log" >&2; die "pgbench failed"; }; }
# Reads the slot up to the LSN; prints the seconds.
time_recvlogical() {
  local started
  started=$(now)
  pg_recvlogical -d "$SRC" -S "$1" --start --endpos "$2" --no-loop -o proto_version=1 \
    -o publication_names="$RECV_PUB" -f /dev/null || die "pg_recvlogical on slot $1 did not reach $2"
  elapsed "$started" "$(now)"
}
# rows/sum of the balances of pgbench_accounts and pgbench_tellers in SCHEMA: the same SQL for PostgreSQL and DuckDB
# (one line: WarmDrain takes a command per line)
FP_SQL="select (select cast(count(*) as varchar) || '/' || cast(sum(abalance) as varchar) from SCHEMA.pgbench_accounts)"
FP_SQL="$FP_SQL || ' ' || (select cast(count(*) as varchar) || '/' || cast(sum(tbalance) as varchar) from SCHEMA.pgbench_tellers)"
source_fingerprint() { pg_value "$SRC" "${FP_SQL//SCHEMA/public}"; }
# The destination's, into FINGERPRINT: read through pg-ingest's JVM (a DuckDB file takes one process), whose
# coprocess descriptors a $(...) subshell does not have
destination_fingerprint() { send query "${FP_SQL//SCHEMA/$DSCHEMA}"; FINGERPRINT="${ANSWER#row }"; }

heading "Warm-up (untimed): the historical load, then an update of every account and a pgbench run streamed"
m=$(marker); send wait "$DSCHEMA.lbench_latency" "$m"
change_A; m=$(marker); send wait "$DSCHEMA.lbench_latency" "$m"
change_B; m=$(marker); send wait "$DSCHEMA.lbench_latency" "$m"
destination_fingerprint; info "warmed up; destination $FINGERPRINT, source $(source_fingerprint)"
tables=$(pg_value "$SRC" "select string_agg(format('%I.%I', schemaname, tablename), ', ') from pg_publication_tables where pubname = '$PIPELINE_SLOT'")
pg "$SRC" -c "create publication $RECV_PUB for table $tables"
for s in "${RECV_SLOTS[@]}"; do pg_value "$SRC" "select pg_create_logical_replication_slot('$s', 'pgoutput')" >/dev/null; done

declare -A BEST_PG BEST_RECV
for round in $(seq "$ROUNDS"); do
  for step in A B; do
    heading "($step) round $round"
    vacuum_tables destination
    settle
    send stop
    "change_$step"
    m=$(marker)
    vacuum_tables
    end=$(pg_value "$SRC" "select pg_current_wal_lsn()")
    want=$(source_fingerprint)
    r1=$(time_recvlogical "${RECV_SLOTS[0]}" "$end")
    pg_value postgres "checkpoint" >/dev/null
    send start
    # the marker, then every change: the tables of a batch are written at the same time, so the marker's table may be
    # committed before the others of its batch
    send wait "$DSCHEMA.lbench_latency" "$m"
    send expect "$want"; send until "${FP_SQL//SCHEMA/$DSCHEMA}"; t=${ANSWER#drained }
    destination_fingerprint; got=$FINGERPRINT
    [ "$got" = "$want" ] || die "($step) the destination holds '$got' after the marker, the source '$want'"
    r2=$(time_recvlogical "${RECV_SLOTS[1]}" "$end")
    best_recv=$(awk -v a="$r1" -v b="$r2" 'BEGIN { printf "%.2f", (a < b ? a : b) }')
    info "($step) pg_recvlogical $r1 s / $r2 s; pg-ingest (route start to every change) $t s: $(ratio "$t" "$best_recv")x; destination = source ($got)"
    BEST_PG[$step]=$(awk -v a="$t" -v b="${BEST_PG[$step]:-999999}" 'BEGIN { printf "%.2f", (a < b ? a : b) }')
    BEST_RECV[$step]=$(awk -v a="$best_recv" -v b="${BEST_RECV[$step]:-999999}" 'BEGIN { printf "%.2f", (a < b ? a : b) }')
  done
done
send quit
COPROC_PID=""

heading "Summary: drains in a running pg-ingest ($DEST destination); each side its best of $ROUNDS rounds"
printf '%-38s %12s %12s %8s\n' run "recvlogical s" "pg-ingest s" ratio
for step in A B; do
  printf '%-38s %12s %12s %8s\n' "($step) $([ $step = A ] && echo '1M-row transaction' || echo 'pgbench 50k transactions')" \
    "${BEST_RECV[$step]}" "${BEST_PG[$step]}" "$(ratio "${BEST_PG[$step]}" "${BEST_RECV[$step]}")"
done
echo "pg-ingest: from the route's start (Debezium's engine starting) until the marker written after the changes is in the"
echo "destination and its balances equal the source's (polled every 10 ms). Target (issue 3): 2x."
