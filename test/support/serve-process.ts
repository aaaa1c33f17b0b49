// `chainprice serve` (the real command) as a child process, for the integration tests: started on
// port 0 (it binds a free port itself and says which in its log: no race for a port) with the given
// arguments, resolved once it says where it listens. In: serve's arguments after `serve`. Out: the
// child, its base URL (http://127.0.0.1:PORT) and everything it printed so far (stdout and stderr
// together, also passed to `onOutput` as it comes).

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  /** http://127.0.0.1:PORT, without a trailing slash. */
  base: string;
  output: () => string;
}

export async function startServe(
  args: string[],
  options: { onOutput?: (text: string) => void; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let output = '';
  const append = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    options.onOutput?.(text);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const [, port] = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`serve exited (${child.exitCode}):\n${output}`);
      return /serving the (?:demo|node) price on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
    },
    { what: 'serve to say where it listens', timeoutMs: options.timeoutMs ?? 60_000, detail: () => output },
  );
  return { child, base: `http://127.0.0.1:${port}`, output: () => output };
}
