#!/usr/bin/env bash
# Makes the local PostgreSQL ready for pg-ingest's tests and demo: running, reachable on
# $PGHOST:$PGPORT, and configured with wal_level=logical (needed by log-based pipelines).
# Idempotent: does nothing when the server already runs with wal_level=logical and SSL.
set -euo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: scripts/setup-postgres.sh   (env: PGHOST, PGPORT, PGUSER; defaults 127.0.0.1, 5432, postgres)"
  exit 0
fi

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
# The admin commands below always talk to the maintenance database, whatever the caller's shell says.
export PGDATABASE=postgres

say() { echo "setup-postgres: $*"; }

# Empty (not a failure) when no local cluster exists: set -e must not end the script silently.
cluster_version() { { ls /etc/postgresql 2>/dev/null || true; } | sort -V | tail -n 1; }

start_cluster() {
  local v; v=$(cluster_version)
  if [ -z "$v" ]; then
    say "no local PostgreSQL cluster under /etc/postgresql; set PGHOST/PGPORT to a server with wal_level=logical"
    return 1
  fi
  say "starting PostgreSQL $v"
  pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
}

wait_ready() {
  for _ in $(seq 1 60); do
    pg_isready -q && return 0
    sleep 1
  done
  say "PostgreSQL at $PGHOST:$PGPORT did not become ready in 60 s"
  return 1
}

pg_isready -q || start_cluster
wait_ready

level=$(psql -XAtqc "show wal_level")
if [ "$level" != "logical" ]; then
  say "wal_level is '$level': setting wal_level=logical and restarting"
  psql -Xqc "alter system set wal_level = logical"
  psql -Xqc "alter system set max_replication_slots = 20"
  psql -Xqc "alter system set max_wal_senders = 20"
  v=$(cluster_version)
  if [ -n "$v" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$v" main restart
  else
    say "cannot restart a remote server: restart it yourself so that wal_level=logical applies"
    exit 1
  fi
  wait_ready
  level=$(psql -XAtqc "show wal_level")
  [ "$level" = "logical" ] || { say "wal_level is still '$level'"; exit 1; }
fi
# SSL for the SSL tests (SslIT), on a local cluster only: a test CA, a server certificate for "localhost" signed by
# it, a client certificate for the role pgingest_ssl_client (which must log in with it), and files the tests use
# (a bundle whose first certificate is another CA, an EC key). Reloaded, not restarted. Idempotent.
SSL_DIR="${PGINGEST_TEST_SSL_DIR:-/var/lib/postgresql/pgingest-test-ssl}"
setup_ssl() {
  local v hba; v=$(cluster_version)
  if [ -z "$v" ] || { [ "$PGHOST" != "127.0.0.1" ] && [ "$PGHOST" != "localhost" ]; }; then
    say "not a local cluster: SSL test setup skipped (SslIT needs it)"
    return 0
  fi
  command -v openssl >/dev/null || { say "openssl is missing: install it (apt-get install openssl) for the SSL tests"; return 1; }
  if [ ! -f "$SSL_DIR/server.crt" ]; then
    say "creating test certificates in $SSL_DIR"
    mkdir -p "$SSL_DIR"
    (
      cd "$SSL_DIR"
      q() { openssl "$@" >/dev/null 2>&1; }
      q req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=pg-ingest test CA"
      q req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 3650 -subj "/CN=pg-ingest other CA"
      q req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
      printf 'subjectAltName=DNS:localhost\n' > server.ext
      q x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 3650 -extfile server.ext
      q req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=pgingest_ssl_client"
      q x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 3650
      q rsa -in client.key -traditional -out client-pkcs1.key
      q genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key
      cat other-ca.crt ca.crt > bundle.crt
      rm -f ./*.csr ./*.srl server.ext
    )
    [ -f "$SSL_DIR/server.crt" ] && [ -f "$SSL_DIR/client-pkcs1.key" ] && [ -f "$SSL_DIR/ec.key" ] \
      || { say "creating the test certificates failed"; return 1; }
    chown -R postgres:postgres "$SSL_DIR" 2>/dev/null || true
    chmod 755 "$SSL_DIR"; chmod 644 "$SSL_DIR"/*; chmod 600 "$SSL_DIR/server.key"
  fi
  psql -Xqc "alter system set ssl = on" \
       -c "alter system set ssl_cert_file = '$SSL_DIR/server.crt'" \
       -c "alter system set ssl_key_file = '$SSL_DIR/server.key'" \
       -c "alter system set ssl_ca_file = '$SSL_DIR/ca.crt'"
  psql -XAtqc "select 1 from pg_roles where rolname = 'pgingest_ssl_client'" | grep -q 1 \
    || psql -Xqc "create role pgingest_ssl_client login"
  hba=$(psql -XAtqc "show hba_file")
  if ! grep -q "pgingest_ssl_client" "$hba"; then
    say "pg_hba.conf: pgingest_ssl_client logs in with its client certificate only"
    { printf 'hostssl all pgingest_ssl_client 127.0.0.1/32 cert\nhostnossl all pgingest_ssl_client 127.0.0.1/32 reject\n'
      cat "$hba"; } > "$hba.new" && cat "$hba.new" > "$hba" && rm -f "$hba.new"
  fi
  psql -Xqc "select pg_reload_conf()" >/dev/null
  for _ in $(seq 1 20); do
    [ "$(psql -XAtqc 'show ssl')" = "on" ] && break
    sleep 0.5
  done
  [ "$(psql -XAtqc 'show ssl')" = "on" ] || { say "SSL did not come on (see the server log)"; return 1; }
}
setup_ssl

say "PostgreSQL $(psql -XAtqc 'show server_version') at $PGHOST:$PGPORT, wal_level=$level, ssl=$(psql -XAtqc 'show ssl')"
