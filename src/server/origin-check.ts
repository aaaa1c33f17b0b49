// The same-origin rule for WebSocket upgrades: a browser page may open the stream only when it was
// served by this host (its Origin's host:port equals the request's Host) or its origin is allowed
// explicitly. Requests without an Origin header come from programs, not pages, and are let through
// (the token, when set, still applies to them).

/** Normalises configured origins: `https://example.com/` and `HTTPS://Example.com` both become `https://example.com`. */
export function normaliseOrigin(origin: string): string {
  if (origin === '*' || origin === 'null') return origin;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new Error(`"${origin}" is not an origin: expected scheme://host[:port], e.g. https://example.com`);
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new Error(`"${origin}" is not an origin: give only scheme://host[:port], without a path`);
  }
  return url.origin;
}

export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined) return true;
  if (allowed.includes('*')) return true;
  if (origin === 'null') return allowed.includes('null');
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (host !== undefined && url.host === host.toLowerCase()) return true;
  return allowed.includes(url.origin);
}
