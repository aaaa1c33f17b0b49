// The chainprice commands as a user runs them, for the NATS tests: a child process of the CLI with
// its output (stdout and stderr together) collected, a wait for a line of it, and an edge started
// until it says where it listens. Every process started here is killed (SIGKILL) when the test file
// ends, whatever happened.

import { type ChildProcess, spawn } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../support/wait.ts';

const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));

export interface Run {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr together (the name says where users read it). */
  stderr: () => string;
  exited: Promise<number | null>;
}

const runs: Run[] = [];
after(() => {
  for (const run of runs) run.child.kill('SIGKILL');
});

export function runCli(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdout?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const run = { child, stderr: () => stderr, exited };
  runs.push(run);
  return run;
}

export async function waitForLine(run: Run, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return waitFor(
    () => {
      const found = run.stderr().match(pattern);
      if (found === null && run.child.exitCode !== null) {
        throw new Error(`exited (${run.child.exitCode}) with no line matching ${pattern}:\n${run.stderr()}`);
      }
      return found;
    },
    { what: `a line matching ${pattern}`, timeoutMs, detail: () => run.stderr() },
  );
}

/** The output of each run, for a failure message. */
export function logsOf(named: Record<string, Run>): string {
  return Object.entries(named)
    .map(([name, run]) => `--- ${name}:\n${run.stderr()}`)
    .join('\n');
}

/** The URL (http://host:port/) a `serve` or `edge` started with `--port 0` says it serves on. */
export async function servedAt(run: Run, timeoutMs = 60_000): Promise<string> {
  return (await waitForLine(run, /on (http:\/\/\S+\/)/, timeoutMs))[1];
}

/** Waits until `url`/health answers 200 (the edge follows a publisher, the service has its price). */
export async function healthy(run: Run, url: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      const health = await fetch(`${url}health`);
      return { status: health.status, body: await health.text() };
    },
    {
      what: `${url}health to answer 200`,
      until: (health) => health.status === 200,
      timeoutMs,
      everyMs: 100,
      ignoreErrors: true,
      detail: () => run.stderr(),
    },
  );
}
