# Kafka part of deploy/local/stack: one Apache Kafka broker in KRaft mode, the
# broker and its controller in one JVM, on 127.0.0.1:$KAFKA_PORT (controller on
# $KAFKA_CONTROLLER_PORT). Sourced after common.sh, never run.
#
# Only Maven Central is reachable, so there is no Kafka tarball: Maven copies the
# jars listed in deploy/local/kafka/pom.xml into $ROWKUBE_CACHE, and the broker
# runs from them with `java -cp`. Its configuration is generated at every start
# into $ROWKUBE_STATE/kafka, its data lives in $ROWKUBE_STATE/kafka/data and all
# it prints (log4j and the JVM's own messages) goes to $LOG_DIR/kafka.log.
#
# The JVM tools are in the same jars, e.g. to list topics by hand:
#   java -Dlog4j.configuration=file:/var/tmp/rowkube-stack/kafka/tools-log4j.properties \
#        -cp "$HOME/.cache/rowkube/kafka-3.9.1/lib/*" org.apache.kafka.tools.TopicCommand \
#        --bootstrap-server 127.0.0.1:19092 --list
# (also kafka.tools.ConsoleProducer, org.apache.kafka.tools.consumer.ConsoleConsumer,
# org.apache.kafka.tools.consumer.group.ConsumerGroupCommand, ...TransactionsCommand).

KAFKA_VERSION=3.9.1
KAFKA_LIB=$ROWKUBE_CACHE/kafka-$KAFKA_VERSION/lib
KAFKA_POM=$(CDPATH='' cd -- "$(dirname "${BASH_SOURCE[0]}")/../kafka" && pwd)/pom.xml
KAFKA_CONF_DIR=$ROWKUBE_STATE/kafka
KAFKA_DATA_DIR=$ROWKUBE_STATE/kafka/data
KAFKA_LOG=$LOG_DIR/kafka.log
# Seconds. Measured on a loaded 2-core machine: ~4-5 s for a normal start, ~18 s
# after a kill -9 (the dead process's broker registration must expire first,
# broker.session.timeout.ms = 9 s); the rest is headroom for a much busier machine.
# A broker that keeps logging is loading its partitions (thousands of them on a
# machine where the tests have run many times: over a minute), so the timeout
# counts from its last log line, up to KAFKA_START_LIMIT in all.
KAFKA_START_TIMEOUT=90
KAFKA_START_LIMIT=600

# The secure listener: SASL_SSL with SCRAM-SHA-512 and OAUTHBEARER (signed
# JWTs checked against the JWKS file of oauth.sh), its certificate from the
# stack CA (tls.sh), and KRaft's StandardAuthorizer. ANONYMOUS (the PLAINTEXT
# listener and the controller) is a super user, so plaintext clients keep full
# access; the SCRAM user rowkube gets only the ACLs of kafka_secure_acls.
# Local-stack credentials; nothing here guards real data.
KAFKA_SECURE_PORT=${ROWKUBE_KAFKA_SECURE_PORT:-19094}
KAFKA_SASL_USERNAME=rowkube
KAFKA_SASL_PASSWORD=rowkube-scram-secret
KAFKA_ADMIN_USERNAME=rowkube-admin
KAFKA_ADMIN_PASSWORD=rowkube-admin-secret
# What the rowkube principal may touch: topics, consumer groups and
# transactional ids starting with this prefix (tests name theirs so).
KAFKA_SECURE_PREFIX=rowkube

# kafka_pid: print the broker's pid if the pid file names a live kafka.Kafka JVM.
# The pid file sits in /var/tmp, which survives a reboot, so a bare `kill -0`
# could match an unrelated process that got the same pid; checking the command
# line keeps `up` and `down` from ever signalling that process.
kafka_pid() {
  local f=$RUN_DIR/kafka.pid pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'kafka\.Kafka ' || return 1
  printf '%s\n' "$pid"
}

# kafka_probe: succeed only if the broker answers a Metadata request and lists
# itself (node 1 at 127.0.0.1:$KAFKA_PORT). An open port is not enough: the
# socket accepts before the broker has joined its controller quorum and been
# unfenced, and the Metadata response lists only unfenced brokers, so seeing
# ourselves there means clients can produce and consume. Spoken in plain bash
# over /dev/tcp because a JVM admin client would take seconds to start; it
# costs milliseconds and has a hard 3 s bound on a broker that accepts but
# never answers.
kafka_probe() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT" || exit 1
    # Request: size 28; header v1 = api key 3 (Metadata), version 4,
    # correlation id 1, client id "rowkube-stack" (13 bytes); body = topics:
    # empty array (brokers only, no topic list), allow_auto_topic_creation false.
    printf '\x00\x00\x00\x1c\x00\x03\x00\x04\x00\x00\x00\x01\x00\x0drowkube-stack\x00\x00\x00\x00\x00' >&3
    # head -c reads at most N bytes from the socket, so the length prefix and
    # the body can be read separately.
    local size hex want
    size=$(timeout 3 head -c 4 <&3 | od -An -tu4 --endian=big | tr -d ' ')
    [ -n "$size" ] && [ "$size" -gt 0 ] && [ "$size" -lt 1048576 ] || exit 1
    hex=$(timeout 3 head -c "$size" <&3 | od -An -v -tx1 | tr -d ' \n')
    # Response v4: correlation id, throttle time, broker array of
    # (node id, host as int16 length + bytes, port, rack), cluster id, ...
    want=00000001$(printf '%04x' 9)$(printf '127.0.0.1' | od -An -v -tx1 | tr -d ' \n')$(printf '%08x' "$KAFKA_PORT")
    [[ $hex == 00000001* && $hex == *"$want"* ]]
  ) 2>/dev/null
}

# kafka_jars: copy the broker's jars from Maven Central into $KAFKA_LIB unless
# they are there already for this very pom.xml. Maven writes into a temporary
# directory that is renamed into place only when complete, so an interrupted
# download never leaves a half-filled lib/ that later starts would trust.
kafka_jars() {
  local stamp
  stamp="$KAFKA_VERSION $(sha256sum < "$KAFKA_POM" | cut -d' ' -f1)"
  if [ -f "$KAFKA_LIB/.stamp" ] && [ "$(cat "$KAFKA_LIB/.stamp")" = "$stamp" ]; then
    return 0
  fi
  command -v mvn >/dev/null || fail_part kafka /dev/null "mvn not found (the Debian package maven brings it)"
  local parent tmp mvnlog
  parent=$(dirname "$KAFKA_LIB")
  mvnlog=$parent/mvn.log
  mkdir -p "$parent"
  rm -rf "$parent"/lib.tmp.*   # left by an interrupted download
  tmp=$(mktemp -d "$parent/lib.tmp.XXXXXX")
  chmod 755 "$tmp"   # mktemp makes it private; the jars are nothing secret
  log "kafka: downloading Kafka $KAFKA_VERSION jars from Maven Central (log: $mvnlog)"
  # The plugin version is pinned: Debian's Maven 3.8.7 would otherwise pick an
  # old maven-dependency-plugin. The local repository sits in the cache too so
  # that nothing lands in ~/.m2 and a second collection downloads nothing.
  if ! mvn -B -ntp -Dstyle.color=never -f "$KAFKA_POM" \
        -Dmaven.repo.local="$ROWKUBE_CACHE/m2" \
        -Dkafka.version="$KAFKA_VERSION" \
        org.apache.maven.plugins:maven-dependency-plugin:3.7.1:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" > "$mvnlog" 2>&1; then
    rm -rf "$tmp"
    fail_part kafka "$mvnlog" "could not collect the Kafka jars with Maven"
  fi
  printf '%s\n' "$stamp" > "$tmp/.stamp"
  # Swap the new directory in; the old one (another pom) is dropped. The broker
  # is not running here (kafka_up returns early when it is), so no JVM still
  # loads classes from the jars being removed.
  rm -rf "$KAFKA_LIB.old"
  [ ! -e "$KAFKA_LIB" ] || mv -T "$KAFKA_LIB" "$KAFKA_LIB.old"
  mv -T "$tmp" "$KAFKA_LIB"
  rm -rf "$KAFKA_LIB.old"
}

# kafka_write_config: (re)generate server.properties and log4j.properties, so a
# change of port in the environment or of this file applies at the next start.
kafka_write_config() {
  mkdir -p "$KAFKA_CONF_DIR" "$KAFKA_DATA_DIR" "$LOG_DIR"
  cat > "$KAFKA_CONF_DIR/server.properties" <<EOF
# Generated by deploy/local/lib/kafka.sh at every start; edits here are lost.
# One node that is both the KRaft controller (the only voter) and the broker.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT,SASL_SSL://127.0.0.1:$KAFKA_SECURE_PORT
# Clients are only ever told about the PLAINTEXT and SASL_SSL listeners, never the controller's.
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SECURE_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL

# SASL_SSL: SCRAM-SHA-512 and OAUTHBEARER over TLS with a PEM key and certificate from the stack CA.
sasl.enabled.mechanisms=SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
# OAUTHBEARER (KIP-768): RS256 JWTs signed by the key of deploy/local/lib/oauth.sh,
# checked against its JWKS file, issuer and audience; the principal is the
# token's sub. The login module needs no options on a broker that does not
# itself log in with OAUTHBEARER (inter-broker traffic is PLAINTEXT).
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
sasl.oauthbearer.jwks.endpoint.url=file://$OAUTH_JWKS_FILE
sasl.oauthbearer.expected.issuer=$OAUTH_ISSUER
sasl.oauthbearer.expected.audience=$OAUTH_AUDIENCE
sasl.oauthbearer.sub.claim.name=sub
# An OAUTHBEARER session ends when its token does (KIP-368: the broker tells
# the client min(this, the token's remaining life)); the client must log in
# again with a fresh token or be disconnected. SCRAM sessions are unaffected.
listener.name.sasl_ssl.oauthbearer.connections.max.reauth.ms=3600000
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$TLS_DIR/kafka.pem
listener.name.sasl_ssl.ssl.truststore.type=PEM
listener.name.sasl_ssl.ssl.truststore.location=$STACK_CA_FILE
# KRaft's authorizer. ANONYMOUS is what the PLAINTEXT and CONTROLLER listeners
# see, so today's plaintext clients and the controller stay unrestricted.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS;User:$KAFKA_ADMIN_USERNAME
log.dirs=$KAFKA_DATA_DIR

# A single broker: every internal topic has one replica, and as few partitions
# as possible, because creating __consumer_offsets (50 partitions by default)
# and __transaction_state (50) is what makes a first consumer group or a first
# transaction slow on a small machine.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
# Tests start consumers one at a time; no point waiting for more to join.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true

# Few threads: this is a 2-core machine shared with the rest of the stack.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
EOF
  # Everything to stdout, which start_bg appends to $KAFKA_LOG: one file holds
  # both Kafka's log and whatever the JVM itself prints when it fails to start,
  # so fail_part shows the real reason. Per-request and per-partition state
  # chatter stays off.
  cat > "$KAFKA_CONF_DIR/log4j.properties" <<'EOF'
# Generated by deploy/local/lib/kafka.sh at every start; edits here are lost.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
EOF
  # For the JVM tools (StorageTool here, the console tools by hand): warnings
  # only, to stderr, so their own output stays readable.
  cat > "$KAFKA_CONF_DIR/tools-log4j.properties" <<'EOF'
# Generated by deploy/local/lib/kafka.sh at every start; edits here are lost.
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

# kafka_format: write the KRaft metadata (cluster id, node id) into the data
# directory once; a formatted directory is left alone.
kafka_format() {
  [ -f "$KAFKA_DATA_DIR/meta.properties" ] && return 0
  # A Kafka cluster id is 16 random bytes in URL-safe base64 without padding.
  # Made here instead of by `StorageTool random-uuid`, which is one JVM start
  # (seconds) longer; one starting with '-' would read as an option, so retry.
  local id
  id=-
  while [[ $id == -* ]]; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  done
  log "kafka: formatting $KAFKA_DATA_DIR (cluster id $id)"
  # TieredStopAtLevel=1: a JVM that lives a second gains nothing from C2.
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
       -Dlog4j.configuration="file:$KAFKA_CONF_DIR/tools-log4j.properties" \
       -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format \
       -t "$id" -c "$KAFKA_CONF_DIR/server.properties" --ignore-formatted \
       >> "$KAFKA_LOG" 2>&1 \
    || fail_part kafka "$KAFKA_LOG" "could not format $KAFKA_DATA_DIR"
}

# kafka_secure_certs: the broker's key and certificate in one PEM file (Kafka's
# PEM keystore wants the PKCS#8 key followed by the certificate chain).
kafka_secure_certs() {
  tls_issue kafka-broker kafka-broker
  cat "$TLS_DIR/kafka-broker.key" "$TLS_DIR/kafka-broker.crt" > "$TLS_DIR/kafka.pem.tmp"
  chmod 600 "$TLS_DIR/kafka.pem.tmp"
  mv "$TLS_DIR/kafka.pem.tmp" "$TLS_DIR/kafka.pem"
}

# kafka_tool CLASS ARGS...: run one of Kafka's JVM admin tools against the
# PLAINTEXT listener (ANONYMOUS is a super user there).
kafka_tool() {
  local class=$1; shift
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
       -Dlog4j.configuration="file:$KAFKA_CONF_DIR/tools-log4j.properties" \
       -cp "$KAFKA_LIB/*" "$class" --bootstrap-server "127.0.0.1:$KAFKA_PORT" "$@"
}

# kafka_secure_acls: SCRAM users and the rowkube principal's ACLs. They live in
# the cluster metadata, so this runs once per data directory (and again when
# this list changes): a stamp in the data dir remembers. An existing stack
# formatted before the secure listener existed gets them the same way.
kafka_secure_acls() {
  local stamp want p=$KAFKA_SECURE_PREFIX u=User:$KAFKA_SASL_USERNAME
  stamp=$KAFKA_DATA_DIR/.rowkube-secure
  want="v1 $KAFKA_SASL_USERNAME $KAFKA_SASL_PASSWORD $KAFKA_ADMIN_PASSWORD $p"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  log "kafka: creating SCRAM users and ACLs for $u (prefix '$p')"
  {
    kafka_tool kafka.admin.ConfigCommand --alter --entity-type users --entity-name "$KAFKA_SASL_USERNAME" \
      --add-config "SCRAM-SHA-512=[iterations=4096,password=$KAFKA_SASL_PASSWORD]" &&
    kafka_tool kafka.admin.ConfigCommand --alter --entity-type users --entity-name "$KAFKA_ADMIN_USERNAME" \
      --add-config "SCRAM-SHA-512=[iterations=4096,password=$KAFKA_ADMIN_PASSWORD]" &&
    kafka_tool kafka.admin.AclCommand --add --allow-principal "$u" --resource-pattern-type prefixed \
      --topic "$p" --operation Create --operation Describe --operation Read --operation Write \
      --operation DescribeConfigs &&
    kafka_tool kafka.admin.AclCommand --add --allow-principal "$u" --resource-pattern-type prefixed \
      --group "$p" --operation Read --operation Describe &&
    kafka_tool kafka.admin.AclCommand --add --allow-principal "$u" --resource-pattern-type prefixed \
      --transactional-id "$p" --operation Describe --operation Write &&
    kafka_tool kafka.admin.AclCommand --add --allow-principal "$u" --cluster --operation IdempotentWrite
  } >> "$KAFKA_LOG" 2>&1 || fail_part kafka "$KAFKA_LOG" "could not create the SCRAM users and ACLs"
  printf '%s\n' "$want" > "$stamp"
}

kafka_up() {
  local pid
  if pid=$(kafka_pid); then
    if kafka_probe; then
      log "kafka: already running (pid $pid)"
      port_open "$KAFKA_SECURE_PORT" || log "kafka: no SASL_SSL listener on $KAFKA_SECURE_PORT; restart kafka (stack down kafka; stack up kafka) to add it"
      kafka_secure_acls
      grep -q '^sasl.enabled.mechanisms=.*OAUTHBEARER' "$KAFKA_CONF_DIR/server.properties" 2>/dev/null ||
        log "kafka: the running broker predates OAUTHBEARER; restart kafka (stack down kafka; stack up kafka) to add it"
      oauth_keys
      oauth_mint --out "$OAUTH_TOKEN_FILE"
      return 0
    fi
    # Alive but not answering: hung, or left half-started by an interrupted
    # `up`. Starting over is quicker and more predictable than guessing.
    log "kafka: pid $pid is not answering on 127.0.0.1:$KAFKA_PORT; restarting it"
    stop_pid kafka
  fi
  rm -f "$RUN_DIR/kafka.pid"   # stale (the process is gone or is not ours)

  local port
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_SECURE_PORT"; do
    ! port_open "$port" || fail_part kafka /dev/null \
      "port $port is taken by another process (set ROWKUBE_KAFKA_PORT / ROWKUBE_KAFKA_CONTROLLER_PORT / ROWKUBE_KAFKA_SECURE_PORT to move the stack's Kafka)"
  done
  command -v java >/dev/null || fail_part kafka /dev/null "java not found (Kafka needs Java 11 or later; the Debian package maven brings one)"

  kafka_jars
  kafka_secure_certs
  oauth_keys
  kafka_write_config
  mkdir -p "$LOG_DIR"
  # Keep the log from growing without end across many restarts.
  if [ -f "$KAFKA_LOG" ] && [ "$(stat -c %s "$KAFKA_LOG")" -gt $((50 * 1024 * 1024)) ]; then
    mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
  fi
  kafka_format

  log "kafka: starting on 127.0.0.1:$KAFKA_PORT (log: $KAFKA_LOG)"
  # A marker, so that a reader of the log (and fail_part's tail) can tell this
  # start from the previous run's lines.
  printf '=== %s: deploy/local/stack starts Kafka %s ===\n' "$(date '+%F %T')" "$KAFKA_VERSION" >> "$KAFKA_LOG"
  # A small heap and SerialGC: a local broker with little traffic needs neither
  # Kafka's default 1 GB heap nor G1's pause goals and extra threads (start time
  # measured the same either way). Full C2 JIT is kept: C1 only
  # (-XX:TieredStopAtLevel=1) starts ~1 s faster but runs slower for good.
  # ErrorFile keeps a JVM crash report out of whatever directory `up` ran in.
  # The OAUTHBEARER allow-lists, so that a Kafka upgrade keeps working: from
  # 4.0 a JWKS URL not in allowed.urls is refused (3.9.1 allows all unless the
  # list is set), and from 4.1 the files the plugin reads must be in
  # allowed.files. Older versions ignore both properties.
  start_bg kafka "$KAFKA_LOG" java -Xms256m -Xmx512m -XX:+UseSerialGC \
    -XX:ErrorFile="$LOG_DIR/kafka-hs_err_%p.log" \
    -Djava.awt.headless=true \
    -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls="file://$OAUTH_JWKS_FILE" \
    -Dorg.apache.kafka.sasl.oauthbearer.allowed.files="$OAUTH_JWKS_FILE" \
    -Dlog4j.configuration="file:$KAFKA_CONF_DIR/log4j.properties" \
    -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_CONF_DIR/server.properties"

  # Own wait loop rather than wait_until: a broker that exits (bad config,
  # locked data dir, ...) must fail at once, not after the whole timeout.
  # (pid_alive, not kafka_pid: for a moment after start_bg the process is
  # still the forked shell, not yet java, and its command line says so.)
  local started=$SECONDS progressed=$SECONDS reported=$SECONDS size=0 now_size
  until kafka_probe; do
    pid_alive kafka || fail_part kafka "$KAFKA_LOG" "the broker exited during startup"
    now_size=$(stat -c %s "$KAFKA_LOG" 2>/dev/null || echo 0)
    if [ "$now_size" != "$size" ]; then size=$now_size; progressed=$SECONDS; fi
    if [ $((SECONDS - progressed)) -ge "$KAFKA_START_TIMEOUT" ] || [ $((SECONDS - started)) -ge "$KAFKA_START_LIMIT" ]; then
      stop_pid kafka
      fail_part kafka "$KAFKA_LOG" "not answering on 127.0.0.1:$KAFKA_PORT after $((SECONDS - started))s"
    fi
    if [ $((SECONDS - reported)) -ge 15 ]; then
      reported=$SECONDS
      log "kafka: still starting after $((SECONDS - started))s ($(find "$KAFKA_DATA_DIR" -maxdepth 1 -type d | wc -l) partition directories to load)"
    fi
    sleep 0.5
  done
  wait_until 30 "the SASL_SSL listener on $KAFKA_SECURE_PORT" port_open "$KAFKA_SECURE_PORT" \
    || fail_part kafka "$KAFKA_LOG" "no SASL_SSL listener on 127.0.0.1:$KAFKA_SECURE_PORT"
  kafka_secure_acls
  oauth_mint --out "$OAUTH_TOKEN_FILE"
  log "kafka: ready on 127.0.0.1:$KAFKA_PORT, SASL_SSL on $KAFKA_SECURE_PORT ($((SECONDS - started)) s)"
}

kafka_down() {
  # A pid file that names no broker of ours is only removed: never signal a
  # process that merely reuses the pid.
  if kafka_pid >/dev/null; then
    stop_pid kafka
  else
    rm -f "$RUN_DIR/kafka.pid"
  fi
}

kafka_status() {
  local pid
  pid=$(kafka_pid) || { echo "not running"; return 1; }
  kafka_probe || { echo "pid $pid is not answering on 127.0.0.1:$KAFKA_PORT"; return 1; }
  echo "127.0.0.1:$KAFKA_PORT pid $pid"
}

kafka_env() {
  echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  echo "KAFKA_SECURE_BROKERS=127.0.0.1:$KAFKA_SECURE_PORT"
  echo "KAFKA_SASL_MECHANISM=scram-sha-512"
  echo "KAFKA_SASL_USERNAME=$KAFKA_SASL_USERNAME"
  echo "KAFKA_SASL_PASSWORD=$KAFKA_SASL_PASSWORD"
  echo "KAFKA_SECURE_PREFIX=$KAFKA_SECURE_PREFIX"
}
