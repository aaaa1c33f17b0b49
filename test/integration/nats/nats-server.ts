// A real nats-server for the bus tests: started on a loopback port of its own choosing (`port: -1`,
// read back from its log: no race for the port, see test/support/ports.ts) with JetStream in a
// temporary folder, stopped (SIGTERM, then SIGKILL) and restarted on the same port and folder, so a
// test can take NATS away and bring it back. Tests skip with a clear message when no nats-server is
// installed (scripts/install-nats.sh installs it; CI runs that script).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

export interface NatsServerOptions {
  /** Extra lines for the configuration file (e.g. an authorization block). */
  config?: string;
}

/** How long nats-server may take to say it is ready. */
const START_TIMEOUT_MS = 10_000;

export class NatsServer {
  private portValue = 0;
  private readonly dir: string;
  private readonly configFile: string;
  private options: NatsServerOptions;
  private child: ChildProcess | null = null;
  log = '';

  private constructor(options: NatsServerOptions) {
    this.options = options;
    this.dir = mkdtempSync(join(tmpdir(), 'chainprice-nats-'));
    this.configFile = join(this.dir, 'nats.conf');
    // -1: a port of the server's own choosing, the first time; the same one on every restart.
    this.writeConfig(-1);
  }

  get port(): number {
    return this.portValue;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.portValue}`;
  }

  /** Its monitoring endpoint (/varz, /connz), when the configuration asks for one (`http: "127.0.0.1:-1"`). */
  get monitorUrl(): string | undefined {
    const port = /Starting http monitor on [^\s]*:(\d+)/.exec(this.log)?.[1];
    return port === undefined ? undefined : `http://127.0.0.1:${port}`;
  }

  /** The running server's process id (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const server = new NatsServer(options);
    try {
      await server.restart();
    } catch (error) {
      await server.dispose();
      throw error;
    }
    return server;
  }

  /** Starts (again) on the same port and store; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.child !== null) throw new Error('nats-server is already running');
    const child = spawn(BINARY, ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.log = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`nats-server did not start within ${START_TIMEOUT_MS} ms:\n${this.log}`)),
        START_TIMEOUT_MS,
      );
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
    await ready;
    if (this.portValue === 0) {
      const port = Number(/Listening for client connections on [^\s]*:(\d+)/.exec(this.log)?.[1]);
      if (!port) throw new Error(`nats-server did not say its port:\n${this.log}`);
      this.portValue = port;
      this.writeConfig(port);
    }
  }

  private writeConfig(port: number): void {
    writeFileSync(
      this.configFile,
      [
        'host: 127.0.0.1',
        `port: ${port}`,
        `jetstream { store_dir: "${join(this.dir, 'js')}", max_memory_store: 64MB, max_file_store: 256MB }`,
        this.options.config ?? '',
      ].join('\n'),
    );
  }

  /** Replaces the extra configuration lines and has the running server reload them (SIGHUP), as an operator would. */
  async reload(config: string): Promise<void> {
    const child = this.child;
    if (child === null) throw new Error('nats-server is not running');
    this.options = { ...this.options, config };
    this.writeConfig(this.portValue);
    const from = this.log.length;
    child.kill('SIGHUP');
    const started = Date.now();
    while (!/Reloaded server configuration/.test(this.log.slice(from))) {
      if (/\[(ERR|FTL)\]/.test(this.log.slice(from)) || Date.now() - started > START_TIMEOUT_MS)
        throw new Error(`nats-server did not reload its configuration:\n${this.log.slice(from)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
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
