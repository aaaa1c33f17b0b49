// The npm package as a user gets it: `npm pack` (the prepack build), `npm install -g` of the tarball
// into a temporary prefix (the registry only for the dependencies), then the installed `chainprice`:
// --version, the one-line refusal on an older Node.js, `estimate` on a real block (the same output as
// the clone), `serve --demo` until /api/v1/price has a price and the page works in Chromium; and the
// library: the README's example, run from a project that installed the tarball, prices a real block,
// and a TypeScript consumer type-checks against the shipped declarations.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REAL_DATA_DIR, REAL_DATA_MISSING } from '../../bitcoin/real-data.ts';
import { waitFor } from '../../support/wait.ts';
import { launchChromium } from '../browser/chromium.ts';
import type { PageDocument } from '../browser/page-view.ts';

// Only used inside page callbacks, where the browser provides it.
declare const document: PageDocument;

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  engines: { node: string };
};
const BLOCK = join(REAL_DATA_DIR, 'blocks', 'block-830000.raw');
const HAS_BLOCK = existsSync(BLOCK);
const NO_BLOCK = HAS_BLOCK ? false : `${REAL_DATA_MISSING}: no real block to price`;
/** The largest packed size this package may grow to. */
const MAX_PACKED_BYTES = 250_000;

/** npm and the installed bin (#!/usr/bin/env node) run on this Node, whatever else is on PATH. */
const ENV = {
  ...process.env,
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV): Ran {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(command: string, args: string[], cwd: string): Ran {
  const result = run(command, args, cwd);
  assert.equal(
    result.status,
    0,
    `${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
  );
  return result;
}

/** The README's fenced block right after `marker` (an HTML comment), with its language. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  assert.ok(at >= 0, `README.md has no ${marker}`);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(match, `no code block after ${marker} in README.md`);
  return match[1];
}

let work = '';
let prefix = '';
let bin = '';
let tarball = '';
let packed: { size: number; unpackedSize: number; files: { path: string }[] };

before(() => {
  work = mkdtempSync(join(tmpdir(), 'chainprice-package-'));
  prefix = join(work, 'prefix');
  bin = join(prefix, 'bin', 'chainprice');
  // prepack builds dist/ first; its log and npm's go to stderr, the JSON to stdout.
  const pack = ok('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as (typeof packed)[];
  tarball = join(work, `${PKG.name}-${PKG.version}.tgz`);
  assert.ok(existsSync(tarball), `npm pack wrote no ${tarball}`);
  ok('npm', ['install', '--global', '--prefix', prefix, tarball], work);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', { timeout: 600_000 }, () => {
  test('holds the build, the licence and the README, nothing else, in at most 250 kB', () => {
    const paths = packed.files.map((f) => f.path);
    console.log(
      `packed ${(packed.size / 1000).toFixed(1)} kB, unpacked ${(packed.unpackedSize / 1000).toFixed(1)} kB, ${paths.length} files`,
    );
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/src/bin.cjs',
      'dist/src/cli.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/oracle/comb-model.json',
      'dist/web/index.html',
      'dist/web/style.css',
      'dist/web/main.js',
    ])
      assert.ok(paths.includes(needed), `the package lacks ${needed}`);
    const stray = paths.filter(
      (p) =>
        !['package.json', 'README.md', 'LICENSE'].includes(p) &&
        !/^dist\/(src|web)\/.+\.(js|cjs|d\.ts|json|html|css)$/.test(p),
    );
    assert.deepEqual(stray, [], 'only the build, the licence and the README are shipped');
    assert.ok(!paths.some((p) => p.endsWith('.ts') && !p.endsWith('.d.ts')), 'no TypeScript sources');
    assert.ok(packed.size <= MAX_PACKED_BYTES, `packed size ${packed.size} B > ${MAX_PACKED_BYTES} B`);
  });

  test('no compiled module names a .ts file (Node strips no types under node_modules)', () => {
    const root = join(prefix, 'lib', 'node_modules', PKG.name);
    const offenders: string[] = [];
    for (const file of packed.files.map((f) => f.path).filter((p) => /\.c?js$/.test(p))) {
      const code = readFileSync(join(root, file), 'utf8');
      for (const match of code.matchAll(/['"`](\.{1,2}\/[^'"`\s]*\.ts)['"`]/g))
        if (!match[1].endsWith('.d.ts')) offenders.push(`${file}: ${match[1]}`);
    }
    assert.deepEqual(offenders, [], 'a relative .ts path left in the build (e.g. new URL(...) or a Worker)');
  });

  test("history's worker threads start from the installed package and price a real day", {
    skip: NO_BLOCK,
  }, () => {
    const script = [
      `import { WorkerPool } from ${JSON.stringify(join(prefix, 'lib', 'node_modules', PKG.name, 'dist/src/history/worker-pool.js'))};`,
      "import { readFileSync } from 'node:fs';",
      'const pool = new WorkerPool(1);',
      `const bytes = new Uint8Array(readFileSync(${JSON.stringify(BLOCK)}));`,
      "const block = { height: 830000, hash: '000000000000000000011d55599ed27d7efca05f5849b755319c89eb2cffbc1f', time: 1707675457, bytes };",
      "const result = await pool.run({ id: 1, day: '2024-02-11', blocks: [block], key: null, carried: null });",
      'await pool.close();',
      'console.log(JSON.stringify(result.ok ? result.day.price : result));',
    ].join('\n');
    writeFileSync(join(work, 'worker.mjs'), script);
    const price = Number(ok(process.execPath, ['worker.mjs'], work).stdout.trim());
    assert.ok(price > 40_000 && price < 60_000, `the day's price from a worker thread: ${price}`);
  });

  test('chainprice --version and --help', () => {
    assert.equal(ok(bin, ['--version'], work).stdout.trim(), PKG.version);
    assert.match(ok(bin, ['--help'], work).stdout, /^Usage: chainprice COMMAND/m);
  });

  test('on an older Node.js: one line saying which version it needs and how to get it', (t) => {
    assert.equal(PKG.engines.node, '>=22.18', 'src/bin.cts checks for 22.18: keep it in step with engines');
    const old = ['/usr/bin/node', '/usr/local/bin/node'].find((node) => {
      const version = run(node, ['-p', 'process.versions.node'], work, process.env);
      if (version.status !== 0) return false;
      const [major, minor] = version.stdout.trim().split('.').map(Number);
      return major < 22 || (major === 22 && minor < 18);
    });
    if (old === undefined) {
      t.skip('no Node.js older than 22.18 on this machine (/usr/bin/node, /usr/local/bin/node)');
      return;
    }
    const result = run(old, [bin, '--version'], work, process.env);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
    assert.match(
      lines[0],
      /^chainprice needs Node\.js 22\.18 or newer, and this is v\d+\.\d+\.\d+: install /,
    );
  });

  test('chainprice estimate prices a real block as the clone does', { skip: NO_BLOCK }, () => {
    const installed = ok(bin, ['estimate', '--seed', '42000', BLOCK], work).stdout;
    assert.match(installed, /^price: \$4\d,\d{3}\.\d\d per BTC \(seeded with \$42,000\.00\)$/m);
    const clone = ok(
      process.execPath,
      [join(ROOT, 'src/cli.ts'), 'estimate', '--seed', '42000', BLOCK],
      ROOT,
    );
    assert.equal(installed, clone.stdout);
  });

  test('chainprice serve --demo: /api/v1/price has a price and the page works', async () => {
    const dataDir = join(work, 'data');
    const child: ChildProcess = spawn(bin, ['serve', '--demo', '--port', '0', '--data-dir', dataDir], {
      cwd: work,
      env: ENV,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await until(
        60_000,
        () => /serving the demo price on (http:\/\/\S+\/)/.exec(stderr)?.[1],
        () => stderr,
      );
      const price = await until(
        60_000,
        async () => {
          const body = (await (await fetch(`${url}api/v1/price`)).json()) as { price: number | null };
          return typeof body.price === 'number' && body.price > 0 ? body.price : undefined;
        },
        () => stderr,
      );
      console.log(`the installed demo serves $${price}`);
      const page = await (await fetch(url)).text();
      assert.match(page, /<script type="module" src="\.\/main\.js"><\/script>/);

      const browser = await launchChromium();
      try {
        const tab = await browser.newPage();
        const errors: string[] = [];
        tab.on('console', (m) => {
          if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
        });
        tab.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
        await tab.goto(url);
        await tab.waitForFunction(
          () =>
            document.getElementById('connection')?.dataset.state === 'live' &&
            /^\$\d{1,3}(,\d{3})+$/.test(document.getElementById('price')?.textContent ?? ''),
          undefined,
          { timeout: 30_000 },
        );
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.ok(existsSync(join(dataDir, 'demo-history.sqlite')), 'the history is kept in --data-dir');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test("the library: the README's example prices a real block; its types check", { skip: NO_BLOCK }, () => {
    const project = join(work, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{ "private": true, "type": "module" }\n');
    ok('npm', ['install', tarball], project);
    writeFileSync(join(project, 'price-block.mjs'), readmeBlock('<!-- library example'));
    const result = ok(process.execPath, ['price-block.mjs', BLOCK, '42000'], project);
    assert.match(
      result.stdout,
      /^block 830000: \$4\d{4}\.\d\d per BTC, confidence 0\.\d\d, \d+ outputs as evidence$/m,
    );
    assert.equal(result.stderr, '', 'importing and pricing print nothing else');

    // The same code, typed: the shipped declarations must be enough for a strict TypeScript consumer.
    writeFileSync(
      join(project, 'consumer.ts'),
      [
        "import { type Estimate, PriceWindow, parseTransaction, readBlock, type Transaction } from 'chainprice';",
        'export function price(bytes: Uint8Array, seed: number | null): Estimate {',
        '  const block = readBlock(bytes);',
        '  const window = new PriceWindow();',
        '  for (const tx of block.transactions()) window.add(tx, block.header.time);',
        '  return window.estimate({ seed });',
        '}',
        'export const parse: (bytes: Uint8Array) => Transaction = parseTransaction;',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          target: 'es2024',
          lib: ['es2024'],
          types: [],
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    );
    ok(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', '.'], project);
  });
});

/** Polls `probe` (errors count as "not yet") until it returns a value; fails with `log()` after `ms`. */
async function until<T>(
  ms: number,
  probe: () => T | undefined | Promise<T | undefined>,
  log: () => string,
): Promise<T> {
  return (await waitFor(probe, {
    what: 'the installed server',
    timeoutMs: ms,
    until: (value) => value !== undefined,
    ignoreErrors: true,
    everyMs: 250,
    detail: () => `the server said:\n${log()}`,
  })) as T;
}
