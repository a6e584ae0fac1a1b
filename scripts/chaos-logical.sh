#!/usr/bin/env bash
# Robustness checks of logical replication (issue 3, "How it will be checked"):
#   kill9    concurrent writers (inserts, updates, deletes; COPYs into a table without key; updates and deletes of
#            another, equal rows included, whose changes are matched on their values: keylessTables: match);
#            pg-ingest streaming into DuckDB killed with kill -9 at random moments (during the historical
#            load and during streaming) and restarted N times;
#            then the writers stop, one --once catches up, and the destination must equal the source.
#   restart  pg-ingest streaming into PostgreSQL while the source PostgreSQL is restarted
#            (pg_ctlcluster ... restart): the same process must resume by itself and catch up.
# Prints PASS/FAIL per scenario with the evidence; exits 1 when a scenario failed.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/chaos-logical.sh [-n N] [--build] [--keep] [--skip-restart]   (env: PGHOST, PGPORT, PGUSER, PGPASSWORD)
  -n N            kill -9 / restart cycles (default 5)
  --build         rebuild target/pg-ingest.jar first (it is built anyway when missing)
  --keep          keep the temporary directory (DuckDB file, state stores, logs) and the databases
  --skip-restart  skip the source-restart scenario (it restarts the whole PostgreSQL cluster,
                  which interrupts every other session on it)
  env PG_CLUSTER  "<version> <name>" of the source cluster for pg_ctlcluster (default "15 main")
USAGE
}

CYCLES=5 BUILD=false KEEP=false RESTART=true
while [ $# -gt 0 ]; do
  case "$1" in
    -n) CYCLES="${2:?-n needs a number}"; shift ;;
    --build) BUILD=true ;;
    --keep) KEEP=true ;;
    --skip-restart) RESTART=false ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"
require_commands java psql pgbench createdb dropdb pg_isready awk comm sort
SRC=pgingest_chaos_src
DST=pgingest_chaos_dst
BIG_ROWS=200000
HEAP=-Xmx512m
# phase_of reads Debezium's "Starting streaming", which it logs at INFO
export PGINGEST_DEBEZIUM_LOG_LEVEL=INFO
PIPELINES=(chaos_duckdb chaos_postgres)
PG_CLUSTER="${PG_CLUSTER:-15 main}"
WORK=$(mktemp -d /tmp/pgingest-chaos.XXXXXX)
DUCKDB_FILE="$WORK/chaos.duckdb"
PIDS=()            # background processes this script started (pg-ingest, pgbench writers)
FAILED=()

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if database_exists "$SRC"; then
    for p in "${PIPELINES[@]}"; do
      pg_value postgres "select pg_terminate_backend(active_pid) from pg_replication_slots
                         where slot_name = 'pgingest_$p' and active_pid is not null" >/dev/null 2>&1 || true
      sleep 0.5
      pg_value postgres "select pg_drop_replication_slot(slot_name) from pg_replication_slots
                         where slot_name = 'pgingest_$p'" >/dev/null 2>&1 || info "could not drop slot pgingest_$p: drop it by hand"
      pg "$SRC" -c "drop publication if exists pgingest_$p" 2>/dev/null || info "could not drop publication pgingest_$p"
    done
  fi
  if $KEEP; then
    info "kept $WORK, databases $SRC and $DST"
  else
    rm -rf "$WORK"
    drop_database "$SRC" 2>/dev/null || true
    drop_database "$DST" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

write_route() {
  local name="$1" destination="$2" keyless="$3"
  cat > "$WORK/$name.camel.yaml" <<YAML
- templatedRoute:
    routeTemplateRef: pg-ingest
    routeId: $name
    parameters:
      - { name: pipeline, value: $name }
      - { name: mode, value: logical-replication }
      - { name: host, value: "$PGHOST" }
      - { name: port, value: "$PGPORT" }
      - { name: database, value: $SRC }
      - { name: user, value: "$PGUSER" }
      - { name: password, value: "{{env:PGPASSWORD:}}" }
      - { name: objects, value: "*" }
      - { name: batchSize, value: "2000" }
      - { name: keylessTables, value: $keyless }
      - { name: destination, value: "$destination" }
YAML
}

prepare() {
  drop_database "$SRC"; drop_database "$DST"
  createdb "$SRC"; createdb "$DST"
  pg "$SRC" <<SQL
create table big (id bigint primary key, grp int not null, val text, updated_at timestamptz not null default now());
insert into big select g, g % 97, md5(g::text), now() from generate_series(1, $BIG_ROWS) g;
create table hot (id int primary key, counter bigint not null, note text);
insert into hot select g, 0, 'n' || g from generate_series(1, 100) g;
create table events (id bigserial primary key, big_id bigint, payload text);
insert into events (big_id, payload) select g, 'p' || g from generate_series(1, 1000) g;
-- a partitioned table whose rows move between partitions, with values stored out of line (TOAST, uncompressed):
-- updates that leave them unchanged do not send them
create table parts (id int, d date, n int not null, doc text, nums int[], primary key (id, d)) partition by range (d);
create table parts_2024 partition of parts for values from ('2024-01-01') to ('2025-01-01');
create table parts_2025 partition of parts for values from ('2025-01-01') to ('2026-01-01');
alter table parts alter column doc set storage external, alter column nums set storage external;
insert into parts select g, '2024-01-01'::date + g % 300, 0, repeat(md5(g::text), 100), array(select g + k from generate_series(1, 700) k)
from generate_series(1, 2000) g;
-- a table without key (an append log at the destination), filled by COPY (rows of one page share a WAL record)
create table audit (n bigint, note text);
alter table audit replica identity full;
-- a table without key whose rows are updated and deleted (the DuckDB pipeline matches them, keylessTables: match),
-- with equal rows of which one at a time is updated, also by transactions that write first and commit last
create table bag (id int, v text, n int);
alter table bag replica identity full;
insert into bag select g, md5(g::text), 0 from generate_series(1, 500) g;
insert into bag select null, 'dup', 0 from generate_series(1, 20);
vacuum analyze;
SQL
  # Every statement its own transaction: inserts, updates and deletes on all three tables, keys reused.
  cat > "$WORK/writer.sql" <<'SQL'
\set id random(1, 220000)
\set h random(1, 100)
update hot set counter = counter + 1, note = md5(random()::text) where id = :h;
update big set val = md5(random()::text), updated_at = clock_timestamp() where id = :id;
insert into big (id, grp, val) values (:id + 3, 1, 'ins') on conflict (id) do update set val = 'upd', grp = big.grp + 1;
delete from big where id = :id + 7;
insert into events (big_id, payload) values (:id, md5(random()::text));
delete from events where id = (select min(id) from events);
\set p random(1, 2500)
update parts set n = n + 1 where id = :p;
update parts set d = d + 365 where id = :p + 11 and d < '2025-01-01';
insert into parts values (:p + 2000, '2024-06-01'::date + :p % 200, 0, repeat(md5(random()::text), 100), array(select k from generate_series(1, 700) k)) on conflict (id, d) do update set n = parts.n + 1;
delete from parts where id = :p + 5;
\set b random(1, 520)
update bag set n = n + 1, v = md5(random()::text) where id = :b;
delete from bag where id = :b + 2;
insert into bag values (:b + 2, 'ins', 0);
update bag set n = n + 1 where ctid = (select ctid from bag where id is null limit 1);
begin;
insert into bag values (:b + 1000, 'overlapping', 0);
select pg_sleep(0.02);
update bag set n = n + 1 where id = :b;
commit;
SQL
  write_route chaos_duckdb "pgingest-duckdb:$DUCKDB_FILE" match
  write_route chaos_postgres "pgingest-postgres:$DST?host=$PGHOST&port=$PGPORT&user=$PGUSER&password=RAW({{env:PGPASSWORD:}})&schema=chaos" append
}

start_writers() {
  pgbench -n -c 2 -j 2 --rate 100 -T 100000 -f "$WORK/writer.sql" "$SRC" >> "$WORK/writers.log" 2>&1 &
  WRITERS=$!; PIDS+=("$WRITERS")
}
stop_writers() {
  kill "$WRITERS" 2>/dev/null || true; wait "$WRITERS" 2>/dev/null || true
  if [ -n "$COPIER" ]; then kill "$COPIER" 2>/dev/null || true; wait "$COPIER" 2>/dev/null || true; COPIER=""; fi
}

# COPYs 300 rows into the table without key every 0.3 s (n unique), also while its rows are loaded: the load keeps
# its snapshot, and the changes of transactions it saw are not appended again (README, Logical replication).
COPIER=""
start_copier() {
  [ -z "$COPIER" ] || return 0
  local first
  first=$(pg_value "$SRC" "select coalesce(max(n), 0) from audit")
  ( n=$first
    while :; do
      seq $((n + 1)) $((n + 300)) | awk '{ print $1 "\tcopied " $1 }' | psql -X -q -d "$SRC" -c '\copy audit from stdin' \
        >/dev/null 2>&1 || true
      n=$((n + 300)); sleep 0.3
    done ) &
  COPIER=$!; PIDS+=("$COPIER")
}

# Starts pg-ingest streaming (no --once) for one pipeline; sets INGEST. Log appended to $WORK/<pipeline>.log.
start_ingest() {
  local name="$1"
  echo "----- start $(date +%T.%N) -----" >> "$WORK/$name.log"
  (cd "$ROOT" && exec java "$HEAP" -Dcamel.main.routes-include-pattern="file:$WORK/$name.camel.yaml" \
      -Dpgingest.state.url="jdbc:h2:file:$WORK/state-$name" -jar "$JAR") >> "$WORK/$name.log" 2>&1 &
  INGEST=$!; PIDS+=("$INGEST")
}

once_ingest() {
  local name="$1"
  echo "----- --once $(date +%T.%N) -----" >> "$WORK/$name.log"
  (cd "$ROOT" && timeout 900 java "$HEAP" -Dcamel.main.routes-include-pattern="file:$WORK/$name.camel.yaml" \
      -Dpgingest.state.url="jdbc:h2:file:$WORK/state-$name" -jar "$JAR" --once) >> "$WORK/$name.log" 2>&1
}

# Phase of the current run from the end of its log: since its last start marker.
phase_of() {
  local section; section=$(awk '/^----- start /{ buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$WORK/$1.log")
  if grep -q "Starting streaming" <<<"$section"; then echo streaming
  elif grep -qE "(loading|resuming the load of) the existing rows" <<<"$section"; then echo load
  else echo starting; fi
}

wait_for_phase() {
  local name="$1" want="$2" i
  for i in $(seq 1 600); do
    [[ "$(phase_of "$name")" =~ ^($want)$ ]] && return 0
    kill -0 "$INGEST" 2>/dev/null || { tail -n 30 "$WORK/$name.log" >&2; die "pg-ingest ($name) exited before reaching the $want phase"; }
    sleep 0.2
  done
  die "pg-ingest ($name) did not reach the $want phase in 120 s"
}

# ---------------------------------------------------------------------------------------------
# Comparison: every source row has an identical live destination row; every other destination row is
# soft-deleted; no key twice. Values are compared as text, timestamps as epoch microseconds.

declare -A COLS=([big]="id, grp, val, EPOCH(updated_at)" [hot]="id, counter, note" [events]="id, big_id, payload"
                 [parts]="id, d, n, md5(doc), md5(ARRAYJSON(nums))" [audit]="n, note" [bag]="coalesce(id, -1), v, n")
# (bag may hold equal rows: its duplicates are compared as rows, by comm, not as keys)
declare -A KEYS=([big]="id" [hot]="id" [events]="id" [parts]="id, d" [audit]="n" [bag]="id, v, n, _pgingest_id")

source_rows() {
  local cols="${COLS[$1]}"
  cols="${cols//EPOCH(updated_at)/(extract(epoch from updated_at) * 1000000)::bigint}"
  cols="${cols//ARRAYJSON(nums)/array_to_json(nums)::text}"
  pg_value "$SRC" "copy (select $cols from $1) to stdout" | LC_ALL=C sort
}

dest_sql() {
  local dest="$1" sql="$2"
  if [ "$dest" = duckdb ]; then
    sql="${sql//EPOCH(updated_at)/epoch_us(updated_at)}"
    sql="${sql//ARRAYJSON(nums)/nums}"
    duckdb_tsv "$DUCKDB_FILE" "$sql"
  else
    sql=$(sed 's/ from \([a-z][a-z]*\)/ from chaos.\1/g' <<<"$sql")
    sql="${sql//EPOCH(updated_at)/(extract(epoch from updated_at) * 1000000)::bigint}"
    sql="${sql//ARRAYJSON(nums)/nums}"
    pg_value "$DST" "$sql" | tr '|' '\t'
  fi
}

# compare <duckdb|postgres> <scenario>: appends evidence to $WORK/<scenario>.evidence; returns 1 on a difference.
compare() {
  local dest="$1" scenario="$2" t ok=0 dups src_only dst_only tables="big hot events parts audit"
  local ev="$WORK/$scenario.evidence"
  # bag's live rows are the source's only where its changes are matched (DuckDB); appended (PostgreSQL) it is a log
  [ "$dest" = duckdb ] && tables="$tables bag"
  for t in $tables; do
    source_rows "$t" > "$WORK/$t.src"
    dest_sql "$dest" "select ${COLS[$t]} from $t where not _pgingest_deleted" | sed 's/\r$//' | LC_ALL=C sort > "$WORK/$t.dst"
    dups=$(dest_sql "$dest" "select count(*) from (select ${KEYS[$t]} from $t group by ${KEYS[$t]} having count(*) > 1) g")
    src_only=$(LC_ALL=C comm -23 "$WORK/$t.src" "$WORK/$t.dst" | wc -l)
    dst_only=$(LC_ALL=C comm -13 "$WORK/$t.src" "$WORK/$t.dst" | wc -l)
    local deleted; deleted=$(dest_sql "$dest" "select count(*) from $t where _pgingest_deleted")
    echo "$t: source $(wc -l < "$WORK/$t.src") rows, destination $(wc -l < "$WORK/$t.dst") live + $deleted soft-deleted;" \
         "source rows missing or different: $src_only; live rows not in the source: $dst_only; duplicate keys: $dups" >> "$ev"
    if [ "$src_only" != 0 ] || [ "$dst_only" != 0 ] || [ "$dups" != 0 ]; then
      ok=1
      { echo "  source rows without an identical live destination row (first 10):"
        LC_ALL=C comm -23 "$WORK/$t.src" "$WORK/$t.dst" | head -n 10 | sed 's/^/    /'
        echo "  live destination rows not in the source (first 10):"
        LC_ALL=C comm -13 "$WORK/$t.src" "$WORK/$t.dst" | head -n 10 | sed 's/^/    /'; } >> "$ev"
    fi
  done
  return $ok
}

verdict() {
  local scenario="$1" result="$2"
  heading "$scenario: $result"
  cat "$WORK/$scenario.evidence"
  [ "$result" = PASS ] || FAILED+=("$scenario")
}

# ---------------------------------------------------------------------------------------------

scenario_kill9() {
  local s=kill9 i phase delay ev="$WORK/kill9.evidence"
  : > "$ev"
  start_writers
  start_copier
  for i in $(seq 1 "$CYCLES"); do
    start_ingest chaos_duckdb
    if [ "$i" -le 2 ]; then
      # the first two kills land inside the historical load (200k rows take about a second)
      # (a start after a kill that came once the load had finished has nothing to load: it streams)
      wait_for_phase chaos_duckdb "load|streaming"
      sleep "$(awk -v s="$RANDOM" 'BEGIN { printf "%.1f", (s % 5) / 10 }')"
    else
      wait_for_phase chaos_duckdb streaming
      sleep "$(awk -v s="$RANDOM" 'BEGIN { printf "%.1f", 1 + (s % 80) / 10 }')"
    fi
    phase=$(phase_of chaos_duckdb)
    kill -0 "$INGEST" 2>/dev/null || { tail -n 30 "$WORK/chaos_duckdb.log" >&2; die "pg-ingest exited by itself before kill $i"; }
    kill -9 "$INGEST"; wait "$INGEST" 2>/dev/null || true
    echo "kill -9 #$i during the $phase phase at $(date +%T)" | tee -a "$ev"
  done
  stop_writers
  echo "writers: $(grep -E '^number of transactions actually processed' "$WORK/writers.log" | tail -n 1 || echo '?')" >> "$ev"
  info "writers stopped; catching up with --once"
  if ! once_ingest chaos_duckdb; then
    echo "the catch-up run (--once) failed: last lines of its log:" >> "$ev"; tail -n 20 "$WORK/chaos_duckdb.log" >> "$ev"
    verdict $s FAIL; return
  fi
  if compare duckdb $s; then verdict $s PASS; else verdict $s FAIL; fi
}

scenario_restart() {
  local s=restart ev="$WORK/restart.evidence" i marker got pid_before
  : > "$ev"
  start_writers
  start_copier
  start_ingest chaos_postgres
  wait_for_phase chaos_postgres streaming
  # streaming for real: a marker row arrives
  marker=$(pg_value "$SRC" "insert into hot values (100001, 1, 'before-restart') returning id")
  for i in $(seq 1 120); do
    got=$(pg_value "$DST" "select count(*) from chaos.hot where id = $marker" 2>/dev/null || echo 0)
    [ "$got" = 1 ] && break; sleep 1
  done
  [ "$got" = 1 ] || { echo "the marker before the restart did not arrive in 120 s" >> "$ev"; verdict $s FAIL; return; }
  pid_before=$INGEST
  echo "streaming (pid $pid_before); restarting the source: pg_ctlcluster --skip-systemctl-redirect $PG_CLUSTER restart" | tee -a "$ev"
  # A fast shutdown waits for each logical WAL sender's client to confirm the WAL sent to it. Here the destination is
  # on the same server: it goes down first, pg-ingest's batch then waits to be retried, Debezium's queue fills and
  # its streaming thread stops reading, so the sender gives up only after wal_sender_timeout (60 s by default) --
  # which is also pg_ctl's default wait. Hence the longer wait; and the server is started again whatever happens.
  # shellcheck disable=SC2086
  if ! pg_ctlcluster --skip-systemctl-redirect $PG_CLUSTER restart -- -t 180; then
    echo "pg_ctlcluster restart failed; starting the cluster" | tee -a "$ev"
    # shellcheck disable=SC2086
    pg_ctlcluster --skip-systemctl-redirect $PG_CLUSTER start || true
  fi
  for i in $(seq 1 60); do pg_isready -q && break; sleep 1; done
  stop_writers   # their connections died with the server
  start_writers
  start_copier
  sleep 10
  stop_writers
  marker=$(pg_value "$SRC" "insert into hot values (100002, 2, 'after-restart') returning id")
  for i in $(seq 1 180); do
    got=$(pg_value "$DST" "select count(*) from chaos.hot where id = $marker and not _pgingest_deleted" 2>/dev/null || echo 0)
    [ "$got" = 1 ] && break
    kill -0 "$pid_before" 2>/dev/null || break
    sleep 1
  done
  if [ "$got" != 1 ]; then
    if kill -0 "$pid_before" 2>/dev/null; then echo "pg-ingest still runs but the marker written after the restart did not arrive in 180 s" >> "$ev"
    else echo "pg-ingest exited after the restart" >> "$ev"; fi
    echo "log lines after the restart (errors and Debezium's reconnects):" >> "$ev"
    grep -E "ERROR|WARN .*(retry|restart|connect)|Starting streaming|pipeline chaos_postgres" "$WORK/chaos_postgres.log" | tail -n 15 | cut -c1-300 >> "$ev"
    verdict $s FAIL; return
  fi
  echo "the marker written after the restart arrived ${i}s later, same process (pid $pid_before)" >> "$ev"
  # the streaming process itself holds everything up to the marker: compare now, while it runs
  sleep 2
  if compare postgres $s; then verdict $s PASS; else verdict $s FAIL; fi
  kill "$pid_before" 2>/dev/null || true; wait "$pid_before" 2>/dev/null || true
}

heading "Setup"
require_server
if $BUILD || [ ! -f "$JAR" ]; then build_jar; fi
[ "$(pg_value postgres "show wal_level")" = logical ] || die "wal_level must be logical (scripts/setup-postgres.sh)"
prepare
info "source $SRC: big $BIG_ROWS rows, hot 100 rows, events 1000 rows, parts 2000 rows (partitioned, TOASTed text and int[]), bag 520 rows (no key, 20 equal); writers: pgbench --rate 100 x 19 statements; work dir $WORK"

heading "Scenario kill9: $CYCLES x kill -9 of pg-ingest (DuckDB destination) under concurrent writes"
scenario_kill9
if $RESTART; then
  heading "Scenario restart: source PostgreSQL restarted while pg-ingest streams (PostgreSQL destination)"
  scenario_restart
fi

heading "Result"
if [ ${#FAILED[@]} -eq 0 ]; then echo "PASS (all scenarios)"; else echo "FAIL: ${FAILED[*]}"; KEEP=true; exit 1; fi
