// The node's cookie file: a path in, the RPC user and password out. The node writes a fresh
// cookie ("__cookie__:<random hex>") every time it starts, so callers re-read it after a restart.

import { readFile } from 'node:fs/promises';

export interface RpcCredentials {
  user: string;
  password: string;
}

export class CookieError extends Error {
  readonly file: string;
  readonly reason: 'missing' | 'unreadable' | 'malformed';
  constructor(file: string, reason: CookieError['reason'], detail: string) {
    super(detail);
    this.name = 'CookieError';
    this.file = file;
    this.reason = reason;
  }
}

/** Reads and splits a cookie file; throws CookieError (never includes the secret in its message). */
export async function readCookie(file: string): Promise<RpcCredentials> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new CookieError(file, 'missing', `cookie file ${file} does not exist`);
    throw new CookieError(file, 'unreadable', `cannot read cookie file ${file} (${code ?? 'error'})`);
  }
  const line = text.trim();
  const colon = line.indexOf(':');
  if (colon <= 0 || colon === line.length - 1) {
    throw new CookieError(
      file,
      'malformed',
      `cookie file ${file} is not in the node's "user:password" format`,
    );
  }
  return { user: line.slice(0, colon), password: line.slice(colon + 1) };
}
