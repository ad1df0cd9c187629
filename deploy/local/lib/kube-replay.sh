# A second, empty Kubernetes cluster for `rowkube replay`: rebuilding a lost
# cluster from `<prefix>.desired` is shown by replaying into this one and
# comparing it with the first. It is the same control plane as the part `kube`
# (the same binaries, its own etcd, certificates, ports and kwok node), not an
# apiserver alone: replay applies with the sink's own code, which waits for
# `waitForReady` resources (a Deployment Available), and that needs the
# controller manager, the scheduler and kwok. Idle, the five processes cost a
# few percent of one core.

KUBE_REPLAY_DIR=$ROWKUBE_STATE/kube-replay
KUBECONFIG_REPLAY=$KUBE_REPLAY_DIR/admin.kubeconfig
REPLAY_ETCD_PORT=${ROWKUBE_REPLAY_ETCD_PORT:-12381}
REPLAY_ETCD_PEER_PORT=${ROWKUBE_REPLAY_ETCD_PEER_PORT:-12382}
REPLAY_APISERVER_PORT=${ROWKUBE_REPLAY_APISERVER_PORT:-16444}

# Points kube.sh's helpers at the second cluster. Only ever called in a
# subshell: the main cluster's settings stay as they are for everything else.
kube_replay_select() {
  KUBE_PART=kube-replay
  KUBE_PID_PREFIX=replay-
  KUBE_DIR=$KUBE_REPLAY_DIR
  KUBE_PKI=$KUBE_REPLAY_DIR/pki
  KUBECONFIG_ADMIN=$KUBECONFIG_REPLAY
  ETCD_PORT=$REPLAY_ETCD_PORT
  ETCD_PEER_PORT=$REPLAY_ETCD_PEER_PORT
  APISERVER_PORT=$REPLAY_APISERVER_PORT
}

kube-replay_up()     { ( kube_replay_select; kube_cluster_up ); }
kube-replay_down()   { ( kube_replay_select; kube_cluster_down ); }
kube-replay_status() { ( kube_replay_select; kube_cluster_status ); }
kube-replay_env()    { echo "KUBECONFIG_REPLAY=$KUBECONFIG_REPLAY"; }
