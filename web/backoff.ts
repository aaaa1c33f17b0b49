// Reconnect delays: exponential backoff with jitter, so a restarted server is not hit by every
// browser at the same instant. In: the number of failed attempts so far and a random number in
// [0, 1). Out: milliseconds to wait. Pure.

/** The first retry comes quickly: a server restart usually takes about a second. */
export const BACKOFF_BASE_MS = 500;
/** Never wait longer than this: a node box on a LAN should come back within half a minute of its server. */
export const BACKOFF_MAX_MS = 30_000;

/** Delay before reconnect attempt number `attempt` (0 for the first retry): half fixed, half random. */
export function backoffDelay(attempt: number, random: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
