# MariaDB from Debian's package, as its own instance on 127.0.0.1:$MYSQL_PORT,
# with the binlog set up the way change capture needs it (DESIGN.md field notes:
# ROW format, FULL row image, FULL row metadata so column names survive ALTERs).

MARIADB_DIR=$ROWKUBE_STATE/mariadb
MARIADB_SOCKET=$RUN_DIR/mariadb.sock
MARIADB_LOG=$LOG_DIR/mariadb.log
MARIADB_ADMIN_USER=rowkube_admin
MARIADB_ADMIN_PASSWORD=rowkube_admin

mariadb_client() { mariadb --protocol=socket --socket="$MARIADB_SOCKET" -uroot "$@"; }

mariadb_write_config() {
  mkdir -p "$MARIADB_DIR/data" "$MARIADB_DIR/binlog" "$RUN_DIR" "$LOG_DIR"
  cat > "$MARIADB_DIR/my.cnf" <<CNF
[mariadbd]
user                = root
datadir             = $MARIADB_DIR/data
socket              = $MARIADB_SOCKET
pid-file            = $RUN_DIR/mariadb.pid
bind-address        = 127.0.0.1
port                = $MYSQL_PORT
log-error           = $MARIADB_LOG
server_id           = 1
log_bin             = $MARIADB_DIR/binlog/mariadb-bin
binlog_format       = ROW
binlog_row_image    = FULL
binlog_row_metadata = FULL
# Timestamps in the binlog and in results are UTC, whatever the machine's zone.
default_time_zone   = +00:00
character_set_server = utf8mb4
collation_server    = utf8mb4_unicode_ci
# Disposable test data: durability of each commit on disk is not needed.
innodb_flush_log_at_trx_commit = 2
sync_binlog         = 0
skip_name_resolve   = ON
# TLS next to plaintext on the same port, with a server certificate of the stack
# CA (deploy/local/lib/tls.sh); TLS_CAPTURE_USER may connect only with it.
ssl_cert            = $TLS_DIR/mariadb.crt
ssl_key             = $TLS_DIR/mariadb.key
ssl_ca              = $STACK_CA_FILE
CNF
}

# The TLS-only capture user, on a new stack and on one made before it existed.
mariadb_tls_user() {
  mariadb_client > "$LOG_DIR/mariadb-tls-user.log" 2>&1 <<SQL || fail_part mariadb "$LOG_DIR/mariadb-tls-user.log" "creating the TLS user failed"
CREATE USER IF NOT EXISTS '$TLS_CAPTURE_USER'@'127.0.0.1';
ALTER USER '$TLS_CAPTURE_USER'@'127.0.0.1' IDENTIFIED BY '$TLS_CAPTURE_PASSWORD' REQUIRE SSL;
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO '$TLS_CAPTURE_USER'@'127.0.0.1';
SQL
}

mariadb_up() {
  tls_issue mariadb rowkube-mariadb
  if mariadb_status >/dev/null 2>&1; then
    if [ "$(mariadb_client -N -e "SELECT @@have_ssl")" = YES ]; then
      mariadb_tls_user
      log "mariadb: already running"; return 0
    fi
    # ssl_cert is read at start: a server of a stack made before TLS restarts once.
    log "mariadb: running without TLS; restarting it with TLS"
    mariadb_down
  fi
  mariadb_write_config
  if [ ! -d "$MARIADB_DIR/data/mysql" ]; then
    log "mariadb: initialising $MARIADB_DIR/data"
    mariadb-install-db --defaults-file="$MARIADB_DIR/my.cnf" --skip-test-db \
      --auth-root-authentication-method=socket > "$LOG_DIR/mariadb-init.log" 2>&1 \
      || fail_part mariadb "$LOG_DIR/mariadb-init.log" "mariadb-install-db failed"
  fi
  # mariadbd writes its own pid file; start_bg keeps the pid for `down` as well.
  start_bg mariadb "$LOG_DIR/mariadb.out" mariadbd --defaults-file="$MARIADB_DIR/my.cnf"
  local deadline=$((SECONDS + 60))
  until mariadb-admin --socket="$MARIADB_SOCKET" -uroot ping >/dev/null 2>&1; do
    pid_alive mariadb || fail_part mariadb "$MARIADB_LOG" "the server process exited"
    [ $SECONDS -lt $deadline ] || fail_part mariadb "$MARIADB_LOG" "no answer on $MARIADB_SOCKET after 60 s"
    sleep 0.3
  done
  # The capture user gets exactly what binlog capture needs: REPLICATION SLAVE to
  # stream, REPLICATION CLIENT to read positions, SELECT for snapshots.
  mariadb_client > "$LOG_DIR/mariadb-setup.log" 2>&1 <<SQL || fail_part mariadb "$LOG_DIR/mariadb-setup.log" "creating users failed"
CREATE DATABASE IF NOT EXISTS $APP_DB;
CREATE USER IF NOT EXISTS '$CAPTURE_USER'@'127.0.0.1' IDENTIFIED BY '$CAPTURE_PASSWORD';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO '$CAPTURE_USER'@'127.0.0.1';
CREATE USER IF NOT EXISTS '$MARIADB_ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$MARIADB_ADMIN_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$MARIADB_ADMIN_USER'@'127.0.0.1' WITH GRANT OPTION;
SQL
  mariadb_tls_user
  log "mariadb: ready on 127.0.0.1:$MYSQL_PORT (TLS too)"
}

mariadb_down() {
  if pid_alive mariadb; then
    mariadb-admin --socket="$MARIADB_SOCKET" -uroot shutdown >/dev/null 2>&1 || true
  fi
  stop_pid mariadb
}

mariadb_status() {
  pid_alive mariadb || { echo "not running"; return 1; }
  mariadb-admin --socket="$MARIADB_SOCKET" -uroot --connect-timeout=3 ping >/dev/null 2>&1 \
    || { echo "process runs but does not answer (log: $MARIADB_LOG)"; return 1; }
  echo "127.0.0.1:$MYSQL_PORT"
}

mariadb_env() {
  echo "MYSQL_URL=mysql://$CAPTURE_USER:$CAPTURE_PASSWORD@127.0.0.1:$MYSQL_PORT/$APP_DB"
  echo "MYSQL_TLS_URL=mysql://$TLS_CAPTURE_USER:$TLS_CAPTURE_PASSWORD@127.0.0.1:$MYSQL_PORT/$APP_DB"
  echo "MYSQL_ADMIN_URL=mysql://$MARIADB_ADMIN_USER:$MARIADB_ADMIN_PASSWORD@127.0.0.1:$MYSQL_PORT/$APP_DB"
}
