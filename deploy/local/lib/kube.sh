# A Kubernetes control plane as plain processes: etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler built from the Go module proxy, and
# kwok playing the kubelet of one simulated node so that pods get scheduled,
# become Ready and Deployments become Available.
#
# The helpers below work on "the selected cluster": the variables from KUBE_DIR
# to KUBE_PID_PREFIX. They select the main cluster (part `kube`); the part
# `kube-replay` (kube-replay.sh) selects a second one in a subshell and runs
# the same kube_cluster_* functions, so the two clusters are built alike.

KUBE_VERSION=1.33.13
KWOK_VERSION=0.7.0
KUBE_BUILD_MODULE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../kube-build" && pwd)
KUBE_BIN=$ROWKUBE_CACHE/kube-v$KUBE_VERSION/bin
KUBE_DIR=$ROWKUBE_STATE/kube
KUBE_PKI=$KUBE_DIR/pki
KUBECONFIG_ADMIN=$KUBE_DIR/admin.kubeconfig
KUBE_NODE=kwok-node-0
KUBE_PROCESSES=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
# The selected cluster's part name (messages) and the prefix of its pid and log files.
KUBE_PART=kube
KUBE_PID_PREFIX=

# kube_build: compile the binaries once per version into the cache. The wrapper
# module's go.sum pins every dependency, so a build is reproducible offline
# once the module cache holds them. Both clusters (kube, kube-replay) need the
# binaries and `stack up` starts parts side by side: one builds, the other
# waits on the lock and then finds them.
kube_build() {
  mkdir -p "$ROWKUBE_CACHE"
  (
    flock 9
    kube_build_unlocked
  ) 9>"$ROWKUBE_CACHE/kube-build.lock"
}

kube_build_unlocked() {
  local missing=0 b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
    [ -x "$KUBE_BIN/$b" ] || missing=1
  done
  [ $missing -eq 1 ] || return 0
  command -v go >/dev/null || die "kube: Go is needed to build the control plane (go 1.24 or newer on PATH)"
  local build_log=$LOG_DIR/kube-build.log started=$SECONDS
  log "kube: building kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok (first time only; several minutes; log: $build_log)"
  mkdir -p "$KUBE_BIN.tmp"
  export GOMODCACHE=$ROWKUBE_CACHE/go/mod GOCACHE=$ROWKUBE_CACHE/go/build CGO_ENABLED=0 GOFLAGS=-mod=readonly
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=${KUBE_VERSION%%.*}"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
  {
    (cd "$KUBE_BUILD_MODULE" &&
      go build -trimpath -ldflags "$ldflags" -o "$KUBE_BIN.tmp/" \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl &&
      go build -trimpath -ldflags "-s -w" -o "$KUBE_BIN.tmp/etcd" go.etcd.io/etcd/server/v3) &&
    GOBIN=$KUBE_BIN.tmp GOFLAGS= go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  } > "$build_log" 2>&1 || fail_part kube "$build_log" "building the control plane failed"
  rm -rf "$KUBE_BIN" && mv "$KUBE_BIN.tmp" "$KUBE_BIN"
  log "kube: built in $((SECONDS - started)) s"
}

# kube_certs: one CA; a serving certificate for 127.0.0.1 and the
# in-cluster names; an admin client certificate in group system:masters; a
# service account signing key. Made once per cluster's state directory.
kube_certs() {
  local p=$KUBE_PKI
  [ -f "$p/admin.key" ] && return 0
  mkdir -p "$p"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=rowkube-local-ca" \
      -keyout "$p/ca.key" -out "$p/ca.crt"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$p/apiserver.key" -out "$p/apiserver.csr"
    printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' > "$p/apiserver.ext"
    openssl x509 -req -in "$p/apiserver.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial -days 3650 \
      -extfile "$p/apiserver.ext" -out "$p/apiserver.crt"
    openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=rowkube-admin" -keyout "$p/admin.key.tmp" -out "$p/admin.csr"
    printf 'extendedKeyUsage=clientAuth\n' > "$p/admin.ext"
    openssl x509 -req -in "$p/admin.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial -days 3650 \
      -extfile "$p/admin.ext" -out "$p/admin.crt"
    openssl genrsa -out "$p/sa.key" 2048
    openssl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub"
    mv "$p/admin.key.tmp" "$p/admin.key"
  } > "$LOG_DIR/$KUBE_PART-certs.log" 2>&1 || fail_part "$KUBE_PART" "$LOG_DIR/$KUBE_PART-certs.log" "making certificates with openssl failed"
}

# The selected cluster's admin kubeconfig; the context is named after the part.
kube_write_kubeconfig() {
  local file=$KUBECONFIG_ADMIN pki=$KUBE_PKI port=$APISERVER_PORT cluster=rowkube-local
  [ "$KUBE_PART" = kube ] || cluster=rowkube-$KUBE_PART
  local b64="base64 -w0"
  cat > "$file" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: $cluster
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $($b64 < "$pki/ca.crt")
users:
- name: rowkube-admin
  user:
    client-certificate-data: $($b64 < "$pki/admin.crt")
    client-key-data: $($b64 < "$pki/admin.key")
contexts:
- name: $cluster
  context: { cluster: $cluster, user: rowkube-admin }
current-context: $cluster
KCFG
}

# kube_api PATH [CURL ARGS...]: call the selected cluster's apiserver as the admin.
kube_api() {
  local path=$1; shift
  curl -sf --max-time 5 --cacert "$KUBE_PKI/ca.crt" --cert "$KUBE_PKI/admin.crt" --key "$KUBE_PKI/admin.key" \
    "$@" "https://127.0.0.1:$APISERVER_PORT$path"
}

# kube_start NAME SECONDS CHECK COMMAND...: start one process of the selected
# cluster unless it runs, then wait for CHECK; a process that exits or never
# passes CHECK fails the part.
kube_start() {
  local name=$KUBE_PID_PREFIX$1 seconds=$2 check=$3; shift 3
  local logfile=$LOG_DIR/$name.log
  pid_alive "$name" || start_bg "$name" "$logfile" "$@"
  local deadline=$((SECONDS + seconds))
  until $check >/dev/null 2>&1; do
    pid_alive "$name" || fail_part "$KUBE_PART ($name)" "$logfile" "the process exited"
    [ $SECONDS -lt $deadline ] || fail_part "$KUBE_PART ($name)" "$logfile" "not ready after $seconds s"
    sleep 0.5
  done
}

etcd_healthy()      { curl -sf --max-time 3 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
apiserver_ready()   { kube_api /readyz; }
# Controllers run: the default ServiceAccount appears only when the controller manager works.
controllers_ready() { kube_api /api/v1/namespaces/default/serviceaccounts/default; }
scheduler_ready()   { kube_api /api/v1/namespaces/kube-system/pods >/dev/null && pid_alive "${KUBE_PID_PREFIX}kube-scheduler"; }
# The apiserver pretty-prints JSON: drop whitespace before matching.
node_ready()        { kube_api "/api/v1/nodes/$KUBE_NODE" | tr -d ' \n' | grep -q '"type":"Ready","status":"True"'; }

# The simulated node: kwok manages nodes carrying this annotation.
kube_create_node() {
  kube_api "/api/v1/nodes/$KUBE_NODE" >/dev/null && return 0
  kube_api /api/v1/nodes -X POST -H 'Content-Type: application/json' -d @- >/dev/null <<NODE
{
  "apiVersion": "v1", "kind": "Node",
  "metadata": {
    "name": "$KUBE_NODE",
    "annotations": { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
    "labels": { "type": "kwok", "kubernetes.io/hostname": "$KUBE_NODE", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" }
  },
  "status": {
    "allocatable": { "cpu": "1000", "memory": "4Ti", "pods": "100000" },
    "capacity":    { "cpu": "1000", "memory": "4Ti", "pods": "100000" }
  }
}
NODE
}

kube_cluster_up() {
  if kube_cluster_status >/dev/null 2>&1; then log "$KUBE_PART: already running"; return 0; fi
  kube_build
  mkdir -p "$KUBE_DIR" "$LOG_DIR"
  kube_certs
  kube_write_kubeconfig
  local p=$KUBE_PKI
  kube_start etcd 60 etcd_healthy "$KUBE_BIN/etcd" --name local --data-dir "$KUBE_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
    --unsafe-no-fsync --quota-backend-bytes 8589934592
  # ServiceAccount admission is off, as in controller-runtime's envtest: pods need
  # no token, and nothing here runs containers that would read one.
  kube_start kube-apiserver 120 apiserver_ready "$KUBE_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --secure-port "$APISERVER_PORT" --cert-dir "$p" --tls-cert-file "$p/apiserver.crt" --tls-private-key-file "$p/apiserver.key" \
    --client-ca-file "$p/ca.crt" --authorization-mode RBAC --allow-privileged=true \
    --service-cluster-ip-range 10.0.0.0/24 --disable-admission-plugins ServiceAccount \
    --service-account-issuer "https://kubernetes.default.svc" --service-account-key-file "$p/sa.pub" \
    --service-account-signing-key-file "$p/sa.key" --profiling=false
  # The controllers' default API budget (20 requests/s) lets the Deployment
  # controller settle only 3-5 Deployments a second, so a rollout over
  # thousands of tenants would measure the controller, not rowkube.
  kube_start kube-controller-manager 90 controllers_ready "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$KUBECONFIG_ADMIN" --leader-elect=false --secure-port 0 \
    --kube-api-qps 200 --kube-api-burst 400 \
    --service-account-private-key-file "$p/sa.key" --root-ca-file "$p/ca.crt" \
    --cluster-signing-cert-file "$p/ca.crt" --cluster-signing-key-file "$p/ca.key"
  kube_start kube-scheduler 60 scheduler_ready "$KUBE_BIN/kube-scheduler" \
    --kubeconfig "$KUBECONFIG_ADMIN" --leader-elect=false --secure-port 0
  kube_create_node || fail_part "$KUBE_PART" "$LOG_DIR/${KUBE_PID_PREFIX}kube-apiserver.log" "creating node $KUBE_NODE failed"
  kube_start kwok 60 node_ready "$KUBE_BIN/kwok" --kubeconfig "$KUBECONFIG_ADMIN" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr 10.0.1.0/24 --node-ip 10.0.1.1 --node-lease-duration-seconds 40
  log "$KUBE_PART: ready at https://127.0.0.1:$APISERVER_PORT (kubeconfig: $KUBECONFIG_ADMIN)"
}

kube_cluster_down() {
  local i
  for ((i=${#KUBE_PROCESSES[@]}-1; i>=0; i--)); do stop_pid "$KUBE_PID_PREFIX${KUBE_PROCESSES[$i]}"; done
}

kube_cluster_status() {
  local name
  for name in "${KUBE_PROCESSES[@]}"; do
    pid_alive "$KUBE_PID_PREFIX$name" || { echo "$KUBE_PID_PREFIX$name is not running"; return 1; }
  done
  apiserver_ready >/dev/null 2>&1 || { echo "kube-apiserver does not answer /readyz (log: $LOG_DIR/${KUBE_PID_PREFIX}kube-apiserver.log)"; return 1; }
  node_ready || { echo "node $KUBE_NODE is not Ready (log: $LOG_DIR/${KUBE_PID_PREFIX}kwok.log)"; return 1; }
  echo "https://127.0.0.1:$APISERVER_PORT, node $KUBE_NODE Ready"
}

kube_up()     { kube_cluster_up; }
kube_down()   { kube_cluster_down; }
kube_status() { kube_cluster_status; }

kube_env() {
  echo "KUBECONFIG=$KUBECONFIG_ADMIN"
}
