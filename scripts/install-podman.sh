#!/usr/bin/env bash
# Sets up what the container test (test/integration/image/container.test.ts) needs, once: Debian's podman
# (with runc and mmdebstrap), a containers.conf this machine's sandbox accepts, and a local Node 24
# base image, since image registries cannot be reached here: a Debian minbase made by mmdebstrap,
# plus node@24 and npm from the npm registry (scripts/make-node-base.sh), imported as
# $CHAINPRICE_TEST_BASE_IMAGE (default localhost/chainprice-test-node:24). A second run finds all of
# it and takes a second or two. scripts/install-arm64.sh adds the arm64 base.
# Not for users: they build the Containerfile on the official node:24-slim image. `.ci/run` runs it.
# Needs root and Debian's package archive; exits 0 with a message when podman cannot be had here
# (the container test then says why it skips).
set -euo pipefail

here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
image=${CHAINPRICE_TEST_BASE_IMAGE:-localhost/chainprice-test-node:24}
conf=/etc/containers/containers.conf

if ! command -v podman >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-podman: podman is missing and cannot be installed here (needs root and apt-get); the container test will skip"
    exit 0
  fi
  echo "install-podman: installing Debian's podman, runc and mmdebstrap (once)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    podman runc mmdebstrap netavark aardvark-dns iptables catatonit uidmap >/dev/null
fi

# crun, and runc's default rlimits, are refused by this machine's sandbox: runc without them is not.
if ! grep -qs '^# written by chainprice scripts/install-podman.sh' "$conf"; then
  mkdir -p "$(dirname "$conf")"
  [ -e "$conf" ] && cp "$conf" "$conf.before-chainprice"
  cat >"$conf" <<'EOF'
# written by chainprice scripts/install-podman.sh (for its container test)
[containers]
default_ulimits = []

[engine]
runtime = "runc"
EOF
fi
echo "podman: $(podman --version) (runtime $(podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null || echo '?'))"

# Bump when the recipe below changes, so an image made by an older one is made again.
recipe=2
made() {
  [ "$(podman image inspect --format '{{index .Config.Labels "chainprice.test-base"}}' "$image" 2>/dev/null)" = "$recipe" ]
}
if made; then
  echo "install-podman: base image $image is there"
  exit 0
fi

# Serialise concurrent runs.
mkdir -p "$here/.cache"
exec 9>"$here/.cache/podman-base.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if made; then exit 0; fi

bash "$here/scripts/make-node-base.sh" "$(dpkg --print-architecture)" "$image" "$recipe"
