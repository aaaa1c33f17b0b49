// The memory settings `chainprice serve` runs with: V8 flags and glibc malloc settings. In: the
// process's environment and arguments. Out: whether to restart with them (serve does, once, with
// process.execve: same process id, same stdio) and the arguments and environment to use.
//
// Why, measured by `npm run bench -- memory` and `npm run bench -- estimate` (README, "Memory"):
//   --max-semi-space-size=2: the live service allocates fast (every transaction parsed, every
//     update serialised) and under a high allocation rate V8 grows its young generation to 64 MB
//     semi-spaces (128 MB of new space). 2 MB semi-spaces cost estimate() nothing measurable
//     (bench/estimate.ts alternated: cold 4.45 / 3.85 ms against 4.75 / 4.14 ms with 4 MB, seeded
//     2.81 / 2.74 against 2.99 / 2.69 ms) and keep about 7 MB less resident than 4 MB ones.
//   --heap-growing-percent=20: after each full GC V8 lets the old space grow by a factor of up
//     to 4 before the next; at 1.2 the demo's heap stays near 42 MB instead of climbing past 85 MB
//     between full GCs (RSS 145 MB instead of 210–280 MB), for estimate() 4.1–4.3 ms cold, 2.8 ms
//     seeded (3.8–3.9 and 2.7–2.8 with V8's defaults) and add + remove still 1.26–1.41 M/s.
//     (--optimize-for-size saves more on the demo — about 120 MB of V8 pages it otherwise keeps
//     after the pre-fill — but makes estimate() 1.7–3 times slower, 6.6–12 ms cold on 50,000
//     transactions against a 5 ms target, so it is not used.)
//   MALLOC_ARENA_MAX=2, MALLOC_MMAP_THRESHOLD_=16384: fetching 144 blocks over RPC passes a few
//     MB of short-lived buffers per block (64 KB socket reads, the hex reply, the decoded block)
//     through malloc; glibc raises its mmap threshold to the largest buffer freed, so later ones
//     land in the main heap, where long-lived allocations pin the freed space: the process kept
//     40–60 MB it no longer used (C heap 74 MB instead of 10). A fixed threshold keeps those
//     buffers mapped on their own and given back when freed. At 16 KB (not 32) it also catches
//     libzmq's receive buffers: its I/O thread reads a batch of messages into one buffer (8 KB and
//     their reference counts: between 16 and 32 KB) freed once every message in it has been
//     collected, and a burst of transactions left them fragmenting the other threads' arena.
//     Two arenas bound the heaps of the other threads.
//   --expose-gc: release-memory.ts runs a GC after large fills. Asked for at run time instead,
//     the flag would change V8's flags midway, and Node keys its compile cache by them: every module
//     loaded after the first such GC (the history build, its worker) missed the cache and loaded
//     the type stripper again (about 20 MB, measured by bench/memory.ts).
//   NODE_COMPILE_CACHE (Node's module compile cache, in the system's temporary directory unless set
//     or NODE_DISABLE_COMPILE_CACHE is): it keeps each module's type-stripped source beside its
//     compiled code, so a start whose modules are all cached never loads Node's type stripper, a
//     WebAssembly module that stays resident once loaded (about 19 MB). Only a clone running the
//     TypeScript sources pays it; the npm package and the image are JavaScript (the cache then
//     only saves compile time). Serve writes the cache before the restart and once it has started.
// glibc reads its settings once, when the process starts: hence the restart (memory-policy.ts,
// whose switch CHAINPRICE_V8_DEFAULTS=1 turns all of it off).

import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SERVE_NODE_FLAGS = [
  '--max-semi-space-size=2',
  '--heap-growing-percent=20',
  '--expose-gc',
] as const;
export const SERVE_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '16384',
};
/** Where Node keeps the compile cache when the user has not chosen (Node's own default place). */
export const DEFAULT_COMPILE_CACHE = join(tmpdir(), 'node-compile-cache');
/** Set in the restarted process, so it never restarts again. */
const APPLIED = 'CHAINPRICE_MEMORY_SETTINGS';

export interface Relaunch {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * The restart that applies the settings, or null when they are applied already or this platform
 * cannot restart a process in place (then the process runs as it is). memory-policy.ts decides
 * whether to ask (its switch).
 */
export function memoryRelaunch(
  env: Record<string, string | undefined> = process.env,
  execPath = process.execPath,
  execArgv: readonly string[] = process.execArgv,
  argv: readonly string[] = process.argv,
): Relaunch | null {
  if (env[APPLIED] === '1') return null;
  if (process.platform === 'win32' || typeof process.execve !== 'function') return null;
  // A flag the user gave (any value, - or _ spelling) is theirs: ours is left out.
  const given = execArgv.map((a) => a.split('=')[0].replace(/_/g, '-'));
  const flags = SERVE_NODE_FLAGS.filter((f) => !given.includes(f.split('=')[0]));
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  const cache: Record<string, string> =
    clean.NODE_DISABLE_COMPILE_CACHE === undefined && clean.NODE_COMPILE_CACHE === undefined
      ? { NODE_COMPILE_CACHE: DEFAULT_COMPILE_CACHE }
      : {};
  return {
    file: execPath,
    args: [execPath, ...execArgv, ...flags, ...argv.slice(1)],
    env: { ...SERVE_MALLOC_ENV, ...cache, ...clean, [APPLIED]: '1' },
  };
}
