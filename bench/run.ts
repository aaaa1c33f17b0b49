// `npm run bench`: runs every benchmark one after another (never two at once: they would measure
// each other), each in its own process, then prints where each wrote its figures.
// Arguments select benchmarks by name: `npm run bench -- parse estimate`. `soak-node` (bench/soak.ts
// --node: 30 minutes against a regtest node) runs only when named.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** In order of the data flow; each writes bench/results/<name>.json. */
const BENCHMARKS = ['parse', 'estimate', 'ingest', 'bootstrap', 'ws', 'browser', 'memory', 'soak'];
/** Run only when named: another benchmark's file with arguments. */
const ON_REQUEST: Record<string, { file: string; args: string[] }> = {
  'soak-node': { file: 'soak', args: ['--node'] },
};

const chosen = process.argv.slice(2);
const known = [...BENCHMARKS, ...Object.keys(ON_REQUEST)];
const unknown = chosen.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; choose from ${known.join(', ')}.`);
  process.exit(2);
}
const failed: string[] = [];
for (const name of chosen.length > 0 ? chosen : BENCHMARKS) {
  const { file: base, args } = ON_REQUEST[name] ?? { file: name, args: [] };
  const file = new URL(`./${base}.ts`, import.meta.url);
  if (!existsSync(file)) {
    console.log(`\n== ${name}: not present, skipped`);
    continue;
  }
  console.log(`\n== ${name}`);
  const run = spawnSync(process.execPath, ['--expose-gc', file.pathname, ...args], { stdio: 'inherit' });
  if (run.status !== 0) failed.push(name);
}
console.log(`\nFigures: bench/results/*.json${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`);
process.exit(failed.length > 0 ? 1 : 0);
