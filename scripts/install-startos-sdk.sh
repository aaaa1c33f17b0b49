#!/usr/bin/env bash
# Installs deploy/startos's own dependencies from its package-lock.json into
# deploy/startos/node_modules: the StartOS SDK (@start9labs/start-sdk, which brings its ESLint
# rules), TypeScript and @types/node for the unit suite's check of the StartOS package, and ncc,
# which start-cli's build bundles it with. About 100 MB, kept apart from the project's own
# node_modules. Idempotent: skipped while the lock file is the one installed from (a second run
# takes a moment). `.ci/run` runs it. Without the npm registry it fails under CI (CI=true) and
# exits 0 with a message elsewhere (the check then skips).
set -euo pipefail

here=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
package="$here/deploy/startos"
stamp="$package/node_modules/.chainprice-lock-sha256"
want=$(sha256sum "$package/package-lock.json" | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$package/node_modules/@start9labs/start-sdk" ]; then
  echo "install-startos-sdk: deploy/startos/node_modules is current"
  exit 0
fi
# npm on this project's Node (24, or the system's when new enough).
PATH="$(dirname "$(sh "$here/scripts/node.sh" -p 'process.execPath')"):$PATH"
export PATH
echo "install-startos-sdk: npm ci in deploy/startos…"
if ! npm ci --prefix "$package" --no-audit --no-fund --loglevel=error; then
  if [ "${CI:-}" = true ]; then
    echo "install-startos-sdk: npm ci failed in deploy/startos" >&2
    exit 1
  fi
  echo "install-startos-sdk: npm ci failed in deploy/startos; the StartOS package's check will skip"
  exit 0
fi
echo "$want" >"$stamp"
echo "install-startos-sdk: $(du -sh "$package/node_modules" | cut -f1) in deploy/startos/node_modules"
