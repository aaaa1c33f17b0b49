#!/usr/bin/env bash
# Installs a Bitcoin node for the integration tests and benchmarks, once, into .cache/bitcoind
# (ignored by git): Bitcoin Knots (a Bitcoin Core derivative: same RPC, ZMQ and regtest) from
# Debian's `sid` archive, unpacked with the newer C/C++ runtime it needs into a private folder.
# Nothing is installed system-wide and no root is needed. Does nothing when already installed.
# Afterwards `.cache/bitcoind/bin/bitcoind` and `.cache/bitcoind/bin/bitcoin-cli` are runnable
# wrappers (they use the private loader and libraries). `.ci/run` runs this script.
set -euo pipefail

here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
D="$here/.cache/bitcoind"
L="$D/root/usr/lib/x86_64-linux-gnu"

installed() {
  [ -x "$D/bin/bitcoind" ] && "$D/bin/bitcoind" -version >/dev/null 2>&1
}

if installed; then
  echo "bitcoind: $("$D/bin/bitcoind" -version | head -n 1) at .cache/bitcoind/bin/bitcoind"
  exit 0
fi

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install-bitcoind: only Linux x86_64 is supported by this script (this is $(uname -s)-$(uname -m)); install bitcoind yourself and set CHAINPRICE_TEST_BITCOIND=/path/to/bitcoind" >&2
  exit 1
fi
for tool in apt-get dpkg; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-bitcoind: $tool is not available (Debian/Ubuntu needed); install bitcoind yourself and set CHAINPRICE_TEST_BITCOIND=/path/to/bitcoind" >&2
    exit 1
  fi
done
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -r "$keyring" ]; then
  echo "install-bitcoind: $keyring is missing (package debian-archive-keyring); cannot verify Debian's archive" >&2
  exit 1
fi

# Serialise concurrent runs (several test files may call this at the same time).
mkdir -p "$here/.cache"
exec 9>"$here/.cache/bitcoind.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if installed; then exit 0; fi

echo "install-bitcoind: downloading Bitcoin Knots and its runtime from Debian sid (about 20 MB, once)…"
rm -rf "$D"
mkdir -p "$D/apt/lists/partial" "$D/apt/parts" "$D/apt/cache/archives/partial" "$D/debs" "$D/root" "$D/bin"
echo "deb [signed-by=$keyring] http://deb.debian.org/debian sid main" >"$D/apt/sources.list"
apt_options=(
  -o "Dir::State::Lists=$D/apt/lists"
  -o "Dir::Etc::SourceList=$D/apt/sources.list"
  -o "Dir::Etc::SourceParts=$D/apt/parts"
  -o "Dir::Cache=$D/apt/cache"
  -o "Dir::State::Status=/dev/null"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=$(id -un)"
)
# The node and every shared library it loads that Debian 12's own runtime is too old for.
packages=(
  bitcoin-knots libc6 libstdc++6 libgcc-s1
  libevent-core-2.1-7t64 libevent-extra-2.1-7t64 libevent-pthreads-2.1-7t64
  libzmq5 libsodium26 libpgm-5.3-0t64 libnorm1t64 libgssapi-krb5-2 libkrb5-3
  libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1 libssl3t64 libsqlite3-0 libbsd0 libmd0
)
apt-get "${apt_options[@]}" -qq update
(cd "$D/debs" && apt-get "${apt_options[@]}" -qq download "${packages[@]}")
for deb in "$D"/debs/*.deb; do dpkg -x "$deb" "$D/root"; done

for tool in bitcoind bitcoin-cli; do
  if [ ! -x "$D/root/usr/bin/$tool" ]; then
    echo "install-bitcoind: the package did not contain usr/bin/$tool" >&2
    exit 1
  fi
  cat >"$D/bin/$tool" <<WRAPPER
#!/bin/sh
# Runs $tool with the private loader and libraries unpacked by scripts/install-bitcoind.sh.
dir=\$(CDPATH= cd -- "\$(dirname -- "\$0")/.." && pwd)
lib="\$dir/root/usr/lib/x86_64-linux-gnu"
exec "\$lib/ld-linux-x86-64.so.2" --library-path "\$lib" "\$dir/root/usr/bin/$tool" "\$@"
WRAPPER
  chmod +x "$D/bin/$tool"
done
rm -rf "$D/debs" "$D/apt"

if ! installed; then
  echo "install-bitcoind: unpacked, but $D/bin/bitcoind -version does not run" >&2
  exit 1
fi
echo "bitcoind: $("$D/bin/bitcoind" -version | head -n 1) installed at .cache/bitcoind/bin/bitcoind"
