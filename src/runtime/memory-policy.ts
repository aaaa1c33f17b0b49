// chainprice's memory policy, in one place: what a long-running chainprice process does about its
// memory when it starts, once its start is done, after a large fill, after a burst of
// transactions, and while it reads long replies in socket chunks. The rest of the code tells this
// module when such a moment comes and decides nothing about memory itself. In: those moments and
// the process's environment. Out: the restart in place with the start settings, and garbage
// collections at chosen moments. Every V8 flag is set when the process starts (the restart) and
// never changed later. What each setting and release does, why, and how it was measured:
// docs/memory.md.
//
// The one switch: CHAINPRICE_V8_DEFAULTS=1 runs with Node's and glibc's defaults and no release
// point (to compare, or should a future Node make the settings harmful). Freeing a buffer its
// owner is done with (free-buffer.ts) is not switched: it tunes nothing, it only frees dead
// memory at once.

import { flushCompileCache } from 'node:module';
import { watchBursts } from './burst-release.ts';
import { memoryRelaunch, type Relaunch } from './heap-settings.ts';
import { collectYoungGarbage, releaseMemory } from './release-memory.ts';

/** The switch's name; it is read by memoryPolicyOn() only. */
export const MEMORY_POLICY_SWITCH = 'CHAINPRICE_V8_DEFAULTS';

/**
 * Bytes of replies read in socket chunks between two young-generation GCs: the chunks are dead
 * once a reply is decoded, and a block's worth of them (a few MB) is enough to be worth a GC of a
 * millisecond or two.
 */
export const CHUNKED_BYTES_PER_YOUNG_GC = 4 * 1024 * 1024;

/** False when CHAINPRICE_V8_DEFAULTS=1 turns the policy off. */
export function memoryPolicyOn(env: Record<string, string | undefined> = process.env): boolean {
  return env[MEMORY_POLICY_SWITCH] !== '1';
}

/**
 * The restart that applies the start settings (heap-settings.ts), or null: turned off, applied
 * already, or this platform cannot restart a process in place.
 */
export function memoryRestart(
  env: Record<string, string | undefined> = process.env,
  execPath = process.execPath,
  execArgv: readonly string[] = process.execArgv,
  argv: readonly string[] = process.argv,
): Relaunch | null {
  return memoryPolicyOn(env) ? memoryRelaunch(env, execPath, execArgv, argv) : null;
}

let chunkedSinceGc = 0;

export const memory = {
  /**
   * At the very start of a long-running process (serve), before it loads the service: restarts it
   * once, in place (process.execve: same process id, same stdio), with the start settings. Returns
   * only when no restart is needed or possible; otherwise the process starts over with them.
   */
  atStart(): void {
    const restart = memoryRestart();
    if (restart === null) return;
    // What this process compiled (the command line's modules) is there for the restarted one.
    flushCompileCache();
    process.execve?.(restart.file, restart.args, restart.env);
  },

  /**
   * Once the service has started (its feed's first fill done): gives that fill's memory back, and
   * writes Node's compile cache, now that every module the service uses is loaded, so the next
   * start finds them all compiled and type-stripped.
   */
  afterStart(): void {
    memory.afterFill();
    flushCompileCache();
  },

  /**
   * After a large one-off fill (the 144-block window, a history build, the demo's history):
   * a last-resort full GC gives the pages the fill's garbage used back to the system.
   */
  afterFill(): void {
    if (memoryPolicyOn()) releaseMemory();
  },

  /**
   * While a feed runs: `received()` is its running count of received transactions; after each
   * burst (burst-release.ts) the burst's memory is given back as after a fill. Returns the stop.
   */
  watchBursts(received: () => number): () => void {
    if (!memoryPolicyOn()) return () => {};
    return watchBursts(received, releaseMemory);
  },

  /**
   * After a reply of `bytes` was read in socket chunks and decoded: every
   * CHUNKED_BYTES_PER_YOUNG_GC, a young-generation GC collects the dead chunks.
   */
  afterChunkedReply(bytes: number): void {
    chunkedSinceGc += bytes;
    if (chunkedSinceGc < CHUNKED_BYTES_PER_YOUNG_GC) return;
    chunkedSinceGc = 0;
    if (memoryPolicyOn()) collectYoungGarbage();
  },
};
