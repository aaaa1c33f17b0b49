// The chain of the node-path soak (bench/soak.ts --node forks it, so the transaction generator never
// shares a process or an event loop with the service it measures): a Knots regtest node
// (test/integration/node/regtest-node.ts) and its wallet's economy (economy.ts: round-dollar
// payments, each with change, from funding coins mined hours before the simulated day starts).
// After "go" it runs the simulated clock the parent gave it: every tick it sets the node's clock
// (`setmocktime`) to the simulated time, sends the payments due at `rate` per real second (signed
// by the wallet, sent in JSON-RPC batches), and mines a block whenever `blockMinutes` simulated
// minutes have passed since the last one. Generating and mining take turns in one loop, so a
// payment is never sent while a block is being mined: each block takes every payment sent since
// the one before. Talks to the parent over IPC: setup → ready → go → stop → stopped → quit.

import { Economy } from '../test/integration/node/economy.ts';
import { bitcoindOrSkipReason, RegtestNode } from '../test/integration/node/regtest-node.ts';

/** Between ticks of the generator: payments go out in batches of about rate × this. */
const TICK_MS = 250;
/** Funding coins are mined this long before the simulated day starts, so no payment spends one of the day's transactions. */
const FUNDING_HOURS_BEFORE = 2;
/** Blocks mined after the funding: the 144-block window is full of old blocks when the day starts. */
const BURY_BLOCKS = 144;

export interface SimClock {
  /** Unix seconds of the simulated day's start. */
  simStart: number;
  /** Date.now() (ms) when the simulated clock started. */
  realStart: number;
  speed: number;
}

/** Simulated Unix seconds now (both processes compute it from the same wall clock). */
export function simNow(clock: SimClock): number {
  return clock.simStart + ((Date.now() - clock.realStart) / 1000) * clock.speed;
}

export type ChainCommand =
  | { type: 'setup'; payments: number; price: number; seed: number; simStart: number }
  | { type: 'go'; clock: SimClock; rate: number; blockMinutes: number }
  | { type: 'stop' }
  | { type: 'quit' };

export interface ChainReady {
  type: 'ready';
  datadir: string;
  rpcPort: number;
  height: number;
  setupSeconds: number;
}

export interface ChainStopped {
  type: 'stopped';
  payments: number;
  blocks: number;
  realSeconds: number;
  /** Payments the node accepted per real second, measured from go to stop. */
  txPerSecond: number;
  /** The slowest turn of the generator's loop (setmocktime, a block, a batch of payments), ms. */
  slowestTickMs: number;
  /** Transactions per mined block: min, mean, max. */
  perBlock: { min: number; mean: number; max: number };
  height: number;
  cpuSeconds: number;
}

export type ChainReport =
  | ChainReady
  | ChainStopped
  | { type: 'progress'; payments: number; blocks: number; txPerSecond: number }
  | { type: 'error'; message: string };

const send = (message: ChainReport) => process.send?.(message);
let node: RegtestNode | null = null;
let economy: Economy | null = null;
let price = 0;
let stopping = false;
let finished: Promise<void> = Promise.resolve();

async function setup(command: Extract<ChainCommand, { type: 'setup' }>): Promise<void> {
  const started = performance.now();
  const found = bitcoindOrSkipReason();
  if ('skip' in found) throw new Error(found.skip);
  node = await RegtestNode.start(found.bitcoind);
  economy = new Economy(node, command.seed);
  price = command.price;
  // Whole hours: the economy sets the node clock (an integer) that many hours back.
  const hoursBack = Math.ceil((Date.now() / 1000 - command.simStart) / 3600) + FUNDING_HOURS_BEFORE;
  await economy.setup({ fundingOutputs: command.payments, hoursBack, buryBlocks: BURY_BLOCKS });
  // The node's clock stays at the simulated day's start until "go".
  await node.call('setmocktime', Math.floor(command.simStart));
  send({
    type: 'ready',
    datadir: node.datadir,
    rpcPort: node.rpcPort,
    height: await node.call<number>('getblockcount'),
    setupSeconds: (performance.now() - started) / 1000,
  });
}

async function run(command: Extract<ChainCommand, { type: 'go' }>): Promise<void> {
  if (!node || !economy) throw new Error('go before setup');
  const { clock, rate, blockMinutes } = command;
  const cpu = process.cpuUsage();
  const started = Date.now();
  const mineTo = await node.call<string>('getnewaddress');
  let payments = 0;
  let blocks = 0;
  let slowestTickMs = 0;
  // The service's start-up took some simulated minutes already: the first block is due one interval from now.
  let nextBlock = simNow(clock) + blockMinutes * 60;
  const perBlock: number[] = [];
  let lastProgress = started;
  while (!stopping) {
    const tickStart = performance.now();
    const now = simNow(clock);
    await node.call('setmocktime', Math.floor(now));
    if (now >= nextBlock) {
      const mempool = await node.call<string[]>('getrawmempool');
      await node.call('generatetoaddress', 1, mineTo);
      perBlock.push(mempool.length);
      blocks++;
      nextBlock += blockMinutes * 60;
    }
    const due = Math.floor(((Date.now() - started) / 1000) * rate) - payments;
    if (due > 0) payments += (await economy.roundUsdPayments(due, price)).length;
    const tickMs = performance.now() - tickStart;
    slowestTickMs = Math.max(slowestTickMs, tickMs);
    if (Date.now() - lastProgress > 60_000) {
      lastProgress = Date.now();
      send({ type: 'progress', payments, blocks, txPerSecond: payments / ((Date.now() - started) / 1000) });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, TICK_MS - tickMs)));
  }
  const realSeconds = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  send({
    type: 'stopped',
    payments,
    blocks,
    realSeconds,
    txPerSecond: payments / realSeconds,
    slowestTickMs,
    perBlock: {
      min: perBlock.length === 0 ? 0 : Math.min(...perBlock),
      mean: perBlock.reduce((s, n) => s + n, 0) / Math.max(1, perBlock.length),
      max: perBlock.length === 0 ? 0 : Math.max(...perBlock),
    },
    height: await node.call<number>('getblockcount'),
    cpuSeconds: (used.user + used.system) / 1e6,
  });
}

function fail(error: unknown): void {
  send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}

process.on('message', (command: ChainCommand) => {
  if (command.type === 'setup') setup(command).catch(fail);
  else if (command.type === 'go') finished = run(command).catch(fail);
  else if (command.type === 'stop') stopping = true;
  else if (command.type === 'quit') {
    stopping = true;
    void finished
      .then(() => node?.stop())
      .catch(fail)
      .finally(() => process.exit(0));
  }
});
// The parent gone (killed, crashed): the node goes with it.
process.on('disconnect', () => {
  stopping = true;
  void finished.then(() => node?.stop()).finally(() => process.exit(0));
});
