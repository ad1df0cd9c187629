# PostgreSQL 15 from Debian's package, as its own cluster on 127.0.0.1:$PG_PORT
# with logical replication enabled (pgoutput needs no extension).

PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=$ROWKUBE_STATE/postgres
PG_DATA=$PG_DIR/data
PG_SOCKET_DIR=$PG_DIR/socket
PG_LOG=$LOG_DIR/postgres.log
PG_ADMIN_USER=rowkube_admin
PG_ADMIN_PASSWORD=rowkube_admin

# PostgreSQL refuses to run as root: every server command runs as `postgres`.
as_postgres() { runuser -u postgres -- "$@"; }
pg_client() { as_postgres "$PG_BIN/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q "$@"; }

postgres_init() {
  log "postgres: initialising $PG_DATA"
  mkdir -p "$PG_DIR" "$LOG_DIR"
  chown postgres:postgres "$PG_DIR"
  as_postgres mkdir -p "$PG_SOCKET_DIR"
  as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 > "$LOG_DIR/postgres-init.log" 2>&1 \
    || fail_part postgres "$LOG_DIR/postgres-init.log" "initdb failed"
  as_postgres tee -a "$PG_DATA/postgresql.conf" > /dev/null <<CONF

# rowkube local stack
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
timezone = 'UTC'
log_timezone = 'UTC'
# Disposable test data: skip flushing to disk. A killed server still recovers,
# since the operating system keeps what was written.
fsync = off
full_page_writes = off
CONF
  as_postgres tee -a "$PG_DATA/pg_hba.conf" > /dev/null <<HBA
host replication all 127.0.0.1/32 scram-sha-256
HBA
}

# TLS next to plaintext on the same port, with a certificate of the stack CA
# (deploy/local/lib/tls.sh). TLS_CAPTURE_USER may connect only with TLS: its
# lines come first in pg_hba.conf, which takes the first line that matches.
# Idempotent and reloadable (ssl is a reload setting), so it also upgrades a
# running stack made before it existed.
postgres_tls() {
  tls_issue postgres rowkube-postgres
  # The server refuses a key that others may read.
  install -o postgres -g postgres -m 600 "$TLS_DIR/postgres.key" "$PG_DIR/server.key"
  install -o postgres -g postgres -m 644 "$TLS_DIR/postgres.crt" "$PG_DIR/server.crt"
  install -o postgres -g postgres -m 644 "$STACK_CA_FILE" "$PG_DIR/ca.crt"
  if ! grep -q "rowkube TLS capture user" "$PG_DATA/pg_hba.conf"; then
    { cat <<HBA
# rowkube TLS capture user: TLS only
hostnossl all         $TLS_CAPTURE_USER 0.0.0.0/0 reject
hostnossl replication $TLS_CAPTURE_USER 0.0.0.0/0 reject
hostssl   all         $TLS_CAPTURE_USER 127.0.0.1/32 scram-sha-256
hostssl   replication $TLS_CAPTURE_USER 127.0.0.1/32 scram-sha-256
HBA
      cat "$PG_DATA/pg_hba.conf"; } > "$PG_DATA/pg_hba.conf.new"
    chown postgres:postgres "$PG_DATA/pg_hba.conf.new"
    mv "$PG_DATA/pg_hba.conf.new" "$PG_DATA/pg_hba.conf"
  fi
  pg_client -d postgres > "$LOG_DIR/postgres-tls.log" 2>&1 <<SQL || fail_part postgres "$LOG_DIR/postgres-tls.log" "setting up TLS failed"
ALTER SYSTEM SET ssl = on;
ALTER SYSTEM SET ssl_cert_file = '$PG_DIR/server.crt';
ALTER SYSTEM SET ssl_key_file = '$PG_DIR/server.key';
ALTER SYSTEM SET ssl_ca_file = '$PG_DIR/ca.crt';
SELECT pg_reload_conf();
SELECT 'CREATE ROLE $TLS_CAPTURE_USER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$TLS_CAPTURE_USER') \gexec
ALTER ROLE $TLS_CAPTURE_USER LOGIN REPLICATION PASSWORD '$TLS_CAPTURE_PASSWORD';
GRANT pg_read_all_data TO $TLS_CAPTURE_USER;
GRANT CREATE ON DATABASE $APP_DB TO $TLS_CAPTURE_USER;
SQL
}

postgres_up() {
  if postgres_status >/dev/null 2>&1; then postgres_tls; log "postgres: already running"; return 0; fi
  touch "$PG_LOG"; chown postgres:postgres "$PG_LOG"
  [ -f "$PG_DATA/PG_VERSION" ] || postgres_init
  # pg_ctl keeps its own pid file (postmaster.pid), so no start_bg here.
  # Right after an unclean stop the old backends may still be exiting and
  # holding the port: one more try after they had a moment to go.
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start > /dev/null 2>&1 \
    || { sleep 3; as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start > /dev/null; } \
    || fail_part postgres "$PG_LOG" "pg_ctl start failed"
  pg_client -d postgres > "$LOG_DIR/postgres-setup.log" 2>&1 <<SQL || fail_part postgres "$LOG_DIR/postgres-setup.log" "creating users failed"
SELECT 'CREATE ROLE $PG_ADMIN_USER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ADMIN_USER') \gexec
ALTER ROLE $PG_ADMIN_USER LOGIN SUPERUSER PASSWORD '$PG_ADMIN_PASSWORD';
SELECT 'CREATE ROLE $CAPTURE_USER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$CAPTURE_USER') \gexec
-- REPLICATION to stream; reading every table for snapshots.
ALTER ROLE $CAPTURE_USER LOGIN REPLICATION PASSWORD '$CAPTURE_PASSWORD';
GRANT pg_read_all_data TO $CAPTURE_USER;
SELECT 'CREATE DATABASE $APP_DB OWNER $PG_ADMIN_USER' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$APP_DB') \gexec
-- Creating a publication needs CREATE on the database.
GRANT CREATE ON DATABASE $APP_DB TO $CAPTURE_USER;
SQL
  postgres_tls
  log "postgres: ready on 127.0.0.1:$PG_PORT (TLS too)"
}

postgres_down() {
  [ -f "$PG_DATA/postmaster.pid" ] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop > /dev/null 2>&1 || true
}

postgres_status() {
  # postmaster.pid outlives a killed server: its first line is the pid to check,
  # and a killed postmaster nobody reaped lingers as a zombie (state Z).
  local state=""
  [ -f "$PG_DATA/postmaster.pid" ] && state=$(ps -o stat= -p "$(head -n 1 "$PG_DATA/postmaster.pid")" 2>/dev/null)
  case "$state" in ""|Z*) echo "not running"; return 1 ;; esac
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 3 \
    || { echo "process runs but does not answer (log: $PG_LOG)"; return 1; }
  echo "127.0.0.1:$PG_PORT"
}

postgres_env() {
  echo "PG_URL=postgres://$CAPTURE_USER:$CAPTURE_PASSWORD@127.0.0.1:$PG_PORT/$APP_DB"
  echo "PG_TLS_URL=postgres://$TLS_CAPTURE_USER:$TLS_CAPTURE_PASSWORD@127.0.0.1:$PG_PORT/$APP_DB"
  echo "PG_ADMIN_URL=postgres://$PG_ADMIN_USER:$PG_ADMIN_PASSWORD@127.0.0.1:$PG_PORT/$APP_DB"
}
