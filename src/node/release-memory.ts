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
