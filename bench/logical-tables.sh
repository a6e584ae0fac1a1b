#!/usr/bin/env bash
# Benchmark: commit-to-destination latency of a streaming logical-replication pipeline whose transactions touch many
# tables, into PostgreSQL, with the tables of a batch written one after the other (concurrentObjects 1) against
# several at a time (concurrentObjects N), alternated in the same run. Prints p50/p99/max of each and the ratios.
# See bench/README.md, "Many tables per batch".
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/logical-tables.sh [--tables N] [--rate R] [--seconds S] [--rounds K] [--concurrent C] [--build] [--keep]
       (env: PGHOST, PGPORT, PGUSER, PGPASSWORD)
  --tables N      source tables (default 40), 1,000 rows each; every transaction updates one row of each
  --rate R        transactions per second (default 20, so 20 x N changes per second)
  --seconds S     how long each measurement writes (default 15)
  --rounds K      how many times each setting is measured, alternated (default 2)
  --concurrent C  the concurrentObjects measured against 1 (default 4)
  --build         rebuild target/pg-ingest.jar first (it is built anyway when missing)
  --keep          keep the work directory (logs, state store) and both databases
USAGE
}

TABLES=40 RATE=20 SECONDS_EACH=15 ROUNDS=2 CONCURRENT=4 BUILD=false KEEP=false
while [ $# -gt 0 ]; do
  case "$1" in
    --tables) TABLES="${2:?}"; shift ;;
    --rate) RATE="${2:?}"; shift ;;
    --seconds) SECONDS_EACH="${2:?}"; shift ;;
    --rounds) ROUNDS="${2:?}"; shift ;;
    --concurrent) CONCURRENT="${2:?}"; shift ;;
    --build) BUILD=true ;;
    --keep) KEEP=true ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
for v in "$TABLES" "$RATE" "$SECONDS_EACH" "$ROUNDS" "$CONCURRENT"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "bench/logical-tables.sh: '$v' is not a positive whole number" >&2; usage >&2; exit 2; }
done
[ "$CONCURRENT" -ge 2 ] && [ "$CONCURRENT" -le 64 ] \
  || { echo "bench/logical-tables.sh: --concurrent must be 2 to 64 (it is measured against 1)" >&2; exit 2; }

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "$0")/../scripts/lib/common.sh"
require_commands java psql pgbench createdb dropdb pg_isready awk
export PGSSLMODE=disable
require_server
[ "$(pg_value postgres "show wal_level")" = logical ] || die "wal_level is not logical: run scripts/setup-postgres.sh"
if $BUILD || [ ! -f "$JAR" ]; then build_jar; fi

SRC=pgingest_ltbench_src DST=pgingest_ltbench_dst SLOT=pgingest_ltbench_postgres
ROUTES="file:$ROOT/bench/routes/logical-tables.camel.yaml"
WORK=$(mktemp -d /tmp/pgingest-ltbench.XXXXXX)
STREAMING_PID=""
cleanup() {
  local rc=$?
  if [ -n "$STREAMING_PID" ] && kill -0 "$STREAMING_PID" 2>/dev/null; then
    kill "$STREAMING_PID" 2>/dev/null; wait "$STREAMING_PID" 2>/dev/null || true
  fi
  pg_value postgres "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = '$SLOT'" \
    >/dev/null 2>&1 || info "could not drop slot $SLOT: drop it by hand"
  if $KEEP || [ "$rc" -ne 0 ]; then
    info "kept $WORK and databases $SRC, $DST"
  else
    rm -rf "$WORK"
    drop_database "$SRC"; drop_database "$DST"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Source: N tables of 1,000 rows; the destination from nothing (the first run loads them, untimed)
drop_database "$SRC"; drop_database "$DST"
createdb "$SRC"; createdb "$DST"
pg "$SRC" -c "do \$\$ begin for i in 1..$TABLES loop
  execute format('create table lt_%s (id int primary key, v bigint not null, stamped_at timestamptz)', i);
  execute format('insert into lt_%s select g, 0, null from generate_series(1, 1000) g', i);
end loop; end \$\$"
{
  echo '\set id random(1, 1000)'
  echo 'BEGIN;'
  for i in $(seq 1 "$TABLES"); do echo "UPDATE lt_$i SET v = v + 1, stamped_at = clock_timestamp() WHERE id = :id;"; done
  echo 'END;'
} > "$WORK/changes.sql"
info "source $SRC: $TABLES tables of 1,000 rows; each transaction updates one row of every table"

# The sum of v over every table: equal on both sides once every change arrived (v only grows)
sum_query() {
  local q="" i
  for i in $(seq 1 "$TABLES"); do q="$q union all select v from $1lt_$i"; done
  echo "select coalesce(sum(v), 0) from (${q# union all }) x"
}
SRC_SUM=$(sum_query "") DST_SUM=$(sum_query "lt.")

# Waits until the destination holds every change of the source (at most 120 s)
await_destination() {
  local want got waited=0
  want=$(pg_value "$SRC" "$SRC_SUM")
  until got=$(pg_value "$DST" "$DST_SUM" 2>/dev/null) && [ "$got" = "$want" ]; do
    kill -0 "$STREAMING_PID" 2>/dev/null || { tail -n 30 "$WORK/run.log" >&2; die "pg-ingest exited (log: $WORK/run.log)"; }
    sleep 0.5; waited=$((waited + 1))
    [ "$waited" -lt 240 ] || die "the destination's sum of v is ${got:-?}, the source's $want, 120 s on (log: $WORK/run.log)"
  done
}

# One measurement: pg-ingest streaming with concurrentObjects $1; prints "p50 p99 max cpu"
measure() {
  local c="$1" since cpu_before wall_before cpu q="" i
  PGINGEST_LTBENCH_CONCURRENT="$c" "$ROOT/scripts/pg-ingest" -Xmx512m -Dcamel.main.routes-include-pattern="$ROUTES" \
    -Dpgingest.state.url="jdbc:h2:file:$WORK/state" >> "$WORK/run.log" 2>&1 &
  STREAMING_PID=$!
  pg "$SRC" -c "update lt_1 set v = v + 1 where id = 1" # streaming once this arrived
  await_destination
  since=$(pg_value "$SRC" "select clock_timestamp()")
  cpu_before=$(awk '{ print $14 + $15 }' "/proc/$STREAMING_PID/stat"); wall_before=$(date +%s%N)
  pgbench -n -c 2 -j 2 --rate "$RATE" -T "$SECONDS_EACH" -f "$WORK/changes.sql" "$SRC" > "$WORK/pgbench.log" 2>&1 \
    || { cat "$WORK/pgbench.log" >&2; die "pgbench failed"; }
  cpu=$(awk -v t="$(( $(awk '{ print $14 + $15 }' "/proc/$STREAMING_PID/stat") - cpu_before ))" -v hz="$(getconf CLK_TCK)" \
      -v ns="$(( $(date +%s%N) - wall_before ))" 'BEGIN { printf "%.0f", 100 * (t / hz) / (ns / 1e9) }')
  await_destination
  kill "$STREAMING_PID"; wait "$STREAMING_PID" 2>/dev/null || true; STREAMING_PID=""
  for i in $(seq 1 "$TABLES"); do
    q="$q union all select extract(epoch from _pgingest_loaded_at - stamped_at) as l from lt.lt_$i where stamped_at > '$since'"
  done
  echo "$(pg_value "$DST" "select to_char(1000 * percentile_cont(0.5) within group (order by l), 'FM99990.0')
      || ' ' || to_char(1000 * percentile_cont(0.99) within group (order by l), 'FM99990.0')
      || ' ' || to_char(1000 * max(l), 'FM99990.0') from (${q# union all }) x") $cpu"
}

heading "First run: slot, publication, historical load of $TABLES tables (untimed)"
read -r _ _ _ _ <<< "$(measure "$CONCURRENT")" # also warms the page cache and makes sure both sides work
info "done"

heading "Streaming $RATE transactions/s x $TABLES tables for $SECONDS_EACH s: concurrentObjects 1 vs $CONCURRENT, $ROUNDS rounds"
declare -A P50 P99 MAX CPU
for r in $(seq 1 "$ROUNDS"); do
  for c in 1 "$CONCURRENT"; do
    read -r p50 p99 max cpu <<< "$(measure "$c")"
    info "round $r, concurrentObjects $c: p50 $p50 ms, p99 $p99 ms, max $max ms; pg-ingest CPU $cpu% of one core"
    P50[$c]="${P50[$c]:-} $p50" P99[$c]="${P99[$c]:-} $p99" MAX[$c]="${MAX[$c]:-} $max" CPU[$c]="${CPU[$c]:-} $cpu"
  done
done

median() { tr ' ' '\n' <<< "$1" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { printf "%.1f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
heading "Summary: latency from commit to destination, $TABLES tables per transaction, $RATE transactions/s (medians of $ROUNDS rounds)"
printf '%-20s %10s %10s %10s %8s\n' "concurrentObjects" "p50 ms" "p99 ms" "max ms" "CPU %"
for c in 1 "$CONCURRENT"; do
  printf '%-20s %10s %10s %10s %8s\n' "$c" "$(median "${P50[$c]}")" "$(median "${P99[$c]}")" "$(median "${MAX[$c]}")" "$(median "${CPU[$c]}")"
done
echo "ratio ($CONCURRENT / 1): p50 $(ratio "$(median "${P50[$CONCURRENT]}")" "$(median "${P50[1]}")"), p99 $(ratio "$(median "${P99[$CONCURRENT]}")" "$(median "${P99[1]}")")"
echo "java: $(launcher_java_version) ($(launcher_java))"
