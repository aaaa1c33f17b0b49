// The two garbage collections chainprice asks V8 for, through the gc function that --expose-gc
// puts on the global object (serve's restart starts the process with it: memory-policy.ts). In:
// nothing. Out: whether the collection ran; without --expose-gc (a test, a tool) it does not, and
// nothing else happens: no V8 flag is ever changed after the process has started.

type GcFunction = (options?: { type?: string; execution?: string; flavor?: string }) => void;

function exposedGc(): GcFunction | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as GcFunction) : null;
}

/**
 * A last-resort full GC (V8's reaction to a low-memory notification): it collects a large fill's
 * garbage and gives the pages it used back to the system, which V8 would otherwise keep.
 */
export function releaseMemory(): boolean {
  const gc = exposedGc();
  gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return gc !== null;
}

/**
 * A young-generation GC, for code that has just dropped many megabytes of buffers allocated young
 * (a reply read in socket chunks): their memory is outside V8's heap, so it hardly advances V8's
 * own GC schedule, and V8 would collect them only once a lot of it had piled up.
 */
export function collectYoungGarbage(): boolean {
  const gc = exposedGc();
  gc?.({ type: 'minor', execution: 'sync' });
  return gc !== null;
}
