// The settings a long-running chainprice process starts with (memory-policy.ts applies them by
// restarting the process once, in place): V8 flags, glibc malloc settings and Node's compile cache.
// In: the process's environment and arguments. Out: the restart's program, arguments and
// environment, or null once they are applied. Settings the user gave are theirs and win. Why each
// one, with the measurements: docs/memory.md.
//   --max-semi-space-size=2: under the live service's allocation rate V8 grows its young
//     generation to its largest; small semi-spaces keep it small at no measurable cost to
//     estimate().
//   --heap-growing-percent=20: after each full GC V8 lets the old space grow up to fourfold before
//     the next; a fifth keeps the heap near what is live, at a small cost to estimate().
//   --expose-gc: the release points (release-memory.ts) need V8's gc function; set here, at start,
//     because a flag changed later changes V8's flags midway (V8 does not support that) and Node
//     keys its compile cache by them: modules loaded afterwards miss it.
//   MALLOC_MMAP_THRESHOLD_=16384: every allocation of 16 KB or more gets a mapping of its own,
//     given back to the system when it is freed. glibc's own threshold rises to the largest
//     buffer freed, so after the block fetches' short-lived buffers later ones would land in the
//     heaps, where a few long-lived allocations pin the freed space. At 16 KB it also catches the
//     ZMQ receive buffers: libzmq's I/O thread reads a batch of messages into one buffer (8 KB and
//     their reference counts), freed once every message in it has been collected; a burst of
//     transactions left many of them in the other threads' arena, free but never given back.
//   MALLOC_ARENA_MAX=2: one arena for all the threads beside the main one, not one per thread.
//   NODE_COMPILE_CACHE (in the system's temporary directory unless set, or unless
//     NODE_DISABLE_COMPILE_CACHE is): keeps each module's type-stripped source beside its compiled
//     code, so a start whose modules are all cached never loads Node's type stripper (a
//     WebAssembly module that stays resident). Only a clone running the TypeScript sources gains
//     memory; the npm package and the image are JavaScript (the cache then only saves compile
//     time).
// glibc reads its settings once, when the process starts: hence the restart.

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
