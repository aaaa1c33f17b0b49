// The container image, built and run with podman as a user would with Docker: deploy/Containerfile
// built on a local Node 24 base (image registries cannot be reached here; scripts/install-podman.sh
// makes the base from a Debian minbase and node@24, and `.ci/run` runs it), then `serve --demo`:
// /health answers and the image's own HEALTHCHECK passes, the demo gives a price through the
// published port (so it listens on all interfaces inside), the process is not root, and the data
// directory, a volume, keeps its files and the price history across a restart.
// Skips with the reason only when podman cannot run containers on this machine at all.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../support/wait.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BASE = process.env.CHAINPRICE_TEST_BASE_IMAGE || 'localhost/chainprice-test-node:24';
const TAG = `localhost/chainprice:test-${process.pid}`;
const NAME = `chainprice-test-${process.pid}`;
const VOLUME = `chainprice-test-data-${process.pid}`;
/** What the image may add to its base: the installed package and its production dependencies. */
const MAX_ADDED_BYTES = 60_000_000;

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function podman(args: string[], timeoutMs = 120_000): Ran {
  const result = spawnSync('podman', args, { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  if (result.error) return { status: null, stdout: '', stderr: String(result.error) };
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(args: string[], timeoutMs?: number): string {
  const result = podman(args, timeoutMs);
  assert.equal(
    result.status,
    0,
    `podman ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

/** Why podman cannot run a container here, or null when it can (after making the base image if needed). */
function unavailable(): string | null {
  const info = podman(['info', '--format', '{{.Host.OCIRuntime.Name}}'], 60_000);
  if (info.status !== 0)
    return `podman cannot run here (${(info.stderr || info.stdout).trim().split('\n')[0] || 'not installed'}); scripts/install-podman.sh sets it up`;
  if (podman(['image', 'exists', BASE]).status !== 0) {
    const setup = spawnSync('bash', ['scripts/install-podman.sh'], { cwd: ROOT, stdio: 'inherit' });
    if (setup.status !== 0 || podman(['image', 'exists', BASE]).status !== 0)
      return `the base image ${BASE} is missing and scripts/install-podman.sh could not make it`;
  }
  const probe = podman(['run', '--rm', '--network', 'none', BASE, 'node', '-p', '1+1'], 60_000);
  if (probe.status !== 0 || probe.stdout.trim() !== '2')
    return `podman cannot start a container here: ${(probe.stderr || probe.stdout).trim().split('\n').pop()}`;
  return null;
}

const SKIP = unavailable();

/** Polls `probe` (errors count as "not yet") until it returns a value; fails with the container's log. */
async function until<T>(ms: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return (await waitFor(probe, {
    what,
    timeoutMs: ms,
    until: (value) => value !== undefined,
    ignoreErrors: true,
    everyMs: 500,
    detail: () => {
      const logs = podman(['logs', NAME]);
      return `container log:\n${logs.stdout}${logs.stderr}`;
    },
  })) as T;
}

describe('the container image', { skip: SKIP ?? false, timeout: 900_000 }, () => {
  let url = '';

  before(() => {
    const started = Date.now();
    ok(
      [
        'build',
        '--format',
        'docker',
        '--file',
        'deploy/Containerfile',
        '--build-arg',
        `NODE_IMAGE=${BASE}`,
        '--tag',
        TAG,
        '.',
      ],
      600_000,
    );
    const size = Number(ok(['image', 'inspect', '--format', '{{.Size}}', TAG]).trim());
    const base = Number(ok(['image', 'inspect', '--format', '{{.Size}}', BASE]).trim());
    console.log(
      `built ${TAG} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${(size / 1e6).toFixed(0)} MB (base ${(base / 1e6).toFixed(0)} MB)`,
    );
    assert.ok(size - base <= MAX_ADDED_BYTES, `the image adds ${size - base} B to its base`);
  });

  after(() => {
    podman(['rm', '--force', '--time', '2', NAME]);
    podman(['volume', 'rm', '--force', VOLUME]);
    podman(['rmi', '--force', TAG]);
  });

  /** A new container of the image with the data volume, serving the demo on a free loopback port. */
  function start(): void {
    ok([
      'run',
      '--detach',
      '--name',
      NAME,
      '--publish',
      '127.0.0.1::8000',
      '--volume',
      `${VOLUME}:/data`,
      TAG,
      'serve',
      '--demo',
    ]);
    findUrl();
  }

  function findUrl(): void {
    url = `http://${ok(['port', NAME, '8000/tcp']).trim().split('\n')[0]}/`;
  }

  /** True once the history holds the estimate recorded at `second` (Unix seconds) and no other. */
  async function historyHas(second: number): Promise<boolean> {
    const kept = (await (
      await fetch(`${url}api/v1/history?from=${second}&to=${second + 1}&step=1s`)
    ).json()) as { estimates: { timestamp: number }[] };
    return kept.estimates.length === 1;
  }

  /** The health body when /health answers 200; else throws with its problems (shown on timeout). */
  async function healthy(): Promise<{ status: string; source: string }> {
    const response = await fetch(`${url}health`);
    const body = (await response.json()) as { status: string; source: string; problems?: string[] };
    if (!response.ok) throw new Error(`/health ${response.status}: ${body.problems?.join('; ')}`);
    return body;
  }

  test('serve --demo: /health, the HEALTHCHECK and a price through the published port', async () => {
    start();
    const health = await until(90_000, '/health answers 200', healthy);
    assert.equal(health.source, 'demo');
    const price = await until(60_000, '/api/v1/price has a price', async () => {
      const body = (await (await fetch(`${url}api/v1/price`)).json()) as { price: number | null };
      return typeof body.price === 'number' && body.price > 0 ? body.price : undefined;
    });
    console.log(`the container's demo serves $${price} at ${url}`);
    assert.equal(podman(['healthcheck', 'run', NAME]).status, 0, "the image's HEALTHCHECK passes");
    const page = await (await fetch(url)).text();
    assert.match(page, /src="\.\/main\.js"/);
  });

  test('runs as a non-root user', () => {
    const status = ok(['exec', NAME, 'cat', '/proc/1/status']);
    const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
    assert.ok(uids, status);
    assert.notEqual(uids[1], '0', 'the server process is not root');
    assert.notEqual(ok(['exec', NAME, 'id', '-u']).trim(), '0');
    assert.match(ok(['image', 'inspect', '--format', '{{.Config.User}}', TAG]), /^chainprice\s*$/);
  });

  test('the data directory, a volume, survives a restart and a new container, with the price history', async () => {
    ok(['exec', NAME, 'sh', '-c', 'echo kept > /data/marker']);
    const before = (await (await fetch(`${url}api/v1/history`)).json()) as {
      estimates: { timestamp: number }[];
    };
    assert.ok(before.estimates.length > 0, 'the demo recorded an estimate');
    const first = Math.floor(before.estimates[0].timestamp);

    ok(['restart', '--time', '10', NAME]);
    findUrl();
    await until(90_000, '/health answers 200 after the restart', healthy);
    assert.equal(ok(['exec', NAME, 'cat', '/data/marker']).trim(), 'kept');
    assert.ok(await historyHas(first), 'the estimate recorded before the restart is still in the history');

    // An upgrade replaces the container: the volume carries the data over to the new one.
    ok(['rm', '--force', '--time', '10', NAME]);
    start();
    await until(90_000, '/health answers 200 in a new container', healthy);
    assert.equal(ok(['exec', NAME, 'cat', '/data/marker']).trim(), 'kept');
    assert.ok(await historyHas(first), 'the new container has the history of the old one');
  });
});

if (SKIP) console.log(`container test skipped: ${SKIP}`);
