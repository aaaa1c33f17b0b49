// Preloaded with `node --import` by lazy-loading.test.ts: records every module the process resolves
// (its own files, packages, node: builtins) and writes their URLs as JSON to the file named by
// CHAINPRICE_TEST_MODULE_LOG when the process exits.

import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const seen = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    seen.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => {
  const file = process.env.CHAINPRICE_TEST_MODULE_LOG;
  if (file) writeFileSync(file, JSON.stringify([...seen]));
});
