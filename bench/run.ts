// `npm run bench`: runs every benchmark one after another (never two at once: they would measure
// each other), each in its own process, then prints where each wrote its figures.
// Arguments select benchmarks by name: `npm run bench -- parse estimate`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** In order of the data flow; each writes bench/results/<name>.json. */
const BENCHMARKS = ['parse', 'estimate', 'ingest', 'bootstrap', 'ws', 'browser', 'memory', 'soak'];

const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !BENCHMARKS.includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; choose from ${BENCHMARKS.join(', ')}.`);
  process.exit(2);
}
const failed: string[] = [];
for (const name of chosen.length > 0 ? chosen : BENCHMARKS) {
  const file = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(file)) {
    console.log(`\n== ${name}: not present, skipped`);
    continue;
  }
  console.log(`\n== ${name}`);
  const run = spawnSync(process.execPath, ['--expose-gc', file.pathname], { stdio: 'inherit' });
  if (run.status !== 0) failed.push(name);
}
console.log(`\nFigures: bench/results/*.json${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`);
process.exit(failed.length > 0 ? 1 : 0);
