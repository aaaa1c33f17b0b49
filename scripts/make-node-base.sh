#!/usr/bin/env bash
# Makes one local Node.js 24 base image for the container tests, since image registries cannot be
# reached here: a Debian minbase made by mmdebstrap for ARCH, Node.js (the version of this
# machine's Node 24) for ARCH and npm, both from the npm registry, and the machine's certificate
# authorities, imported into podman as IMAGE labelled chainprice.test-base=RECIPE.
#   usage: scripts/make-node-base.sh ARCH IMAGE RECIPE     (ARCH: Debian's amd64 or arm64)
# Called by scripts/install-podman.sh (this machine's architecture) and scripts/install-arm64.sh
# (arm64, whose package scripts run under qemu). Needs root, mmdebstrap and podman. Not for users:
# they build deploy/Containerfile on the official node:24-slim.
set -euo pipefail

arch=${1:?usage: scripts/make-node-base.sh ARCH IMAGE RECIPE}
image=${2:?usage: scripts/make-node-base.sh ARCH IMAGE RECIPE}
recipe=${3:?usage: scripts/make-node-base.sh ARCH IMAGE RECIPE}
here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
suite=bookworm

case "$arch" in
  amd64) node_arch=x64 ;;
  arm64) node_arch=arm64 ;;
  *)
    echo "make-node-base: unknown architecture \"$arch\" (amd64 or arm64)" >&2
    exit 2
    ;;
esac

# This machine's Node 24: its version is the images' version, and it runs npm below.
node=$(sh "$here/scripts/node.sh" -p 'process.execPath')
case "$("$node" -p 'process.versions.node')" in
  24.*) ;;
  *)
    # The system Node.js is new enough for the scripts but is not 24: take node@24 from the registry.
    mkdir -p "$here/.cache/node24"
    echo '{"private":true}' >"$here/.cache/node24/package.json"
    [ -x "$here/.cache/node24/node_modules/node/bin/node" ] ||
      npm install --prefix "$here/.cache/node24" --no-package-lock --no-audit --no-fund --loglevel=error node@24 >&2
    node="$here/.cache/node24/node_modules/node/bin/node"
    ;;
esac
node_bin=$(readlink -f "$node")
node_version=$("$node_bin" -p 'process.versions.node')
export PATH="$(dirname "$node_bin"):$PATH"

work=$(mktemp -d /tmp/chainprice-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "make-node-base: a Debian $suite minbase ($arch) with Node.js $node_version as $image…"
start=$(date +%s)
mmdebstrap --quiet --variant=minbase --architectures="$arch" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  "$suite" "$work/root"
if [ "$node_arch" = "$("$node_bin" -p process.arch)" ]; then
  install -m 0755 "$node_bin" "$work/root/usr/local/bin/node"
else
  # The same version built for ARCH: the npm registry's node-linux-ARCH package (what node@24 installs there).
  npm pack --silent --pack-destination "$work" "node-linux-$node_arch@$node_version" >/dev/null
  tar -xzf "$work/node-linux-$node_arch-$node_version.tgz" -C "$work" package/bin/node
  install -m 0755 "$work/package/bin/node" "$work/root/usr/local/bin/node"
fi
# npm as the official image has it (plain JavaScript, so this machine's Node installs it for any ARCH).
npm install --global --prefix "$work/root/usr/local" --no-audit --no-fund --loglevel=error npm@11 >/dev/null
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
tar -C "$work/root" -c . | podman import --quiet \
  --os linux --arch "$arch" \
  "${ca_env[@]}" \
  --change "LABEL chainprice.test-base=$recipe" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'CMD ["node"]' \
  - "$image" >/dev/null
echo "make-node-base: $image made in $(($(date +%s) - start)) s ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
