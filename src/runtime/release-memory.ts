// Gives memory back to the system after a large one-off fill (the 144-block window, the mempool
// bootstrap, the demo's pre-fill). In: nothing. Out: whether it ran. After such a fill V8 keeps the
// pages the fill's garbage used (the demo kept ~120 MB of them); a last-resort full GC (V8's
// reaction to a low-memory notification) collects and returns them: ~100–150 ms once, measured by
// bench/memory.ts. Reached through V8's gc extension (enabled here, used in a fresh context only).
// Off with CHAINPRICE_V8_DEFAULTS=1, like serve's other memory settings (heap-settings.ts).

import v8 from 'node:v8';
import vm from 'node:vm';

type GcFunction = (options?: { type?: string; execution?: string; flavor?: string }) => void;

let gc: GcFunction | null | undefined;

function gcFunction(env: Record<string, string | undefined>): GcFunction | null {
  if (env.CHAINPRICE_V8_DEFAULTS === '1') return null;
  if (gc === undefined) {
    try {
      // serve starts with --expose-gc (heap-settings.ts: V8's flags then never change midway).
      const exposed = (globalThis as { gc?: unknown }).gc;
      if (typeof exposed === 'function') {
        gc = exposed as GcFunction;
        return gc;
      }
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as GcFunction;
    } catch {
      gc = null;
    }
  }
  return typeof gc === 'function' ? gc : null;
}

export function releaseMemory(env: Record<string, string | undefined> = process.env): boolean {
  const collect = gcFunction(env);
  collect?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return collect !== null;
}

/**
 * A young-generation GC (a millisecond or two with serve's 2 MB semi-spaces), for code that has
 * just dropped many megabytes of buffers: a reply read in 64 KB socket chunks leaves a block's
 * worth of dead chunks (4 MB of hex a block) whose memory is outside V8's heap, so their
 * allocation hardly advances V8's own GC schedule, and V8 collects them only once 64 MB of such
 * memory has piled up: measured, up to 75 MB during the start's block fetches (bench/memory.ts).
 */
export function collectYoungGarbage(env: Record<string, string | undefined> = process.env): boolean {
  const collect = gcFunction(env);
  collect?.({ type: 'minor', execution: 'sync' });
  return collect !== null;
}

/**
 * From now on, V8 marks (the first half of a full GC) on the JS thread in small steps, instead of
 * on its helper threads. Called once the start's fills are done. The helper threads' marking
 * work lists go through glibc, in the arena those threads share, and the live service's steady
 * run of full GCs (a few a minute) leaves that arena fragmented: measured by bench/memory.ts,
 * 20–22 MB resident that the process never got back (a 64 MB-aligned read-write map, 1.6 MB
 * before the live window filled), and with this 3–6 MB. Kept during the start, where concurrent
 * marking keeps the peak down (with no concurrent marking at all the start-up peak was 224–238 MB
 * instead of 179–213). V8 reads the flag when each marking cycle starts. The demo does not use
 * it: in its 24-hour soak (bench/soak.ts) RSS ended at 193 MB with it, 171–175 without. Off with
 * CHAINPRICE_V8_DEFAULTS=1.
 */
export function markOnMainThread(env: Record<string, string | undefined> = process.env): boolean {
  if (env.CHAINPRICE_V8_DEFAULTS === '1') return false;
  v8.setFlagsFromString('--no-concurrent-marking');
  return true;
}
