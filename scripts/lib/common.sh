# Shared helpers for pg-ingest's scripts (demo, benchmarks, checks). Source it; do not run it.
# Connection settings come from PGHOST/PGPORT/PGUSER/PGPASSWORD with local defaults.

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
# A PGDATABASE inherited from the caller's shell must not redirect the scripts' admin commands.
unset PGDATABASE

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$ROOT/target/pg-ingest.jar"
SCRIPT_NAME="$(basename "$0")"

heading() { printf '\n==== %s ====\n' "$*"; }
info()    { echo "$SCRIPT_NAME: $*"; }
die()     { echo "$SCRIPT_NAME: ERROR: $*" >&2; exit 1; }

require_commands() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "'$c' is not installed or not on PATH"
  done
}

# psql with no ~/.psqlrc and stop-on-error; first argument is the database.
# NOTICEs ("... does not exist, skipping") are noise in the scripts' output.
pg() { local db="$1"; shift; PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# One value (or tab-free lines) from a query.
pg_value() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

require_server() {
  pg_isready -q -h "$PGHOST" -p "$PGPORT" \
    || die "no PostgreSQL at $PGHOST:$PGPORT (start it with scripts/setup-postgres.sh, or set PGHOST/PGPORT)"
}

database_exists() {
  [ "$(pg_value postgres "select count(*) from pg_database where datname = '$1'")" = 1 ]
}

# Drops a database even when sessions or inactive replication slots still use it.
drop_database() {
  local db="$1"
  database_exists "$db" || return 0
  pg_value postgres "select count(pg_drop_replication_slot(slot_name)) from pg_replication_slots
                     where database = '$db' and not active" >/dev/null
  dropdb --if-exists --force "$db"
}

require_jar() {
  [ -f "$JAR" ] || die "$JAR is missing: build it with 'mvn -B -q package -DskipTests'"
}

build_jar() {
  info "building $JAR (mvn -B -q package -DskipTests)"
  (cd "$ROOT" && mvn -B -q package -DskipTests) || die "the build failed: see Maven's output above"
  require_jar
}

# The java scripts/pg-ingest runs (JAVA_HOME's, or java on PATH), resolved, and its version line.
launcher_java() { readlink -f "$(command -v "${JAVA_HOME:+$JAVA_HOME/bin/}java")"; }
launcher_java_version() { "${JAVA_HOME:+$JAVA_HOME/bin/}java" -version 2>&1 | head -n 1; }

# Whether scripts/pg-ingest will start from the archive <file> (CDS, or AOT cache on Java 25+): newer than the
# jar and made by the java it runs. Otherwise its next run of pipelines is a training run that makes one.
archive_usable() {
  [ -f "$1" ] && [ "$1" -nt "$JAR" ] && [ "$(head -n 1 "$1.java" 2>/dev/null)" = "$(launcher_java)" ]
}

# DuckDB query through the project's own tool; aligned table for people.
duckdb_show() { java -cp "$JAR" io.pgingest.tools.DuckDbQuery "$1" "$2"; }
# DuckDB query for scripts: tab-separated rows, no header.
duckdb_tsv() { java -cp "$JAR" io.pgingest.tools.DuckDbQuery --tsv "$1" "$2"; }

now() { date +%s.%N; }
# Seconds between two `now` values, 2 decimals.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# a / b with 2 decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "n/a"; else printf "%.2f", a / b }'; }

# Runs pg-ingest once over the given route files with its own state store.
# usage: run_pg_ingest_once <routes pattern> <state jdbc url> [extra JVM options...]
run_pg_ingest_once() {
  local routes="$1" state="$2"; shift 2
  (cd "$ROOT" && java "$@" \
      -Dcamel.main.routes-include-pattern="$routes" \
      -Dpgingest.state.url="$state" \
      -jar "$JAR" --once)
}
