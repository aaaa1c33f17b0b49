#!/usr/bin/env bash
# Sets up what the arm64 image test (test/integration/image/arm64.test.ts) needs, once: podman and
# the amd64 base (scripts/install-podman.sh), Debian's qemu-user-static (and arch-test) with its aarch64 handler
# registered in the kernel's binfmt_misc (so this machine runs arm64 programs, in containers too),
# an arm64 Node 24 base image made like the amd64 one (scripts/make-node-base.sh; its package
# scripts run under emulation, a few minutes) and a manifest list naming both, as the official
# multi-architecture node:24-slim does:
#   $CHAINPRICE_TEST_BASE_IMAGE-arm64      (default localhost/chainprice-test-node:24-arm64)
#   $CHAINPRICE_TEST_BASE_IMAGE-multiarch  (default localhost/chainprice-test-node:24-multiarch)
# A second run finds all of it and takes a second or two. `.ci/run` runs it. Needs root (binfmt_misc
# is the kernel's, shared by the whole machine); exits 0 with a message when any of it cannot be had
# here (the arm64 test then says why it skips).
set -euo pipefail

here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
base=${CHAINPRICE_TEST_BASE_IMAGE:-localhost/chainprice-test-node:24}
image=$base-arm64
list=$base-multiarch
binfmt=/proc/sys/fs/binfmt_misc
# Bump when the recipe changes (scripts/make-node-base.sh), so an image made by an older one is made again.
recipe=2

give_up() {
  echo "install-arm64: $1; the arm64 image test will skip"
  exit 0
}

bash "$here/scripts/install-podman.sh"
command -v podman >/dev/null 2>&1 || give_up "podman is missing"

# qemu-user-static runs arm64 programs; mmdebstrap wants arch-test to check that it can.
if [ ! -x /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] || ! command -v arch-test >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    give_up "qemu-user-static is missing and cannot be installed here (needs root and apt-get)"
  fi
  echo "install-arm64: installing Debian's qemu-user-static and arch-test (once)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends qemu-user-static arch-test >/dev/null
fi

# Debian's package registers its handlers through systemd-binfmt, which does not run in a container
# or a bare VM: register the aarch64 one by hand (its "F" flag opens the emulator now, so it also
# works inside containers, whose root has no qemu).
if [ ! -e "$binfmt/register" ]; then
  mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null ||
    give_up "the kernel's binfmt_misc cannot be mounted here, so arm64 programs cannot run"
fi
if [ ! -e "$binfmt/qemu-aarch64" ]; then
  conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ -r "$conf" ] || give_up "$conf is missing"
  cat "$conf" >"$binfmt/register" 2>/dev/null || give_up "the aarch64 handler cannot be registered in binfmt_misc"
fi
echo "install-arm64: $(head -1 "$binfmt/qemu-aarch64") aarch64 handler ($(sed -n 's/^interpreter //p' "$binfmt/qemu-aarch64"))"

made() {
  [ "$(podman image inspect --format '{{index .Config.Labels "chainprice.test-base"}}/{{.Architecture}}' "$image" 2>/dev/null)" = "$recipe/arm64" ]
}
mkdir -p "$here/.cache"
exec 9>"$here/.cache/podman-base-arm64.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if made; then
  echo "install-arm64: base image $image is there"
else
  bash "$here/scripts/make-node-base.sh" arm64 "$image" "$recipe"
fi

# The manifest list, made again whenever it does not name exactly the two images as they are now.
digest() { podman image inspect --format '{{.Digest}}' "$1"; }
want="$(digest "$base") $(digest "$image")"
have=
if podman manifest exists "$list" 2>/dev/null; then
  have=$(podman manifest inspect "$list" |
    sh "$here/scripts/node.sh" -e 'let s="";process.stdin.on("data",(c)=>(s+=c)).on("end",()=>console.log(JSON.parse(s).manifests.map((m)=>m.digest).join(" ")))')
fi
if [ "$have" != "$want" ]; then
  podman manifest rm "$list" >/dev/null 2>&1 || true
  podman manifest create "$list" >/dev/null
  podman manifest add "$list" "containers-storage:$base" >/dev/null
  podman manifest add "$list" "containers-storage:$image" >/dev/null
fi
echo "install-arm64: $list names $base (amd64) and $image (arm64)"
