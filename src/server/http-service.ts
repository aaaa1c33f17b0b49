// The HTTP service's life around an assembled app (app.ts), shared by `serve` and `edge`: listen
// and say where in one line ("serving … on URL"), a listen that fails as one sentence with a way out
// (a port in use, an address not of this machine, a privileged port), and a graceful close on
// SIGINT/SIGTERM with close-with-grace: the command's close runs once (app.close() closes the
// WebSocket clients with 1001, going away), then the process exits 0; a second signal exits at once
// with 130, an uncaught error closes the same way and exits 1.

import type { AddressInfo } from 'node:net';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { EXIT, oneLine, UserError } from '../errors.ts';

/** A second Ctrl-C while closing means "now": 130 is how shells report a program ended by SIGINT. */
const FORCE_EXIT_CODE = 130;
/** docker stop and most service managers send SIGKILL 10 s after SIGTERM: a close stuck longer ends itself first, saying so. */
const CLOSE_DELAY_MS = 10_000;

export interface ServiceOptions {
  host: string;
  port: number;
  /** The command named in hints: `chainprice serve --port …`. */
  command: string;
  token: string | undefined;
  /** The line's start, before "serving" (edge: "edge NAME: "). */
  who?: string;
  /** What is served: "the demo price". */
  what: string;
  /** Said after the URL (" — history in …"). */
  more?: string;
  /** Stops what the command started, the app included; run once, on the first signal. */
  close: () => Promise<void>;
  log: (line: string) => void;
}

export interface Service {
  url: string;
  /** Resolves with exit code 0 once a signal's close is done (the process then exits). */
  stopped: Promise<number>;
  /** Forgets the signals: for a start that fails after listening, which the command closes and reports itself. */
  uninstall(): void;
}

/**
 * Listens; from then on a signal closes the service (closeOnSignal), and only then the line says
 * where, so whoever waits for that line may stop it. A failed listen closes the app and throws a
 * UserError saying why.
 */
export async function listen(app: FastifyInstance, options: ServiceOptions): Promise<Service> {
  const { host, port, log } = options;
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    throw listenError(error, host, port, options.command);
  }
  const closing = closeOnSignal(options.close, log);
  const bound = (app.server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown === '0.0.0.0' || shown === '[::]' ? '127.0.0.1' : shown}:${bound}/`;
  log(
    `${options.who ?? ''}serving ${options.what} on ${url}${options.token ? '?token=… (add your token)' : ''}` +
      (options.more ?? ''),
  );
  if (!isLoopback(host) && !options.token) {
    log(
      `listening on ${host} without a token: anyone who can reach this port can read the stream (set CHAINPRICE_TOKEN)`,
    );
  }
  return { url, ...closing };
}

function listenError(error: unknown, host: string, port: number, command: string): Error {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new UserError(
        `port ${port} on ${host} is already in use (another chainprice, or another server).`,
        {
          hint: `stop it, or pick another port: chainprice ${command} --port ${port === 65_535 ? 8001 : port + 1}`,
        },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(`cannot listen on ${host}: it is not an address of this machine.`, {
        hint: 'use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface) with --host',
      });
    case 'EACCES':
      return new UserError(`permission denied to listen on port ${port}.`, {
        hint: 'ports below 1024 need root; use a higher --port (and a reverse proxy for port 80/443)',
      });
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** From now on a signal (or an uncaught error) runs `close` once, then ends the process. */
function closeOnSignal(
  close: () => Promise<void>,
  log: (line: string) => void,
): Pick<Service, 'stopped' | 'uninstall'> {
  let done: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    done = resolve;
  });
  const { uninstall } = closeWithGrace(
    {
      delay: CLOSE_DELAY_MS,
      logger: { error: (message: unknown) => log(`could not close cleanly: ${oneLine(message)}`) },
      onSecondSignal: (signal) => {
        log(`${signal} again: exiting now`);
        process.exit(FORCE_EXIT_CODE);
      },
      onTimeout: (delay) => log(`still closing after ${delay / 1000} s: exiting now`),
    },
    async ({ signal, err }) => {
      if (err !== undefined) {
        log(`internal error: ${oneLine(err)}; closing connections and stopping`);
        if (process.env.CHAINPRICE_DEBUG) console.error(err);
      } else log(`${signal ?? 'nothing left to do'}: closing connections and stopping`);
      await close();
      log('stopped');
      done(EXIT.ok);
    },
  );
  return { stopped, uninstall };
}
