// The checks behind `npm test` and `npm run test:integration`.
//   npm test                  type check (server and browser code), lint, the import layers, the unit tests
//   npm run test:integration  the tests against real programs: a regtest node, nats-server, Chromium,
//                             the npm package, the container image (test/integration/)
// Extra arguments are test files passed to `node --test` instead of the suite's own
// (e.g. npm test -- test/bitcoin/hash.test.ts).
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { createRequire, findPackageJSON } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const biome = require.resolve('@biomejs/biome/bin/biome');
// dependency-cruiser exports no path to its command: find it beside its package.json.
const depcruise = join(
  dirname(findPackageJSON('dependency-cruiser', import.meta.url)!),
  'bin/dependency-cruiser.mjs',
);

const [suite, ...only] = process.argv.slice(2);
const integration = suite === 'integration';
if (suite !== 'unit' && !integration) {
  console.error('usage: node scripts/test.ts unit|integration [test files…]');
  process.exit(2);
}
const files =
  only.length > 0
    ? only
    : globSync('test/**/*.test.ts')
        .filter((f) => f.startsWith('test/integration/') === integration)
        .sort();
const tests: [string, string[]] = [
  integration ? 'integration tests' : 'unit tests',
  ['--test', '--test-reporter=spec', ...files],
];

const steps: [string, string[]][] = integration
  ? [tests]
  : [
      ['type check (src, test, bench, scripts)', [tsc, '--noEmit', '-p', '.']],
      ['type check (web)', [tsc, '--noEmit', '-p', 'web']],
      ['lint and format (biome)', [biome, 'check', '.']],
      ['import layers (dependency-cruiser)', [depcruise, '--config', '.dependency-cruiser.cjs', 'src']],
      tests,
    ];

const started = performance.now();
for (const [title, args] of steps) {
  console.log(`\n== ${title}`);
  const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`\n${title} failed (exit ${run.status ?? run.signal}).`);
    process.exit(run.status ?? 1);
  }
}
console.log(`\n== all passed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
