// A real nats-server for the bus tests: started on a free loopback port with JetStream in a
// temporary folder, stopped (SIGTERM, then SIGKILL) and restarted on the same port and folder,
// so a test can take NATS away and bring it back. Tests skip with a clear message when no
// nats-server is installed (scripts/install-nats.sh installs it; CI runs that script).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = process.env.CHAINPRICE_TEST_NATS_SERVER || 'nats-server';

/** Why the NATS tests are skipped here, or false when nats-server runs. */
export const NO_NATS: string | false = (() => {
  const run = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  return run.status === 0
    ? false
    : `nats-server is not installed (run scripts/install-nats.sh, or set CHAINPRICE_TEST_NATS_SERVER)`;
})();

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface NatsServerOptions {
  /** Extra lines for the configuration file (e.g. an authorization block). */
  config?: string;
}

export class NatsServer {
  readonly port: number;
  readonly url: string;
  private readonly dir: string;
  private readonly configFile: string;
  private child: ChildProcess | null = null;
  log = '';

  private constructor(port: number, options: NatsServerOptions) {
    this.port = port;
    this.url = `nats://127.0.0.1:${port}`;
    this.dir = mkdtempSync(join(tmpdir(), 'chainprice-nats-'));
    this.configFile = join(this.dir, 'nats.conf');
    writeFileSync(
      this.configFile,
      [
        'host: 127.0.0.1',
        `port: ${port}`,
        `jetstream { store_dir: "${join(this.dir, 'js')}", max_memory_store: 64MB, max_file_store: 256MB }`,
        options.config ?? '',
      ].join('\n'),
    );
  }

  /** The running server's process id (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), options);
    await server.restart();
    return server;
  }

  /** Starts (again) on the same port and store; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.child !== null) throw new Error('nats-server is already running');
    const child = spawn(BINARY, ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${this.log}`)), 10_000);
      const onData = (chunk: Buffer) => {
        this.log += chunk;
        if (this.log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('exit', () => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited:\n${this.log}`));
      });
    });
    this.log = '';
    await ready;
  }

  /** Stops the server; `kill` is SIGKILL (a crash), else SIGTERM (a clean stop). */
  async stop(kill = false): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(kill ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
