// The whole check behind `npm test`: type check (server and browser code), lint, then every test file.
// Extra arguments are passed to `node --test` (e.g. a single file: npm test -- test/bitcoin/varint.test.ts).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const biome = require.resolve('@biomejs/biome/bin/biome');
const only = process.argv.slice(2);

const steps: [string, string[]][] = [
  ['type check (src, test, bench, scripts)', [tsc, '--noEmit', '-p', '.']],
  ['type check (web)', [tsc, '--noEmit', '-p', 'web']],
  ['lint and format (biome)', [biome, 'check', '.']],
  ['tests', ['--test', '--test-reporter=spec', ...(only.length > 0 ? only : ['test/**/*.test.ts'])]],
];

for (const [title, args] of steps) {
  console.log(`\n== ${title}`);
  const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`\nnpm test: "${title}" failed (exit ${run.status ?? run.signal}).`);
    process.exit(run.status ?? 1);
  }
}
