// Options more than one command takes, declared once: where the HTTP service listens, who may use
// it and how many stream clients it serves (`serve`, `edge`), the NATS servers (`serve`, `edge`), where chainprice keeps its files
// (`serve`, `history`). Each checks its value when the command line is read.

import { DEFAULT_HUB_LIMITS } from '../server/mempool-hub.ts';
import { normaliseOrigin } from '../server/origin-check.ts';
import { DEFAULT_DATA_DIR } from '../store/data-dir.ts';
import { BadValue, option } from './options.ts';

export const HOST = option({
  value: 'HOST',
  help: 'address to listen on; 0.0.0.0 for every interface',
  env: 'CHAINPRICE_HOST',
  default: '127.0.0.1',
});

export const PORT = option({
  value: 'PORT',
  help: 'port to listen on; 0 for any free port (the one chosen is printed)',
  env: 'CHAINPRICE_PORT',
  default: '8000',
  example: '0',
  parse: (text: string, from: string): number => {
    const port = Number(text);
    if (!/^\d+$/.test(text) || port > 65_535) {
      throw new BadValue(
        `${from} needs a port number from 1 to 65535 (or 0 for any free port), not "${text}"`,
      );
    }
    return port;
  },
});

export const MAX_CLIENTS = option({
  value: 'N',
  help: 'the most stream (WebSocket) clients served at once; one more is told to try again later (1013)',
  env: 'CHAINPRICE_MAX_CLIENTS',
  default: String(DEFAULT_HUB_LIMITS.maxClients),
  example: '200',
  parse: (text: string, from: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || !Number.isSafeInteger(n))
      throw new BadValue(`${from} needs a whole number of clients, at least 1, not "${text}"`);
    return n;
  },
});

export const TOKEN = option({
  value: 'TOKEN',
  help: 'require this token for the API, /metrics and the stream; browsers open /?token=TOKEN. Prefer the variable: flags show in ps',
  env: 'CHAINPRICE_TOKEN',
  example: 's3cret-T0ken',
  parse: (text: string, from: string): string => {
    if (!/^[\x21-\x7e]+$/.test(text)) throw new BadValue(`${from} must be printable ASCII without spaces`);
    return text;
  },
});

export const ALLOW_ORIGIN = option({
  value: 'ORIGIN',
  help: 'also let pages served from ORIGIN (scheme://host[:port]) open the stream',
  env: 'CHAINPRICE_ALLOW_ORIGIN',
  multiple: true,
  example: 'https://price.example.com',
  parse: (text: string, from: string): string => {
    try {
      return normaliseOrigin(text);
    } catch (error) {
      throw new BadValue(`${from}: ${(error as Error).message}`);
    }
  },
});

export const DATA_DIR = option({
  value: 'DIR',
  help: 'where the price history is kept',
  env: 'CHAINPRICE_DATA_DIR',
  shownDefault: DEFAULT_DATA_DIR,
});

/** `--nats URL`: checked with the credentials (nats-target.ts) by the command, which reads the environment. */
export function natsOption<const H extends string>(help: H) {
  return option({ value: 'URL', help, env: 'CHAINPRICE_NATS', example: 'nats://127.0.0.1:4222' });
}
