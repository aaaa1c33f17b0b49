// The container image, built and run with podman as a user would with Docker: deploy/Containerfile
// built by scripts/build-image.sh on a local Node 24 base (image registries cannot be reached here;
// scripts/install-podman.sh makes the base from a Debian minbase and node@24, and `.ci/run` runs it).
// The image is at most 160 MB and holds node, the libraries it links, the package and a user:
// no shell, no other program. `serve --demo`: /health answers and the image's own HEALTHCHECK
// passes, the demo gives a price through the published port (so it listens on all interfaces
// inside), the process is not root, and the data directory, a volume, keeps its files and the
// price history across a restart and a new container. With a read-only root file system, a tmpfs
// /tmp and the volume it serves the same way. Another command runs through the entrypoint.
// Skips with the reason only when podman cannot run containers on this machine at all.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  BASE,
  type Built,
  buildImage,
  containerLogs,
  createNetwork,
  describeLayers,
  healthy,
  ok,
  podman,
  podmanUnavailable,
  ROOT,
  until,
} from './podman.ts';

const TAG = `localhost/chainprice:test-${process.pid}`;
const NAME = `chainprice-test-${process.pid}`;
const READ_ONLY_NAME = `chainprice-test-ro-${process.pid}`;
const VOLUME = `chainprice-test-data-${process.pid}`;
const READ_ONLY_VOLUME = `chainprice-test-ro-data-${process.pid}`;
const NETWORK = `chainprice-test-${process.pid}`;
/** The whole image: Node.js's own binary is about 127 MB of it. */
const MAX_IMAGE_BYTES = 160_000_000;

const SKIP = podmanUnavailable();

describe('the container image', { skip: SKIP ?? false, timeout: 900_000 }, () => {
  let url = '';
  let built: Built;

  before(() => {
    createNetwork(NETWORK);
    built = buildImage({ tag: TAG, nodeImage: BASE });
    console.log(
      `built ${TAG} in ${built.seconds.toFixed(0)} s: ${(built.bytes / 1e6).toFixed(1)} MB\n${describeLayers(built)}`,
    );
  });

  after(() => {
    podman(['rm', '--force', '--time', '2', NAME]);
    podman(['rm', '--force', '--time', '2', READ_ONLY_NAME]);
    podman(['volume', 'rm', '--force', VOLUME]);
    podman(['volume', 'rm', '--force', READ_ONLY_VOLUME]);
    podman(['rmi', '--force', TAG]);
    podman(['network', 'rm', '--force', NETWORK]);
  });

  test('is at most 160 MB and holds only node, its libraries, the package and a user', () => {
    assert.ok(built.bytes <= MAX_IMAGE_BYTES, `the image is ${built.bytes} B`);
    // Every file outside the package, as the image has them (the runtime adds /proc, /sys, /dev,
    // /run and /etc/hosts, /etc/hostname, /etc/resolv.conf, /etc/mtab).
    const listing = ok([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'node',
      TAG,
      '-e',
      `const fs = require('node:fs'), path = require('node:path');
       const skip = new Set(['/proc', '/sys', '/dev', '/run', '/opt/chainprice']);
       const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
         const file = path.join(dir, entry.name);
         if (skip.has(file)) return [];
         if (entry.isDirectory()) return walk(file);
         const stat = fs.lstatSync(file);
         return [(stat.isSymbolicLink() ? 'l ' : stat.mode & 0o111 ? 'x ' : '- ') + file];
       });
       console.log(walk('/').join('\\n'));`,
    ]);
    const files = listing.trim().split('\n');
    const runtime = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/mtab']);
    const ours = new Set(['/usr/local/bin/node', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf']);
    const library = /^\/(usr\/)?lib(64)?\/([\w-]+\/)?[\w.+-]+\.so(\.[\d.]+)?$/;
    for (const line of files) {
      const file = line.slice(2);
      assert.ok(
        ours.has(file) || runtime.has(file) || library.test(file),
        `${file} is neither node, a library, nor the user's files`,
      );
      if (line.startsWith('x ') && !library.test(file))
        assert.equal(file, '/usr/local/bin/node', 'node is the only program');
    }
    assert.ok(files.includes('x /usr/local/bin/node'), listing);
    assert.ok(!files.some((line) => /\/(sh|bash|dash|perl|apt|apt-get|dpkg|npm)$/.test(line)), listing);
  });

  /** A new container of the image with the data volume, serving the demo on a free loopback port. */
  function start(): void {
    ok([
      'run',
      '--detach',
      '--name',
      NAME,
      '--network',
      NETWORK,
      '--publish',
      '127.0.0.1::8000',
      '--volume',
      `${VOLUME}:/data`,
      TAG,
      'serve',
      '--demo',
    ]);
    url = urlOf(NAME);
  }

  function urlOf(name: string): string {
    return `http://${ok(['port', name, '8000/tcp']).trim().split('\n')[0]}/`;
  }

  /** Runs a Node.js script in the running container (the image has no shell); its output. */
  function nodeIn(name: string, script: string): string {
    return ok(['exec', name, 'node', '-e', script]);
  }

  /** True once the history holds the estimate recorded at `second` (Unix seconds) and no other. */
  async function historyHas(second: number): Promise<boolean> {
    const kept = (await (
      await fetch(`${url}api/v1/history?from=${second}&to=${second + 1}&step=1s`)
    ).json()) as { estimates: { timestamp: number }[] };
    return kept.estimates.length === 1;
  }

  async function servesPrice(base: string, name: string): Promise<number> {
    return until(
      90_000,
      '/api/v1/price has a price',
      async () => {
        const body = (await (await fetch(`${base}api/v1/price`)).json()) as { price: number | null };
        return typeof body.price === 'number' && body.price > 0 ? body.price : undefined;
      },
      () => containerLogs(name),
    );
  }

  test('serve --demo: /health, the HEALTHCHECK and a price through the published port', async () => {
    start();
    const health = await until(
      90_000,
      '/health answers 200',
      () => healthy(url),
      () => containerLogs(NAME),
    );
    assert.equal(health.source, 'demo');
    const price = await servesPrice(url, NAME);
    console.log(`the container's demo serves $${price} at ${url}`);
    assert.equal(podman(['healthcheck', 'run', NAME]).status, 0, "the image's HEALTHCHECK passes");
    const page = await (await fetch(url)).text();
    assert.match(page, /src="\.\/main\.js"/);
  });

  test('runs as a non-root user', () => {
    const status = nodeIn(
      NAME,
      "process.stdout.write(require('node:fs').readFileSync('/proc/1/status', 'utf8'))",
    );
    const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
    assert.ok(uids, status);
    assert.notEqual(uids[1], '0', 'the server process is not root');
    assert.notEqual(nodeIn(NAME, 'console.log(process.getuid())').trim(), '0');
    assert.match(ok(['image', 'inspect', '--format', '{{.Config.User}}', TAG]), /^chainprice\s*$/);
  });

  test('the data directory, a volume, survives a restart and a new container, with the price history', async () => {
    nodeIn(NAME, "require('node:fs').writeFileSync('/data/marker', 'kept\\n')");
    const readMarker = () =>
      nodeIn(NAME, "process.stdout.write(require('node:fs').readFileSync('/data/marker'))");
    const before = (await (await fetch(`${url}api/v1/history`)).json()) as {
      estimates: { timestamp: number }[];
    };
    assert.ok(before.estimates.length > 0, 'the demo recorded an estimate');
    const first = Math.floor(before.estimates[0].timestamp);

    ok(['restart', '--time', '10', NAME]);
    url = urlOf(NAME);
    await until(
      90_000,
      '/health answers 200 after the restart',
      () => healthy(url),
      () => containerLogs(NAME),
    );
    assert.equal(readMarker().trim(), 'kept');
    assert.ok(await historyHas(first), 'the estimate recorded before the restart is still in the history');

    // An upgrade replaces the container: the volume carries the data over to the new one.
    ok(['rm', '--force', '--time', '10', NAME]);
    start();
    await until(
      90_000,
      '/health answers 200 in a new container',
      () => healthy(url),
      () => containerLogs(NAME),
    );
    assert.equal(readMarker().trim(), 'kept');
    assert.ok(await historyHas(first), 'the new container has the history of the old one');
    ok(['rm', '--force', '--time', '10', NAME]);
  });

  test('a read-only root file system, a tmpfs /tmp and the volume: it serves, writing only there', async () => {
    ok([
      'run',
      '--detach',
      '--name',
      READ_ONLY_NAME,
      '--read-only',
      // podman's --read-only adds tmpfs mounts of its own; Docker's does not: none here but /tmp.
      '--read-only-tmpfs=false',
      '--tmpfs',
      '/tmp',
      '--network',
      NETWORK,
      '--publish',
      '127.0.0.1::8000',
      '--volume',
      `${READ_ONLY_VOLUME}:/data`,
      TAG,
      'serve',
      '--demo',
    ]);
    const base = urlOf(READ_ONLY_NAME);
    const price = await servesPrice(base, READ_ONLY_NAME);
    console.log(`read-only: the demo serves $${price}`);
    const written = JSON.parse(
      nodeIn(
        READ_ONLY_NAME,
        `const fs = require('node:fs');
         let root = 'written';
         try { fs.writeFileSync('/opt/chainprice/probe', ''); } catch (error) { root = error.code; }
         console.log(JSON.stringify({ data: fs.readdirSync('/data'), tmp: fs.readdirSync('/tmp'), root }));`,
      ),
    ) as { data: string[]; tmp: string[]; root: string };
    assert.ok(written.data.includes('demo-history.sqlite'), `the history is in the volume: ${written.data}`);
    assert.ok(written.tmp.includes('node-compile-cache'), `Node's compile cache is in /tmp: ${written.tmp}`);
    assert.equal(written.root, 'EROFS', 'the root file system cannot be written');
  });

  test('other commands run through the entrypoint', () => {
    const version = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version as string;
    assert.equal(ok(['run', '--rm', '--network', 'none', TAG, '--version']).trim(), version);
  });
});

if (SKIP) console.log(`container test skipped: ${SKIP}`);
