// The arm64 image (what a Raspberry Pi node box runs), built by scripts/build-image.sh and run here
// under emulation: qemu-user-static's aarch64 handler in the kernel's binfmt_misc, and a local
// arm64 Node 24 base (scripts/install-arm64.sh makes both; `.ci/run` runs it). The zeromq addon
// loads (the build checks it, and the demo and the estimate run through the package's imports),
// `chainprice estimate` on real mainnet blocks (mounted read-only) prints exactly what this
// machine's amd64 Node prints for them, and `serve --demo` answers a price and /health.
// Skips with one sentence where arm64 programs cannot run (no binfmt handler), or podman cannot.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BASE,
  type Built,
  buildImage,
  containerLogs,
  createNetwork,
  describeLayers,
  healthy,
  MULTIARCH_BASE,
  ok,
  podman,
  podmanUnavailable,
  ROOT,
  until,
} from './podman.ts';

const TAG = `localhost/chainprice:test-arm64-${process.pid}`;
const NAME = `chainprice-test-arm64-${process.pid}`;
const NETWORK = `chainprice-test-arm64-${process.pid}`;
const HANDLER = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
const BLOCKS = join(ROOT, '../shared/data/real/blocks');
/** Three consecutive real blocks the estimator prices confidently as one window. */
const BLOCK_FILES = ['block-831329.raw', 'block-831330.raw', 'block-831331.raw'];
/** The same ceiling as the amd64 image's. */
const MAX_IMAGE_BYTES = 160_000_000;

function handlerEnabled(): boolean {
  return existsSync(HANDLER) && readFileSync(HANDLER, 'utf8').startsWith('enabled');
}

/** Why the arm64 image cannot be built and run here, or null. */
function unavailable(): string | null {
  if (!handlerEnabled() || podman(['manifest', 'exists', MULTIARCH_BASE]).status !== 0) {
    execFileSync('bash', ['scripts/install-arm64.sh'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!handlerEnabled())
    return `arm64 programs cannot run here: no qemu-aarch64 handler is registered in /proc/sys/fs/binfmt_misc (scripts/install-arm64.sh registers Debian's qemu-user-static, as root)`;
  const why = podmanUnavailable();
  if (why) return why;
  if (podman(['manifest', 'exists', MULTIARCH_BASE]).status !== 0)
    return `the arm64 base ${MULTIARCH_BASE} is missing and scripts/install-arm64.sh could not make it`;
  const probe = podman(['run', '--rm', '--network', 'none', `${BASE}-arm64`, 'node', '-p', 'process.arch']);
  if (probe.status !== 0 || probe.stdout.trim() !== 'arm64')
    return `an arm64 container does not run here: ${(probe.stderr || probe.stdout).trim().split('\n').pop()}`;
  return null;
}

const SKIP = unavailable();

describe('the arm64 image, under emulation', { skip: SKIP ?? false, timeout: 1_500_000 }, () => {
  let built: Built;

  before(() => {
    createNetwork(NETWORK);
    built = buildImage({ tag: TAG, nodeImage: MULTIARCH_BASE, platform: 'linux/arm64' });
    console.log(
      `built ${TAG} in ${built.seconds.toFixed(0)} s: ${(built.bytes / 1e6).toFixed(1)} MB\n${describeLayers(built)}`,
    );
  });

  after(() => {
    podman(['rm', '--force', '--volumes', '--time', '2', NAME]);
    podman(['rmi', '--force', TAG]);
    podman(['network', 'rm', '--force', NETWORK]);
  });

  test('is an arm64 image of at most 160 MB', () => {
    assert.equal(
      ok(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', TAG]).trim(),
      'linux/arm64',
    );
    assert.ok(built.bytes <= MAX_IMAGE_BYTES, `the image is ${built.bytes} B`);
    assert.equal(
      ok(['run', '--rm', '--network', 'none', '--entrypoint', 'node', TAG, '-p', 'process.arch']).trim(),
      'arm64',
    );
  });

  test('estimate on real blocks prints what amd64 prints', {
    skip: existsSync(BLOCKS) ? false : `real data not found at ${BLOCKS} (see ../shared/data/real/README.md)`,
  }, () => {
    const blocks = realpathSync(BLOCKS);
    // File names differ (/blocks inside, the real path here): compare everything else.
    const normalise = (json: string) =>
      JSON.stringify(JSON.parse(json), (key, value) => (key === 'file' ? basename(value) : value));
    const started = Date.now();
    const arm64 = ok(
      [
        'run',
        '--rm',
        '--network',
        'none',
        '--volume',
        `${blocks}:/blocks:ro`,
        TAG,
        'estimate',
        '--json',
        ...BLOCK_FILES.map((f) => `/blocks/${f}`),
      ],
      300_000,
    );
    const arm64Seconds = (Date.now() - started) / 1000;
    const amd64 = execFileSync(
      process.execPath,
      ['src/cli.ts', 'estimate', '--json', ...BLOCK_FILES.map((f) => join(blocks, f))],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const price = (json: string) => (JSON.parse(json) as { estimate: { price: number } }).estimate.price;
    console.log(
      `estimate ${BLOCK_FILES.join(' ')}: arm64 (emulated, ${arm64Seconds.toFixed(1)} s) $${price(arm64)}, amd64 $${price(amd64)}`,
    );
    assert.equal(normalise(arm64), normalise(amd64));
  });

  test('serve --demo answers a price', async () => {
    // Emulation runs JavaScript about ten times slower than this machine: a smaller demo (one
    // transaction a simulated second) and no simulated history keep the start near a minute.
    ok([
      'run',
      '--detach',
      '--name',
      NAME,
      '--network',
      NETWORK,
      '--publish',
      '127.0.0.1::8000',
      // As the node-box packages set it (a slow box): emulation blocks the event loop for a second now and then.
      '--env',
      'CHAINPRICE_MAX_STALL_S=5',
      TAG,
      'serve',
      '--demo',
      '--demo-rate',
      '1',
      '--no-history',
    ]);
    const url = `http://${ok(['port', NAME, '8000/tcp']).trim().split('\n')[0]}/`;
    const started = Date.now();
    const price = await until(
      300_000,
      '/api/v1/price has a price',
      async () => {
        const body = (await (await fetch(`${url}api/v1/price`)).json()) as { price: number | null };
        return typeof body.price === 'number' && body.price > 0 ? body.price : undefined;
      },
      () => containerLogs(NAME),
    );
    console.log(`the arm64 demo serves $${price} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    // /health counts event-loop stalls over the limit (here 5 s) as a problem: it says 200 once
    // the demo's start-up is over.
    const health = await until(
      120_000,
      '/health answers 200',
      () => healthy(url),
      () => containerLogs(NAME),
    );
    console.log(`the arm64 demo's /health: 200 after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    assert.equal(health.source, 'demo');
  });
});

if (SKIP) console.log(`arm64 image test skipped: ${SKIP}`);
