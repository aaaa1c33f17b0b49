#!/usr/bin/env bash
# Installs Debian's `chromium` for the browser tests and benchmark, once: does nothing when
# /usr/bin/chromium exists. Needs root (or sudo) and Debian's package archive. `.ci/run` runs it.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present) at /usr/bin/chromium"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "install-chromium: /usr/bin/chromium is missing and this user cannot install packages; run as root: apt-get install chromium" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: /usr/bin/chromium is missing and apt-get is not available; install Chromium at /usr/bin/chromium" >&2
  exit 1
fi

# Serialise concurrent runs (parallel test files may call this at the same time).
lock=/tmp/chainprice-install-chromium.lock
exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ -x /usr/bin/chromium ]; then exit 0; fi

echo "install-chromium: installing Debian's chromium (once)…"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
if [ ! -x /usr/bin/chromium ]; then
  echo "install-chromium: apt-get finished but /usr/bin/chromium is still missing" >&2
  exit 1
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null) installed at /usr/bin/chromium"
