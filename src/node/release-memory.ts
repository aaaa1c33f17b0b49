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

export function releaseMemory(env: Record<string, string | undefined> = process.env): boolean {
  if (env.CHAINPRICE_V8_DEFAULTS === '1') return false;
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as GcFunction;
    } catch {
      gc = null;
    }
  }
  if (typeof gc !== 'function') return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
