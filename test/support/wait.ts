// Waiting in tests: for a condition, never for a guessed time. `waitFor` reads a value until it is
// good enough and returns it; on timeout it fails saying what it waited for and the last value (or
// error) it saw, so a slow machine shows as "waited 10 s for X, last saw Y", not as a failed
// assertion later on. `sleep` is only for the few places where time passing IS the test (nothing
// arrives within 500 ms, a client stays connected for a while) or paces an input; each says so.

import { inspect } from 'node:util';

export interface WaitOptions<T> {
  /** What is awaited, as the failure says it: "timed out after 5000 ms waiting for <what>". */
  what: string;
  /** How long until it fails. Generous where a loaded CI machine is slow; the wait ends as soon as it holds. */
  timeoutMs: number;
  /** When the value read is good enough (default: it is truthy). */
  until?: (value: T) => boolean;
  /** Errors thrown by `read` mean "not yet" (a server still starting) instead of failing at once. */
  ignoreErrors?: boolean;
  /** More for the failure message (a process's log), read only on timeout. */
  detail?: () => string;
  /** Between reads (default 25 ms: cheap reads, quick tests). */
  everyMs?: number;
}

/** How much of the last value a timeout message shows. */
const SHOWN_CHARS = 600;

/** Reads `read()` until `until` holds (default: truthy) and returns that value; fails after `timeoutMs`. */
export function waitFor<T>(
  read: () => T | Promise<T>,
  options: WaitOptions<T> & { until?: undefined },
): Promise<NonNullable<T>>;
export function waitFor<T>(read: () => T | Promise<T>, options: WaitOptions<T>): Promise<T>;
export async function waitFor<T>(read: () => T | Promise<T>, options: WaitOptions<T>): Promise<T> {
  const { what, timeoutMs, until = Boolean, ignoreErrors = false, detail, everyMs = 25 } = options;
  const started = performance.now();
  let last: { value: T } | { error: unknown } | null = null;
  for (;;) {
    try {
      const value = await read();
      if (until(value)) return value;
      last = { value };
    } catch (error) {
      if (!ignoreErrors) throw error;
      last = { error };
    }
    if (performance.now() - started >= timeoutMs) {
      const seen =
        last === null
          ? 'nothing'
          : 'error' in last
            ? `the error ${String(last.error)}`
            : inspect(last.value, { depth: 3, breakLength: Number.POSITIVE_INFINITY });
      const more = detail ? `\n${detail()}` : '';
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last saw ${seen.slice(0, SHOWN_CHARS)}${more}`,
      );
    }
    await sleep(everyMs);
  }
}

/** Resolves after `ms`. Not a way to wait for something: see the file's opening comment. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
