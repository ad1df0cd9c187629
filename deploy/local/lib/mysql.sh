# MySQL (Oracle's, 9.x from Debian unstable) as its own instance on
# 127.0.0.1:$MYSQLD_PORT, next to MariaDB, without touching the host's packages:
# the server lives in a private Debian root built once with mmdebstrap into the
# cache, and runs there under chroot. Its data stays in $ROWKUBE_STATE/mysql and
# is bind-mounted into the root, so `down --purge` removes it like every other
# part's data. Binlog settings as change capture needs them (ROW, FULL row
# metadata), plus GTIDs, which MySQL capture records as its position.

MYSQLD_PORT=${ROWKUBE_MYSQLD_PORT:-13307}
MYSQL_ROOT=$ROWKUBE_CACHE/mysql-root
MYSQL_DIR=$ROWKUBE_STATE/mysql
MYSQL_LOG=$LOG_DIR/mysql.log
MYSQL_ADMIN_USER=rowkube_admin
MYSQL_ADMIN_PASSWORD=rowkube_admin
# Paths as mysqld sees them, inside the root.
MYSQL_INNER_DATA=/var/lib/rowkube
MYSQL_INNER_SOCKET=/run/mysqld/rowkube.sock

mysql_in_root() { chroot "$MYSQL_ROOT" "$@"; }
mysql_client() { mysql_in_root mysql --protocol=socket --socket="$MYSQL_INNER_SOCKET" -uroot "$@"; }

# The machine's own Debian mirror, read from its apt sources (one-line or
# deb822 format), so that no host is written into the project.
mysql_debian_mirror() {
  local files=() f
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && files+=("$f"); done
  [ ${#files[@]} -gt 0 ] || return 1
  # The first archive (not the security archive) that serves the main component.
  awk '
    /^[[:space:]]*deb[[:space:]]/ {
      for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i ~ /:\/\//) { if ($i !~ /security/) { print $i; exit } break }
    }
    /^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }
  ' "${files[@]}" | head -n 1 | grep .
}

# Builds the private root once. It is made in a temporary folder and renamed
# when complete, so an interrupted build never looks like a finished one.
mysql_build_root() {
  [ -x "$MYSQL_ROOT/usr/sbin/mysqld" ] && return 0
  (
    flock 9
    [ -x "$MYSQL_ROOT/usr/sbin/mysqld" ] && exit 0
    local mirror tmp
    mirror=$(mysql_debian_mirror) || die "mysql: no Debian mirror found in the apt sources to build the MySQL root from"
    tmp=$MYSQL_ROOT.building
    rm -rf "$tmp"
    log "mysql: building a private Debian root with mysql-server from $mirror (once, about 1 min and 700 MB)"
    mmdebstrap --variant=minbase --aptopt='Acquire::Check-Valid-Until "false"' --include=mysql-server \
      sid "$tmp" "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" \
      > "$ROWKUBE_CACHE/mysql-root.log" 2>&1 \
      || fail_part mysql "$ROWKUBE_CACHE/mysql-root.log" "mmdebstrap failed"
    rm -rf "$MYSQL_ROOT"
    mv "$tmp" "$MYSQL_ROOT"
    log "mysql: root ready ($(chroot "$MYSQL_ROOT" /usr/sbin/mysqld --version))"
  ) 9>"$ROWKUBE_CACHE/mysql-root.lock"
}

# The data folder is bind-mounted into the root at every `up` (a reboot drops the mount).
mysql_mount_data() {
  mkdir -p "$MYSQL_DIR/data" "$MYSQL_ROOT$MYSQL_INNER_DATA" "$MYSQL_ROOT/run/mysqld"
  # A mount left from before the state folder was deleted and made again
  # points at the deleted folder: mysqld would find it unwritable. Mount anew
  # unless it is the current data folder.
  if mountpoint -q "$MYSQL_ROOT$MYSQL_INNER_DATA" &&
    [ "$(stat -c %d:%i "$MYSQL_ROOT$MYSQL_INNER_DATA")" != "$(stat -c %d:%i "$MYSQL_DIR/data")" ]; then
    umount "$MYSQL_ROOT$MYSQL_INNER_DATA"
  fi
  mountpoint -q "$MYSQL_ROOT$MYSQL_INNER_DATA" || mount --bind "$MYSQL_DIR/data" "$MYSQL_ROOT$MYSQL_INNER_DATA"
  mysql_in_root chown mysql:mysql "$MYSQL_INNER_DATA" /run/mysqld
}

mysql_unmount_data() {
  [ -d "$MYSQL_ROOT$MYSQL_INNER_DATA" ] || return 0
  if mountpoint -q "$MYSQL_ROOT$MYSQL_INNER_DATA"; then umount "$MYSQL_ROOT$MYSQL_INNER_DATA"; fi
}

# TLS with a certificate of the stack CA (deploy/local/lib/tls.sh) instead of
# the one mysqld generates for itself, and the TLS-only capture user. MySQL
# swaps certificates while running (ALTER INSTANCE RELOAD TLS) and keeps the
# paths in mysqld-auto.cnf, so this also upgrades a running stack. The files sit
# in the data directory, the one place inside the root that is the stack's.
mysql_tls() {
  tls_issue mysql rowkube-mysql
  install -m 644 "$STACK_CA_FILE" "$MYSQL_DIR/data/rowkube-ca.pem"
  install -m 644 "$TLS_DIR/mysql.crt" "$MYSQL_DIR/data/rowkube-server.pem"
  install -m 600 "$TLS_DIR/mysql.key" "$MYSQL_DIR/data/rowkube-server-key.pem"
  mysql_in_root chown mysql:mysql "$MYSQL_INNER_DATA/rowkube-server-key.pem"
  mysql_client > "$LOG_DIR/mysql-tls.log" 2>&1 <<SQL || fail_part mysql "$LOG_DIR/mysql-tls.log" "setting up TLS failed"
SET PERSIST ssl_ca = '$MYSQL_INNER_DATA/rowkube-ca.pem';
SET PERSIST ssl_cert = '$MYSQL_INNER_DATA/rowkube-server.pem';
SET PERSIST ssl_key = '$MYSQL_INNER_DATA/rowkube-server-key.pem';
ALTER INSTANCE RELOAD TLS;
CREATE USER IF NOT EXISTS '$TLS_CAPTURE_USER'@'127.0.0.1';
ALTER USER '$TLS_CAPTURE_USER'@'127.0.0.1' IDENTIFIED BY '$TLS_CAPTURE_PASSWORD' REQUIRE SSL;
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD ON *.* TO '$TLS_CAPTURE_USER'@'127.0.0.1';
SQL
}

mysql_up() {
  if mysql_status >/dev/null 2>&1; then mysql_tls; log "mysql: already running"; return 0; fi
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$ROWKUBE_CACHE"
  mysql_build_root
  mysql_mount_data
  if [ ! -d "$MYSQL_DIR/data/mysql" ]; then
    log "mysql: initialising $MYSQL_DIR/data"
    mysql_in_root /usr/sbin/mysqld --no-defaults --initialize-insecure --user=mysql --datadir="$MYSQL_INNER_DATA" \
      > "$LOG_DIR/mysql-init.log" 2>&1 || fail_part mysql "$LOG_DIR/mysql-init.log" "mysqld --initialize-insecure failed"
  fi
  # chroot execs mysqld, so start_bg's pid is the server's own. --no-defaults:
  # every setting is here, and the error log goes to stderr, i.e. $MYSQL_LOG
  # (Debian's my.cnf would send it to a file inside the root).
  start_bg mysql "$MYSQL_LOG" chroot "$MYSQL_ROOT" /usr/sbin/mysqld --no-defaults \
    --user=mysql --datadir="$MYSQL_INNER_DATA" --port="$MYSQLD_PORT" --bind-address=127.0.0.1 \
    --socket="$MYSQL_INNER_SOCKET" --pid-file=/run/mysqld/rowkube.pid --mysqlx=OFF \
    --server-id=1 --log-bin=binlog --binlog-format=ROW --binlog-row-image=FULL --binlog-row-metadata=FULL \
    --gtid-mode=ON --enforce-gtid-consistency=ON \
    --default-time-zone=+00:00 --character-set-server=utf8mb4 --collation-server=utf8mb4_0900_ai_ci \
    --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --skip-name-resolve
  local deadline=$((SECONDS + 90))
  until mysql_in_root mysqladmin --socket="$MYSQL_INNER_SOCKET" -uroot ping >/dev/null 2>&1; do
    pid_alive mysql || fail_part mysql "$MYSQL_LOG" "the server process exited"
    [ $SECONDS -lt $deadline ] || fail_part mysql "$MYSQL_LOG" "no answer on $MYSQL_INNER_SOCKET after 90 s"
    sleep 0.3
  done
  # The capture user keeps MySQL's default caching_sha2_password. It gets
  # REPLICATION SLAVE to stream, REPLICATION CLIENT to read positions, SELECT
  # for snapshots, and RELOAD for FLUSH TABLES WITH READ LOCK, held for the
  # milliseconds in which a snapshot opens and reads its exact binlog position
  # (docs/capture.md, "MySQL").
  mysql_client > "$LOG_DIR/mysql-setup.log" 2>&1 <<SQL || fail_part mysql "$LOG_DIR/mysql-setup.log" "creating users failed"
CREATE DATABASE IF NOT EXISTS $APP_DB;
CREATE USER IF NOT EXISTS '$CAPTURE_USER'@'127.0.0.1' IDENTIFIED BY '$CAPTURE_PASSWORD';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO '$CAPTURE_USER'@'127.0.0.1';
GRANT RELOAD ON *.* TO '$CAPTURE_USER'@'127.0.0.1';
CREATE USER IF NOT EXISTS '$MYSQL_ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_ADMIN_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_ADMIN_USER'@'127.0.0.1' WITH GRANT OPTION;
SQL
  mysql_tls
  log "mysql: ready on 127.0.0.1:$MYSQLD_PORT (TLS too)"
}

mysql_down() {
  if pid_alive mysql; then
    mysql_in_root mysqladmin --socket="$MYSQL_INNER_SOCKET" -uroot shutdown >/dev/null 2>&1 || true
  fi
  stop_pid mysql
  mysql_unmount_data
}

mysql_status() {
  pid_alive mysql || { echo "not running"; return 1; }
  mysql_in_root mysqladmin --socket="$MYSQL_INNER_SOCKET" -uroot --connect-timeout=3 ping >/dev/null 2>&1 \
    || { echo "process runs but does not answer (log: $MYSQL_LOG)"; return 1; }
  echo "127.0.0.1:$MYSQLD_PORT"
}

mysql_env() {
  echo "ORACLE_MYSQL_URL=mysql://$CAPTURE_USER:$CAPTURE_PASSWORD@127.0.0.1:$MYSQLD_PORT/$APP_DB"
  echo "ORACLE_MYSQL_TLS_URL=mysql://$TLS_CAPTURE_USER:$TLS_CAPTURE_PASSWORD@127.0.0.1:$MYSQLD_PORT/$APP_DB"
  echo "ORACLE_MYSQL_ADMIN_URL=mysql://$MYSQL_ADMIN_USER:$MYSQL_ADMIN_PASSWORD@127.0.0.1:$MYSQLD_PORT/$APP_DB"
}
