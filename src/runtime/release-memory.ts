// Gives memory back to the system after a large one-off fill (the 144-block window, the mempool
// bootstrap, the demo's pre-fill). In: nothing. Out: whether it ran. After such a fill V8 keeps the
// pages the fill's garbage used (the demo kept ~120 MB of them); a last-resort full GC (V8's
// reaction to a low-memory notification) collects and returns them: ~100–150 ms once, measured by
// bench/memory.ts. Through the gc function --expose-gc puts on the global object: serve starts
// with it (heap-settings.ts). Without it (a test, a tool) nothing is collected, and nothing else
// happens: no V8 flag is ever changed once the process runs (V8 does not support that, and Node
// keys its compile cache by the flags). Off with CHAINPRICE_V8_DEFAULTS=1, like serve's other
// memory settings (heap-settings.ts).

type GcFunction = (options?: { type?: string; execution?: string; flavor?: string }) => void;

function gcFunction(env: Record<string, string | undefined>): GcFunction | null {
  if (env.CHAINPRICE_V8_DEFAULTS === '1') return null;
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as GcFunction) : null;
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
