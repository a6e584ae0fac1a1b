#!/usr/bin/env bash
# Benchmark: the cost of keylessTables: match. The same single-row updates are made, while the pipelines are stopped,
# to a table with a primary key and to a copy without key (REPLICA IDENTITY FULL); then each pipeline drains its slot
# with --once, timed, and the time of the table without key (its changes matched on the row's values) is compared with
# the keyed table's (upserted by key) in the same run, into PostgreSQL and into DuckDB. Prints the times, the ratios,
# and checks that both destinations hold the source's rows. See bench/README.md, "Tables without key: match".
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/keyless-match.sh [--rows N] [--updates U] [--build] [--keep]   (env: PGHOST, PGPORT, PGUSER, PGPASSWORD)
  --rows N     rows of each source table (default 200000)
  --updates U  single-row updates made to each table while the pipelines are stopped (default 20000)
  --build      rebuild target/pg-ingest.jar first (it is built anyway when missing)
  --keep       keep the work directory and the databases
USAGE
}

ROWS=200000 UPDATES=20000 BUILD=false KEEP=false
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="${2:?}"; shift ;;
    --updates) UPDATES="${2:?}"; shift ;;
    --build) BUILD=true ;;
    --keep) KEEP=true ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
for v in "$ROWS" "$UPDATES"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "bench/keyless-match.sh: '$v' is not a positive whole number" >&2; usage >&2; exit 2; }
done

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "$0")/../scripts/lib/common.sh"
require_commands java psql pgbench createdb dropdb pg_isready awk
export PGSSLMODE=disable
require_server
[ "$(pg_value postgres "show wal_level")" = logical ] || die "wal_level is not logical: run scripts/setup-postgres.sh"
if $BUILD || [ ! -f "$JAR" ]; then build_jar; fi

SRC=pgingest_kmbench_src DST=pgingest_kmbench_dst
PIPELINES="km_keyed_pg km_bag_pg km_keyed_duck km_bag_duck"
WORK=$(mktemp -d /tmp/pgingest-kmbench.XXXXXX)
cleanup() {
  local rc=$? p
  for p in $PIPELINES; do
    pg_value postgres "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = 'pgingest_$p'" \
      >/dev/null 2>&1 || info "could not drop slot pgingest_$p: drop it by hand"
  done
  if $KEEP || [ "$rc" -ne 0 ]; then
    info "kept $WORK and databases $SRC, $DST"
  else
    rm -rf "$WORK"
    drop_database "$SRC"; drop_database "$DST"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

drop_database "$SRC"; drop_database "$DST"
createdb "$SRC"; createdb "$DST"
# pgbench_accounts' shape; bag has no key (a plain index on aid only speeds up the source's updates)
pg "$SRC" <<SQL
create table keyed (aid int primary key, bid int, abalance int, filler char(84));
insert into keyed select g, (g - 1) / 100000 + 1, 0, '' from generate_series(1, $ROWS) g;
create table bag (aid int, bid int, abalance int, filler char(84));
alter table bag replica identity full;
insert into bag select * from keyed;
create index on bag (aid);
vacuum analyze;
SQL

route() {
  local name="$1" table="$2" destination="$3"
  cat > "$WORK/$name.camel.yaml" <<YAML
- templatedRoute:
    routeTemplateRef: pg-ingest
    routeId: $name
    parameters:
      - { name: pipeline, value: $name }
      - { name: mode, value: logical-replication }
      - { name: host, value: "${PGHOST:-127.0.0.1}" }
      - { name: port, value: "${PGPORT:-5432}" }
      - { name: database, value: $SRC }
      - { name: user, value: "${PGUSER:-postgres}" }
      - { name: password, value: "{{env:PGPASSWORD:}}" }
      - { name: objects, value: "public.$table" }
      - { name: keylessTables, value: match }
      - { name: destination, value: "$destination" }
YAML
}
PG_DEST="pgingest-postgres:$DST?host=${PGHOST:-127.0.0.1}&port=${PGPORT:-5432}&user=${PGUSER:-postgres}&password=RAW({{env:PGPASSWORD:}})&schema"
route km_keyed_pg keyed "$PG_DEST=keyed"
route km_bag_pg bag "$PG_DEST=bag"
route km_keyed_duck keyed "pgingest-duckdb:$WORK/keyed.duckdb"
route km_bag_duck bag "pgingest-duckdb:$WORK/bag.duckdb"

once() { run_pg_ingest_once "file:$WORK/$1.camel.yaml" "jdbc:h2:file:$WORK/state-$1" -Xmx1g >> "$WORK/$1.log" 2>&1; }

heading "Load (untimed)"
for p in $PIPELINES; do
  once "$p" || { tail -n 20 "$WORK/$p.log" >&2; die "the load of $p failed"; }
done
info "loaded $ROWS rows into each destination table"

heading "Updates while the pipelines are stopped"
cat > "$WORK/updates.sql" <<SQL
\set aid random(1, $ROWS)
update keyed set abalance = abalance + 1 where aid = :aid;
update bag set abalance = abalance + 1 where aid = :aid;
SQL
pgbench -n -c 2 -j 2 -t $((UPDATES / 2)) -f "$WORK/updates.sql" "$SRC" > "$WORK/pgbench.log" 2>&1 \
  || { cat "$WORK/pgbench.log" >&2; die "pgbench failed"; }
info "$UPDATES single-row updates of each table"

heading "Drains (--once, each pipeline alone)"
declare -A TOOK
for p in $PIPELINES; do
  started=$(now)
  once "$p" || { tail -n 20 "$WORK/$p.log" >&2; die "the drain of $p failed"; }
  TOOK[$p]=$(elapsed "$started" "$(now)")
  info "$p: ${TOOK[$p]} s"
done

heading "Check"
want=$(pg_value "$SRC" "select count(*) || ' ' || sum(abalance) from bag")
[ "$want" = "$(pg_value "$SRC" "select count(*) || ' ' || sum(abalance) from keyed")" ] || die "the source tables differ"
ok=true
for t in keyed bag; do
  got=$(pg_value "$DST" "select count(*) || ' ' || sum(abalance) from $t.$t where not _pgingest_deleted")
  [ "$got" = "$want" ] || { ok=false; echo "PostgreSQL $t: live rows and balance $got, source $want"; }
  got=$(duckdb_tsv "$WORK/$t.duckdb" "select count(*) || ' ' || sum(abalance) from $t where not _pgingest_deleted")
  [ "$got" = "$want" ] || { ok=false; echo "DuckDB $t: live rows and balance $got, source $want"; }
done
$ok || die "a destination differs from the source"
info "every destination holds the source's rows (live rows and balances: $want)"

heading "Result ($ROWS rows, $UPDATES updates; java: $(launcher_java_version))"
printf '%-12s %14s %18s %8s\n' destination "keyed (s)" "without key (s)" ratio
printf '%-12s %14s %18s %8s\n' PostgreSQL "${TOOK[km_keyed_pg]}" "${TOOK[km_bag_pg]}" "$(ratio "${TOOK[km_bag_pg]}" "${TOOK[km_keyed_pg]}")"
printf '%-12s %14s %18s %8s\n' DuckDB "${TOOK[km_keyed_duck]}" "${TOOK[km_bag_duck]}" "$(ratio "${TOOK[km_bag_duck]}" "${TOOK[km_keyed_duck]}")"
