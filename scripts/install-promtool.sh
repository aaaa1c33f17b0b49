#!/usr/bin/env bash
# Installs promtool, Prometheus's checker, for the metrics test (test/integration/metrics/
# promtool.test.ts), once, into .cache/promtool (ignored by git): the binary alone, taken out
# of Debian's `prometheus` package, so no Prometheus server, service or web assets come with it and
# nothing is installed system-wide. Does nothing when promtool is on PATH or already unpacked.
# Exits 0 with a message when it cannot install here (the test then says why it skips). `.ci/run`
# runs this script.
set -euo pipefail

here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
D="$here/.cache/promtool"

if command -v promtool >/dev/null 2>&1; then
  echo "promtool: $(promtool --version 2>&1 | head -n 1) at $(command -v promtool)"
  exit 0
fi
if [ -x "$D/bin/promtool" ] && "$D/bin/promtool" --version >/dev/null 2>&1; then
  echo "promtool: $("$D/bin/promtool" --version 2>&1 | head -n 1) at .cache/promtool/bin/promtool"
  exit 0
fi
for tool in apt-get dpkg; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-promtool: $tool is not available (Debian/Ubuntu needed); put promtool on PATH yourself (or set CHAINPRICE_TEST_PROMTOOL); the metrics test will skip"
    exit 0
  fi
done

# Serialise concurrent runs (several test files may call this at the same time).
mkdir -p "$here/.cache"
exec 9>"$here/.cache/promtool.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ -x "$D/bin/promtool" ]; then exit 0; fi

echo "install-promtool: taking promtool out of Debian's prometheus package (about 20 MB to download, once)…"
work=$(mktemp -d /tmp/chainprice-promtool.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work" # apt's download sandbox user must be able to write here
download() { (cd "$work" && apt-get -qq download prometheus) >/dev/null 2>&1; }
if ! download; then
  # The package lists may be missing (a fresh machine): fetch them when allowed to.
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq >/dev/null 2>&1 || true
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n apt-get update -qq >/dev/null 2>&1 || true
  fi
  if ! download; then
    echo "install-promtool: could not download Debian's prometheus package here (apt-get download prometheus failed); put promtool on PATH yourself (or set CHAINPRICE_TEST_PROMTOOL); the metrics test will skip"
    exit 0
  fi
fi
dpkg -x "$work"/prometheus_*.deb "$work/root"
mkdir -p "$D/bin"
install -m 0755 "$work/root/usr/bin/promtool" "$D/bin/promtool.new"
mv "$D/bin/promtool.new" "$D/bin/promtool"
if ! "$D/bin/promtool" --version >/dev/null 2>&1; then
  rm -f "$D/bin/promtool"
  echo "install-promtool: unpacked, but promtool --version does not run here; the metrics test will skip"
  exit 0
fi
echo "promtool: $("$D/bin/promtool" --version 2>&1 | head -n 1) installed at .cache/promtool/bin/promtool"
