#!/usr/bin/env bash
# Benchmark: upserts of changed rows into a 1M-row DuckDB table by pg-ingest's DuckDB writer, against DuckDB's own
# MERGE of the same rows in the same run (bench/DuckDbUpserts.java; the ratio is writer / MERGE). No PostgreSQL
# needed. See bench/README.md, "DuckDB upserts".
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/duckdb-upserts.sh [--build] [--keep]
  --build  rebuild target/pg-ingest.jar first (it is built anyway when missing)
  --keep   keep the temporary directory with the DuckDB files
USAGE
}

BUILD=false KEEP=false
for arg in "$@"; do
  case "$arg" in
    --build) BUILD=true ;;
    --keep) KEEP=true ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

# shellcheck source=../scripts/lib/common.sh
source "$(dirname "$0")/../scripts/lib/common.sh"
require_commands java
if $BUILD || [ ! -f "$JAR" ]; then build_jar; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pgingest-duckdb-upserts.XXXXXX")"
if $KEEP; then
  trap 'info "kept $WORK"' EXIT
else
  trap 'rm -rf "$WORK"' EXIT
fi
info "java: $(launcher_java_version)"
"${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx1g -cp "$JAR" "$ROOT/bench/DuckDbUpserts.java" "$WORK"
