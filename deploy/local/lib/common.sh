# Shared settings and helpers for deploy/local/stack. Sourced, never run.
#
# Two places on disk:
#   ROWKUBE_CACHE  builds and downloads that are slow to make and safe to keep
#                  (Go binaries, Kafka jars, certificates' CA is NOT kept here).
#   ROWKUBE_STATE  data directories, logs and pid files of the running stack;
#                  disposable: `stack down --purge` removes it. It lives outside
#                  $HOME because PostgreSQL runs as the postgres user and must
#                  be able to reach its data directory.

ROWKUBE_CACHE=${ROWKUBE_CACHE:-$HOME/.cache/rowkube}
ROWKUBE_STATE=${ROWKUBE_STATE:-/var/tmp/rowkube-stack}
BIN_DIR=$ROWKUBE_CACHE/bin
LOG_DIR=$ROWKUBE_STATE/log
RUN_DIR=$ROWKUBE_STATE/run

# Ports are unusual on purpose: a developer's own MySQL, PostgreSQL or Kafka on
# the default ports keeps running undisturbed next to the stack.
MYSQL_PORT=${ROWKUBE_MYSQL_PORT:-13306}
PG_PORT=${ROWKUBE_PG_PORT:-15432}
KAFKA_PORT=${ROWKUBE_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${ROWKUBE_KAFKA_CONTROLLER_PORT:-19093}
ETCD_PORT=${ROWKUBE_ETCD_PORT:-12379}
ETCD_PEER_PORT=${ROWKUBE_ETCD_PEER_PORT:-12380}
APISERVER_PORT=${ROWKUBE_APISERVER_PORT:-16443}

# Credentials of the local stack only; nothing here guards real data.
CAPTURE_USER=rowkube_cdc
CAPTURE_PASSWORD=rowkube_cdc
# The same rights as CAPTURE_USER, but the databases accept it only over TLS
# (MariaDB REQUIRE SSL, PostgreSQL hostssl): MYSQL_TLS_URL, PG_TLS_URL.
TLS_CAPTURE_USER=rowkube_tls
TLS_CAPTURE_PASSWORD=tls-only-s3cret
APP_DB=rowkube

log()  { printf '[stack] %s\n' "$*" >&2; }
die()  { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# fail_part PART LOGFILE MESSAGE: a part did not start; say which and where to look.
fail_part() {
  local part=$1 logfile=$2; shift 2
  printf '[stack] ERROR: %s did not start: %s\n' "$part" "$*" >&2
  if [ -f "$logfile" ]; then
    printf '[stack] last lines of %s:\n' "$logfile" >&2
    tail -n 20 "$logfile" | sed 's/^/    /' >&2
  fi
  exit 1
}

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds or time runs out.
wait_until() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { log "timed out after ${seconds}s waiting for $what"; return 1; }
    sleep 0.5
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Process bookkeeping: each long-running part writes $RUN_DIR/NAME.pid.
pid_alive() {
  local f=$RUN_DIR/$1.pid
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

# start_bg NAME LOGFILE COMMAND...: start COMMAND detached, in its own session so
# that it outlives the shell that started it and `stack down` can stop it alone.
start_bg() {
  local name=$1 logfile=$2; shift 2
  mkdir -p "$RUN_DIR" "$(dirname "$logfile")"
  # The server must not inherit open files beyond stdio: a caller holding the
  # stack's lock (flock) would otherwise leave the lock held by the server.
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    exec setsid "$@" >>"$logfile" 2>&1 < /dev/null
  ) &
  echo $! > "$RUN_DIR/$name.pid"
}

# stop_pid NAME: TERM, wait up to 20 s, then KILL.
stop_pid() {
  local f=$RUN_DIR/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# apt_install PACKAGE...: install Debian packages that are missing, never starting
# their services (the stack runs its own instances on its own ports).
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  mkdir -p "$ROWKUBE_CACHE"
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  [ $had_policy -eq 1 ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; }
  local rc=0
  {
    if [ ! -f "$ROWKUBE_CACHE/apt-updated" ] || [ -n "$(find "$ROWKUBE_CACHE/apt-updated" -mmin +1440)" ]; then
      apt-get update -q && touch "$ROWKUBE_CACHE/apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  } > "$ROWKUBE_CACHE/apt.log" 2>&1 || rc=$?
  [ $had_policy -eq 1 ] || rm -f "$policy"
  [ $rc -eq 0 ] || { tail -n 20 "$ROWKUBE_CACHE/apt.log" >&2; die "apt-get install ${missing[*]} failed (log: $ROWKUBE_CACHE/apt.log)"; }
}
