# Settings shared by deploy/image/build and deploy/image/podman. Sourced, never run.
#
# Images live in a private container storage under the cache (vfs driver, its
# own root and runroot), so building and running them touches no system-wide
# container storage that other tools on the machine share.

# shellcheck source=../local/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../local/lib/common.sh"

IMAGE_NAME=localhost/rowkube
# The user the image runs as: numeric (so Kubernetes' runAsNonRoot can check
# it without reading /etc/passwd) and the same in the Dockerfile.
IMAGE_UID=65532
IMAGE_GID=65532
IMAGE_HOME=$ROWKUBE_CACHE/image
IMAGE_STORAGE=$IMAGE_HOME/storage

# Podman 4.3 on this kind of machine needs runc (crun refuses hybrid cgroups),
# cgroupfs, and no default rlimits (setting them is not permitted here).
image_containers_conf() {
  mkdir -p "$IMAGE_HOME"
  local conf=$IMAGE_HOME/containers.conf
  # Written each time (renamed into place), so a change here always applies.
  cat > "$conf.$$" <<'CONF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
CONF
  mv "$conf.$$" "$conf"
  export CONTAINERS_CONF=$conf
}

# Options every buildah and podman call takes: the private storage.
IMAGE_STORAGE_OPTS=(--storage-driver vfs --root "$IMAGE_STORAGE/root" --runroot "$IMAGE_STORAGE/runroot")
