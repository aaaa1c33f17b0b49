// A throwaway regtest bitcoind for integration tests and benchmarks: installs the node once (via
// scripts/install-bitcoind.sh), starts it on free ports in a fresh temp datadir with every ZMQ
// topic chainprice uses, and stops it (RPC `stop`, then the process) — or kills it with -9 to
// simulate a crash, and restarts it on the same datadir and ports. RPC goes through the project's
// own client with the node's cookie, the way the service talks to a real node.
// Ports: bitcoind must be told its RPC and ZMQ ports, so a start that finds one taken (bitcoind
// exits when its RPC port is taken, and runs on without any ZMQ when a ZMQ port is) starts again on
// fresh ports (test/support/ports.ts); a restart on the same ports says which one was taken.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCookie } from '../../../src/node/cookie.ts';
import { RpcClient } from '../../../src/node/rpc-client.ts';
import { isWarmingUp, RpcError, RpcTransportError } from '../../../src/node/rpc-errors.ts';
import { PortTaken, withFreePorts } from '../../support/ports.ts';
import { waitFor } from '../../support/wait.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const INSTALL_SCRIPT = path.join(ROOT, 'scripts/install-bitcoind.sh');
const BITCOIND = path.join(ROOT, '.cache/bitcoind/bin/bitcoind');
/** How long a fresh regtest node may take to answer RPC (it is ~1 s here; CI machines are slower). */
const START_TIMEOUT_MS = 60_000;
/** How long `stop` may take before the process is killed. */
const STOP_TIMEOUT_MS = 20_000;

let installResult: { bitcoind: string } | { skip: string } | null = null;

/** The bitcoind to run, installing it when missing; or the reason it cannot be had. */
export function bitcoindOrSkipReason(): { bitcoind: string } | { skip: string } {
  if (installResult) return installResult;
  const custom = process.env.CHAINPRICE_TEST_BITCOIND;
  if (custom) {
    installResult = existsSync(custom)
      ? { bitcoind: custom }
      : { skip: `CHAINPRICE_TEST_BITCOIND=${custom} does not exist` };
    return installResult;
  }
  if (!existsSync(BITCOIND)) {
    const run = spawnSync('bash', [INSTALL_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (run.status !== 0 || !existsSync(BITCOIND)) {
      const why = (run.stderr || run.stdout || 'no output').trim().split('\n').at(-1);
      installResult = { skip: `bitcoind is not installed and scripts/install-bitcoind.sh failed: ${why}` };
      return installResult;
    }
  }
  installResult = { bitcoind: BITCOIND };
  return installResult;
}

export interface RegtestOptions {
  /** Extra bitcoind arguments, e.g. ['-txindex=1']. */
  args?: string[];
  /** Leave out these ZMQ topics (to test the "no rawtx/sequence" message). */
  withoutZmq?: ('rawtx' | 'sequence' | 'rawblock')[];
}

export class RegtestNode {
  readonly datadir: string;
  readonly rpcPort: number;
  readonly zmq: { rawtx: string; sequence: string; rawblock: string };
  readonly rpc: RpcClient;
  private readonly bitcoind: string;
  private readonly options: RegtestOptions;
  private process: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';

  private constructor(
    bitcoind: string,
    datadir: string,
    rpcPort: number,
    zmqPorts: number[],
    options: RegtestOptions,
  ) {
    this.bitcoind = bitcoind;
    this.datadir = datadir;
    this.rpcPort = rpcPort;
    this.options = options;
    this.zmq = {
      rawtx: `tcp://127.0.0.1:${zmqPorts[0]}`,
      sequence: `tcp://127.0.0.1:${zmqPorts[1]}`,
      rawblock: `tcp://127.0.0.1:${zmqPorts[2]}`,
    };
    this.rpc = new RpcClient({
      host: '127.0.0.1',
      port: rpcPort,
      credentials: () => readCookie(this.cookieFile),
      timeoutMs: 120_000,
      batchSize: 500,
    });
  }

  /** chainprice's options for this node (network, datadir, RPC port), as a user gives them. */
  get cliArgs(): string[] {
    return ['--regtest', '--datadir', this.datadir, '--rpc-port', String(this.rpcPort)];
  }

  get cookieFile(): string {
    return path.join(this.datadir, 'regtest', '.cookie');
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Starts a fresh node; the caller must `stop()` it (use t.after / a finally). */
  static async start(bitcoind: string, options: RegtestOptions = {}): Promise<RegtestNode> {
    // One RPC port and three ZMQ ports.
    return withFreePorts(4, async ([rpcPort, ...zmqPorts]) => {
      const datadir = mkdtempSync(path.join(tempRoot(), 'chainprice-regtest-'));
      const node = new RegtestNode(bitcoind, datadir, rpcPort, zmqPorts, options);
      try {
        await node.launch();
      } catch (error) {
        await node.stop();
        throw error;
      }
      return node;
    });
  }

  /** Starts the process (again) on the same datadir and ports, and waits until RPC answers. */
  async launch(): Promise<void> {
    const without = new Set(this.options.withoutZmq ?? []);
    const args = [
      '-regtest',
      `-datadir=${this.datadir}`,
      '-server=1',
      '-listen=0',
      '-dnsseed=0',
      '-fixedseeds=0',
      '-printtoconsole=0',
      '-rpcbind=127.0.0.1',
      '-rpcallowip=127.0.0.1',
      `-rpcport=${this.rpcPort}`,
      '-fallbackfee=0.0002',
      // Tests pay and bump many small transactions from one wallet: lift the unconfirmed-chain limits.
      '-limitancestorcount=1000',
      '-limitdescendantcount=1000',
      // Regtest checks the whole mempool after every acceptance and the block index after every
      // block by default: quadratic over thousands of transactions, and nothing a real node does.
      '-checkmempool=0',
      '-checkblockindex=0',
      '-rpcworkqueue=64',
      '-rpcthreads=4',
      ...(['rawtx', 'sequence', 'rawblock'] as const)
        .filter((t) => !without.has(t))
        .map((t) => `-zmqpub${t}=${this.zmq[t]}`),
      ...(this.options.args ?? []),
    ];
    const child = spawn(this.bitcoind, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.process = child;
    this.stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.rpc.forgetCredentials();
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          if (/Address already in use/.test(this.debugLog())) {
            throw new PortTaken(`bitcoind found its RPC port ${this.rpcPort} taken`);
          }
          throw new Error(
            `bitcoind exited during start-up: ${this.stderr.trim() || `code ${child.exitCode}`}`,
          );
        }
        try {
          await this.rpc.call('getblockchaininfo');
          return null;
        } catch (error) {
          const retry =
            isWarmingUp(error) ||
            error instanceof RpcTransportError ||
            (error as { reason?: string }).reason === 'missing';
          if (!retry) throw error;
          this.rpc.forgetCredentials();
          return error;
        }
      },
      { what: 'bitcoind to answer RPC', timeoutMs: START_TIMEOUT_MS, until: (e) => e === null, everyMs: 50 },
    );
    // A ZMQ port taken does not stop bitcoind: it runs on with no ZMQ notification at all.
    const zmq = await this.call<{ type: string }[]>('getzmqnotifications');
    const wanted = (['rawtx', 'sequence', 'rawblock'] as const).filter((t) => !without.has(t));
    const missing = wanted.filter((t) => !zmq.some((n) => n.type === `pub${t}`));
    if (missing.length > 0) {
      const endpoints = wanted.map((t) => this.zmq[t]).join(', ');
      throw new PortTaken(`bitcoind runs without ZMQ: one of its ports (${endpoints}) was taken`);
    }
  }

  /** The end of the node's debug.log ('' when there is none yet). */
  private debugLog(): string {
    try {
      return readFileSync(path.join(this.datadir, 'regtest', 'debug.log'), 'utf8').slice(-8000);
    } catch {
      return '';
    }
  }

  async call<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    return this.rpc.call<T>(method, params);
  }

  /** A wallet RPC on a named wallet (`/wallet/NAME` endpoint is not needed: tests load one wallet at a time). */
  async mine(blocks: number, address?: string): Promise<string[]> {
    const to = address ?? (await this.call<string>('getnewaddress'));
    return this.call<string[]>('generatetoaddress', blocks, to);
  }

  /** Simulates a crash: SIGKILL, then waits for the process to be gone. */
  async kill9(): Promise<void> {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
      await this.exited;
    }
    this.process = null;
  }

  /** Stops the node (RPC stop, then SIGKILL after a timeout) and deletes its datadir. Safe to call twice. */
  async stop(options: { keepDatadir?: boolean } = {}): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        await this.rpc.call('stop');
      } catch {
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    this.process = null;
    this.rpc.close();
    if (!options.keepDatadir) rmSync(this.datadir, { recursive: true, force: true });
  }
}

/**
 * Where node datadirs go: a RAM disk when there is one (the wallet syncs its database on every
 * transaction, which makes building thousands of transactions slow on a real disk), else the temp dir.
 */
function tempRoot(): string {
  const shm = '/dev/shm';
  try {
    accessSync(shm, constants.W_OK);
    return shm;
  } catch {
    return os.tmpdir();
  }
}

/** True when `error` is the node's JSON-RPC error `code`. */
export function isRpcCode(error: unknown, code: number): boolean {
  return error instanceof RpcError && error.code === code;
}
