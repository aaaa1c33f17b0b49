#!/bin/sh
# Runs `node ARGS…` with a Node.js that can run TypeScript natively (>= 22.18).
# The system node is used when it is new enough; otherwise node@24 is installed
# once from the npm registry into .cache/node24 (ignored by git) and used from there.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
local_node="$here/.cache/node24/node_modules/node/bin/node"
# Node's module compile cache (https://nodejs.org/api/module.html#module-compile-cache): it also
# keeps the type-stripped source, so a run whose TypeScript is all cached never loads the type
# stripper (a WebAssembly module: about 19 MB of resident memory, measured by bench/memory.ts).
if [ -z "${NODE_DISABLE_COMPILE_CACHE:-}" ]; then
  export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$here/.cache/compile}"
fi

new_enough() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null
}

if command -v node >/dev/null 2>&1 && new_enough node; then
  exec node "$@"
fi
if [ ! -x "$local_node" ] || ! new_enough "$local_node"; then
  echo "chainprice: system Node.js is $(node --version 2>/dev/null || echo missing); installing node@24 into .cache/node24 (once)…" >&2
  lock="$here/.cache/node24.lock"
  mkdir -p "$here/.cache"
  while ! mkdir "$lock" 2>/dev/null; do sleep 1; done
  trap 'rmdir "$lock"' EXIT INT TERM
  if [ ! -x "$local_node" ]; then
    mkdir -p "$here/.cache/node24"
    # A package.json of its own keeps npm from walking up into the project's node_modules.
    echo '{"private":true}' >"$here/.cache/node24/package.json"
    npm install --prefix "$here/.cache/node24" --no-package-lock --no-audit --no-fund --loglevel=error node@24 >&2
  fi
  rmdir "$lock"; trap - EXIT INT TERM
  if ! new_enough "$local_node"; then
    echo "chainprice: could not install node@24 from the npm registry; install Node.js >= 22.18 and retry." >&2
    exit 1
  fi
fi
PATH="$(dirname "$local_node"):$PATH" exec "$local_node" "$@"
