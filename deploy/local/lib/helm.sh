# The helm binary, for the chart's tests (deploy/helm/rowkube): helm lint and
# helm template. helm is not in Debian: it is built once per version from the
# Go module proxy into the cache, like the control plane (kube.sh).
#
# The chart's ServiceMonitor and PrometheusRule need the prometheus-operator
# CRDs in the test cluster. The operator's root module (which ships the CRD
# files) is not served by the module proxy; its API module is, and the CRDs are
# generated from it the way the operator itself makes them: controller-gen over
# the kubebuilder markers of the monitoring/v1 types.

HELM_VERSION=3.21.4
CONTROLLER_GEN_VERSION=0.23.0
PROMETHEUS_OPERATOR_VERSION=0.95.2
HELM_BIN_DIR=$ROWKUBE_CACHE/helm-v$HELM_VERSION
HELM_BIN=$HELM_BIN_DIR/helm
MONITORING_CRDS=$ROWKUBE_CACHE/prometheus-operator-crds-v$PROMETHEUS_OPERATOR_VERSION
# The two CRDs the chart's templates use.
MONITORING_CRD_FILES=(monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_prometheusrules.yaml)

helm_built() {
  local f
  [ -x "$HELM_BIN" ] || return 1
  for f in "${MONITORING_CRD_FILES[@]}"; do [ -s "$MONITORING_CRDS/$f" ] || return 1; done
}

helm_up() {
  helm_built && return 0
  mkdir -p "$ROWKUBE_CACHE"
  (
    flock 9
    helm_build_unlocked
  ) 9>"$ROWKUBE_CACHE/helm-build.lock"
}

helm_build_unlocked() {
  helm_built && return 0
  command -v go >/dev/null || die "helm: Go is needed to build helm (go 1.24 or newer on PATH)"
  local build_log=$LOG_DIR/helm-build.log started=$SECONDS
  mkdir -p "$LOG_DIR"
  export GOMODCACHE=$ROWKUBE_CACHE/go/mod GOCACHE=$ROWKUBE_CACHE/go/build CGO_ENABLED=0
  if [ ! -x "$HELM_BIN" ]; then
    log "helm: building helm v$HELM_VERSION (first time only; a few minutes; log: $build_log)"
    rm -rf "$HELM_BIN_DIR.tmp" && mkdir -p "$HELM_BIN_DIR.tmp"
    GOBIN=$HELM_BIN_DIR.tmp GOFLAGS= go install -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" \
      "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" > "$build_log" 2>&1 ||
      fail_part helm "$build_log" "building helm failed"
    rm -rf "$HELM_BIN_DIR" && mv "$HELM_BIN_DIR.tmp" "$HELM_BIN_DIR"
    log "helm: built in $((SECONDS - started)) s"
  fi
  started=$SECONDS
  log "helm: generating the prometheus-operator CRDs v$PROMETHEUS_OPERATOR_VERSION with controller-gen v$CONTROLLER_GEN_VERSION (first time only; log: $build_log)"
  local tools=$ROWKUBE_CACHE/controller-gen-v$CONTROLLER_GEN_VERSION module_dir
  {
    [ -x "$tools/controller-gen" ] ||
      GOBIN=$tools GOFLAGS= go install -trimpath -ldflags "-s -w" \
        "sigs.k8s.io/controller-tools/cmd/controller-gen@v$CONTROLLER_GEN_VERSION"
  } >> "$build_log" 2>&1 || fail_part helm "$build_log" "building controller-gen failed"
  module_dir=$(GOFLAGS= go mod download -json \
    "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring@v$PROMETHEUS_OPERATOR_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$module_dir" ] || fail_part helm "$build_log" "downloading the prometheus-operator API module failed"
  rm -rf "$MONITORING_CRDS.tmp" && mkdir -p "$MONITORING_CRDS.tmp"
  # The module cache is read-only: controller-gen only reads the sources there.
  (cd "$module_dir" && GOFLAGS=-mod=mod "$tools/controller-gen" crd:crdVersions=v1,maxDescLen=0 \
    paths=./v1/... output:crd:dir="$MONITORING_CRDS.tmp") >> "$build_log" 2>&1 ||
    fail_part helm "$build_log" "generating the prometheus-operator CRDs failed"
  rm -rf "$MONITORING_CRDS" && mv "$MONITORING_CRDS.tmp" "$MONITORING_CRDS"
  helm_built || fail_part helm "$build_log" "the CRDs ${MONITORING_CRD_FILES[*]} were not generated"
  log "helm: CRDs generated in $((SECONDS - started)) s"
}

# Nothing runs: down removes nothing either (the binary is a cached build).
helm_down() { :; }

helm_status() {
  helm_built || { echo "helm v$HELM_VERSION is not built (deploy/local/stack up helm)"; return 1; }
  echo "$HELM_BIN, CRDs in $MONITORING_CRDS"
}

helm_env() {
  echo "HELM=$HELM_BIN"
  echo "MONITORING_CRDS_DIR=$MONITORING_CRDS"
}
