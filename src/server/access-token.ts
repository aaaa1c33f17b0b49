// The optional bearer token: where a request carries it (`Authorization: Bearer …`, or `?token=` for
// browsers, which cannot set headers on a WebSocket) and a constant-time comparison with the configured one.

import { createHash, timingSafeEqual } from 'node:crypto';

export interface TokenCarrier {
  headers: Record<string, string | string[] | undefined>;
  query: unknown;
}

/** The token a request presents, or null when it presents none. */
export function presentedToken(request: TokenCarrier): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.token;
  return typeof fromQuery === 'string' && fromQuery.length > 0 ? fromQuery : null;
}

/** Compares digests so neither the length nor the content of the expected token leaks through timing. */
export function tokenMatches(expected: string, presented: string | null): boolean {
  if (presented === null) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}
