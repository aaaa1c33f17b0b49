// The Umbrel app (deploy/umbrel), run as umbrelOS runs it: its web service started from the
// compose file's own definition (image, user, read-only root, tmpfs, environment, volumes), its
// variables filled with what the Umbrel Bitcoin app exports (its exports.sh), for a Bitcoin Knots
// regtest node set up the way Umbrel's is: RPC with an rpcauth user and password, ZMQ bound on
// 0.0.0.0 with one port per topic. app_proxy is left out (its image cannot be pulled here); the
// service and the node share this machine's network, so the node's IP is 127.0.0.1 and the
// service's port is a free one on loopback. The image is the repository's (the release's registry
// image cannot be pulled here either). (test/deploy/box-packages.test.ts checks the files.)
// A small regtest economy pays round dollar amounts at a chosen price; `history build`, run the way
// compose runs a one-off command of the service, prices the chain from the mounted block files;
// then the service serves the live price, and new transactions reach it over ZMQ. It logs the time
// to the first price and the rows built.

import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UMBREL_EXPORTS } from '../../deploy/umbrel-exports.ts';
import { parseYaml, substitute, type YamlValue } from '../../deploy/yaml-subset.ts';
import { freePort, freePorts } from '../../support/ports.ts';
import {
  BASE,
  buildImage,
  containerLogs,
  ok,
  podman,
  podmanUnavailable,
  ROOT,
  until,
} from '../image/podman.ts';
import { Economy } from '../node/economy.ts';
import { bitcoindOrSkipReason, RegtestNode } from '../node/regtest-node.ts';

const STORE = join(ROOT, 'deploy/umbrel');
const TAG = `localhost/chainprice:test-umbrel-${process.pid}`;
const NAME = `chainprice-test-umbrel-${process.pid}`;
/** Not a round number, so round-dollar outputs are not round-bitcoin outputs. */
const PRICE = 61_234.56;
/** The uid and gid umbrelOS gives app files and runs apps' services as. */
const UMBREL_USER = 1000;

type Mapping = { [key: string]: YamlValue };

function readYaml(file: string): Mapping {
  return parseYaml(readFileSync(file, 'utf8')) as Mapping;
}

function skipReason(): string | false {
  const found = bitcoindOrSkipReason();
  if ('skip' in found) return found.skip;
  return podmanUnavailable() ?? false;
}
const SKIP = skipReason();

describe('the Umbrel app, run as umbrelOS runs it', { skip: SKIP, timeout: 900_000 }, () => {
  let node: RegtestNode;
  let economy: Economy;
  let minedHeight = 0;
  let appDataDir = '';
  let env: Record<string, string> = {};
  let compose: Mapping;
  let web: Mapping;
  let port = 0;

  before(async () => {
    compose = readYaml(join(STORE, 'chainprice-live/docker-compose.yml'));
    web = (compose.services as Mapping).web as Mapping;

    // The node as Umbrel's Bitcoin app runs it: an rpcauth user, ZMQ on every interface, a port per topic.
    const [rawblock, rawtx, sequence] = await freePorts(3);
    const zmqPorts = { rawblock, rawtx, sequence };
    const password = randomBytes(24).toString('hex');
    const salt = randomBytes(16).toString('hex');
    const hmac = createHmac('sha256', salt).update(password).digest('hex');
    node = await RegtestNode.start((bitcoindOrSkipReason() as { bitcoind: string }).bitcoind, {
      withoutZmq: ['rawtx', 'sequence', 'rawblock'],
      args: [
        `-rpcauth=umbrel:${salt}$${hmac}`,
        `-zmqpubrawblock=tcp://0.0.0.0:${zmqPorts.rawblock}`,
        `-zmqpubrawtx=tcp://0.0.0.0:${zmqPorts.rawtx}`,
        `-zmqpubsequence=tcp://0.0.0.0:${zmqPorts.sequence}`,
      ],
    });
    economy = new Economy(node, 20);
    await economy.setup({ fundingOutputs: 400, buryBlocks: 144 });
    await economy.roundUsdPayments(150, PRICE);
    await node.mine(1);
    minedHeight = await node.call<number>('getblockcount');
    await economy.roundUsdPayments(150, PRICE);

    // On Umbrel the node and the app both run as uid 1000, so the app reads the node's files;
    // here the node runs as root (files 0600 in a 0700 datadir): open them to reading.
    chmodTree(node.datadir);

    // The app's data directory as umbrelOS installs it: the package's folders, owned by 1000:1000.
    appDataDir = mkdtempSync(join(tmpdir(), 'chainprice-umbrel-'));
    chmodSync(appDataDir, 0o755);
    mkdirSync(join(appDataDir, 'data'));
    chownSync(join(appDataDir, 'data'), UMBREL_USER, UMBREL_USER);

    env = {
      APP_DATA_DIR: appDataDir,
      APP_BITCOIN_NODE_IP: '127.0.0.1',
      APP_BITCOIN_RPC_PORT: String(node.rpcPort),
      APP_BITCOIN_RPC_USER: 'umbrel',
      APP_BITCOIN_RPC_PASS: password,
      APP_BITCOIN_NETWORK: 'regtest',
      APP_BITCOIN_DATA_DIR: node.datadir,
      APP_BITCOIN_ZMQ_RAWBLOCK_PORT: String(zmqPorts.rawblock),
      APP_BITCOIN_ZMQ_RAWTX_PORT: String(zmqPorts.rawtx),
      APP_BITCOIN_ZMQ_SEQUENCE_PORT: String(zmqPorts.sequence),
    };
    assert.deepEqual(Object.keys(env).sort(), [...UMBREL_EXPORTS].sort());
    port = await freePort();

    const built = buildImage({ tag: TAG, nodeImage: BASE });
    console.log(`built ${TAG} in ${built.seconds.toFixed(0)} s`);
  });

  after(async () => {
    podman(['rm', '--force', '--time', '5', NAME]);
    podman(['rmi', '--force', TAG]);
    await node?.stop();
    if (appDataDir) rmSync(appDataDir, { recursive: true, force: true });
  });

  /**
   * `podman run` arguments for the web service as the compose file defines it, on this machine's
   * network; `command` replaces the image's CMD as `docker compose run web COMMAND…` does.
   */
  function serviceArgs(detach: boolean, command: string[] = []): string[] {
    const environment = Object.entries(web.environment as Mapping).map(
      ([key, value]) => [key, substitute(String(value), env)] as const,
    );
    const overrides: Record<string, string> = {
      // On Umbrel's network the service has its own address; here it shares this machine's.
      CHAINPRICE_HOST: '127.0.0.1',
      CHAINPRICE_PORT: String(port),
    };
    const args = [
      'run',
      ...(detach ? ['--detach', '--name', NAME] : ['--rm']),
      '--network',
      'host',
      '--user',
      String(web.user),
    ];
    if (web.read_only === true) args.push('--read-only', '--read-only-tmpfs=false');
    for (const mount of (web.tmpfs as string[] | undefined) ?? []) args.push('--tmpfs', mount);
    for (const [key, value] of environment) args.push('--env', `${key}=${overrides[key] ?? value}`);
    for (const volume of web.volumes as string[]) args.push('--volume', substitute(volume, env));
    args.push(TAG, ...command);
    return args;
  }

  test('history build reads the mounted block files', () => {
    const started = Date.now();
    const run = podman(serviceArgs(false, ['history', 'build']), 300_000);
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const seconds = (Date.now() - started) / 1000;
    assert.match(run.stderr, /reading blocks from \/bitcoin\/regtest\/blocks/);
    const summary =
      /priced (\d+) days and ([\d,]+) blocks \(.*?, ([\d,]+) from files, ([\d,]+) over RPC\)/.exec(
        run.stdout,
      );
    assert.ok(summary, run.stdout);
    const [blocks, fromFiles, overRpc] = [summary[2], summary[3], summary[4]].map((n) =>
      Number(n.replace(/,/g, '')),
    );
    assert.ok(blocks >= minedHeight, `priced ${blocks} blocks of ${minedHeight + 1}`);
    assert.equal(fromFiles, blocks, 'every block came from the block files');
    assert.equal(overRpc, 0);

    const shown = podman(serviceArgs(false, ['history', 'show', '--blocks', '--json']), 120_000);
    assert.equal(shown.status, 0, shown.stderr);
    const rows = JSON.parse(shown.stdout) as { height: number; price: number | null }[];
    const mined = rows.find((row) => row.height === minedHeight);
    assert.ok(mined?.price, `block ${minedHeight} has a price`);
    assert.ok(Math.abs(mined.price / PRICE - 1) < 0.01, `block ${minedHeight} priced at ${mined.price}`);
    console.log(
      `history build: ${rows.length} block rows (${summary[1]} days; ${fromFiles} blocks from the files) in ${seconds.toFixed(1)} s; block ${minedHeight}: $${mined.price}`,
    );
  });

  test("serves the node's live price", async () => {
    const started = Date.now();
    ok(serviceArgs(true));
    const base = `http://127.0.0.1:${port}`;
    const price = await until(
      180_000,
      "a live price near the economy's",
      async () => {
        const body = (await (await fetch(`${base}/api/v1/price`)).json()) as { price: number | null };
        return typeof body.price === 'number' && Math.abs(body.price / PRICE - 1) < 0.01
          ? body.price
          : undefined;
      },
      () => containerLogs(NAME),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `the Umbrel service serves $${price} (economy at $${PRICE}) ${seconds.toFixed(1)} s after podman run`,
    );
    const health = await until(
      60_000,
      '/health answers 200',
      async () => {
        const response = await fetch(`${base}/health`);
        return response.ok ? ((await response.json()) as { source: string; node: unknown }) : undefined;
      },
      () => containerLogs(NAME),
    );
    assert.equal(health.source, 'node');
    assert.deepEqual(health.node, { connected: true });
    const log = containerLogs(NAME);
    assert.match(log, /regtest node at 127\.0\.0\.1:\d+ .*user "umbrel"/);
    const block = (await (await fetch(`${base}/api/v1/blocks/${minedHeight}/price`)).json()) as {
      price: number;
    };
    assert.ok(Math.abs(block.price / PRICE - 1) < 0.01, `block price ${block.price}`);

    // New transactions arrive over ZMQ, at the node's IP and the exported ports.
    const received = async () =>
      Number(
        /^chainprice_transactions_received_total (\d+)/m.exec(
          await (await fetch(`${base}/metrics`)).text(),
        )?.[1],
      );
    const before = await received();
    await economy.roundUsdPayments(30, PRICE);
    await until(30_000, '30 new transactions over ZMQ', async () =>
      (await received()) >= before + 30 ? true : undefined,
    );
  });
});

/** Lets every user read (and enter) everything under `dir`. */
function chmodTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(path);
    else if (entry.isFile()) chmodSync(path, statSync(path).mode | 0o444);
  }
  chmodSync(dir, statSync(dir).mode | 0o555);
}

if (SKIP) console.log(`Umbrel app test skipped: ${SKIP}`);
