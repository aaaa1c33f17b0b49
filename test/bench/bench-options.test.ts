// The benchmarks read their command lines one way (bench/bench-options.ts): checked here through a
// real benchmark's process (bench/fuzz.ts, which runs a few cases in a moment): `--name value` and
// `--name=value` alike, and a wrong line is one line on stderr with the usage, exit code 2.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const FUZZ = fileURLToPath(new URL('../../bench/fuzz.ts', import.meta.url));

function fuzz(...args: string[]) {
  return spawnSync(process.execPath, [FUZZ, ...args], { encoding: 'utf8' });
}

test('a benchmark takes --name value and --name=value', () => {
  for (const args of [
    ['--cases', '20', '--seed', '7', '--quiet'],
    ['--cases=20', '--seed=7', '--quiet'],
  ]) {
    const run = fuzz(...args);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^fuzz: 20 cases, seed 7$/m);
  }
});

test('a wrong command line is one line with the usage and exit code 2', () => {
  for (const [args, problem] of [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--cases', 'many'], /--cases needs a whole number of at least 0, not "many"/],
    [['--cases', '1.5'], /--cases needs a whole number/],
    [['--seed'], /--seed/],
    [['stray'], /stray/],
  ] as const) {
    const run = fuzz(...args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^fuzz: /);
    assert.match(lines[0], problem);
    assert.match(lines[0], /Usage: node bench\/fuzz\.ts \[--cases N\] \[--seed N\] \[--quiet\]$/);
  }
});
