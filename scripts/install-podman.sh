#!/usr/bin/env bash
# Sets up what the container test (test/integration/image/container.test.ts) needs, once: Debian's podman
# (with runc and mmdebstrap), a containers.conf this machine's sandbox accepts, and a local Node 24
# base image, since image registries cannot be reached here: a Debian minbase made by mmdebstrap,
# plus node@24 and npm from the npm registry, imported as $CHAINPRICE_TEST_BASE_IMAGE (default
# localhost/chainprice-test-node:24). A second run finds all of it and takes a second or two.
# Not for users: they build the Containerfile on the official node:24-slim image. `.ci/run` runs it.
# Needs root and Debian's package archive; exits 0 with a message when podman cannot be had here
# (the container test then says why it skips).
set -euo pipefail

here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
image=${CHAINPRICE_TEST_BASE_IMAGE:-localhost/chainprice-test-node:24}
suite=bookworm
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

node=$(sh "$here/scripts/node.sh" -p 'process.execPath')
node_version=$("$node" -p 'process.versions.node')
case "$node_version" in
  24.*) ;;
  *)
    # The system Node.js is new enough for the scripts but is not 24: take node@24 from the registry.
    mkdir -p "$here/.cache/node24"
    echo '{"private":true}' >"$here/.cache/node24/package.json"
    [ -x "$here/.cache/node24/node_modules/node/bin/node" ] ||
      npm install --prefix "$here/.cache/node24" --no-package-lock --no-audit --no-fund --loglevel=error node@24 >&2
    node="$here/.cache/node24/node_modules/node/bin/node"
    node_version=$("$node" -p 'process.versions.node')
    ;;
esac
node_bin=$(readlink -f "$node")

work=$(mktemp -d /tmp/chainprice-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "install-podman: making a Debian $suite minbase with Node.js $node_version as $image (once)…"
start=$(date +%s)
mmdebstrap --quiet --variant=minbase \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  "$suite" "$work/root"
install -m 0755 "$node_bin" "$work/root/usr/local/bin/node"
# npm as the official image has it, from the npm registry, installed with the host's Node 24.
PATH="$(dirname "$node_bin"):$PATH" npm install --global --prefix "$work/root/usr/local" \
  --no-audit --no-fund --loglevel=error npm@11 >/dev/null
rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/"*
# The machine's own certificate authorities (this sandbox reaches the npm registry through a proxy
# with its own), so npm in the image trusts what npm here trusts.
ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
ca_env=()
if [ -r "$ca" ]; then
  mkdir -p "$work/root/etc/ssl/certs"
  cp "$ca" "$work/root/etc/ssl/certs/host-ca-certificates.crt"
  ca_env=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-certificates.crt')
fi
tar -C "$work/root" -c . | podman import \
  "${ca_env[@]}" \
  --change "LABEL chainprice.test-base=$recipe" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'CMD ["node"]' \
  - "$image" >/dev/null
echo "install-podman: $image made in $(($(date +%s) - start)) s ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
