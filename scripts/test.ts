// The checks behind `npm test` and `npm run test:integration`.
//   npm test                  type check (server and browser code, and the StartOS package against
//                             its SDK), lint, the import layers, the unit tests
//   npm run test:integration  the tests against real programs: a regtest node, nats-server, Chromium,
//                             the npm package, the container image (amd64, and arm64 under qemu),
//                             the Umbrel app's service (test/integration/)
// Extra arguments are test files passed to `node --test` instead of the suite's own
// (e.g. npm test -- test/bitcoin/hash.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, globSync } from 'node:fs';
import { createRequire, findPackageJSON } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const biome = require.resolve('@biomejs/biome/bin/biome');
// dependency-cruiser exports no path to its command: find it beside its package.json.
const depcruise = join(
  dirname(findPackageJSON('dependency-cruiser', import.meta.url)!),
  'bin/dependency-cruiser.mjs',
);

// The StartOS package (deploy/startos) is checked against the real SDK, installed apart from the
// project's own dependencies by scripts/install-startos-sdk.sh: its own TypeScript with its own
// tsconfig, then the SDK's lint, as start-cli's build does before bundling it.
const STARTOS = 'deploy/startos';
const STARTOS_MODULES = join(STARTOS, 'node_modules');

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
// Unit test files mostly wait on child processes, sockets and timers: two files per core keep the
// CPUs busy (node --test runs one file per core less than there are, one on a 2-core machine). The
// integration files each start real programs (a node, nats-server, Chromium, podman): one at a time.
const concurrency = integration ? 1 : 2 * availableParallelism();
const tests: [string, string[]] = [
  integration ? 'integration tests' : 'unit tests',
  ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
];

const steps: [string, string[], string?][] = integration
  ? [tests]
  : [
      ['type check (src, test, bench, scripts)', [tsc, '--noEmit', '-p', '.']],
      ['type check (web)', [tsc, '--noEmit', '-p', 'web']],
      ...startosSteps(),
      ['lint and format (biome)', [biome, 'check', '.']],
      ['import layers (dependency-cruiser)', [depcruise, '--config', '.dependency-cruiser.cjs', 'src']],
      tests,
    ];

/** The StartOS package's checks, or none (with a message) when its SDK is not installed; under CI that fails. */
function startosSteps(): [string, string[], string?][] {
  if (existsSync(join(STARTOS_MODULES, '@start9labs/start-sdk/package.json'))) {
    return [
      [
        'type check (deploy/startos, against the StartOS SDK)',
        [join(STARTOS_MODULES, 'typescript/bin/tsc'), '--noEmit', '-p', STARTOS],
      ],
      [
        'lint (deploy/startos, the StartOS SDK rules)',
        [resolve(STARTOS_MODULES, '@start9labs/start-sdk/lint.mjs')],
        STARTOS,
      ],
    ];
  }
  const missing = `the StartOS SDK is not installed in ${STARTOS_MODULES} (scripts/install-startos-sdk.sh installs it)`;
  if (process.env.CI === 'true') {
    console.error(`${missing}: CI checks the StartOS package.`);
    process.exit(1);
  }
  console.log(`\n== StartOS package checks skipped: ${missing}`);
  return [];
}

const started = performance.now();
for (const [title, args, cwd] of steps) {
  console.log(`\n== ${title}`);
  const run = spawnSync(process.execPath, args, { stdio: 'inherit', cwd });
  if (run.status !== 0) {
    console.error(`\n${title} failed (exit ${run.status ?? run.signal}).`);
    process.exit(run.status ?? 1);
  }
}
console.log(`\n== all passed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
