#!/usr/bin/env bash
# Installs nats-server (Debian's package) for the NATS tests, benchmarks and a local scale-out
# setup (docs/deploy-nats.md). Does nothing when a nats-server is already on PATH. `.ci/run` runs
# this script. The package's systemd unit is not needed by the tests (they start their own servers
# on free ports) and is left as Debian ships it.
set -euo pipefail

if command -v nats-server >/dev/null 2>&1; then
  echo "nats-server: $(nats-server --version) at $(command -v nats-server)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-nats: apt-get is not available (Debian/Ubuntu needed); install nats-server (2.9 or later) yourself and put it on PATH" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "install-nats: needs root (or sudo) to run apt-get install nats-server" >&2
    exit 1
  fi
fi
echo "install-nats: installing nats-server from Debian…"
"${sudo[@]}" apt-get update -qq
# On a machine run by systemd the package also starts its own service on 127.0.0.1:4222; the
# tests never use it (they start servers on free ports).
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nats-server >/dev/null
if ! command -v nats-server >/dev/null 2>&1; then
  echo "install-nats: apt-get finished but nats-server is not on PATH" >&2
  exit 1
fi
echo "nats-server: $(nats-server --version) installed at $(command -v nats-server)"
