#!/usr/bin/env bash
# Builds chainprice's container image from this checkout (deploy/Containerfile), with podman or
# docker, whichever is installed (podman when both are; CHAINPRICE_ENGINE=docker to choose):
#   scripts/build-image.sh [--platform linux/amd64|linux/arm64] [--tag NAME] [--node-image IMAGE]
#     --platform    the image's platform (default: this machine's). Another one runs the last build
#                   step under emulation: Linux needs qemu's binfmt handlers (Debian:
#                   apt-get install qemu-user-static; Docker Desktop has them).
#     --tag         the image's name (default localhost/chainprice, the name deploy/compose.yaml uses)
#     --node-image  the Node.js 24 base with npm, on Debian, for the platform and this machine's
#                   (default docker.io/library/node:24-slim, which is both; the tests pass a local one)
# The last line printed is the image's name, platform and size. The tests, the docs and CI build
# the image this way.
set -euo pipefail

usage='usage: scripts/build-image.sh [--platform linux/amd64|linux/arm64] [--tag NAME] [--node-image IMAGE]'
fail() {
  echo "build-image: $1" >&2
  exit "${2:-1}"
}

platform=
tag=localhost/chainprice
node_image=
while [ $# -gt 0 ]; do
  case "$1" in
    --platform | --tag | --node-image)
      [ $# -ge 2 ] && [ -n "$2" ] || fail "$1 needs a value ($usage)" 2
      case "$1" in
        --platform) platform=$2 ;;
        --tag) tag=$2 ;;
        --node-image) node_image=$2 ;;
      esac
      shift 2
      ;;
    --platform=* | --tag=* | --node-image=*)
      value=${1#*=}
      [ -n "$value" ] || fail "${1%%=*} needs a value ($usage)" 2
      case "$1" in
        --platform=*) platform=$value ;;
        --tag=*) tag=$value ;;
        --node-image=*) node_image=$value ;;
      esac
      shift
      ;;
    -h | --help)
      echo "$usage"
      exit 0
      ;;
    *) fail "unknown argument \"$1\" ($usage)" 2 ;;
  esac
done

case "$(uname -m)" in
  x86_64 | amd64) here_platform=linux/amd64 ;;
  aarch64 | arm64) here_platform=linux/arm64 ;;
  *) here_platform=linux/$(uname -m) ;;
esac
platform=${platform:-$here_platform}
case "$platform" in
  linux/amd64) qemu=qemu-x86_64 ;;
  linux/arm64 | linux/arm64/v8) qemu=qemu-aarch64 ;;
  *) fail "unsupported platform \"$platform\": the image is built for linux/amd64 or linux/arm64" 2 ;;
esac

engine=${CHAINPRICE_ENGINE:-}
if [ -z "$engine" ]; then
  if command -v podman >/dev/null 2>&1; then
    engine=podman
  elif command -v docker >/dev/null 2>&1; then
    engine=docker
  else
    fail "neither podman nor docker is installed: install one of them (e.g. apt-get install podman)"
  fi
fi
case "$engine" in
  podman | docker) command -v "$engine" >/dev/null 2>&1 || fail "CHAINPRICE_ENGINE=$engine, but $engine is not installed" ;;
  *) fail "CHAINPRICE_ENGINE must be podman or docker, not \"$engine\"" 2 ;;
esac

# Another platform on Linux: without a binfmt handler the emulated step fails with a bare
# "exec format error"; say what is missing first. (Docker Desktop runs its builds in its own VM.)
binfmt=/proc/sys/fs/binfmt_misc
if [ "$platform" != "$here_platform" ] && [ "$(uname -s)" = Linux ] && [ -e "$binfmt/register" ] &&
  ! grep -qs '^enabled' "$binfmt/$qemu"; then
  fail "this machine cannot run $platform programs (no $qemu handler in $binfmt): install qemu's handlers (Debian: apt-get install qemu-user-static; as root, scripts/install-arm64.sh registers them here)"
fi

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
args=(build --file "$root/deploy/Containerfile" --platform "$platform" --tag "$tag")
# podman writes OCI images by default, which have no HEALTHCHECK: the Docker format keeps it. And
# podman 4 does not set BUILDPLATFORM, which keeps the package's build on this machine's platform.
[ "$engine" = podman ] && args+=(--format docker --build-arg "BUILDPLATFORM=$here_platform")
[ -n "$node_image" ] && args+=(--build-arg "NODE_IMAGE=$node_image")
echo "build-image: $engine ${args[*]} $root"
started=$(date +%s)
"$engine" "${args[@]}" "$root" || fail "$engine could not build the image (its output is above)"
size=$("$engine" image inspect --format '{{.Size}}' "$tag")
echo "build-image: built $tag ($platform) in $(($(date +%s) - started)) s: $size bytes"
